/* The executor: a plan, the kernels it calls, the model's constants and a workspace. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "runtime/internal.h"
#include "runtime/model.h"

typedef void (*kernel_entry)(void *const *args);

struct tsl_model {
  tsl_plan *plan;
  kernel_entry *kernels; /* per call; NULL for a copy */
  const unsigned char *constants;
  unsigned char *constants_copy; /* the constants in huge pages, when they fill one */
  unsigned char *workspace;
  void **pointers; /* per tensor, during a run */
  void ***call_args;
  bool profiling;
  int64_t *nanoseconds; /* per call */
  void (*release)(void *owner);
  void *owner; /* what keeps the kernels and constants alive: a library, a JIT */
};

tsl_status tsl_runtime_vfail(tsl_error *error, tsl_status status, const char *format,
                             va_list args) {
  if (!error) return status;
  error->status = status;
  vsnprintf(error->message, sizeof(error->message), format, args);
  return status;
}

tsl_status tsl_runtime_fail(tsl_error *error, tsl_status status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  tsl_runtime_vfail(error, status, format, args);
  va_end(args);
  return status;
}

/* Everything the plan says must fit in what there is, before anything runs. */
static tsl_status check_plan(const tsl_plan *plan, const char *name, tsl_error *error) {
  for (int i = 0; i < plan->num_tensors; i++) {
    const tsl_plan_tensor *t = &plan->tensors[i];
    int64_t bytes = tsl_plan_tensor_bytes(t);
    int64_t limit = t->storage == TSL_STORAGE_CONSTANT ? plan->constant_bytes
                    : t->storage == TSL_STORAGE_WORKSPACE ? plan->workspace_bytes : -1;
    int count = t->storage == TSL_STORAGE_INPUT ? plan->num_inputs
                : t->storage == TSL_STORAGE_OUTPUT ? plan->num_outputs : -1;
    bool fits = limit < 0 ? t->index >= 0 && t->index < count
                          : t->offset >= 0 && bytes >= 0 && t->offset <= limit - bytes;
    if (!fits) return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: the model's plan is damaged (tensor %d)", name, i);
  }
  for (int i = 0; i < plan->num_inputs; i++) {
    if (plan->inputs[i] < 0 || plan->inputs[i] >= plan->num_tensors) goto damaged;
  }
  for (int i = 0; i < plan->num_outputs; i++) {
    if (plan->outputs[i] < 0 || plan->outputs[i] >= plan->num_tensors) goto damaged;
  }
  return TSL_OK;
damaged:
  return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: the model's plan is damaged", name);
}

void *tsl_alloc_large(size_t bytes) {
  enum { HUGE_PAGE = 2 << 20 };
  if (bytes < HUGE_PAGE) return aligned_alloc(64, (bytes + 63) / 64 * 64);
  /* Whole huge pages, aligned to one, that the kernel is asked to back with huge pages (where
   * transparent huge pages are "madvise", as Debian sets them, it otherwise never does). */
  size_t size = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
  void *memory = NULL;
  if (posix_memalign(&memory, HUGE_PAGE, size) != 0) return NULL;
#ifdef MADV_HUGEPAGE
  madvise(memory, size, MADV_HUGEPAGE);
#endif
  return memory;
}

tsl_status tsl_model_create(tsl_plan *plan, const void *constants, tsl_kernel_lookup lookup,
                            void *lookup_context, void (*release)(void *owner), void *owner,
                            const char *name, tsl_model **out, tsl_error *error) {
  *out = NULL;
  tsl_status status = check_plan(plan, name, error);
  if (status) {
    tsl_plan_free(plan);
    return status;
  }
  tsl_model *model = calloc(1, sizeof(*model));
  model->plan = plan;
  model->constants = constants;
  /* A copy in huge pages of constants that fill at least one: the kernels stream the weights
   * every run, and the library's own pages (a file's, which the kernel does not back with huge
   * pages) cost TLB misses. */
  if (plan->constant_bytes >= (2 << 20)) {
    model->constants_copy = tsl_alloc_large((size_t)plan->constant_bytes);
    if (!model->constants_copy) abort();
    memcpy(model->constants_copy, constants, (size_t)plan->constant_bytes);
    model->constants = model->constants_copy;
  }
  model->kernels = calloc((size_t)plan->num_calls + 1, sizeof(kernel_entry));
  model->pointers = calloc((size_t)plan->num_tensors + 1, sizeof(void *));
  model->call_args = calloc((size_t)plan->num_calls + 1, sizeof(void **));
  model->nanoseconds = calloc((size_t)plan->num_calls + 1, sizeof(int64_t));
  model->workspace = tsl_alloc_large((size_t)plan->workspace_bytes + 64);
  if (!model->kernels || !model->pointers || !model->call_args || !model->nanoseconds ||
      !model->workspace) {
    abort();
  }
  model->release = release;
  model->owner = owner;
  for (int c = 0; c < plan->num_calls; c++) {
    const tsl_plan_call *call = &plan->calls[c];
    model->call_args[c] = calloc((size_t)call->num_args + 1, sizeof(void *));
    if (!call->kernel) continue;
    model->kernels[c] = (kernel_entry)lookup(lookup_context, call->kernel);
    if (!model->kernels[c]) {
      status = tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: kernel '%s' is missing", name, call->kernel);
      model->release = NULL; /* the caller keeps what it gave on failure */
      tsl_model_free(model);
      return status;
    }
  }
  *out = model;
  return TSL_OK;
}

void tsl_model_free(tsl_model *model) {
  if (!model) return;
  for (int c = 0; model->plan && c < model->plan->num_calls; c++) free(model->call_args[c]);
  free(model->call_args);
  free(model->kernels);
  free(model->pointers);
  free(model->nanoseconds);
  free(model->workspace);
  free(model->constants_copy);
  tsl_plan_free(model->plan);
  if (model->release) model->release(model->owner);
  free(model);
}

static tsl_tensor_info info_of(const tsl_model *model, int tensor) {
  const tsl_plan_tensor *t = &model->plan->tensors[tensor];
  return (tsl_tensor_info){.name = t->name, .dtype = t->dtype, .rank = t->rank, .dims = t->dims};
}

int tsl_model_num_inputs(const tsl_model *model) { return model->plan->num_inputs; }
int tsl_model_num_outputs(const tsl_model *model) { return model->plan->num_outputs; }
tsl_tensor_info tsl_model_input(const tsl_model *model, int index) {
  return info_of(model, model->plan->inputs[index]);
}
tsl_tensor_info tsl_model_output(const tsl_model *model, int index) {
  return info_of(model, model->plan->outputs[index]);
}

size_t tsl_tensor_info_bytes(tsl_tensor_info info) {
  size_t elements = 1;
  for (int axis = 0; axis < info.rank; axis++) elements *= (size_t)info.dims[axis];
  return elements * tsl_dtype_size(info.dtype);
}

static int64_t now_nanoseconds(void) {
  struct timespec time;
  clock_gettime(CLOCK_MONOTONIC, &time);
  return (int64_t)time.tv_sec * 1000000000 + time.tv_nsec;
}

tsl_status tsl_model_run(tsl_model *model, const void *const *inputs, void *const *outputs,
                         tsl_error *error) {
  const tsl_plan *plan = model->plan;
  for (int i = 0; i < plan->num_tensors; i++) {
    const tsl_plan_tensor *t = &plan->tensors[i];
    switch (t->storage) {
    case TSL_STORAGE_INPUT: model->pointers[i] = (void *)inputs[t->index]; break;
    case TSL_STORAGE_OUTPUT: model->pointers[i] = outputs[t->index]; break;
    case TSL_STORAGE_CONSTANT: model->pointers[i] = (void *)(model->constants + t->offset); break;
    case TSL_STORAGE_WORKSPACE: model->pointers[i] = model->workspace + t->offset; break;
    }
    if (!model->pointers[i] && tsl_plan_tensor_bytes(t) > 0) {
      return tsl_runtime_fail(error, TSL_ERROR_INPUT, "tensor '%s' has no data", t->name);
    }
  }
  for (int c = 0; c < plan->num_calls; c++) {
    const tsl_plan_call *call = &plan->calls[c];
    void **args = model->call_args[c];
    for (int a = 0; a < call->num_args; a++) args[a] = model->pointers[call->args[a]];
    int64_t start = model->profiling ? now_nanoseconds() : 0;
    if (model->kernels[c]) {
      model->kernels[c](args);
    } else {
      size_t bytes = (size_t)tsl_plan_tensor_bytes(&plan->tensors[call->args[0]]);
      if (bytes && args[0] != args[1]) memmove(args[1], args[0], bytes);
    }
    if (model->profiling) model->nanoseconds[c] += now_nanoseconds() - start;
  }
  return TSL_OK;
}

void tsl_model_set_profiling(tsl_model *model, bool enabled) { model->profiling = enabled; }
int tsl_model_num_calls(const tsl_model *model) { return model->plan->num_calls; }
const char *tsl_model_call_kernel(const tsl_model *model, int index) {
  const char *kernel = model->plan->calls[index].kernel;
  return kernel ? kernel : "";
}
int64_t tsl_model_call_nanoseconds(const tsl_model *model, int index) {
  return model->nanoseconds[index];
}

bool tsl_set_num_threads(int threads) { return tsl_runtime_set_threads(threads); }
int tsl_num_threads(void) { return tsl_runtime_threads(); }
