/* The TIR verifier: what code generators and schedules rely on. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"
#include "ir/error.h"
#include "ir/tir.h"

typedef struct verifier {
  const tsl_primfunc *func;
  bool *bound;      /* by variable id: in scope here */
  bool *available;  /* by buffer id: a parameter or allocated around here */
  tsl_error *error;
  const char *where; /* the innermost block's name */
} verifier;

static bool fail(verifier *v, const char *format, ...) __attribute__((format(printf, 2, 3)));

static bool fail(verifier *v, const char *format, ...) {
  char message[1024];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  tsl_fail(v->error, TSL_ERROR_INTERNAL, "func \"%s\"%s%s%s: %s", v->func->name,
           v->where ? ", block \"" : "", v->where ? v->where : "", v->where ? "\"" : "", message);
  return false;
}

static bool check_expr(verifier *v, const tsl_expr *expr);

static bool check_access(verifier *v, const tsl_buffer *buffer, int count,
                         tsl_expr *const *indices) {
  if (buffer->id >= v->func->num_ids || !v->available[buffer->id]) {
    return fail(v, "buffer %%%s is neither a parameter nor allocated here", buffer->name);
  }
  if (count != buffer->rank) {
    return fail(v, "%%%s has rank %d but is indexed with %d indices", buffer->name, buffer->rank,
                count);
  }
  for (int i = 0; i < count; i++) {
    if (!check_expr(v, indices[i])) return false;
    if (indices[i]->dtype != TSL_DTYPE_I64) {
      return fail(v, "index %d of %%%s is %s, not i64", i, buffer->name,
                  tsl_dtype_name(indices[i]->dtype));
    }
  }
  return true;
}

static bool check_expr(verifier *v, const tsl_expr *expr) {
  switch (expr->kind) {
  case TSL_EXPR_INT:
  case TSL_EXPR_FLOAT: return true;
  case TSL_EXPR_VAR:
    if (expr->var->id >= v->func->num_ids || !v->bound[expr->var->id]) {
      return fail(v, "variable %%%s is used where nothing binds it", expr->var->name);
    }
    return true;
  case TSL_EXPR_REDUCE: return fail(v, "a reduction expression is left in TIR");
  case TSL_EXPR_LOAD:
    return check_access(v, expr->load.buffer, expr->load.num_indices, expr->load.indices);
  case TSL_EXPR_CALL:
    return check_expr(v, expr->call.args[0]) &&
           (!expr->call.args[1] || check_expr(v, expr->call.args[1]));
  default:
    return (!expr->op.a || check_expr(v, expr->op.a)) && (!expr->op.b || check_expr(v, expr->op.b)) &&
           (!expr->op.c || check_expr(v, expr->op.c));
  }
}

static bool check_stmt(verifier *v, const tsl_stmt *stmt);

/* Strides lay the axes out without overlap (each at least the span of the axes inside it, the
 * last at least 1), and the span stays within TSL_MAX_ELEMENTS, so sizes and offsets computed
 * from them do not overflow. Divisions keep the comparisons themselves from overflowing. */
static bool check_layout(verifier *v, const tsl_buffer *buffer) {
  int last = buffer->rank - 1;
  if (last < 0) return true;
  bool ok = buffer->strides[last] >= 1;
  for (int axis = 0; axis < last && ok; axis++) {
    int64_t inner = buffer->shape[axis + 1];
    ok = buffer->strides[axis] >= 0 &&
         (inner == 0 || buffer->strides[axis] / inner >= buffer->strides[axis + 1]);
  }
  if (!ok) return fail(v, "the strides of %%%s overlap its axes", buffer->name);
  if (buffer->shape[0] && buffer->strides[0] > TSL_MAX_ELEMENTS / buffer->shape[0])
    return fail(v, "the strides of %%%s span too many elements", buffer->name);
  return true;
}

static bool check_block(verifier *v, const tsl_stmt *stmt) {
  const char *outer = v->where;
  for (int i = 0; i < stmt->block.num_iters; i++) {
    const tsl_block_iter *iter = &stmt->block.iters[i];
    if (!check_expr(v, iter->binding)) return false;
    if (iter->extent < 0) return fail(v, "iteration variable %%%s has a negative extent", iter->var->name);
  }
  const tsl_expr *predicate = stmt->block.predicate;
  if (predicate && !check_expr(v, predicate)) return false;
  if (predicate && predicate->dtype != TSL_DTYPE_BOOL)
    return fail(v, "block \"%s\" has a %s predicate", stmt->block.name,
                tsl_dtype_name(predicate->dtype));
  for (int i = 0; i < stmt->block.num_iters; i++) v->bound[stmt->block.iters[i].var->id] = true;
  v->where = stmt->block.name;
  bool ok = (!stmt->block.init || check_stmt(v, stmt->block.init)) && check_stmt(v, stmt->block.body);
  for (int i = 0; i < stmt->block.num_iters; i++) v->bound[stmt->block.iters[i].var->id] = false;
  v->where = outer;
  return ok;
}

static bool check_stmt(verifier *v, const tsl_stmt *stmt) {
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) {
      if (!check_stmt(v, stmt->seq.items[i])) return false;
    }
    return true;
  case TSL_STMT_FOR: {
    if (!check_expr(v, stmt->loop.min) || !check_expr(v, stmt->loop.extent)) return false;
    if (v->bound[stmt->loop.var->id]) return fail(v, "loop variable %%%s is bound twice", stmt->loop.var->name);
    v->bound[stmt->loop.var->id] = true;
    bool ok = check_stmt(v, stmt->loop.body);
    v->bound[stmt->loop.var->id] = false;
    return ok;
  }
  case TSL_STMT_BLOCK: return check_block(v, stmt);
  case TSL_STMT_STORE:
    if (!check_access(v, stmt->store.buffer, stmt->store.num_indices, stmt->store.indices) ||
        !check_expr(v, stmt->store.value)) {
      return false;
    }
    if (stmt->store.value->dtype != stmt->store.buffer->dtype) {
      return fail(v, "a %s value is stored into %%%s of %s", tsl_dtype_name(stmt->store.value->dtype),
                  stmt->store.buffer->name, tsl_dtype_name(stmt->store.buffer->dtype));
    }
    return true;
  case TSL_STMT_IF:
    return check_expr(v, stmt->branch.condition) && check_stmt(v, stmt->branch.then) &&
           (!stmt->branch.otherwise || check_stmt(v, stmt->branch.otherwise));
  case TSL_STMT_ALLOC: {
    if (!check_layout(v, stmt->alloc.buffer)) return false;
    v->available[stmt->alloc.buffer->id] = true;
    bool ok = check_stmt(v, stmt->alloc.body);
    v->available[stmt->alloc.buffer->id] = false;
    return ok;
  }
  case TSL_STMT_EVAL: return check_expr(v, stmt->eval.value);
  }
  TSL_UNREACHABLE();
}

tsl_status tsl_primfunc_verify(const tsl_primfunc *func, tsl_error *error) {
  verifier v = {
      .func = func,
      .bound = calloc((size_t)func->num_ids + 1, sizeof(bool)),
      .available = calloc((size_t)func->num_ids + 1, sizeof(bool)),
      .error = error,
  };
  TSL_CHECK_ALLOC(v.bound && v.available);
  bool ok = true;
  for (int i = 0; i < func->num_params && ok; i++) {
    v.available[func->params[i]->id] = true;
    ok = check_layout(&v, func->params[i]);
  }
  ok = ok && (!func->body || check_stmt(&v, func->body));
  free(v.bound);
  free(v.available);
  return ok ? TSL_OK : error->status;
}
