/* Type rules of the quantisation operators, after ONNX QuantizeLinear, DequantizeLinear,
 * DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv. The
 * quantised products check their dtypes and parameters here and take their shapes from
 * tsl_rule_matmul and tsl_rule_conv (nn.c). */
#include <stdio.h>

#include "ir/ops/rules.h"

static bool is_8bit(tsl_dtype dtype) { return dtype == TSL_DTYPE_I8 || dtype == TSL_DTYPE_U8; }

static bool is_quantized(tsl_dtype dtype) {
  return is_8bit(dtype) || dtype == TSL_DTYPE_I16 || dtype == TSL_DTYPE_U16;
}

/* The float dtypes ONNX allows for scales and dequantized values. */
static bool is_scale(tsl_dtype dtype) {
  return dtype == TSL_DTYPE_F32 || dtype == TSL_DTYPE_F16 || dtype == TSL_DTYPE_BF16;
}

static bool is_scale_or_i32(tsl_dtype dtype) { return is_scale(dtype) || dtype == TSL_DTYPE_I32; }

static bool is_quantized_or_i32(tsl_dtype dtype) {
  return is_quantized(dtype) || dtype == TSL_DTYPE_I32;
}

/* Input `index` has a dtype that `accepts`; `what` names those for the message. */
static bool require_class(tsl_type_call *call, int index, bool (*accepts)(tsl_dtype),
                          const char *what) {
  tsl_dtype dtype = call->inputs[index]->dtype;
  if (accepts(dtype)) return true;
  char label[64];
  return rule_fail(call, "%s has dtype %s; %s takes %s",
                   rule_input_label(call, index, label, sizeof(label)), tsl_dtype_name(dtype),
                   call->op->name, what);
}

/* A scale or zero point of one element applies to the whole tensor. */
static bool per_tensor(tsl_type_call *call, int index) {
  if (tsl_type_elements(call->inputs[index]) == 1) return true;
  return rule_fail_input(call, index, "%s needs a single element (per tensor)", call->op->name);
}

/* One element, or one per output channel of the convolution. */
static bool per_tensor_or_channel(tsl_type_call *call, int index, int64_t channels) {
  const tsl_type *param = call->inputs[index];
  if (tsl_type_elements(param) == 1 || (param->rank == 1 && param->dims[0] == channels)) {
    return true;
  }
  return rule_fail_input(call, index, "%s needs a single element or [%lld], one per output channel",
                         call->op->name, (long long)channels);
}

/* ---- quantize and dequantize --------------------------------------------------------------- */

/* scale or zero_point (input `index`) against x: one element (per tensor), [x.dims[axis]]
 * (per axis), or with block_size x's shape, axis divided into blocks (blocked). One element
 * always means per tensor, as in ONNX's reference implementation. */
static bool linear_param_fits(tsl_type_call *call, int index) {
  const tsl_type *x = call->inputs[0], *param = rule_input(call, index);
  int64_t block = rule_int(call, "block_size");
  int axis;
  if (block < 0) {
    return rule_fail(call, "block_size is %lld; it must not be negative", (long long)block);
  }
  if (!param || tsl_type_elements(param) == 1) return true;
  if (x->rank == 0) return per_tensor(call, index);
  if (!rule_axis(call, "axis", rule_int(call, "axis"), x->rank, &axis)) return false;
  int64_t dims[TSL_MAX_RANK];
  for (int a = 0; a < x->rank; a++) dims[a] = x->dims[a];
  if (block == 0) {
    if (param->rank == 1 && param->dims[0] == x->dims[axis]) return true;
    return rule_fail_input(call, index,
                           "x has shape %s, so %s needs a single element or [%lld], one "
                           "per index of axis %d",
                           tsl_shape_str(x->rank, x->dims).text, call->op->name,
                           (long long)x->dims[axis], axis);
  }
  dims[axis] = x->dims[axis] / block + (x->dims[axis] % block != 0);
  bool same = param->rank == x->rank;
  for (int a = 0; a < x->rank && same; a++) same = param->dims[a] == dims[a];
  if (same) return true;
  return rule_fail_input(call, index, "x has shape %s, so blocks of %lld along axis %d need %s",
                         tsl_shape_str(x->rank, x->dims).text, (long long)block, axis,
                         tsl_shape_str(x->rank, dims).text);
}

static bool linear_params_fit(tsl_type_call *call) {
  return linear_param_fits(call, 1) && linear_param_fits(call, 2);
}

/* y = saturate(round(x / scale) + zero_point), of dtype `to` (which zero_point shares). */
bool tsl_rule_quantize_linear(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0], *zero_point = rule_input(call, 2);
  tsl_dtype to = rule_attr(call, "to")->dtype;
  if (!is_quantized(to)) {
    return rule_fail(call, "to is %s; quantize_linear produces i8, u8, i16 or u16",
                     tsl_dtype_name(to));
  }
  if (!require_class(call, 0, is_scale_or_i32, "f32, f16, bf16 or i32") ||
      !require_class(call, 1, is_scale_or_i32, "scales of f32, f16, bf16 or i32")) {
    return false;
  }
  if (zero_point && zero_point->dtype != to) {
    return rule_fail(call, "input 2 (zero_point) has dtype %s but to is %s; they must agree",
                     tsl_dtype_name(zero_point->dtype), tsl_dtype_name(to));
  }
  return linear_params_fit(call) && rule_output(call, 0, to, x->rank, x->dims);
}

/* y = (x - zero_point) · scale, of the float dtype `to`; zero_point shares x's dtype. */
bool tsl_rule_dequantize_linear(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  tsl_dtype to = rule_attr(call, "to")->dtype;
  if (!is_scale(to)) {
    return rule_fail(call, "to is %s; dequantize_linear produces f32, f16 or bf16",
                     tsl_dtype_name(to));
  }
  bool typed = require_class(call, 0, is_quantized_or_i32, "i8, u8, i16, u16 or i32") &&
               require_class(call, 1, is_scale, "scales of f32, f16 or bf16") &&
               (!rule_input(call, 2) || rule_require_same_dtype(call, 2, 0));
  return typed && linear_params_fit(call) && rule_output(call, 0, to, x->rank, x->dims);
}

/* u8 values of x's shape, with a 0-d f32 scale and u8 zero point computed from the data. */
bool tsl_rule_dynamic_quantize_linear(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  if (!rule_require_dtype(call, 0, TSL_DTYPE_F32) ||
      !rule_output(call, 0, TSL_DTYPE_U8, x->rank, x->dims)) {
    return false;
  }
  call->outputs[1] = tsl_type_scalar(TSL_DTYPE_F32);
  call->outputs[2] = tsl_type_scalar(TSL_DTYPE_U8);
  return true;
}

/* ---- quantised products -------------------------------------------------------------------- */

static bool require_8bit(tsl_type_call *call, int index) {
  return require_class(call, index, is_8bit, "i8 or u8");
}

/* Input `index`, where present, has input `tensor`'s dtype. */
static bool zero_point_dtype_fits(tsl_type_call *call, int index, int tensor) {
  return !rule_input(call, index) || rule_require_same_dtype(call, index, tensor);
}

/* A scale or zero point (input `index`) of matmul operand `operand`: one element, or one per row
 * of a (`lines_axis` 2, counted from the end) or per column of b (`lines_axis` 1), given as a
 * vector or with the operand's shape and 1 on the other matrix axis. */
static bool matmul_param_fits(tsl_type_call *call, int index, int operand, int lines_axis) {
  const tsl_type *param = rule_input(call, index), *matrix = call->inputs[operand];
  if (!param || tsl_type_elements(param) == 1) return true;
  int lines = matrix->rank - lines_axis, other = matrix->rank - 3 + lines_axis;
  if (matrix->rank >= 2 && param->rank == 1 && param->dims[0] == matrix->dims[lines]) return true;
  int64_t dims[TSL_MAX_RANK];
  bool same = matrix->rank >= 2 && param->rank == matrix->rank;
  for (int a = 0; a < matrix->rank; a++) {
    dims[a] = a == other ? 1 : matrix->dims[a];
    same = same && param->dims[a] == dims[a];
  }
  if (same) return true;
  char label[64];
  return rule_fail_input(call, index, "%s has shape %s; %s needs a single element or one per %s",
                         rule_input_label(call, operand, label, sizeof(label)),
                         tsl_shape_str(matrix->rank, matrix->dims).text, call->op->name,
                         lines_axis == 2 ? "row" : "column");
}

/* i8/u8 a and b with optional zero points of their dtypes → i32, numpy matmul shape. */
bool tsl_rule_matmul_integer(tsl_type_call *call) {
  if (!require_8bit(call, 0) || !require_8bit(call, 1) || !zero_point_dtype_fits(call, 2, 0) ||
      !zero_point_dtype_fits(call, 3, 1) || !tsl_rule_matmul(call) ||
      !matmul_param_fits(call, 2, 0, 2) || !matmul_param_fits(call, 3, 1, 1)) {
    return false;
  }
  call->outputs[0].dtype = TSL_DTYPE_I32;
  return true;
}

/* a, b and y are i8 or u8, each zero point of its tensor's dtype; the three scales share a float
 * dtype. a's parameters may be per row, b's per column; y's are per tensor. */
bool tsl_rule_qlinear_matmul(tsl_type_call *call) {
  if (!require_8bit(call, 0) || !require_8bit(call, 3) || !require_8bit(call, 7) ||
      !rule_require_same_dtype(call, 2, 0) || !rule_require_same_dtype(call, 5, 3) ||
      !require_class(call, 1, is_scale, "f32, f16 or bf16 scales") ||
      !rule_require_same_dtype(call, 4, 1) || !rule_require_same_dtype(call, 6, 1)) {
    return false;
  }
  if (!tsl_rule_matmul(call) || !matmul_param_fits(call, 1, 0, 2) ||
      !matmul_param_fits(call, 2, 0, 2) || !matmul_param_fits(call, 4, 3, 1) ||
      !matmul_param_fits(call, 5, 3, 1) || !per_tensor(call, 6) || !per_tensor(call, 7)) {
    return false;
  }
  call->outputs[0].dtype = call->inputs[7]->dtype;
  return true;
}

/* i8/u8 x and w; x's zero point per tensor, w's per tensor or output channel → i32. */
bool tsl_rule_conv_integer(tsl_type_call *call) {
  if (!require_8bit(call, 0) || !require_8bit(call, 1) || !zero_point_dtype_fits(call, 2, 0) ||
      !zero_point_dtype_fits(call, 3, 1) || !tsl_rule_conv(call)) {
    return false;
  }
  int64_t channels = call->inputs[1]->dims[0];
  if ((rule_input(call, 2) && !per_tensor(call, 2)) ||
      (rule_input(call, 3) && !per_tensor_or_channel(call, 3, channels))) {
    return false;
  }
  call->outputs[0].dtype = TSL_DTYPE_I32;
  return true;
}

/* x, w and y are i8 or u8 with zero points of their dtypes and f32 scales; w's may be per
 * output channel, the others' are per tensor; b is i32. */
bool tsl_rule_qlinear_conv(tsl_type_call *call) {
  if (!require_8bit(call, 0) || !require_8bit(call, 3) || !require_8bit(call, 7) ||
      !rule_require_same_dtype(call, 2, 0) || !rule_require_same_dtype(call, 5, 3) ||
      !rule_require_dtype(call, 1, TSL_DTYPE_F32) || !rule_require_dtype(call, 4, TSL_DTYPE_F32) ||
      !rule_require_dtype(call, 6, TSL_DTYPE_F32) ||
      (rule_input(call, 8) && !rule_require_dtype(call, 8, TSL_DTYPE_I32))) {
    return false;
  }
  if (!tsl_rule_conv(call)) return false;
  int64_t channels = call->inputs[3]->dims[0];
  if (!per_tensor(call, 1) || !per_tensor(call, 2) || !per_tensor_or_channel(call, 4, channels) ||
      !per_tensor_or_channel(call, 5, channels) || !per_tensor(call, 6) || !per_tensor(call, 7)) {
    return false;
  }
  call->outputs[0].dtype = call->inputs[7]->dtype;
  return true;
}
