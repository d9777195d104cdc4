#include "ir/arith.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"

static const tsl_interval everything = {INT64_MIN, INT64_MAX};

void tsl_ranges_set(tsl_ranges *ranges, const tsl_var *var, int64_t min, int64_t max) {
  if (var->id >= ranges->capacity) {
    int capacity = ranges->capacity ? ranges->capacity : 64;
    while (capacity <= var->id) capacity *= 2;
    ranges->by_id = realloc(ranges->by_id, sizeof(tsl_interval) * (size_t)capacity);
    ranges->known = realloc(ranges->known, sizeof(bool) * (size_t)capacity);
    TSL_CHECK_ALLOC(ranges->by_id && ranges->known);
    memset(ranges->known + ranges->capacity, 0, sizeof(bool) * (size_t)(capacity - ranges->capacity));
    ranges->capacity = capacity;
  }
  ranges->by_id[var->id] = (tsl_interval){min, max};
  ranges->known[var->id] = true;
}

void tsl_ranges_forget(tsl_ranges *ranges, const tsl_var *var) {
  if (var->id < ranges->capacity) ranges->known[var->id] = false;
}

void tsl_ranges_free(tsl_ranges *ranges) {
  free(ranges->by_id);
  free(ranges->known);
  *ranges = (tsl_ranges){0};
}

bool tsl_interval_is_point(tsl_interval interval) {
  return interval.min == interval.max && interval.min != INT64_MIN;
}

static bool bounded(tsl_interval i) { return i.min != INT64_MIN && i.max != INT64_MAX; }

/* a + b and a * b on the interval ends, unbounded when they could overflow. */
static int64_t add_end(int64_t a, int64_t b, int64_t overflow) {
  int64_t sum;
  return __builtin_add_overflow(a, b, &sum) ? overflow : sum;
}

static tsl_interval add(tsl_interval a, tsl_interval b) {
  if (!bounded(a) || !bounded(b)) return everything;
  return (tsl_interval){add_end(a.min, b.min, INT64_MIN), add_end(a.max, b.max, INT64_MAX)};
}

static tsl_interval negate(tsl_interval a) {
  if (!bounded(a) || a.min == INT64_MIN) return everything;
  return (tsl_interval){-a.max, -a.min};
}

static tsl_interval multiply(tsl_interval a, tsl_interval b) {
  if (!bounded(a) || !bounded(b)) return everything;
  int64_t corners[4];
  int64_t pairs[4][2] = {{a.min, b.min}, {a.min, b.max}, {a.max, b.min}, {a.max, b.max}};
  for (int i = 0; i < 4; i++) {
    if (__builtin_mul_overflow(pairs[i][0], pairs[i][1], &corners[i])) return everything;
  }
  tsl_interval out = {corners[0], corners[0]};
  for (int i = 1; i < 4; i++) {
    if (corners[i] < out.min) out.min = corners[i];
    if (corners[i] > out.max) out.max = corners[i];
  }
  return out;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

tsl_interval tsl_bounds(const tsl_expr *expr, const tsl_ranges *ranges) {
  if (!tsl_dtype_is_integer(expr->dtype) && expr->dtype != TSL_DTYPE_BOOL) return everything;
  switch (expr->kind) {
  case TSL_EXPR_INT: return (tsl_interval){expr->int_value, expr->int_value};
  case TSL_EXPR_VAR: {
    int id = expr->var->id;
    if (ranges && id < ranges->capacity && ranges->known[id]) return ranges->by_id[id];
    return everything;
  }
  case TSL_EXPR_ADD: return add(tsl_bounds(expr->op.a, ranges), tsl_bounds(expr->op.b, ranges));
  case TSL_EXPR_SUB:
    return add(tsl_bounds(expr->op.a, ranges), negate(tsl_bounds(expr->op.b, ranges)));
  case TSL_EXPR_MUL:
    return multiply(tsl_bounds(expr->op.a, ranges), tsl_bounds(expr->op.b, ranges));
  case TSL_EXPR_FLOOR_DIV: {
    tsl_interval a = tsl_bounds(expr->op.a, ranges), b = tsl_bounds(expr->op.b, ranges);
    if (!bounded(a) || !tsl_interval_is_point(b) || b.min <= 0) return everything;
    return (tsl_interval){floor_div(a.min, b.min), floor_div(a.max, b.min)};
  }
  case TSL_EXPR_FLOOR_MOD: {
    tsl_interval b = tsl_bounds(expr->op.b, ranges);
    if (!tsl_interval_is_point(b) || b.min <= 0) return everything;
    tsl_interval a = tsl_bounds(expr->op.a, ranges);
    if (bounded(a) && floor_div(a.min, b.min) == floor_div(a.max, b.min)) {
      return (tsl_interval){a.min - floor_div(a.min, b.min) * b.min,
                            a.max - floor_div(a.min, b.min) * b.min};
    }
    return (tsl_interval){0, b.min - 1};
  }
  case TSL_EXPR_MIN:
  case TSL_EXPR_MAX: {
    tsl_interval a = tsl_bounds(expr->op.a, ranges), b = tsl_bounds(expr->op.b, ranges);
    if (expr->kind == TSL_EXPR_MIN) {
      return (tsl_interval){a.min < b.min ? a.min : b.min, a.max < b.max ? a.max : b.max};
    }
    return (tsl_interval){a.min > b.min ? a.min : b.min, a.max > b.max ? a.max : b.max};
  }
  case TSL_EXPR_SELECT: {
    tsl_interval a = tsl_bounds(expr->op.b, ranges), b = tsl_bounds(expr->op.c, ranges);
    return (tsl_interval){a.min < b.min ? a.min : b.min, a.max > b.max ? a.max : b.max};
  }
  case TSL_EXPR_CAST: {
    const tsl_expr *inner = expr->op.a;
    if (expr->dtype == TSL_DTYPE_I64 && (tsl_dtype_is_integer(inner->dtype) || inner->dtype == TSL_DTYPE_BOOL) &&
        (tsl_dtype_is_signed(inner->dtype) || tsl_dtype_size(inner->dtype) < 8)) {
      return tsl_bounds(inner, ranges);
    }
    return everything;
  }
  default:
    if (expr->dtype == TSL_DTYPE_BOOL) return (tsl_interval){0, 1};
    return everything;
  }
}

/* ---- simplification ---------------------------------------------------------------------- */

static bool both_ints(const tsl_expr *a, const tsl_expr *b) {
  return a->kind == TSL_EXPR_INT && b->kind == TSL_EXPR_INT;
}

/* Integer operations on immediates of dtype i64, the index type; other dtypes are left for
 * the code generator, whose wrap-around rules they follow. */
static tsl_expr *fold_ints(tsl_arena *arena, const tsl_expr *expr, const tsl_expr *a,
                           const tsl_expr *b) {
  if (!both_ints(a, b) || a->dtype != TSL_DTYPE_I64) return NULL;
  int64_t x = a->int_value, y = b->int_value;
  switch (expr->kind) {
  case TSL_EXPR_FLOOR_DIV: return y > 0 ? tsl_index(arena, floor_div(x, y)) : NULL;
  case TSL_EXPR_FLOOR_MOD: return y > 0 ? tsl_index(arena, x - floor_div(x, y) * y) : NULL;
  case TSL_EXPR_EQ: return tsl_int(arena, TSL_DTYPE_BOOL, x == y);
  case TSL_EXPR_NE: return tsl_int(arena, TSL_DTYPE_BOOL, x != y);
  case TSL_EXPR_LT: return tsl_int(arena, TSL_DTYPE_BOOL, x < y);
  case TSL_EXPR_LE: return tsl_int(arena, TSL_DTYPE_BOOL, x <= y);
  case TSL_EXPR_GT: return tsl_int(arena, TSL_DTYPE_BOOL, x > y);
  case TSL_EXPR_GE: return tsl_int(arena, TSL_DTYPE_BOOL, x >= y);
  default: return NULL;
  }
}

/* Comparisons the ranges decide. */
static tsl_expr *decide(tsl_arena *arena, const tsl_expr *expr, const tsl_ranges *ranges) {
  tsl_interval a = tsl_bounds(expr->op.a, ranges), b = tsl_bounds(expr->op.b, ranges);
  if (!tsl_dtype_is_integer(expr->op.a->dtype)) return NULL;
  int verdict = -1;
  switch (expr->kind) {
  case TSL_EXPR_LT: verdict = a.max < b.min ? 1 : a.min >= b.max ? 0 : -1; break;
  case TSL_EXPR_LE: verdict = a.max <= b.min ? 1 : a.min > b.max ? 0 : -1; break;
  case TSL_EXPR_GT: verdict = a.min > b.max ? 1 : a.max <= b.min ? 0 : -1; break;
  case TSL_EXPR_GE: verdict = a.min >= b.max ? 1 : a.max < b.min ? 0 : -1; break;
  default: break;
  }
  if (verdict < 0 || (!bounded(a) && !bounded(b))) return NULL;
  return tsl_int(arena, TSL_DTYPE_BOOL, verdict);
}

static tsl_expr *simplify_binary(tsl_arena *arena, tsl_expr *expr, tsl_expr *a, tsl_expr *b,
                                 const tsl_ranges *ranges) {
  tsl_expr *folded = fold_ints(arena, expr, a, b);
  if (folded) return folded;
  tsl_interval ia = tsl_bounds(a, ranges), ib = tsl_bounds(b, ranges);
  bool ints = tsl_dtype_is_integer(a->dtype);
  switch (expr->kind) {
  case TSL_EXPR_MIN:
    if (ints && ia.max <= ib.min && bounded(ia)) return a;
    if (ints && ib.max <= ia.min && bounded(ib)) return b;
    break;
  case TSL_EXPR_MAX:
    if (ints && ia.min >= ib.max && bounded(ia)) return a;
    if (ints && ib.min >= ia.max && bounded(ib)) return b;
    break;
  case TSL_EXPR_FLOOR_DIV:
    if (ints && tsl_interval_is_point(ib) && ib.min > 0 && ia.min >= 0 && ia.max < ib.min) {
      return tsl_index(arena, 0);
    }
    if (tsl_expr_is_int(b, 1)) return a;
    break;
  case TSL_EXPR_FLOOR_MOD:
    if (ints && tsl_interval_is_point(ib) && ib.min > 0 && ia.min >= 0 && ia.max < ib.min) {
      return a;
    }
    if (tsl_expr_is_int(b, 1)) return tsl_index(arena, 0);
    break;
  case TSL_EXPR_LT:
  case TSL_EXPR_LE:
  case TSL_EXPR_GT:
  case TSL_EXPR_GE: {
    tsl_expr probe = *expr;
    probe.op.a = a;
    probe.op.b = b;
    tsl_expr *decided = decide(arena, &probe, ranges);
    if (decided) return decided;
    break;
  }
  case TSL_EXPR_AND:
    if (tsl_expr_is_int(a, 1)) return b;
    if (tsl_expr_is_int(b, 1)) return a;
    if (tsl_expr_is_int(a, 0) || tsl_expr_is_int(b, 0)) return tsl_int(arena, TSL_DTYPE_BOOL, 0);
    break;
  case TSL_EXPR_OR:
    if (tsl_expr_is_int(a, 0)) return b;
    if (tsl_expr_is_int(b, 0)) return a;
    if (tsl_expr_is_int(a, 1) || tsl_expr_is_int(b, 1)) return tsl_int(arena, TSL_DTYPE_BOOL, 1);
    break;
  default: break;
  }
  if (a == expr->op.a && b == expr->op.b) return expr;
  return tsl_binary(arena, expr->kind, a, b);
}

tsl_expr *tsl_simplify(tsl_arena *arena, tsl_expr *expr, const tsl_ranges *ranges) {
  switch (expr->kind) {
  case TSL_EXPR_INT:
  case TSL_EXPR_FLOAT:
  case TSL_EXPR_VAR: {
    tsl_interval i = tsl_bounds(expr, ranges);
    if (expr->kind == TSL_EXPR_VAR && tsl_interval_is_point(i) && expr->dtype == TSL_DTYPE_I64) {
      return tsl_index(arena, i.min);
    }
    return expr;
  }
  case TSL_EXPR_SELECT: {
    tsl_expr *condition = tsl_simplify(arena, expr->op.a, ranges);
    if (tsl_expr_is_int(condition, 1)) return tsl_simplify(arena, expr->op.b, ranges);
    if (tsl_expr_is_int(condition, 0)) return tsl_simplify(arena, expr->op.c, ranges);
    tsl_expr *a = tsl_simplify(arena, expr->op.b, ranges);
    tsl_expr *b = tsl_simplify(arena, expr->op.c, ranges);
    if (condition == expr->op.a && a == expr->op.b && b == expr->op.c) return expr;
    return tsl_select(arena, condition, a, b);
  }
  case TSL_EXPR_CALL: {
    tsl_expr *a = tsl_simplify(arena, expr->call.args[0], ranges);
    tsl_expr *b = expr->call.args[1] ? tsl_simplify(arena, expr->call.args[1], ranges) : NULL;
    if (a == expr->call.args[0] && b == expr->call.args[1]) return expr;
    return tsl_call(arena, expr->call.function, a, b);
  }
  case TSL_EXPR_LOAD: {
    tsl_expr *indices[TSL_MAX_RANK];
    bool changed = false;
    for (int i = 0; i < expr->load.num_indices; i++) {
      indices[i] = tsl_simplify(arena, expr->load.indices[i], ranges);
      changed |= indices[i] != expr->load.indices[i];
    }
    return changed ? tsl_load(arena, expr->load.buffer, expr->load.num_indices, indices) : expr;
  }
  case TSL_EXPR_REDUCE: return expr;
  case TSL_EXPR_CAST: {
    tsl_expr *a = tsl_simplify(arena, expr->op.a, ranges);
    if (a->kind == TSL_EXPR_INT && expr->dtype == TSL_DTYPE_I64) return tsl_index(arena, a->int_value);
    return a == expr->op.a ? expr : tsl_cast(arena, expr->dtype, a);
  }
  case TSL_EXPR_BITCAST: {
    tsl_expr *a = tsl_simplify(arena, expr->op.a, ranges);
    return a == expr->op.a ? expr : tsl_bitcast(arena, expr->dtype, a);
  }
  default: break;
  }
  if (!expr->op.b) {
    tsl_expr *a = tsl_simplify(arena, expr->op.a, ranges);
    if (expr->kind == TSL_EXPR_NOT && a->kind == TSL_EXPR_INT) return tsl_int(arena, TSL_DTYPE_BOOL, !a->int_value);
    return a == expr->op.a ? expr : tsl_unary(arena, expr->kind, a);
  }
  return simplify_binary(arena, expr, tsl_simplify(arena, expr->op.a, ranges),
                         tsl_simplify(arena, expr->op.b, ranges), ranges);
}
