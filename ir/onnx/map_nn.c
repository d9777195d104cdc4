/* ONNX convolution, pooling, products, normalisation, attention and quantisation. */
#include <string.h>

#include "ir/onnx/map.h"

/* ---- windows ---------------------------------------------------------------------------- */

/* Reads a per-axis list attribute: `fallback` for every axis when absent. */
static tsl_status window_list(importer *im, const char *name, int count, int64_t fallback,
                              int64_t *values) {
  int given;
  const int64_t *list = im_attr_ints(im, name, &given);
  if (given < 0) {
    for (int i = 0; i < count; i++) values[i] = fallback;
    return TSL_OK;
  }
  if (given != count) {
    return im_fail(im, "attribute '%s' has %d values; the input has %d %s", name, given,
                   name[0] == 'p' ? count / 2 : count, name[0] == 'p' ? "spatial axes (two pads each)" : "spatial axes");
  }
  memcpy(values, list, sizeof(int64_t) * (size_t)count);
  return TSL_OK;
}

/* Strides, dilations and pads of a convolution or pooling window over x's spatial axes, with
 * auto_pad resolved into explicit pads (the shapes are static, so SAME is known now). */
static tsl_status resolve_window(importer *im, const tsl_type *x, const int64_t *kernel,
                                 im_window *w) {
  w->spatial = x->rank - 2;
  if (w->spatial < 1) return im_fail(im, "input 0 has rank %d; it needs a batch, channels and "
                                     "at least one spatial axis", x->rank);
  memcpy(w->kernel, kernel, sizeof(int64_t) * (size_t)w->spatial);
  TRY(window_list(im, "strides", w->spatial, 1, w->strides));
  TRY(window_list(im, "dilations", w->spatial, 1, w->dilations));
  TRY(window_list(im, "pads", 2 * w->spatial, 0, w->pads));
  const char *auto_pad = im_attr_string(im, "auto_pad", "NOTSET");
  bool upper = strcmp(auto_pad, "SAME_UPPER") == 0, lower = strcmp(auto_pad, "SAME_LOWER") == 0;
  if (strcmp(auto_pad, "VALID") == 0) {
    memset(w->pads, 0, sizeof(w->pads));
  } else if (upper || lower) {
    for (int i = 0; i < w->spatial; i++) {
      int64_t in = x->dims[i + 2], stride = w->strides[i];
      if (stride <= 0) return im_fail(im, "strides must be positive");
      int64_t out = (in + stride - 1) / stride;
      int64_t extent = (w->kernel[i] - 1) * w->dilations[i] + 1;
      int64_t total = (out - 1) * stride + extent - in;
      if (total < 0) total = 0;
      w->pads[i] = upper ? total / 2 : total - total / 2;
      w->pads[i + w->spatial] = total - w->pads[i];
    }
  } else if (strcmp(auto_pad, "NOTSET") != 0) {
    return im_fail(im, "auto_pad '%s' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID",
                   auto_pad);
  }
  return TSL_OK;
}

static void set_window(importer *im, tsl_node *node, const im_window *w, bool with_kernel) {
  if (with_kernel) im_set_ints(im, node, "kernel", w->spatial, w->kernel);
  im_set_ints(im, node, "strides", w->spatial, w->strides);
  im_set_ints(im, node, "pads", 2 * w->spatial, w->pads);
  im_set_ints(im, node, "dilations", w->spatial, w->dilations);
}

/* The kernel of a convolution is the weight's spatial shape; kernel_shape, when given, must
 * agree with it. */
static tsl_status conv_kernel(importer *im, const tsl_value *x, const tsl_value *w,
                              int64_t *kernel) {
  if (w->type.rank != x->type.rank) {
    return im_fail(im, "the weight has shape %s; for input 0 of shape %s it needs rank %d",
                   tsl_shape_str(w->type.rank, w->type.dims).text,
                   tsl_shape_str(x->type.rank, x->type.dims).text, x->type.rank);
  }
  int count;
  const int64_t *given = im_attr_ints(im, "kernel_shape", &count);
  for (int i = 2; i < w->type.rank; i++) {
    kernel[i - 2] = w->type.dims[i];
    if (count == w->type.rank - 2 && given[i - 2] != w->type.dims[i]) {
      return im_fail(im, "kernel_shape %s does not match the weight's shape %s",
                     tsl_shape_str(count, given).text,
                     tsl_shape_str(w->type.rank, w->type.dims).text);
    }
  }
  return TSL_OK;
}

/* A call of conv, conv_integer, qlinear_conv or deform_conv with its window and groups set: x
 * and w are inputs `x_index` and `w_index`. */
static tsl_status conv_like_node(importer *im, tsl_op_kind op, int num_inputs, int x_index,
                                 int w_index, tsl_node **node) {
  tsl_value *inputs[9] = {0};
  for (int i = 0; i < num_inputs; i++) inputs[i] = im_input(im, i);
  if (!inputs[x_index] || !inputs[w_index]) return im_fail(im, "input and weight are required");
  int64_t kernel[TSL_MAX_RANK];
  im_window window;
  TRY(conv_kernel(im, inputs[x_index], inputs[w_index], kernel));
  TRY(resolve_window(im, &inputs[x_index]->type, kernel, &window));
  *node = im_node(im, op, num_inputs, inputs, 1, true);
  set_window(im, *node, &window, false);
  im_set_int(im, *node, "groups", im_attr_int(im, "group", 1));
  return TSL_OK;
}

static tsl_status map_conv_like(importer *im, tsl_op_kind op, int num_inputs, int x_index,
                                int w_index) {
  tsl_node *node;
  TRY(conv_like_node(im, op, num_inputs, x_index, w_index, &node));
  return im_finish(im, node);
}

MAPPING(map_conv) {
  (void)entry;
  return map_conv_like(im, TSL_OP_conv, im_num_inputs(im) > 2 ? 3 : 2, 0, 1);
}

MAPPING(map_conv_integer) {
  (void)entry;
  int count = im_num_inputs(im) < 4 ? im_num_inputs(im) : 4;
  return map_conv_like(im, TSL_OP_conv_integer, count < 2 ? 2 : count, 0, 1);
}

MAPPING(map_qlinear_conv) {
  (void)entry;
  return map_conv_like(im, TSL_OP_qlinear_conv, im_num_inputs(im) > 8 ? 9 : 8, 0, 3);
}

/* DeformConv: Conv's window and groups, and offset_group; inputs 2 (offset) to 4 (mask). */
MAPPING(map_deform_conv) {
  (void)entry;
  int count = im_num_inputs(im) < 3 ? 3 : im_num_inputs(im) > 5 ? 5 : im_num_inputs(im);
  tsl_node *node;
  TRY(conv_like_node(im, TSL_OP_deform_conv, count, 0, 1, &node));
  im_set_int(im, node, "offset_groups", im_attr_int(im, "offset_group", 1));
  return im_finish(im, node);
}

/* CausalConvWithState: ONNX's activation "swish" is another name for "silu"; tessel keeps one
 * name, so that equal graphs compare equal. */
MAPPING(map_causal_conv_with_state) {
  (void)entry;
  tsl_value *inputs[4] = {0};
  int count = im_num_inputs(im) < 2 ? 2 : im_num_inputs(im) > 4 ? 4 : im_num_inputs(im);
  for (int i = 0; i < count; i++) inputs[i] = im_input(im, i);
  const char *activation = im_attr_string(im, "activation", "none");
  int outputs = im_output_wanted(im, 1) ? 2 : 1;
  tsl_node *node = im_node(im, TSL_OP_causal_conv_with_state, count, inputs, outputs, true);
  im_set_string(im, node, "activation", strcmp(activation, "swish") == 0 ? "silu" : activation);
  return im_finish(im, node);
}

/* Col2Im: inputs 1 (image_shape) and 2 (block_shape) decide the output's shape, so they are
 * constants. */
MAPPING(map_col2im) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  const int64_t *image, *block;
  int image_count, block_count;
  TRY(im_const_ints(im, 1, "input 1 (image_shape)", &image, &image_count));
  TRY(im_const_ints(im, 2, "input 2 (block_shape)", &block, &block_count));
  if (image_count < 0 || block_count < 0) {
    return im_fail(im, "inputs 1 (image_shape) and 2 (block_shape) are required");
  }
  tsl_node *node = im_node(im, TSL_OP_col2im, 1, &x, 1, true);
  im_set_ints(im, node, "image_shape", image_count, image);
  im_set_ints(im, node, "block_shape", block_count, block);
  im_copy_attr(im, node, "strides");
  im_copy_attr(im, node, "pads");
  im_copy_attr(im, node, "dilations");
  return im_finish(im, node);
}

/* ConvTranspose: output_shape, when given, decides the pads (ONNX's formula), and SAME
 * auto_pad makes the output `in × stride`. */
MAPPING(map_conv_transpose) {
  (void)entry;
  tsl_value *inputs[3] = {im_input(im, 0), im_input(im, 1), im_input(im, 2)};
  if (!inputs[0] || !inputs[1]) return im_fail(im, "input and weight are required");
  const tsl_type *x = &inputs[0]->type;
  int64_t kernel[TSL_MAX_RANK], output_padding[TSL_MAX_RANK];
  im_window w;
  TRY(conv_kernel(im, inputs[0], inputs[1], kernel));
  /* auto_pad means something else here: resolve it below, not as for convolutions. */
  w.spatial = x->rank - 2;
  memcpy(w.kernel, kernel, sizeof(kernel));
  TRY(window_list(im, "strides", w.spatial, 1, w.strides));
  TRY(window_list(im, "dilations", w.spatial, 1, w.dilations));
  TRY(window_list(im, "pads", 2 * w.spatial, 0, w.pads));
  TRY(window_list(im, "output_padding", w.spatial, 0, output_padding));
  const char *auto_pad = im_attr_string(im, "auto_pad", "NOTSET");
  int count;
  const int64_t *output_shape = im_attr_ints(im, "output_shape", &count);
  bool same = strcmp(auto_pad, "SAME_UPPER") == 0 || strcmp(auto_pad, "SAME_LOWER") == 0;
  if (count >= 0 || same) {
    if (count >= 0 && count != w.spatial && count != x->rank) {
      return im_fail(im, "output_shape has %d values for %d spatial axes", count, w.spatial);
    }
    for (int i = 0; i < w.spatial; i++) {
      int64_t in = x->dims[i + 2];
      int64_t target = count < 0 ? in * w.strides[i] : output_shape[count - w.spatial + i];
      int64_t extent = (kernel[i] - 1) * w.dilations[i] + 1;
      int64_t total = w.strides[i] * (in - 1) + output_padding[i] + extent - target;
      if (total < 0) {
        /* The output is larger than the pads can explain: the rest is output padding. */
        output_padding[i] -= total;
        total = 0;
      }
      bool upper = strcmp(auto_pad, "SAME_UPPER") == 0;
      w.pads[i] = upper ? total / 2 : total - total / 2;
      w.pads[i + w.spatial] = total - w.pads[i];
    }
  } else if (strcmp(auto_pad, "VALID") == 0) {
    memset(w.pads, 0, sizeof(w.pads));
  }
  tsl_node *node = im_node(im, TSL_OP_conv_transpose, inputs[2] ? 3 : 2, inputs, 1, true);
  set_window(im, node, &w, false);
  im_set_ints(im, node, "output_padding", w.spatial, output_padding);
  im_set_int(im, node, "groups", im_attr_int(im, "group", 1));
  return im_finish(im, node);
}

MAPPING(map_pool) {
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  int count;
  const int64_t *kernel = im_attr_ints(im, "kernel_shape", &count);
  if (count != x->type.rank - 2) {
    return im_fail(im, "kernel_shape has %d values; input 0 of shape %s has %d spatial axes",
                   count, tsl_shape_str(x->type.rank, x->type.dims).text, x->type.rank - 2);
  }
  im_window window;
  TRY(resolve_window(im, &x->type, kernel, &window));
  bool indices = entry->op == TSL_OP_max_pool && im_output_wanted(im, 1);
  tsl_node *node = im_node(im, entry->op, 1, &x, indices ? 2 : 1, true);
  set_window(im, node, &window, true);
  im_copy_attr(im, node, "ceil_mode");
  im_copy_attr(im, node, "count_include_pad");
  im_copy_attr(im, node, "storage_order");
  im_copy_attr(im, node, "p");
  return im_finish(im, node);
}

/* MaxUnpool: kernel_shape becomes kernel, and input 2 (output_shape), a constant, the
 * output_shape attribute. */
MAPPING(map_max_unpool) {
  (void)entry;
  tsl_value *inputs[2];
  TRY(im_require_input(im, 0, &inputs[0]));
  TRY(im_require_input(im, 1, &inputs[1]));
  int kernel_count, shape_count;
  const int64_t *kernel = im_attr_ints(im, "kernel_shape", &kernel_count), *shape;
  if (kernel_count < 0) return im_fail(im, "attribute 'kernel_shape' is required");
  TRY(im_const_ints(im, 2, "input 2 (output_shape)", &shape, &shape_count));
  tsl_node *node = im_node(im, TSL_OP_max_unpool, 2, inputs, 1, true);
  im_set_ints(im, node, "kernel", kernel_count, kernel);
  im_copy_attr(im, node, "strides");
  im_copy_attr(im, node, "pads");
  if (shape_count >= 0) im_set_ints(im, node, "output_shape", shape_count, shape);
  return im_finish(im, node);
}

/* RoiAlign: before opset 16 it shifted no coordinate by half a pixel, which opset 16 calls
 * "output_half_pixel". */
MAPPING(map_roi_align) {
  (void)entry;
  tsl_value *inputs[3];
  for (int i = 0; i < 3; i++) TRY(im_require_input(im, i, &inputs[i]));
  tsl_node *node = im_node(im, TSL_OP_roi_align, 3, inputs, 1, true);
  const tsl_op_def *def = tsl_op_get(TSL_OP_roi_align);
  for (int i = 0; i < def->num_attrs; i++) im_copy_attr(im, node, def->attr_defs[i].name);
  if (im->opset < 16) {
    im_set_string(im, node, "coordinate_transformation_mode", "output_half_pixel");
  }
  return im_finish(im, node);
}

/* ---- products --------------------------------------------------------------------------- */

static tsl_status map_inputs_as_is(importer *im, tsl_op_kind op, int max_inputs) {
  tsl_value *inputs[TSL_MAX_PORTS] = {0};
  int count = im_num_inputs(im) < max_inputs ? im_num_inputs(im) : max_inputs;
  for (int i = 0; i < count; i++) inputs[i] = im_input(im, i);
  tsl_node *node = im_node(im, op, count, inputs, 1, true);
  const tsl_op_def *def = tsl_op_get(op);
  for (int i = 0; i < def->num_attrs; i++) im_copy_attr(im, node, def->attr_defs[i].name);
  return im_finish(im, node);
}

MAPPING(map_max_roi_pool) {
  (void)entry;
  return map_inputs_as_is(im, TSL_OP_max_roi_pool, 2);
}

MAPPING(map_matmul) {
  (void)entry;
  return map_inputs_as_is(im, TSL_OP_matmul, 2);
}

MAPPING(map_matmul_integer) {
  (void)entry;
  return map_inputs_as_is(im, TSL_OP_matmul_integer, 4);
}

MAPPING(map_qlinear_matmul) {
  (void)entry;
  return map_inputs_as_is(im, TSL_OP_qlinear_matmul, 8);
}

MAPPING(map_gemm) {
  (void)entry;
  tsl_value *inputs[3] = {im_input(im, 0), im_input(im, 1), im_input(im, 2)};
  tsl_node *node = im_node(im, TSL_OP_gemm, inputs[2] ? 3 : 2, inputs, 1, true);
  im_copy_attr(im, node, "alpha");
  im_copy_attr(im, node, "beta");
  im_set_int(im, node, "trans_a", im_attr_int(im, "transA", 0));
  im_set_int(im, node, "trans_b", im_attr_int(im, "transB", 0));
  return im_finish(im, node);
}

MAPPING(map_einsum) {
  (void)entry;
  int count = im_num_inputs(im);
  if (count < 1 || count > TSL_MAX_PORTS) return im_fail(im, "takes 1 to %d inputs", TSL_MAX_PORTS);
  tsl_value *inputs[TSL_MAX_PORTS];
  for (int i = 0; i < count; i++) TRY(im_require_input(im, i, &inputs[i]));
  tsl_node *node = im_node(im, TSL_OP_einsum, count, inputs, 1, true);
  const char *equation = im_attr_string(im, "equation", NULL);
  if (!equation) return im_fail(im, "attribute 'equation' is required");
  /* Spaces carry no meaning in an equation; drop them so equal equations compare equal. */
  char *compact = tsl_arena_strdup(im->graph->arena, equation), *out = compact;
  for (const char *c = equation; *c; c++) {
    if (*c != ' ') *out++ = *c;
  }
  *out = '\0';
  im_set_string(im, node, "equation", compact);
  return im_finish(im, node);
}

/* ---- normalisation ---------------------------------------------------------------------- */

/* stash_type is an ONNX data type number; tessel keeps it as a dtype. */
static tsl_status set_stash_type(importer *im, tsl_node *node) {
  tsl_dtype stash;
  TRY(im_dtype(im, (int32_t)im_attr_int(im, "stash_type", 1), "attribute 'stash_type'", &stash));
  im_set_dtype(im, node, "stash_type", stash);
  return TSL_OK;
}

MAPPING(map_batch_norm) {
  (void)entry;
  if (im_attr_int(im, "training_mode", 0) || im_output_wanted(im, 1)) {
    return im_refuse(im, "training mode is not supported; tessel compiles models for inference");
  }
  if (im->opset < 9 && im_attr_int(im, "spatial", 1) == 0) {
    return im_fail_with(im, TSL_ERROR_NOT_IMPLEMENTED,
                        "spatial = 0 (statistics per element) is not implemented");
  }
  tsl_value *inputs[5];
  for (int i = 0; i < 5; i++) TRY(im_require_input(im, i, &inputs[i]));
  tsl_node *node = im_node(im, TSL_OP_batch_norm, 5, inputs, 1, true);
  im_copy_attr(im, node, "epsilon");
  return im_finish(im, node);
}

MAPPING(map_instance_norm) {
  (void)entry;
  return map_inputs_as_is(im, TSL_OP_instance_norm, 3);
}

MAPPING(map_layer_norm) {
  (void)entry;
  tsl_value *inputs[3] = {im_input(im, 0), im_input(im, 1), im_input(im, 2)};
  int outputs = im_output_wanted(im, 2) ? 3 : im_output_wanted(im, 1) ? 2 : 1;
  tsl_node *node = im_node(im, TSL_OP_layer_norm, inputs[2] ? 3 : 2, inputs, outputs, true);
  im_copy_attr(im, node, "axis");
  im_copy_attr(im, node, "epsilon");
  TRY(set_stash_type(im, node));
  return im_finish(im, node);
}

MAPPING(map_rms_norm) {
  (void)entry;
  tsl_value *inputs[2] = {im_input(im, 0), im_input(im, 1)};
  tsl_node *node = im_node(im, TSL_OP_rms_norm, 2, inputs, 1, true);
  im_copy_attr(im, node, "axis");
  im_copy_attr(im, node, "epsilon");
  TRY(set_stash_type(im, node));
  return im_finish(im, node);
}

/* Opset 18 gives scale and bias per group, opset 21 per channel: per-group values are
 * repeated over each group's channels. */
static tsl_value *per_channel(importer *im, tsl_value *per_group, int64_t groups,
                              int64_t channels) {
  if (per_group->type.rank != 1 || per_group->type.dims[0] != groups || channels % groups) {
    im_fail(im, "scale and bias must have num_groups (%lld) values", (long long)groups);
    return NULL;
  }
  int64_t column[2] = {groups, 1}, spread[2] = {groups, channels / groups};
  tsl_value *reshaped = im_reshape(im, per_group, 2, column);
  if (!reshaped) return NULL;
  tsl_node *expand = im_node(im, TSL_OP_expand, 1, &reshaped, 1, false);
  im_set_ints(im, expand, "shape", 2, spread);
  if (im_infer(im, expand)) return NULL;
  return im_reshape(im, expand->outputs[0], 1, &channels);
}

MAPPING(map_group_norm) {
  (void)entry;
  tsl_value *inputs[3];
  for (int i = 0; i < 3; i++) TRY(im_require_input(im, i, &inputs[i]));
  int64_t groups = im_attr_int(im, "num_groups", 0);
  if (im->opset < 21 && inputs[0]->type.rank >= 2) {
    for (int i = 1; i < 3; i++) {
      inputs[i] = per_channel(im, inputs[i], groups, inputs[0]->type.dims[1]);
      if (!inputs[i]) return im->error->status;
    }
  }
  tsl_node *node = im_node(im, TSL_OP_group_norm, 3, inputs, 1, true);
  im_set_int(im, node, "num_groups", groups);
  im_copy_attr(im, node, "epsilon");
  TRY(set_stash_type(im, node));
  return im_finish(im, node);
}

MAPPING(map_lrn) {
  (void)entry;
  return map_inputs_as_is(im, TSL_OP_lrn, 1);
}

/* MeanVarianceNormalization: (x - mean) / sqrt(mean((x - mean)²)), over `axes`, as ONNX's
 * function body computes it. */
MAPPING(map_mean_variance_norm) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  int count;
  const int64_t default_axes[3] = {0, 2, 3};
  const int64_t *axes = im_attr_ints(im, "axes", &count);
  if (count < 0) {
    axes = default_axes;
    count = 3;
  }
  tsl_node *mean = im_node(im, TSL_OP_reduce_mean, 1, &x, 1, false);
  im_set_ints(im, mean, "axes", count, axes);
  TRY(im_infer(im, mean));
  tsl_value *centered = im_call2(im, TSL_OP_sub, x, mean->outputs[0]);
  if (!centered) return im->error->status;
  tsl_value *squared = im_call2(im, TSL_OP_mul, centered, centered);
  if (!squared) return im->error->status;
  tsl_node *variance = im_node(im, TSL_OP_reduce_mean, 1, &squared, 1, false);
  im_set_ints(im, variance, "axes", count, axes);
  TRY(im_infer(im, variance));
  tsl_value *deviation = im_call1(im, TSL_OP_sqrt, variance->outputs[0]);
  if (!deviation) return im->error->status;
  tsl_value *inputs[2] = {centered, deviation};
  return im_finish(im, im_node(im, TSL_OP_div, 2, inputs, 1, true));
}

/* ---- attention -------------------------------------------------------------------------- */

MAPPING(map_attention) {
  (void)entry;
  tsl_value *inputs[7] = {0};
  int count = im_num_inputs(im) < 7 ? im_num_inputs(im) : 7;
  for (int i = 0; i < count; i++) inputs[i] = im_input(im, i);
  int outputs = 1;
  for (int i = 1; i < 4; i++) {
    if (im_output_wanted(im, i)) outputs = i + 1;
  }
  tsl_node *node = im_node(im, TSL_OP_attention, count, inputs, outputs, true);
  const tsl_op_def *def = tsl_op_get(TSL_OP_attention);
  for (int i = 0; i < def->num_attrs; i++) im_copy_attr(im, node, def->attr_defs[i].name);
  return im_finish(im, node);
}

/* LinearAttention: chunk_size only tunes ONNX's chunked algorithm and changes no result; how to
 * compute is the schedule's choice, so tessel drops it. */
MAPPING(map_linear_attention) {
  (void)entry;
  if (!im_attr(im, "q_num_heads") || !im_attr(im, "kv_num_heads")) {
    return im_fail(im, "attributes 'q_num_heads' and 'kv_num_heads' are required");
  }
  tsl_value *inputs[6] = {0};
  int count = im_num_inputs(im) < 3 ? 3 : im_num_inputs(im) > 6 ? 6 : im_num_inputs(im);
  for (int i = 0; i < count; i++) inputs[i] = im_input(im, i);
  int outputs = im_output_wanted(im, 1) ? 2 : 1;
  tsl_node *node = im_node(im, TSL_OP_linear_attention, count, inputs, outputs, true);
  const tsl_op_def *def = tsl_op_get(TSL_OP_linear_attention);
  for (int i = 0; i < def->num_attrs; i++) im_copy_attr(im, node, def->attr_defs[i].name);
  return im_finish(im, node);
}

MAPPING(map_rotary_embedding) {
  (void)entry;
  return map_inputs_as_is(im, TSL_OP_rotary_embedding, 4);
}

/* ---- quantisation ----------------------------------------------------------------------- */

MAPPING(map_quantize_linear) {
  (void)entry;
  tsl_value *inputs[3] = {im_input(im, 0), im_input(im, 1), im_input(im, 2)};
  tsl_dtype to = TSL_DTYPE_U8;
  if (inputs[2]) to = inputs[2]->type.dtype;
  else if (im_attr_int(im, "output_dtype", 0)) {
    TRY(im_dtype(im, (int32_t)im_attr_int(im, "output_dtype", 0), "attribute 'output_dtype'", &to));
  }
  tsl_node *node = im_node(im, TSL_OP_quantize_linear, inputs[2] ? 3 : 2, inputs, 1, true);
  im_set_dtype(im, node, "to", to);
  im_copy_attr(im, node, "axis");
  im_copy_attr(im, node, "block_size");
  im_copy_attr(im, node, "saturate");
  im_copy_attr(im, node, "precision");
  return im_finish(im, node);
}

MAPPING(map_dequantize_linear) {
  (void)entry;
  tsl_value *inputs[3] = {im_input(im, 0), im_input(im, 1), im_input(im, 2)};
  if (!inputs[0] || !inputs[1]) return im_fail(im, "inputs 0 (x) and 1 (scale) are required");
  tsl_dtype to = inputs[1]->type.dtype;
  if (im_attr_int(im, "output_dtype", 0)) {
    TRY(im_dtype(im, (int32_t)im_attr_int(im, "output_dtype", 0), "attribute 'output_dtype'", &to));
  }
  tsl_node *node = im_node(im, TSL_OP_dequantize_linear, inputs[2] ? 3 : 2, inputs, 1, true);
  im_set_dtype(im, node, "to", to);
  im_copy_attr(im, node, "axis");
  im_copy_attr(im, node, "block_size");
  return im_finish(im, node);
}

MAPPING(map_dynamic_quantize_linear) {
  (void)entry;
  tsl_value *x;
  TRY(im_require_input(im, 0, &x));
  return im_finish(im, im_node(im, TSL_OP_dynamic_quantize_linear, 1, &x, 3, true));
}
