#include "ir/te.h"

#include <stdio.h>
#include <string.h>

#include "ir/check.h"

tsl_te_program *tsl_te_program_new(tsl_primfunc *func) {
  tsl_te_program *program = TSL_ARENA_NEW(func->arena, tsl_te_program);
  program->func = func;
  return program;
}

static tsl_te_tensor *add_tensor(tsl_te_program *program, tsl_te_kind kind, const char *name,
                                 const tsl_type *type) {
  tsl_arena *arena = program->func->arena;
  tsl_te_tensor *tensor = TSL_ARENA_NEW(arena, tsl_te_tensor);
  tensor->kind = kind;
  tensor->type = *type;
  tensor->buffer = tsl_primfunc_buffer(program->func, name, type, TSL_SCOPE_GLOBAL);
  TSL_ARENA_PUSH(arena, program->tensors, program->count, program->capacity, tensor);
  return tensor;
}

tsl_te_tensor *tsl_te_placeholder(tsl_te_program *program, const char *name, const tsl_type *type) {
  return add_tensor(program, TSL_TE_PLACEHOLDER, name, type);
}

tsl_te_tensor *tsl_te_compute(tsl_te_program *program, const char *name, const tsl_type *type) {
  tsl_te_tensor *tensor = add_tensor(program, TSL_TE_COMPUTE, name, type);
  tensor->axes = TSL_ARENA_ARRAY(program->func->arena, tsl_iter, type->rank + 1);
  for (int axis = 0; axis < type->rank; axis++) {
    char var_name[32];
    snprintf(var_name, sizeof(var_name), "v%d", axis);
    tensor->axes[axis] = (tsl_iter){
        .var = tsl_primfunc_var(program->func, var_name, TSL_DTYPE_I64),
        .min = 0,
        .extent = type->dims[axis],
    };
  }
  return tensor;
}

tsl_te_tensor *tsl_te_extern(tsl_te_program *program, const char *name, const tsl_type *type) {
  return add_tensor(program, TSL_TE_EXTERN, name, type);
}

tsl_expr *tsl_te_read(tsl_te_program *program, const tsl_te_tensor *tensor,
                      tsl_expr *const *indices) {
  return tsl_load(program->func->arena, tensor->buffer, tensor->type.rank, indices);
}

tsl_expr *tsl_te_axis(tsl_te_program *program, const tsl_te_tensor *tensor, int axis) {
  TSL_CHECK(tensor->kind == TSL_TE_COMPUTE && axis < tensor->type.rank);
  return tsl_var_ref(program->func->arena, tensor->axes[axis].var);
}

tsl_iter tsl_te_reduce_axis(tsl_te_program *program, const char *name, int64_t extent) {
  return (tsl_iter){
      .var = tsl_primfunc_var(program->func, name, TSL_DTYPE_I64), .min = 0, .extent = extent};
}

/* ---- inlining --------------------------------------------------------------------------- */

bool tsl_te_reads(const tsl_te_tensor *reader, const tsl_te_tensor *tensor) {
  return reader->kind == TSL_TE_COMPUTE && tsl_expr_loads(reader->body, tensor->buffer);
}

typedef struct inliner {
  tsl_te_program *program;
  const tsl_te_tensor *tensor;
  tsl_expr *const *indices; /* of the load being replaced */
} inliner;

static tsl_expr *axis_to_index(const tsl_var *var, void *context) {
  const inliner *in = context;
  for (int axis = 0; axis < in->tensor->type.rank; axis++) {
    if (in->tensor->axes[axis].var == var) return in->indices[axis];
  }
  return NULL;
}

static tsl_expr *replace_load(tsl_expr *load, void *context) {
  inliner *in = context;
  if (load->load.buffer != in->tensor->buffer) return NULL;
  in->indices = load->load.indices;
  return tsl_expr_substitute(in->program->func->arena, in->tensor->body, axis_to_index, in);
}

void tsl_te_inline(tsl_te_program *program, tsl_te_tensor *tensor) {
  TSL_CHECK(tensor->kind == TSL_TE_COMPUTE && tensor->body->kind != TSL_EXPR_REDUCE);
  int position = 0;
  while (program->tensors[position] != tensor) position++;
  inliner in = {.program = program, .tensor = tensor};
  tsl_expr_rewriter rewriter = {.load = replace_load, .context = &in};
  for (int i = position + 1; i < program->count; i++) {
    tsl_te_tensor *reader = program->tensors[i];
    if (reader->kind != TSL_TE_COMPUTE || !tsl_te_reads(reader, tensor)) continue;
    reader->body = tsl_expr_rewrite(program->func->arena, reader->body, &rewriter);
  }
  tensor->inlined = true;
}

/* ---- lowering ---------------------------------------------------------------------------- */

/* One loop per iteration variable, outermost first, each binding a block variable. */
static tsl_stmt *loop_nest(tsl_te_program *program, const tsl_block_iter *iters, int count,
                           tsl_stmt *innermost) {
  tsl_stmt *body = innermost;
  for (int i = count - 1; i >= 0; i--) {
    tsl_var *loop_var = iters[i].binding->var;
    body = tsl_for(program->func->arena, loop_var, tsl_index(program->func->arena, iters[i].min),
                   tsl_index(program->func->arena, iters[i].extent), TSL_LOOP_SERIAL, body);
  }
  return body;
}

static tsl_block_iter block_iter(tsl_te_program *program, const tsl_iter *iter,
                                 tsl_iter_kind kind) {
  char name[64];
  snprintf(name, sizeof(name), "%c%s", kind == TSL_ITER_SPATIAL ? 'i' : 'k', iter->var->name + 1);
  tsl_var *loop_var = tsl_primfunc_var(program->func, name, TSL_DTYPE_I64);
  return (tsl_block_iter){
      .var = iter->var,
      .min = iter->min,
      .extent = iter->extent,
      .kind = kind,
      .binding = tsl_var_ref(program->func->arena, loop_var),
  };
}

/* A compute: loops over its axes (and reduction axes, innermost) around one block whose
 * iteration variables are the tensor's own axis variables. */
static tsl_stmt *lower_compute(tsl_te_program *program, tsl_te_tensor *tensor) {
  tsl_arena *arena = program->func->arena;
  const tsl_expr *reduce = tensor->body->kind == TSL_EXPR_REDUCE ? tensor->body : NULL;
  tsl_expr *value = tensor->body;
  /* Reducing nothing gives the reducer's identity: a block whose reduction loops never run
   * would never run its init either. */
  for (int i = 0; reduce && i < reduce->reduce.num_axes; i++) {
    if (reduce->reduce.axes[i].extent != 0) continue;
    value = tsl_reducer_identity(arena, reduce->reduce.reducer, tensor->type.dtype);
    reduce = NULL;
  }
  int rank = tensor->type.rank, reduce_axes = reduce ? reduce->reduce.num_axes : 0;
  tsl_block_iter *iters = TSL_ARENA_ARRAY(arena, tsl_block_iter, rank + reduce_axes + 1);
  tsl_expr *indices[TSL_MAX_RANK];
  for (int axis = 0; axis < rank; axis++) {
    iters[axis] = block_iter(program, &tensor->axes[axis], TSL_ITER_SPATIAL);
    indices[axis] = tsl_var_ref(arena, tensor->axes[axis].var);
  }
  for (int i = 0; i < reduce_axes; i++) {
    iters[rank + i] = block_iter(program, &reduce->reduce.axes[i], TSL_ITER_REDUCE);
  }
  tsl_stmt *init = NULL, *body;
  if (reduce) {
    tsl_reducer reducer = reduce->reduce.reducer;
    init = tsl_store(arena, tensor->buffer, rank, indices,
                     tsl_reducer_identity(arena, reducer, tensor->type.dtype));
    tsl_expr *current = tsl_load(arena, tensor->buffer, rank, indices);
    body = tsl_store(arena, tensor->buffer, rank, indices,
                     tsl_reducer_combine(arena, reducer, current, reduce->reduce.source));
    if (reduce->reduce.condition) body = tsl_if(arena, reduce->reduce.condition, body, NULL);
  } else {
    body = tsl_store(arena, tensor->buffer, rank, indices, value);
  }
  tsl_stmt *block = tsl_block(arena, tensor->buffer->name, rank + reduce_axes, iters, init, body);
  return loop_nest(program, iters, rank + reduce_axes, block);
}

static bool listed(tsl_te_tensor *const *tensors, int count, const tsl_te_tensor *tensor) {
  for (int i = 0; i < count; i++) {
    if (tensors[i] == tensor) return true;
  }
  return false;
}

typedef struct order_check {
  tsl_te_program *program;
  int position; /* the reading tensor's */
} order_check;

static void check_producer(const tsl_expr *expr, void *context) {
  const order_check *check = context;
  if (expr->kind != TSL_EXPR_LOAD) return;
  for (int i = 0; i < check->program->count; i++) {
    if (check->program->tensors[i]->buffer == expr->load.buffer) {
      TSL_CHECK(i < check->position); /* a rule made a consumer before its producer */
      return;
    }
  }
}

void tsl_te_lower(tsl_te_program *program, tsl_te_tensor *const *inputs, int num_inputs,
                  tsl_te_tensor *const *outputs, int num_outputs) {
  tsl_primfunc *func = program->func;
  tsl_arena *arena = func->arena;
  for (int i = 0; i < num_inputs; i++) {
    if (inputs[i]) tsl_primfunc_add_param(func, inputs[i]->buffer, false);
  }
  for (int i = 0; i < num_outputs; i++) tsl_primfunc_add_param(func, outputs[i]->buffer, true);
  tsl_stmt **steps = TSL_ARENA_ARRAY(arena, tsl_stmt *, program->count + 1);
  int count = 0;
  for (int i = 0; i < program->count; i++) {
    tsl_te_tensor *tensor = program->tensors[i];
    if (tensor->inlined) continue;
    if (tensor->kind == TSL_TE_COMPUTE) {
      tsl_expr_walk(tensor->body, check_producer, &(order_check){program, i});
      steps[count++] = lower_compute(program, tensor);
    } else if (tensor->kind == TSL_TE_EXTERN)
      steps[count++] = tensor->statement;
  }
  tsl_stmt *body = count ? tsl_seq(arena, count, steps) : tsl_seq(arena, 0, NULL);
  /* Tensors that are neither inputs nor outputs are scratch the function allocates. */
  for (int i = program->count - 1; i >= 0; i--) {
    tsl_te_tensor *tensor = program->tensors[i];
    if (tensor->kind != TSL_TE_PLACEHOLDER && !tensor->inlined &&
        !listed(outputs, num_outputs, tensor)) {
      body = tsl_alloc(arena, tensor->buffer, body);
    }
  }
  func->body = body;
}
