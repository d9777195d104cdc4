/* Type rules of the elementwise and broadcasting operators. */
#include "ir/ops/rules.h"

bool tsl_rule_float_unary(tsl_type_call *call) {
  return rule_require_float(call, 0) && rule_same_as_input(call);
}

bool tsl_rule_numeric_unary(tsl_type_call *call) {
  return rule_require_numeric(call, 0) && rule_same_as_input(call);
}

static bool is_signed_number(tsl_dtype dtype) { return tsl_dtype_is_signed(dtype); }

bool tsl_rule_signed_unary(tsl_type_call *call) {
  if (!is_signed_number(call->inputs[0]->dtype)) {
    return rule_fail(call, "input 0 (x) has dtype %s; %s takes floats and signed integers",
                     tsl_dtype_name(call->inputs[0]->dtype), call->op->name);
  }
  return rule_same_as_input(call);
}

bool tsl_rule_integer_unary(tsl_type_call *call) {
  return rule_require_integer(call, 0) && rule_same_as_input(call);
}

bool tsl_rule_bool_unary(tsl_type_call *call) {
  return rule_require_dtype(call, 0, TSL_DTYPE_BOOL) && rule_same_as_input(call);
}

bool tsl_rule_float_predicate(tsl_type_call *call) {
  if (!rule_require_float(call, 0)) return false;
  call->outputs[0] = *call->inputs[0];
  call->outputs[0].dtype = TSL_DTYPE_BOOL;
  return true;
}

bool tsl_rule_cast(tsl_type_call *call) {
  call->outputs[0] = *call->inputs[0];
  call->outputs[0].dtype = rule_attr(call, "to")->dtype;
  return true;
}

/* ONNX BitCast: x's bytes read as dtype `to`, which must be as wide; the shape stays. */
bool tsl_rule_bit_cast(tsl_type_call *call) {
  tsl_dtype from = call->inputs[0]->dtype, to = rule_attr(call, "to")->dtype;
  if (tsl_dtype_size(from) != tsl_dtype_size(to)) {
    return rule_fail(call,
                     "input 0 (x) has dtype %s, %zu bits wide; bit_cast cannot read it as %s, "
                     "%zu bits wide",
                     tsl_dtype_name(from), 8 * tsl_dtype_size(from), tsl_dtype_name(to),
                     8 * tsl_dtype_size(to));
  }
  call->outputs[0] = *call->inputs[0];
  call->outputs[0].dtype = to;
  return true;
}

bool tsl_rule_clip(tsl_type_call *call) {
  if (!rule_require_numeric(call, 0)) return false;
  for (int i = 1; i < call->num_inputs; i++) {
    const tsl_type *bound = rule_input(call, i);
    if (!bound) continue;
    if (!rule_require_same_dtype(call, i, 0) || !rule_require_rank(call, i, 0)) return false;
  }
  return rule_same_as_input(call);
}

static bool broadcast_inputs(tsl_type_call *call, tsl_dtype dtype) {
  tsl_type out = {.dtype = dtype};
  if (!rule_broadcast(call, call->num_inputs, call->inputs, &out)) return false;
  return rule_output(call, 0, dtype, out.rank, out.dims);
}

bool tsl_rule_numeric_binary(tsl_type_call *call) {
  return rule_require_numeric(call, 0) && rule_require_same_dtype(call, 1, 0) &&
         broadcast_inputs(call, call->inputs[0]->dtype);
}

bool tsl_rule_integer_binary(tsl_type_call *call) {
  return rule_require_integer(call, 0) && rule_require_same_dtype(call, 1, 0) &&
         broadcast_inputs(call, call->inputs[0]->dtype);
}

bool tsl_rule_bool_binary(tsl_type_call *call) {
  return rule_require_dtype(call, 0, TSL_DTYPE_BOOL) && rule_require_same_dtype(call, 1, 0) &&
         broadcast_inputs(call, TSL_DTYPE_BOOL);
}

bool tsl_rule_compare(tsl_type_call *call) {
  return rule_require_same_dtype(call, 1, 0) && broadcast_inputs(call, TSL_DTYPE_BOOL);
}

/* The exponent may have another numeric type than the base; the result has the base's. */
bool tsl_rule_pow(tsl_type_call *call) {
  return rule_require_numeric(call, 0) && rule_require_numeric(call, 1) &&
         broadcast_inputs(call, call->inputs[0]->dtype);
}

/* The slope broadcasts to x, never the other way. */
bool tsl_rule_prelu(tsl_type_call *call) {
  if (!rule_require_numeric(call, 0) || !rule_require_same_dtype(call, 1, 0)) return false;
  tsl_type out = {0};
  if (!rule_broadcast(call, 2, call->inputs, &out)) return false;
  if (!tsl_shape_equal(&out, call->inputs[0])) {
    return rule_fail(call, "slope of shape %s does not broadcast to x of shape %s",
                     tsl_shape_str(call->inputs[1]->rank, call->inputs[1]->dims).text,
                     tsl_shape_str(call->inputs[0]->rank, call->inputs[0]->dims).text);
  }
  return rule_same_as_input(call);
}

bool tsl_rule_where(tsl_type_call *call) {
  return rule_require_dtype(call, 0, TSL_DTYPE_BOOL) && rule_require_same_dtype(call, 2, 1) &&
         broadcast_inputs(call, call->inputs[1]->dtype);
}
