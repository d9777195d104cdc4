/* Arithmetic analysis of index expressions: the interval an i64 expression can take given the
 * ranges of its variables, and a simplifier built on it. */
#ifndef TSL_IR_ARITH_H
#define TSL_IR_ARITH_H

#include "ir/expr.h"

/* A closed interval [min, max]; unbounded sides are INT64_MIN / INT64_MAX. */
typedef struct tsl_interval {
  int64_t min, max;
} tsl_interval;

/* What is known about variables: their ranges, by variable id (unknown ids are unbounded). */
typedef struct tsl_ranges {
  tsl_interval *by_id;
  bool *known;
  int capacity;
} tsl_ranges;

void tsl_ranges_set(tsl_ranges *ranges, const tsl_var *var, int64_t min, int64_t max);
void tsl_ranges_forget(tsl_ranges *ranges, const tsl_var *var);
void tsl_ranges_free(tsl_ranges *ranges);

/* The values an integer expression can take; unbounded where it cannot tell (loads, floats). */
tsl_interval tsl_bounds(const tsl_expr *expr, const tsl_ranges *ranges);

bool tsl_interval_is_point(tsl_interval interval);

/* The greatest common divisor of |a| and |b| (0 when both are 0). */
int64_t tsl_gcd(int64_t a, int64_t b);

/* Folds constants, removes identities (x + 0, x * 1, min(x, y) where x ≤ y is proved …), and
 * decides comparisons the ranges settle. The result computes the same values. */
tsl_expr *tsl_simplify(tsl_arena *arena, tsl_expr *expr, const tsl_ranges *ranges);

#endif
