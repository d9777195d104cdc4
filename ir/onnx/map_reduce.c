/* ONNX reductions and the operators that work along an axis. */
#include <string.h>

#include "ir/onnx/map.h"

/* Opsets from which the Reduce operators take `axes` as an input instead of an attribute. */
static int64_t axes_input_opset(const char *op_type) {
  return strcmp(op_type, "ReduceSum") == 0 ? 13 : 18;
}

MAPPING(map_reduce) {
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  const int64_t *axes;
  int count;
  if (im->opset >= axes_input_opset(im->node->op_type)) {
    TRY(im_const_ints(im, 1, "input 1 (axes)", &axes, &count));
  } else {
    axes = im_attr_ints(im, "axes", &count);
  }
  if (count <= 0 && im_attr_int(im, "noop_with_empty_axes", 0)) {
    im_set_output(im, 0, x);
    return TSL_OK;
  }
  tsl_node *node = im_node(im, entry->op, 1, &x, 1, true);
  if (count > 0) im_set_ints(im, node, "axes", count, axes);
  im_set_int(im, node, "keepdims", im_attr_int(im, "keepdims", 1));
  return im_finish(im, node);
}

MAPPING(map_arg_reduce) {
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  tsl_node *node = im_node(im, entry->op, 1, &x, 1, true);
  im_copy_attr(im, node, "axis");
  im_copy_attr(im, node, "keepdims");
  im_copy_attr(im, node, "select_last_index");
  return im_finish(im, node);
}

MAPPING(map_cumulative) {
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  const int64_t *axis;
  int count;
  TRY(im_const_ints(im, 1, "input 1 (axis)", &axis, &count));
  if (count != 1) return im_fail(im, "input 1 (axis) must hold one axis");
  tsl_node *node = im_node(im, entry->op, 1, &x, 1, true);
  im_set_int(im, node, "axis", axis[0]);
  im_copy_attr(im, node, "exclusive");
  im_copy_attr(im, node, "reverse");
  return im_finish(im, node);
}

MAPPING(map_topk) {
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  int64_t k = im_attr_int(im, "k", -1);
  if (im->opset >= 10) {
    const int64_t *values;
    int count;
    TRY(im_const_ints(im, 1, "input 1 (k)", &values, &count));
    if (count != 1) return im_fail(im, "input 1 (k) must hold one number");
    k = values[0];
  }
  tsl_node *node = im_node(im, entry->op, 1, &x, 2, true);
  im_set_int(im, node, "k", k);
  im_copy_attr(im, node, "axis");
  im_copy_attr(im, node, "largest");
  im_copy_attr(im, node, "sorted");
  return im_finish(im, node);
}

/* Before opset 13, Softmax and friends flatten x to 2-D at `axis` (default 1) and work on the
 * second dimension; reshapes around the call do the same. */
MAPPING(map_softmax) {
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  int rank = x->type.rank;
  int64_t axis = im_attr_int(im, "axis", im->opset < 13 ? 1 : -1);
  if (axis < -rank || axis >= (rank ? rank : 1)) {
    return im_fail(im, "axis %lld is out of range for rank %d", (long long)axis, rank);
  }
  if (axis < 0) axis += rank;
  bool flatten = im->opset < 13 && axis != rank - 1;
  tsl_value *input = x;
  if (flatten) {
    int64_t rows = 1, columns = 1;
    for (int a = 0; a < rank; a++) *(a < axis ? &rows : &columns) *= x->type.dims[a];
    int64_t dims[2] = {rows, columns};
    input = im_reshape(im, x, 2, dims);
    if (!input) return im->error->status;
  }
  tsl_node *node = im_node(im, entry->op, 1, &input, 1, !flatten);
  im_set_int(im, node, "axis", flatten ? 1 : axis);
  TRY(im_infer(im, node));
  tsl_value *result = node->outputs[0];
  if (flatten) {
    tsl_node *back = im_node(im, TSL_OP_reshape, 1, &result, 1, true);
    im_set_ints(im, back, "shape", rank, x->type.dims);
    return im_finish(im, back);
  }
  im_set_output(im, 0, result);
  return TSL_OK;
}

MAPPING(map_lp_norm) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  tsl_node *node = im_node(im, TSL_OP_lp_norm, 1, &x, 1, true);
  im_copy_attr(im, node, "axis");
  im_copy_attr(im, node, "p");
  return im_finish(im, node);
}

/* Global pooling is a reduction over every spatial axis, keeping them as 1s. GlobalLpPool is
 * reduce_l2 for p = 2 and reduce_l1 for p = 1. */
MAPPING(map_global_pool) {
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  if (x->type.rank < 3) return im_fail(im, "input 0 has rank %d; global pooling needs 3 or more", x->type.rank);
  tsl_op_kind op = entry->op;
  if (op == TSL_OP_reduce_l2) {
    int64_t p = im_attr_int(im, "p", 2);
    if (p != 1 && p != 2) return im_fail_with(im, TSL_ERROR_NOT_IMPLEMENTED, "p = %lld is not implemented (1 and 2 are)", (long long)p);
    if (p == 1) op = TSL_OP_reduce_l1;
  }
  int64_t axes[TSL_MAX_RANK];
  for (int a = 2; a < x->type.rank; a++) axes[a - 2] = a;
  tsl_node *node = im_node(im, op, 1, &x, 1, true);
  im_set_ints(im, node, "axes", x->type.rank - 2, axes);
  return im_finish(im, node);
}
