/* Compute rules of the layout, shape and indexing operators. Most are one compute whose element
 * reads the input element it comes from. Both sides of a select are evaluated, so every index
 * is kept inside its tensor: indices are clamped, and a select picks the value afterwards.
 * Scatters, which write some elements in order, are externs; resampling (resize, grid_sample)
 * sums weighted taps in a reduction over small per-axis tables. */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "ir/check.h"
#include "ir/ops/compute.h"
#include "ir/ops/layout.h"

/* ---- shared ------------------------------------------------------------------------------ */

static tsl_arena *arena_of(const tsl_compute_call *call) { return call->program->func->arena; }

/* An axis attribute, counted from the end when negative (the type rule checked its range). */
static int axis_attr(const tsl_compute_call *call, const char *name, int rank) {
  int64_t axis = compute_attr(call, name)->i;
  return (int)(axis < 0 ? axis + rank : axis);
}

static bool string_attr_is(const tsl_compute_call *call, const char *name, const char *value) {
  return strcmp(compute_attr(call, name)->s, value) == 0;
}

static tsl_expr *clamp_index(tsl_arena *arena, tsl_expr *index, int64_t low, int64_t high) {
  tsl_expr *above = tsl_binary(arena, TSL_EXPR_MAX, index, tsl_index(arena, low));
  return tsl_binary(arena, TSL_EXPR_MIN, above, tsl_index(arena, high));
}

/* low <= index < end */
static tsl_expr *in_range(tsl_arena *arena, tsl_expr *index, int64_t low, int64_t end) {
  return tsl_binary(arena, TSL_EXPR_AND,
                    tsl_binary(arena, TSL_EXPR_GE, index, tsl_index(arena, low)),
                    tsl_binary(arena, TSL_EXPR_LT, index, tsl_index(arena, end)));
}

/* a && b, where a NULL stands for true. */
static tsl_expr *both(tsl_arena *arena, tsl_expr *a, tsl_expr *b) {
  return a ? tsl_binary(arena, TSL_EXPR_AND, a, b) : b;
}

/* An element of an index tensor as an index into an axis of size dim: counted from the end when
 * negative, and held inside the axis, since out-of-range indices (undefined in ONNX) must not
 * reach memory. */
static tsl_expr *axis_index(tsl_arena *arena, tsl_expr *value, int64_t dim) {
  tsl_expr *index = tsl_cast(arena, TSL_DTYPE_I64, value);
  tsl_expr *negative = tsl_binary(arena, TSL_EXPR_LT, index, tsl_index(arena, 0));
  index = tsl_select(arena, negative, TSL_ADD(arena, index, tsl_index(arena, dim)), index);
  return clamp_index(arena, index, 0, dim - 1);
}

/* Indices into an empty axis address nothing; a rule refuses them rather than touch memory
 * outside the tensor. `uses` counts the elements that would index it. */
static bool indexable(tsl_compute_call *call, int64_t dim, int64_t uses, int axis) {
  if (dim > 0 || uses == 0) return true;
  return compute_fail(call, "%s: input 0 has no elements along axis %d for %lld indices to address",
                      call->op->name, axis, (long long)uses);
}

/* The row-major position of `indices` in a tensor of `dims`. */
static tsl_expr *flatten(tsl_arena *arena, int rank, const int64_t *dims,
                         tsl_expr *const *indices) {
  tsl_expr *flat = tsl_index(arena, 0);
  for (int axis = 0; axis < rank; axis++) {
    flat = TSL_ADD(arena, TSL_MUL(arena, flat, tsl_index(arena, dims[axis])), indices[axis]);
  }
  return flat;
}

/* The indices of row-major position `flat` in a tensor of `dims`. */
static void unflatten(tsl_arena *arena, tsl_expr *flat, int rank, const int64_t *dims,
                      tsl_expr **indices) {
  if (rank == 0) return;
  for (int axis = rank - 1; axis > 0; axis--) {
    tsl_expr *dim = tsl_index(arena, dims[axis]);
    indices[axis] = tsl_binary(arena, TSL_EXPR_FLOOR_MOD, flat, dim);
    flat = tsl_binary(arena, TSL_EXPR_FLOOR_DIV, flat, dim);
  }
  indices[0] = flat;
}

/* ---- externs ------------------------------------------------------------------------------ */

/* An extern's loops over every index of a shape. The variables are made first, so that the body
 * can use them (`indices`), and loops_around then wraps the body. */
typedef struct loop_nest {
  int rank;
  int64_t dims[TSL_MAX_RANK];
  tsl_var *vars[TSL_MAX_RANK];
  tsl_expr *indices[TSL_MAX_RANK];
} loop_nest;

static void loops_over(tsl_compute_call *call, const tsl_type *type, loop_nest *loops) {
  loops->rank = type->rank;
  for (int axis = 0; axis < type->rank; axis++) {
    loops->dims[axis] = type->dims[axis];
    loops->vars[axis] = tsl_primfunc_var(call->program->func, "i", TSL_DTYPE_I64);
    loops->indices[axis] = tsl_var_ref(arena_of(call), loops->vars[axis]);
  }
}

static tsl_stmt *loops_around(tsl_compute_call *call, const loop_nest *loops, tsl_stmt *body) {
  tsl_arena *arena = arena_of(call);
  for (int axis = loops->rank - 1; axis >= 0; axis--) {
    body = tsl_for(arena, loops->vars[axis], tsl_index(arena, 0),
                   tsl_index(arena, loops->dims[axis]), TSL_LOOP_SERIAL, body);
  }
  return body;
}

/* Output 0 as an extern tensor; the caller sets its statement. */
static tsl_te_tensor *extern_output(tsl_compute_call *call) {
  tsl_te_tensor *out = tsl_te_extern(call->program, call->op->name, &call->output_types[0]);
  call->outputs[0] = out;
  return out;
}

/* Every element of `to` set to `from`'s element at the same index, or to `fill` when from is
 * NULL. */
static tsl_stmt *fill_statement(tsl_compute_call *call, const tsl_te_tensor *to,
                                const tsl_te_tensor *from, tsl_expr *fill) {
  loop_nest loops;
  loops_over(call, &to->type, &loops);
  tsl_expr *value = from ? tsl_te_read(call->program, from, loops.indices) : fill;
  return loops_around(call, &loops,
                      tsl_store(arena_of(call), to->buffer, loops.rank, loops.indices, value));
}

static tsl_stmt *in_order(tsl_compute_call *call, tsl_stmt *first, tsl_stmt *second) {
  tsl_stmt *steps[] = {first, second};
  return tsl_seq(arena_of(call), 2, steps);
}

/* f16 and bf16 values combine in f32 and are rounded once, as the elementwise rules do. */
static bool is_half(tsl_dtype dtype) { return dtype == TSL_DTYPE_F16 || dtype == TSL_DTYPE_BF16; }

/* What a scatter leaves in an element holding `current` when `update` arrives: the update, or
 * both combined by the `reduction` attribute. */
static tsl_expr *scatter_combine(tsl_compute_call *call, tsl_expr *current, tsl_expr *update) {
  static const struct {
    const char *name;
    tsl_expr_kind kind;
  } reductions[] = {
      {"add", TSL_EXPR_ADD}, {"mul", TSL_EXPR_MUL}, {"max", TSL_EXPR_MAX}, {"min", TSL_EXPR_MIN}};
  tsl_arena *arena = arena_of(call);
  tsl_dtype dtype = update->dtype, wide = is_half(dtype) ? TSL_DTYPE_F32 : dtype;
  for (size_t i = 0; i < sizeof(reductions) / sizeof(reductions[0]); i++) {
    if (!string_attr_is(call, "reduction", reductions[i].name)) continue;
    tsl_expr *combined = tsl_binary(arena, reductions[i].kind, tsl_cast(arena, wide, current),
                                    tsl_cast(arena, wide, update));
    return tsl_cast(arena, dtype, combined);
  }
  return update;
}

/* out[target] = update, combined with what is there as the reduction says. */
static tsl_stmt *scatter_store(tsl_compute_call *call, const tsl_te_tensor *out,
                               tsl_expr *const *target, tsl_expr *update) {
  tsl_expr *current = tsl_te_read(call->program, out, target);
  return tsl_store(arena_of(call), out->buffer, out->type.rank, target,
                   scatter_combine(call, current, update));
}

/* ---- reshaping and copying ---------------------------------------------------------------- */

bool tsl_compute_reshape(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  const tsl_te_tensor *x = call->inputs[0];
  tsl_arena *arena = arena_of(call);
  tsl_expr *indices[TSL_MAX_RANK], *source[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  tsl_expr *flat = flatten(arena, out->type.rank, out->type.dims, indices);
  unflatten(arena, flat, x->type.rank, x->type.dims, source);
  out->body = tsl_te_read(call->program, x, source);
  return true;
}

/* y in layout dst reads x in layout src: each axis's index is put together from dst's outer
 * index and block index (outer·block + inner), then taken apart again as src blocks it. */
bool tsl_compute_layout_transform(tsl_compute_call *call) {
  tsl_arena *arena = arena_of(call);
  tsl_layout src, dst;
  TSL_CHECK(tsl_layout_parse(compute_attr(call, "src")->s, &src));
  TSL_CHECK(tsl_layout_parse(compute_attr(call, "dst")->s, &dst));
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_expr *at[TSL_MAX_RANK], *index[128], *source[TSL_MAX_RANK];
  int64_t src_block[128] = {0};
  compute_axes(call, out, at);
  for (int i = 0; i < dst.rank; i++) {
    if (!dst.blocks[i]) index[(int)dst.axes[i]] = at[i];
  }
  for (int i = 0; i < dst.rank; i++) {
    if (!dst.blocks[i]) continue;
    int axis = toupper((unsigned char)dst.axes[i]);
    index[axis] = tsl_binary(arena, TSL_EXPR_ADD,
                             tsl_binary(arena, TSL_EXPR_MUL, index[axis],
                                        tsl_index(arena, dst.blocks[i])),
                             at[i]);
  }
  for (int i = 0; i < src.rank; i++) {
    if (src.blocks[i]) src_block[toupper((unsigned char)src.axes[i])] = src.blocks[i];
  }
  for (int i = 0; i < src.rank; i++) {
    int axis = toupper((unsigned char)src.axes[i]);
    tsl_expr *whole = index[axis];
    if (src.blocks[i]) {
      source[i] = tsl_binary(arena, TSL_EXPR_FLOOR_MOD, whole, tsl_index(arena, src.blocks[i]));
    } else if (src_block[axis]) {
      source[i] = tsl_binary(arena, TSL_EXPR_FLOOR_DIV, whole, tsl_index(arena, src_block[axis]));
    } else {
      source[i] = whole;
    }
  }
  out->body = tsl_te_read(call->program, call->inputs[0], source);
  return true;
}

bool tsl_compute_transpose(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  const tsl_attr *perm = compute_attr(call, "perm");
  tsl_expr *indices[TSL_MAX_RANK], *source[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  for (int axis = 0; axis < out->type.rank; axis++) source[perm->ints[axis]] = indices[axis];
  out->body = tsl_te_read(call->program, call->inputs[0], source);
  return true;
}

/* Each element reads the input whose range along axis holds it: a chain of selects, from the
 * last input back, over every input that has elements (read at a clamped index). */
bool tsl_compute_concat(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_arena *arena = arena_of(call);
  int axis = axis_attr(call, "axis", out->type.rank);
  tsl_expr *indices[TSL_MAX_RANK], *source[TSL_MAX_RANK], *value = NULL;
  compute_axes(call, out, indices);
  memcpy(source, indices, sizeof(tsl_expr *) * (size_t)out->type.rank);
  int64_t end = out->type.dims[axis];
  for (int i = call->num_inputs - 1; i >= 0; i--) {
    const tsl_te_tensor *input = call->inputs[i];
    int64_t size = input->type.dims[axis], start = end - size;
    if (size > 0) {
      tsl_expr *offset = TSL_SUB(arena, indices[axis], tsl_index(arena, start));
      source[axis] = clamp_index(arena, offset, 0, size - 1);
      tsl_expr *read = tsl_te_read(call->program, input, source);
      tsl_expr *here = tsl_binary(arena, TSL_EXPR_LT, indices[axis], tsl_index(arena, end));
      value = value ? tsl_select(arena, here, read, value) : read;
    }
    end = start;
  }
  /* Without a value every input, and so the output, is empty along axis. */
  out->body = value ? value : tsl_const(arena, out->type.dtype, 0);
  return true;
}

bool tsl_compute_split(tsl_compute_call *call) {
  const tsl_te_tensor *x = call->inputs[0];
  tsl_arena *arena = arena_of(call);
  int axis = axis_attr(call, "axis", x->type.rank);
  int64_t start = 0;
  for (int i = 0; i < call->num_outputs; i++) {
    tsl_te_tensor *out = compute_output(call, i);
    tsl_expr *indices[TSL_MAX_RANK];
    compute_axes(call, out, indices);
    indices[axis] = TSL_ADD(arena, indices[axis], tsl_index(arena, start));
    out->body = tsl_te_read(call->program, x, indices);
    start += out->type.dims[axis];
  }
  return true;
}

/* Where a slice starts on an axis of size dim: counted from the end when negative, then clamped
 * as ONNX clamps it, to [0, dim] stepping forward and [0, dim - 1] stepping back. */
static int64_t slice_start(int64_t start, int64_t dim, int64_t step) {
  if (start < 0) start += dim;
  int64_t high = step > 0 ? dim : dim - 1;
  return start < 0 ? 0 : start > high ? high : start;
}

bool tsl_compute_slice(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  const tsl_te_tensor *x = call->inputs[0];
  const tsl_attr *starts = compute_attr(call, "starts"), *axes = compute_attr(call, "axes");
  const tsl_attr *steps = compute_attr(call, "steps");
  tsl_arena *arena = arena_of(call);
  tsl_expr *indices[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  for (int i = 0; i < starts->count; i++) {
    int axis = (int)(axes->ints[i] < 0 ? axes->ints[i] + x->type.rank : axes->ints[i]);
    int64_t step = steps->ints[i], start = slice_start(starts->ints[i], x->type.dims[axis], step);
    indices[axis] = TSL_ADD(arena, tsl_index(arena, start),
                            TSL_MUL(arena, indices[axis], tsl_index(arena, step)));
  }
  out->body = tsl_te_read(call->program, x, indices);
  return true;
}

bool tsl_compute_expand(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_expr *indices[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  out->body = compute_read_broadcast(call, call->inputs[0], out->type.rank, indices);
  return true;
}

bool tsl_compute_tile(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  const tsl_te_tensor *x = call->inputs[0];
  tsl_arena *arena = arena_of(call);
  tsl_expr *indices[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  for (int axis = 0; axis < x->type.rank; axis++) {
    indices[axis] =
        tsl_binary(arena, TSL_EXPR_FLOOR_MOD, indices[axis], tsl_index(arena, x->type.dims[axis]));
  }
  out->body = tsl_te_read(call->program, x, indices);
  return true;
}

/* ---- pad ---------------------------------------------------------------------------------- */

/* One axis of pad: negative pads crop x to `length` elements starting at `crop`; then `before`
 * elements are added in front (and the rest behind). */
typedef struct padded_axis {
  int64_t crop, length, before;
} padded_axis;

static padded_axis pad_axis(const tsl_attr *pads, int axis, int rank, int64_t dim) {
  int64_t begin = pads->ints[axis], end = pads->ints[axis + rank];
  padded_axis p = {.crop = begin < 0 ? -begin : 0, .before = begin > 0 ? begin : 0};
  p.length = dim - p.crop - (end < 0 ? -end : 0);
  return p;
}

/* The index of x that output index `index` reads: numpy's wrap, reflect (without repeating the
 * edge) or edge, which also serves constant mode, whose padding a select then replaces. */
static tsl_expr *pad_source(tsl_arena *arena, const char *mode, padded_axis p, tsl_expr *index) {
  tsl_expr *at = TSL_SUB(arena, index, tsl_index(arena, p.before)), *inside;
  if (strcmp(mode, "wrap") == 0) {
    inside = tsl_binary(arena, TSL_EXPR_FLOOR_MOD, at, tsl_index(arena, p.length));
  } else if (strcmp(mode, "reflect") == 0 && p.length > 1) {
    tsl_expr *period = tsl_index(arena, 2 * (p.length - 1));
    tsl_expr *phase = tsl_binary(arena, TSL_EXPR_FLOOR_MOD, at, period);
    tsl_expr *forward = tsl_binary(arena, TSL_EXPR_LT, phase, tsl_index(arena, p.length));
    inside = tsl_select(arena, forward, phase, TSL_SUB(arena, period, phase));
  } else {
    inside = clamp_index(arena, at, 0, p.length - 1);
  }
  return TSL_ADD(arena, inside, tsl_index(arena, p.crop));
}

bool tsl_compute_pad(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  const tsl_te_tensor *x = call->inputs[0];
  const tsl_attr *pads = compute_attr(call, "pads");
  const char *mode = compute_attr(call, "mode")->s;
  bool constant = strcmp(mode, "constant") == 0;
  tsl_arena *arena = arena_of(call);
  tsl_expr *fill = call->num_inputs > 1 && call->inputs[1]
                       ? tsl_te_read(call->program, call->inputs[1], NULL)
                       : tsl_const(arena, out->type.dtype, 0);
  tsl_expr *indices[TSL_MAX_RANK], *source[TSL_MAX_RANK], *inside = NULL;
  compute_axes(call, out, indices);
  int rank = x->type.rank;
  for (int axis = 0; axis < rank; axis++) {
    padded_axis p = pad_axis(pads, axis, rank, x->type.dims[axis]);
    if (p.length == 0) {
      if (!constant && out->type.dims[axis] > 0) {
        return compute_fail(call, "pad: mode \"%s\" cannot pad axis %d, which has no elements left",
                            mode, axis);
      }
      out->body = fill; /* nothing of x is left to read */
      return true;
    }
    source[axis] = pad_source(arena, mode, p, indices[axis]);
    if (constant) {
      inside = both(arena, inside, in_range(arena, indices[axis], p.before, p.before + p.length));
    }
  }
  tsl_expr *value = tsl_te_read(call->program, x, source);
  out->body = inside ? tsl_select(arena, inside, value, fill) : value;
  return true;
}

/* ---- gathers ------------------------------------------------------------------------------ */

/* ONNX Gather: the indices' axes replace axis. */
bool tsl_compute_take(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  const tsl_te_tensor *x = call->inputs[0], *indices = call->inputs[1];
  int axis = axis_attr(call, "axis", x->type.rank), count = indices->type.rank;
  int64_t dim = x->type.dims[axis];
  if (!indexable(call, dim, tsl_type_elements(&out->type), axis)) return false;
  tsl_expr *at[TSL_MAX_RANK], *source[TSL_MAX_RANK];
  compute_axes(call, out, at);
  for (int a = 0; a < axis; a++) source[a] = at[a];
  source[axis] = axis_index(arena_of(call), tsl_te_read(call->program, indices, at + axis), dim);
  for (int a = axis + 1; a < x->type.rank; a++) source[a] = at[a + count - 1];
  out->body = tsl_te_read(call->program, x, source);
  return true;
}

bool tsl_compute_gather_elements(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  const tsl_te_tensor *x = call->inputs[0], *indices = call->inputs[1];
  int axis = axis_attr(call, "axis", x->type.rank);
  int64_t dim = x->type.dims[axis];
  if (!indexable(call, dim, tsl_type_elements(&out->type), axis)) return false;
  tsl_expr *at[TSL_MAX_RANK], *source[TSL_MAX_RANK];
  compute_axes(call, out, at);
  memcpy(source, at, sizeof(tsl_expr *) * (size_t)out->type.rank);
  source[axis] = axis_index(arena_of(call), tsl_te_read(call->program, indices, at), dim);
  out->body = tsl_te_read(call->program, x, source);
  return true;
}

/* The output's leading axes are those of indices but the last; each index tuple addresses x
 * after its batch axes, and the output's trailing axes run over the rest of x. */
bool tsl_compute_gather_nd(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  const tsl_te_tensor *x = call->inputs[0], *indices = call->inputs[1];
  tsl_arena *arena = arena_of(call);
  int batch = (int)compute_attr(call, "batch_dims")->i, leading = indices->type.rank - 1;
  int length = (int)indices->type.dims[leading];
  tsl_expr *at[TSL_MAX_RANK], *tuple[TSL_MAX_RANK], *source[TSL_MAX_RANK];
  compute_axes(call, out, at);
  memcpy(tuple, at, sizeof(tsl_expr *) * (size_t)leading);
  for (int a = 0; a < batch; a++) source[a] = at[a];
  for (int j = 0; j < length; j++) {
    int64_t dim = x->type.dims[batch + j];
    if (!indexable(call, dim, tsl_type_elements(&out->type), batch + j)) return false;
    tuple[leading] = tsl_index(arena, j);
    source[batch + j] = axis_index(arena, tsl_te_read(call->program, indices, tuple), dim);
  }
  for (int a = batch + length; a < x->type.rank; a++) source[a] = at[leading + a - batch - length];
  out->body = tsl_te_read(call->program, x, source);
  return true;
}

/* ---- scatters ----------------------------------------------------------------------------- */

/* x copied, then each update written in order at its index along axis. */
bool tsl_compute_scatter_elements(tsl_compute_call *call) {
  const tsl_te_tensor *x = call->inputs[0], *indices = call->inputs[1], *updates = call->inputs[2];
  int axis = axis_attr(call, "axis", x->type.rank);
  int64_t dim = x->type.dims[axis];
  if (!indexable(call, dim, tsl_type_elements(&updates->type), axis)) return false;
  tsl_te_tensor *out = extern_output(call);
  loop_nest loops;
  loops_over(call, &updates->type, &loops);
  tsl_expr *target[TSL_MAX_RANK];
  memcpy(target, loops.indices, sizeof(tsl_expr *) * (size_t)loops.rank);
  target[axis] =
      axis_index(arena_of(call), tsl_te_read(call->program, indices, loops.indices), dim);
  tsl_expr *update = tsl_te_read(call->program, updates, loops.indices);
  tsl_stmt *writes = loops_around(call, &loops, scatter_store(call, out, target, update));
  out->statement = in_order(call, fill_statement(call, out, x, NULL), writes);
  return true;
}

/* x copied, then for each index tuple (indices' last axis) the slice of updates it heads written
 * in order at the tuple's place. */
bool tsl_compute_scatter_nd(tsl_compute_call *call) {
  const tsl_te_tensor *x = call->inputs[0], *indices = call->inputs[1], *updates = call->inputs[2];
  tsl_arena *arena = arena_of(call);
  int leading = indices->type.rank - 1, length = (int)indices->type.dims[leading];
  for (int j = 0; j < length; j++) {
    if (!indexable(call, x->type.dims[j], tsl_type_elements(&updates->type), j)) return false;
  }
  tsl_te_tensor *out = extern_output(call);
  loop_nest loops;
  loops_over(call, &updates->type, &loops);
  tsl_expr *tuple[TSL_MAX_RANK], *target[TSL_MAX_RANK];
  memcpy(tuple, loops.indices, sizeof(tsl_expr *) * (size_t)leading);
  for (int j = 0; j < length; j++) {
    tuple[leading] = tsl_index(arena, j);
    target[j] = axis_index(arena, tsl_te_read(call->program, indices, tuple), x->type.dims[j]);
  }
  for (int a = length; a < x->type.rank; a++) target[a] = loops.indices[leading + a - length];
  tsl_expr *update = tsl_te_read(call->program, updates, loops.indices);
  tsl_stmt *writes = loops_around(call, &loops, scatter_store(call, out, target, update));
  out->statement = in_order(call, fill_statement(call, out, x, NULL), writes);
  return true;
}

/* Each position along axis holds the update written there, if any: position p of batch entry b
 * holds update element p - write_indices[b] (modulo the axis in circular mode). Every position
 * is written at most once, so this is an ordinary compute. */
bool tsl_compute_tensor_scatter(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  const tsl_te_tensor *cache = call->inputs[0], *update = call->inputs[1];
  const tsl_te_tensor *writes = call->num_inputs > 2 ? call->inputs[2] : NULL;
  tsl_arena *arena = arena_of(call);
  int axis = axis_attr(call, "axis", cache->type.rank);
  int64_t length = update->type.dims[axis];
  tsl_expr *indices[TSL_MAX_RANK], *source[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  tsl_expr *past = tsl_te_read(call->program, cache, indices);
  if (length == 0) {
    out->body = past;
    return true;
  }
  tsl_expr *start = writes ? tsl_te_read(call->program, writes, indices) : tsl_index(arena, 0);
  tsl_expr *offset = TSL_SUB(arena, indices[axis], start);
  if (string_attr_is(call, "mode", "circular")) {
    offset =
        tsl_binary(arena, TSL_EXPR_FLOOR_MOD, offset, tsl_index(arena, cache->type.dims[axis]));
  }
  memcpy(source, indices, sizeof(tsl_expr *) * (size_t)out->type.rank);
  source[axis] = clamp_index(arena, offset, 0, length - 1);
  out->body = tsl_select(arena, in_range(arena, offset, 0, length),
                         tsl_te_read(call->program, update, source), past);
  return true;
}

/* Zeros, then each x element written at the flat index (into the unpooled shape, which
 * output_shape may only enlarge at the ends) that max_pool gave it. */
bool tsl_compute_max_unpool(tsl_compute_call *call) {
  const tsl_te_tensor *x = call->inputs[0], *indices = call->inputs[1];
  const tsl_attr *kernel = compute_attr(call, "kernel"), *strides = compute_attr(call, "strides");
  const tsl_attr *pads = compute_attr(call, "pads");
  tsl_arena *arena = arena_of(call);
  int rank = x->type.rank, axes = rank - 2;
  int64_t unpooled[TSL_MAX_RANK] = {x->type.dims[0], x->type.dims[1]}, elements = 1;
  for (int a = 0; a < axes; a++) {
    int64_t stride = strides->count ? strides->ints[a] : 1;
    int64_t padding = pads->count ? pads->ints[a] + pads->ints[axes + a] : 0;
    unpooled[2 + a] = (x->type.dims[2 + a] - 1) * stride - padding + kernel->ints[a];
  }
  for (int a = 0; a < rank; a++) elements *= unpooled[a];
  if (elements == 0 && tsl_type_elements(&x->type) > 0) {
    return compute_fail(call, "max_unpool: the unpooled shape %s has no place for x's values",
                        tsl_shape_str(rank, unpooled).text);
  }
  tsl_te_tensor *out = extern_output(call);
  loop_nest loops;
  loops_over(call, &x->type, &loops);
  tsl_expr *flat =
      clamp_index(arena, tsl_te_read(call->program, indices, loops.indices), 0, elements - 1);
  tsl_expr *target[TSL_MAX_RANK];
  unflatten(arena, flat, rank, unpooled, target);
  tsl_stmt *store =
      tsl_store(arena, out->buffer, rank, target, tsl_te_read(call->program, x, loops.indices));
  tsl_stmt *zeros = fill_statement(call, out, NULL, tsl_const(arena, out->type.dtype, 0));
  out->statement = in_order(call, zeros, loops_around(call, &loops, store));
  return true;
}

/* ---- blocks, triangles and one-hot -------------------------------------------------------- */

/* x [N, C·b·b, H, W] into [N, C, H·b, W·b]: output pixel (h, w) reads channel block (h mod b,
 * w mod b) at (h / b, w / b); DCR numbers the channels block-major, CRD channel-major. */
bool tsl_compute_depth_to_space(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_arena *arena = arena_of(call);
  int64_t block = compute_attr(call, "blocksize")->i, channels = out->type.dims[1];
  tsl_expr *at[4], *size = tsl_index(arena, block);
  compute_axes(call, out, at);
  tsl_expr *row = tsl_binary(arena, TSL_EXPR_FLOOR_MOD, at[2], size);
  tsl_expr *column = tsl_binary(arena, TSL_EXPR_FLOOR_MOD, at[3], size);
  tsl_expr *offset = TSL_ADD(arena, TSL_MUL(arena, row, size), column), *channel;
  if (string_attr_is(call, "mode", "DCR")) {
    channel = TSL_ADD(arena, TSL_MUL(arena, offset, tsl_index(arena, channels)), at[1]);
  } else {
    channel = TSL_ADD(arena, TSL_MUL(arena, at[1], tsl_index(arena, block * block)), offset);
  }
  tsl_expr *source[] = {at[0], channel, tsl_binary(arena, TSL_EXPR_FLOOR_DIV, at[2], size),
                        tsl_binary(arena, TSL_EXPR_FLOOR_DIV, at[3], size)};
  out->body = tsl_te_read(call->program, call->inputs[0], source);
  return true;
}

/* The inverse of depth_to_space: output channel k holds block (row, column) of input channel c,
 * numbered as the mode says. */
bool tsl_compute_space_to_depth(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_arena *arena = arena_of(call);
  int64_t block = compute_attr(call, "blocksize")->i, channels = call->inputs[0]->type.dims[1];
  tsl_expr *at[4], *size = tsl_index(arena, block), *channel, *offset;
  compute_axes(call, out, at);
  if (string_attr_is(call, "mode", "DCR")) {
    tsl_expr *count = tsl_index(arena, channels);
    channel = tsl_binary(arena, TSL_EXPR_FLOOR_MOD, at[1], count);
    offset = tsl_binary(arena, TSL_EXPR_FLOOR_DIV, at[1], count);
  } else {
    tsl_expr *area = tsl_index(arena, block * block);
    channel = tsl_binary(arena, TSL_EXPR_FLOOR_DIV, at[1], area);
    offset = tsl_binary(arena, TSL_EXPR_FLOOR_MOD, at[1], area);
  }
  tsl_expr *row = tsl_binary(arena, TSL_EXPR_FLOOR_DIV, offset, size);
  tsl_expr *column = tsl_binary(arena, TSL_EXPR_FLOOR_MOD, offset, size);
  tsl_expr *source[] = {at[0], channel, TSL_ADD(arena, TSL_MUL(arena, at[2], size), row),
                        TSL_ADD(arena, TSL_MUL(arena, at[3], size), column)};
  out->body = tsl_te_read(call->program, call->inputs[0], source);
  return true;
}

bool tsl_compute_trilu(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_arena *arena = arena_of(call);
  int rank = out->type.rank;
  tsl_expr *indices[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  tsl_expr *diagonal = TSL_SUB(arena, indices[rank - 1], indices[rank - 2]);
  tsl_expr *k = tsl_index(arena, compute_attr(call, "k")->i);
  bool upper = compute_attr(call, "upper")->i != 0;
  tsl_expr *kept = tsl_binary(arena, upper ? TSL_EXPR_GE : TSL_EXPR_LE, diagonal, k);
  out->body = tsl_select(arena, kept, tsl_te_read(call->program, call->inputs[0], indices),
                         tsl_const(arena, out->type.dtype, 0));
  return true;
}

bool tsl_compute_eye_like(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_arena *arena = arena_of(call);
  tsl_expr *indices[2];
  compute_axes(call, out, indices);
  tsl_expr *diagonal = TSL_SUB(arena, indices[1], indices[0]);
  tsl_expr *on =
      tsl_binary(arena, TSL_EXPR_EQ, diagonal, tsl_index(arena, compute_attr(call, "k")->i));
  out->body = tsl_select(arena, on, tsl_const(arena, out->type.dtype, 1),
                         tsl_const(arena, out->type.dtype, 0));
  return true;
}

/* values[1] where the index along axis equals the index there (counted from depth when
 * negative), values[0] elsewhere. Float indices compare as floats, as the reference's do. */
bool tsl_compute_one_hot(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  const tsl_te_tensor *indices = call->inputs[0], *values = call->inputs[1];
  tsl_arena *arena = arena_of(call);
  int axis = axis_attr(call, "axis", out->type.rank);
  tsl_expr *at[TSL_MAX_RANK], *source[TSL_MAX_RANK];
  compute_axes(call, out, at);
  for (int a = 0; a < indices->type.rank; a++) source[a] = at[a < axis ? a : a + 1];
  tsl_dtype dtype = tsl_dtype_is_float(indices->type.dtype) ? TSL_DTYPE_F64 : TSL_DTYPE_I64;
  tsl_expr *index = tsl_cast(arena, dtype, tsl_te_read(call->program, indices, source));
  tsl_expr *depth = tsl_const(arena, dtype, (double)compute_attr(call, "depth")->i);
  tsl_expr *negative = tsl_binary(arena, TSL_EXPR_LT, index, tsl_const(arena, dtype, 0));
  index = tsl_select(arena, negative, TSL_ADD(arena, index, depth), index);
  tsl_expr *on = tsl_binary(arena, TSL_EXPR_EQ, index, tsl_cast(arena, dtype, at[axis]));
  tsl_expr *off_at = tsl_index(arena, 0), *on_at = tsl_index(arena, 1);
  out->body = tsl_select(arena, on, tsl_te_read(call->program, values, &on_at),
                         tsl_te_read(call->program, values, &off_at));
  return true;
}

/* Time step t of batch entry b reads step length - 1 - t while t < length, t itself after. */
bool tsl_compute_reverse_sequence(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_arena *arena = arena_of(call);
  int batch_axis = (int)compute_attr(call, "batch_axis")->i;
  int time_axis = (int)compute_attr(call, "time_axis")->i;
  int64_t steps = out->type.dims[time_axis];
  tsl_expr *indices[TSL_MAX_RANK], *source[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  tsl_expr *read_length = tsl_te_read(call->program, call->inputs[1], &indices[batch_axis]);
  tsl_expr *length = clamp_index(arena, read_length, 0, steps), *t = indices[time_axis];
  tsl_expr *reversed = TSL_SUB(arena, TSL_SUB(arena, length, tsl_index(arena, 1)), t);
  memcpy(source, indices, sizeof(tsl_expr *) * (size_t)out->type.rank);
  source[time_axis] = tsl_select(arena, tsl_binary(arena, TSL_EXPR_LT, t, length), reversed, t);
  out->body = tsl_te_read(call->program, call->inputs[0], source);
  return true;
}

/* ---- sums into the output ----------------------------------------------------------------- */

/* value, computed in a wider dtype, as dtype: integers are rounded (halves to even) first, as
 * the reference's saturate_cast does, and casts saturate. */
static tsl_expr *narrowed(tsl_arena *arena, tsl_dtype dtype, tsl_expr *value) {
  if (tsl_dtype_is_integer(dtype)) value = tsl_call(arena, TSL_MATH_round, value, NULL);
  return tsl_cast(arena, dtype, value);
}

/* A scratch stage of output 0's shape in dtype. */
static tsl_te_tensor *output_stage(tsl_compute_call *call, tsl_dtype dtype) {
  tsl_type type = call->output_types[0];
  type.dtype = dtype;
  return tsl_te_compute(call->program, tsl_arena_printf(arena_of(call), "%s_sum", call->op->name),
                        &type);
}

/* Where output 0 is summed in dtype: the output itself when it has that dtype, else a stage
 * that finish_output narrows into it. */
static tsl_te_tensor *output_in(tsl_compute_call *call, tsl_dtype dtype) {
  if (call->output_types[0].dtype == dtype) return compute_output(call, 0);
  return output_stage(call, dtype);
}

static void finish_output(tsl_compute_call *call, const tsl_te_tensor *sum) {
  if (sum->type.dtype == call->output_types[0].dtype) return;
  tsl_te_tensor *out = compute_output(call, 0);
  tsl_expr *indices[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  out->body = narrowed(arena_of(call), out->type.dtype, tsl_te_read(call->program, sum, indices));
}

/* ONNX Col2Im: each image pixel sums the column entries of the blocks that cover it. Along a
 * spatial axis, pixel p lies under kernel tap k of block q when
 * p + pad = q·stride + k·dilation. */
bool tsl_compute_col2im(tsl_compute_call *call) {
  const tsl_te_tensor *x = call->inputs[0];
  const tsl_attr *image = compute_attr(call, "image_shape"),
                 *block = compute_attr(call, "block_shape");
  const tsl_attr *strides = compute_attr(call, "strides"), *pads = compute_attr(call, "pads");
  const tsl_attr *dilations = compute_attr(call, "dilations");
  tsl_arena *arena = arena_of(call);
  int axes = image->count;
  tsl_dtype dtype = is_half(x->type.dtype) ? TSL_DTYPE_F32 : x->type.dtype;
  tsl_te_tensor *sum = output_in(call, dtype);
  tsl_expr *at[TSL_MAX_RANK], *taps[TSL_MAX_RANK], *blocks[TSL_MAX_RANK], *covered = NULL;
  int64_t positions[TSL_MAX_RANK], taps_per_block = 1;
  tsl_iter kernel[TSL_MAX_RANK];
  compute_axes(call, sum, at);
  for (int a = 0; a < axes; a++) {
    int64_t stride = strides->count ? strides->ints[a] : 1,
            dilation = dilations->count ? dilations->ints[a] : 1;
    int64_t before = pads->count ? pads->ints[a] : 0,
            padding = pads->count ? before + pads->ints[axes + a] : 0;
    positions[a] = (image->ints[a] + padding - dilation * (block->ints[a] - 1) - 1) / stride + 1;
    taps_per_block *= block->ints[a];
    kernel[a] = tsl_te_reduce_axis(call->program, "k", block->ints[a]);
    taps[a] = tsl_var_ref(arena, kernel[a].var);
    tsl_expr *shifted = TSL_SUB(arena, TSL_ADD(arena, at[2 + a], tsl_index(arena, before)),
                                TSL_MUL(arena, taps[a], tsl_index(arena, dilation)));
    blocks[a] = tsl_binary(arena, TSL_EXPR_FLOOR_DIV, shifted, tsl_index(arena, stride));
    covered = both(arena, covered, in_range(arena, shifted, 0, positions[a] * stride));
    if (stride > 1) {
      tsl_expr *phase = tsl_binary(arena, TSL_EXPR_FLOOR_MOD, shifted, tsl_index(arena, stride));
      covered = both(arena, covered, tsl_binary(arena, TSL_EXPR_EQ, phase, tsl_index(arena, 0)));
    }
  }
  tsl_expr *channel = TSL_ADD(arena, TSL_MUL(arena, at[1], tsl_index(arena, taps_per_block)),
                              flatten(arena, axes, block->ints, taps));
  tsl_expr *source[] = {at[0], channel, flatten(arena, axes, positions, blocks)};
  tsl_expr *value = tsl_cast(arena, dtype, tsl_te_read(call->program, x, source));
  /* The condition guards the read: blocks outside the image are never loaded. */
  sum->body = tsl_reduce(arena, TSL_REDUCE_SUM, value, axes, kernel, covered);
  finish_output(call, sum);
  return true;
}

/* ---- resampling --------------------------------------------------------------------------- */

/* Floating-point arithmetic in one dtype. */
typedef struct builder {
  tsl_arena *arena;
  tsl_dtype dtype;
} builder;

static tsl_expr *constant(const builder *b, double value) {
  return tsl_float(b->arena, b->dtype, value);
}
static tsl_expr *add(const builder *b, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(b->arena, TSL_EXPR_ADD, x, y);
}
static tsl_expr *sub(const builder *b, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(b->arena, TSL_EXPR_SUB, x, y);
}
static tsl_expr *mul(const builder *b, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(b->arena, TSL_EXPR_MUL, x, y);
}
static tsl_expr *divide(const builder *b, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(b->arena, TSL_EXPR_DIV, x, y);
}
static tsl_expr *less(const builder *b, tsl_expr *x, double y) {
  return tsl_binary(b->arena, TSL_EXPR_LT, x, constant(b, y));
}
static tsl_expr *greater(const builder *b, tsl_expr *x, double y) {
  return tsl_binary(b->arena, TSL_EXPR_GT, x, constant(b, y));
}
static tsl_expr *math(const builder *b, tsl_math f, tsl_expr *x) {
  return tsl_call(b->arena, f, x, NULL);
}
static tsl_expr *either(const builder *b, tsl_expr *x, tsl_expr *y) {
  return tsl_binary(b->arena, TSL_EXPR_OR, x, y);
}
static tsl_expr *as_real(const builder *b, tsl_expr *x) { return tsl_cast(b->arena, b->dtype, x); }

/* The dtype resampling computes in: f64 for f64 tensors, f32 for the rest. */
static tsl_dtype sampling_dtype(tsl_dtype dtype) {
  return dtype == TSL_DTYPE_F64 ? TSL_DTYPE_F64 : TSL_DTYPE_F32;
}

/* max(0, 1 - |x|) */
static tsl_expr *linear_kernel(const builder *b, tsl_expr *x) {
  tsl_expr *tent = sub(b, constant(b, 1), math(b, TSL_MATH_fabs, x));
  return tsl_binary(b->arena, TSL_EXPR_MAX, tent, constant(b, 0));
}

/* Keys' cubic convolution kernel with parameter a, at distance x. */
static tsl_expr *cubic_kernel(const builder *b, double a, tsl_expr *x) {
  tsl_expr *d = math(b, TSL_MATH_fabs, x);
  /* |x| <= 1: ((a + 2)·d - (a + 3))·d·d + 1 */
  tsl_expr *near = sub(b, mul(b, constant(b, a + 2), d), constant(b, a + 3));
  near = add(b, mul(b, mul(b, near, d), d), constant(b, 1));
  /* 1 < |x| < 2: ((a·d - 5a)·d + 8a)·d - 4a */
  tsl_expr *far = sub(b, mul(b, constant(b, a), d), constant(b, 5 * a));
  far = sub(b, mul(b, add(b, mul(b, far, d), constant(b, 8 * a)), d), constant(b, 4 * a));
  tsl_expr *beyond = tsl_select(b->arena, less(b, d, 2), far, constant(b, 0));
  return tsl_select(b->arena, greater(b, d, 1), beyond, near);
}

/* resize: each resized axis maps output index o to an input coordinate (ONNX's coordinate
 * transformation modes), then takes the nearest input element, or weighs the taps around the
 * coordinate (linear, cubic; wider and normalised with antialias when shrinking). */
typedef struct resize_axis {
  bool resized; /* false: output index o reads input index o */
  int64_t in, out;
  double scale;  /* output length over input length (see resize_scale) */
  double length; /* the output length the coordinate modes use: scale · in, not rounded */
  double roi_start, roi_end;
  int taps; /* linear and cubic: input elements per output element */
} resize_axis;

typedef struct resize_plan {
  const char *mode, *coordinates;
  bool crop; /* tf_crop_and_resize: outside the input is the extrapolation value */
  bool antialias, exclude_outside;
  double cubic_a;
  int rank;
  resize_axis axes[TSL_MAX_RANK];
} resize_plan;

/* How many taps an axis weighs: 2 (nearest chooses between two, linear) or 4 (cubic), or with
 * antialias as many as the kernel, stretched by 1/scale when shrinking, covers. */
static int resize_taps(const resize_plan *plan, double scale) {
  bool cubic = strcmp(plan->mode, "cubic") == 0;
  if (!plan->antialias || strcmp(plan->mode, "nearest") == 0) return cubic ? 4 : 2;
  int64_t first = (int64_t)floor((cubic ? -2 : -1) / fmin(scale, 1)) + 1;
  return (int)(2 - 2 * first);
}

/* The scale of an axis. Float attributes hold f32, so where sizes were given, the importer's
 * scale out/in arrives rounded; ONNX uses it exactly, and a coordinate a rounding step off an
 * integer can round to the neighbouring pixel. An attribute that is out/in rounded is taken as
 * out/in: exact for sizes, and for scales the value meant (0.6, not the f32 nearest it). */
static double resize_scale(double attribute, int64_t in, int64_t out) {
  double exact = (double)out / (double)in;
  return (double)(float)exact == attribute ? exact : attribute;
}

static bool resize_plan_make(tsl_compute_call *call, resize_plan *plan) {
  const tsl_te_tensor *x = call->inputs[0];
  const tsl_attr *scales = compute_attr(call, "scales"), *roi = compute_attr(call, "roi");
  *plan = (resize_plan){
      .mode = compute_attr(call, "mode")->s,
      .coordinates = compute_attr(call, "coordinate_transformation_mode")->s,
      .crop = string_attr_is(call, "coordinate_transformation_mode", "tf_crop_and_resize"),
      .antialias = compute_attr(call, "antialias")->i != 0,
      .exclude_outside = compute_attr(call, "exclude_outside")->i != 0,
      .cubic_a = compute_attr(call, "cubic_coeff_a")->f,
      .rank = x->type.rank,
  };
  for (int a = 0; a < plan->rank; a++) {
    resize_axis *axis = &plan->axes[a];
    axis->in = x->type.dims[a];
    axis->out = call->output_types[0].dims[a];
    axis->scale = resize_scale(scales->floats[a], axis->in, axis->out);
    axis->length = axis->scale * (double)axis->in;
    axis->roi_start = roi->count ? roi->floats[a] : 0;
    axis->roi_end = roi->count ? roi->floats[plan->rank + a] : 1;
    bool whole = !plan->crop || (fabs(axis->roi_start) < 1e-9 && fabs(axis->roi_end - 1) < 1e-9);
    axis->resized = !(axis->in == axis->out && fabs(axis->scale - 1) <= 1e-9 && whole);
    axis->taps = resize_taps(plan, axis->scale);
    if (axis->resized && !indexable(call, axis->in, tsl_type_elements(&call->output_types[0]), a)) {
      return false;
    }
  }
  return true;
}

/* The input coordinate (f64) of output index `index`, in the reference's order of operations. */
static tsl_expr *resize_coordinate(const builder *b, const resize_plan *plan,
                                   const resize_axis *axis, tsl_expr *index) {
  tsl_expr *o = as_real(b, index);
  double in = (double)axis->in, length = axis->length;
  const char *mode = plan->coordinates;
  if (strcmp(mode, "align_corners") == 0) {
    return length == 1 ? constant(b, 0)
                       : divide(b, mul(b, o, constant(b, in - 1)), constant(b, length - 1));
  }
  if (strcmp(mode, "asymmetric") == 0) return divide(b, o, constant(b, axis->scale));
  if (plan->crop) {
    double span = axis->roi_end - axis->roi_start;
    tsl_expr *offset = length == 1
                           ? constant(b, span * (in - 1) / 2)
                           : divide(b, mul(b, mul(b, o, constant(b, span)), constant(b, in - 1)),
                                    constant(b, length - 1));
    return add(b, offset, constant(b, axis->roi_start * (in - 1)));
  }
  if (strcmp(mode, "pytorch_half_pixel") == 0 && length == 1) return constant(b, -0.5);
  tsl_expr *centre = divide(b, add(b, o, constant(b, 0.5)), constant(b, axis->scale));
  if (strcmp(mode, "half_pixel_symmetric") == 0) {
    double offset = in / 2 * (1 - (double)axis->out / length);
    centre = add(b, constant(b, offset), centre);
  }
  return sub(b, centre, constant(b, 0.5)); /* half_pixel, pytorch_half_pixel */
}

/* tf_crop_and_resize: whether output element `indices` maps outside the input on some axis. */
static tsl_expr *resize_outside(const builder *b, const resize_plan *plan,
                                tsl_expr *const *indices) {
  tsl_expr *outside = tsl_int(b->arena, TSL_DTYPE_BOOL, 0);
  for (int a = 0; a < plan->rank; a++) {
    const resize_axis *axis = &plan->axes[a];
    if (!axis->resized) continue;
    tsl_expr *x = resize_coordinate(b, plan, axis, indices[a]);
    outside = either(b, outside, either(b, less(b, x, 0), greater(b, x, (double)axis->in - 1)));
  }
  return outside;
}

/* Where the taps of output index `index` lie, as the reference places them, rounding
 * included: `first` (f64, integral) is the first tap's input index, and `ratio` the
 * coordinate's distance from the tap below it, in (0, 1] (an integral coordinate counts as the
 * right end of the interval below it). The reference finds the first tap from the coordinate
 * shifted by taps/2, so a coordinate a rounding step above an integer may count as that integer
 * there while its ratio stays tiny; following it keeps the results identical. */
static void resize_point(const builder *b, const resize_plan *plan, const resize_axis *axis,
                         tsl_expr *index, tsl_expr **first, tsl_expr **ratio) {
  tsl_expr *x = resize_coordinate(b, plan, axis, index), *below = math(b, TSL_MATH_floor, x);
  tsl_expr *integral = tsl_binary(b->arena, TSL_EXPR_EQ, x, below);
  *ratio = tsl_select(b->arena, integral, constant(b, 1), sub(b, x, below));
  tsl_expr *shifted = add(b, x, constant(b, axis->taps / 2));
  tsl_expr *shifted_below = math(b, TSL_MATH_floor, shifted);
  tsl_expr *on_integer = tsl_binary(b->arena, TSL_EXPR_EQ, shifted, shifted_below);
  tsl_expr *step = tsl_select(b->arena, on_integer, constant(b, 0), constant(b, 1));
  *first = add(b, sub(b, shifted_below, constant(b, axis->taps)), step);
}

/* The input index nearest to output index `index`: of the two taps around the coordinate,
 * the upper one when the coordinate is integral or nearest_mode rounds its ratio up. */
static tsl_expr *resize_nearest_index(tsl_compute_call *call, const builder *b,
                                      const resize_plan *plan, const resize_axis *axis,
                                      tsl_expr *index) {
  tsl_expr *first, *ratio, *up;
  resize_point(b, plan, axis, index, &first, &ratio);
  if (string_attr_is(call, "nearest_mode", "round_prefer_floor")) {
    up = greater(b, ratio, 0.5);
  } else if (string_attr_is(call, "nearest_mode", "round_prefer_ceil")) {
    up = tsl_binary(b->arena, TSL_EXPR_GE, ratio, constant(b, 0.5));
  } else {
    up = tsl_int(b->arena, TSL_DTYPE_BOOL, string_attr_is(call, "nearest_mode", "ceil"));
  }
  tsl_expr *upper = either(b, up, tsl_binary(b->arena, TSL_EXPR_EQ, ratio, constant(b, 1)));
  tsl_expr *chosen = tsl_select(b->arena, upper, add(b, first, constant(b, 1)), first);
  return clamp_index(b->arena, tsl_cast(b->arena, TSL_DTYPE_I64, chosen), 0, axis->in - 1);
}

static bool resize_nearest(tsl_compute_call *call, const resize_plan *plan) {
  tsl_te_tensor *out = compute_output(call, 0);
  builder b = {arena_of(call), TSL_DTYPE_F64};
  tsl_expr *indices[TSL_MAX_RANK], *source[TSL_MAX_RANK];
  compute_axes(call, out, indices);
  for (int a = 0; a < plan->rank; a++) {
    const resize_axis *axis = &plan->axes[a];
    source[a] = axis->resized ? resize_nearest_index(call, &b, plan, axis, indices[a]) : indices[a];
  }
  tsl_expr *value = tsl_te_read(call->program, call->inputs[0], source);
  if (plan->crop) {
    tsl_expr *fill =
        tsl_const(b.arena, out->type.dtype, compute_attr(call, "extrapolation_value")->f);
    value = tsl_select(b.arena, resize_outside(&b, plan, indices), fill, value);
  }
  out->body = value;
  return true;
}

/* The weight (f64, not normalised) of tap `tap` of output index `index`: the kernel at the
 * tap's distance from the coordinate, tap j lying at 1 - taps/2 + j from the tap below it. */
static tsl_expr *resize_weight(const builder *b, const resize_plan *plan, const resize_axis *axis,
                               tsl_expr *index, tsl_expr *tap) {
  tsl_expr *first, *ratio;
  resize_point(b, plan, axis, index, &first, &ratio);
  tsl_expr *offset = add(b, as_real(b, tap), constant(b, 1 - axis->taps / 2));
  tsl_expr *distance = sub(b, offset, ratio);
  if (plan->antialias) distance = mul(b, distance, constant(b, fmin(axis->scale, 1)));
  tsl_expr *weight = strcmp(plan->mode, "cubic") == 0 ? cubic_kernel(b, plan->cubic_a, distance)
                                                      : linear_kernel(b, distance);
  if (!plan->exclude_outside) return weight;
  tsl_expr *position = add(b, first, as_real(b, tap));
  tsl_expr *outside = either(b, less(b, position, 0), greater(b, position, (double)axis->in - 1));
  return tsl_select(b->arena, outside, constant(b, 0), weight);
}

/* Per resized axis, stages indexed by the output index: where its taps start, and their
 * weights (in dtype), divided by their sum with antialias or exclude_outside. */
typedef struct resize_table {
  tsl_te_tensor *start, *weights;
} resize_table;

static resize_table resize_tables(tsl_compute_call *call, const resize_plan *plan,
                                  const resize_axis *axis, tsl_dtype dtype) {
  builder b = {arena_of(call), TSL_DTYPE_F64};
  resize_table table;
  tsl_type type = tsl_type_make(TSL_DTYPE_I64, 1, &axis->out);
  table.start = tsl_te_compute(call->program, "resize_start", &type);
  tsl_expr *first, *ratio;
  resize_point(&b, plan, axis, tsl_te_axis(call->program, table.start, 0), &first, &ratio);
  table.start->body = tsl_cast(b.arena, TSL_DTYPE_I64, first);
  tsl_te_tensor *total = NULL;
  if (plan->antialias || plan->exclude_outside) {
    type.dtype = TSL_DTYPE_F64;
    total = tsl_te_compute(call->program, "resize_weight_sum", &type);
    tsl_iter tap = tsl_te_reduce_axis(call->program, "k", axis->taps);
    tsl_expr *weight = resize_weight(&b, plan, axis, tsl_te_axis(call->program, total, 0),
                                     tsl_var_ref(b.arena, tap.var));
    total->body = tsl_reduce(b.arena, TSL_REDUCE_SUM, weight, 1, &tap, NULL);
  }
  int64_t dims[] = {axis->out, axis->taps};
  type = tsl_type_make(dtype, 2, dims);
  table.weights = tsl_te_compute(call->program, "resize_weights", &type);
  tsl_expr *at[2];
  compute_axes(call, table.weights, at);
  tsl_expr *weight = resize_weight(&b, plan, axis, at[0], at[1]);
  if (total) {
    tsl_expr *sum = tsl_te_read(call->program, total, at);
    tsl_expr *nothing = tsl_binary(b.arena, TSL_EXPR_EQ, sum, constant(&b, 0));
    weight = divide(&b, weight, tsl_select(b.arena, nothing, constant(&b, 1), sum));
  }
  table.weights->body = tsl_cast(b.arena, dtype, weight);
  return table;
}

/* Linear and cubic: a reduction over the taps of every resized axis, each input element
 * weighed by the product of its taps' weights. */
static bool resize_interpolate(tsl_compute_call *call, const resize_plan *plan) {
  const tsl_te_tensor *x = call->inputs[0];
  tsl_dtype out_dtype = call->output_types[0].dtype, dtype = sampling_dtype(out_dtype);
  builder b = {arena_of(call), dtype};
  resize_table tables[TSL_MAX_RANK];
  for (int a = 0; a < plan->rank; a++) {
    if (plan->axes[a].resized) tables[a] = resize_tables(call, plan, &plan->axes[a], dtype);
  }
  tsl_te_tensor *sum = plan->crop ? output_stage(call, dtype) : output_in(call, dtype);
  tsl_expr *indices[TSL_MAX_RANK], *source[TSL_MAX_RANK], *weight = NULL;
  tsl_iter taps[TSL_MAX_RANK];
  int count = 0;
  compute_axes(call, sum, indices);
  for (int a = 0; a < plan->rank; a++) {
    const resize_axis *axis = &plan->axes[a];
    source[a] = indices[a];
    if (!axis->resized) continue;
    taps[count] = tsl_te_reduce_axis(call->program, "k", axis->taps);
    tsl_expr *tap = tsl_var_ref(b.arena, taps[count++].var), *at[] = {indices[a], tap};
    tsl_expr *first = tsl_te_read(call->program, tables[a].start, &indices[a]);
    source[a] = clamp_index(b.arena, TSL_ADD(b.arena, first, tap), 0, axis->in - 1);
    tsl_expr *tap_weight = tsl_te_read(call->program, tables[a].weights, at);
    weight = weight ? mul(&b, weight, tap_weight) : tap_weight;
  }
  tsl_expr *value = as_real(&b, tsl_te_read(call->program, x, source));
  sum->body = weight
                  ? tsl_reduce(b.arena, TSL_REDUCE_SUM, mul(&b, weight, value), count, taps, NULL)
                  : value;
  if (!plan->crop) {
    finish_output(call, sum);
    return true;
  }
  tsl_te_tensor *out = compute_output(call, 0);
  compute_axes(call, out, indices);
  builder coordinates = {b.arena, TSL_DTYPE_F64};
  tsl_expr *fill = tsl_const(b.arena, out_dtype, compute_attr(call, "extrapolation_value")->f);
  out->body = tsl_select(b.arena, resize_outside(&coordinates, plan, indices), fill,
                         narrowed(b.arena, out_dtype, tsl_te_read(call->program, sum, indices)));
  return true;
}

bool tsl_compute_resize(tsl_compute_call *call) {
  resize_plan plan;
  if (!resize_plan_make(call, &plan)) return false;
  if (strcmp(plan.mode, "nearest") == 0) return resize_nearest(call, &plan);
  return resize_interpolate(call, &plan);
}

/* grid_sample: grid [N, H…, n] holds, per output point, normalised coordinates into x's n
 * spatial axes, the last axis first. Per spatial axis a stage holds each point's coordinate in
 * pixels, after padding_mode's fix-ups, and (linear, cubic) a stage the weights of its taps. */
typedef struct grid_plan {
  const char *padding;
  bool align_corners;
  int axes;        /* spatial axes */
  int taps;        /* per axis: 1 (nearest), 2 (linear) or 4 (cubic) */
  tsl_dtype dtype; /* what it computes in */
} grid_plan;

/* x reflected at low and high until it lies between them (reflection padding). */
static tsl_expr *reflect(const builder *b, tsl_expr *x, double low, double high) {
  double range = high - low;
  if (range <= 0) return constant(b, low); /* an axis of one pixel, with align_corners */
  tsl_expr *below = less(b, x, low);
  tsl_expr *distance =
      tsl_select(b->arena, below, sub(b, constant(b, low), x), sub(b, x, constant(b, high)));
  tsl_expr *flips = math(b, TSL_MATH_floor, divide(b, distance, constant(b, range)));
  tsl_expr *rest = sub(b, distance, mul(b, flips, constant(b, range)));
  tsl_expr *even =
      tsl_binary(b->arena, TSL_EXPR_EQ, tsl_call(b->arena, TSL_MATH_fmod, flips, constant(b, 2)),
                 constant(b, 0));
  tsl_expr *from_low = tsl_binary(b->arena, TSL_EXPR_EQ, below, even);
  tsl_expr *back = tsl_select(b->arena, from_low, add(b, constant(b, low), rest),
                              sub(b, constant(b, high), rest));
  return tsl_select(b->arena, either(b, below, greater(b, x, high)), back, x);
}

/* The borders a coordinate is reflected at or, with border padding, clamped beyond. */
static void grid_borders(const grid_plan *plan, int64_t size, double *low, double *high) {
  *low = plan->align_corners ? 0 : -0.5;
  *high = plan->align_corners ? (double)size - 1 : (double)size - 0.5;
}

static tsl_te_tensor *grid_coordinates(tsl_compute_call *call, const grid_plan *plan, int axis) {
  const tsl_te_tensor *grid = call->inputs[1];
  builder b = {arena_of(call), plan->dtype};
  tsl_type type = grid->type;
  type.rank--;
  type.dtype = plan->dtype;
  tsl_te_tensor *coordinates = tsl_te_compute(call->program, "grid_sample_coordinates", &type);
  tsl_expr *at[TSL_MAX_RANK];
  compute_axes(call, coordinates, at);
  at[type.rank] = tsl_index(b.arena, plan->axes - 1 - axis);
  tsl_expr *g = add(&b, as_real(&b, tsl_te_read(call->program, grid, at)), constant(&b, 1));
  int64_t size = call->inputs[0]->type.dims[2 + axis];
  tsl_expr *x = plan->align_corners
                    ? mul(&b, divide(&b, g, constant(&b, 2)), constant(&b, (double)size - 1))
                    : divide(&b, sub(&b, mul(&b, g, constant(&b, (double)size)), constant(&b, 1)),
                             constant(&b, 2));
  if (plan->taps == 1) x = math(&b, TSL_MATH_round, x);
  double low, high;
  grid_borders(plan, size, &low, &high);
  if (strcmp(plan->padding, "border") == 0) {
    tsl_expr *clamped =
        tsl_binary(b.arena, TSL_EXPR_MIN, tsl_binary(b.arena, TSL_EXPR_MAX, x, constant(&b, 0)),
                   constant(&b, (double)size - 1));
    x = tsl_select(b.arena, either(&b, less(&b, x, low), greater(&b, x, high)), clamped, x);
  } else if (strcmp(plan->padding, "reflection") == 0) {
    x = reflect(&b, x, low, high);
  }
  coordinates->body = x;
  return coordinates;
}

/* Taps per axis: nearest reads one pixel, linear two, cubic four. */
static int grid_taps(const char *mode) {
  return strcmp(mode, "nearest") == 0 ? 1 : strcmp(mode, "linear") == 0 ? 2 : 4;
}

/* The first tap of a coordinate lies at floor(x) + first_tap. */
static int grid_first_tap(const grid_plan *plan) { return plan->taps == 4 ? -1 : 0; }

static tsl_te_tensor *grid_weights(tsl_compute_call *call, const grid_plan *plan,
                                   const tsl_te_tensor *coordinates) {
  builder b = {arena_of(call), plan->dtype};
  tsl_type type = coordinates->type;
  type.dims[type.rank++] = plan->taps;
  tsl_te_tensor *weights = tsl_te_compute(call->program, "grid_sample_weights", &type);
  tsl_expr *at[TSL_MAX_RANK];
  compute_axes(call, weights, at);
  tsl_expr *x = tsl_te_read(call->program, coordinates, at);
  tsl_expr *fraction = sub(&b, x, math(&b, TSL_MATH_floor, x));
  tsl_expr *offset = add(&b, as_real(&b, at[type.rank - 1]), constant(&b, grid_first_tap(plan)));
  tsl_expr *distance = sub(&b, offset, fraction);
  weights->body = plan->taps == 4 ? cubic_kernel(&b, -0.75, distance) : linear_kernel(&b, distance);
  return weights;
}

/* x[n, c, positions…] in the working dtype, read as padding_mode says where a position lies
 * outside x: zeros, the nearest border pixel, or the pixel reflected back inside. */
static tsl_expr *grid_pixel(tsl_compute_call *call, const grid_plan *plan, tsl_expr *const *indices,
                            tsl_expr *const *positions) {
  const tsl_te_tensor *x = call->inputs[0];
  builder b = {arena_of(call), plan->dtype};
  bool zeros = strcmp(plan->padding, "zeros") == 0,
       reflection = strcmp(plan->padding, "reflection") == 0;
  tsl_expr *source[TSL_MAX_RANK] = {indices[0], indices[1]}, *inside = NULL;
  for (int a = 0; a < plan->axes; a++) {
    int64_t size = x->type.dims[2 + a];
    tsl_expr *position = positions[a];
    if (zeros) inside = both(b.arena, inside, in_range(b.arena, position, 0, size));
    if (reflection) {
      double low, high;
      grid_borders(plan, size, &low, &high);
      position = tsl_cast(b.arena, TSL_DTYPE_I64, reflect(&b, as_real(&b, position), low, high));
    }
    source[2 + a] = clamp_index(b.arena, position, 0, size - 1);
  }
  tsl_expr *value = as_real(&b, tsl_te_read(call->program, x, source));
  return inside ? tsl_select(b.arena, inside, value, constant(&b, 0)) : value;
}

bool tsl_compute_grid_sample(tsl_compute_call *call) {
  const tsl_te_tensor *x = call->inputs[0];
  grid_plan plan = {
      .padding = compute_attr(call, "padding_mode")->s,
      .align_corners = compute_attr(call, "align_corners")->i != 0,
      .axes = x->type.rank - 2,
      .taps = grid_taps(compute_attr(call, "mode")->s),
      .dtype = sampling_dtype(x->type.dtype),
  };
  tsl_te_tensor *coordinates[TSL_MAX_RANK], *weights[TSL_MAX_RANK];
  for (int a = 0; a < plan.axes; a++) {
    if (!indexable(call, x->type.dims[2 + a], tsl_type_elements(&call->output_types[0]), 2 + a)) {
      return false;
    }
    coordinates[a] = grid_coordinates(call, &plan, a);
    weights[a] = plan.taps > 1 ? grid_weights(call, &plan, coordinates[a]) : NULL;
  }
  tsl_te_tensor *sum = output_in(call, plan.dtype);
  builder b = {arena_of(call), plan.dtype};
  tsl_expr *indices[TSL_MAX_RANK], *point[TSL_MAX_RANK + 1], *positions[TSL_MAX_RANK],
      *weight = NULL;
  tsl_iter taps[TSL_MAX_RANK];
  compute_axes(call, sum, indices);
  point[0] = indices[0];
  memcpy(point + 1, indices + 2, sizeof(tsl_expr *) * (size_t)plan.axes);
  for (int a = 0; a < plan.axes; a++) {
    tsl_expr *coordinate = tsl_te_read(call->program, coordinates[a], point);
    if (plan.taps == 1) {
      positions[a] = tsl_cast(b.arena, TSL_DTYPE_I64, coordinate);
      continue;
    }
    taps[a] = tsl_te_reduce_axis(call->program, "k", plan.taps);
    tsl_expr *tap = tsl_var_ref(b.arena, taps[a].var);
    tsl_expr *first = tsl_cast(b.arena, TSL_DTYPE_I64, math(&b, TSL_MATH_floor, coordinate));
    positions[a] =
        TSL_ADD(b.arena, TSL_ADD(b.arena, first, tsl_index(b.arena, grid_first_tap(&plan))), tap);
    point[plan.axes + 1] = tap;
    tsl_expr *tap_weight = tsl_te_read(call->program, weights[a], point);
    weight = weight ? mul(&b, weight, tap_weight) : tap_weight;
  }
  tsl_expr *value = grid_pixel(call, &plan, indices, positions);
  sum->body =
      weight ? tsl_reduce(b.arena, TSL_REDUCE_SUM, mul(&b, weight, value), plan.axes, taps, NULL)
             : value;
  finish_output(call, sum);
  return true;
}

/* Where point `index` of an axis of `size` points lies in [-1, 1]: pixel centres, or with
 * align_corners the corner pixels' centres at -1 and 1 (as numpy's arange steps). */
static tsl_expr *affine_base(const builder *b, tsl_expr *index, int64_t size, bool align_corners) {
  if (align_corners && size == 1) return constant(b, -1);
  double step = align_corners ? 2.0 / (double)(size - 1) : 2.0 / (double)size;
  double start = align_corners ? -1 : -1 + step / 2;
  return add(b, constant(b, start), mul(b, as_real(b, index), constant(b, step)));
}

/* grid[n, point…, i] = row i of theta[n] times the point's homogeneous base coordinates
 * (x, y, (z,) 1), x running along the last axis; computed in f64. */
bool tsl_compute_affine_grid(tsl_compute_call *call) {
  tsl_te_tensor *out = compute_output(call, 0);
  const tsl_attr *size = compute_attr(call, "size");
  bool align_corners = compute_attr(call, "align_corners")->i != 0;
  builder b = {arena_of(call), TSL_DTYPE_F64};
  int axes = size->count - 2;
  tsl_expr *indices[TSL_MAX_RANK], *sum = NULL;
  compute_axes(call, out, indices);
  for (int j = 0; j <= axes; j++) {
    tsl_expr *at[] = {indices[0], indices[axes + 1], tsl_index(b.arena, j)};
    tsl_expr *term = as_real(&b, tsl_te_read(call->program, call->inputs[0], at));
    if (j < axes)
      term = mul(&b, term,
                 affine_base(&b, indices[axes - j], size->ints[1 + axes - j], align_corners));
    sum = sum ? add(&b, sum, term) : term;
  }
  out->body = tsl_cast(b.arena, out->type.dtype, sum);
  return true;
}
