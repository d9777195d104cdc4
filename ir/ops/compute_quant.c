/* Compute rules of the quantisation operators. Each follows ONNX's reference implementation
 * down to the dtypes it computes in, since those decide where values round.
 *
 * The quantised products subtract their zero points in a stage of i32 values and then run
 * conv's or matmul's rule on those (conv_integer and qlinear_conv take conv's attributes, in
 * conv's order), so that the sums are the ones compute_nn.c builds; qlinear_conv and
 * qlinear_matmul then requantise the i32 sums. */
#include "ir/check.h"
#include "ir/ops/compute.h"

static tsl_arena *arena_of(const tsl_compute_call *call) { return call->program->func->arena; }

static const tsl_te_tensor *optional_input(const tsl_compute_call *call, int index) {
  return index < call->num_inputs ? call->inputs[index] : NULL;
}

static tsl_expr *read_as(tsl_compute_call *call, tsl_dtype dtype, const tsl_te_tensor *input,
                         tsl_expr *const *indices) {
  return tsl_cast(arena_of(call), dtype, tsl_te_read(call->program, input, indices));
}

/* The values a quantised dtype holds. */
static void quantized_range(tsl_dtype dtype, int64_t *low, int64_t *high) {
  switch (dtype) {
  case TSL_DTYPE_I8: *low = INT8_MIN, *high = INT8_MAX; return;
  case TSL_DTYPE_U8: *low = 0, *high = UINT8_MAX; return;
  case TSL_DTYPE_I16: *low = INT16_MIN, *high = INT16_MAX; return;
  case TSL_DTYPE_U16: *low = 0, *high = UINT16_MAX; return;
  default: TSL_UNREACHABLE();
  }
}

/* value held within dtype's range, in value's own dtype, then converted. */
static tsl_expr *saturate(tsl_arena *a, tsl_dtype dtype, tsl_expr *value) {
  int64_t low, high;
  quantized_range(dtype, &low, &high);
  value = tsl_binary(a, TSL_EXPR_MAX, value, tsl_const(a, value->dtype, (double)low));
  value = tsl_binary(a, TSL_EXPR_MIN, value, tsl_const(a, value->dtype, (double)high));
  return tsl_cast(a, dtype, value);
}

/* A scale or zero point at the indices `at` of the `rank`-D tensor it belongs to: one element
 * for the whole tensor; with `block` > 0 one per block of `block` indices along `axis` (and
 * the tensor's other indices); else a vector, one per index of `axis`; else of the tensor's
 * rank, its axes of size 1 broadcasting. */
static tsl_expr *param_at(tsl_compute_call *call, const tsl_te_tensor *param, int rank,
                          tsl_expr *const *at, int axis, int64_t block) {
  tsl_arena *a = arena_of(call);
  tsl_expr *own[TSL_MAX_RANK];
  if (tsl_type_elements(&param->type) == 1) {
    for (int i = 0; i < param->type.rank; i++) own[i] = tsl_index(a, 0);
    return tsl_te_read(call->program, param, own);
  }
  if (block > 0) {
    for (int i = 0; i < rank; i++) own[i] = at[i];
    own[axis] = tsl_binary(a, TSL_EXPR_FLOOR_DIV, at[axis], tsl_index(a, block));
    return tsl_te_read(call->program, param, own);
  }
  if (param->type.rank == 1) return tsl_te_read(call->program, param, &at[axis]);
  return compute_read_broadcast(call, param, rank, at);
}

/* The axis attribute, counted from the front. */
static int quantization_axis(const tsl_compute_call *call) {
  int64_t axis = compute_attr(call, "axis")->i, rank = call->inputs[0]->type.rank;
  return (int)(axis < 0 ? axis + rank : axis);
}

/* ---- quantize and dequantize --------------------------------------------------------------- */

/* What x / scale computes in: the float dtype `precision` names (an ONNX type number) or, by
 * default, numpy's promotion of x's and scale's dtypes, as the reference divides them: f64 for
 * i32 x, f32 for two different floats. */
static tsl_dtype division_dtype(const tsl_compute_call *call) {
  switch (compute_attr(call, "precision")->i) {
  case 1: return TSL_DTYPE_F32;
  case 10: return TSL_DTYPE_F16;
  case 11: return TSL_DTYPE_F64;
  case 16: return TSL_DTYPE_BF16;
  default: break;
  }
  tsl_dtype x = call->inputs[0]->type.dtype, scale = call->inputs[1]->type.dtype;
  if (x == TSL_DTYPE_I32) return TSL_DTYPE_F64;
  return x == scale ? x : TSL_DTYPE_F32;
}

/* y = saturate(round(x / scale) + zero_point), rounding halves to even. The zero point is added
 * in i64, where no sum overflows before saturation. */
bool tsl_compute_quantize_linear(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0], *zero_point = optional_input(call, 2);
  tsl_te_tensor *y = compute_output(call, 0);
  tsl_expr *at[TSL_MAX_RANK];
  compute_axes(call, y, at);
  int axis = quantization_axis(call), rank = x->type.rank;
  int64_t block = compute_attr(call, "block_size")->i;
  tsl_dtype dtype = division_dtype(call);
  tsl_expr *scale = tsl_cast(a, dtype, param_at(call, call->inputs[1], rank, at, axis, block));
  tsl_expr *quotient = tsl_binary(a, TSL_EXPR_DIV, read_as(call, dtype, x, at), scale);
  tsl_expr *value = tsl_cast(a, TSL_DTYPE_I64, tsl_call(a, TSL_MATH_round, quotient, NULL));
  if (zero_point) {
    tsl_expr *offset = param_at(call, zero_point, rank, at, axis, block);
    value = tsl_binary(a, TSL_EXPR_ADD, value, tsl_cast(a, TSL_DTYPE_I64, offset));
  }
  y->body = saturate(a, y->type.dtype, value);
  return true;
}

/* y = (x - zero_point) · scale. As the reference, x is first rounded to f32, and the rest is
 * f32 but for an i32 zero point, which makes it f64. */
bool tsl_compute_dequantize_linear(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0], *zero_point = optional_input(call, 2);
  tsl_te_tensor *y = compute_output(call, 0);
  tsl_expr *at[TSL_MAX_RANK];
  compute_axes(call, y, at);
  int axis = quantization_axis(call), rank = x->type.rank;
  int64_t block = compute_attr(call, "block_size")->i;
  tsl_dtype dtype = zero_point && x->type.dtype == TSL_DTYPE_I32 ? TSL_DTYPE_F64 : TSL_DTYPE_F32;
  tsl_expr *value = tsl_cast(a, dtype, read_as(call, TSL_DTYPE_F32, x, at));
  if (zero_point) {
    tsl_expr *offset = param_at(call, zero_point, rank, at, axis, block);
    value = tsl_binary(a, TSL_EXPR_SUB, value, tsl_cast(a, dtype, offset));
  }
  tsl_expr *scale = param_at(call, call->inputs[1], rank, at, axis, block);
  y->body =
      tsl_cast(a, y->type.dtype, tsl_binary(a, TSL_EXPR_MUL, value, tsl_cast(a, dtype, scale)));
  return true;
}

/* The smallest (`reducer` min) or largest element of x, as a 0-d f32 stage. */
static tsl_te_tensor *extreme(tsl_compute_call *call, const char *name, tsl_reducer reducer) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0];
  tsl_type type = tsl_type_scalar(TSL_DTYPE_F32);
  tsl_te_tensor *result = tsl_te_compute(call->program, name, &type);
  tsl_iter axes[TSL_MAX_RANK];
  tsl_expr *at[TSL_MAX_RANK];
  for (int axis = 0; axis < x->type.rank; axis++) {
    axes[axis] = tsl_te_reduce_axis(call->program, "rk", x->type.dims[axis]);
    at[axis] = tsl_var_ref(a, axes[axis].var);
  }
  result->body =
      tsl_reduce(a, reducer, tsl_te_read(call->program, x, at), x->type.rank, axes, NULL);
  return result;
}

/* ONNX DynamicQuantizeLinear: x's range, widened to take in 0, spread over [0, 255]: scale is
 * its length / 255 (1 / 255 for an empty range), the zero point where 0 lands, and y as
 * quantize_linear makes it. */
bool tsl_compute_dynamic_quantize_linear(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  tsl_te_tensor *lowest = extreme(call, "lowest", TSL_REDUCE_MIN);
  tsl_te_tensor *highest = extreme(call, "highest", TSL_REDUCE_MAX);
  tsl_expr *zero = tsl_const(a, TSL_DTYPE_F32, 0);
  tsl_expr *low = tsl_binary(a, TSL_EXPR_MIN, zero, tsl_te_read(call->program, lowest, NULL));
  tsl_expr *high = tsl_binary(a, TSL_EXPR_MAX, zero, tsl_te_read(call->program, highest, NULL));
  tsl_te_tensor *scale = compute_output(call, 1);
  tsl_expr *length =
      tsl_select(a, tsl_binary(a, TSL_EXPR_EQ, high, low), tsl_const(a, TSL_DTYPE_F32, 1),
                 tsl_binary(a, TSL_EXPR_SUB, high, low));
  scale->body = tsl_binary(a, TSL_EXPR_DIV, length, tsl_const(a, TSL_DTYPE_F32, 255));
  tsl_expr *step = tsl_te_read(call->program, scale, NULL);
  tsl_te_tensor *zero_point = compute_output(call, 2);
  tsl_expr *landing = tsl_binary(a, TSL_EXPR_SUB, zero, tsl_binary(a, TSL_EXPR_DIV, low, step));
  zero_point->body = saturate(a, TSL_DTYPE_U8, tsl_call(a, TSL_MATH_round, landing, NULL));

  tsl_te_tensor *y = compute_output(call, 0);
  tsl_expr *at[TSL_MAX_RANK];
  compute_axes(call, y, at);
  tsl_expr *quotient =
      tsl_binary(a, TSL_EXPR_DIV, tsl_te_read(call->program, call->inputs[0], at), step);
  tsl_expr *value = tsl_binary(a, TSL_EXPR_ADD, tsl_call(a, TSL_MATH_round, quotient, NULL),
                               read_as(call, TSL_DTYPE_F32, zero_point, NULL));
  y->body = saturate(a, TSL_DTYPE_U8, value);
  return true;
}

/* ---- quantised products -------------------------------------------------------------------- */

/* i32(input `index`) - i32(its zero point, input `zero_point`, where given), the zero point one
 * element or one per index of axis `axis` (param_at). */
static tsl_te_tensor *centered(tsl_compute_call *call, int index, int zero_point, int axis) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *input = call->inputs[index], *offset = optional_input(call, zero_point);
  tsl_type type = input->type;
  type.dtype = TSL_DTYPE_I32;
  tsl_te_tensor *result = tsl_te_compute(call->program, "centered", &type);
  tsl_expr *at[TSL_MAX_RANK];
  compute_axes(call, result, at);
  tsl_expr *value = read_as(call, TSL_DTYPE_I32, input, at);
  if (offset) {
    tsl_expr *shift = tsl_cast(a, TSL_DTYPE_I32, param_at(call, offset, type.rank, at, axis, 0));
    value = tsl_binary(a, TSL_EXPR_SUB, value, shift);
  }
  result->body = value;
  return result;
}

/* Runs the compute rule of `kind` (conv or matmul) on `inputs` as a call with the one output
 * `type`, which it puts in *sum. */
static bool integer_product(tsl_compute_call *call, tsl_op_kind kind, tsl_te_tensor **inputs,
                            int count, const tsl_type *type, tsl_te_tensor **sum) {
  tsl_compute_call product = *call;
  product.op = tsl_op_get(kind);
  /* The quantised operator's attributes are the product's first ones (CONV_ATTRS); the rest
   * (conv's layout) keep their defaults. */
  enum { MAX_ATTRS = 16 };
  tsl_attr attrs[MAX_ATTRS];
  TSL_CHECK(call->op->num_attrs <= product.op->num_attrs && product.op->num_attrs <= MAX_ATTRS);
  for (int i = 0; i < product.op->num_attrs; i++) {
    attrs[i] = i < call->op->num_attrs ? call->attrs[i] : product.op->defaults[i];
  }
  product.attrs = attrs;
  product.inputs = inputs;
  product.num_inputs = count;
  product.output_types = type;
  product.num_outputs = 1;
  product.outputs = sum;
  return product.op->compute_rule(&product);
}

/* The i32 sum of a quantised product, as a stage of the output's shape. */
static tsl_te_tensor *integer_sum(tsl_compute_call *call, tsl_op_kind kind, tsl_te_tensor **inputs,
                                  int count) {
  tsl_type type = call->output_types[0];
  type.dtype = TSL_DTYPE_I32;
  tsl_te_tensor *sum = NULL;
  TSL_CHECK(integer_product(call, kind, inputs, count, &type, &sum));
  return sum;
}

/* saturate(round(sum · multiplier) + zero_point), in f64 as the reference computes it (an i32
 * array times a float one), rounding halves to even. */
static tsl_expr *requantize(tsl_arena *a, tsl_dtype dtype, tsl_expr *sum, tsl_expr *multiplier,
                            tsl_expr *zero_point) {
  tsl_expr *value = tsl_binary(a, TSL_EXPR_MUL, tsl_cast(a, TSL_DTYPE_F64, sum),
                               tsl_cast(a, TSL_DTYPE_F64, multiplier));
  value = tsl_binary(a, TSL_EXPR_ADD, value, tsl_cast(a, TSL_DTYPE_F64, zero_point));
  return saturate(a, dtype, tsl_call(a, TSL_MATH_round, value, NULL));
}

/* x_scale · w_scale / y_scale, in the scales' dtype as the reference computes it. */
static tsl_expr *scale_ratio(tsl_arena *a, tsl_expr *first, tsl_expr *second, tsl_expr *output) {
  return tsl_binary(a, TSL_EXPR_DIV, tsl_binary(a, TSL_EXPR_MUL, first, second), output);
}

/* conv of x - x_zero_point and w - w_zero_point (per tensor, or per output channel), as i32. */
bool tsl_compute_conv_integer(tsl_compute_call *call) {
  tsl_te_tensor *inputs[2] = {centered(call, 0, 2, 0), centered(call, 1, 3, 0)};
  return integer_product(call, TSL_OP_conv, inputs, 2, &call->output_types[0], &call->outputs[0]);
}

/* The i32 convolution plus the i32 bias, requantised with x_scale · w_scale[m] / y_scale. */
bool tsl_compute_qlinear_conv(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  tsl_te_tensor *bias = call->num_inputs > 8 ? call->inputs[8] : NULL;
  tsl_te_tensor *inputs[3] = {centered(call, 0, 2, 0), centered(call, 3, 5, 0), bias};
  tsl_te_tensor *sum = integer_sum(call, TSL_OP_conv, inputs, bias ? 3 : 2);
  tsl_te_tensor *y = compute_output(call, 0);
  tsl_expr *at[TSL_MAX_RANK];
  compute_axes(call, y, at);
  int rank = y->type.rank;
  tsl_expr *multiplier = scale_ratio(a, param_at(call, call->inputs[1], rank, at, 1, 0),
                                     param_at(call, call->inputs[4], rank, at, 1, 0),
                                     param_at(call, call->inputs[6], rank, at, 1, 0));
  y->body = requantize(a, y->type.dtype, tsl_te_read(call->program, sum, at), multiplier,
                       param_at(call, call->inputs[7], rank, at, 1, 0));
  return true;
}

/* The axis of a matmul operand's zero point or scale: a's go per row, b's per column. */
static int matmul_line_axis(const tsl_te_tensor *operand, bool is_a) {
  int rank = operand->type.rank;
  return rank < 2 ? 0 : is_a ? rank - 2 : rank - 1;
}

/* matmul of a - a_zero_point (per row) and b - b_zero_point (per column), as i32. */
bool tsl_compute_matmul_integer(tsl_compute_call *call) {
  tsl_te_tensor *inputs[2] = {centered(call, 0, 2, matmul_line_axis(call->inputs[0], true)),
                              centered(call, 1, 3, matmul_line_axis(call->inputs[1], false))};
  return integer_product(call, TSL_OP_matmul, inputs, 2, &call->output_types[0], &call->outputs[0]);
}

/* The output element `at` of a matmul as [batch…, row, column], 0 standing for the row or
 * column that a 1-D operand leaves out: the indices its operands' per-row and per-column
 * parameters read. Returns the rank. */
static int matmul_full_indices(tsl_compute_call *call, tsl_expr *const *at, tsl_expr **full) {
  tsl_arena *a = arena_of(call);
  int rank = call->output_types[0].rank;
  bool has_row = call->inputs[0]->type.rank >= 2, has_column = call->inputs[3]->type.rank >= 2;
  int batch = rank - has_row - has_column;
  for (int axis = 0; axis < batch; axis++) full[axis] = at[axis];
  full[batch] = has_row ? at[batch] : tsl_index(a, 0);
  full[batch + 1] = has_column ? at[rank - 1] : tsl_index(a, 0);
  return batch + 2;
}

/* The i32 product requantised with a_scale[row] · b_scale[column] / y_scale. */
bool tsl_compute_qlinear_matmul(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  tsl_te_tensor *inputs[2] = {centered(call, 0, 2, matmul_line_axis(call->inputs[0], true)),
                              centered(call, 3, 5, matmul_line_axis(call->inputs[3], false))};
  tsl_te_tensor *sum = integer_sum(call, TSL_OP_matmul, inputs, 2);
  tsl_te_tensor *y = compute_output(call, 0);
  tsl_expr *at[TSL_MAX_RANK], *full[TSL_MAX_RANK];
  compute_axes(call, y, at);
  int rank = matmul_full_indices(call, at, full);
  tsl_expr *multiplier = scale_ratio(a, param_at(call, call->inputs[1], rank, full, rank - 2, 0),
                                     param_at(call, call->inputs[4], rank, full, rank - 1, 0),
                                     param_at(call, call->inputs[6], rank, full, 0, 0));
  y->body = requantize(a, y->type.dtype, tsl_te_read(call->program, sum, at), multiplier,
                       param_at(call, call->inputs[7], rank, full, 0, 0));
  return true;
}
