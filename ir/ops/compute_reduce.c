/* Compute rules of reductions, scans, normalisation and the operators that work along an axis. */
#include "ir/ops/compute.h"

bool tsl_compute_reduce(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_arg_reduce(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_cumulative(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_softmax(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_hardmax(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_lp_norm(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_topk(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_batch_norm(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_instance_norm(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_layer_norm(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_group_norm(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_rms_norm(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_lrn(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_det(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

