/* Compute rules of convolution, pooling, products and attention.
 *
 * A product is a sum at the top of a compute, which te.c lowers to a loop nest around one block
 * with an init. What follows a sum (a bias, a scale, the cast back from f32) is a second compute
 * reading the first. Convolutions read x through a zero-padded copy, so that their sums have no
 * condition. Other windows read x at clamped indices, so that no load leaves x even where its
 * value is not used, and the reduction's condition leaves out the taps that fall in the padding.
 * What index expressions cannot say (linear attention's recurrence, the regions of the ROI
 * operators, whose sizes come from the data) is an extern: a loop nest written out in TIR. */
#include <math.h>
#include <string.h>

#include "ir/check.h"
#include "ir/ops/compute.h"
#include "ir/ops/layout.h"

/* ---- expressions --------------------------------------------------------------------------- */

static tsl_arena *arena_of(const tsl_compute_call *call) { return call->program->func->arena; }

static tsl_expr *add(tsl_arena *a, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(a, TSL_EXPR_ADD, x, y);
}
static tsl_expr *sub(tsl_arena *a, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(a, TSL_EXPR_SUB, x, y);
}
static tsl_expr *mul(tsl_arena *a, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(a, TSL_EXPR_MUL, x, y);
}
static tsl_expr *divide(tsl_arena *a, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(a, TSL_EXPR_DIV, x, y);
}
static tsl_expr *floor_div(tsl_arena *a, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(a, TSL_EXPR_FLOOR_DIV, x, y);
}
static tsl_expr *floor_mod(tsl_arena *a, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(a, TSL_EXPR_FLOOR_MOD, x, y);
}
static tsl_expr *minimum(tsl_arena *a, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(a, TSL_EXPR_MIN, x, y);
}
static tsl_expr *maximum(tsl_arena *a, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(a, TSL_EXPR_MAX, x, y);
}
static tsl_expr *less(tsl_arena *a, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(a, TSL_EXPR_LT, x, y);
}
static tsl_expr *less_equal(tsl_arena *a, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(a, TSL_EXPR_LE, x, y);
}
static tsl_expr *equal(tsl_arena *a, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(a, TSL_EXPR_EQ, x, y);
}
static tsl_expr *choose(tsl_arena *a, tsl_expr *c, tsl_expr *x, tsl_expr *y) {
  return tsl_select(a, c, x, y);
}
static tsl_expr *math(tsl_arena *a, tsl_math f, tsl_expr *x) { return tsl_call(a, f, x, NULL); }
static tsl_expr *var_of(tsl_arena *a, const tsl_iter *iter) { return tsl_var_ref(a, iter->var); }

/* x && y, where either may be NULL (no condition). */
static tsl_expr *both(tsl_arena *a, tsl_expr *x, tsl_expr *y) {
  return !x ? y : !y ? x : tsl_binary(a, TSL_EXPR_AND, x, y);
}

static tsl_expr *clamp(tsl_arena *a, tsl_expr *x, int64_t low, int64_t high) {
  return minimum(a, maximum(a, x, tsl_index(a, low)), tsl_index(a, high));
}

/* Index arithmetic on a constant: x·factor + offset. */
static tsl_expr *affine(tsl_arena *a, tsl_expr *x, int64_t factor, int64_t offset) {
  return add(a, mul(a, x, tsl_index(a, factor)), tsl_index(a, offset));
}

/* f16 and bf16 values accumulate in f32 and are rounded once, as compute_elementwise.c computes
 * them: what the reference implementations do, and more accurate than rounding every step. */
static tsl_dtype accumulator(tsl_dtype dtype) {
  return dtype == TSL_DTYPE_F16 || dtype == TSL_DTYPE_BF16 ? TSL_DTYPE_F32 : dtype;
}

static const tsl_te_tensor *optional_input(const tsl_compute_call *call, int index) {
  return index < call->num_inputs ? call->inputs[index] : NULL;
}

/* input[indices], converted to dtype. */
static tsl_expr *read_as(tsl_compute_call *call, tsl_dtype dtype, const tsl_te_tensor *input,
                         tsl_expr *const *indices) {
  return tsl_cast(arena_of(call), dtype, tsl_te_read(call->program, input, indices));
}

static tsl_expr *negative_infinity(tsl_arena *a, tsl_dtype dtype) {
  return tsl_const(a, dtype, -INFINITY);
}

/* ---- stages -------------------------------------------------------------------------------- */

/* A compute the kernel allocates as scratch; the caller sets its body. */
static tsl_te_tensor *stage(tsl_compute_call *call, const char *name, tsl_dtype dtype, int rank,
                            const int64_t *dims) {
  tsl_type type = tsl_type_make(dtype, rank, dims);
  return tsl_te_compute(call->program, name, &type);
}

/* The compute that holds a product's sum: output 0 itself when nothing follows the sum and it
 * accumulates in the output's dtype, else a stage of the output's shape for finish_sum. */
static tsl_te_tensor *sum_target(tsl_compute_call *call, tsl_dtype dtype, bool followed) {
  const tsl_type *type = &call->output_types[0];
  if (!followed && dtype == type->dtype) return compute_output(call, 0);
  return stage(call, "sum", dtype, type->rank, type->dims);
}

/* Output 0 from a sum stage: plus bias[channel] (axis 1; in layout NCHW{block}c, the block's
 * axis last: bias[axis 1 · block + last]) where given, cast to the output's dtype. Nothing to do
 * when the sum went straight into the output. */
static void finish_sum(tsl_compute_call *call, const tsl_te_tensor *sum, const tsl_te_tensor *bias,
                       int64_t block) {
  if (sum == call->outputs[0]) return;
  tsl_arena *a = arena_of(call);
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_expr *at[TSL_MAX_RANK];
  compute_axes(call, out, at);
  tsl_expr *value = tsl_te_read(call->program, sum, at);
  tsl_expr *channel = at[1];
  if (block) channel = add(a, mul(a, at[1], tsl_index(a, block)), at[out->type.rank - 1]);
  if (bias) value = add(a, value, read_as(call, value->dtype, bias, &channel));
  out->body = tsl_cast(a, out->type.dtype, value);
}

/* ---- windows ------------------------------------------------------------------------------- */

/* A convolution or pooling window over the spatial axes of x [N, C, D…] producing y [N, M, O…],
 * from the call's attributes (empty lists: strides and dilations of 1, no padding). In layout
 * NCHW{x}c the channels' block follows the spatial axes: x [N, C/x, D…, x], except for a
 * convolution whose input channels do not divide into blocks, which reads x in NCHW and still
 * writes y [N, M/x, O…, x]. */
typedef struct window {
  int axes;
  int64_t block;  /* x of layout NCHW{x}c; 0: NCHW */
  bool x_blocked; /* x has the block's axis (block > 0 and x's rank is y's) */
  int64_t in[TSL_MAX_RANK], out[TSL_MAX_RANK]; /* spatial sizes of x and y */
  int64_t kernel[TSL_MAX_RANK], strides[TSL_MAX_RANK], dilations[TSL_MAX_RANK];
  int64_t pads[2 * TSL_MAX_RANK]; /* every axis's begin, then every axis's end */
} window;

/* The channel block of the call's `layout`; 0 where it has none or it is NCHW. */
static int64_t channel_block(const tsl_compute_call *call) {
  if (tsl_op_attr_index(call->op, "layout") < 0) return 0;
  return tsl_layout_channel_block(compute_attr(call, "layout")->s);
}

static window read_window(const tsl_compute_call *call, const tsl_type *x, const int64_t *kernel) {
  const tsl_attr *strides = compute_attr(call, "strides");
  const tsl_attr *dilations = compute_attr(call, "dilations"), *pads = compute_attr(call, "pads");
  int64_t block = channel_block(call);
  bool x_blocked = block > 0 && x->rank == call->output_types[0].rank;
  window win = {.axes = x->rank - (x_blocked ? 3 : 2), .block = block, .x_blocked = x_blocked};
  for (int axis = 0; axis < win.axes; axis++) {
    win.in[axis] = x->dims[2 + axis];
    win.out[axis] = call->output_types[0].dims[2 + axis];
    win.kernel[axis] = kernel[axis];
    win.strides[axis] = strides->count ? strides->ints[axis] : 1;
    win.dilations[axis] = dilations->count ? dilations->ints[axis] : 1;
    win.pads[axis] = pads->count ? pads->ints[axis] : 0;
    win.pads[win.axes + axis] = pads->count ? pads->ints[win.axes + axis] : 0;
  }
  return win;
}

/* Where tap `tap` of the window at output position `out` falls in x along spatial axis `axis`,
 * clamped into x; the condition that it lies inside x joins *inside (nothing joins on a side
 * that no tap crosses). */
static tsl_expr *window_tap(tsl_arena *a, const window *win, int axis, tsl_expr *out, tsl_expr *tap,
                            tsl_expr **inside) {
  int64_t stride = win->strides[axis], dilation = win->dilations[axis];
  int64_t begin = win->pads[axis], size = win->in[axis];
  tsl_expr *position = add(a, affine(a, out, stride, -begin), mul(a, tap, tsl_index(a, dilation)));
  tsl_expr *clamped = position;
  if (begin > 0) {
    *inside = both(a, *inside, less_equal(a, tsl_index(a, 0), position));
    clamped = maximum(a, clamped, tsl_index(a, 0));
  }
  int64_t last = (win->out[axis] - 1) * stride - begin + (win->kernel[axis] - 1) * dilation;
  if (last >= size) {
    *inside = both(a, *inside, less(a, position, tsl_index(a, size)));
    clamped = minimum(a, clamped, tsl_index(a, size - 1));
  }
  return clamped;
}

/* One reduction axis per kernel tap axis, and x's indices [n, c, taps…] for output element
 * `at`; *inside gets the condition that the taps lie in x. */
static void window_taps(tsl_compute_call *call, const window *win, tsl_expr *const *at,
                        tsl_iter *taps, tsl_expr **x_at, tsl_expr **inside) {
  tsl_arena *a = arena_of(call);
  x_at[0] = at[0];
  x_at[1] = at[1];
  *inside = NULL;
  for (int axis = 0; axis < win->axes; axis++) {
    taps[axis] = tsl_te_reduce_axis(call->program, "rk", win->kernel[axis]);
    x_at[2 + axis] = window_tap(a, win, axis, at[2 + axis], var_of(a, &taps[axis]), inside);
  }
  if (win->x_blocked) x_at[2 + win->axes] = at[2 + win->axes];
}

/* The window's taps as one row-major number. */
static tsl_expr *flat_tap(tsl_arena *a, const window *win, const tsl_iter *taps) {
  tsl_expr *flat = tsl_index(a, 0);
  for (int axis = 0; axis < win->axes; axis++) {
    flat = add(a, mul(a, flat, tsl_index(a, win->kernel[axis])), var_of(a, &taps[axis]));
  }
  return flat;
}

/* Input channel `c` of the group that output channel `m` belongs to: `out_per_group` output
 * and `in_per_group` input channels a group. */
static tsl_expr *group_channel(tsl_arena *a, int64_t groups, tsl_expr *m, int64_t out_per_group,
                               int64_t in_per_group, tsl_expr *c) {
  if (groups == 1) return c;
  return add(a, mul(a, floor_div(a, m, tsl_index(a, out_per_group)), tsl_index(a, in_per_group)),
             c);
}

/* ---- convolution --------------------------------------------------------------------------- */

/* x with the zeros of the window's padding written out, as a stage: the convolution then reads
 * every tap without a condition, so its loops walk memory in straight lines (and vectorise).
 * Only the sides that some tap crosses are padded; *win becomes the window over the padded x.
 * x itself when no tap leaves it. */
static const tsl_te_tensor *zero_padded(tsl_compute_call *call, const tsl_te_tensor *x,
                                        window *win) {
  tsl_arena *a = arena_of(call);
  int64_t begin[TSL_MAX_RANK], end[TSL_MAX_RANK], dims[TSL_MAX_RANK];
  bool padded = false;
  dims[0] = x->type.dims[0];
  dims[1] = x->type.dims[1];
  for (int axis = 0; axis < win->axes; axis++) {
    int64_t last = (win->out[axis] - 1) * win->strides[axis] - win->pads[axis] +
                   (win->kernel[axis] - 1) * win->dilations[axis];
    begin[axis] = win->pads[axis] > 0 ? win->pads[axis] : 0;
    end[axis] = last >= win->in[axis] ? last - win->in[axis] + 1 : 0;
    dims[2 + axis] = begin[axis] + win->in[axis] + end[axis];
    padded = padded || begin[axis] > 0 || end[axis] > 0;
  }
  if (win->x_blocked) dims[2 + win->axes] = win->block;
  if (!padded) return x;
  tsl_te_tensor *stage_x = stage(call, "pad", x->type.dtype, x->type.rank, dims);
  tsl_expr *at[TSL_MAX_RANK], *x_at[TSL_MAX_RANK], *inside = NULL;
  compute_axes(call, stage_x, at);
  x_at[0] = at[0];
  x_at[1] = at[1];
  for (int axis = 0; axis < win->axes; axis++) {
    tsl_expr *position = affine(a, at[2 + axis], 1, -begin[axis]);
    x_at[2 + axis] = position;
    if (begin[axis] > 0) inside = both(a, inside, less_equal(a, tsl_index(a, 0), position));
    if (end[axis] > 0) inside = both(a, inside, less(a, position, tsl_index(a, win->in[axis])));
    if (begin[axis] > 0 || end[axis] > 0) x_at[2 + axis] = clamp(a, position, 0, win->in[axis] - 1);
    win->in[axis] = dims[2 + axis];
    win->pads[axis] -= begin[axis];
    win->pads[win->axes + axis] = 0;
  }
  if (win->x_blocked) x_at[2 + win->axes] = at[2 + win->axes];
  tsl_expr *value = tsl_te_read(call->program, x, x_at);
  stage_x->body = choose(a, inside, value, tsl_const(a, x->type.dtype, 0));
  return stage_x;
}

/* Σ over the input channels of the output channel's group and over the kernel taps of
 * x[n, channel, taps…] · w[m, c, k…], in dtype; x is already padded (zero_padded), `win` the
 * window over it. */
static tsl_expr *conv_sum(tsl_compute_call *call, const tsl_te_tensor *x, const window *win,
                          tsl_expr *const *at, tsl_dtype dtype) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *w = call->inputs[1];
  int64_t groups = compute_attr(call, "groups")->i, per_group = w->type.dims[1];
  tsl_iter axes[TSL_MAX_RANK];
  axes[0] = tsl_te_reduce_axis(call->program, "rc", per_group);
  tsl_expr *channel = var_of(a, &axes[0]), *inside;
  tsl_expr *x_at[TSL_MAX_RANK], *w_at[TSL_MAX_RANK] = {at[1], channel};
  window_taps(call, win, at, axes + 1, x_at, &inside);
  x_at[1] = group_channel(a, groups, at[1], w->type.dims[0] / groups, per_group, channel);
  for (int axis = 0; axis < win->axes; axis++) w_at[2 + axis] = var_of(a, &axes[1 + axis]);
  tsl_expr *term = mul(a, read_as(call, dtype, x, x_at), read_as(call, dtype, w, w_at));
  return tsl_reduce(a, TSL_REDUCE_SUM, term, 1 + win->axes, axes, inside);
}

/* conv_sum in layout NCHW{x}c: Σ over the input channel blocks, the taps and the channels of a
 * block of x[n, co, taps…, ci] · w[mo, co, k…, ci, mi]; depthwise, Σ over the taps of
 * x[n, mo, taps…, mi] · w[mo, 0, k…, mi]; from an x in NCHW, Σ over the input channels and the
 * taps of x[n, c, taps…] · w[mo, c, k…, mi]. The output's channel in its block, mi, is the
 * last index of y and of w, so the vector lanes along it load w contiguously. */
static tsl_expr *blocked_conv_sum(tsl_compute_call *call, const tsl_te_tensor *x, const window *win,
                                  tsl_expr *const *at, tsl_dtype dtype) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *w = call->inputs[1];
  bool depthwise = compute_attr(call, "groups")->i != 1;
  int inner = 2 + win->axes; /* the block's axis in x and y */
  tsl_iter axes[TSL_MAX_RANK];
  int count = 0;
  if (!depthwise) axes[count++] = tsl_te_reduce_axis(call->program, "rc", w->type.dims[1]);
  tsl_expr *x_at[TSL_MAX_RANK], *w_at[TSL_MAX_RANK], *inside;
  window_taps(call, win, at, axes + count, x_at, &inside);
  count += win->axes;
  w_at[0] = at[1];
  w_at[1] = depthwise ? tsl_index(a, 0) : var_of(a, &axes[0]);
  for (int axis = 0; axis < win->axes; axis++)
    w_at[2 + axis] = var_of(a, &axes[count - win->axes + axis]);
  if (depthwise || !win->x_blocked) {
    if (!depthwise) x_at[1] = var_of(a, &axes[0]);
    w_at[inner] = at[inner];
  } else {
    axes[count] = tsl_te_reduce_axis(call->program, "ci", win->block);
    x_at[1] = var_of(a, &axes[0]);
    x_at[inner] = var_of(a, &axes[count]);
    w_at[inner] = x_at[inner];
    w_at[inner + 1] = at[inner];
    count++;
  }
  tsl_expr *term = mul(a, read_as(call, dtype, x, x_at), read_as(call, dtype, w, w_at));
  return tsl_reduce(a, TSL_REDUCE_SUM, term, count, axes, inside);
}

/* Also the sum of conv_integer and qlinear_conv (compute_quant.c), on their zero-centred i32
 * operands. */
bool tsl_compute_conv(tsl_compute_call *call) {
  const tsl_te_tensor *bias = optional_input(call, 2);
  window win = read_window(call, &call->inputs[0]->type, call->inputs[1]->type.dims + 2);
  const tsl_te_tensor *x = zero_padded(call, call->inputs[0], &win);
  tsl_te_tensor *sum = sum_target(call, accumulator(x->type.dtype), bias != NULL);
  tsl_expr *at[TSL_MAX_RANK];
  compute_axes(call, sum, at);
  sum->body = win.block ? blocked_conv_sum(call, x, &win, at, sum->type.dtype)
                        : conv_sum(call, x, &win, at, sum->type.dtype);
  finish_sum(call, sum, bias, win.block);
  return true;
}

/* The x position whose tap `tap` lands on output position `out` along spatial axis `axis`:
 * out = position·stride - pad + tap·dilation, so position = (out + pad - tap·dilation) / stride
 * where that divides. Clamped into x; the conditions that it divides and lies in x join
 * *inside. */
static tsl_expr *transposed_tap(tsl_arena *a, const window *win, int axis, tsl_expr *out,
                                tsl_expr *tap, tsl_expr **inside) {
  int64_t stride = win->strides[axis], dilation = win->dilations[axis];
  int64_t begin = win->pads[axis], size = win->in[axis];
  tsl_expr *shifted = sub(a, affine(a, out, 1, begin), mul(a, tap, tsl_index(a, dilation)));
  tsl_expr *position = shifted;
  if (stride > 1) {
    tsl_expr *divides = equal(a, floor_mod(a, shifted, tsl_index(a, stride)), tsl_index(a, 0));
    *inside = both(a, *inside, divides);
    position = floor_div(a, shifted, tsl_index(a, stride));
  }
  tsl_expr *clamped = position;
  if (begin - (win->kernel[axis] - 1) * dilation < 0) {
    *inside = both(a, *inside, less_equal(a, tsl_index(a, 0), shifted));
    clamped = maximum(a, clamped, tsl_index(a, 0));
  }
  if ((win->out[axis] - 1 + begin) / stride >= size) {
    *inside = both(a, *inside, less(a, position, tsl_index(a, size)));
    clamped = minimum(a, clamped, tsl_index(a, size - 1));
  }
  return clamped;
}

/* y[n, m, o…] = Σ over the input channels c of m's group and the kernel taps k of
 * x[n, c, i…] · w[c, m mod M/groups, k…], where o = i·stride - pad + k·dilation. */
static tsl_expr *conv_transpose_sum(tsl_compute_call *call, tsl_expr *const *at, tsl_dtype dtype) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0], *w = call->inputs[1];
  window win = read_window(call, &x->type, w->type.dims + 2);
  int64_t groups = compute_attr(call, "groups")->i, out_per_group = w->type.dims[1];
  tsl_iter axes[TSL_MAX_RANK];
  axes[0] = tsl_te_reduce_axis(call->program, "rc", x->type.dims[1] / groups);
  tsl_expr *channel =
      group_channel(a, groups, at[1], out_per_group, x->type.dims[1] / groups, var_of(a, &axes[0]));
  tsl_expr *own_channel = groups == 1 ? at[1] : floor_mod(a, at[1], tsl_index(a, out_per_group));
  tsl_expr *x_at[TSL_MAX_RANK] = {at[0], channel}, *w_at[TSL_MAX_RANK] = {channel, own_channel};
  tsl_expr *inside = NULL;
  for (int axis = 0; axis < win.axes; axis++) {
    axes[1 + axis] = tsl_te_reduce_axis(call->program, "rk", win.kernel[axis]);
    w_at[2 + axis] = var_of(a, &axes[1 + axis]);
    x_at[2 + axis] = transposed_tap(a, &win, axis, at[2 + axis], w_at[2 + axis], &inside);
  }
  tsl_expr *term = mul(a, read_as(call, dtype, x, x_at), read_as(call, dtype, w, w_at));
  return tsl_reduce(a, TSL_REDUCE_SUM, term, 1 + win.axes, axes, inside);
}

bool tsl_compute_conv_transpose(tsl_compute_call *call) {
  const tsl_te_tensor *bias = optional_input(call, 2);
  tsl_te_tensor *sum = sum_target(call, accumulator(call->inputs[0]->type.dtype), bias != NULL);
  tsl_expr *at[TSL_MAX_RANK];
  compute_axes(call, sum, at);
  sum->body = conv_transpose_sum(call, at, sum->type.dtype);
  finish_sum(call, sum, bias, 0);
  return true;
}

/* x[n, c] at the real position `position` (one coordinate per spatial axis), interpolated
 * linearly between the 2ⁿ elements around it; elements outside x count as 0. */
static tsl_expr *sample_linear(tsl_compute_call *call, const tsl_te_tensor *x, tsl_expr *n,
                               tsl_expr *c, tsl_expr *const *position, tsl_dtype dtype) {
  tsl_arena *a = arena_of(call);
  int axes = x->type.rank - 2;
  tsl_expr *low[TSL_MAX_RANK], *fraction[TSL_MAX_RANK], *total = tsl_const(a, dtype, 0);
  for (int axis = 0; axis < axes; axis++) {
    tsl_expr *below = math(a, TSL_MATH_floor, position[axis]);
    low[axis] = tsl_cast(a, TSL_DTYPE_I64, below);
    fraction[axis] = sub(a, position[axis], below);
  }
  for (int corner = 0; corner < 1 << axes; corner++) {
    tsl_expr *at[TSL_MAX_RANK] = {n, c}, *weight = tsl_const(a, dtype, 1), *inside = NULL;
    for (int axis = 0; axis < axes; axis++) {
      int above = corner >> axis & 1;
      int64_t size = x->type.dims[2 + axis];
      tsl_expr *element = affine(a, low[axis], 1, above);
      inside = both(
          a, inside,
          both(a, less_equal(a, tsl_index(a, 0), element), less(a, element, tsl_index(a, size))));
      at[2 + axis] = clamp(a, element, 0, size - 1);
      tsl_expr *share = above ? fraction[axis] : sub(a, tsl_const(a, dtype, 1), fraction[axis]);
      weight = mul(a, weight, share);
    }
    tsl_expr *value = mul(a, read_as(call, dtype, x, at), weight);
    total = add(a, total, choose(a, inside, value, tsl_const(a, dtype, 0)));
  }
  return total;
}

/* ONNX DeformConv: conv_sum's taps, each moved by its offset and sampled linearly, each weighted
 * by its mask. offset holds, per offset group and kernel tap, one shift per spatial axis. */
static tsl_expr *deform_conv_sum(tsl_compute_call *call, tsl_expr *const *at, tsl_dtype dtype) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0], *w = call->inputs[1], *offset = call->inputs[2];
  const tsl_te_tensor *mask = optional_input(call, 4);
  window win = read_window(call, &x->type, w->type.dims + 2);
  int64_t groups = compute_attr(call, "groups")->i, per_group = w->type.dims[1];
  int64_t offset_groups = compute_attr(call, "offset_groups")->i, taps = 1;
  for (int axis = 0; axis < win.axes; axis++) taps *= win.kernel[axis];
  tsl_iter axes[TSL_MAX_RANK];
  axes[0] = tsl_te_reduce_axis(call->program, "rc", per_group);
  tsl_expr *channel =
      group_channel(a, groups, at[1], w->type.dims[0] / groups, per_group, var_of(a, &axes[0]));
  tsl_expr *w_at[TSL_MAX_RANK] = {at[1], var_of(a, &axes[0])}, *offset_at[TSL_MAX_RANK] = {at[0]};
  for (int axis = 0; axis < win.axes; axis++) {
    axes[1 + axis] = tsl_te_reduce_axis(call->program, "rk", win.kernel[axis]);
    w_at[2 + axis] = var_of(a, &axes[1 + axis]);
    offset_at[2 + axis] = at[2 + axis];
  }
  tsl_expr *offset_group = floor_div(a, channel, tsl_index(a, x->type.dims[1] / offset_groups));
  tsl_expr *tap = add(a, mul(a, offset_group, tsl_index(a, taps)), flat_tap(a, &win, axes + 1));
  tsl_expr *position[TSL_MAX_RANK];
  for (int axis = 0; axis < win.axes; axis++) {
    offset_at[1] = affine(a, tap, win.axes, axis);
    tsl_expr *start = add(a, affine(a, at[2 + axis], win.strides[axis], -win.pads[axis]),
                          mul(a, w_at[2 + axis], tsl_index(a, win.dilations[axis])));
    position[axis] = add(a, tsl_cast(a, dtype, start), read_as(call, dtype, offset, offset_at));
  }
  tsl_expr *term = mul(a, sample_linear(call, x, at[0], channel, position, dtype),
                       read_as(call, dtype, w, w_at));
  if (mask) {
    offset_at[1] = tap;
    term = mul(a, term, read_as(call, dtype, mask, offset_at));
  }
  return tsl_reduce(a, TSL_REDUCE_SUM, term, 1 + win.axes, axes, NULL);
}

bool tsl_compute_deform_conv(tsl_compute_call *call) {
  const tsl_te_tensor *bias = optional_input(call, 3);
  tsl_te_tensor *sum = sum_target(call, accumulator(call->inputs[0]->type.dtype), bias != NULL);
  tsl_expr *at[TSL_MAX_RANK];
  compute_axes(call, sum, at);
  sum->body = deform_conv_sum(call, at, sum->type.dtype);
  finish_sum(call, sum, bias, 0);
  return true;
}

/* past_state ++ x along time, at step `step` of [B, C, k-1 + L]; zeros stand in for an absent
 * past_state. */
static tsl_expr *causal_padded(tsl_compute_call *call, tsl_expr *b, tsl_expr *c, tsl_expr *step) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0], *past = optional_input(call, 3);
  int64_t carried = call->inputs[1]->type.dims[2] - 1;
  tsl_expr *x_at[3] = {b, c, affine(a, step, 1, -carried)};
  if (carried == 0) return tsl_te_read(call->program, x, x_at);
  tsl_expr *past_at[3] = {b, c, minimum(a, step, tsl_index(a, carried - 1))};
  tsl_expr *from_past =
      past ? tsl_te_read(call->program, past, past_at) : tsl_const(a, x->type.dtype, 0);
  if (x->type.dims[2] == 0) return from_past;
  x_at[2] = maximum(a, x_at[2], tsl_index(a, 0));
  return choose(a, less(a, step, tsl_index(a, carried)), from_past,
                tsl_te_read(call->program, x, x_at));
}

/* ONNX CausalConvWithState: y[b, c, t] = Σ_k w[c, 0, k] · padded[b, c, t + k] + bias[c], then
 * the activation on the value rounded to x's dtype, as the reference rounds it;
 * present_state is the last k-1 steps of padded. */
bool tsl_compute_causal_conv_with_state(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0], *w = call->inputs[1], *bias = optional_input(call, 2);
  tsl_dtype dtype = accumulator(x->type.dtype);
  tsl_te_tensor *sum = stage(call, "sum", dtype, 3, x->type.dims);
  tsl_expr *at[3];
  compute_axes(call, sum, at);
  tsl_iter tap = tsl_te_reduce_axis(call->program, "rk", w->type.dims[2]);
  tsl_expr *w_at[3] = {at[1], tsl_index(a, 0), var_of(a, &tap)};
  tsl_expr *term =
      mul(a, tsl_cast(a, dtype, causal_padded(call, at[0], at[1], add(a, at[2], w_at[2]))),
          read_as(call, dtype, w, w_at));
  sum->body = tsl_reduce(a, TSL_REDUCE_SUM, term, 1, &tap, NULL);

  tsl_te_tensor *y = compute_output(call, 0);
  compute_axes(call, y, at);
  tsl_expr *value = tsl_te_read(call->program, sum, at);
  if (bias) value = add(a, value, read_as(call, dtype, bias, &at[1]));
  if (strcmp(compute_attr(call, "activation")->s, "silu") == 0) {
    value = tsl_cast(a, dtype, tsl_cast(a, x->type.dtype, value));
    tsl_expr *exp_negated = math(a, TSL_MATH_exp, tsl_unary(a, TSL_EXPR_NEG, value));
    value = divide(a, value, add(a, tsl_const(a, dtype, 1), exp_negated)); /* x·sigmoid(x) */
  }
  y->body = tsl_cast(a, y->type.dtype, value);
  if (call->num_outputs < 2) return true;
  tsl_te_tensor *present = compute_output(call, 1);
  compute_axes(call, present, at);
  present->body = causal_padded(call, at[0], at[1], affine(a, at[2], 1, x->type.dims[2]));
  return true;
}

/* ---- pooling ------------------------------------------------------------------------------- */

static window pool_window(const tsl_compute_call *call) {
  return read_window(call, &call->inputs[0]->type, compute_attr(call, "kernel")->ints);
}

/* How many taps of the window at output position `out` fall on x positions in [low, high]
 * along spatial axis `axis`: the k in [0, kernel) with low ≤ start + k·dilation ≤ high. */
static tsl_expr *taps_between(tsl_arena *a, const window *win, int axis, tsl_expr *out, int64_t low,
                              int64_t high) {
  tsl_expr *dilation = tsl_index(a, win->dilations[axis]);
  tsl_expr *start = affine(a, out, win->strides[axis], -win->pads[axis]);
  /* The first is ⌈(low - start) / dilation⌉, which is -⌊(start - low) / dilation⌋. */
  tsl_expr *first = sub(a, tsl_index(a, 0), floor_div(a, affine(a, start, 1, -low), dilation));
  first = maximum(a, first, tsl_index(a, 0));
  tsl_expr *last = floor_div(a, sub(a, tsl_index(a, high), start), dilation);
  last = minimum(a, last, tsl_index(a, win->kernel[axis] - 1));
  return maximum(a, affine(a, sub(a, last, first), 1, 1), tsl_index(a, 0));
}

/* The flat index into x of each window's first largest element: x's elements numbered
 * row-major, or with storage_order 1 column-major over the spatial axes (batch and channel
 * outermost still). The first is found as the smallest tap number holding the maximum, and
 * then turned into a position in x. */
static void max_pool_indices(tsl_compute_call *call, const window *win, const tsl_te_tensor *y) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0];
  tsl_te_tensor *first = stage(call, "first", TSL_DTYPE_I64, y->type.rank, y->type.dims);
  tsl_expr *at[TSL_MAX_RANK], *x_at[TSL_MAX_RANK], *inside;
  tsl_iter taps[TSL_MAX_RANK];
  compute_axes(call, first, at);
  window_taps(call, win, at, taps, x_at, &inside);
  tsl_expr *largest =
      equal(a, tsl_te_read(call->program, x, x_at), tsl_te_read(call->program, y, at));
  first->body = tsl_reduce(a, TSL_REDUCE_MIN, flat_tap(a, win, taps), win->axes, taps,
                           both(a, inside, largest));

  tsl_te_tensor *indices = compute_output(call, 1);
  compute_axes(call, indices, at);
  tsl_expr *tap = tsl_te_read(call->program, first, at);
  bool column_major = compute_attr(call, "storage_order")->i != 0;
  tsl_expr *row_major = add(a, mul(a, at[0], tsl_index(a, x->type.dims[1])), at[1]);
  tsl_expr *spatial = tsl_index(a, 0);
  int64_t later_taps = 1, earlier_size = 1;
  for (int axis = win->axes - 1; axis >= 0; axis--) later_taps *= win->kernel[axis];
  for (int axis = 0; axis < win->axes; axis++) {
    later_taps /= win->kernel[axis];
    tsl_expr *k =
        floor_mod(a, floor_div(a, tap, tsl_index(a, later_taps)), tsl_index(a, win->kernel[axis]));
    tsl_expr *position = add(a, affine(a, at[2 + axis], win->strides[axis], -win->pads[axis]),
                             mul(a, k, tsl_index(a, win->dilations[axis])));
    row_major = add(a, mul(a, row_major, tsl_index(a, win->in[axis])), position);
    spatial = add(a, spatial, mul(a, position, tsl_index(a, earlier_size)));
    earlier_size *= win->in[axis];
  }
  if (column_major) {
    tsl_expr *planes = add(a, mul(a, at[0], tsl_index(a, x->type.dims[1])), at[1]);
    row_major = add(a, mul(a, planes, tsl_index(a, earlier_size)), spatial);
  }
  indices->body = row_major;
}

static void max_pool(tsl_compute_call *call) {
  const window win = pool_window(call);
  tsl_te_tensor *y = compute_output(call, 0);
  tsl_expr *at[TSL_MAX_RANK], *x_at[TSL_MAX_RANK], *inside;
  tsl_iter taps[TSL_MAX_RANK];
  compute_axes(call, y, at);
  window_taps(call, &win, at, taps, x_at, &inside);
  y->body = tsl_reduce(arena_of(call), TSL_REDUCE_MAX,
                       tsl_te_read(call->program, call->inputs[0], x_at), win.axes, taps, inside);
  if (call->num_outputs > 1) max_pool_indices(call, &win, y);
}

/* avg_pool and lp_pool: a sum over the taps inside x of x (avg) or |x|ᵖ (lp), then divided by
 * the taps that count (avg: those inside x, or inside the padded x with count_include_pad) or
 * raised to 1/p (lp). */
static void average_pool(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  const window win = pool_window(call);
  bool lp = call->op->kind == TSL_OP_lp_pool;
  const tsl_type *type = &call->output_types[0];
  tsl_te_tensor *sum = stage(call, "sum", accumulator(type->dtype), type->rank, type->dims);
  tsl_dtype dtype = sum->type.dtype;
  double p = lp ? (double)compute_attr(call, "p")->i : 1;
  tsl_expr *at[TSL_MAX_RANK], *x_at[TSL_MAX_RANK], *inside;
  tsl_iter taps[TSL_MAX_RANK];
  compute_axes(call, sum, at);
  window_taps(call, &win, at, taps, x_at, &inside);
  tsl_expr *value = read_as(call, dtype, call->inputs[0], x_at);
  if (lp) value = tsl_call(a, TSL_MATH_pow, math(a, TSL_MATH_fabs, value), tsl_const(a, dtype, p));
  sum->body = tsl_reduce(a, TSL_REDUCE_SUM, value, win.axes, taps, inside);

  tsl_te_tensor *y = compute_output(call, 0);
  compute_axes(call, y, at);
  value = tsl_te_read(call->program, sum, at);
  if (lp) {
    value = tsl_call(a, TSL_MATH_pow, value, tsl_const(a, dtype, 1 / p));
  } else {
    bool with_pads = compute_attr(call, "count_include_pad")->i != 0;
    tsl_expr *count = tsl_index(a, 1);
    for (int axis = 0; axis < win.axes; axis++) {
      int64_t low = with_pads ? -win.pads[axis] : 0;
      int64_t high = win.in[axis] - 1 + (with_pads ? win.pads[win.axes + axis] : 0);
      count = mul(a, count, taps_between(a, &win, axis, at[2 + axis], low, high));
    }
    value = divide(a, value, tsl_cast(a, dtype, count));
  }
  y->body = tsl_cast(a, y->type.dtype, value);
}

bool tsl_compute_pool(tsl_compute_call *call) {
  if (call->op->kind == TSL_OP_max_pool) {
    max_pool(call);
  } else {
    average_pool(call);
  }
  return true;
}

/* ---- products ------------------------------------------------------------------------------ */

/* The indices of a matmul operand [batch…, rows, columns] for an output element whose first
 * `batch` indices `at` are the broadcast batch: its own batch axes read them right-aligned
 * (axes of size 1 read 0), then `row` and `column`. A 1-D operand [K] reads only the summed
 * index, which is whichever of `row` and `column` the caller gives it. */
static void matmul_operand(tsl_arena *a, const tsl_type *operand, tsl_expr *const *at, int batch,
                           tsl_expr *row, tsl_expr *column, tsl_expr **indices) {
  if (operand->rank == 1) {
    indices[0] = row ? row : column;
    return;
  }
  int own_batch = operand->rank - 2;
  for (int axis = 0; axis < own_batch; axis++) {
    indices[axis] = operand->dims[axis] == 1 ? tsl_index(a, 0) : at[batch - own_batch + axis];
  }
  indices[own_batch] = row;
  indices[own_batch + 1] = column;
}

/* numpy matmul: a 1-D a has no row axis in the output, a 1-D b no column axis. Also the sum of
 * matmul_integer and qlinear_matmul (compute_quant.c), on their zero-centred i32 operands. */
bool tsl_compute_matmul(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  const tsl_type *left = &call->inputs[0]->type, *right = &call->inputs[1]->type;
  tsl_te_tensor *sum = sum_target(call, accumulator(left->dtype), false);
  tsl_expr *at[TSL_MAX_RANK], *left_at[TSL_MAX_RANK], *right_at[TSL_MAX_RANK];
  compute_axes(call, sum, at);
  int rank = sum->type.rank, batch = rank - (left->rank >= 2) - (right->rank >= 2);
  tsl_iter k = tsl_te_reduce_axis(call->program, "rk", left->dims[left->rank - 1]);
  tsl_expr *summed = var_of(a, &k);
  matmul_operand(a, left, at, batch, left->rank >= 2 ? at[batch] : NULL, summed, left_at);
  matmul_operand(a, right, at, batch, summed, right->rank >= 2 ? at[rank - 1] : NULL, right_at);
  tsl_expr *term = mul(a, read_as(call, sum->type.dtype, call->inputs[0], left_at),
                       read_as(call, sum->type.dtype, call->inputs[1], right_at));
  sum->body = tsl_reduce(a, TSL_REDUCE_SUM, term, 1, &k, NULL);
  finish_sum(call, sum, NULL, 0);
  return true;
}

/* alpha·op(a)·op(b) + beta·c. As the reference, c is left out when beta is 0, and integers
 * take the scaling in f64. */
bool tsl_compute_gemm(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *c = optional_input(call, 2);
  double alpha = compute_attr(call, "alpha")->f, beta = compute_attr(call, "beta")->f;
  bool trans_a = compute_attr(call, "trans_a")->i != 0,
       trans_b = compute_attr(call, "trans_b")->i != 0;
  bool adds_c = c && beta != 0;
  tsl_te_tensor *sum =
      sum_target(call, accumulator(call->inputs[0]->type.dtype), adds_c || alpha != 1);
  tsl_expr *at[2];
  compute_axes(call, sum, at);
  const tsl_type *left = &call->inputs[0]->type;
  tsl_iter k = tsl_te_reduce_axis(call->program, "rk", left->dims[trans_a ? 0 : 1]);
  tsl_expr *summed = var_of(a, &k);
  tsl_expr *left_at[2] = {trans_a ? summed : at[0], trans_a ? at[0] : summed};
  tsl_expr *right_at[2] = {trans_b ? at[1] : summed, trans_b ? summed : at[1]};
  tsl_expr *term = mul(a, read_as(call, sum->type.dtype, call->inputs[0], left_at),
                       read_as(call, sum->type.dtype, call->inputs[1], right_at));
  sum->body = tsl_reduce(a, TSL_REDUCE_SUM, term, 1, &k, NULL);
  if (sum == call->outputs[0]) return true;

  tsl_te_tensor *y = compute_output(call, 0);
  compute_axes(call, y, at);
  tsl_dtype dtype = tsl_dtype_is_float(sum->type.dtype) ? sum->type.dtype : TSL_DTYPE_F64;
  tsl_expr *value = read_as(call, dtype, sum, at);
  if (alpha != 1) value = mul(a, value, tsl_const(a, dtype, alpha));
  if (adds_c) {
    tsl_expr *term_c = tsl_cast(a, dtype, compute_read_broadcast(call, c, 2, at));
    value = add(a, value, beta == 1 ? term_c : mul(a, term_c, tsl_const(a, dtype, beta)));
  }
  y->body = tsl_cast(a, y->type.dtype, value);
  return true;
}

/* ---- einsum -------------------------------------------------------------------------------- */

/* Each axis of an operand carries a label: its letter, or for the axes "..." stands for, one of
 * the broadcast ellipsis axes (EINSUM_ELLIPSIS + its place among them). */
enum { EINSUM_ELLIPSIS = 128, EINSUM_LABELS = EINSUM_ELLIPSIS + TSL_MAX_RANK };

typedef struct einsum_term {
  char letters[TSL_MAX_RANK];
  int count;
  int ellipsis; /* how many letters precede "..."; -1: no "..." */
} einsum_term;

/* Reads a term of an equation the type rule accepted, up to ',', '-' or the end. */
static const char *einsum_read_term(const char *at, einsum_term *term) {
  *term = (einsum_term){.ellipsis = -1};
  for (; *at && *at != ',' && *at != '-'; at++) {
    if (*at == ' ') continue;
    if (*at == '.') {
      term->ellipsis = term->count;
      at += 2;
      continue;
    }
    term->letters[term->count++] = *at;
  }
  return at;
}

/* The labels of the `rank` axes a term describes, when the inputs' ellipses broadcast to
 * `ellipsis_rank` axes (an ellipsis covering fewer stands for the last of them). */
static void einsum_labels(const einsum_term *term, int rank, int ellipsis_rank, int *labels) {
  int covered = term->ellipsis < 0 ? 0 : rank - term->count, axis = 0;
  for (int i = 0; i <= term->count; i++) {
    for (int j = 0; i == term->ellipsis && j < covered; j++) {
      labels[axis++] = EINSUM_ELLIPSIS + ellipsis_rank - covered + j;
    }
    if (i < term->count) labels[axis++] = (unsigned char)term->letters[i];
  }
}

/* The equation's labels: per input, and of the output (explicit after "->", or else the
 * ellipsis axes and then the letters used once, in ASCII order); `sizes` per label. */
typedef struct einsum_plan {
  int input_labels[TSL_MAX_PORTS][TSL_MAX_RANK];
  int output_labels[TSL_MAX_RANK];
  int64_t sizes[EINSUM_LABELS];
  bool used[EINSUM_LABELS], in_output[EINSUM_LABELS];
} einsum_plan;

static void einsum_read_plan(const tsl_compute_call *call, einsum_plan *plan) {
  const char *at = compute_attr(call, "equation")->s;
  einsum_term terms[TSL_MAX_PORTS];
  int ellipsis_rank = 0, uses[EINSUM_ELLIPSIS] = {0};
  for (int i = 0; i < call->num_inputs; i++) {
    at = einsum_read_term(at, &terms[i]) + (i + 1 < call->num_inputs);
    int covered = terms[i].ellipsis < 0 ? 0 : call->inputs[i]->type.rank - terms[i].count;
    if (covered > ellipsis_rank) ellipsis_rank = covered;
    for (int j = 0; j < terms[i].count; j++) uses[(unsigned char)terms[i].letters[j]]++;
  }
  memset(plan, 0, sizeof(*plan));
  for (int i = 0; i < call->num_inputs; i++) {
    const tsl_type *type = &call->inputs[i]->type;
    einsum_labels(&terms[i], type->rank, ellipsis_rank, plan->input_labels[i]);
    for (int axis = 0; axis < type->rank; axis++) {
      int label = plan->input_labels[i][axis];
      if (!plan->used[label] || type->dims[axis] != 1) plan->sizes[label] = type->dims[axis];
      plan->used[label] = true;
    }
  }
  int rank = call->output_types[0].rank;
  if (*at == '-') {
    einsum_term output;
    einsum_read_term(at + 2, &output);
    einsum_labels(&output, rank, ellipsis_rank, plan->output_labels);
  } else {
    int axis = 0;
    for (int j = 0; j < ellipsis_rank; j++) plan->output_labels[axis++] = EINSUM_ELLIPSIS + j;
    for (int letter = 0; letter < EINSUM_ELLIPSIS; letter++) {
      if (uses[letter] == 1) plan->output_labels[axis++] = letter;
    }
  }
  for (int axis = 0; axis < rank; axis++) plan->in_output[plan->output_labels[axis]] = true;
}

/* The product of the inputs at their labels' values (an input axis of size 1 where the label
 * is longer broadcasts), summed over the labels the output lacks. */
bool tsl_compute_einsum(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  einsum_plan plan;
  einsum_read_plan(call, &plan);
  tsl_te_tensor *sum = sum_target(call, accumulator(call->inputs[0]->type.dtype), false);
  tsl_expr *value[EINSUM_LABELS], *at[TSL_MAX_RANK];
  compute_axes(call, sum, at);
  for (int axis = 0; axis < sum->type.rank; axis++) value[plan.output_labels[axis]] = at[axis];
  tsl_iter axes[EINSUM_LABELS];
  int count = 0;
  for (int label = 0; label < EINSUM_LABELS; label++) {
    if (!plan.used[label] || plan.in_output[label]) continue;
    axes[count] = tsl_te_reduce_axis(call->program, "rk", plan.sizes[label]);
    value[label] = var_of(a, &axes[count++]);
  }
  tsl_expr *product = NULL;
  for (int i = 0; i < call->num_inputs; i++) {
    const tsl_type *type = &call->inputs[i]->type;
    tsl_expr *indices[TSL_MAX_RANK];
    for (int axis = 0; axis < type->rank; axis++) {
      int label = plan.input_labels[i][axis];
      bool broadcast = type->dims[axis] == 1 && plan.sizes[label] != 1;
      indices[axis] = broadcast ? tsl_index(a, 0) : value[label];
    }
    tsl_expr *factor = read_as(call, sum->type.dtype, call->inputs[i], indices);
    product = product ? mul(a, product, factor) : factor;
  }
  sum->body = count ? tsl_reduce(a, TSL_REDUCE_SUM, product, count, axes, NULL) : product;
  finish_sum(call, sum, NULL, 0);
  return true;
}

/* ---- attention ----------------------------------------------------------------------------- */

/* An attention call's sizes, whichever layout its inputs have (the type rule checked them). */
typedef struct attention {
  tsl_compute_call *call;
  tsl_arena *a;
  int64_t batch, q_heads, kv_heads, q_length, kv_length, past, head_size, v_head_size;
  tsl_dtype dtype; /* the computation's: q's, widened */
} attention;

static attention attention_sizes(tsl_compute_call *call) {
  const tsl_type *q = &call->inputs[0]->type, *k = &call->inputs[1]->type;
  const tsl_type *v = &call->inputs[2]->type;
  const tsl_te_tensor *past_key = optional_input(call, 4);
  bool packed = q->rank == 3; /* [batch, length, heads·size] */
  attention att = {
      .call = call, .a = arena_of(call), .batch = q->dims[0], .dtype = accumulator(q->dtype)};
  att.q_heads = packed ? compute_attr(call, "q_num_heads")->i : q->dims[1];
  att.kv_heads = packed ? compute_attr(call, "kv_num_heads")->i : k->dims[1];
  att.q_length = q->dims[packed ? 1 : 2];
  att.kv_length = k->dims[packed ? 1 : 2];
  att.head_size = packed ? q->dims[2] / att.q_heads : q->dims[3];
  att.v_head_size = packed ? v->dims[2] / att.kv_heads : v->dims[3];
  att.past = past_key ? past_key->type.dims[2] : 0;
  return att;
}

/* q, k or v (input `index`) at [b, h, s, d], whether it is [batch, heads, length, size] or
 * [batch, length, heads·size]. */
static tsl_expr *attention_operand(const attention *att, int index, tsl_expr *b, tsl_expr *h,
                                   tsl_expr *s, tsl_expr *d) {
  const tsl_te_tensor *input = att->call->inputs[index];
  if (input->type.rank == 4) {
    tsl_expr *at[4] = {b, h, s, d};
    return tsl_te_read(att->call->program, input, at);
  }
  int64_t size = index == 2 ? att->v_head_size : att->head_size;
  tsl_expr *at[3] = {b, s, add(att->a, mul(att->a, h, tsl_index(att->a, size)), d)};
  return tsl_te_read(att->call->program, input, at);
}

/* The key (`index` 1) or value (2) at position t of past ++ current. */
static tsl_expr *attention_cache(const attention *att, int index, tsl_expr *b, tsl_expr *h,
                                 tsl_expr *t, tsl_expr *d) {
  tsl_arena *a = att->a;
  if (att->past == 0) return attention_operand(att, index, b, h, t, d);
  tsl_expr *past_at[4] = {b, h, minimum(a, t, tsl_index(a, att->past - 1)), d};
  tsl_expr *from_past = tsl_te_read(att->call->program, att->call->inputs[index + 3], past_at);
  if (att->kv_length == 0) return from_past;
  tsl_expr *now = maximum(a, affine(a, t, 1, -att->past), tsl_index(a, 0));
  return choose(a, less(a, t, tsl_index(a, att->past)), from_past,
                attention_operand(att, index, b, h, now, d));
}

/* present_key (`index` 1) or present_value (2): past ++ current, [batch, kv heads, total, size]. */
static void attention_present(const attention *att, int index) {
  tsl_te_tensor *present = compute_output(att->call, index);
  tsl_expr *at[4];
  compute_axes(att->call, present, at);
  present->body = attention_cache(att, index, at[0], at[1], at[2], at[3]);
}

/* The kv head that q head h reads: heads group evenly (GQA). */
static tsl_expr *attention_kv_head(const attention *att, tsl_expr *h) {
  int64_t group = att->q_heads / att->kv_heads;
  return group == 1 ? h : floor_div(att->a, h, tsl_index(att->a, group));
}

static tsl_te_tensor *attention_stage(const attention *att, const char *name, tsl_dtype dtype,
                                      int64_t last) {
  int64_t dims[4] = {att->batch, att->q_heads, att->q_length, last};
  return stage(att->call, name, dtype, last < 0 ? 3 : 4, dims);
}

/* q·kᵀ per head, [batch, q heads, q length, total length]. q and k are each scaled by √scale in
 * their own dtype before the product, as the reference scales them (scale 0: 1/√head size). */
static tsl_te_tensor *attention_scores(const attention *att) {
  tsl_arena *a = att->a;
  tsl_te_tensor *scores = attention_stage(att, "scores", att->dtype, att->past + att->kv_length);
  tsl_expr *at[4];
  compute_axes(att->call, scores, at);
  double scale = compute_attr(att->call, "scale")->f;
  if (scale == 0) scale = 1 / sqrt((double)att->head_size);
  tsl_expr *root = tsl_const(a, att->call->inputs[0]->type.dtype, sqrt(scale));
  tsl_iter d = tsl_te_reduce_axis(att->call->program, "rd", att->head_size);
  tsl_expr *q = attention_operand(att, 0, at[0], at[1], at[2], var_of(a, &d));
  tsl_expr *k = attention_cache(att, 1, at[0], attention_kv_head(att, at[1]), at[3], var_of(a, &d));
  tsl_expr *term =
      mul(a, tsl_cast(a, att->dtype, mul(a, q, root)), tsl_cast(a, att->dtype, mul(a, k, root)));
  scores->body = tsl_reduce(a, TSL_REDUCE_SUM, term, 1, &d, NULL);
  return scores;
}

static tsl_expr *attention_softcap(const attention *att, tsl_expr *score) {
  double softcap = compute_attr(att->call, "softcap")->f;
  if (softcap <= 0) return score;
  tsl_expr *cap = tsl_const(att->a, att->dtype, softcap);
  return mul(att->a, cap, math(att->a, TSL_MATH_tanh, divide(att->a, score, cap)));
}

/* The mask at [b, h, s, t], broadcast to [batch, q heads, q length, total length]; its last axis
 * may be shorter, and t is clamped into it. */
static tsl_expr *attention_mask(const attention *att, tsl_expr *const *at) {
  const tsl_te_tensor *mask = att->call->inputs[3];
  int64_t last = mask->type.dims[mask->type.rank - 1];
  tsl_expr *own[4] = {at[0], at[1], at[2], minimum(att->a, at[3], tsl_index(att->a, last - 1))};
  return compute_read_broadcast(att->call, mask, 4, own);
}

/* Whether query s of batch b may attend key t; NULL when every key is open. The causal frontier
 * and the windows sit at the query's position among the keys: s plus the past length, or plus
 * nonpad_kv_seqlen[b] - q length (an outside cache). Past nonpad_kv_seqlen, past a shorter
 * mask's end, where a bool mask is false and where a float mask is -inf, keys are closed. */
static tsl_expr *attention_open(const attention *att, tsl_expr *const *at) {
  tsl_arena *a = att->a;
  const tsl_compute_call *call = att->call;
  const tsl_te_tensor *lengths = optional_input(call, 6), *mask = optional_input(call, 3);
  tsl_expr *b = at[0], *s = at[2], *t = at[3], *open = NULL;
  tsl_expr *position = affine(a, s, 1, att->past);
  if (lengths) {
    position =
        add(a, sub(a, tsl_te_read(call->program, lengths, &b), tsl_index(a, att->q_length)), s);
    open = less(a, t, tsl_te_read(call->program, lengths, &b));
  }
  int64_t left = compute_attr(call, "left_window_size")->i;
  int64_t right = compute_attr(call, "right_window_size")->i;
  if (compute_attr(call, "is_causal")->i) open = both(a, open, less_equal(a, t, position));
  if (left >= 0) open = both(a, open, less_equal(a, affine(a, position, 1, -left), t));
  if (right >= 0) open = both(a, open, less_equal(a, t, affine(a, position, 1, right)));
  if (!mask) return open;
  int64_t last = mask->type.dims[mask->type.rank - 1];
  if (last == 0) return tsl_int(a, TSL_DTYPE_BOOL, 0);
  if (last < att->past + att->kv_length) open = both(a, open, less(a, t, tsl_index(a, last)));
  tsl_expr *value = attention_mask(att, at);
  if (mask->type.dtype == TSL_DTYPE_BOOL) return both(a, open, value);
  return both(a, open, less(a, negative_infinity(a, value->dtype), value));
}

/* softcap(scores) + a float mask where the key is open, -inf where it is closed. Closed keys
 * are -inf whatever the scores hold, so a row with every key closed is exactly -inf. */
static tsl_te_tensor *attention_logits(const attention *att, const tsl_te_tensor *scores) {
  tsl_arena *a = att->a;
  tsl_te_tensor *logits = attention_stage(att, "logits", att->dtype, scores->type.dims[3]);
  tsl_expr *at[4];
  compute_axes(att->call, logits, at);
  tsl_expr *value = attention_softcap(att, tsl_te_read(att->call->program, scores, at));
  const tsl_te_tensor *mask = optional_input(att->call, 3);
  if (mask && mask->type.dtype != TSL_DTYPE_BOOL) {
    value = add(a, value, tsl_cast(a, att->dtype, attention_mask(att, at)));
  }
  tsl_expr *open = attention_open(att, at);
  logits->body = open ? choose(a, open, value, negative_infinity(a, att->dtype)) : value;
  return logits;
}

/* qk_matmul_output for modes 0 (the scaled product), 1 (after softcap) and 2 (with the mask).
 * Mode 0 is the product before the softcap, as the operator's documentation and ONNX Runtime
 * have it; the reference implementation shows the softcapped scores there. */
static void attention_qk_output(const attention *att, const tsl_te_tensor *scores,
                                const tsl_te_tensor *logits, int64_t mode) {
  tsl_te_tensor *out = compute_output(att->call, 3);
  tsl_expr *at[4];
  compute_axes(att->call, out, at);
  tsl_expr *value = tsl_te_read(att->call->program, mode == 2 ? logits : scores, at);
  if (mode == 1) value = attention_softcap(att, value);
  out->body = tsl_cast(att->a, out->type.dtype, value);
}

/* A row's largest logit, read as 0 when the row is fully masked (-inf), so that its exponentials
 * are 0 rather than NaN. */
static tsl_expr *attention_row_max(const attention *att, const tsl_te_tensor *largest,
                                   tsl_expr *const *at) {
  tsl_expr *value = tsl_te_read(att->call->program, largest, at);
  tsl_expr *masked = equal(att->a, value, negative_infinity(att->a, att->dtype));
  return choose(att->a, masked, tsl_const(att->a, att->dtype, 0), value);
}

/* Per row [batch, q heads, q length], over its keys: the largest logit (reducer max, no
 * `largest`), or the sum of exp(logit - row max) (reducer sum, with the row maxima). */
static tsl_te_tensor *attention_row_reduce(const attention *att, const char *name,
                                           tsl_reducer reducer, const tsl_te_tensor *logits,
                                           const tsl_te_tensor *largest) {
  tsl_arena *a = att->a;
  tsl_te_tensor *row = attention_stage(att, name, att->dtype, -1);
  tsl_expr *at[4];
  compute_axes(att->call, row, at);
  tsl_iter t = tsl_te_reduce_axis(att->call->program, "rt", logits->type.dims[3]);
  at[3] = var_of(a, &t);
  tsl_expr *value = tsl_te_read(att->call->program, logits, at);
  if (largest) value = math(a, TSL_MATH_exp, sub(a, value, attention_row_max(att, largest, at)));
  row->body = tsl_reduce(a, reducer, value, 1, &t, NULL);
  return row;
}

/* softmax over the keys, in q's dtype, as the reference rounds it before the product with v;
 * a fully masked row is all 0. It is qk_matmul_output in mode 3. */
static tsl_te_tensor *attention_softmax(const attention *att, const tsl_te_tensor *logits,
                                        bool is_output) {
  tsl_arena *a = att->a;
  tsl_te_tensor *largest = attention_row_reduce(att, "largest", TSL_REDUCE_MAX, logits, NULL);
  tsl_te_tensor *total = attention_row_reduce(att, "total", TSL_REDUCE_SUM, logits, largest);
  tsl_te_tensor *probs = is_output ? compute_output(att->call, 3)
                                   : attention_stage(att, "probs", att->call->inputs[0]->type.dtype,
                                                     logits->type.dims[3]);
  tsl_expr *at[4];
  compute_axes(att->call, probs, at);
  tsl_expr *exponential = math(
      a, TSL_MATH_exp,
      sub(a, tsl_te_read(att->call->program, logits, at), attention_row_max(att, largest, at)));
  tsl_expr *sum = tsl_te_read(att->call->program, total, at);
  tsl_expr *zero = tsl_const(a, att->dtype, 0);
  sum = choose(a, equal(a, sum, zero), tsl_const(a, att->dtype, 1), sum);
  probs->body = tsl_cast(a, probs->type.dtype, divide(a, exponential, sum));
  return probs;
}

/* y = probs·v per head, [batch, q heads, q length, v head size], or in 3-D [batch, q length,
 * q heads·v head size]. */
static void attention_output(const attention *att, const tsl_te_tensor *probs) {
  tsl_arena *a = att->a;
  const tsl_type *type = &att->call->output_types[0];
  bool direct = type->rank == 4 && type->dtype == att->dtype;
  tsl_te_tensor *sum = direct ? compute_output(att->call, 0)
                              : attention_stage(att, "sum", att->dtype, att->v_head_size);
  tsl_expr *at[4];
  compute_axes(att->call, sum, at);
  tsl_iter t = tsl_te_reduce_axis(att->call->program, "rt", probs->type.dims[3]);
  tsl_expr *probs_at[4] = {at[0], at[1], at[2], var_of(a, &t)};
  tsl_expr *v = attention_cache(att, 2, at[0], attention_kv_head(att, at[1]), probs_at[3], at[3]);
  tsl_expr *term =
      mul(a, read_as(att->call, att->dtype, probs, probs_at), tsl_cast(a, att->dtype, v));
  sum->body = tsl_reduce(a, TSL_REDUCE_SUM, term, 1, &t, NULL);
  if (direct) return;
  tsl_te_tensor *y = compute_output(att->call, 0);
  compute_axes(att->call, y, at);
  if (type->rank == 3) {
    tsl_expr *size = tsl_index(a, att->v_head_size);
    tsl_expr *sum_at[4] = {at[0], floor_div(a, at[2], size), at[1], floor_mod(a, at[2], size)};
    memcpy(at, sum_at, sizeof(sum_at));
  }
  y->body = tsl_cast(a, y->type.dtype, tsl_te_read(att->call->program, sum, at));
}

/* ONNX Attention: softmax(softcap(q·kᵀ·scale) + mask)·v per head, with the keys and values of
 * past_key and past_value before the current ones; qk_matmul_output_mode picks which stage
 * output 3 shows. The softmax runs in f32 (f64 for f64 inputs) whatever softmax_precision
 * asks: as precise as the f16 and bf16 it may name, less so only for f64 asked of f32 inputs. */
bool tsl_compute_attention(tsl_compute_call *call) {
  attention att = attention_sizes(call);
  int64_t mode = compute_attr(call, "qk_matmul_output_mode")->i;
  bool shows_scores = call->num_outputs > 3;
  for (int index = 1; index <= 2 && index < call->num_outputs; index++) {
    attention_present(&att, index);
  }
  tsl_te_tensor *scores = attention_scores(&att);
  tsl_te_tensor *logits = attention_logits(&att, scores);
  if (shows_scores && mode != 3) attention_qk_output(&att, scores, logits, mode);
  attention_output(&att, attention_softmax(&att, logits, shows_scores && mode == 3));
  return true;
}

/* ---- externs: loop nests written out in TIR ------------------------------------------------ */

static tsl_var *loop_var(tsl_compute_call *call, const char *name) {
  return tsl_primfunc_var(call->program->func, name, TSL_DTYPE_I64);
}

/* for var in [min, min + extent): body */
static tsl_stmt *loop(tsl_arena *a, tsl_var *var, tsl_expr *min, tsl_expr *extent, tsl_stmt *body) {
  return tsl_for(a, var, min, extent, TSL_LOOP_SERIAL, body);
}

static tsl_stmt *loop_upto(tsl_arena *a, tsl_var *var, int64_t extent, tsl_stmt *body) {
  return loop(a, var, tsl_index(a, 0), tsl_index(a, extent), body);
}

static tsl_stmt *sequence(tsl_arena *a, tsl_stmt *first, tsl_stmt *second) {
  tsl_stmt *items[2] = {first, second};
  return tsl_seq(a, 2, items);
}

/* A buffer of `rank` dims (0: a scalar) that an extern allocates around its loops. */
static tsl_buffer *scratch(tsl_compute_call *call, const char *name, tsl_dtype dtype, int rank,
                           const int64_t *dims) {
  tsl_type type = tsl_type_make(dtype, rank, dims);
  return tsl_primfunc_buffer(call->program->func, name, &type, TSL_SCOPE_LOCAL);
}

static tsl_expr *load_scalar(tsl_arena *a, tsl_buffer *buffer) {
  return tsl_load(a, buffer, 0, NULL);
}

static tsl_stmt *store_scalar(tsl_arena *a, tsl_buffer *buffer, tsl_expr *value) {
  return tsl_store(a, buffer, 0, NULL, value);
}

/* Output `index` as an extern; the caller sets its statement. */
static tsl_te_tensor *extern_output(tsl_compute_call *call, int index) {
  tsl_te_tensor *tensor = tsl_te_extern(call->program, call->op->name, &call->output_types[index]);
  call->outputs[index] = tensor;
  return tensor;
}

/* ---- linear attention ---------------------------------------------------------------------- */

/* What the steps of ONNX LinearAttention's recurrence share: the state S [batch, kv heads, dk,
 * dv], the update u [dv] and a running total, all f32 as the reference keeps them, and the
 * batch entry b, kv head h and token t the loops are at. */
typedef struct recurrence {
  tsl_compute_call *call;
  tsl_arena *a;
  tsl_buffer *state, *update, *total;
  int64_t group, dk, dv; /* q heads per kv head, key and value head sizes */
  tsl_expr *b, *h, *t;
} recurrence;

/* q, k or v (input `index`, [batch, length, heads·size]) of head `head` at feature i, in f32. */
static tsl_expr *token_read(const recurrence *r, int index, tsl_expr *head, tsl_expr *i) {
  int64_t size = index == 2 ? r->dv : r->dk;
  tsl_expr *at[3] = {r->b, r->t, add(r->a, mul(r->a, head, tsl_index(r->a, size)), i)};
  return read_as(r->call, TSL_DTYPE_F32, r->call->inputs[index], at);
}

static tsl_expr *state_at(const recurrence *r, tsl_expr *i, tsl_expr *j) {
  tsl_expr *at[4] = {r->b, r->h, i, j};
  return tsl_load(r->a, r->state, 4, at);
}

static tsl_stmt *state_store(const recurrence *r, tsl_expr *i, tsl_expr *j, tsl_expr *value) {
  tsl_expr *at[4] = {r->b, r->h, i, j};
  return tsl_store(r->a, r->state, 4, at, value);
}

/* total = Σ_i S[i, j] · element, `element` an expression of the variable i. */
static tsl_stmt *state_dot(const recurrence *r, tsl_var *i, tsl_expr *element, tsl_expr *j) {
  tsl_arena *a = r->a;
  tsl_expr *term = mul(a, state_at(r, tsl_var_ref(a, i), j), element);
  tsl_stmt *accumulate = store_scalar(a, r->total, add(a, load_scalar(a, r->total), term));
  return sequence(a, store_scalar(a, r->total, tsl_const(a, TSL_DTYPE_F32, 0)),
                  loop_upto(a, i, r->dk, accumulate));
}

/* The gated rules: S ·= exp(decay), decay per kv head or per key feature. */
static tsl_stmt *decay_step(const recurrence *r) {
  tsl_arena *a = r->a;
  const tsl_te_tensor *decay = r->call->inputs[4];
  tsl_var *i = loop_var(r->call, "i"), *j = loop_var(r->call, "j");
  tsl_expr *vi = tsl_var_ref(a, i), *vj = tsl_var_ref(a, j);
  bool per_feature = decay->type.dims[2] != compute_attr(r->call, "kv_num_heads")->i;
  tsl_expr *gate_at[3] = {r->b, r->t,
                          per_feature ? add(a, mul(a, r->h, tsl_index(a, r->dk)), vi) : r->h};
  tsl_expr *gate = math(a, TSL_MATH_exp, read_as(r->call, TSL_DTYPE_F32, decay, gate_at));
  tsl_stmt *scaled = state_store(r, vi, vj, mul(a, state_at(r, vi, vj), gate));
  return loop_upto(a, i, r->dk, loop_upto(a, j, r->dv, scaled));
}

/* u = v, or for the delta rules u = beta·(v - Sᵀk): the value less what S already recalls. */
static tsl_stmt *update_step(const recurrence *r, bool delta) {
  tsl_arena *a = r->a;
  tsl_var *i = loop_var(r->call, "i"), *j = loop_var(r->call, "j");
  tsl_expr *vj = tsl_var_ref(a, j), *value = token_read(r, 2, r->h, vj);
  if (!delta) return loop_upto(a, j, r->dv, tsl_store(a, r->update, 1, &vj, value));
  const tsl_te_tensor *beta = r->call->inputs[5];
  tsl_expr *beta_at[3] = {r->b, r->t, beta->type.dims[2] == 1 ? tsl_index(a, 0) : r->h};
  tsl_expr *corrected = mul(a, read_as(r->call, TSL_DTYPE_F32, beta, beta_at),
                            sub(a, value, load_scalar(a, r->total)));
  tsl_stmt *recall = state_dot(r, i, token_read(r, 1, r->h, tsl_var_ref(a, i)), vj);
  return loop_upto(a, j, r->dv, sequence(a, recall, tsl_store(a, r->update, 1, &vj, corrected)));
}

/* S += k ⊗ u */
static tsl_stmt *write_step(const recurrence *r) {
  tsl_arena *a = r->a;
  tsl_var *i = loop_var(r->call, "i"), *j = loop_var(r->call, "j");
  tsl_expr *vi = tsl_var_ref(a, i), *vj = tsl_var_ref(a, j);
  tsl_expr *outer = mul(a, token_read(r, 1, r->h, vi), tsl_load(a, r->update, 1, &vj));
  tsl_stmt *added = state_store(r, vi, vj, add(a, state_at(r, vi, vj), outer));
  return loop_upto(a, i, r->dk, loop_upto(a, j, r->dv, added));
}

/* y[b, t, head·dv + j] = scale · Σ_i q[head, i] · S[i, j] for each q head of the kv head's
 * group. */
static tsl_stmt *read_step(const recurrence *r, tsl_buffer *y, double scale) {
  tsl_arena *a = r->a;
  tsl_var *g = loop_var(r->call, "g"), *i = loop_var(r->call, "i"), *j = loop_var(r->call, "j");
  tsl_expr *vj = tsl_var_ref(a, j);
  tsl_expr *head = add(a, mul(a, r->h, tsl_index(a, r->group)), tsl_var_ref(a, g));
  tsl_stmt *dot = state_dot(r, i, token_read(r, 0, head, tsl_var_ref(a, i)), vj);
  tsl_expr *value = mul(a, tsl_const(a, TSL_DTYPE_F32, scale), load_scalar(a, r->total));
  tsl_expr *y_at[3] = {r->b, r->t, add(a, mul(a, head, tsl_index(a, r->dv)), vj)};
  tsl_stmt *stored = tsl_store(a, y, 3, y_at, tsl_cast(a, y->dtype, value));
  return loop_upto(a, g, r->group, loop_upto(a, j, r->dv, sequence(a, dot, stored)));
}

/* The recurrence over every batch entry, kv head and token, advancing `state` in place and
 * writing y. */
static tsl_stmt *recurrence_nest(tsl_compute_call *call, tsl_buffer *state, tsl_buffer *y) {
  tsl_arena *a = arena_of(call);
  const tsl_type *q = &call->inputs[0]->type, *v = &call->inputs[2]->type;
  int64_t q_heads = compute_attr(call, "q_num_heads")->i,
          kv_heads = compute_attr(call, "kv_num_heads")->i;
  const char *rule = compute_attr(call, "update_rule")->s;
  tsl_var *b = loop_var(call, "b"), *h = loop_var(call, "h"), *t = loop_var(call, "t");
  recurrence r = {.call = call,
                  .a = a,
                  .state = state,
                  .group = q_heads / kv_heads,
                  .dk = q->dims[2] / q_heads,
                  .dv = v->dims[2] / kv_heads,
                  .b = tsl_var_ref(a, b),
                  .h = tsl_var_ref(a, h),
                  .t = tsl_var_ref(a, t)};
  r.update = scratch(call, "update", TSL_DTYPE_F32, 1, &r.dv);
  r.total = scratch(call, "total", TSL_DTYPE_F32, 0, NULL);
  double scale = compute_attr(call, "scale")->f;
  if (scale == 0) scale = 1 / sqrt((double)r.dk);
  tsl_stmt *steps[4];
  int count = 0;
  if (strncmp(rule, "gated", 5) == 0) steps[count++] = decay_step(&r);
  steps[count++] = update_step(&r, strstr(rule, "delta") != NULL);
  steps[count++] = write_step(&r);
  steps[count++] = read_step(&r, y, scale);
  tsl_stmt *body = loop_upto(a, t, q->dims[1], tsl_seq(a, count, steps));
  body = loop_upto(a, b, q->dims[0], loop_upto(a, h, kv_heads, body));
  return tsl_alloc(a, r.update, tsl_alloc(a, r.total, body));
}

/* ONNX LinearAttention: the state starts as past_state (zeros without), the recurrence advances
 * it token by token while writing y, and present_state is where it ends. */
bool tsl_compute_linear_attention(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *past = optional_input(call, 3);
  int64_t dims[4] = {call->inputs[0]->type.dims[0], compute_attr(call, "kv_num_heads")->i,
                     call->inputs[0]->type.dims[2] / compute_attr(call, "q_num_heads")->i,
                     call->inputs[2]->type.dims[2] / compute_attr(call, "kv_num_heads")->i};
  tsl_te_tensor *state = stage(call, "state", TSL_DTYPE_F32, 4, dims);
  tsl_expr *at[4];
  compute_axes(call, state, at);
  state->body = past ? read_as(call, TSL_DTYPE_F32, past, at) : tsl_const(a, TSL_DTYPE_F32, 0);
  tsl_te_tensor *y = extern_output(call, 0);
  y->statement = recurrence_nest(call, state->buffer, y->buffer);
  if (call->num_outputs < 2) return true;
  tsl_te_tensor *present = compute_output(call, 1);
  compute_axes(call, present, at);
  present->body = read_as(call, present->type.dtype, state, at);
  return true;
}

/* ---- rotary embedding ---------------------------------------------------------------------- */

/* ONNX RotaryEmbedding: each pair of x's first rotary_embedding_dim features per head — (i,
 * i + half), or with interleaved (2i, 2i+1) — turns by the angle whose cosine and sine the caches
 * hold at the token's position (position_ids[b, s], clamped into the caches, or [b, s]). */
bool tsl_compute_rotary_embedding(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0], *positions = optional_input(call, 3);
  tsl_te_tensor *y = compute_output(call, 0);
  tsl_expr *at[4] = {0};
  compute_axes(call, y, at);
  bool packed = x->type.rank == 3; /* [batch, length, heads·head size] */
  int feature_axis = x->type.rank - 1;
  int64_t head_size =
      packed ? x->type.dims[2] / compute_attr(call, "num_heads")->i : x->type.dims[3];
  int64_t rotated = compute_attr(call, "rotary_embedding_dim")->i, half;
  if (rotated == 0) rotated = head_size;
  half = rotated / 2;
  bool interleaved = compute_attr(call, "interleaved")->i != 0;
  tsl_expr *b = at[0], *s = at[packed ? 1 : 2];
  tsl_expr *d = packed ? floor_mod(a, at[2], tsl_index(a, head_size)) : at[3];
  tsl_expr *head_start = sub(a, at[feature_axis], d);
  tsl_expr *pair =
      interleaved ? floor_div(a, d, tsl_index(a, 2)) : floor_mod(a, d, tsl_index(a, half));
  if (rotated < head_size) pair = minimum(a, pair, tsl_index(a, half - 1));
  tsl_expr *first = interleaved ? mul(a, pair, tsl_index(a, 2)) : pair;
  tsl_expr *second = affine(a, first, 1, interleaved ? 1 : half);
  tsl_dtype dtype = accumulator(x->type.dtype);
  tsl_expr *x_at[4] = {at[0], at[1], at[2], at[3]};
  x_at[feature_axis] = add(a, head_start, first);
  tsl_expr *x1 = read_as(call, dtype, x, x_at);
  x_at[feature_axis] = add(a, head_start, second);
  tsl_expr *x2 = read_as(call, dtype, x, x_at);
  tsl_expr *cache_at[3] = {b, s, pair};
  if (positions) {
    tsl_expr *position_at[2] = {b, s};
    int64_t last = call->inputs[1]->type.dims[0] - 1;
    cache_at[0] = clamp(a, tsl_te_read(call->program, positions, position_at), 0, last);
    cache_at[1] = pair;
  }
  tsl_expr *cos = read_as(call, dtype, call->inputs[1], cache_at);
  tsl_expr *sin = read_as(call, dtype, call->inputs[2], cache_at);
  tsl_expr *real = interleaved ? equal(a, floor_mod(a, d, tsl_index(a, 2)), tsl_index(a, 0))
                               : less(a, d, tsl_index(a, half));
  tsl_expr *value = choose(a, real, sub(a, mul(a, cos, x1), mul(a, sin, x2)),
                           add(a, mul(a, sin, x1), mul(a, cos, x2)));
  if (rotated < head_size) {
    value = choose(a, less(a, d, tsl_index(a, rotated)), value, read_as(call, dtype, x, at));
  }
  y->body = tsl_cast(a, y->type.dtype, value);
  return true;
}

/* ---- regions of interest ------------------------------------------------------------------- */

/* The two elements around `coordinate` (at least -1) along an axis of `size`, and the weight of
 * the upper one, as RoiAlign takes them: below 0 the coordinate is 0, and from the last element
 * on both are the last. */
static void roi_neighbours(tsl_arena *a, tsl_expr *coordinate, int64_t size, tsl_expr **low,
                           tsl_expr **high, tsl_expr **upper_weight) {
  tsl_dtype dtype = coordinate->dtype;
  tsl_expr *inside = maximum(a, coordinate, tsl_const(a, dtype, 0));
  tsl_expr *below = math(a, TSL_MATH_floor, inside);
  *low = minimum(a, tsl_cast(a, TSL_DTYPE_I64, below), tsl_index(a, size - 1));
  *high = minimum(a, affine(a, *low, 1, 1), tsl_index(a, size - 1));
  tsl_expr *at_end = less_equal(a, tsl_const(a, dtype, (double)(size - 1)), below);
  *upper_weight = choose(a, at_end, tsl_const(a, dtype, 0), sub(a, inside, below));
}

/* x[batch, c] sampled at (y, x) as RoiAlign samples: 0 where the point lies more than a pixel
 * outside x, else its four neighbours weighted bilinearly, summed (avg) or the largest weighted
 * one taken (max), as the reference takes it. */
static tsl_expr *roi_sample(tsl_compute_call *call, tsl_expr *batch, tsl_expr *c, tsl_expr *y,
                            tsl_expr *x, bool largest) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *image = call->inputs[0];
  int64_t height = image->type.dims[2], width = image->type.dims[3];
  tsl_dtype dtype = y->dtype;
  tsl_expr *minus_one = tsl_const(a, dtype, -1);
  tsl_expr *outside = tsl_binary(a, TSL_EXPR_OR,
                                 tsl_binary(a, TSL_EXPR_OR, less(a, y, minus_one),
                                            less(a, tsl_const(a, dtype, (double)height), y)),
                                 tsl_binary(a, TSL_EXPR_OR, less(a, x, minus_one),
                                            less(a, tsl_const(a, dtype, (double)width), x)));
  tsl_expr *rows[2], *columns[2], *row_weight, *column_weight;
  roi_neighbours(a, y, height, &rows[0], &rows[1], &row_weight);
  roi_neighbours(a, x, width, &columns[0], &columns[1], &column_weight);
  tsl_expr *one = tsl_const(a, dtype, 1), *result = NULL;
  for (int corner = 0; corner < 4; corner++) {
    tsl_expr *at[4] = {batch, c, rows[corner >> 1], columns[corner & 1]};
    tsl_expr *weight = mul(a, corner >> 1 ? row_weight : sub(a, one, row_weight),
                           corner & 1 ? column_weight : sub(a, one, column_weight));
    tsl_expr *value = mul(a, weight, read_as(call, dtype, image, at));
    result = !result ? value : largest ? maximum(a, result, value) : add(a, result, value);
  }
  return choose(a, outside, tsl_const(a, dtype, 0), result);
}

/* One axis of a RoiAlign region: where it starts, how long a bin is, and how many samples a bin
 * takes along it (sampling_ratio, or adaptively ⌈bin⌉). */
typedef struct roi_axis {
  tsl_expr *start, *bin, *samples;
} roi_axis;

static roi_axis roi_align_axis(tsl_compute_call *call, tsl_expr *r, int column, int64_t bins) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *rois = call->inputs[1];
  tsl_dtype dtype = accumulator(rois->type.dtype);
  bool half_pixel =
      strcmp(compute_attr(call, "coordinate_transformation_mode")->s, "half_pixel") == 0;
  tsl_expr *scale = tsl_const(a, dtype, compute_attr(call, "spatial_scale")->f);
  tsl_expr *shift = tsl_const(a, dtype, half_pixel ? 0.5 : 0);
  tsl_expr *start_at[2] = {r, tsl_index(a, column)}, *end_at[2] = {r, tsl_index(a, column + 2)};
  tsl_expr *start = sub(a, mul(a, read_as(call, dtype, rois, start_at), scale), shift);
  tsl_expr *end = sub(a, mul(a, read_as(call, dtype, rois, end_at), scale), shift);
  tsl_expr *length = sub(a, end, start);
  if (!half_pixel) length = maximum(a, length, tsl_const(a, dtype, 1));
  tsl_expr *bin = divide(a, length, tsl_const(a, dtype, (double)bins));
  int64_t ratio = compute_attr(call, "sampling_ratio")->i;
  tsl_expr *samples =
      ratio > 0 ? tsl_index(a, ratio) : tsl_cast(a, TSL_DTYPE_I64, math(a, TSL_MATH_ceil, bin));
  return (roi_axis){start, bin, samples};
}

/* The coordinate of sample `sample` of bin `bin`: the samples split the bin evenly, each at the
 * middle of its part. */
static tsl_expr *roi_align_point(tsl_arena *a, const roi_axis *axis, tsl_expr *bin,
                                 tsl_expr *sample) {
  tsl_dtype dtype = axis->bin->dtype;
  tsl_expr *within =
      mul(a, add(a, tsl_cast(a, dtype, sample), tsl_const(a, dtype, 0.5)), axis->bin);
  return add(a, add(a, axis->start, mul(a, tsl_cast(a, dtype, bin), axis->bin)),
             divide(a, within, tsl_cast(a, dtype, axis->samples)));
}

/* ONNX RoiAlign: each output element averages (or takes the largest of) a grid of bilinear
 * samples in its bin. The grid's size may come from the region, so this is a loop nest. */
bool tsl_compute_roi_align(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0];
  tsl_te_tensor *y = extern_output(call, 0);
  tsl_dtype dtype = accumulator(x->type.dtype);
  bool largest = strcmp(compute_attr(call, "mode")->s, "max") == 0;
  tsl_var *vars[6];
  tsl_expr *at[6];
  const char *names[6] = {"r", "c", "ph", "pw", "iy", "ix"};
  for (int i = 0; i < 6; i++) {
    vars[i] = loop_var(call, names[i]);
    at[i] = tsl_var_ref(a, vars[i]);
  }
  roi_axis rows = roi_align_axis(call, at[0], 1, y->type.dims[2]);
  roi_axis columns = roi_align_axis(call, at[0], 0, y->type.dims[3]);
  tsl_expr *batch =
      clamp(a, tsl_te_read(call->program, call->inputs[2], at), 0, x->type.dims[0] - 1);
  tsl_buffer *total = scratch(call, "total", dtype, 0, NULL);
  tsl_expr *sample = roi_sample(call, batch, at[1], roi_align_point(a, &rows, at[2], at[4]),
                                roi_align_point(a, &columns, at[3], at[5]), largest);
  tsl_expr *so_far = load_scalar(a, total);
  tsl_stmt *gather =
      store_scalar(a, total, largest ? maximum(a, so_far, sample) : add(a, so_far, sample));
  gather = loop(a, vars[4], tsl_index(a, 0), rows.samples,
                loop(a, vars[5], tsl_index(a, 0), columns.samples, gather));
  tsl_expr *count = mul(a, rows.samples, columns.samples);
  tsl_expr *value = largest
                        ? choose(a, less(a, tsl_index(a, 0), count), so_far, tsl_const(a, dtype, 0))
                        : divide(a, so_far, tsl_cast(a, dtype, maximum(a, count, tsl_index(a, 1))));
  tsl_stmt *steps[3] = {
      store_scalar(a, total, largest ? negative_infinity(a, dtype) : tsl_const(a, dtype, 0)),
      gather,
      tsl_store(a, y->buffer, 4, at, tsl_cast(a, y->type.dtype, value)),
  };
  tsl_stmt *nest = tsl_seq(a, 3, steps);
  for (int i = 3; i >= 0; i--) nest = loop_upto(a, vars[i], y->type.dims[i], nest);
  y->statement = tsl_alloc(a, total, nest);
  return true;
}

/* Half away from zero, as C's round. */
static tsl_expr *round_away(tsl_arena *a, tsl_expr *value) {
  tsl_expr *half = tsl_const(a, value->dtype, 0.5);
  tsl_expr *up = math(a, TSL_MATH_floor, add(a, value, half));
  tsl_expr *down = tsl_unary(a, TSL_EXPR_NEG, math(a, TSL_MATH_floor, sub(a, half, value)));
  return choose(a, less(a, value, tsl_const(a, value->dtype, 0)), down, up);
}

/* Where bin `bin` of a MaxRoiPool region starts (`end` false) or ends along an axis of `size`:
 * the region's corners at columns `column` and `column` + 2 of rois, rounded to elements; the
 * bin's bounds are floor and ceil of the region split evenly, held within [0, size]. */
static tsl_expr *roi_pool_bound(tsl_compute_call *call, tsl_expr *r, int column, int64_t bins,
                                int64_t size, tsl_expr *bin, bool end) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *rois = call->inputs[1];
  tsl_dtype dtype = accumulator(rois->type.dtype);
  tsl_expr *scale = tsl_const(a, dtype, compute_attr(call, "spatial_scale")->f);
  tsl_expr *start_at[2] = {r, tsl_index(a, column)}, *end_at[2] = {r, tsl_index(a, column + 2)};
  tsl_expr *first = tsl_cast(a, TSL_DTYPE_I64,
                             round_away(a, mul(a, read_as(call, dtype, rois, start_at), scale)));
  tsl_expr *last =
      tsl_cast(a, TSL_DTYPE_I64, round_away(a, mul(a, read_as(call, dtype, rois, end_at), scale)));
  tsl_expr *length = maximum(a, affine(a, sub(a, last, first), 1, 1), tsl_index(a, 1));
  tsl_expr *share = divide(a, tsl_cast(a, dtype, length), tsl_const(a, dtype, (double)bins));
  tsl_expr *edge = mul(a, tsl_cast(a, dtype, end ? affine(a, bin, 1, 1) : bin), share);
  edge = tsl_cast(a, TSL_DTYPE_I64, math(a, end ? TSL_MATH_ceil : TSL_MATH_floor, edge));
  return clamp(a, add(a, edge, first), 0, size);
}

/* ONNX MaxRoiPool (as ONNX Runtime computes it; ONNX has no reference): the largest element of
 * each bin of each region, 0 for an empty bin. Bins have data-dependent bounds, so this is a
 * loop nest. */
bool tsl_compute_max_roi_pool(tsl_compute_call *call) {
  tsl_arena *a = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0];
  tsl_te_tensor *y = extern_output(call, 0);
  tsl_dtype dtype = x->type.dtype;
  tsl_var *vars[6];
  tsl_expr *at[6];
  const char *names[6] = {"r", "c", "ph", "pw", "h", "w"};
  for (int i = 0; i < 6; i++) {
    vars[i] = loop_var(call, names[i]);
    at[i] = tsl_var_ref(a, vars[i]);
  }
  tsl_expr *batch_at[2] = {at[0], tsl_index(a, 0)};
  tsl_expr *batch =
      clamp(a, tsl_cast(a, TSL_DTYPE_I64, tsl_te_read(call->program, call->inputs[1], batch_at)), 0,
            x->type.dims[0] - 1);
  tsl_expr *bounds[4];
  for (int i = 0; i < 4; i++) {
    int spatial = i / 2; /* 0: rows (column 2 of rois), 1: columns (column 1) */
    bounds[i] = roi_pool_bound(call, at[0], 2 - spatial, y->type.dims[2 + spatial],
                               x->type.dims[2 + spatial], at[2 + spatial], i % 2);
  }
  tsl_buffer *largest = scratch(call, "largest", dtype, 0, NULL);
  tsl_expr *x_at[4] = {batch, at[1], at[4], at[5]};
  tsl_stmt *gather = store_scalar(
      a, largest, maximum(a, load_scalar(a, largest), tsl_te_read(call->program, x, x_at)));
  gather = loop(a, vars[4], bounds[0], sub(a, bounds[1], bounds[0]),
                loop(a, vars[5], bounds[2], sub(a, bounds[3], bounds[2]), gather));
  tsl_expr *empty = tsl_binary(a, TSL_EXPR_OR, less_equal(a, bounds[1], bounds[0]),
                               less_equal(a, bounds[3], bounds[2]));
  tsl_stmt *steps[3] = {
      store_scalar(a, largest, tsl_reducer_identity(a, TSL_REDUCE_MAX, dtype)),
      gather,
      tsl_store(a, y->buffer, 4, at,
                choose(a, empty, tsl_const(a, dtype, 0), load_scalar(a, largest))),
  };
  tsl_stmt *nest = tsl_seq(a, 3, steps);
  for (int i = 3; i >= 0; i--) nest = loop_upto(a, vars[i], y->type.dims[i], nest);
  y->statement = tsl_alloc(a, largest, nest);
  return true;
}
