#include "ir/expr.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "ir/check.h"
#include "ir/scan.h"
#include "ir/tir.h"

static const struct {
  const char *name;
  int arity;
} expr_kinds[] = {
#define X(kind, name, arity) {name, arity},
    TSL_EXPR_KINDS(X)
#undef X
};

static const struct {
  const char *name;
  int arity;
} math_functions[] = {
#define X(name, arity) {#name, arity},
    TSL_MATH_FUNCTIONS(X)
#undef X
};

static const char *const reducer_names[] = {
#define X(kind, name) name,
    TSL_REDUCERS(X)
#undef X
};

const char *tsl_expr_kind_name(tsl_expr_kind kind) { return expr_kinds[kind].name; }
const char *tsl_math_name(tsl_math function) { return math_functions[function].name; }
int tsl_math_arity(tsl_math function) { return math_functions[function].arity; }
const char *tsl_reducer_name(tsl_reducer reducer) { return reducer_names[reducer]; }

/* ---- building ---------------------------------------------------------------------------- */

static tsl_expr *new_expr(tsl_arena *arena, tsl_expr_kind kind, tsl_dtype dtype) {
  tsl_expr *expr = TSL_ARENA_NEW(arena, tsl_expr);
  expr->kind = kind;
  expr->dtype = dtype;
  expr->lanes = 1;
  return expr;
}

tsl_var *tsl_var_new(tsl_arena *arena, const char *name, tsl_dtype dtype, int id) {
  tsl_var *var = TSL_ARENA_NEW(arena, tsl_var);
  var->name = tsl_arena_strdup(arena, name);
  var->dtype = dtype;
  var->id = id;
  return var;
}

tsl_expr *tsl_int(tsl_arena *arena, tsl_dtype dtype, int64_t value) {
  TSL_CHECK(tsl_dtype_is_integer(dtype) || dtype == TSL_DTYPE_BOOL);
  tsl_expr *expr = new_expr(arena, TSL_EXPR_INT, dtype);
  expr->int_value = dtype == TSL_DTYPE_BOOL ? value != 0 : value;
  return expr;
}

tsl_expr *tsl_index(tsl_arena *arena, int64_t value) {
  return tsl_int(arena, TSL_DTYPE_I64, value);
}

tsl_expr *tsl_float(tsl_arena *arena, tsl_dtype dtype, double value) {
  TSL_CHECK(tsl_dtype_is_float(dtype));
  tsl_expr *expr = new_expr(arena, TSL_EXPR_FLOAT, dtype);
  /* An immediate holds a value of its dtype exactly. */
  float narrow;
  if (dtype == TSL_DTYPE_F64) expr->float_value = value;
  else if (dtype == TSL_DTYPE_F32) expr->float_value = (float)value;
  else {
    uint16_t half[1];
    tsl_element_set_f64(dtype, half, 0, value);
    narrow = (float)tsl_element_get_f64(dtype, half, 0);
    expr->float_value = narrow;
  }
  return expr;
}

tsl_expr *tsl_const(tsl_arena *arena, tsl_dtype dtype, double value) {
  if (tsl_dtype_is_float(dtype)) return tsl_float(arena, dtype, value);
  uint64_t bits[1];
  tsl_element_set_f64(dtype, bits, 0, value);
  return tsl_int(arena, dtype, tsl_element_get_i64(dtype, bits, 0));
}

tsl_expr *tsl_var_ref(tsl_arena *arena, tsl_var *var) {
  tsl_expr *expr = new_expr(arena, TSL_EXPR_VAR, var->dtype);
  expr->var = var;
  return expr;
}

bool tsl_expr_is_int(const tsl_expr *expr, int64_t value) {
  return expr->kind == TSL_EXPR_INT && expr->int_value == value;
}

bool tsl_expr_equal(const tsl_expr *a, const tsl_expr *b) {
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind || a->dtype != b->dtype || a->lanes != b->lanes) return false;
  switch (a->kind) {
  case TSL_EXPR_INT: return a->int_value == b->int_value;
  case TSL_EXPR_FLOAT: return memcmp(&a->float_value, &b->float_value, sizeof(double)) == 0;
  case TSL_EXPR_VAR: return a->var == b->var;
  case TSL_EXPR_CALL:
    return a->call.function == b->call.function && tsl_expr_equal(a->call.args[0], b->call.args[0]) &&
           tsl_expr_equal(a->call.args[1], b->call.args[1]);
  case TSL_EXPR_LOAD:
    if (a->load.buffer != b->load.buffer) return false;
    for (int i = 0; i < a->load.num_indices; i++) {
      if (!tsl_expr_equal(a->load.indices[i], b->load.indices[i])) return false;
    }
    return true;
  case TSL_EXPR_REDUCE: return false; /* reductions are never shared or compared */
  default:
    return tsl_expr_equal(a->op.a, b->op.a) && tsl_expr_equal(a->op.b, b->op.b) &&
           tsl_expr_equal(a->op.c, b->op.c);
  }
}

bool tsl_expr_is_const(const tsl_expr *expr) {
  return expr->kind == TSL_EXPR_INT || expr->kind == TSL_EXPR_FLOAT;
}

static bool gives_bool(tsl_expr_kind kind) {
  return (kind >= TSL_EXPR_EQ && kind <= TSL_EXPR_GE) || kind == TSL_EXPR_AND ||
         kind == TSL_EXPR_OR || kind == TSL_EXPR_NOT;
}

/* Index arithmetic on immediates is folded as it is built, so loop bounds and offsets stay
 * readable; the simplifier does the rest. */
static tsl_expr *fold_index(tsl_arena *arena, tsl_expr_kind kind, tsl_expr *a, tsl_expr *b) {
  if (a->dtype != TSL_DTYPE_I64) return NULL;
  if (a->kind == TSL_EXPR_INT && b->kind == TSL_EXPR_INT) {
    int64_t x = a->int_value, y = b->int_value;
    switch (kind) {
    case TSL_EXPR_ADD: return tsl_index(arena, (int64_t)((uint64_t)x + (uint64_t)y));
    case TSL_EXPR_SUB: return tsl_index(arena, (int64_t)((uint64_t)x - (uint64_t)y));
    case TSL_EXPR_MUL: return tsl_index(arena, (int64_t)((uint64_t)x * (uint64_t)y));
    case TSL_EXPR_MIN: return tsl_index(arena, x < y ? x : y);
    case TSL_EXPR_MAX: return tsl_index(arena, x > y ? x : y);
    default: return NULL;
    }
  }
  if ((kind == TSL_EXPR_ADD || kind == TSL_EXPR_SUB) && tsl_expr_is_int(b, 0)) return a;
  if (kind == TSL_EXPR_ADD && tsl_expr_is_int(a, 0)) return b;
  if (kind == TSL_EXPR_MUL && tsl_expr_is_int(b, 1)) return a;
  if (kind == TSL_EXPR_MUL && tsl_expr_is_int(a, 1)) return b;
  if (kind == TSL_EXPR_MUL && (tsl_expr_is_int(a, 0) || tsl_expr_is_int(b, 0))) {
    return tsl_index(arena, 0);
  }
  return NULL;
}

tsl_expr *tsl_binary(tsl_arena *arena, tsl_expr_kind kind, tsl_expr *a, tsl_expr *b) {
  TSL_CHECK(expr_kinds[kind].arity == 2 && a && b);
  TSL_CHECK(a->dtype == b->dtype);
  tsl_expr *folded = fold_index(arena, kind, a, b);
  if (folded) return folded;
  tsl_expr *expr = new_expr(arena, kind, gives_bool(kind) ? TSL_DTYPE_BOOL : a->dtype);
  expr->op.a = a;
  expr->op.b = b;
  return expr;
}

tsl_expr *tsl_unary(tsl_arena *arena, tsl_expr_kind kind, tsl_expr *a) {
  TSL_CHECK(expr_kinds[kind].arity == 1 && kind != TSL_EXPR_CAST && kind != TSL_EXPR_BITCAST);
  tsl_expr *expr = new_expr(arena, kind, gives_bool(kind) ? TSL_DTYPE_BOOL : a->dtype);
  expr->op.a = a;
  return expr;
}

tsl_expr *tsl_select(tsl_arena *arena, tsl_expr *condition, tsl_expr *a, tsl_expr *b) {
  TSL_CHECK(condition->dtype == TSL_DTYPE_BOOL && a->dtype == b->dtype);
  tsl_expr *expr = new_expr(arena, TSL_EXPR_SELECT, a->dtype);
  expr->op.a = condition;
  expr->op.b = a;
  expr->op.c = b;
  return expr;
}

tsl_expr *tsl_cast(tsl_arena *arena, tsl_dtype dtype, tsl_expr *value) {
  if (value->dtype == dtype) return value;
  if (value->kind == TSL_EXPR_INT && tsl_dtype_is_integer(dtype) && dtype == TSL_DTYPE_I64) {
    return tsl_index(arena, value->int_value);
  }
  tsl_expr *expr = new_expr(arena, TSL_EXPR_CAST, dtype);
  expr->op.a = value;
  return expr;
}

tsl_expr *tsl_bitcast(tsl_arena *arena, tsl_dtype dtype, tsl_expr *value) {
  TSL_CHECK(tsl_dtype_size(dtype) == tsl_dtype_size(value->dtype));
  if (value->dtype == dtype) return value;
  tsl_expr *expr = new_expr(arena, TSL_EXPR_BITCAST, dtype);
  expr->op.a = value;
  return expr;
}

tsl_expr *tsl_call(tsl_arena *arena, tsl_math function, tsl_expr *a, tsl_expr *b) {
  TSL_CHECK((tsl_math_arity(function) == 2) == (b != NULL));
  bool predicate = function == TSL_MATH_isnan || function == TSL_MATH_isinf;
  tsl_expr *expr = new_expr(arena, TSL_EXPR_CALL, predicate ? TSL_DTYPE_BOOL : a->dtype);
  expr->call.function = function;
  expr->call.args[0] = a;
  expr->call.args[1] = b;
  return expr;
}

tsl_expr *tsl_load(tsl_arena *arena, tsl_buffer *buffer, int num_indices,
                   tsl_expr *const *indices) {
  TSL_CHECK(num_indices == buffer->rank);
  tsl_expr *expr = new_expr(arena, TSL_EXPR_LOAD, buffer->dtype);
  expr->load.buffer = buffer;
  expr->load.num_indices = num_indices;
  expr->load.indices = tsl_arena_memdup(arena, indices, sizeof(tsl_expr *) * (size_t)num_indices);
  return expr;
}

tsl_expr *tsl_reduce(tsl_arena *arena, tsl_reducer reducer, tsl_expr *source, int num_axes,
                     const tsl_iter *axes, tsl_expr *condition) {
  tsl_expr *expr = new_expr(arena, TSL_EXPR_REDUCE, source->dtype);
  expr->reduce.reducer = reducer;
  expr->reduce.source = source;
  expr->reduce.num_axes = num_axes;
  expr->reduce.axes = tsl_arena_memdup(arena, axes, sizeof(tsl_iter) * (size_t)num_axes);
  expr->reduce.condition = condition;
  return expr;
}

static double lowest(tsl_dtype dtype) {
  switch (dtype) {
  case TSL_DTYPE_F32:
  case TSL_DTYPE_F16:
  case TSL_DTYPE_BF16:
  case TSL_DTYPE_F64: return -INFINITY;
  case TSL_DTYPE_I8: return INT8_MIN;
  case TSL_DTYPE_I16: return INT16_MIN;
  case TSL_DTYPE_I32: return INT32_MIN;
  case TSL_DTYPE_I64: return (double)INT64_MIN;
  default: return 0; /* unsigned and bool */
  }
}

tsl_expr *tsl_reducer_identity(tsl_arena *arena, tsl_reducer reducer, tsl_dtype dtype) {
  switch (reducer) {
  case TSL_REDUCE_SUM: return tsl_const(arena, dtype, 0);
  case TSL_REDUCE_PROD: return tsl_const(arena, dtype, 1);
  case TSL_REDUCE_MAX:
    if (dtype == TSL_DTYPE_I64) return tsl_int(arena, dtype, INT64_MIN);
    return tsl_const(arena, dtype, lowest(dtype));
  case TSL_REDUCE_MIN:
    if (tsl_dtype_is_float(dtype)) return tsl_const(arena, dtype, INFINITY);
    if (dtype == TSL_DTYPE_BOOL) return tsl_int(arena, dtype, 1);
    {
      /* The largest value: all ones below the sign bit, or all ones for unsigned types. */
      uint64_t all = tsl_dtype_size(dtype) == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * tsl_dtype_size(dtype))) - 1;
      int64_t highest = tsl_dtype_is_signed(dtype) ? (int64_t)(all >> 1) : (int64_t)all;
      return tsl_int(arena, dtype, highest);
    }
  }
  TSL_UNREACHABLE();
}

tsl_expr *tsl_reducer_combine(tsl_arena *arena, tsl_reducer reducer, tsl_expr *a, tsl_expr *b) {
  switch (reducer) {
  case TSL_REDUCE_SUM: return tsl_binary(arena, TSL_EXPR_ADD, a, b);
  case TSL_REDUCE_PROD: return tsl_binary(arena, TSL_EXPR_MUL, a, b);
  case TSL_REDUCE_MAX: return tsl_binary(arena, TSL_EXPR_MAX, a, b);
  case TSL_REDUCE_MIN: return tsl_binary(arena, TSL_EXPR_MIN, a, b);
  }
  TSL_UNREACHABLE();
}

/* ---- reading ----------------------------------------------------------------------------- */

static void print_immediate(tsl_text *out, const tsl_expr *expr) {
  if (expr->kind == TSL_EXPR_INT && expr->dtype == TSL_DTYPE_I64) {
    tsl_text_printf(out, "%lld", (long long)expr->int_value);
    return;
  }
  tsl_text_printf(out, "%s(", tsl_dtype_name(expr->dtype));
  if (expr->kind == TSL_EXPR_INT) {
    if (expr->dtype == TSL_DTYPE_U64) tsl_text_printf(out, "%llu", (unsigned long long)expr->int_value);
    else tsl_text_printf(out, "%lld", (long long)expr->int_value);
  } else {
    tsl_print_real(out, expr->float_value, expr->dtype != TSL_DTYPE_F64);
  }
  tsl_text_puts(out, ")");
}

void tsl_expr_print(tsl_text *out, const tsl_expr *expr) {
  switch (expr->kind) {
  case TSL_EXPR_INT:
  case TSL_EXPR_FLOAT: print_immediate(out, expr); return;
  case TSL_EXPR_VAR: tsl_text_printf(out, "%%%s", expr->var->name); return;
  case TSL_EXPR_SELECT:
    tsl_text_puts(out, "select(");
    tsl_expr_print(out, expr->op.a);
    tsl_text_puts(out, ", ");
    tsl_expr_print(out, expr->op.b);
    tsl_text_puts(out, ", ");
    tsl_expr_print(out, expr->op.c);
    tsl_text_puts(out, ")");
    return;
  case TSL_EXPR_CAST:
  case TSL_EXPR_BITCAST:
    tsl_text_printf(out, "%s%s(", expr->kind == TSL_EXPR_BITCAST ? "bitcast " : "",
                    tsl_dtype_name(expr->dtype));
    tsl_expr_print(out, expr->op.a);
    tsl_text_puts(out, ")");
    return;
  case TSL_EXPR_CALL:
    tsl_text_printf(out, "%s(", tsl_math_name(expr->call.function));
    tsl_expr_print(out, expr->call.args[0]);
    if (expr->call.args[1]) {
      tsl_text_puts(out, ", ");
      tsl_expr_print(out, expr->call.args[1]);
    }
    tsl_text_puts(out, ")");
    return;
  case TSL_EXPR_LOAD:
    tsl_text_printf(out, "%%%s[", expr->load.buffer->name);
    for (int i = 0; i < expr->load.num_indices; i++) {
      if (i) tsl_text_puts(out, ", ");
      tsl_expr_print(out, expr->load.indices[i]);
    }
    tsl_text_puts(out, "]");
    return;
  case TSL_EXPR_REDUCE:
    tsl_text_printf(out, "%s(", tsl_reducer_name(expr->reduce.reducer));
    tsl_expr_print(out, expr->reduce.source);
    tsl_text_puts(out, " over");
    for (int i = 0; i < expr->reduce.num_axes; i++) {
      const tsl_iter *axis = &expr->reduce.axes[i];
      tsl_text_printf(out, "%s %%%s in %lld..%lld", i ? "," : "", axis->var->name,
                      (long long)axis->min, (long long)(axis->min + axis->extent));
    }
    if (expr->reduce.condition) {
      tsl_text_puts(out, " where ");
      tsl_expr_print(out, expr->reduce.condition);
    }
    tsl_text_puts(out, ")");
    return;
  default: break;
  }
  const char *name = expr_kinds[expr->kind].name;
  if (expr_kinds[expr->kind].arity == 1) {
    tsl_text_printf(out, "%s(", name);
    tsl_expr_print(out, expr->op.a);
    tsl_text_puts(out, ")");
  } else if (expr->kind == TSL_EXPR_MIN || expr->kind == TSL_EXPR_MAX ||
             expr->kind == TSL_EXPR_MOD) {
    tsl_text_printf(out, "%s(", name);
    tsl_expr_print(out, expr->op.a);
    tsl_text_puts(out, ", ");
    tsl_expr_print(out, expr->op.b);
    tsl_text_puts(out, ")");
  } else {
    tsl_text_puts(out, "(");
    tsl_expr_print(out, expr->op.a);
    tsl_text_printf(out, " %s ", name);
    tsl_expr_print(out, expr->op.b);
    tsl_text_puts(out, ")");
  }
}

void tsl_expr_walk(const tsl_expr *expr, tsl_expr_visit visit, void *context) {
  switch (expr->kind) {
  case TSL_EXPR_INT:
  case TSL_EXPR_FLOAT:
  case TSL_EXPR_VAR: break;
  case TSL_EXPR_CALL:
    for (int i = 0; i < 2 && expr->call.args[i]; i++) tsl_expr_walk(expr->call.args[i], visit, context);
    break;
  case TSL_EXPR_LOAD:
    for (int i = 0; i < expr->load.num_indices; i++) tsl_expr_walk(expr->load.indices[i], visit, context);
    break;
  case TSL_EXPR_REDUCE:
    tsl_expr_walk(expr->reduce.source, visit, context);
    if (expr->reduce.condition) tsl_expr_walk(expr->reduce.condition, visit, context);
    break;
  default:
    if (expr->op.a) tsl_expr_walk(expr->op.a, visit, context);
    if (expr->op.b) tsl_expr_walk(expr->op.b, visit, context);
    if (expr->op.c) tsl_expr_walk(expr->op.c, visit, context);
    break;
  }
  visit(expr, context);
}

tsl_expr *tsl_expr_rewrite(tsl_arena *arena, tsl_expr *expr, const tsl_expr_rewriter *rewriter) {
  switch (expr->kind) {
  case TSL_EXPR_INT:
  case TSL_EXPR_FLOAT: return expr;
  case TSL_EXPR_VAR: {
    tsl_expr *replacement = rewriter->var ? rewriter->var(expr->var, rewriter->context) : NULL;
    return replacement ? replacement : expr;
  }
  case TSL_EXPR_CALL: {
    tsl_expr *a = tsl_expr_rewrite(arena, expr->call.args[0], rewriter);
    tsl_expr *b = expr->call.args[1]
                      ? tsl_expr_rewrite(arena, expr->call.args[1], rewriter)
                      : NULL;
    if (a == expr->call.args[0] && b == expr->call.args[1]) return expr;
    return tsl_call(arena, expr->call.function, a, b);
  }
  case TSL_EXPR_LOAD: {
    int count = expr->load.num_indices;
    tsl_expr *indices[TSL_MAX_RANK];
    bool changed = false;
    for (int i = 0; i < count; i++) {
      indices[i] = tsl_expr_rewrite(arena, expr->load.indices[i], rewriter);
      changed |= indices[i] != expr->load.indices[i];
    }
    tsl_expr *load = changed ? tsl_load(arena, expr->load.buffer, count, indices) : expr;
    tsl_expr *replacement = rewriter->load ? rewriter->load(load, rewriter->context) : NULL;
    return replacement ? replacement : load;
  }
  case TSL_EXPR_REDUCE: {
    tsl_expr *source = tsl_expr_rewrite(arena, expr->reduce.source, rewriter);
    tsl_expr *condition = expr->reduce.condition ? tsl_expr_rewrite(arena, expr->reduce.condition, rewriter) : NULL;
    if (source == expr->reduce.source && condition == expr->reduce.condition) return expr;
    return tsl_reduce(arena, expr->reduce.reducer, source, expr->reduce.num_axes,
                      expr->reduce.axes, condition);
  }
  default: break;
  }
  tsl_expr *a = expr->op.a ? tsl_expr_rewrite(arena, expr->op.a, rewriter) : NULL;
  tsl_expr *b = expr->op.b ? tsl_expr_rewrite(arena, expr->op.b, rewriter) : NULL;
  tsl_expr *c = expr->op.c ? tsl_expr_rewrite(arena, expr->op.c, rewriter) : NULL;
  if (a == expr->op.a && b == expr->op.b && c == expr->op.c) return expr;
  switch (expr->kind) {
  case TSL_EXPR_SELECT: return tsl_select(arena, a, b, c);
  case TSL_EXPR_CAST: return tsl_cast(arena, expr->dtype, a);
  case TSL_EXPR_BITCAST: return tsl_bitcast(arena, expr->dtype, a);
  default:
    return expr_kinds[expr->kind].arity == 1 ? tsl_unary(arena, expr->kind, a)
                                             : tsl_binary(arena, expr->kind, a, b);
  }
}

tsl_expr *tsl_expr_substitute(tsl_arena *arena, tsl_expr *expr, tsl_var_substitute substitute,
                              void *context) {
  tsl_expr_rewriter rewriter = {substitute, NULL, context};
  return tsl_expr_rewrite(arena, expr, &rewriter);
}

/* What tsl_expr_uses_var and tsl_expr_loads look for: a variable or a buffer. */
typedef struct search {
  const void *target;
  tsl_expr_kind kind;
  bool found;
} search;

static void find(const tsl_expr *expr, void *context) {
  search *s = context;
  if (expr->kind != s->kind) return;
  const void *seen = expr->kind == TSL_EXPR_VAR ? (const void *)expr->var : (const void *)expr->load.buffer;
  if (seen == s->target) s->found = true;
}

bool tsl_expr_uses_var(const tsl_expr *expr, const tsl_var *var) {
  search s = {var, TSL_EXPR_VAR, false};
  tsl_expr_walk(expr, find, &s);
  return s.found;
}

bool tsl_expr_loads(const tsl_expr *expr, const struct tsl_buffer *buffer) {
  search s = {buffer, TSL_EXPR_LOAD, false};
  tsl_expr_walk(expr, find, &s);
  return s.found;
}
