/* Type rules of convolution, pooling, products, normalisation and attention. Each follows the
 * ONNX operator it stands for, with ONNX's version differences resolved into attributes at
 * import. The convolution and matmul shapes also serve the quantised products of quant.c. */
#include <stdio.h>
#include <string.h>

#include "ir/ops/layout.h"
#include "ir/ops/rules.h"

/* The index of the input port called `name`, or -1 when the operator has none. The convolution
 * and matmul rules find their operands by name, so that the quantised operators, whose ports
 * sit elsewhere, share them. */
static int port(const tsl_type_call *call, const char *name) {
  for (int i = 0; i < call->op->num_input_names; i++) {
    if (strcmp(call->op->input_names[i], name) == 0) return i;
  }
  return -1;
}

/* Input `index` has exactly the shape `dims`; `meaning` says what its axes are. */
static bool require_shape(tsl_type_call *call, int index, int rank, const int64_t *dims,
                          const char *meaning) {
  const tsl_type *type = call->inputs[index];
  if (type->rank == rank && memcmp(type->dims, dims, sizeof(int64_t) * (size_t)rank) == 0) {
    return true;
  }
  return rule_fail_input(call, index, "%s needs %s (%s)", call->op->name,
                         tsl_shape_str(rank, dims).text, meaning);
}

/* ONNX's unidirectional broadcasting: input `index` broadcasts to `dims` without changing them. */
static bool require_broadcasts_to(tsl_type_call *call, int index, int rank, const int64_t *dims) {
  const tsl_type *type = call->inputs[index];
  bool fits = type->rank <= rank;
  for (int i = 1; i <= type->rank && fits; i++) {
    int64_t dim = type->dims[type->rank - i];
    fits = dim == 1 || dim == dims[rank - i];
  }
  if (fits) return true;
  return rule_fail_input(call, index, "%s needs it to broadcast to %s", call->op->name,
                         tsl_shape_str(rank, dims).text);
}

/* ---- windows: convolution and pooling ------------------------------------------------------ */

/* A convolution or pooling window over the spatial axes, its attributes resolved. */
typedef struct window {
  int axes;
  int64_t kernel[TSL_MAX_RANK];
  int64_t strides[TSL_MAX_RANK];
  int64_t dilations[TSL_MAX_RANK];
  int64_t pads[2 * TSL_MAX_RANK]; /* every axis's begin, then every axis's end */
} window;

/* Reads `axes` × `per_axis` values of an ints attribute, `fill` for each when the list is empty.
 * Each must lie in [min, TSL_MAX_ELEMENTS], which keeps the window arithmetic in range. */
static bool read_ints(tsl_type_call *call, const char *name, int axes, int per_axis, int64_t fill,
                      int64_t min, int64_t *values) {
  const tsl_attr *attr = rule_attr(call, name);
  int count = axes * per_axis;
  if (attr->count != 0 && attr->count != count) {
    return rule_fail(call, "%s lists %d values; %s over %d spatial axes needs %d (or none)", name,
                     attr->count, call->op->name, axes, count);
  }
  for (int i = 0; i < count; i++) {
    values[i] = attr->count ? attr->ints[i] : fill;
    if (values[i] < min) {
      return rule_fail(call, "%s[%d] is %lld; it must be at least %lld", name, i,
                       (long long)values[i], (long long)min);
    }
    if (values[i] > TSL_MAX_ELEMENTS) {
      return rule_fail(call, "%s[%d] is %lld, larger than tessel handles", name, i,
                       (long long)values[i]);
    }
  }
  return true;
}

/* Strides, dilations and pads; an operator without dilations (max_unpool) has none. */
static bool read_window(tsl_type_call *call, int axes, int64_t min_pad, window *win) {
  win->axes = axes;
  for (int axis = 0; axis < axes; axis++) win->dilations[axis] = 1;
  bool dilated = tsl_op_attr_index(call->op, "dilations") >= 0;
  return read_ints(call, "strides", axes, 1, 1, 1, win->strides) &&
         (!dilated || read_ints(call, "dilations", axes, 1, 1, 1, win->dilations)) &&
         read_ints(call, "pads", axes, 2, 0, min_pad, win->pads);
}

/* The `kernel` of pooling and unpooling: one positive size per spatial axis of x. */
static bool read_kernel(tsl_type_call *call, int axes, window *win) {
  int kernel_count = rule_attr(call, "kernel")->count;
  if (kernel_count != axes) {
    return rule_fail_input(call, 0, "kernel lists %d sizes, not one per spatial axis",
                           kernel_count);
  }
  return read_ints(call, "kernel", axes, 1, 1, 1, win->kernel);
}

/* a · b for a window size on spatial axis `axis`; fails past TSL_MAX_ELEMENTS. */
static bool window_product(tsl_type_call *call, int axis, int64_t a, int64_t b, int64_t *product) {
  if (!__builtin_mul_overflow(a, b, product) && *product <= TSL_MAX_ELEMENTS) return true;
  return rule_fail(call, "spatial axis %d: %lld × %lld is larger than tessel handles", axis,
                   (long long)a, (long long)b);
}

/* (kernel-1)·dilation + 1: how far the dilated kernel reaches along spatial axis `axis`. */
static bool window_extent(tsl_type_call *call, const window *win, int axis, int64_t *extent) {
  if (!window_product(call, axis, win->kernel[axis] - 1, win->dilations[axis], extent)) {
    return false;
  }
  *extent += 1;
  return true;
}

static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

static int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

/* `in` along spatial axis `axis`, with its pads at both ends. */
static int64_t padded_size(const window *win, int axis, int64_t in) {
  return in + win->pads[axis] + win->pads[win->axes + axis];
}

/* Window positions along spatial axis `axis` of an input `in` long, the dilated kernel `extent`
 * long: floor (or, for pooling with ceil_mode, ceil) of (in + pads - extent) / stride, plus one.
 * Negative when the kernel reaches too far past the padded input. */
static int64_t window_count(const window *win, int axis, int64_t in, int64_t extent,
                            bool ceil_mode) {
  int64_t stride = win->strides[axis], reach = padded_size(win, axis, in) - extent;
  if (!ceil_mode) return floor_div(reach, stride) + 1;
  int64_t count = ceil_div(reach, stride) + 1;
  /* As ONNX and PyTorch: the last window starts inside the input or its left padding. */
  return (count - 1) * stride >= in + win->pads[axis] ? count - 1 : count;
}

/* Window positions along every spatial axis of input `x_index` [N, C, D…] into `counts`. Zero is
 * possible; fewer is not. */
static bool input_windows(tsl_type_call *call, const window *win, int x_index, bool ceil_mode,
                          int64_t *counts) {
  const int64_t *spatial = call->inputs[x_index]->dims + 2;
  for (int axis = 0; axis < win->axes; axis++) {
    int64_t extent;
    if (!window_extent(call, win, axis, &extent)) return false;
    counts[axis] = window_count(win, axis, spatial[axis], extent, ceil_mode);
    if (counts[axis] < 0) {
      return rule_fail_input(call, x_index,
                             "on spatial axis %d the dilated kernel spans %lld elements, "
                             "more than the %lld of the padded input",
                             axis, (long long)extent,
                             (long long)padded_size(win, axis, spatial[axis]));
    }
  }
  return true;
}

static bool require_kernel(tsl_type_call *call, int w_index) {
  const tsl_type *w = call->inputs[w_index];
  for (int axis = 2; axis < w->rank; axis++) {
    if (w->dims[axis] == 0) return rule_fail_input(call, w_index, "its kernel is empty");
  }
  return true;
}

/* w [M, C/groups, k…] against x [N, C, D…]. */
static bool conv_weight_fits(tsl_type_call *call, int x_index, int w_index, int64_t groups) {
  const tsl_type *x = call->inputs[x_index], *w = call->inputs[w_index];
  if (groups < 1) return rule_fail(call, "groups is %lld; it must be positive", (long long)groups);
  if (w->rank != x->rank) {
    return rule_fail_input(call, w_index, "%s needs rank %d, as x has", call->op->name, x->rank);
  }
  if (x->dims[1] % groups != 0 || x->dims[1] / groups != w->dims[1]) {
    return rule_fail_input(call, w_index,
                           "its axis 1 times groups (%lld) must give the %lld channels "
                           "of x",
                           (long long)groups, (long long)x->dims[1]);
  }
  if (w->dims[0] % groups != 0) {
    return rule_fail_input(call, w_index, "its %lld output channels do not divide into %lld groups",
                           (long long)w->dims[0], (long long)groups);
  }
  return require_kernel(call, w_index);
}

/* conv, conv_integer and qlinear_conv: x [N, C, D…] and w [M, C/groups, k…]; b, where the
 * operator has one, [M]. Sets output 0, with x's dtype. */
static bool conv_shape(tsl_type_call *call) {
  int x_index = port(call, "x"), w_index = port(call, "w"), b_index = port(call, "b");
  const tsl_type *x = call->inputs[x_index], *w = call->inputs[w_index];
  if (!rule_require_min_rank(call, x_index, 3) ||
      !conv_weight_fits(call, x_index, w_index, rule_int(call, "groups"))) {
    return false;
  }
  if (b_index >= 0 && rule_input(call, b_index) &&
      !require_shape(call, b_index, 1, w->dims, "one per output channel")) {
    return false;
  }
  window win;
  if (!read_window(call, x->rank - 2, 0, &win)) return false;
  int64_t dims[TSL_MAX_RANK] = {x->dims[0], w->dims[0]};
  memcpy(win.kernel, w->dims + 2, sizeof(int64_t) * (size_t)win.axes);
  return input_windows(call, &win, x_index, false, dims + 2) &&
         rule_output(call, 0, x->dtype, x->rank, dims);
}

/* The channel block of a convolution or pool's `layout` (ir/ops/layout.h): 0 where the operator
 * has none or it blocks no channels, else x of "NCHW{x}c", whose x must then be
 * [N, C/x, spatial…, x] — or, for a convolution (`unblocked_x`), may be [N, C, spatial…]. */
static bool read_channel_block(tsl_type_call *call, bool unblocked_x, int64_t *block,
                               bool *x_blocked) {
  *block = 0;
  *x_blocked = false;
  if (tsl_op_attr_index(call->op, "layout") < 0) return true;
  const char *text = rule_string(call, "layout");
  tsl_layout layout;
  *block = tsl_layout_channel_block(text);
  if (*block < 0 || !tsl_layout_parse(text, &layout)) {
    return rule_fail(call, "layout \"%s\" is neither NCHW nor blocked channels NCHW{x}c", text);
  }
  const tsl_type *x = call->inputs[0];
  if (unblocked_x && *block > 0 && x->rank == layout.rank - 1) return true;
  *x_blocked = *block > 0;
  if (*block > 0 && (x->rank != layout.rank || x->dims[x->rank - 1] != *block)) {
    return rule_fail_input(call, 0, "layout \"%s\" needs [N, C/%lld, spatial…, %lld]", text,
                           (long long)*block, (long long)*block);
  }
  return true;
}

/* conv in layout NCHW{x}c: x [N, C/x, D…, x], w [M/x, C/x, k…, x (input), x (output)] or,
 * depthwise (groups = C = M), [M/x, 1, k…, x]; b [M]; y [N, M/x, O…, x]. An x in NCHW,
 * [N, C, D…] (its channels need not divide into blocks), takes w [M/x, C, k…, x]. */
static bool blocked_conv_shape(tsl_type_call *call, int64_t block, bool x_blocked) {
  const tsl_type *x = call->inputs[0], *w = call->inputs[1];
  int axes = x->rank - (x_blocked ? 3 : 2);
  int64_t channels = x->dims[1] * (x_blocked ? block : 1), groups = rule_int(call, "groups");
  bool depthwise = groups != 1;
  if (depthwise && !x_blocked) {
    return rule_fail(call, "groups is %lld; from an input in NCHW, layout \"%s\" takes groups 1",
                     (long long)groups, rule_string(call, "layout"));
  }
  if (depthwise && groups != channels) {
    return rule_fail(call,
                     "groups is %lld; in layout \"%s\" it must be 1 or the %lld channels "
                     "(depthwise)",
                     (long long)groups, rule_string(call, "layout"), (long long)channels);
  }
  int64_t dims[TSL_MAX_RANK] = {depthwise ? x->dims[1] : w->dims[0], depthwise ? 1 : x->dims[1]};
  if (w->rank >= 2 + axes) memcpy(dims + 2, w->dims + 2, sizeof(int64_t) * (size_t)axes);
  dims[2 + axes] = block;
  dims[3 + axes] = block;
  const char *what = depthwise ? "output channel blocks, 1, kernel…, output channels of a block"
                     : !x_blocked ? "output channel blocks, input channels, kernel…, output "
                                    "channels of a block"
                                  : "output channel blocks, input channel blocks, kernel…, input "
                                    "channels of a block, output channels of a block";
  if (!require_shape(call, 1, depthwise || !x_blocked ? 3 + axes : 4 + axes, dims, what) ||
      !require_kernel(call, 1)) {
    return false;
  }
  int64_t outputs = w->dims[0] * block;
  if (rule_input(call, 2) && !require_shape(call, 2, 1, &outputs, "one per output channel")) {
    return false;
  }
  window win;
  if (!read_window(call, axes, 0, &win)) return false;
  int64_t out[TSL_MAX_RANK] = {x->dims[0], w->dims[0]};
  memcpy(win.kernel, w->dims + 2, sizeof(int64_t) * (size_t)axes);
  out[2 + axes] = block;
  return input_windows(call, &win, 0, false, out + 2) &&
         rule_output(call, 0, x->dtype, 3 + axes, out);
}

/* conv itself takes floats; conv_integer and qlinear_conv check their dtypes, call this for the
 * shape and then set the output's dtype. */
bool tsl_rule_conv(tsl_type_call *call) {
  bool typed = call->op->kind != TSL_OP_conv ||
               (rule_require_float(call, 0) && rule_require_same_dtype(call, 1, 0) &&
                (!rule_input(call, 2) || rule_require_same_dtype(call, 2, 0)));
  int64_t block;
  bool x_blocked;
  if (!typed || !read_channel_block(call, true, &block, &x_blocked)) return false;
  if (block > 0) {
    return rule_require_min_rank(call, 0, x_blocked ? 4 : 3) &&
           blocked_conv_shape(call, block, x_blocked);
  }
  return conv_shape(call);
}

/* out = stride·(in-1) + output_padding + extent - pads along spatial axis `axis`; ONNX allows no
 * negative sizes, but pads larger than the output is long would make one. */
static bool transposed_size(tsl_type_call *call, const window *win, int axis,
                            int64_t output_padding, int64_t *out) {
  int64_t in = call->inputs[0]->dims[2 + axis], stretched, extent;
  if (!window_product(call, axis, win->strides[axis], in - 1, &stretched) ||
      !window_extent(call, win, axis, &extent)) {
    return false;
  }
  *out = stretched + output_padding + extent - win->pads[axis] - win->pads[win->axes + axis];
  if (*out >= 0) return true;
  return rule_fail_input(
      call, 0, "on spatial axis %d pads of %lld and %lld leave an output of %lld", axis,
      (long long)win->pads[axis], (long long)win->pads[win->axes + axis], (long long)*out);
}

/* x [N, C, D…], w [C, M/groups, k…], b [M]. output_padding is not held below the stride, as
 * ONNX asks: resolving ONNX's output_shape may put any surplus there. */
bool tsl_rule_conv_transpose(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0], *w = call->inputs[1];
  int64_t groups = rule_int(call, "groups");
  if (!rule_require_float(call, 0) || !rule_require_same_dtype(call, 1, 0) ||
      (rule_input(call, 2) && !rule_require_same_dtype(call, 2, 0)) ||
      !rule_require_min_rank(call, 0, 3) || !rule_require_rank(call, 1, x->rank)) {
    return false;
  }
  if (groups < 1) return rule_fail(call, "groups is %lld; it must be positive", (long long)groups);
  if (w->dims[0] != x->dims[1] || x->dims[1] % groups != 0) {
    return rule_fail_input(call, 1,
                           "x has %lld channels, which w needs on axis 0 and which must "
                           "divide into %lld groups",
                           (long long)x->dims[1], (long long)groups);
  }
  if (!require_kernel(call, 1)) return false;
  int64_t channels = rule_times(w->dims[1], groups);
  if (rule_input(call, 2) && !require_shape(call, 2, 1, &channels, "one per output channel")) {
    return false;
  }
  window win;
  int64_t output_padding[TSL_MAX_RANK];
  if (!read_window(call, x->rank - 2, 0, &win) ||
      !read_ints(call, "output_padding", win.axes, 1, 0, 0, output_padding)) {
    return false;
  }
  int64_t dims[TSL_MAX_RANK] = {x->dims[0], channels};
  for (int axis = 0; axis < win.axes; axis++) {
    win.kernel[axis] = w->dims[2 + axis];
    if (!transposed_size(call, &win, axis, output_padding[axis], &dims[2 + axis])) return false;
  }
  return rule_output(call, 0, x->dtype, x->rank, dims);
}

/* x [N, C, D…], w [M, C/groups, k…] and b [M] as for conv, and so y; offset [N,
 * offset_groups·n·∏k, y's D…] holds a shift of n coordinates (n spatial axes) per kernel tap and
 * offset group, mask [N, offset_groups·∏k, y's D…] a weight per tap. */
bool tsl_rule_deform_conv(tsl_type_call *call) {
  if (!rule_require_float(call, 0)) return false;
  for (int i = 1; i < call->num_inputs; i++) {
    if (rule_input(call, i) && !rule_require_same_dtype(call, i, 0)) return false;
  }
  if (!conv_shape(call)) return false;
  const tsl_type *x = call->inputs[0], *w = call->inputs[1], *y = &call->outputs[0];
  int64_t offset_groups = rule_int(call, "offset_groups");
  if (offset_groups < 1 || x->dims[1] % offset_groups != 0) {
    return rule_fail_input(call, 0, "its %lld channels do not divide into offset_groups = %lld",
                           (long long)x->dims[1], (long long)offset_groups);
  }
  int64_t taps = offset_groups, dims[TSL_MAX_RANK];
  for (int axis = 2; axis < w->rank; axis++) taps = rule_times(taps, w->dims[axis]);
  memcpy(dims, y->dims, sizeof(int64_t) * (size_t)y->rank);
  dims[1] = rule_times(taps, y->rank - 2);
  if (!require_shape(call, 2, y->rank, dims,
                     "batch, offset_groups × spatial axes × kernel taps, y's spatial sizes")) {
    return false;
  }
  dims[1] = taps;
  return !rule_input(call, 4) ||
         require_shape(call, 4, y->rank, dims,
                       "batch, offset_groups × kernel taps, y's spatial sizes");
}

/* x [B, C, L], w [C, 1, k] (a kernel per channel), b [C], past_state [B, C, k-1]: y [B, C, L],
 * and present_state [B, C, k-1], the last k-1 steps of past_state (zeros without) ++ x. */
bool tsl_rule_causal_conv_with_state(tsl_type_call *call) {
  static const char *const activations[] = {"none", "silu", NULL};
  const tsl_type *x = call->inputs[0], *w = call->inputs[1];
  if (!rule_require_choice(call, "activation", activations) || !rule_require_float(call, 0) ||
      !rule_require_rank(call, 0, 3) || !rule_require_rank(call, 1, 3)) {
    return false;
  }
  for (int i = 1; i < call->num_inputs; i++) {
    if (rule_input(call, i) && !rule_require_same_dtype(call, i, 0)) return false;
  }
  if (w->dims[0] != x->dims[1] || w->dims[1] != 1 || w->dims[2] < 1) {
    return rule_fail_input(call, 1,
                           "input 0 (x) has %lld channels, so %s needs [%lld, 1, k], k at "
                           "least 1",
                           (long long)x->dims[1], call->op->name, (long long)x->dims[1]);
  }
  int64_t state[] = {x->dims[0], x->dims[1], w->dims[2] - 1};
  if (rule_input(call, 2) && !require_shape(call, 2, 1, &x->dims[1], "one per channel")) {
    return false;
  }
  if (rule_input(call, 3) &&
      !require_shape(call, 3, 3, state, "batch, channels, kernel size - 1")) {
    return false;
  }
  return rule_output(call, 0, x->dtype, 3, x->dims) &&
         (call->num_outputs < 2 || rule_output(call, 1, x->dtype, 3, state));
}

/* ONNX Col2Im: x [N, C·∏block_shape, L] holds in its columns the L blocks that the window
 * (block_shape, strides, pads, dilations) takes from an image [N, C, image_shape…], in row-major
 * order of their positions; y is that image, each pixel the sum of its copies. */
bool tsl_rule_col2im(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  int axes = rule_attr(call, "image_shape")->count,
      block_axes = rule_attr(call, "block_shape")->count;
  if (!rule_require_rank(call, 0, 3)) return false;
  if (axes < 1 || axes > TSL_MAX_RANK - 2 || block_axes != axes) {
    return rule_fail(call,
                     "image_shape and block_shape list %d and %d sizes; col2im needs as many, "
                     "1 to %d",
                     axes, block_axes, TSL_MAX_RANK - 2);
  }
  window win;
  int64_t dims[TSL_MAX_RANK] = {x->dims[0]}, *image = dims + 2, positions[TSL_MAX_RANK];
  if (!read_ints(call, "image_shape", axes, 1, 0, 0, image) ||
      !read_ints(call, "block_shape", axes, 1, 1, 1, win.kernel) ||
      !read_window(call, axes, 0, &win)) {
    return false;
  }
  int64_t block = 1, blocks = 1;
  for (int axis = 0; axis < axes; axis++) {
    int64_t extent;
    if (!window_extent(call, &win, axis, &extent)) return false;
    positions[axis] = window_count(&win, axis, image[axis], extent, false);
    if (positions[axis] < 0) {
      return rule_fail(call,
                       "image_shape %s: on spatial axis %d the dilated block spans %lld "
                       "elements, more than the %lld of the padded image",
                       tsl_shape_str(axes, image).text, axis, (long long)extent,
                       (long long)padded_size(&win, axis, image[axis]));
    }
    block = rule_times(block, win.kernel[axis]);
    blocks = rule_times(blocks, positions[axis]);
  }
  if (x->dims[1] % block != 0 || x->dims[2] != blocks) {
    return rule_fail_input(call, 0,
                           "col2im needs [N, C × %lld (a block's size), %lld (the block "
                           "positions %s in the image)]",
                           (long long)block, (long long)blocks,
                           tsl_shape_str(axes, positions).text);
  }
  dims[1] = x->dims[1] / block;
  return rule_output(call, 0, x->dtype, axes + 2, dims);
}

static bool pool_dtype_fits(tsl_type_call *call) {
  tsl_dtype dtype = call->inputs[0]->dtype;
  if (call->op->kind != TSL_OP_max_pool) return rule_require_float(call, 0);
  if (tsl_dtype_is_float(dtype) || dtype == TSL_DTYPE_I8 || dtype == TSL_DTYPE_U8) return true;
  return rule_fail(call, "input 0 (x) has dtype %s; max_pool takes floats, i8 and u8",
                   tsl_dtype_name(dtype));
}

/* max_pool, avg_pool and lp_pool; max_pool's indices are i64 of the same shape. */
bool tsl_rule_pool(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  int64_t block;
  bool x_blocked;
  if (!pool_dtype_fits(call) || !rule_require_min_rank(call, 0, 3) ||
      !read_channel_block(call, false, &block, &x_blocked)) {
    return false;
  }
  if (block > 0 && call->num_outputs > 1) {
    return rule_fail(call, "max_pool's indices need layout \"NCHW\"");
  }
  window win;
  int axes = x->rank - (block > 0 ? 3 : 2);
  if (!read_kernel(call, axes, &win) || !read_window(call, axes, 0, &win)) return false;
  bool ceil_mode = rule_int(call, "ceil_mode") != 0;
  int64_t dims[TSL_MAX_RANK] = {x->dims[0], x->dims[1]};
  if (!input_windows(call, &win, 0, ceil_mode, dims + 2)) return false;
  if (block > 0) dims[2 + axes] = block;
  return rule_output(call, 0, x->dtype, x->rank, dims) &&
         (call->num_outputs < 2 || rule_output(call, 1, TSL_DTYPE_I64, x->rank, dims));
}

/* x [N, C, D…] and the i64 indices max_pool gave with it, of x's shape: y [N, C, (D-1)·stride +
 * kernel - pads…], or output_shape where given, which may only be larger (as ONNX's reference
 * places the values in the smaller shape and pads it with zeros). */
bool tsl_rule_max_unpool(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  if (!rule_require_float(call, 0) || !rule_require_min_rank(call, 0, 3) ||
      !rule_require_dtype(call, 1, TSL_DTYPE_I64) ||
      !require_shape(call, 1, x->rank, x->dims, "the shape of x")) {
    return false;
  }
  window win;
  int axes = x->rank - 2;
  if (!read_kernel(call, axes, &win) || !read_window(call, axes, 0, &win)) return false;
  int64_t dims[TSL_MAX_RANK] = {x->dims[0], x->dims[1]};
  for (int axis = 0; axis < axes; axis++) {
    if (!transposed_size(call, &win, axis, 0, &dims[2 + axis])) return false;
  }
  const tsl_attr *shape = rule_attr(call, "output_shape");
  if (shape->count == 0) return rule_output(call, 0, x->dtype, x->rank, dims);
  bool fits = shape->count == x->rank;
  for (int axis = 0; axis < x->rank && fits; axis++) {
    fits = axis < 2 ? shape->ints[axis] == dims[axis] : shape->ints[axis] >= dims[axis];
  }
  if (!fits) {
    return rule_fail_input(call, 0,
                           "output_shape %s must keep its batch and channels and be at least "
                           "the unpooled %s",
                           tsl_shape_str(shape->count, shape->ints).text,
                           tsl_shape_str(x->rank, dims).text);
  }
  return rule_output(call, 0, x->dtype, x->rank, shape->ints);
}

/* x [N, C, H, W]; rois [R, 4], each region's x1, y1, x2, y2, of x's dtype; batch_indices [R],
 * i64: y [R, C, output_height, output_width]. */
bool tsl_rule_roi_align(tsl_type_call *call) {
  static const char *const modes[] = {"avg", "max", NULL};
  static const char *const coordinate_modes[] = {"half_pixel", "output_half_pixel", NULL};
  const tsl_type *x = call->inputs[0], *rois = call->inputs[1];
  int64_t height = rule_int(call, "output_height"), width = rule_int(call, "output_width");
  if (!rule_require_choice(call, "mode", modes) ||
      !rule_require_choice(call, "coordinate_transformation_mode", coordinate_modes) ||
      !rule_require_float(call, 0) || !rule_require_rank(call, 0, 4) ||
      !rule_require_same_dtype(call, 1, 0) || !rule_require_dtype(call, 2, TSL_DTYPE_I64)) {
    return false;
  }
  if (rois->rank != 2 || rois->dims[1] != 4) {
    return rule_fail_input(call, 1, "roi_align needs [regions, 4], each region's x1, y1, x2, y2");
  }
  if (!require_shape(call, 2, 1, rois->dims, "one batch index per region")) return false;
  if (height < 0 || width < 0) {
    return rule_fail(call, "output_height %lld and output_width %lld must not be negative",
                     (long long)height, (long long)width);
  }
  if (rule_int(call, "sampling_ratio") < 0) {
    return rule_fail(call, "sampling_ratio is %lld; it must be 0 (adaptive) or positive",
                     (long long)rule_int(call, "sampling_ratio"));
  }
  int64_t dims[] = {rois->dims[0], x->dims[1], height, width};
  return rule_output(call, 0, x->dtype, 4, dims);
}

bool tsl_rule_max_roi_pool(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0], *rois = call->inputs[1];
  const tsl_attr *pooled = rule_attr(call, "pooled_shape");
  if (!rule_require_float(call, 0) || !rule_require_rank(call, 0, 4) ||
      !rule_require_same_dtype(call, 1, 0)) {
    return false;
  }
  if (rois->rank != 2 || rois->dims[1] != 5) {
    return rule_fail_input(call, 1,
                           "max_roi_pool needs [regions, 5], each region's batch "
                           "index, x1, y1, x2, y2");
  }
  if (pooled->count != 2 || pooled->ints[0] < 1 || pooled->ints[1] < 1) {
    return rule_fail(call, "pooled_shape must be two positive sizes (height, width)");
  }
  int64_t dims[] = {rois->dims[0], x->dims[1], pooled->ints[0], pooled->ints[1]};
  return rule_output(call, 0, x->dtype, 4, dims);
}

/* ---- products ------------------------------------------------------------------------------ */

/* ONNX MatMul and Gemm take floats and 32- or 64-bit integers. */
static bool require_product_dtype(tsl_type_call *call, int index) {
  tsl_dtype dtype = call->inputs[index]->dtype;
  if (tsl_dtype_is_float(dtype) || dtype == TSL_DTYPE_I32 || dtype == TSL_DTYPE_I64 ||
      dtype == TSL_DTYPE_U32 || dtype == TSL_DTYPE_U64) {
    return true;
  }
  char label[64];
  return rule_fail(call, "%s has dtype %s; %s takes floats and 32- or 64-bit integers",
                   rule_input_label(call, index, label, sizeof(label)), tsl_dtype_name(dtype),
                   call->op->name);
}

/* Broadcasts the batch dimensions of a [..., M, K] and b [..., K, N] into dims; returns how many
 * there are, or -1 after failing. */
static int matmul_batch(tsl_type_call *call, int a_index, int b_index, int64_t *dims) {
  const tsl_type *a = call->inputs[a_index], *b = call->inputs[b_index];
  int a_batch = a->rank > 2 ? a->rank - 2 : 0, b_batch = b->rank > 2 ? b->rank - 2 : 0;
  int batch = a_batch > b_batch ? a_batch : b_batch;
  for (int i = 1; i <= batch; i++) {
    int64_t from_a = i <= a_batch ? a->dims[a_batch - i] : 1;
    int64_t from_b = i <= b_batch ? b->dims[b_batch - i] : 1;
    if (from_a != from_b && from_a != 1 && from_b != 1) {
      char label[64];
      rule_fail_input(call, b_index, "%s has shape %s; their batch dimensions do not broadcast",
                      rule_input_label(call, a_index, label, sizeof(label)),
                      tsl_type_shape_str(a).text);
      return -1;
    }
    dims[batch - i] = from_a == 1 ? from_b : from_a;
  }
  return batch;
}

/* numpy matmul of a and b: a 1-D operand gains an axis that the result then drops. */
static bool matmul_shape(tsl_type_call *call) {
  int a_index = port(call, "a"), b_index = port(call, "b");
  const tsl_type *a = call->inputs[a_index], *b = call->inputs[b_index];
  if (!rule_require_min_rank(call, a_index, 1) || !rule_require_min_rank(call, b_index, 1)) {
    return false;
  }
  int64_t columns = a->dims[a->rank - 1], rows = b->dims[b->rank == 1 ? 0 : b->rank - 2];
  if (rows != columns) {
    char label[64];
    return rule_fail_input(call, b_index, "%s has shape %s, so b needs %lld rows",
                           rule_input_label(call, a_index, label, sizeof(label)),
                           tsl_type_shape_str(a).text, (long long)columns);
  }
  int64_t dims[TSL_MAX_RANK];
  int rank = matmul_batch(call, a_index, b_index, dims);
  if (rank < 0) return false;
  if (a->rank >= 2) dims[rank++] = a->dims[a->rank - 2];
  if (b->rank >= 2) dims[rank++] = b->dims[b->rank - 1];
  return rule_output(call, 0, a->dtype, rank, dims);
}

/* matmul itself checks dtypes; matmul_integer and qlinear_matmul check theirs, call this for the
 * shape and then set the output's dtype. */
bool tsl_rule_matmul(tsl_type_call *call) {
  bool typed = call->op->kind != TSL_OP_matmul ||
               (require_product_dtype(call, 0) && rule_require_same_dtype(call, 1, 0));
  return typed && matmul_shape(call);
}

/* a [M, K] (or [K, M] with trans_a) times b [K, N] (or [N, K] with trans_b), plus c broadcast
 * to [M, N]. */
bool tsl_rule_gemm(tsl_type_call *call) {
  const tsl_type *a = call->inputs[0], *b = call->inputs[1];
  if (!require_product_dtype(call, 0) || !rule_require_same_dtype(call, 1, 0) ||
      (rule_input(call, 2) && !rule_require_same_dtype(call, 2, 0)) ||
      !rule_require_rank(call, 0, 2) || !rule_require_rank(call, 1, 2)) {
    return false;
  }
  bool trans_a = rule_int(call, "trans_a") != 0, trans_b = rule_int(call, "trans_b") != 0;
  int64_t dims[2] = {a->dims[trans_a ? 1 : 0], b->dims[trans_b ? 0 : 1]};
  int64_t depth = a->dims[trans_a ? 0 : 1];
  if (b->dims[trans_b ? 1 : 0] != depth) {
    return rule_fail_input(call, 1,
                           "input 0 (a) has shape %s; with trans_a = %d and trans_b = %d, b "
                           "needs %lld on axis %d",
                           tsl_type_shape_str(a).text, trans_a, trans_b, (long long)depth,
                           trans_b ? 1 : 0);
  }
  if (rule_input(call, 2) && !require_broadcasts_to(call, 2, 2, dims)) return false;
  return rule_output(call, 0, a->dtype, 2, dims);
}

/* x [*, M, M]: y [*], the determinant of each matrix. */
bool tsl_rule_det(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  if (!rule_require_float(call, 0) || !rule_require_min_rank(call, 0, 2)) return false;
  if (x->dims[x->rank - 1] != x->dims[x->rank - 2]) {
    return rule_fail_input(call, 0, "det needs square matrices in its last two axes");
  }
  return rule_output(call, 0, x->dtype, x->rank - 2, x->dims);
}

/* ---- einsum -------------------------------------------------------------------------------- */

/* One term of an einsum equation: its letters, and how many of them precede the ellipsis. */
typedef struct einsum_term {
  char letters[TSL_MAX_RANK];
  int count;
  int ellipsis; /* -1: no "..." */
} einsum_term;

/* What the input terms say: each letter's size and uses, and the broadcast ellipsis axes. */
typedef struct einsum_sizes {
  int64_t letter_size[128];
  int letter_uses[128];
  int ellipsis_rank;
  int64_t ellipsis_dims[TSL_MAX_RANK]; /* right-aligned: the last ellipsis_rank are used */
} einsum_sizes;

static bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static bool bad_equation(tsl_type_call *call, const char *at) {
  const char *equation = rule_string(call, "equation");
  return rule_fail(call, "equation \"%s\": unexpected '%c' at offset %d", equation, *at,
                   (int)(at - equation));
}

/* Reads a term up to ',', '-' or the end, skipping spaces. */
static bool read_term(tsl_type_call *call, const char **cursor, einsum_term *term) {
  *term = (einsum_term){.ellipsis = -1};
  const char *at = *cursor;
  for (; *at && *at != ',' && *at != '-'; at++) {
    if (*at == ' ') continue;
    if (term->ellipsis < 0 && strncmp(at, "...", 3) == 0) {
      term->ellipsis = term->count;
      at += 2;
      continue;
    }
    if (!is_letter(*at)) return bad_equation(call, at);
    if (term->count == TSL_MAX_RANK) {
      return rule_fail(call, "equation \"%s\": a term has more than %d letters",
                       rule_string(call, "equation"), TSL_MAX_RANK);
    }
    term->letters[term->count++] = *at;
  }
  *cursor = at;
  return true;
}

/* The axis of input dims that letter `i` of a term labels, given the ellipsis' axes. */
static int term_axis(const einsum_term *term, int i, int ellipsis_axes) {
  return term->ellipsis >= 0 && i >= term->ellipsis ? i + ellipsis_axes : i;
}

/* Broadcasts the ellipsis axes of input `index` (at `start`, `count` of them) into sizes. */
static bool bind_ellipsis(tsl_type_call *call, int index, int start, int count,
                          einsum_sizes *sizes) {
  const tsl_type *input = call->inputs[index];
  for (int i = 1; i <= count; i++) {
    int64_t dim = input->dims[start + count - i];
    int64_t *have = &sizes->ellipsis_dims[TSL_MAX_RANK - i];
    if (i > sizes->ellipsis_rank || *have == 1) {
      *have = dim;
    } else if (dim != 1 && dim != *have) {
      return rule_fail_input(call, index,
                             "its ellipsis axes do not broadcast with the other "
                             "inputs' (%lld against %lld)",
                             (long long)dim, (long long)*have);
    }
  }
  if (count > sizes->ellipsis_rank) sizes->ellipsis_rank = count;
  return true;
}

/* Matches input `index` against its term: a letter repeated in one term labels equal axes; across
 * terms a letter's axes are equal or 1 (numpy broadcasts them). */
static bool bind_term(tsl_type_call *call, int index, const einsum_term *term,
                      einsum_sizes *sizes) {
  const tsl_type *input = call->inputs[index];
  int ellipsis_axes = term->ellipsis < 0 ? 0 : input->rank - term->count;
  if ((term->ellipsis < 0 && input->rank != term->count) || ellipsis_axes < 0) {
    return rule_fail_input(call, index, "its term in the equation has %d letters%s for its %d axes",
                           term->count, term->ellipsis < 0 ? "" : " besides the ellipsis",
                           input->rank);
  }
  for (int i = 0; i < term->count; i++) {
    int letter = term->letters[i];
    int64_t dim = input->dims[term_axis(term, i, ellipsis_axes)];
    for (int j = 0; j < i; j++) {
      int64_t other = input->dims[term_axis(term, j, ellipsis_axes)];
      if (term->letters[j] == letter && other != dim) {
        return rule_fail_input(call, index,
                               "letter '%c' labels two of its axes, of sizes %lld and "
                               "%lld",
                               letter, (long long)other, (long long)dim);
      }
    }
    int64_t *size = &sizes->letter_size[letter];
    if (*size >= 0 && *size != dim && *size != 1 && dim != 1) {
      return rule_fail_input(call, index,
                             "letter '%c' labels an axis of %lld here and of %lld in an "
                             "earlier input",
                             letter, (long long)dim, (long long)*size);
    }
    if (*size < 0 || *size == 1) *size = dim;
    sizes->letter_uses[letter]++;
  }
  return bind_ellipsis(call, index, term->ellipsis < 0 ? 0 : term->ellipsis, ellipsis_axes, sizes);
}

/* Appends a dimension to the output, which tessel caps at TSL_MAX_RANK axes. */
static bool push_dim(tsl_type_call *call, int64_t *dims, int *rank, int64_t dim) {
  if (*rank == TSL_MAX_RANK) {
    return rule_fail(call, "equation \"%s\" gives an output of more than %d axes",
                     rule_string(call, "equation"), TSL_MAX_RANK);
  }
  dims[(*rank)++] = dim;
  return true;
}

static bool push_ellipsis(tsl_type_call *call, const einsum_sizes *sizes, int64_t *dims,
                          int *rank) {
  for (int i = TSL_MAX_RANK - sizes->ellipsis_rank; i < TSL_MAX_RANK; i++) {
    if (!push_dim(call, dims, rank, sizes->ellipsis_dims[i])) return false;
  }
  return true;
}

/* Without "->": the ellipsis axes, then the letters used once, in ASCII order. */
static bool implicit_output(tsl_type_call *call, const einsum_sizes *sizes, int64_t *dims,
                            int *rank) {
  if (!push_ellipsis(call, sizes, dims, rank)) return false;
  for (int letter = 0; letter < 128; letter++) {
    if (sizes->letter_uses[letter] == 1 &&
        !push_dim(call, dims, rank, sizes->letter_size[letter])) {
      return false;
    }
  }
  return true;
}

/* After "->": each letter once, each from some input; "..." wherever inputs broadcast axes. */
static bool explicit_output(tsl_type_call *call, const char *at, const einsum_sizes *sizes,
                            int64_t *dims, int *rank) {
  const char *equation = rule_string(call, "equation");
  einsum_term term;
  if (!read_term(call, &at, &term)) return false;
  if (*at) return bad_equation(call, at);
  if (term.ellipsis < 0 && sizes->ellipsis_rank > 0) {
    return rule_fail(call,
                     "equation \"%s\": the output needs \"...\" for the %d axes the "
                     "inputs' ellipses stand for",
                     equation, sizes->ellipsis_rank);
  }
  for (int i = 0; i <= term.count; i++) {
    if (i == term.ellipsis && !push_ellipsis(call, sizes, dims, rank)) return false;
    if (i == term.count) break;
    int letter = term.letters[i];
    if (sizes->letter_uses[letter] == 0 || memchr(term.letters, letter, (size_t)i)) {
      return rule_fail(call,
                       "equation \"%s\": output letter '%c' must appear in an input and "
                       "only once in the output",
                       equation, letter);
    }
    if (!push_dim(call, dims, rank, sizes->letter_size[letter])) return false;
  }
  return true;
}

static bool einsum_output(tsl_type_call *call, const char *at, const einsum_sizes *sizes) {
  int64_t dims[TSL_MAX_RANK];
  int rank = 0;
  bool found;
  if (*at == '\0') {
    found = implicit_output(call, sizes, dims, &rank);
  } else if (strncmp(at, "->", 2) == 0) {
    found = explicit_output(call, at + 2, sizes, dims, &rank);
  } else {
    found = bad_equation(call, at);
  }
  return found && rule_output(call, 0, call->inputs[0]->dtype, rank, dims);
}

/* One term per input, separated by commas, then "->" and the output's term or nothing. */
bool tsl_rule_einsum(tsl_type_call *call) {
  const char *equation = rule_string(call, "equation"), *at = equation;
  einsum_sizes sizes = {.ellipsis_rank = 0};
  memset(sizes.letter_size, -1, sizeof(sizes.letter_size));
  if (!rule_require_numeric(call, 0)) return false;
  for (int i = 0; i < call->num_inputs; i++) {
    char label[64];
    if (!call->inputs[i]) {
      return rule_fail(call, "%s is required", rule_input_label(call, i, label, sizeof(label)));
    }
    einsum_term term;
    if (!rule_require_same_dtype(call, i, 0) || !read_term(call, &at, &term) ||
        !bind_term(call, i, &term, &sizes)) {
      return false;
    }
    bool more = i + 1 < call->num_inputs;
    if (more != (*at == ',')) {
      return rule_fail(call, "equation \"%s\" does not have one term for each of the %d inputs",
                       equation, call->num_inputs);
    }
    at += more;
  }
  return einsum_output(call, at, &sizes);
}

/* ---- normalisation ------------------------------------------------------------------------- */

/* Inputs first to last have x's dtype and one element per channel (x's axis 1). */
static bool per_channel(tsl_type_call *call, int first, int last) {
  for (int i = first; i <= last; i++) {
    if (!rule_require_same_dtype(call, i, 0) ||
        !require_shape(call, i, 1, &call->inputs[0]->dims[1], "one per channel")) {
      return false;
    }
  }
  return true;
}

static bool require_stash_type(tsl_type_call *call) {
  tsl_dtype stash = rule_attr(call, "stash_type")->dtype;
  if (tsl_dtype_is_float(stash)) return true;
  return rule_fail(call, "stash_type is %s; it must be a float dtype", tsl_dtype_name(stash));
}

/* Inference form: scale and bias share a float dtype, as do mean and var; each is [C]. */
bool tsl_rule_batch_norm(tsl_type_call *call) {
  if (!rule_require_float(call, 0) || !rule_require_min_rank(call, 0, 2)) return false;
  for (int i = 1; i <= 4; i++) {
    if (!rule_require_float(call, i) ||
        !require_shape(call, i, 1, &call->inputs[0]->dims[1], "one per channel")) {
      return false;
    }
  }
  return rule_require_same_dtype(call, 2, 1) && rule_require_same_dtype(call, 4, 3) &&
         rule_same_as_input(call);
}

bool tsl_rule_instance_norm(tsl_type_call *call) {
  return rule_require_float(call, 0) && rule_require_min_rank(call, 0, 3) &&
         per_channel(call, 1, 2) && rule_same_as_input(call);
}

bool tsl_rule_group_norm(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  int64_t groups = rule_int(call, "num_groups");
  if (!rule_require_float(call, 0) || !rule_require_min_rank(call, 0, 2) ||
      !require_stash_type(call)) {
    return false;
  }
  if (groups < 1 || x->dims[1] % groups != 0) {
    return rule_fail_input(call, 0, "its %lld channels do not divide into num_groups = %lld groups",
                           (long long)x->dims[1], (long long)groups);
  }
  return per_channel(call, 1, 2) && rule_same_as_input(call);
}

/* x of rank 1 or more, its normalised axes from `axis` on; inputs first to last (where
 * present) of x's dtype, broadcasting to x. */
static bool normalised_axes(tsl_type_call *call, int first, int last, int *axis) {
  const tsl_type *x = call->inputs[0];
  if (!rule_require_float(call, 0) || !rule_require_min_rank(call, 0, 1) ||
      !rule_axis(call, "axis", rule_int(call, "axis"), x->rank, axis) ||
      !require_stash_type(call)) {
    return false;
  }
  for (int i = first; i <= last; i++) {
    if (rule_input(call, i) && (!rule_require_same_dtype(call, i, 0) ||
                                !require_broadcasts_to(call, i, x->rank, x->dims))) {
      return false;
    }
  }
  return true;
}

/* mean and inv_std_dev keep x's axes before `axis` and have 1s from there, in stash_type. */
bool tsl_rule_layer_norm(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  int axis;
  if (!normalised_axes(call, 1, 2, &axis)) return false;
  int64_t dims[TSL_MAX_RANK];
  for (int a = 0; a < x->rank; a++) dims[a] = a < axis ? x->dims[a] : 1;
  call->outputs[0] = *x;
  for (int i = 1; i < call->num_outputs; i++) {
    if (!rule_output(call, i, rule_attr(call, "stash_type")->dtype, x->rank, dims)) return false;
  }
  return true;
}

bool tsl_rule_rms_norm(tsl_type_call *call) {
  int axis;
  return normalised_axes(call, 1, 1, &axis) && rule_same_as_input(call);
}

bool tsl_rule_lrn(tsl_type_call *call) {
  int64_t size = rule_int(call, "size");
  if (size < 1) return rule_fail(call, "size is %lld; it must be positive", (long long)size);
  return rule_require_float(call, 0) && rule_require_min_rank(call, 0, 2) &&
         rule_same_as_input(call);
}

/* ---- attention ----------------------------------------------------------------------------- */

/* The sizes of an attention call, whichever layout its inputs have. */
typedef struct attention_sizes {
  int64_t batch, q_heads, kv_heads, q_length, kv_length, past_length, head_size, v_head_size;
} attention_sizes;

/* Heads, sequence length and head size of q, k or v (input `index`): from [batch, heads,
 * length, size], or from [batch, length, heads·size] with the heads `heads_attr` gives. */
static bool attention_operand(tsl_type_call *call, int index, const char *heads_attr,
                              int64_t *sizes) {
  const tsl_type *input = call->inputs[index];
  int64_t heads = rule_int(call, heads_attr);
  if (input->rank == 4) {
    if (heads != 0 && heads != input->dims[1]) {
      return rule_fail_input(call, index, "%s = %lld disagrees with its axis 1", heads_attr,
                             (long long)heads);
    }
    memcpy(sizes, input->dims + 1, 3 * sizeof(int64_t));
    return true;
  }
  if (heads < 1) return rule_fail_input(call, index, "3-D inputs need %s", heads_attr);
  if (input->dims[2] % heads != 0) {
    return rule_fail_input(call, index, "its hidden size does not divide into %s = %lld heads",
                           heads_attr, (long long)heads);
  }
  int64_t unpacked[] = {heads, input->dims[1], input->dims[2] / heads};
  memcpy(sizes, unpacked, sizeof(unpacked));
  return true;
}

/* q, k, v: all 4-D [batch, heads, length, size] or all 3-D [batch, length, hidden]; k and v share
 * heads and length, q and k the head size; q's heads are a multiple of k's. */
static bool attention_shapes(tsl_type_call *call, attention_sizes *sizes) {
  const tsl_type *q = call->inputs[0];
  if (q->rank != 3 && q->rank != 4) {
    return rule_fail_input(call, 0,
                           "attention needs [batch, heads, length, head size] or [batch, "
                           "length, hidden]");
  }
  for (int i = 1; i <= 2; i++) {
    const tsl_type *input = call->inputs[i];
    if (input->rank != q->rank || input->dims[0] != q->dims[0]) {
      return rule_fail_input(call, i, "input 0 (q) has shape %s; k and v need its rank and batch",
                             tsl_type_shape_str(q).text);
    }
  }
  int64_t of_q[3], of_k[3], of_v[3]; /* heads, length, head size */
  if (!attention_operand(call, 0, "q_num_heads", of_q) ||
      !attention_operand(call, 1, "kv_num_heads", of_k) ||
      !attention_operand(call, 2, "kv_num_heads", of_v)) {
    return false;
  }
  if (of_v[0] != of_k[0] || of_v[1] != of_k[1]) {
    return rule_fail_input(call, 2, "input 1 (k) has shape %s; v needs k's heads and length",
                           tsl_type_shape_str(call->inputs[1]).text);
  }
  if (of_k[2] != of_q[2]) {
    return rule_fail_input(call, 1, "input 0 (q) has shape %s; k needs q's head size",
                           tsl_type_shape_str(q).text);
  }
  if (of_k[0] < 1 || of_q[0] % of_k[0] != 0) {
    return rule_fail_input(call, 1, "its %lld heads do not divide q's %lld heads into groups",
                           (long long)of_k[0], (long long)of_q[0]);
  }
  *sizes = (attention_sizes){q->dims[0], of_q[0], of_k[0], of_q[1], of_k[1], 0, of_q[2], of_v[2]};
  return true;
}

/* past_key [batch, kv heads, past, head size] and past_value [.., v head size], together, and
 * not with nonpad_kv_seqlen (an outside cache). */
static bool attention_past(tsl_type_call *call, attention_sizes *sizes) {
  const tsl_type *past_key = rule_input(call, 4), *past_value = rule_input(call, 5);
  if (!past_key && !past_value) return true;
  if (!past_key || !past_value) {
    return rule_fail(call, "past_key and past_value must be given together");
  }
  if (rule_input(call, 6)) {
    return rule_fail(call,
                     "nonpad_kv_seqlen describes a cache outside the operator; it does not "
                     "go with past_key and past_value");
  }
  if (!rule_require_rank(call, 4, 4)) return false;
  int64_t past = past_key->dims[2];
  int64_t key[] = {sizes->batch, sizes->kv_heads, past, sizes->head_size};
  int64_t value[] = {sizes->batch, sizes->kv_heads, past, sizes->v_head_size};
  sizes->past_length = past;
  return rule_require_same_dtype(call, 4, 1) && rule_require_same_dtype(call, 5, 2) &&
         require_shape(call, 4, 4, key, "batch, kv heads, past length, head size") &&
         require_shape(call, 5, 4, value, "batch, kv heads, past length, v head size");
}

/* The mask broadcasts to [batch, q heads, q length, total length]; its last axis may be shorter
 * (the rest counts as masked). It is bool or of q's dtype. */
static bool attention_mask(tsl_type_call *call, const attention_sizes *sizes) {
  const tsl_type *mask = rule_input(call, 3);
  if (!mask) return true;
  tsl_dtype q_dtype = call->inputs[0]->dtype;
  if (mask->dtype != TSL_DTYPE_BOOL && mask->dtype != q_dtype) {
    return rule_fail(call,
                     "input 3 (mask) has dtype %s; attention takes bool masks or masks of "
                     "q's dtype %s",
                     tsl_dtype_name(mask->dtype), tsl_dtype_name(q_dtype));
  }
  int64_t scores[] = {sizes->batch, sizes->q_heads, sizes->q_length,
                      sizes->past_length + sizes->kv_length};
  bool fits = mask->rank >= 1 && mask->rank <= 4;
  for (int i = 1; i <= mask->rank && fits; i++) {
    int64_t dim = mask->dims[mask->rank - i], want = scores[4 - i];
    fits = dim == 1 || dim == want || (i == 1 && dim < want);
  }
  if (fits) return true;
  return rule_fail_input(call, 3,
                         "attention needs it to broadcast to %s (batch, q heads, q length, "
                         "total length), the last axis possibly shorter",
                         tsl_shape_str(4, scores).text);
}

/* y keeps q's layout; present_key and present_value append k and v to the past; the scores are
 * [batch, q heads, q length, total length]. */
static bool attention_outputs(tsl_type_call *call, const attention_sizes *s) {
  const tsl_type *q = call->inputs[0];
  int64_t total = s->past_length + s->kv_length;
  int64_t y3[] = {s->batch, s->q_length, rule_times(s->q_heads, s->v_head_size)};
  int64_t y4[] = {s->batch, s->q_heads, s->q_length, s->v_head_size};
  int64_t key[] = {s->batch, s->kv_heads, total, s->head_size};
  int64_t value[] = {s->batch, s->kv_heads, total, s->v_head_size};
  int64_t scores[] = {s->batch, s->q_heads, s->q_length, total};
  const int64_t *shapes[] = {q->rank == 3 ? y3 : y4, key, value, scores};
  tsl_dtype dtypes[] = {q->dtype, q->dtype, call->inputs[2]->dtype, q->dtype};
  for (int i = 0; i < call->num_outputs; i++) {
    if (!rule_output(call, i, dtypes[i], i == 0 ? q->rank : 4, shapes[i])) return false;
  }
  return true;
}

/* ONNX Attention (opsets 23 and 24): q and k share a float dtype; v may have another. */
bool tsl_rule_attention(tsl_type_call *call) {
  int64_t mode = rule_int(call, "qk_matmul_output_mode");
  if (mode < 0 || mode > 3) {
    return rule_fail(call, "qk_matmul_output_mode is %lld; it must be 0, 1, 2 or 3",
                     (long long)mode);
  }
  attention_sizes sizes;
  if (!rule_require_float(call, 0) || !rule_require_same_dtype(call, 1, 0) ||
      !rule_require_float(call, 2) || !attention_shapes(call, &sizes) ||
      !attention_past(call, &sizes) || !attention_mask(call, &sizes)) {
    return false;
  }
  if (rule_input(call, 6) &&
      (!rule_require_dtype(call, 6, TSL_DTYPE_I64) ||
       !require_shape(call, 6, 1, &sizes.batch, "one length per batch entry"))) {
    return false;
  }
  return attention_outputs(call, &sizes);
}

/* decay (the gated update rules) or beta (the delta ones), input `index`: present exactly when
 * the rule uses it, of q's dtype, [batch, length, kv heads] or [batch, length, `other_last`]. */
static bool linear_attention_gate(tsl_type_call *call, int index, bool used, int64_t other_last) {
  const tsl_type *gate = rule_input(call, index), *q = call->inputs[0];
  const char *update_rule = rule_string(call, "update_rule");
  char label[64];
  rule_input_label(call, index, label, sizeof(label));
  if (!gate && !used) return true;
  if (!gate || !used) {
    return rule_fail(call, "update_rule \"%s\" %s %s", update_rule, used ? "needs" : "takes no",
                     label);
  }
  int64_t heads = rule_int(call, "kv_num_heads");
  if (!rule_require_same_dtype(call, index, 0)) return false;
  if (gate->rank == 3 && gate->dims[0] == q->dims[0] && gate->dims[1] == q->dims[1] &&
      (gate->dims[2] == heads || gate->dims[2] == other_last)) {
    return true;
  }
  return rule_fail_input(call, index, "linear_attention needs [%lld, %lld, %lld or %lld]",
                         (long long)q->dims[0], (long long)q->dims[1], (long long)heads,
                         (long long)other_last);
}

/* ONNX LinearAttention: q [batch, length, q heads·dk], k [.., kv heads·dk] and v [.., kv heads·dv]
 * share a float dtype; past_state [batch, kv heads, dk, dv] may have another. y [batch, length,
 * q heads·dv] has q's dtype, present_state past_state's (q's without one). */
bool tsl_rule_linear_attention(tsl_type_call *call) {
  static const char *const update_rules[] = {"linear", "gated", "delta", "gated_delta", NULL};
  const tsl_type *q = call->inputs[0], *past = rule_input(call, 3);
  int64_t q_heads = rule_int(call, "q_num_heads"), kv_heads = rule_int(call, "kv_num_heads");
  if (!rule_require_choice(call, "update_rule", update_rules)) return false;
  if (q_heads < 1 || kv_heads < 1 || q_heads % kv_heads != 0) {
    return rule_fail(call, "q_num_heads = %lld must be a positive multiple of kv_num_heads = %lld",
                     (long long)q_heads, (long long)kv_heads);
  }
  if (!rule_require_float(call, 0)) return false;
  for (int i = 0; i < 3; i++) {
    if (!rule_require_same_dtype(call, i, 0) || !rule_require_rank(call, i, 3)) return false;
    if (call->inputs[i]->dims[0] != q->dims[0] || call->inputs[i]->dims[1] != q->dims[1]) {
      return rule_fail_input(call, i, "input 0 (q) has shape %s; k and v need its batch and length",
                             tsl_type_shape_str(q).text);
    }
  }
  int64_t of_q[3], of_k[3], of_v[3]; /* heads, length, head size */
  if (!attention_operand(call, 0, "q_num_heads", of_q) ||
      !attention_operand(call, 1, "kv_num_heads", of_k) ||
      !attention_operand(call, 2, "kv_num_heads", of_v)) {
    return false;
  }
  if (of_k[2] != of_q[2]) {
    return rule_fail_input(call, 1, "input 0 (q) has shape %s; k needs q's head size",
                           tsl_type_shape_str(q).text);
  }
  const char *update_rule = rule_string(call, "update_rule");
  bool gated = strncmp(update_rule, "gated", 5) == 0, delta = strstr(update_rule, "delta") != NULL;
  if (!linear_attention_gate(call, 4, gated, rule_times(kv_heads, of_k[2])) ||
      !linear_attention_gate(call, 5, delta, 1)) {
    return false;
  }
  int64_t state[] = {q->dims[0], kv_heads, of_k[2], of_v[2]};
  if (past && (!rule_require_float(call, 3) ||
               !require_shape(call, 3, 4, state, "batch, kv heads, dk, dv"))) {
    return false;
  }
  int64_t y[] = {q->dims[0], q->dims[1], rule_times(q_heads, of_v[2])};
  return rule_output(call, 0, q->dtype, 3, y) &&
         (call->num_outputs < 2 || rule_output(call, 1, past ? past->dtype : q->dtype, 4, state));
}

/* ---- rotary embedding, affine grids and grid sampling -------------------------------------- */

/* Batch, sequence length and head size of x: [batch, heads, length, head size], or [batch,
 * length, heads·head size] with num_heads. */
static bool rotary_layout(tsl_type_call *call, int64_t *batch, int64_t *length,
                          int64_t *head_size) {
  const tsl_type *x = call->inputs[0];
  int64_t heads = rule_int(call, "num_heads");
  if (x->rank != 3 && x->rank != 4) {
    return rule_fail_input(call, 0,
                           "rotary_embedding needs [batch, heads, length, head size] or "
                           "[batch, length, hidden]");
  }
  if (x->rank == 3 && heads < 1) return rule_fail_input(call, 0, "3-D x needs num_heads");
  if (x->rank == 3 && x->dims[2] % heads != 0) {
    return rule_fail_input(call, 0, "its hidden size does not divide into num_heads = %lld heads",
                           (long long)heads);
  }
  *batch = x->dims[0];
  *length = x->dims[x->rank == 4 ? 2 : 1];
  *head_size = x->rank == 4 ? x->dims[3] : x->dims[2] / heads;
  return true;
}

/* With position_ids [batch, length], the caches are [max position + 1, half]; without, they are
 * [batch, length, half]. */
static bool rotary_caches(tsl_type_call *call, int64_t batch, int64_t length, int64_t half) {
  const tsl_type *positions = rule_input(call, 3), *cos = call->inputs[1];
  if (!positions) {
    int64_t dims[] = {batch, length, half};
    return require_shape(call, 1, 3, dims, "batch, length, rotated size / 2") &&
           require_shape(call, 2, 3, dims, "batch, length, rotated size / 2");
  }
  int64_t position_dims[] = {batch, length};
  if (!rule_require_dtype(call, 3, TSL_DTYPE_I64) ||
      !require_shape(call, 3, 2, position_dims, "batch, length")) {
    return false;
  }
  if (cos->rank != 2 || cos->dims[1] != half) {
    return rule_fail_input(call, 1,
                           "with position_ids rotary_embedding needs [max position + 1, "
                           "%lld]",
                           (long long)half);
  }
  return require_shape(call, 2, 2, cos->dims, "the shape of cos_cache");
}

bool tsl_rule_rotary_embedding(tsl_type_call *call) {
  int64_t batch = 0, length = 0, head_size = 0;
  if (!rule_require_float(call, 0) || !rule_require_same_dtype(call, 1, 0) ||
      !rule_require_same_dtype(call, 2, 0) || !rotary_layout(call, &batch, &length, &head_size)) {
    return false;
  }
  int64_t rotated = rule_int(call, "rotary_embedding_dim");
  if (rotated == 0) rotated = head_size;
  if (head_size % 2 != 0 || rotated < 0 || rotated > head_size || rotated % 2 != 0) {
    return rule_fail_input(call, 0,
                           "its head size %lld and rotary_embedding_dim %lld must be even, "
                           "the second no larger",
                           (long long)head_size, (long long)rotated);
  }
  return rotary_caches(call, batch, length, rotated / 2) && rule_same_as_input(call);
}

/* theta [N, 2, 3] moves the points of an image of size [N, C, H, W] into grid [N, H, W, 2];
 * theta [N, 3, 4] those of [N, C, D, H, W] into [N, D, H, W, 3]. */
bool tsl_rule_affine_grid(tsl_type_call *call) {
  const tsl_attr *size = rule_attr(call, "size");
  if (!rule_require_float(call, 0)) return false;
  if (size->count != 4 && size->count != 5) {
    return rule_fail(call,
                     "size lists %d values; affine_grid needs [N, C, H, W] or [N, C, D, H, W]",
                     size->count);
  }
  for (int i = 0; i < size->count; i++) {
    if (size->ints[i] < 0) {
      return rule_fail(call, "size %s has a negative dimension",
                       tsl_shape_str(size->count, size->ints).text);
    }
  }
  int axes = size->count - 2;
  int64_t maps[] = {size->ints[0], axes, axes + 1};
  if (!require_shape(call, 0, 3, maps, "an affine map of homogeneous points per image")) {
    return false;
  }
  int64_t dims[TSL_MAX_RANK] = {size->ints[0]};
  memcpy(dims + 1, size->ints + 2, sizeof(int64_t) * (size_t)axes);
  dims[axes + 1] = axes;
  return rule_output(call, 0, call->inputs[0]->dtype, axes + 2, dims);
}

/* x [N, C, D…] sampled at grid [N, H…, n], n the number of spatial axes: y [N, C, H…]. */
bool tsl_rule_grid_sample(tsl_type_call *call) {
  static const char *const modes[] = {"linear", "nearest", "cubic", NULL};
  static const char *const padding_modes[] = {"zeros", "border", "reflection", NULL};
  const tsl_type *x = call->inputs[0], *grid = call->inputs[1];
  if (!rule_require_choice(call, "mode", modes) ||
      !rule_require_choice(call, "padding_mode", padding_modes) ||
      !rule_require_min_rank(call, 0, 3) || !rule_require_float(call, 1) ||
      !rule_require_rank(call, 1, x->rank)) {
    return false;
  }
  int axes = x->rank - 2;
  if (grid->dims[0] != x->dims[0] || grid->dims[grid->rank - 1] != axes) {
    return rule_fail_input(call, 1,
                           "input 0 (x) has shape %s, so grid needs %lld on axis 0 and %d "
                           "coordinates on its last",
                           tsl_type_shape_str(x).text, (long long)x->dims[0], axes);
  }
  int64_t dims[TSL_MAX_RANK] = {x->dims[0], x->dims[1]};
  memcpy(dims + 2, grid->dims + 1, sizeof(int64_t) * (size_t)axes);
  return rule_output(call, 0, x->dtype, x->rank, dims);
}
