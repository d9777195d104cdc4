/* Compute rules of the elementwise and broadcasting operators: the value of one output element
 * from the matching input elements. */
#include <math.h>
#include <string.h>

#include "ir/check.h"
#include "ir/ops/compute.h"

typedef struct builder {
  tsl_arena *arena;
  tsl_dtype dtype; /* of the value being built */
} builder;

static tsl_expr *constant(const builder *b, double value) { return tsl_const(b->arena, b->dtype, value); }
static tsl_expr *add(const builder *b, tsl_expr *x, tsl_expr *y) { return tsl_binary(b->arena, TSL_EXPR_ADD, x, y); }
static tsl_expr *sub(const builder *b, tsl_expr *x, tsl_expr *y) { return tsl_binary(b->arena, TSL_EXPR_SUB, x, y); }
static tsl_expr *mul(const builder *b, tsl_expr *x, tsl_expr *y) { return tsl_binary(b->arena, TSL_EXPR_MUL, x, y); }
static tsl_expr *divide(const builder *b, tsl_expr *x, tsl_expr *y) { return tsl_binary(b->arena, TSL_EXPR_DIV, x, y); }
static tsl_expr *maximum(const builder *b, tsl_expr *x, tsl_expr *y) { return tsl_binary(b->arena, TSL_EXPR_MAX, x, y); }
static tsl_expr *minimum(const builder *b, tsl_expr *x, tsl_expr *y) { return tsl_binary(b->arena, TSL_EXPR_MIN, x, y); }
static tsl_expr *less(const builder *b, tsl_expr *x, tsl_expr *y) { return tsl_binary(b->arena, TSL_EXPR_LT, x, y); }
static tsl_expr *greater(const builder *b, tsl_expr *x, tsl_expr *y) { return tsl_binary(b->arena, TSL_EXPR_GT, x, y); }
static tsl_expr *math(const builder *b, tsl_math f, tsl_expr *x) { return tsl_call(b->arena, f, x, NULL); }
static tsl_expr *choose(const builder *b, tsl_expr *c, tsl_expr *x, tsl_expr *y) { return tsl_select(b->arena, c, x, y); }

static tsl_expr *sigmoid(const builder *b, tsl_expr *x) {
  return divide(b, constant(b, 1), add(b, constant(b, 1), math(b, TSL_MATH_exp, tsl_unary(b->arena, TSL_EXPR_NEG, x))));
}

/* log(1 + eˣ), written so that large x does not overflow: max(x, 0) + log(1 + e^-|x|). */
static tsl_expr *softplus(const builder *b, tsl_expr *x) {
  tsl_expr *magnitude = math(b, TSL_MATH_fabs, x);
  tsl_expr *tail = math(b, TSL_MATH_log, add(b, constant(b, 1), math(b, TSL_MATH_exp, tsl_unary(b->arena, TSL_EXPR_NEG, magnitude))));
  return add(b, maximum(b, x, constant(b, 0)), tail);
}

static double float_attr(const tsl_compute_call *call, const char *name) {
  return compute_attr(call, name)->f;
}

/* The value of a unary operator on x. */
static tsl_expr *unary_value(const tsl_compute_call *call, tsl_expr *x) {
  builder b = {call->program->func->arena, x->dtype};
  switch (call->op->kind) {
  case TSL_OP_sqrt: return math(&b, TSL_MATH_sqrt, x);
  case TSL_OP_reciprocal: return divide(&b, constant(&b, 1), x);
  case TSL_OP_exp: return math(&b, TSL_MATH_exp, x);
  case TSL_OP_log: return math(&b, TSL_MATH_log, x);
  case TSL_OP_sin: return math(&b, TSL_MATH_sin, x);
  case TSL_OP_cos: return math(&b, TSL_MATH_cos, x);
  case TSL_OP_tan: return math(&b, TSL_MATH_tan, x);
  case TSL_OP_asin: return math(&b, TSL_MATH_asin, x);
  case TSL_OP_acos: return math(&b, TSL_MATH_acos, x);
  case TSL_OP_atan: return math(&b, TSL_MATH_atan, x);
  case TSL_OP_sinh: return math(&b, TSL_MATH_sinh, x);
  case TSL_OP_cosh: return math(&b, TSL_MATH_cosh, x);
  case TSL_OP_tanh: return math(&b, TSL_MATH_tanh, x);
  case TSL_OP_asinh: return math(&b, TSL_MATH_asinh, x);
  case TSL_OP_acosh: return math(&b, TSL_MATH_acosh, x);
  case TSL_OP_atanh: return math(&b, TSL_MATH_atanh, x);
  case TSL_OP_erf: return math(&b, TSL_MATH_erf, x);
  case TSL_OP_ceil: return math(&b, TSL_MATH_ceil, x);
  case TSL_OP_floor: return math(&b, TSL_MATH_floor, x);
  case TSL_OP_round: return math(&b, TSL_MATH_round, x);
  case TSL_OP_sigmoid: return sigmoid(&b, x);
  case TSL_OP_softplus: return softplus(&b, x);
  case TSL_OP_softsign: return divide(&b, x, add(&b, constant(&b, 1), math(&b, TSL_MATH_fabs, x)));
  case TSL_OP_mish: return mul(&b, x, math(&b, TSL_MATH_tanh, softplus(&b, x)));
  case TSL_OP_hard_swish:
    return mul(&b, x, maximum(&b, constant(&b, 0), minimum(&b, constant(&b, 1), add(&b, divide(&b, x, constant(&b, 6)), constant(&b, 0.5)))));
  case TSL_OP_gelu: {
    if (strcmp(compute_attr(call, "approximate")->s, "tanh") == 0) {
      /* 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) */
      tsl_expr *cube = mul(&b, x, mul(&b, x, x));
      tsl_expr *inner = mul(&b, constant(&b, sqrt(2 / M_PI)), add(&b, x, mul(&b, constant(&b, 0.044715), cube)));
      return mul(&b, mul(&b, constant(&b, 0.5), x), add(&b, constant(&b, 1), math(&b, TSL_MATH_tanh, inner)));
    }
    tsl_expr *scaled = mul(&b, x, constant(&b, M_SQRT1_2));
    return mul(&b, mul(&b, constant(&b, 0.5), x), add(&b, constant(&b, 1), math(&b, TSL_MATH_erf, scaled)));
  }
  case TSL_OP_leaky_relu:
    return choose(&b, less(&b, x, constant(&b, 0)), mul(&b, constant(&b, float_attr(call, "alpha")), x), x);
  case TSL_OP_elu:
    return choose(&b, less(&b, x, constant(&b, 0)),
                  mul(&b, constant(&b, float_attr(call, "alpha")), sub(&b, math(&b, TSL_MATH_exp, x), constant(&b, 1))), x);
  case TSL_OP_celu: {
    tsl_expr *alpha = constant(&b, float_attr(call, "alpha"));
    tsl_expr *negative = mul(&b, alpha, sub(&b, math(&b, TSL_MATH_exp, divide(&b, x, alpha)), constant(&b, 1)));
    return add(&b, maximum(&b, constant(&b, 0), x), minimum(&b, constant(&b, 0), negative));
  }
  case TSL_OP_selu: {
    tsl_expr *alpha = constant(&b, float_attr(call, "alpha")), *gamma = constant(&b, float_attr(call, "gamma"));
    tsl_expr *negative = mul(&b, alpha, sub(&b, math(&b, TSL_MATH_exp, x), constant(&b, 1)));
    return mul(&b, gamma, choose(&b, greater(&b, x, constant(&b, 0)), x, negative));
  }
  case TSL_OP_hard_sigmoid: {
    tsl_expr *line = add(&b, mul(&b, constant(&b, float_attr(call, "alpha")), x), constant(&b, float_attr(call, "beta")));
    return maximum(&b, constant(&b, 0), minimum(&b, constant(&b, 1), line));
  }
  case TSL_OP_thresholded_relu:
    return choose(&b, greater(&b, x, constant(&b, float_attr(call, "alpha"))), x, constant(&b, 0));
  case TSL_OP_swish: return mul(&b, x, sigmoid(&b, mul(&b, constant(&b, float_attr(call, "alpha")), x)));
  case TSL_OP_abs:
    if (tsl_dtype_is_float(x->dtype)) return math(&b, TSL_MATH_fabs, x);
    if (!tsl_dtype_is_signed(x->dtype)) return x;
    return choose(&b, less(&b, x, constant(&b, 0)), tsl_unary(b.arena, TSL_EXPR_NEG, x), x);
  case TSL_OP_neg: return tsl_unary(b.arena, TSL_EXPR_NEG, x);
  case TSL_OP_sign:
    return choose(&b, greater(&b, x, constant(&b, 0)), constant(&b, 1),
                  choose(&b, less(&b, x, constant(&b, 0)), constant(&b, -1), constant(&b, 0)));
  case TSL_OP_relu: return choose(&b, greater(&b, x, constant(&b, 0)), x, constant(&b, 0));
  case TSL_OP_shrink: {
    tsl_expr *lambd = constant(&b, float_attr(call, "lambd")), *bias = constant(&b, float_attr(call, "bias"));
    tsl_expr *low = tsl_unary(b.arena, TSL_EXPR_NEG, lambd);
    return choose(&b, less(&b, x, low), add(&b, x, bias), choose(&b, greater(&b, x, lambd), sub(&b, x, bias), constant(&b, 0)));
  }
  case TSL_OP_bitwise_not: return tsl_unary(b.arena, TSL_EXPR_BIT_NOT, x);
  case TSL_OP_logical_not: return tsl_unary(b.arena, TSL_EXPR_NOT, x);
  case TSL_OP_is_nan: return math(&b, TSL_MATH_isnan, x);
  case TSL_OP_is_inf: {
    bool positive = compute_attr(call, "detect_positive")->i, negative = compute_attr(call, "detect_negative")->i;
    tsl_expr *infinite = math(&b, TSL_MATH_isinf, x);
    if (positive && negative) return infinite;
    tsl_expr *side = positive ? greater(&b, x, constant(&b, 0)) : less(&b, x, constant(&b, 0));
    if (!positive && !negative) return tsl_int(b.arena, TSL_DTYPE_BOOL, 0);
    return tsl_binary(b.arena, TSL_EXPR_AND, infinite, side);
  }
  case TSL_OP_cast: return tsl_cast(b.arena, call->output_types[0].dtype, x);
  case TSL_OP_bit_cast: return tsl_bitcast(b.arena, call->output_types[0].dtype, x);
  default: TSL_UNREACHABLE();
  }
}

/* f16 and bf16 values compute in f32 and are rounded once, at the end: what the reference
 * implementations do, and more accurate than rounding every step. */
static bool is_half(tsl_dtype dtype) { return dtype == TSL_DTYPE_F16 || dtype == TSL_DTYPE_BF16; }

static tsl_expr *widened(tsl_compute_call *call, tsl_expr *value) {
  return is_half(value->dtype) ? tsl_cast(call->program->func->arena, TSL_DTYPE_F32, value) : value;
}

/* The computed value as the output's dtype (narrowing what was widened). */
static tsl_expr *as_output(tsl_compute_call *call, tsl_expr *value) {
  return tsl_cast(call->program->func->arena, call->output_types[0].dtype, value);
}

bool tsl_compute_unary(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_expr *indices[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  tsl_expr *x = tsl_te_read(call->program, call->inputs[0], indices);
  bool conversion = call->op->kind == TSL_OP_cast || call->op->kind == TSL_OP_bit_cast;
  out->body = conversion ? unary_value(call, x) : as_output(call, unary_value(call, widened(call, x)));
  return true;
}

/* Python's modulo for integers (the divisor's sign), C's fmod for floats and fmod = 1. */
static tsl_expr *modulo(const tsl_compute_call *call, const builder *b, tsl_expr *x, tsl_expr *y) {
  bool c_style = compute_attr(call, "fmod")->i != 0;
  if (tsl_dtype_is_float(x->dtype)) {
    tsl_expr *r = tsl_call(b->arena, TSL_MATH_fmod, x, y);
    if (c_style) return r;
    /* Take the divisor's sign: r + y when r ≠ 0 and the signs differ. */
    tsl_expr *differs = tsl_binary(b->arena, TSL_EXPR_NE, less(b, r, constant(b, 0)), less(b, y, constant(b, 0)));
    tsl_expr *adjust = tsl_binary(b->arena, TSL_EXPR_AND, tsl_binary(b->arena, TSL_EXPR_NE, r, constant(b, 0)), differs);
    return choose(b, adjust, add(b, r, y), r);
  }
  if (c_style || !tsl_dtype_is_signed(x->dtype)) return tsl_binary(b->arena, TSL_EXPR_MOD, x, y);
  return tsl_binary(b->arena, TSL_EXPR_FLOOR_MOD, x, y);
}

static tsl_expr *binary_value(const tsl_compute_call *call, tsl_expr *x, tsl_expr *y) {
  builder b = {call->program->func->arena, x->dtype};
  switch (call->op->kind) {
  case TSL_OP_add: return add(&b, x, y);
  case TSL_OP_sub: return sub(&b, x, y);
  case TSL_OP_mul: return mul(&b, x, y);
  case TSL_OP_div: return divide(&b, x, y);
  case TSL_OP_mod: return modulo(call, &b, x, y);
  case TSL_OP_maximum: return maximum(&b, x, y);
  case TSL_OP_minimum: return minimum(&b, x, y);
  case TSL_OP_pow:
    if (tsl_dtype_is_float(x->dtype)) return tsl_call(b.arena, TSL_MATH_pow, x, tsl_cast(b.arena, x->dtype, y));
    /* Integer powers through f64, exact for the magnitudes integers hold. */
    return tsl_cast(b.arena, x->dtype, tsl_call(b.arena, TSL_MATH_pow, tsl_cast(b.arena, TSL_DTYPE_F64, x), tsl_cast(b.arena, TSL_DTYPE_F64, y)));
  case TSL_OP_prelu: return choose(&b, less(&b, x, constant(&b, 0)), mul(&b, y, x), x);
  case TSL_OP_bitwise_and: return tsl_binary(b.arena, TSL_EXPR_BIT_AND, x, y);
  case TSL_OP_bitwise_or: return tsl_binary(b.arena, TSL_EXPR_BIT_OR, x, y);
  case TSL_OP_bitwise_xor: return tsl_binary(b.arena, TSL_EXPR_BIT_XOR, x, y);
  case TSL_OP_left_shift: return tsl_binary(b.arena, TSL_EXPR_SHL, x, y);
  case TSL_OP_right_shift: return tsl_binary(b.arena, TSL_EXPR_SHR, x, y);
  case TSL_OP_logical_and: return tsl_binary(b.arena, TSL_EXPR_AND, x, y);
  case TSL_OP_logical_or: return tsl_binary(b.arena, TSL_EXPR_OR, x, y);
  case TSL_OP_logical_xor: return tsl_binary(b.arena, TSL_EXPR_NE, x, y);
  case TSL_OP_equal: return tsl_binary(b.arena, TSL_EXPR_EQ, x, y);
  case TSL_OP_less: return less(&b, x, y);
  case TSL_OP_less_equal: return tsl_binary(b.arena, TSL_EXPR_LE, x, y);
  case TSL_OP_greater: return greater(&b, x, y);
  case TSL_OP_greater_equal: return tsl_binary(b.arena, TSL_EXPR_GE, x, y);
  default: TSL_UNREACHABLE();
  }
}

bool tsl_compute_binary(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_expr *indices[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  int rank = out->type.rank;
  tsl_expr *x = widened(call, compute_read_broadcast(call, call->inputs[0], rank, indices));
  tsl_expr *y = widened(call, compute_read_broadcast(call, call->inputs[1], rank, indices));
  out->body = as_output(call, binary_value(call, x, y));
  return true;
}

bool tsl_compute_where(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_expr *indices[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  int rank = out->type.rank;
  out->body = tsl_select(call->program->func->arena,
                         compute_read_broadcast(call, call->inputs[0], rank, indices),
                         compute_read_broadcast(call, call->inputs[1], rank, indices),
                         compute_read_broadcast(call, call->inputs[2], rank, indices));
  return true;
}

bool tsl_compute_clip(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_expr *indices[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  tsl_arena *arena = call->program->func->arena;
  tsl_expr *value = tsl_te_read(call->program, call->inputs[0], indices);
  /* max then min, as ONNX: with min > max every element becomes max. */
  for (int bound = 1; bound <= 2; bound++) {
    if (bound >= call->num_inputs || !call->inputs[bound]) continue;
    tsl_expr *limit = tsl_te_read(call->program, call->inputs[bound], NULL);
    /* NaN stays NaN: compare, do not use min/max, which propagate the other operand too. */
    tsl_expr *outside = tsl_binary(arena, bound == 1 ? TSL_EXPR_LT : TSL_EXPR_GT, value, limit);
    value = tsl_select(arena, outside, limit, value);
  }
  out->body = value;
  return true;
}

bool tsl_compute_full(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  out->body = tsl_te_read(call->program, call->inputs[0], NULL);
  return true;
}
