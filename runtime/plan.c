#include "runtime/plan.h"

#include <stdlib.h>
#include <string.h>

/* Serialised layout: "TSLPLAN1", then little-endian fields in the order of the structs;
 * strings as u32 length + bytes. */
static const char magic[8] = {'T', 'S', 'L', 'P', 'L', 'A', 'N', '1'};

int64_t tsl_plan_tensor_bytes(const tsl_plan_tensor *tensor) {
  int64_t elements = 1;
  for (int axis = 0; axis < tensor->rank; axis++) elements *= tensor->dims[axis];
  return elements * (int64_t)tsl_dtype_size(tensor->dtype);
}

typedef struct writer {
  unsigned char *data;
  size_t size, capacity;
} writer;

static void put(writer *w, const void *bytes, size_t size) {
  if (w->size + size > w->capacity) {
    size_t capacity = w->capacity ? w->capacity * 2 : 1024;
    while (capacity < w->size + size) capacity *= 2;
    w->data = realloc(w->data, capacity);
    if (!w->data) abort();
    w->capacity = capacity;
  }
  memcpy(w->data + w->size, bytes, size);
  w->size += size;
}

static void put_i64(writer *w, int64_t value) { put(w, &value, sizeof(value)); }

static void put_string(writer *w, const char *text) {
  uint32_t length = text ? (uint32_t)strlen(text) : 0;
  put(w, &length, sizeof(length));
  put(w, text ? text : "", length);
}

void *tsl_plan_serialize(const tsl_plan *plan, size_t *size) {
  writer w = {0};
  put(&w, magic, sizeof(magic));
  put_i64(&w, plan->num_tensors);
  put_i64(&w, plan->num_calls);
  put_i64(&w, plan->num_inputs);
  put_i64(&w, plan->num_outputs);
  put_i64(&w, plan->workspace_bytes);
  put_i64(&w, plan->constant_bytes);
  for (int i = 0; i < plan->num_tensors; i++) {
    const tsl_plan_tensor *t = &plan->tensors[i];
    put_string(&w, t->name);
    put_i64(&w, t->dtype);
    put_i64(&w, t->rank);
    for (int axis = 0; axis < t->rank; axis++) put_i64(&w, t->dims[axis]);
    put_i64(&w, t->storage);
    put_i64(&w, t->offset);
    put_i64(&w, t->index);
  }
  for (int i = 0; i < plan->num_calls; i++) {
    const tsl_plan_call *c = &plan->calls[i];
    put_string(&w, c->kernel);
    put_i64(&w, c->kernel != NULL);
    put_i64(&w, c->num_args);
    for (int a = 0; a < c->num_args; a++) put_i64(&w, c->args[a]);
  }
  for (int i = 0; i < plan->num_inputs; i++) put_i64(&w, plan->inputs[i]);
  for (int i = 0; i < plan->num_outputs; i++) put_i64(&w, plan->outputs[i]);
  *size = w.size;
  return w.data;
}

typedef struct reader {
  const unsigned char *data;
  size_t size, at;
  int ok;
} reader;

static int64_t get_i64(reader *r) {
  int64_t value = 0;
  if (r->at + sizeof(value) > r->size) {
    r->ok = 0;
    return 0;
  }
  memcpy(&value, r->data + r->at, sizeof(value));
  r->at += sizeof(value);
  return value;
}

static char *get_string(reader *r) {
  uint32_t length = 0;
  if (r->at + sizeof(length) > r->size) {
    r->ok = 0;
    return NULL;
  }
  memcpy(&length, r->data + r->at, sizeof(length));
  r->at += sizeof(length);
  if (r->at + length > r->size) {
    r->ok = 0;
    return NULL;
  }
  char *text = malloc(length + 1u);
  if (!text) abort();
  memcpy(text, r->data + r->at, length);
  text[length] = '\0';
  r->at += length;
  return text;
}

/* A count read from the bytes, refused when it could not possibly fit in them. */
static int get_count(reader *r) {
  int64_t count = get_i64(r);
  if (count < 0 || (size_t)count > r->size) r->ok = 0;
  return r->ok ? (int)count : 0;
}

tsl_plan *tsl_plan_deserialize(const void *bytes, size_t size) {
  reader r = {bytes, size, 0, 1};
  if (size < sizeof(magic) || memcmp(bytes, magic, sizeof(magic)) != 0) return NULL;
  r.at = sizeof(magic);
  tsl_plan *plan = calloc(1, sizeof(*plan));
  if (!plan) abort();
  plan->num_tensors = get_count(&r);
  plan->num_calls = get_count(&r);
  plan->num_inputs = get_count(&r);
  plan->num_outputs = get_count(&r);
  plan->workspace_bytes = get_i64(&r);
  plan->constant_bytes = get_i64(&r);
  plan->tensors = calloc((size_t)plan->num_tensors + 1, sizeof(tsl_plan_tensor));
  plan->calls = calloc((size_t)plan->num_calls + 1, sizeof(tsl_plan_call));
  plan->inputs = calloc((size_t)plan->num_inputs + 1, sizeof(int));
  plan->outputs = calloc((size_t)plan->num_outputs + 1, sizeof(int));
  if (!plan->tensors || !plan->calls || !plan->inputs || !plan->outputs) abort();
  for (int i = 0; i < plan->num_tensors && r.ok; i++) {
    tsl_plan_tensor *t = &plan->tensors[i];
    t->name = get_string(&r);
    t->dtype = (tsl_dtype)get_i64(&r);
    t->rank = (int)get_i64(&r);
    if (t->rank < 0 || t->rank > TSL_PLAN_MAX_RANK || tsl_dtype_size(t->dtype) == 0) r.ok = 0;
    for (int axis = 0; axis < t->rank && r.ok; axis++) t->dims[axis] = get_i64(&r);
    t->storage = (tsl_storage)get_i64(&r);
    t->offset = get_i64(&r);
    t->index = (int)get_i64(&r);
  }
  for (int i = 0; i < plan->num_calls && r.ok; i++) {
    tsl_plan_call *c = &plan->calls[i];
    c->kernel = get_string(&r);
    if (!get_i64(&r)) {
      free(c->kernel);
      c->kernel = NULL;
    }
    c->num_args = get_count(&r);
    c->args = calloc((size_t)c->num_args + 1, sizeof(int));
    if (!c->args) abort();
    for (int a = 0; a < c->num_args && r.ok; a++) {
      c->args[a] = (int)get_i64(&r);
      if (c->args[a] < 0 || c->args[a] >= plan->num_tensors) r.ok = 0;
    }
  }
  for (int i = 0; i < plan->num_inputs && r.ok; i++) plan->inputs[i] = (int)get_i64(&r);
  for (int i = 0; i < plan->num_outputs && r.ok; i++) plan->outputs[i] = (int)get_i64(&r);
  if (!r.ok) {
    tsl_plan_free(plan);
    return NULL;
  }
  return plan;
}

void tsl_plan_free(tsl_plan *plan) {
  if (!plan) return;
  for (int i = 0; i < plan->num_tensors; i++) free(plan->tensors[i].name);
  for (int i = 0; i < plan->num_calls; i++) {
    free(plan->calls[i].kernel);
    free(plan->calls[i].args);
  }
  free(plan->tensors);
  free(plan->calls);
  free(plan->inputs);
  free(plan->outputs);
  free(plan);
}
