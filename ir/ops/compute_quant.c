/* Compute rules of the quantisation operators. */
#include "ir/ops/compute.h"

bool tsl_compute_quantize_linear(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_dequantize_linear(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_dynamic_quantize_linear(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_qlinear_conv(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_qlinear_matmul(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_matmul_integer(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_conv_integer(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

