/* Type rules of reductions and of the operators that work along one axis. */
#include <string.h>

#include "ir/ops/rules.h"

/* The reduced axes as a mask; empty `axes` reduces every axis. */
static bool reduced_axes(tsl_type_call *call, const tsl_attr *axes, int rank, bool *reduced) {
  memset(reduced, 0, sizeof(bool) * TSL_MAX_RANK);
  if (axes->count == 0) {
    for (int axis = 0; axis < rank; axis++) reduced[axis] = true;
    return true;
  }
  for (int i = 0; i < axes->count; i++) {
    int axis;
    if (!rule_axis(call, "axis", axes->ints[i], rank, &axis)) return false;
    if (rank == 0) continue;
    if (reduced[axis]) return rule_fail(call, "axis %d is listed twice", axis);
    reduced[axis] = true;
  }
  return true;
}

static bool reduced_output(tsl_type_call *call, const bool *reduced, bool keepdims,
                           tsl_dtype dtype) {
  const tsl_type *x = call->inputs[0];
  int64_t dims[TSL_MAX_RANK];
  int rank = 0;
  for (int axis = 0; axis < x->rank; axis++) {
    if (!reduced[axis])
      dims[rank++] = x->dims[axis];
    else if (keepdims)
      dims[rank++] = 1;
  }
  return rule_output(call, 0, dtype, rank, dims);
}

bool tsl_rule_reduce(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  bool order_only = call->op->kind == TSL_OP_reduce_max || call->op->kind == TSL_OP_reduce_min;
  if (!order_only && !rule_require_numeric(call, 0)) return false;
  bool reduced[TSL_MAX_RANK];
  return reduced_axes(call, rule_attr(call, "axes"), x->rank, reduced) &&
         reduced_output(call, reduced, rule_int(call, "keepdims") != 0, x->dtype);
}

bool tsl_rule_arg_reduce(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  int axis;
  if (!rule_require_min_rank(call, 0, 1) ||
      !rule_axis(call, "axis", rule_int(call, "axis"), x->rank, &axis)) {
    return false;
  }
  bool reduced[TSL_MAX_RANK] = {0};
  reduced[axis] = true;
  return reduced_output(call, reduced, rule_int(call, "keepdims") != 0, TSL_DTYPE_I64);
}

bool tsl_rule_cumulative(tsl_type_call *call) {
  int axis;
  if (!rule_require_numeric(call, 0) || !rule_require_min_rank(call, 0, 1)) return false;
  if (!rule_axis(call, "axis", rule_int(call, "axis"), call->inputs[0]->rank, &axis)) {
    return false;
  }
  call->outputs[0] = *call->inputs[0];
  return true;
}

bool tsl_rule_topk(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  int axis;
  if (!rule_require_numeric(call, 0) || !rule_require_min_rank(call, 0, 1) ||
      !rule_axis(call, "axis", rule_int(call, "axis"), x->rank, &axis)) {
    return false;
  }
  int64_t k = rule_int(call, "k");
  if (k < 0 || k > x->dims[axis]) {
    return rule_fail(call, "k = %lld does not fit axis %d of size %lld", (long long)k, axis,
                     (long long)x->dims[axis]);
  }
  int64_t dims[TSL_MAX_RANK];
  memcpy(dims, x->dims, sizeof(dims));
  dims[axis] = k;
  return rule_output(call, 0, x->dtype, x->rank, dims) &&
         (call->num_outputs < 2 || rule_output(call, 1, TSL_DTYPE_I64, x->rank, dims));
}

/* softmax, log_softmax, hardmax, lp_norm: same type as x, `axis` in range. */
bool tsl_rule_along_axis(tsl_type_call *call) {
  int axis;
  if (!rule_require_float(call, 0) || !rule_require_min_rank(call, 0, 1) ||
      !rule_axis(call, "axis", rule_int(call, "axis"), call->inputs[0]->rank, &axis)) {
    return false;
  }
  call->outputs[0] = *call->inputs[0];
  return true;
}
