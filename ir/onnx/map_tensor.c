/* ONNX constants, shapes, layout and indexing. Shape-deciding inputs are read as constants
 * here, so every tessel call gets them as attributes. */
#include <math.h>
#include <string.h>

#include "ir/check.h"
#include "ir/onnx/map.h"

/* ---- constants and shapes --------------------------------------------------------------- */

static tsl_tensor_data *new_data(tsl_dtype dtype, int rank, const int64_t *dims) {
  tsl_type type = tsl_type_make(dtype, rank, dims);
  tsl_tensor_data *data = tsl_tensor_data_new(&type);
  TSL_CHECK_ALLOC(data);
  return data;
}

/* A 1-D i64 constant, the ONNX node's output `index`. */
static void output_ints(importer *im, int index, int count, const int64_t *values) {
  int64_t length = count;
  tsl_tensor_data *data = new_data(TSL_DTYPE_I64, 1, &length);
  if (count) memcpy(data->bytes, values, sizeof(int64_t) * (size_t)count);
  im_set_output(im, index, im_constant_from(im, im->node->output[index], data));
}

static tsl_status constant_attribute(importer *im, tsl_tensor_data **data) {
  const Onnx__AttributeProto *attr;
  if ((attr = im_attr(im, "value")) && attr->t) {
    tsl_status status = tsl_onnx_tensor(attr->t, im->base_dir, "attribute 'value'", data, im->error);
    return status ? im_fail_with(im, status, "%s", im->error->message) : TSL_OK;
  }
  if ((attr = im_attr(im, "value_float"))) {
    *data = new_data(TSL_DTYPE_F32, 0, NULL);
    *(float *)(*data)->bytes = attr->f;
  } else if ((attr = im_attr(im, "value_int"))) {
    *data = new_data(TSL_DTYPE_I64, 0, NULL);
    *(int64_t *)(*data)->bytes = attr->i;
  } else if ((attr = im_attr(im, "value_floats"))) {
    int64_t count = (int64_t)attr->n_floats;
    *data = new_data(TSL_DTYPE_F32, 1, &count);
    if (count) memcpy((*data)->bytes, attr->floats, sizeof(float) * (size_t)count);
  } else if ((attr = im_attr(im, "value_ints"))) {
    int64_t count = (int64_t)attr->n_ints;
    *data = new_data(TSL_DTYPE_I64, 1, &count);
    if (count) memcpy((*data)->bytes, attr->ints, sizeof(int64_t) * (size_t)count);
  } else if (im_attr(im, "value_string") || im_attr(im, "value_strings")) {
    return im_refuse(im, "string tensors are not supported");
  } else if (im_attr(im, "sparse_value")) {
    return im_refuse(im, "sparse tensors are not supported");
  } else {
    return im_fail(im, "a Constant needs one of the value attributes");
  }
  return TSL_OK;
}

MAPPING(map_constant) {
  (void)entry;
  tsl_tensor_data *data;
  TRY(constant_attribute(im, &data));
  im_set_output(im, 0, im_constant_from(im, im->node->output[0], data));
  return TSL_OK;
}

static int64_t clamp_index(int64_t index, int64_t size) {
  if (index < 0) index += size;
  return index < 0 ? 0 : index > size ? size : index;
}

MAPPING(map_shape) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  int64_t rank = x->type.rank;
  int64_t start = clamp_index(im_attr_int(im, "start", 0), rank);
  int64_t end = clamp_index(im_attr_int(im, "end", rank), rank);
  output_ints(im, 0, end > start ? (int)(end - start) : 0, x->type.dims + start);
  return TSL_OK;
}

MAPPING(map_size) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  tsl_tensor_data *data = new_data(TSL_DTYPE_I64, 0, NULL);
  *(int64_t *)data->bytes = tsl_type_elements(&x->type);
  im_set_output(im, 0, im_constant_from(im, im->node->output[0], data));
  return TSL_OK;
}

MAPPING(map_constant_of_shape) {
  (void)entry;
  const int64_t *shape;
  int rank;
  TRY(im_const_ints(im, 0, "input 0 (shape)", &shape, &rank));
  if (rank < 0) return im_fail(im, "input 0 (shape) is required");
  tsl_tensor_data *value;
  if (im_attr(im, "value")) {
    TRY(constant_attribute(im, &value));
    if (tsl_type_elements(&value->type) != 1) {
      tsl_tensor_data_release(value);
      return im_fail(im, "attribute 'value' must hold one element");
    }
    /* The one element, as a 0-d tensor. */
    tsl_tensor_data *scalar = new_data(value->type.dtype, 0, NULL);
    memcpy(scalar->bytes, value->bytes, (size_t)scalar->size);
    tsl_tensor_data_release(value);
    value = scalar;
  } else {
    value = new_data(TSL_DTYPE_F32, 0, NULL);
  }
  const char *name = tsl_arena_printf(im->graph->arena, "%s/value", im->node->output[0]);
  tsl_value *fill = im_constant_from(im, name, value);
  tsl_node *node = im_node(im, TSL_OP_full, 1, &fill, 1, true);
  im_set_ints(im, node, "shape", rank, shape);
  return im_finish(im, node);
}

static tsl_status range_too_long(importer *im, double steps) {
  return im_refuse(im, "the range has %.0f elements; tessel computes Range at import and stops "
                   "at %lld", steps, (long long)TSL_MAX_EVALUATED_ELEMENTS);
}

/* Range depends on its inputs' values for its shape: computed now. */
MAPPING(map_range) {
  (void)entry;
  tsl_value *inputs[3];
  const char *names[3] = {"input 0 (start)", "input 1 (limit)", "input 2 (delta)"};
  for (int i = 0; i < 3; i++) {
    TRY(im_require_input(im, i, &inputs[i]));
    TRY(im_constant(im, inputs[i], names[i]));
    if (tsl_type_elements(&inputs[i]->type) != 1) return im_fail(im, "%s must be a scalar", names[i]);
  }
  tsl_dtype dtype = inputs[0]->type.dtype;
  int64_t count;
  if (tsl_dtype_is_float(dtype)) {
    double start = tsl_element_get_f64(dtype, inputs[0]->data->bytes, 0);
    double limit = tsl_element_get_f64(dtype, inputs[1]->data->bytes, 0);
    double delta = tsl_element_get_f64(dtype, inputs[2]->data->bytes, 0);
    if (delta == 0 || !isfinite(start) || !isfinite(limit)) return im_fail(im, "the range is not finite");
    double steps = ceil((limit - start) / delta);
    if (steps > (double)TSL_MAX_EVALUATED_ELEMENTS) return range_too_long(im, steps);
    count = steps > 0 ? (int64_t)steps : 0;
    tsl_tensor_data *data = new_data(dtype, 1, &count);
    for (int64_t i = 0; i < count; i++) tsl_element_set_f64(dtype, data->bytes, i, start + (double)i * delta);
    im_set_output(im, 0, im_constant_from(im, im->node->output[0], data));
    return TSL_OK;
  }
  int64_t start = tsl_element_get_i64(dtype, inputs[0]->data->bytes, 0);
  int64_t limit = tsl_element_get_i64(dtype, inputs[1]->data->bytes, 0);
  int64_t delta = tsl_element_get_i64(dtype, inputs[2]->data->bytes, 0);
  if (delta == 0) return im_fail(im, "input 2 (delta) is zero");
  double steps = ceil(((double)limit - (double)start) / (double)delta);
  if (steps > (double)TSL_MAX_EVALUATED_ELEMENTS) return range_too_long(im, steps);
  count = steps > 0 ? (int64_t)steps : 0;
  tsl_tensor_data *data = new_data(dtype, 1, &count);
  for (int64_t i = 0; i < count; i++) tsl_element_set_i64(dtype, data->bytes, i, start + i * delta);
  im_set_output(im, 0, im_constant_from(im, im->node->output[0], data));
  return TSL_OK;
}

MAPPING(map_eye_like) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  tsl_dtype to = x->type.dtype;
  if (im_attr(im, "dtype")) TRY(im_dtype(im, (int32_t)im_attr_int(im, "dtype", 1), "attribute 'dtype'", &to));
  tsl_node *node = im_node(im, TSL_OP_eye_like, 1, &x, 1, true);
  im_set_dtype(im, node, "to", to);
  im_copy_attr(im, node, "k");
  return im_finish(im, node);
}

/* ---- layout ----------------------------------------------------------------------------- */

static tsl_status reshape_output(importer *im, tsl_value *x, int rank, const int64_t *dims) {
  tsl_node *node = im_node(im, TSL_OP_reshape, 1, &x, 1, true);
  im_set_ints(im, node, "shape", rank, dims);
  return im_finish(im, node);
}

MAPPING(map_reshape) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  const int64_t *shape;
  int rank;
  if (im->opset < 5) shape = im_attr_ints(im, "shape", &rank);
  else TRY(im_const_ints(im, 1, "input 1 (shape)", &shape, &rank));
  if (rank < 0) return im_fail(im, "the target shape is required");
  if (rank > TSL_MAX_RANK) return im_refuse(im, "rank %d is above tessel's limit of %d", rank, TSL_MAX_RANK);
  bool allow_zero = im_attr_int(im, "allowzero", 0) != 0;
  int64_t dims[TSL_MAX_RANK], known = 1;
  int inferred = -1;
  for (int i = 0; i < rank; i++) {
    dims[i] = shape[i];
    if (shape[i] == 0 && !allow_zero) {
      if (i >= x->type.rank) return im_fail(im, "shape entry %d is 0 but input 0 has rank %d", i, x->type.rank);
      dims[i] = x->type.dims[i];
    }
    if (dims[i] == -1) {
      if (inferred >= 0) return im_fail(im, "the shape %s has more than one -1", tsl_shape_str(rank, shape).text);
      inferred = i;
    } else if (dims[i] < 0) {
      return im_fail(im, "the shape %s has a negative size", tsl_shape_str(rank, shape).text);
    } else {
      known = dims[i] && known > INT64_MAX / dims[i] ? INT64_MAX : known * dims[i];
    }
  }
  if (inferred >= 0) {
    int64_t elements = tsl_type_elements(&x->type);
    if (known == 0 || elements % known) {
      return im_fail(im, "cannot reshape %s into %s", tsl_type_str(&x->type).text,
                     tsl_shape_str(rank, shape).text);
    }
    dims[inferred] = elements / known;
  }
  return reshape_output(im, x, rank, dims);
}

MAPPING(map_flatten) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  int rank = x->type.rank;
  int64_t axis = im_attr_int(im, "axis", 1);
  if (axis < -rank || axis > rank) return im_fail(im, "axis %lld is out of range for rank %d", (long long)axis, rank);
  if (axis < 0) axis += rank;
  int64_t dims[2] = {1, 1};
  for (int a = 0; a < rank; a++) dims[a < axis ? 0 : 1] *= x->type.dims[a];
  return reshape_output(im, x, 2, dims);
}

/* Axes from opset 13 come as input 1, before as the `axes` attribute. */
static tsl_status axes_argument(importer *im, const int64_t **axes, int *count) {
  if (im->opset < 13) {
    *axes = im_attr_ints(im, "axes", count);
    return TSL_OK;
  }
  return im_const_ints(im, 1, "input 1 (axes)", axes, count);
}

MAPPING(map_squeeze) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  const int64_t *axes;
  int count, rank = x->type.rank, kept = 0;
  TRY(axes_argument(im, &axes, &count));
  bool squeezed[TSL_MAX_RANK] = {0};
  for (int i = 0; i < count; i++) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank) return im_fail(im, "axis %lld is out of range for rank %d", (long long)axes[i], rank);
    if (x->type.dims[axis] != 1) {
      return im_fail(im, "axis %lld has size %lld, not 1", (long long)axes[i], (long long)x->type.dims[axis]);
    }
    squeezed[axis] = true;
  }
  int64_t dims[TSL_MAX_RANK];
  for (int a = 0; a < rank; a++) {
    bool drop = count > 0 ? squeezed[a] : x->type.dims[a] == 1;
    if (!drop) dims[kept++] = x->type.dims[a];
  }
  return reshape_output(im, x, kept, dims);
}

MAPPING(map_unsqueeze) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  const int64_t *axes;
  int count;
  TRY(axes_argument(im, &axes, &count));
  if (count < 0) return im_fail(im, "the axes are required");
  int rank = x->type.rank + count;
  if (rank > TSL_MAX_RANK) return im_refuse(im, "rank %d is above tessel's limit of %d", rank, TSL_MAX_RANK);
  bool inserted[TSL_MAX_RANK] = {0};
  for (int i = 0; i < count; i++) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank || inserted[axis]) {
      return im_fail(im, "axis %lld is out of range or repeated for output rank %d", (long long)axes[i], rank);
    }
    inserted[axis] = true;
  }
  int64_t dims[TSL_MAX_RANK];
  for (int a = 0, source = 0; a < rank; a++) dims[a] = inserted[a] ? 1 : x->type.dims[source++];
  return reshape_output(im, x, rank, dims);
}

MAPPING(map_transpose) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  int count;
  const int64_t *perm = im_attr_ints(im, "perm", &count);
  int64_t reversed[TSL_MAX_RANK];
  if (count < 0) {
    count = x->type.rank;
    for (int a = 0; a < count; a++) reversed[a] = count - 1 - a;
    perm = reversed;
  }
  tsl_node *node = im_node(im, TSL_OP_transpose, 1, &x, 1, true);
  im_set_ints(im, node, "perm", count, perm);
  return im_finish(im, node);
}

MAPPING(map_concat) {
  (void)entry;
  int count = im_num_inputs(im);
  if (count < 1) return im_fail(im, "needs at least one input");
  tsl_value **inputs = TSL_ARENA_ARRAY(im->graph->arena, tsl_value *, count);
  for (int i = 0; i < count; i++) TRY(im_require_input(im, i, &inputs[i]));
  if (im->opset >= 4 && !im_attr(im, "axis")) return im_fail(im, "attribute 'axis' is required");
  tsl_node *node = im_node(im, TSL_OP_concat, count, inputs, 1, true);
  im_set_int(im, node, "axis", im_attr_int(im, "axis", 1));
  return im_finish(im, node);
}

MAPPING(map_split) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  int rank = x->type.rank, outputs = im_num_outputs(im), count;
  int64_t axis = im_attr_int(im, "axis", 0);
  if (axis < -rank || axis >= rank) return im_fail(im, "axis %lld is out of range for rank %d", (long long)axis, rank);
  if (axis < 0) axis += rank;
  const int64_t *sizes;
  if (im->opset < 13) sizes = im_attr_ints(im, "split", &count);
  else TRY(im_const_ints(im, 1, "input 1 (split)", &sizes, &count));
  if (count < 0 && im->opset < 13 && im_num_inputs(im) > 1) {
    TRY(im_const_ints(im, 1, "input 1 (split)", &sizes, &count)); /* opset 2–12 took it as an input too */
  }
  if (count < 0) {
    /* Equal parts; from opset 18 the last may be smaller. */
    int64_t parts = im_attr_int(im, "num_outputs", outputs);
    if (parts != outputs || parts < 1) return im_fail(im, "num_outputs is %lld but the node has %d outputs", (long long)parts, outputs);
    int64_t dim = x->type.dims[axis], chunk = (dim + parts - 1) / parts;
    int64_t *equal = TSL_ARENA_ARRAY(im->graph->arena, int64_t, parts);
    for (int64_t i = 0; i < parts; i++) {
      int64_t left = dim - i * chunk;
      equal[i] = left < 0 ? 0 : left < chunk ? left : chunk;
    }
    sizes = equal;
    count = (int)parts;
  }
  tsl_node *node = im_node(im, TSL_OP_split, 1, &x, count, true);
  im_set_int(im, node, "axis", axis);
  im_set_ints(im, node, "sizes", count, sizes);
  return im_finish(im, node);
}

MAPPING(map_slice) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  const int64_t *starts, *ends, *axes, *steps;
  int count, ends_count, axes_count, steps_count;
  if (im->opset < 10) {
    starts = im_attr_ints(im, "starts", &count);
    ends = im_attr_ints(im, "ends", &ends_count);
    axes = im_attr_ints(im, "axes", &axes_count);
    steps_count = -1;
  } else {
    TRY(im_const_ints(im, 1, "input 1 (starts)", &starts, &count));
    TRY(im_const_ints(im, 2, "input 2 (ends)", &ends, &ends_count));
    TRY(im_const_ints(im, 3, "input 3 (axes)", &axes, &axes_count));
    TRY(im_const_ints(im, 4, "input 4 (steps)", &steps, &steps_count));
  }
  if (count < 0 || ends_count != count) return im_fail(im, "starts and ends must be given, of equal length");
  if ((axes_count >= 0 && axes_count != count) || (steps_count >= 0 && steps_count != count)) {
    return im_fail(im, "axes and steps must have as many values as starts (%d)", count);
  }
  int64_t *default_axes = TSL_ARENA_ARRAY(im->graph->arena, int64_t, count + 1);
  int64_t *default_steps = TSL_ARENA_ARRAY(im->graph->arena, int64_t, count + 1);
  for (int i = 0; i < count; i++) {
    default_axes[i] = i;
    default_steps[i] = 1;
  }
  tsl_node *node = im_node(im, TSL_OP_slice, 1, &x, 1, true);
  im_set_ints(im, node, "starts", count, starts);
  im_set_ints(im, node, "ends", count, ends);
  im_set_ints(im, node, "axes", count, axes_count >= 0 ? axes : default_axes);
  im_set_ints(im, node, "steps", count, steps_count >= 0 ? steps : default_steps);
  return im_finish(im, node);
}

/* ---- indexing --------------------------------------------------------------------------- */

static tsl_status map_copying(importer *im, tsl_op_kind op, int num_inputs) {
  tsl_value *inputs[4];
  for (int i = 0; i < num_inputs; i++) TRY(im_require_input(im, i, &inputs[i]));
  tsl_node *node = im_node(im, op, num_inputs, inputs, 1, true);
  const tsl_op_def *def = tsl_op_get(op);
  for (int i = 0; i < def->num_attrs; i++) im_copy_attr(im, node, def->attr_defs[i].name);
  return im_finish(im, node);
}

MAPPING(map_gather) {
  (void)entry;
  return map_copying(im, TSL_OP_take, 2);
}

MAPPING(map_gather_elements) {
  (void)entry;
  return map_copying(im, TSL_OP_gather_elements, 2);
}

MAPPING(map_gather_nd) {
  (void)entry;
  return map_copying(im, TSL_OP_gather_nd, 2);
}

MAPPING(map_scatter_elements) {
  (void)entry;
  return map_copying(im, TSL_OP_scatter_elements, 3);
}

MAPPING(map_scatter_nd) {
  (void)entry;
  return map_copying(im, TSL_OP_scatter_nd, 3);
}

MAPPING(map_tensor_scatter) {
  (void)entry;
  tsl_value *inputs[3] = {NULL, NULL, im_input(im, 2)};
  TRY(im_require_input(im, 0, &inputs[0]));
  TRY(im_require_input(im, 1, &inputs[1]));
  tsl_node *node = im_node(im, TSL_OP_tensor_scatter, inputs[2] ? 3 : 2, inputs, 1, true);
  im_copy_attr(im, node, "axis");
  im_copy_attr(im, node, "mode");
  return im_finish(im, node);
}

MAPPING(map_reverse_sequence) {
  (void)entry;
  return map_copying(im, TSL_OP_reverse_sequence, 2);
}

MAPPING(map_depth_to_space) {
  (void)entry;
  return map_copying(im, TSL_OP_depth_to_space, 1);
}

MAPPING(map_space_to_depth) {
  (void)entry;
  return map_copying(im, TSL_OP_space_to_depth, 1);
}

/* A call whose one list attribute comes from a constant input; its other attributes are the ONNX
 * node's of the same names. */
static tsl_status map_with_list(importer *im, tsl_op_kind op, const char *attr, const char *what) {
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  const int64_t *values;
  int count;
  TRY(im_const_ints(im, 1, what, &values, &count));
  if (count < 0) return im_fail(im, "%s is required", what);
  tsl_node *node = im_node(im, op, 1, &x, 1, true);
  const tsl_op_def *def = tsl_op_get(op);
  for (int i = 0; i < def->num_attrs; i++) im_copy_attr(im, node, def->attr_defs[i].name);
  im_set_ints(im, node, attr, count, values);
  return im_finish(im, node);
}

MAPPING(map_expand) {
  (void)entry;
  return map_with_list(im, TSL_OP_expand, "shape", "input 1 (shape)");
}

MAPPING(map_tile) {
  (void)entry;
  return map_with_list(im, TSL_OP_tile, "repeats", "input 1 (repeats)");
}

MAPPING(map_affine_grid) {
  (void)entry;
  return map_with_list(im, TSL_OP_affine_grid, "size", "input 1 (size)");
}

MAPPING(map_pad) {
  (void)entry;
  tsl_value *inputs[2] = {NULL, NULL};
  TRY(im_require_input(im, 0, &inputs[0]));
  tsl_value *x = inputs[0];
  int rank = x->type.rank, count, axes_count = -1;
  const int64_t *pads, *axes = NULL;
  if (im->opset < 11) {
    pads = im_attr_ints(im, im->opset < 2 ? "paddings" : "pads", &count);
    if (im_attr(im, "value")) inputs[1] = im_scalar(im, x->type.dtype, im_attr_float(im, "value", 0));
  } else {
    TRY(im_const_ints(im, 1, "input 1 (pads)", &pads, &count));
    inputs[1] = im_input(im, 2);
    if (inputs[1] && inputs[1]->type.rank == 1 && inputs[1]->type.dims[0] == 1) {
      inputs[1] = im_reshape(im, inputs[1], 0, NULL);
      if (!inputs[1]) return im->error->status;
    }
    TRY(im_const_ints(im, 3, "input 3 (axes)", &axes, &axes_count));
  }
  int listed = axes_count >= 0 ? axes_count : rank;
  if (count != 2 * listed) {
    return im_fail(im, "pads has %d values; it needs two for each of %d axes", count, listed);
  }
  /* Pads for every axis: begins, then ends. */
  int64_t full[2 * TSL_MAX_RANK] = {0};
  for (int i = 0; i < listed; i++) {
    int64_t axis = axes_count >= 0 ? axes[i] : i;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return im_fail(im, "axis %lld is out of range for rank %d", (long long)axes[i], rank);
    full[axis] = pads[i];
    full[axis + rank] = pads[i + listed];
  }
  tsl_node *node = im_node(im, TSL_OP_pad, inputs[1] ? 2 : 1, inputs, 1, true);
  im_set_ints(im, node, "pads", 2 * rank, full);
  im_set_string(im, node, "mode", im_attr_string(im, "mode", "constant"));
  return im_finish(im, node);
}

MAPPING(map_one_hot) {
  (void)entry;
  tsl_value *inputs[2];
  TRY(im_require_input(im, 0, &inputs[0]));
  TRY(im_require_input(im, 2, &inputs[1]));
  const double *depth;
  int count;
  TRY(im_const_floats(im, 1, "input 1 (depth)", &depth, &count));
  if (count != 1) return im_fail(im, "input 1 (depth) must hold one number");
  tsl_node *node = im_node(im, TSL_OP_one_hot, 2, inputs, 1, true);
  im_set_int(im, node, "depth", (int64_t)depth[0]);
  im_copy_attr(im, node, "axis");
  return im_finish(im, node);
}

MAPPING(map_trilu) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  const int64_t *k;
  int count;
  TRY(im_const_ints(im, 1, "input 1 (k)", &k, &count));
  if (count > 1) return im_fail(im, "input 1 (k) must hold one number");
  tsl_node *node = im_node(im, TSL_OP_trilu, 1, &x, 1, true);
  im_copy_attr(im, node, "upper");
  if (count == 1) im_set_int(im, node, "k", k[0]);
  return im_finish(im, node);
}

MAPPING(map_grid_sample) {
  (void)entry;
  tsl_value *inputs[2];
  TRY(im_require_input(im, 0, &inputs[0]));
  TRY(im_require_input(im, 1, &inputs[1]));
  const char *mode = im_attr_string(im, "mode", im->opset < 20 ? "bilinear" : "linear");
  if (strcmp(mode, "bilinear") == 0) mode = "linear"; /* opset 16's names */
  if (strcmp(mode, "bicubic") == 0) mode = "cubic";
  tsl_node *node = im_node(im, TSL_OP_grid_sample, 2, inputs, 1, true);
  im_copy_attr(im, node, "align_corners");
  im_copy_attr(im, node, "padding_mode");
  im_set_string(im, node, "mode", mode);
  return im_finish(im, node);
}

/* CenterCropPad: a slice for the axes that shrink, then a pad for the ones that grow. */
MAPPING(map_center_crop_pad) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  const int64_t *shape;
  int count, rank = x->type.rank, axes_count;
  TRY(im_const_ints(im, 1, "input 1 (shape)", &shape, &count));
  const int64_t *axes = im_attr_ints(im, "axes", &axes_count);
  int listed = axes_count >= 0 ? axes_count : rank;
  if (count != listed) return im_fail(im, "input 1 (shape) has %d values for %d axes", count, listed);
  int64_t starts[TSL_MAX_RANK], ends[TSL_MAX_RANK], slice_axes[TSL_MAX_RANK], steps[TSL_MAX_RANK];
  int64_t pads[2 * TSL_MAX_RANK] = {0};
  int crops = 0;
  bool padded = false;
  for (int i = 0; i < listed; i++) {
    int64_t axis = axes_count >= 0 ? axes[i] : i;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return im_fail(im, "axis %lld is out of range for rank %d", (long long)axis, rank);
    int64_t dim = x->type.dims[axis], target = shape[i];
    if (target < dim) {
      starts[crops] = (dim - target) / 2;
      ends[crops] = starts[crops] + target;
      slice_axes[crops] = axis;
      steps[crops++] = 1;
    } else if (target > dim) {
      pads[axis] = (target - dim) / 2;
      pads[axis + rank] = target - dim - pads[axis];
      padded = true;
    }
  }
  tsl_value *result = x;
  if (crops) {
    tsl_node *slice = im_node(im, TSL_OP_slice, 1, &result, 1, !padded);
    im_set_ints(im, slice, "starts", crops, starts);
    im_set_ints(im, slice, "ends", crops, ends);
    im_set_ints(im, slice, "axes", crops, slice_axes);
    im_set_ints(im, slice, "steps", crops, steps);
    TRY(im_infer(im, slice));
    result = slice->outputs[0];
  }
  if (padded) {
    tsl_node *pad = im_node(im, TSL_OP_pad, 1, &result, 1, true);
    im_set_ints(im, pad, "pads", 2 * rank, pads);
    TRY(im_infer(im, pad));
    result = pad->outputs[0];
  }
  im_set_output(im, 0, result);
  return TSL_OK;
}
