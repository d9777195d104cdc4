/* Compute rules of the layout, shape and indexing operators. */
#include "ir/ops/compute.h"

bool tsl_compute_reshape(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_transpose(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_concat(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_split(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_slice(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_take(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_gather_elements(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_gather_nd(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_expand(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_tile(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_pad(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_depth_to_space(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_space_to_depth(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_trilu(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_eye_like(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_one_hot(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_reverse_sequence(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_scatter_elements(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_scatter_nd(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_tensor_scatter(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_resize(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_grid_sample(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_affine_grid(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_col2im(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

bool tsl_compute_max_unpool(tsl_compute_call *call) {
  return compute_fail(call, "%s: compute rule not written yet", call->op->name);
}

