/* Compute rules of convolution, pooling, products and attention. */
#include "ir/ops/compute.h"

bool tsl_compute_conv(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_conv_transpose(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_deform_conv(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_causal_conv_with_state(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_pool(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_matmul(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_gemm(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_einsum(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_attention(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_linear_attention(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_rotary_embedding(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_roi_align(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_max_roi_pool(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

