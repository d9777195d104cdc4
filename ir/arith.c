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

/* ---- linear forms of index expressions ---------------------------------------------------- */

/* An i64 expression as Σ coeff × atom + constant, where atoms are what is not a sum, a
 * difference, a negation or a product by an immediate. Integer arithmetic wraps, so the form
 * computes what the expression does whatever the values; rules that divide (floor division,
 * comparisons) rely on bounds that tsl_bounds only gives where nothing overflows. */
enum { MAX_TERMS = 16 };

typedef struct linear_term {
  tsl_expr *atom;
  int64_t coeff;
} linear_term;

typedef struct linear {
  linear_term terms[MAX_TERMS];
  int count;
  int64_t constant;
} linear;

/* Adds scale × expr to the form; false when the form would need more terms, or a coefficient
 * overflows. */
static bool add_linear(linear *form, tsl_expr *expr, int64_t scale) {
  int64_t scaled;
  if (scale == INT64_MIN) return false; /* coefficients stay negatable */
  switch (expr->kind) {
  case TSL_EXPR_INT:
    return !__builtin_mul_overflow(expr->int_value, scale, &scaled) &&
           !__builtin_add_overflow(form->constant, scaled, &form->constant);
  case TSL_EXPR_ADD:
    return add_linear(form, expr->op.a, scale) && add_linear(form, expr->op.b, scale);
  case TSL_EXPR_SUB:
    return add_linear(form, expr->op.a, scale) && add_linear(form, expr->op.b, -scale);
  case TSL_EXPR_NEG: return add_linear(form, expr->op.a, -scale);
  case TSL_EXPR_MUL:
    if (expr->op.b->kind == TSL_EXPR_INT) {
      return !__builtin_mul_overflow(expr->op.b->int_value, scale, &scaled) &&
             add_linear(form, expr->op.a, scaled);
    }
    if (expr->op.a->kind == TSL_EXPR_INT) {
      return !__builtin_mul_overflow(expr->op.a->int_value, scale, &scaled) &&
             add_linear(form, expr->op.b, scaled);
    }
    break;
  default: break;
  }
  for (int i = 0; i < form->count; i++) {
    if (tsl_expr_equal(form->terms[i].atom, expr)) {
      return !__builtin_add_overflow(form->terms[i].coeff, scale, &form->terms[i].coeff) &&
             form->terms[i].coeff != INT64_MIN;
    }
  }
  if (form->count == MAX_TERMS) return false;
  form->terms[form->count++] = (linear_term){expr, scale};
  return true;
}

/* The form of a - b (b may be NULL); false where it has none. */
static bool linear_of(tsl_expr *a, tsl_expr *b, linear *form) {
  *form = (linear){.count = 0};
  if (a->dtype != TSL_DTYPE_I64 || !add_linear(form, a, 1)) return false;
  return !b || add_linear(form, b, -1);
}

/* The form as an expression: terms in the order they first appeared, then the constant; the
 * constant first where the first term is subtracted ((7 - %i), not ((%i * -1) + 7)). */
static tsl_expr *linear_expr(tsl_arena *arena, const linear *form) {
  tsl_expr *sum = NULL;
  int first = 0;
  while (first < form->count && form->terms[first].coeff == 0) first++;
  bool constant_first = first < form->count && form->terms[first].coeff < 0 && form->constant;
  if (constant_first) sum = tsl_index(arena, form->constant);
  for (int i = 0; i < form->count; i++) {
    int64_t coeff = form->terms[i].coeff;
    if (coeff == 0) continue;
    bool subtract = sum && coeff < 0 && coeff != INT64_MIN;
    int64_t size = subtract ? -coeff : coeff;
    tsl_expr *term = form->terms[i].atom;
    if (size != 1) term = tsl_binary(arena, TSL_EXPR_MUL, term, tsl_index(arena, size));
    sum = !sum ? term : tsl_binary(arena, subtract ? TSL_EXPR_SUB : TSL_EXPR_ADD, sum, term);
  }
  if (!sum) return tsl_index(arena, form->constant);
  if (form->constant && !constant_first)
    sum = tsl_binary(arena, TSL_EXPR_ADD, sum, tsl_index(arena, form->constant));
  return sum;
}

static bool divides_by(const tsl_expr *expr, tsl_expr_kind kind, int64_t *divisor) {
  if (expr->kind != kind || expr->op.b->kind != TSL_EXPR_INT || expr->op.b->int_value <= 0)
    return false;
  *divisor = expr->op.b->int_value;
  return true;
}

/* k × c × (x // c) + k × (x % c) is k × x: what flattening a fused loop's indices gives. */
static void recombine_quotients(linear *form) {
  for (int i = 0; i < form->count; i++) {
    const linear_term *quotient = &form->terms[i];
    int64_t c, d;
    if (quotient->coeff == 0 || !divides_by(quotient->atom, TSL_EXPR_FLOOR_DIV, &c) ||
        quotient->coeff % c != 0)
      continue;
    for (int j = 0; j < form->count; j++) {
      const linear_term *remainder = &form->terms[j];
      if (remainder->coeff != quotient->coeff / c ||
          !divides_by(remainder->atom, TSL_EXPR_FLOOR_MOD, &d) || d != c ||
          !tsl_expr_equal(remainder->atom->op.a, quotient->atom->op.a))
        continue;
      linear whole = *form;
      whole.terms[i].coeff = 0;
      whole.terms[j].coeff = 0;
      if (!add_linear(&whole, quotient->atom->op.a, remainder->coeff)) continue;
      *form = whole;
      break;
    }
  }
}

int64_t tsl_gcd(int64_t a, int64_t b) {
  a = a < 0 ? -a : a;
  b = b < 0 ? -b : b;
  while (b) {
    int64_t rest = a % b;
    a = b;
    b = rest;
  }
  return a;
}

static int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

/* a // divisor or a % divisor (divisor > 0) on the form of a. With g dividing the divisor, a
 * is g × q + r, q the terms whose coefficients g divides, r the others with the constant's
 * remainder; where the bounds put r in [0, g): a // divisor = q // (divisor / g) and
 * a % divisor = g × (q % (divisor / g)) + r. The largest such g is taken: fuse and split leave
 * (i_0 * 16 + i_1) // 16 with i_1 in [0, 16), which is i_0. */
static tsl_expr *divide_linear(tsl_arena *arena, tsl_expr_kind kind, const linear *form,
                               int64_t divisor, const tsl_ranges *ranges) {
  int64_t best = 1;
  tsl_expr *quotient = NULL, *remainder = NULL;
  for (int candidate = -1; candidate < form->count; candidate++) {
    int64_t g = candidate < 0 ? divisor : tsl_gcd(divisor, form->terms[candidate].coeff);
    if (g <= best) continue;
    linear q = {.constant = floor_div(form->constant, g)},
           r = {.constant = floor_mod(form->constant, g)};
    for (int i = 0; i < form->count; i++) {
      linear_term term = form->terms[i];
      if (term.coeff % g == 0) {
        q.terms[q.count++] = (linear_term){term.atom, term.coeff / g};
      } else {
        r.terms[r.count++] = term;
      }
    }
    tsl_expr *rest = linear_expr(arena, &r);
    tsl_interval bounds = tsl_bounds(rest, ranges);
    if (bounds.min < 0 || bounds.max >= g) continue;
    best = g;
    quotient = linear_expr(arena, &q);
    remainder = rest;
  }
  if (best == 1) return NULL;
  tsl_expr *outer = tsl_index(arena, divisor / best);
  if (kind == TSL_EXPR_FLOOR_DIV) {
    return tsl_simplify(arena, tsl_binary(arena, TSL_EXPR_FLOOR_DIV, quotient, outer), ranges);
  }
  tsl_expr *high = tsl_binary(arena, TSL_EXPR_FLOOR_MOD, quotient, outer);
  return tsl_simplify(
      arena,
      tsl_binary(arena, TSL_EXPR_ADD, tsl_binary(arena, TSL_EXPR_MUL, high, tsl_index(arena, best)),
                 remainder),
      ranges);
}

/* Floor division and modulo of i64 values by an immediate > 0. */
static tsl_expr *simplify_division(tsl_arena *arena, tsl_expr_kind kind, tsl_expr *a,
                                   int64_t divisor, const tsl_ranges *ranges) {
  if (divisor == 1) return kind == TSL_EXPR_FLOOR_DIV ? a : tsl_index(arena, 0);
  /* Where the bounds keep a within one multiple of the divisor, the quotient is known. */
  tsl_interval bounds = tsl_bounds(a, ranges);
  if (bounded(bounds) && floor_div(bounds.min, divisor) == floor_div(bounds.max, divisor)) {
    int64_t quotient = floor_div(bounds.min, divisor);
    if (kind == TSL_EXPR_FLOOR_DIV) return tsl_index(arena, quotient);
    if (quotient == 0) return a;
    return tsl_simplify(
        arena, tsl_binary(arena, TSL_EXPR_SUB, a, tsl_index(arena, quotient * divisor)), ranges);
  }
  /* (x // m) // n = x // (m × n), and (x % m) % n = x % n where n divides m (m, n > 0). */
  int64_t product;
  if ((a->kind == TSL_EXPR_FLOOR_DIV || a->kind == TSL_EXPR_FLOOR_MOD) &&
      a->op.b->kind == TSL_EXPR_INT && a->op.b->int_value > 0) {
    int64_t inner = a->op.b->int_value;
    if (kind == TSL_EXPR_FLOOR_DIV && a->kind == TSL_EXPR_FLOOR_DIV &&
        !__builtin_mul_overflow(inner, divisor, &product)) {
      return tsl_simplify(arena, tsl_binary(arena, kind, a->op.a, tsl_index(arena, product)),
                          ranges);
    }
    if (kind == TSL_EXPR_FLOOR_MOD && a->kind == TSL_EXPR_FLOOR_MOD && inner % divisor == 0) {
      return tsl_simplify(arena, tsl_binary(arena, kind, a->op.a, tsl_index(arena, divisor)),
                          ranges);
    }
    /* (x // m) % n = (x % (m × n)) // m, kept where the remainder simplifies away: a reshape
     * reads (i * 256 + j) // 64 % 4 with j in [0, 256), which is j // 64. */
    if (kind == TSL_EXPR_FLOOR_MOD && a->kind == TSL_EXPR_FLOOR_DIV &&
        !__builtin_mul_overflow(inner, divisor, &product)) {
      tsl_expr *low =
          tsl_simplify(arena, tsl_binary(arena, kind, a->op.a, tsl_index(arena, product)), ranges);
      if (low->kind != TSL_EXPR_FLOOR_MOD)
        return tsl_simplify(arena, tsl_binary(arena, TSL_EXPR_FLOOR_DIV, low, a->op.b), ranges);
    }
  }
  linear form;
  if (!linear_of(a, NULL, &form)) return NULL;
  tsl_expr *divided = divide_linear(arena, kind, &form, divisor, ranges);
  if (divided || kind != TSL_EXPR_FLOOR_MOD) return divided;
  /* Multiples of the divisor do not change the remainder. */
  linear rest = {.constant = floor_mod(form.constant, divisor)};
  for (int i = 0; i < form.count; i++) {
    if (form.terms[i].coeff % divisor != 0) rest.terms[rest.count++] = form.terms[i];
  }
  if (rest.count == form.count && rest.constant == form.constant) return NULL;
  return tsl_simplify(
      arena, tsl_binary(arena, kind, linear_expr(arena, &rest), tsl_index(arena, divisor)), ranges);
}

/* Bounds of a - b for i64 values, from their linear form, where terms in both cancel; `known`
 * false where there is none. */
static tsl_interval difference_bounds(tsl_arena *arena, tsl_expr *a, tsl_expr *b,
                                      const tsl_ranges *ranges, linear *form, bool *known) {
  *known = linear_of(a, b, form);
  return *known ? tsl_bounds(linear_expr(arena, form), ranges) : everything;
}

static tsl_expr_kind mirrored(tsl_expr_kind kind) {
  switch (kind) {
  case TSL_EXPR_LT: return TSL_EXPR_GT;
  case TSL_EXPR_LE: return TSL_EXPR_GE;
  case TSL_EXPR_GT: return TSL_EXPR_LT;
  case TSL_EXPR_GE: return TSL_EXPR_LE;
  default: return kind;
  }
}

/* A comparison of i64 values: decided where the bounds of a - b settle it (terms in both
 * cancel), else written `terms op bound` with the first coefficient positive and the
 * coefficients divided by their common divisor: ((%i * 4) + 8) < 10 becomes %i < 1. */
static tsl_expr *compare_linear(tsl_arena *arena, tsl_expr_kind kind, tsl_expr *a, tsl_expr *b,
                                const tsl_ranges *ranges) {
  linear form;
  bool known;
  tsl_interval d = difference_bounds(arena, a, b, ranges, &form, &known);
  if (!known) return NULL;
  int verdict = -1;
  switch (kind) {
  case TSL_EXPR_EQ: verdict = d.min == 0 && d.max == 0 ? 1 : d.min > 0 || d.max < 0 ? 0 : -1; break;
  case TSL_EXPR_NE: verdict = d.min == 0 && d.max == 0 ? 0 : d.min > 0 || d.max < 0 ? 1 : -1; break;
  case TSL_EXPR_LT: verdict = d.max < 0 ? 1 : d.min >= 0 ? 0 : -1; break;
  case TSL_EXPR_LE: verdict = d.max <= 0 ? 1 : d.min > 0 ? 0 : -1; break;
  case TSL_EXPR_GT: verdict = d.min > 0 ? 1 : d.max <= 0 ? 0 : -1; break;
  case TSL_EXPR_GE: verdict = d.min >= 0 ? 1 : d.max < 0 ? 0 : -1; break;
  default: return NULL;
  }
  if (verdict >= 0 && d.min != INT64_MIN && d.max != INT64_MAX)
    return tsl_int(arena, TSL_DTYPE_BOOL, verdict);
  /* terms + constant op 0, as terms' op bound. */
  linear terms = {.count = 0};
  int64_t divisor = 0;
  for (int i = 0; i < form.count; i++) {
    if (form.terms[i].coeff == 0) continue;
    terms.terms[terms.count++] = form.terms[i];
    divisor = tsl_gcd(divisor, form.terms[i].coeff);
  }
  if (terms.count == 0 || form.constant == INT64_MIN || divisor == 0) return NULL;
  if (terms.terms[0].coeff < 0) {
    for (int i = 0; i < terms.count; i++) terms.terms[i].coeff = -terms.terms[i].coeff;
    form.constant = -form.constant;
    kind = mirrored(kind);
  }
  for (int i = 0; i < terms.count; i++) terms.terms[i].coeff /= divisor;
  int64_t bound = -form.constant; /* divisor × terms op bound */
  int64_t below = floor_div(bound, divisor), above = -floor_div(-bound, divisor);
  switch (kind) {
  case TSL_EXPR_EQ:
  case TSL_EXPR_NE:
    if (floor_mod(bound, divisor) != 0) return tsl_int(arena, TSL_DTYPE_BOOL, kind == TSL_EXPR_NE);
    bound = below;
    break;
  case TSL_EXPR_LT: bound = above; break;
  case TSL_EXPR_LE: bound = below; break;
  case TSL_EXPR_GT: bound = below; break;
  case TSL_EXPR_GE: bound = above; break;
  default: return NULL;
  }
  return tsl_binary(arena, kind, linear_expr(arena, &terms), tsl_index(arena, bound));
}

static tsl_expr *simplify_binary(tsl_arena *arena, tsl_expr *expr, tsl_expr *a, tsl_expr *b,
                                 const tsl_ranges *ranges) {
  tsl_expr *folded = fold_ints(arena, expr, a, b);
  if (folded) return folded;
  tsl_interval ia = tsl_bounds(a, ranges), ib = tsl_bounds(b, ranges);
  bool ints = tsl_dtype_is_integer(a->dtype), index = a->dtype == TSL_DTYPE_I64;
  linear form;
  bool known;
  switch (expr->kind) {
  case TSL_EXPR_ADD:
  case TSL_EXPR_SUB:
  case TSL_EXPR_MUL:
    if (index && linear_of(tsl_binary(arena, expr->kind, a, b), NULL, &form)) {
      recombine_quotients(&form);
      return linear_expr(arena, &form);
    }
    break;
  case TSL_EXPR_MIN:
  case TSL_EXPR_MAX: {
    if (ints && ia.max <= ib.min && bounded(ia)) return expr->kind == TSL_EXPR_MIN ? a : b;
    if (ints && ib.max <= ia.min && bounded(ib)) return expr->kind == TSL_EXPR_MIN ? b : a;
    if (!index) break;
    tsl_interval d = difference_bounds(arena, a, b, ranges, &form, &known);
    if (known && d.max <= 0) return expr->kind == TSL_EXPR_MIN ? a : b;
    if (known && d.min >= 0 && d.min != INT64_MIN) return expr->kind == TSL_EXPR_MIN ? b : a;
    break;
  }
  case TSL_EXPR_FLOOR_DIV:
  case TSL_EXPR_FLOOR_MOD: {
    if (index && b->kind == TSL_EXPR_INT && b->int_value > 0) {
      tsl_expr *divided = simplify_division(arena, expr->kind, a, b->int_value, ranges);
      if (divided) return divided;
      break;
    }
    if (tsl_expr_is_int(b, 1)) return expr->kind == TSL_EXPR_FLOOR_DIV ? a : tsl_index(arena, 0);
    break;
  }
  case TSL_EXPR_EQ:
  case TSL_EXPR_NE:
  case TSL_EXPR_LT:
  case TSL_EXPR_LE:
  case TSL_EXPR_GT:
  case TSL_EXPR_GE: {
    tsl_expr probe = *expr;
    probe.op.a = a;
    probe.op.b = b;
    tsl_expr *decided = decide(arena, &probe, ranges);
    if (!decided && index) decided = compare_linear(arena, expr->kind, a, b, ranges);
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
    if (tsl_expr_equal(a, b)) return a; /* both are evaluated, neither has an effect */
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
