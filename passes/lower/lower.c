#include "passes/lower/lower.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"
#include "ir/error.h"
#include "ir/ops/compute.h"
#include "ir/te.h"

enum { ALIGNMENT = 64 };

static int64_t align_up(int64_t bytes) { return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT; }

/* ---- one node ---------------------------------------------------------------------------- */

tsl_status tsl_lower_node(const tsl_node *node, const char *name, tsl_primfunc **out,
                          tsl_error *error) {
  const tsl_op_def *op = tsl_op_get(node->op);
  *out = NULL;
  if (!op->compute_rule) {
    return tsl_fail(error, TSL_ERROR_NOT_IMPLEMENTED,
                    "operator %s has no compute rule yet, so tessel cannot compile it", op->name);
  }
  tsl_primfunc *func = tsl_primfunc_new(name);
  tsl_te_program *program = tsl_te_program_new(func);
  tsl_te_tensor **inputs = TSL_ARENA_ARRAY(func->arena, tsl_te_tensor *, node->num_inputs + 1);
  for (int i = 0; i < node->num_inputs; i++) {
    if (!node->inputs[i]) continue;
    inputs[i] = tsl_te_placeholder(program, tsl_op_input_name(op, i), &node->inputs[i]->type);
  }
  tsl_type *types = TSL_ARENA_ARRAY(func->arena, tsl_type, node->num_outputs + 1);
  for (int i = 0; i < node->num_outputs; i++) types[i] = node->outputs[i]->type;
  tsl_te_tensor **outputs = TSL_ARENA_ARRAY(func->arena, tsl_te_tensor *, node->num_outputs + 1);
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
    return tsl_fail(error, TSL_ERROR_NOT_IMPLEMENTED, "%s", message);
  }
  tsl_te_lower(program, inputs, node->num_inputs, outputs, node->num_outputs);
  tsl_status status = tsl_primfunc_verify(func, error);
  if (status) {
    tsl_primfunc_free(func);
    return status;
  }
  *out = func;
  return TSL_OK;
}

/* ---- the plan ---------------------------------------------------------------------------- */

typedef struct planner {
  const tsl_graph *graph;
  tsl_plan *plan;
  int *tensor_of;    /* by value id: plan tensor, -1 none */
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
  *t = (tsl_plan_tensor){.name = copy_string(name), .dtype = type->dtype, .rank = type->rank,
                         .storage = storage};
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
        bool live_together = p->first_use[i] <= p->last_use[placed[j]] &&
                             p->first_use[placed[j]] <= p->last_use[i];
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

  tsl_status status = TSL_OK;
  for (int n = 0; n < graph->num_nodes && !status; n++) {
    const tsl_node *node = graph->nodes[n];
    char name[160];
    snprintf(name, sizeof(name), "tsl_k%d_%s", n, tsl_op_get(node->op)->name);
    sanitise(name);
    tsl_primfunc *func;
    status = tsl_lower_node(node, name, &func, error);
    if (status) {
      char place[256];
      tsl_error_prefix(error, "%s: ", tsl_node_describe(node, place, sizeof(place)));
      break;
    }
    lowered->funcs[lowered->num_funcs++] = func;
    int args[node->num_inputs + node->num_outputs + 1];
    int count = 0;
    for (int i = 0; i < node->num_inputs; i++) {
      if (node->inputs[i]) args[count++] = p.tensor_of[node->inputs[i]->id];
    }
    for (int i = 0; i < node->num_outputs; i++) {
      const tsl_value *output = node->outputs[i];
      if (p.tensor_of[output->id] < 0) {
        p.tensor_of[output->id] = add_tensor(&p, output->name, &output->type, TSL_STORAGE_WORKSPACE);
      }
      args[count++] = p.tensor_of[output->id];
    }
    add_call(&p, name, count, args);
  }
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
