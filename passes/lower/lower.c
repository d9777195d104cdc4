#include "passes/lower/lower.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"
#include "ir/error.h"
#include "ir/ops/compute.h"
#include "ir/te.h"

enum {
  ALIGNMENT = 64,
  MAX_INLINED_TERMS = 16, /* reductions this short compute a rule's intermediate where read */
};

static int64_t align_up(int64_t bytes) { return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT; }

/* ---- one kernel -------------------------------------------------------------------------- */

/* A kernel's parameters: the values it reads from outside (in order of first use), then the
 * values it makes that are read outside it or are graph outputs. */
typedef struct signature {
  const tsl_value **params;
  int num_inputs, num_outputs;
} signature;

static int find_value(const tsl_value *const *values, int count, const tsl_value *value) {
  for (int i = 0; i < count; i++) {
    if (values[i] == value) return i;
  }
  return -1;
}

/* The tensor a node's output became, by position in the group. */
typedef struct made {
  const tsl_value *value;
  tsl_te_tensor *tensor;
  tsl_pattern pattern; /* of the node that made it */
} made;

static bool inlinable(tsl_te_program *program, const tsl_te_tensor *tensor, const made *from,
                      bool escapes) {
  if (tensor->kind != TSL_TE_COMPUTE || tensor->body->kind == TSL_EXPR_REDUCE || escapes) {
    return false;
  }
  /* An elementwise node's output is worth computing again wherever it is read; a compute rule's
   * own intermediate (a convolution's zero-padded input) is not inside a reduction that reads
   * each of its elements many times, but is inside a short one (a depthwise convolution's
   * taps): writing it out and reading it back would cost more. */
  bool cheap = from && from->pattern <= TSL_PATTERN_INJECTIVE;
  for (int i = 0; i < program->count && !cheap; i++) {
    const tsl_te_tensor *reader = program->tensors[i];
    if (reader->kind != TSL_TE_COMPUTE || reader->body->kind != TSL_EXPR_REDUCE ||
        !tsl_te_reads(reader, tensor)) {
      continue;
    }
    int64_t terms = 1;
    for (int a = 0; a < reader->body->reduce.num_axes; a++) {
      terms *= reader->body->reduce.axes[a].extent;
    }
    if (terms > MAX_INLINED_TERMS) return false;
  }
  return true;
}

/* The immediate replacing loads of a constant of one element. */
typedef struct immediate {
  const tsl_buffer *buffer;
  tsl_expr *value;
} immediate;

static tsl_expr *load_immediate(tsl_expr *load, void *context) {
  const immediate *imm = context;
  return load->load.buffer == imm->buffer ? imm->value : NULL;
}

/* A constant of one element that the kernel reads becomes an immediate in it rather than a
 * parameter, so that code generation sees its value (x² written as pow(x, 2) becomes a product;
 * LayerNorm's ε, a divisor, a clip's bounds fold into the arithmetic). Returns how many
 * parameters remain. */
static int inline_scalars(tsl_te_program *program, const tsl_value **outer,
                          tsl_te_tensor **placeholders, int count) {
  tsl_arena *arena = program->func->arena;
  int kept = 0;
  for (int j = 0; j < count; j++) {
    const tsl_value *value = outer[j];
    tsl_dtype dtype = value->type.dtype;
    bool scalar = value->kind == TSL_VALUE_CONSTANT && value->data &&
                  tsl_type_elements(&value->type) == 1 &&
                  (dtype == TSL_DTYPE_F32 || dtype == TSL_DTYPE_F64 || !tsl_dtype_is_float(dtype));
    if (!scalar) {
      outer[kept] = outer[j];
      placeholders[kept++] = placeholders[j];
      continue;
    }
    immediate imm = {
        .buffer = placeholders[j]->buffer,
        .value = tsl_dtype_is_float(dtype)
                     ? tsl_float(arena, dtype, tsl_element_get_f64(dtype, value->data->bytes, 0))
                     : tsl_int(arena, dtype, tsl_element_get_i64(dtype, value->data->bytes, 0)),
    };
    tsl_expr_rewriter rewriter = {.load = load_immediate, .context = &imm};
    for (int i = 0; i < program->count; i++) {
      tsl_te_tensor *tensor = program->tensors[i];
      if (tensor->kind == TSL_TE_COMPUTE) {
        tensor->body = tsl_expr_rewrite(arena, tensor->body, &rewriter);
      }
    }
  }
  return kept;
}

static tsl_status lower_group(tsl_node *const *nodes, int count, const bool *escapes,
                              const char *name, tsl_primfunc **out, signature *sig,
                              tsl_error *error) {
  *out = NULL;
  tsl_primfunc *func = tsl_primfunc_new(name);
  tsl_arena *arena = func->arena;
  tsl_te_program *program = tsl_te_program_new(func);
  int capacity = 1;
  for (int n = 0; n < count; n++) capacity += nodes[n]->num_inputs + nodes[n]->num_outputs;
  const tsl_value **outer = TSL_ARENA_ARRAY(arena, const tsl_value *, capacity);
  tsl_te_tensor **placeholders = TSL_ARENA_ARRAY(arena, tsl_te_tensor *, capacity);
  made *inside = TSL_ARENA_ARRAY(arena, made, capacity);
  int num_outer = 0, num_inside = 0;
  for (int n = 0; n < count; n++) {
    const tsl_node *node = nodes[n];
    const tsl_op_def *op = tsl_op_get(node->op);
    char place[256];
    if (!op->compute_rule) {
      tsl_primfunc_free(func);
      return tsl_fail(error, TSL_ERROR_NOT_IMPLEMENTED,
                      "%s: operator %s has no compute rule yet, so tessel cannot compile it",
                      tsl_node_describe(node, place, sizeof(place)), op->name);
    }
    tsl_te_tensor **inputs = TSL_ARENA_ARRAY(arena, tsl_te_tensor *, node->num_inputs + 1);
    for (int i = 0; i < node->num_inputs; i++) {
      const tsl_value *value = node->inputs[i];
      if (!value) continue;
      int j = 0;
      while (j < num_inside && inside[j].value != value) j++;
      if (j < num_inside) {
        inputs[i] = inside[j].tensor;
        continue;
      }
      j = find_value(outer, num_outer, value);
      if (j < 0) {
        j = num_outer++;
        outer[j] = value;
        placeholders[j] = tsl_te_placeholder(program, tsl_op_input_name(op, i), &value->type);
      }
      inputs[i] = placeholders[j];
    }
    tsl_type *types = TSL_ARENA_ARRAY(arena, tsl_type, node->num_outputs + 1);
    for (int i = 0; i < node->num_outputs; i++) types[i] = node->outputs[i]->type;
    tsl_te_tensor **outputs = TSL_ARENA_ARRAY(arena, tsl_te_tensor *, node->num_outputs + 1);
    char message[1024] = "";
    tsl_compute_call call = {
        .op = op,
        .attrs = node->attrs,
        .program = program,
        .inputs = inputs,
        .num_inputs = node->num_inputs,
        .output_types = types,
        .num_outputs = node->num_outputs,
        .outputs = outputs,
        .message = message,
        .message_size = sizeof(message),
    };
    if (!op->compute_rule(&call)) {
      tsl_primfunc_free(func);
      return tsl_fail(error, TSL_ERROR_NOT_IMPLEMENTED, "%s: %s",
                      tsl_node_describe(node, place, sizeof(place)), message);
    }
    for (int i = 0; i < node->num_outputs; i++) {
      inside[num_inside++] = (made){node->outputs[i], outputs[i], op->pattern};
    }
  }
  bool has_extern = false;
  for (int i = 0; i < program->count; i++) has_extern |= program->tensors[i]->kind == TSL_TE_EXTERN;
  if (!has_extern) num_outer = inline_scalars(program, outer, placeholders, num_outer);
  /* Outputs: values read outside the kernel, each once, in order. */
  const tsl_value **params = TSL_ARENA_ARRAY(arena, const tsl_value *, num_outer + num_inside + 1);
  tsl_te_tensor **results = TSL_ARENA_ARRAY(arena, tsl_te_tensor *, num_inside + 1);
  memcpy(params, outer, sizeof(*params) * (size_t)num_outer);
  int num_results = 0;
  for (int i = 0; i < num_inside; i++) {
    if (!escapes[inside[i].value->id]) continue;
    params[num_outer + num_results] = inside[i].value;
    results[num_results++] = inside[i].tensor;
  }
  /* In a fused kernel, what one operator makes and only others inside read is not stored. */
  for (int i = 0; !has_extern && i < program->count; i++) {
    tsl_te_tensor *tensor = program->tensors[i];
    const made *from = NULL;
    bool escapes_here = false;
    for (int j = 0; j < num_inside; j++) {
      if (inside[j].tensor != tensor) continue;
      from = &inside[j];
      escapes_here |= escapes[inside[j].value->id];
    }
    if (inlinable(program, tensor, from, escapes_here)) tsl_te_inline(program, tensor);
  }
  tsl_te_lower(program, placeholders, num_outer, results, num_results);
  TSL_CHECK(func->num_params == num_outer + num_results);
  /* Weights: a schedule may pack them (transform_layout), done once at compile time. */
  for (int i = 0; i < num_outer; i++) func->is_constant[i] = params[i]->kind == TSL_VALUE_CONSTANT;
  tsl_status status = tsl_primfunc_verify(func, error);
  if (status) {
    tsl_primfunc_free(func);
    return status;
  }
  *sig = (signature){.params = params, .num_inputs = num_outer, .num_outputs = num_results};
  *out = func;
  return TSL_OK;
}

tsl_status tsl_lower_node(const tsl_node *node, const char *name, tsl_primfunc **out,
                          tsl_error *error) {
  int largest = 0;
  for (int i = 0; i < node->num_outputs; i++) {
    if (node->outputs[i]->id > largest) largest = node->outputs[i]->id;
  }
  bool *escapes = calloc((size_t)largest + 1, sizeof(bool));
  TSL_CHECK_ALLOC(escapes);
  for (int i = 0; i < node->num_outputs; i++) escapes[node->outputs[i]->id] = true;
  signature sig;
  tsl_node *nodes[1] = {(tsl_node *)node};
  tsl_status status = lower_group(nodes, 1, escapes, name, out, &sig, error);
  free(escapes);
  return status;
}

/* ---- the plan ---------------------------------------------------------------------------- */

typedef struct planner {
  const tsl_graph *graph;
  tsl_plan *plan;
  int *tensor_of;            /* by value id: plan tensor, -1 none */
  int *first_use, *last_use; /* by plan tensor: the calls that make and last read it */
  int tensors_capacity, calls_capacity;
} planner;

static char *copy_string(const char *text) {
  char *copy = strdup(text);
  TSL_CHECK_ALLOC(copy);
  return copy;
}

static int add_tensor(planner *p, const char *name, const tsl_type *type, tsl_storage storage) {
  tsl_plan *plan = p->plan;
  if (plan->num_tensors == p->tensors_capacity) {
    p->tensors_capacity = p->tensors_capacity ? 2 * p->tensors_capacity : 64;
    plan->tensors = realloc(plan->tensors, sizeof(tsl_plan_tensor) * (size_t)p->tensors_capacity);
    p->first_use = realloc(p->first_use, sizeof(int) * (size_t)p->tensors_capacity);
    p->last_use = realloc(p->last_use, sizeof(int) * (size_t)p->tensors_capacity);
    TSL_CHECK_ALLOC(plan->tensors && p->first_use && p->last_use);
  }
  int index = plan->num_tensors++;
  tsl_plan_tensor *t = &plan->tensors[index];
  *t = (tsl_plan_tensor){
      .name = copy_string(name), .dtype = type->dtype, .rank = type->rank, .storage = storage};
  memcpy(t->dims, type->dims, sizeof(int64_t) * (size_t)type->rank);
  p->first_use[index] = p->last_use[index] = -1;
  return index;
}

static void add_call(planner *p, const char *kernel, int num_args, const int *args) {
  tsl_plan *plan = p->plan;
  if (plan->num_calls == p->calls_capacity) {
    p->calls_capacity = p->calls_capacity ? 2 * p->calls_capacity : 64;
    plan->calls = realloc(plan->calls, sizeof(tsl_plan_call) * (size_t)p->calls_capacity);
    TSL_CHECK_ALLOC(plan->calls);
  }
  int index = plan->num_calls++;
  tsl_plan_call *call = &plan->calls[index];
  call->kernel = kernel ? copy_string(kernel) : NULL;
  call->num_args = num_args;
  call->args = malloc(sizeof(int) * (size_t)(num_args + 1));
  TSL_CHECK_ALLOC(call->args);
  memcpy(call->args, args, sizeof(int) * (size_t)num_args);
  for (int a = 0; a < num_args; a++) {
    if (p->first_use[args[a]] < 0) p->first_use[args[a]] = index;
    p->last_use[args[a]] = index;
  }
}

/* Workspace offsets, first fit: a tensor may share bytes with any tensor whose lifetime (first
 * to last call) does not overlap its own. */
static void plan_workspace(planner *p) {
  tsl_plan *plan = p->plan;
  int count = plan->num_tensors;
  int *placed = calloc((size_t)count + 1, sizeof(int));
  int num_placed = 0;
  int64_t peak = 0;
  for (int i = 0; i < count; i++) {
    tsl_plan_tensor *t = &plan->tensors[i];
    if (t->storage != TSL_STORAGE_WORKSPACE) continue;
    int64_t size = align_up(tsl_plan_tensor_bytes(t)), offset = 0;
    for (bool moved = true; moved;) {
      moved = false;
      for (int j = 0; j < num_placed; j++) {
        const tsl_plan_tensor *other = &plan->tensors[placed[j]];
        int64_t other_size = align_up(tsl_plan_tensor_bytes(other));
        bool live_together =
            p->first_use[i] <= p->last_use[placed[j]] && p->first_use[placed[j]] <= p->last_use[i];
        bool overlap = offset < other->offset + other_size && other->offset < offset + size;
        if (live_together && overlap) {
          offset = other->offset + other_size;
          moved = true;
        }
      }
    }
    t->offset = offset;
    placed[num_placed++] = i;
    if (offset + size > peak) peak = offset + size;
  }
  plan->workspace_bytes = peak;
  free(placed);
}

/* Constants go into one blob, each at an aligned offset. */
static unsigned char *plan_constants(planner *p) {
  const tsl_graph *graph = p->graph;
  int64_t total = 0;
  for (int i = 0; i < graph->num_constants; i++) {
    const tsl_value *constant = graph->constants[i];
    int index = add_tensor(p, constant->name, &constant->type, TSL_STORAGE_CONSTANT);
    p->tensor_of[constant->id] = index;
    p->plan->tensors[index].offset = total;
    total += align_up(tsl_type_bytes(&constant->type));
  }
  unsigned char *blob = calloc((size_t)total + 1, 1);
  TSL_CHECK_ALLOC(blob);
  for (int i = 0; i < graph->num_constants; i++) {
    const tsl_value *constant = graph->constants[i];
    TSL_CHECK(constant->data);
    memcpy(blob + p->plan->tensors[p->tensor_of[constant->id]].offset, constant->data->bytes,
           (size_t)constant->data->size);
  }
  p->plan->constant_bytes = total;
  return blob;
}

/* Graph outputs a kernel makes are written straight into the caller's buffers; outputs that
 * are inputs, constants or listed twice are copied there at the end. */
static void plan_outputs(planner *p, bool *copied) {
  const tsl_graph *graph = p->graph;
  tsl_plan *plan = p->plan;
  plan->num_outputs = graph->num_outputs;
  plan->outputs = calloc((size_t)graph->num_outputs + 1, sizeof(int));
  TSL_CHECK_ALLOC(plan->outputs);
  for (int i = 0; i < graph->num_outputs; i++) {
    const tsl_value *value = graph->outputs[i].value;
    bool first = value->kind == TSL_VALUE_NODE;
    for (int j = 0; j < i && first; j++) first = graph->outputs[j].value != value;
    copied[i] = !first;
    if (first) {
      int index = add_tensor(p, graph->outputs[i].name, &value->type, TSL_STORAGE_OUTPUT);
      p->tensor_of[value->id] = index;
      plan->tensors[index].index = i;
      plan->outputs[i] = index;
    }
  }
}

static void sanitise(char *name) {
  for (char *c = name; *c; c++) {
    bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9');
    if (!ok) *c = '_';
  }
}

tsl_status tsl_lower(const tsl_graph *graph, tsl_lowered **out, tsl_error *error) {
  *out = NULL;
  tsl_lowered *lowered = calloc(1, sizeof(*lowered));
  TSL_CHECK_ALLOC(lowered);
  lowered->plan = calloc(1, sizeof(tsl_plan));
  lowered->funcs = calloc((size_t)graph->num_nodes + 1, sizeof(tsl_primfunc *));
  TSL_CHECK_ALLOC(lowered->plan && lowered->funcs);
  planner p = {.graph = graph, .plan = lowered->plan};
  p.tensor_of = malloc(sizeof(int) * (size_t)(graph->num_values + 1));
  TSL_CHECK_ALLOC(p.tensor_of);
  for (int i = 0; i <= graph->num_values; i++) p.tensor_of[i] = -1;
  tsl_plan *plan = lowered->plan;

  plan->num_inputs = graph->num_inputs;
  plan->inputs = calloc((size_t)graph->num_inputs + 1, sizeof(int));
  for (int i = 0; i < graph->num_inputs; i++) {
    const tsl_value *input = graph->inputs[i];
    int index = add_tensor(&p, input->name, &input->type, TSL_STORAGE_INPUT);
    plan->tensors[index].index = i;
    plan->inputs[i] = index;
    p.tensor_of[input->id] = index;
  }
  lowered->constants = plan_constants(&p);
  bool *copied = calloc((size_t)graph->num_outputs + 1, sizeof(bool));
  plan_outputs(&p, copied);

  /* A value escapes its kernel when a node of another kernel reads it or the graph gives it
   * out. */
  bool *escapes = calloc((size_t)graph->num_values + 1, sizeof(bool));
  TSL_CHECK_ALLOC(escapes);
  for (int n = 0; n < graph->num_nodes; n++) {
    const tsl_node *node = graph->nodes[n];
    for (int i = 0; i < node->num_inputs; i++) {
      const tsl_value *input = node->inputs[i];
      if (input && input->kind == TSL_VALUE_NODE &&
          (node->group < 0 || input->node->group != node->group)) {
        escapes[input->id] = true;
      }
    }
  }
  for (int i = 0; i < graph->num_outputs; i++) escapes[graph->outputs[i].value->id] = true;

  tsl_status status = TSL_OK;
  for (int n = 0, end; n < graph->num_nodes && !status; n = end) {
    /* The kernel: this node and the nodes after it in its group. */
    const tsl_node *node = graph->nodes[n];
    end = n + 1;
    while (node->group >= 0 && end < graph->num_nodes && graph->nodes[end]->group == node->group) {
      end++;
    }
    char name[160];
    snprintf(name, sizeof(name), "tsl_k%d_%s", lowered->num_funcs, tsl_op_get(node->op)->name);
    for (int m = n + 1; m < end && strlen(name) < 60; m++) {
      strcat(name, "_");
      strcat(name, tsl_op_get(graph->nodes[m]->op)->name);
    }
    sanitise(name);
    tsl_primfunc *func;
    signature sig;
    status = lower_group(graph->nodes + n, end - n, escapes, name, &func, &sig, error);
    if (status) break;
    lowered->funcs[lowered->num_funcs++] = func;
    int args[sig.num_inputs + sig.num_outputs + 1];
    for (int i = 0; i < sig.num_inputs + sig.num_outputs; i++) {
      const tsl_value *value = sig.params[i];
      if (p.tensor_of[value->id] < 0) {
        TSL_CHECK(i >= sig.num_inputs);
        p.tensor_of[value->id] = add_tensor(&p, value->name, &value->type, TSL_STORAGE_WORKSPACE);
      }
      args[i] = p.tensor_of[value->id];
    }
    add_call(&p, name, sig.num_inputs + sig.num_outputs, args);
  }
  free(escapes);
  for (int i = 0; i < graph->num_outputs && !status; i++) {
    if (!copied[i]) continue;
    const tsl_graph_output *output = &graph->outputs[i];
    int index = add_tensor(&p, output->name, &output->value->type, TSL_STORAGE_OUTPUT);
    plan->tensors[index].index = i;
    plan->outputs[i] = index;
    int args[2] = {p.tensor_of[output->value->id], index};
    add_call(&p, NULL, 2, args);
  }
  if (!status) plan_workspace(&p);
  free(copied);
  free(p.tensor_of);
  free(p.first_use);
  free(p.last_use);
  if (status) {
    tsl_lowered_free(lowered);
    return status;
  }
  *out = lowered;
  return TSL_OK;
}

void tsl_lowered_free(tsl_lowered *lowered) {
  if (!lowered) return;
  for (int i = 0; i < lowered->num_funcs; i++) tsl_primfunc_free(lowered->funcs[i]);
  free(lowered->funcs);
  tsl_plan_free(lowered->plan);
  free(lowered->constants);
  free(lowered);
}

/* ---- constants packed by the schedules ----------------------------------------------------- */

/* The constant argument `tensor` of a call whose kernel packed it: the packed data, in the
 * tensor itself when no other call reads it, else in a new tensor the call reads instead. */
static int pack_argument(tsl_lowered *lowered, int tensor, const tsl_packing *packing, int uses,
                         unsigned char **data) {
  tsl_plan *plan = lowered->plan;
  const tsl_plan_tensor *original = &plan->tensors[tensor];
  TSL_CHECK(original->storage == TSL_STORAGE_CONSTANT && original->rank == packing->rank);
  int index = tensor;
  if (uses > 1) {
    plan->tensors =
        realloc(plan->tensors, sizeof(tsl_plan_tensor) * (size_t)(plan->num_tensors + 1));
    TSL_CHECK_ALLOC(plan->tensors);
    original = &plan->tensors[tensor];
    index = plan->num_tensors++;
    plan->tensors[index] = *original;
    plan->tensors[index].name = copy_string(original->name);
  }
  tsl_plan_tensor *packed = &plan->tensors[index];
  packed->rank = packing->num_axes;
  tsl_packing_shape(packing, packed->dims);
  unsigned char *bytes = malloc((size_t)tsl_plan_tensor_bytes(packed) + 1);
  TSL_CHECK_ALLOC(bytes);
  tsl_packing_apply(packing, tsl_dtype_size(packed->dtype), lowered->constants + original->offset,
                    bytes);
  data[index] = bytes;
  return index;
}

void tsl_lower_pack_constants(tsl_lowered *lowered) {
  tsl_plan *plan = lowered->plan;
  bool packs = false;
  for (int f = 0; f < lowered->num_funcs; f++) {
    for (int p = 0; p < lowered->funcs[f]->num_params; p++)
      packs |= lowered->funcs[f]->packing[p] != NULL;
  }
  if (!packs) return;
  /* Tensors may be added: one per packed argument at most. */
  int capacity = plan->num_tensors;
  for (int f = 0; f < lowered->num_funcs; f++) capacity += lowered->funcs[f]->num_params;
  int *uses = calloc((size_t)capacity + 1, sizeof(int));
  unsigned char **data = calloc((size_t)capacity + 1, sizeof(unsigned char *));
  TSL_CHECK_ALLOC(uses && data);
  for (int c = 0; c < plan->num_calls; c++) {
    for (int a = 0; a < plan->calls[c].num_args; a++) uses[plan->calls[c].args[a]]++;
  }
  for (int f = 0; f < lowered->num_funcs; f++) {
    const tsl_primfunc *func = lowered->funcs[f];
    tsl_plan_call *call = &plan->calls[f]; /* a kernel's call has its place */
    TSL_CHECK(call->kernel && strcmp(call->kernel, func->name) == 0);
    for (int p = 0; p < func->num_params; p++) {
      if (!func->packing[p]) continue;
      int tensor = call->args[p];
      int packed = pack_argument(lowered, tensor, func->packing[p], uses[tensor], data);
      if (packed != tensor) {
        uses[tensor]--;
        uses[packed]++;
        call->args[p] = packed;
      }
    }
  }
  /* The constants that calls read, into a new blob; the others go, and the tensors after them
   * move down. */
  int *moved = malloc(sizeof(int) * ((size_t)plan->num_tensors + 1));
  TSL_CHECK_ALLOC(moved);
  int64_t total = 0;
  for (int t = 0; t < plan->num_tensors; t++) {
    const tsl_plan_tensor *tensor = &plan->tensors[t];
    if (tensor->storage == TSL_STORAGE_CONSTANT && uses[t])
      total += align_up(tsl_plan_tensor_bytes(tensor));
  }
  unsigned char *blob = calloc((size_t)total + 1, 1);
  TSL_CHECK_ALLOC(blob);
  int kept = 0;
  total = 0;
  for (int t = 0; t < plan->num_tensors; t++) {
    tsl_plan_tensor tensor = plan->tensors[t];
    if (tensor.storage == TSL_STORAGE_CONSTANT) {
      if (!uses[t]) {
        free(tensor.name);
        free(data[t]);
        moved[t] = -1;
        continue;
      }
      int64_t bytes = tsl_plan_tensor_bytes(&tensor);
      memcpy(blob + total, data[t] ? data[t] : lowered->constants + tensor.offset, (size_t)bytes);
      free(data[t]);
      tensor.offset = total;
      total += align_up(bytes);
    }
    moved[t] = kept;
    plan->tensors[kept++] = tensor;
  }
  plan->num_tensors = kept;
  for (int c = 0; c < plan->num_calls; c++) {
    for (int a = 0; a < plan->calls[c].num_args; a++)
      plan->calls[c].args[a] = moved[plan->calls[c].args[a]];
  }
  for (int i = 0; i < plan->num_inputs; i++) plan->inputs[i] = moved[plan->inputs[i]];
  for (int i = 0; i < plan->num_outputs; i++) plan->outputs[i] = moved[plan->outputs[i]];
  free(lowered->constants);
  lowered->constants = blob;
  plan->constant_bytes = total;
  free(moved);
  free(data);
  free(uses);
}
