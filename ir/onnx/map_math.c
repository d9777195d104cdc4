/* ONNX elementwise operators, comparisons and casts. */
#include <string.h>

#include "ir/onnx/map.h"

/* One tessel call, its attributes copied from the ONNX attributes of the same names. */
static tsl_status map_direct(importer *im, tsl_op_kind op, int num_inputs, tsl_value **inputs) {
  tsl_node *node = im_node(im, op, num_inputs, inputs, 1, true);
  const tsl_op_def *def = tsl_op_get(op);
  for (int i = 0; i < def->num_attrs; i++) im_copy_attr(im, node, def->attr_defs[i].name);
  return im_finish(im, node);
}

MAPPING(map_unary) {
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  return map_direct(im, entry->op, 1, &x);
}

/* Before opset 7, binary operators broadcast only when asked (`broadcast`), aligning b with a's
 * axes from `axis` on; b is reshaped so that numpy broadcasting does the same. */
static tsl_status legacy_broadcast(importer *im, tsl_value *a, tsl_value **b) {
  if (im->opset >= 7 || !im_attr_int(im, "broadcast", 0)) return TSL_OK;
  int rank_a = a->type.rank, rank_b = (*b)->type.rank;
  int64_t axis = im_attr_int(im, "axis", rank_a - rank_b);
  if (axis < 0) axis += rank_a;
  if (axis < 0 || axis + rank_b > rank_a) {
    return im_fail(im, "axis %lld does not align b of rank %d with a of rank %d", (long long)axis,
                   rank_b, rank_a);
  }
  int64_t dims[TSL_MAX_RANK];
  int rank = rank_a - (int)axis;
  for (int i = 0; i < rank; i++) dims[i] = i < rank_b ? (*b)->type.dims[i] : 1;
  *b = im_reshape(im, *b, rank, dims);
  return *b ? TSL_OK : im->error->status;
}

/* Before opset 7, PRelu's slope of one value per channel applied along axis 1. */
static tsl_status legacy_prelu_slope(importer *im, tsl_value *x, tsl_value **slope) {
  if (im->opset >= 7 || (*slope)->type.rank != 1 || x->type.rank < 3 ||
      (*slope)->type.dims[0] != x->type.dims[1]) {
    return TSL_OK;
  }
  int64_t dims[TSL_MAX_RANK];
  for (int a = 0; a < x->type.rank - 1; a++) dims[a] = a ? 1 : x->type.dims[1];
  *slope = im_reshape(im, *slope, x->type.rank - 1, dims);
  return *slope ? TSL_OK : im->error->status;
}

MAPPING(map_binary) {
  tsl_value *inputs[2];
  TRY(im_require_input(im, 0, &inputs[0]));
  TRY(im_require_input(im, 1, &inputs[1]));
  TRY(legacy_broadcast(im, inputs[0], &inputs[1]));
  if (entry->op == TSL_OP_prelu) TRY(legacy_prelu_slope(im, inputs[0], &inputs[1]));
  return map_direct(im, entry->op, 2, inputs);
}

MAPPING(map_bit_shift) {
  (void)entry;
  tsl_value *inputs[2];
  TRY(im_require_input(im, 0, &inputs[0]));
  TRY(im_require_input(im, 1, &inputs[1]));
  const char *direction = im_attr_string(im, "direction", "");
  tsl_op_kind op;
  if (strcmp(direction, "LEFT") == 0) op = TSL_OP_left_shift;
  else if (strcmp(direction, "RIGHT") == 0) op = TSL_OP_right_shift;
  else return im_fail(im, "direction must be LEFT or RIGHT, not '%s'", direction);
  return map_direct(im, op, 2, inputs);
}

/* Sum, Mean, Max, Min over any number of inputs: a chain of binary calls. */
MAPPING(map_variadic) {
  int count = im_num_inputs(im);
  if (count == 0) return im_fail(im, "needs at least one input");
  tsl_value *result;
  TRY(im_require_input(im, 0, &result));
  for (int i = 1; i < count; i++) {
    tsl_value *next;
    TRY(im_require_input(im, i, &next));
    tsl_value *inputs[2] = {result, next};
    bool last = i == count - 1 && strcmp(im->node->op_type, "Mean") != 0;
    tsl_node *node = im_node(im, entry->op, 2, inputs, 1, last);
    TRY(im_infer(im, node));
    result = node->outputs[0];
  }
  if (strcmp(im->node->op_type, "Mean") == 0 && count > 1) {
    tsl_value *divisor = im_scalar(im, result->type.dtype, count);
    tsl_value *inputs[2] = {result, divisor};
    tsl_node *node = im_node(im, TSL_OP_div, 2, inputs, 1, true);
    TRY(im_infer(im, node));
    result = node->outputs[0];
  }
  im_set_output(im, 0, result);
  return TSL_OK;
}

/* Clip: bounds are inputs from opset 11, attributes before. */
MAPPING(map_clip) {
  (void)entry;
  tsl_value *inputs[3] = {NULL, NULL, NULL};
  TRY(im_require_input(im, 0, &inputs[0]));
  tsl_dtype dtype = inputs[0]->type.dtype;
  if (im->opset < 11) {
    if (im_attr(im, "min")) inputs[1] = im_scalar(im, dtype, im_attr_float(im, "min", 0));
    if (im_attr(im, "max")) inputs[2] = im_scalar(im, dtype, im_attr_float(im, "max", 0));
  } else {
    inputs[1] = im_input(im, 1);
    inputs[2] = im_input(im, 2);
  }
  /* Bounds given as one-element lists are read as the scalars they mean. */
  for (int i = 1; i < 3; i++) {
    if (inputs[i] && inputs[i]->type.rank == 1 && inputs[i]->type.dims[0] == 1) {
      inputs[i] = im_reshape(im, inputs[i], 0, NULL);
      if (!inputs[i]) return im->error->status;
    }
  }
  return im_finish(im, im_node(im, TSL_OP_clip, 3, inputs, 1, true));
}

/* x converted (cast) or reinterpreted (bit_cast) as `dtype`. */
static tsl_status cast_to(importer *im, tsl_op_kind op, tsl_value *x, tsl_dtype dtype) {
  tsl_node *node = im_node(im, op, 1, &x, 1, true);
  im_set_dtype(im, node, "to", dtype);
  return im_finish(im, node);
}

/* Cast's and BitCast's `to`: an ONNX data type number (Cast-1 spelled the type's name). */
static tsl_status target_dtype(importer *im, tsl_dtype *dtype) {
  const Onnx__AttributeProto *to = im_attr(im, "to");
  if (!to) return im_fail(im, "attribute 'to' is required");
  int32_t code = (int32_t)to->i;
  if (to->has_s) {
    const char *name = im_attr_string(im, "to", "");
    code = 0;
    for (int32_t candidate = 1; candidate < 64; candidate++) {
      if (strcmp(tsl_onnx_dtype_name(candidate), name) == 0) code = candidate;
    }
  }
  return im_dtype(im, code, "attribute 'to'", dtype);
}

/* Cast and BitCast (entry->op: cast or bit_cast). */
MAPPING(map_cast) {
  tsl_value *x;
  tsl_dtype dtype;
  TRY(im_require_input(im, 0, &x));
  TRY(target_dtype(im, &dtype));
  return cast_to(im, entry->op, x, dtype);
}

MAPPING(map_cast_like) {
  (void)entry;
  tsl_value *x, *target;
  TRY(im_require_input(im, 0, &x));
  TRY(im_require_input(im, 1, &target));
  return cast_to(im, TSL_OP_cast, x, target->type.dtype);
}

/* SwiGLU: swish(a)·b. Two elementwise calls that fusion joins into one kernel again, so an
 * operator of its own would gain nothing. ONNX does not broadcast a and b here. */
MAPPING(map_swiglu) {
  (void)entry;
  tsl_value *a, *b;
  TRY(im_require_input(im, 0, &a));
  TRY(im_require_input(im, 1, &b));
  if (!tsl_type_equal(&a->type, &b->type)) {
    return im_fail(im, "inputs 0 (A) of type %s and 1 (B) of type %s must have one dtype and shape",
                   tsl_type_str(&a->type).text, tsl_type_str(&b->type).text);
  }
  tsl_node *gate = im_node(im, TSL_OP_swish, 1, &a, 1, false);
  im_copy_attr(im, gate, "alpha");
  TRY(im_infer(im, gate));
  tsl_value *inputs[2] = {gate->outputs[0], b};
  return im_finish(im, im_node(im, TSL_OP_mul, 2, inputs, 1, true));
}

MAPPING(map_identity) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  im_set_output(im, 0, x);
  return TSL_OK;
}

/* Dropout does nothing at inference; its mask, when asked for, is all true. */
MAPPING(map_dropout) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  tsl_value *training = im_input(im, 2);
  if (training) {
    TRY(im_constant(im, training, "input 2 (training_mode)"));
    if (tsl_element_get_i64(training->type.dtype, training->data->bytes, 0)) {
      return im_refuse(im, "training mode is not supported; tessel compiles models for inference");
    }
  }
  if (im->opset < 7 && im_attr_int(im, "is_test", 0) == 0 && im_output_wanted(im, 1)) {
    return im_refuse(im, "training mode is not supported; tessel compiles models for inference");
  }
  im_set_output(im, 0, x);
  if (im_output_wanted(im, 1)) {
    tsl_value *truth = im_scalar(im, TSL_DTYPE_BOOL, 1);
    tsl_node *mask = im_node(im, TSL_OP_full, 1, &truth, 1, false);
    im_set_ints(im, mask, "shape", x->type.rank, x->type.dims);
    TRY(im_infer(im, mask));
    im_set_output(im, 1, mask->outputs[0]);
  }
  return TSL_OK;
}

MAPPING(map_where) {
  (void)entry;
  tsl_value *inputs[3];
  for (int i = 0; i < 3; i++) TRY(im_require_input(im, i, &inputs[i]));
  return im_finish(im, im_node(im, TSL_OP_where, 3, inputs, 1, true));
}
