/* Compute rules of reductions, scans, normalisation and the operators that work along an axis.
 * A reduction is a compute whose body reduces at the top; what follows it (a mean's division, a
 * logarithm, a square root) is a further compute that reads it. Scans, top-k and determinants
 * are sequential: extern statements write them. */
#include <stdio.h>

#include "ir/check.h"
#include "ir/ops/compute.h"

/* ---- expressions ------------------------------------------------------------------------- */

static tsl_arena *arena_of(const tsl_compute_call *call) { return call->program->func->arena; }

static tsl_expr *add(tsl_arena *arena, tsl_expr *x, tsl_expr *y) { return tsl_binary(arena, TSL_EXPR_ADD, x, y); }
static tsl_expr *sub(tsl_arena *arena, tsl_expr *x, tsl_expr *y) { return tsl_binary(arena, TSL_EXPR_SUB, x, y); }
static tsl_expr *mul(tsl_arena *arena, tsl_expr *x, tsl_expr *y) { return tsl_binary(arena, TSL_EXPR_MUL, x, y); }
static tsl_expr *divide(tsl_arena *arena, tsl_expr *x, tsl_expr *y) { return tsl_binary(arena, TSL_EXPR_DIV, x, y); }
static tsl_expr *minimum(tsl_arena *arena, tsl_expr *x, tsl_expr *y) { return tsl_binary(arena, TSL_EXPR_MIN, x, y); }
static tsl_expr *maximum(tsl_arena *arena, tsl_expr *x, tsl_expr *y) { return tsl_binary(arena, TSL_EXPR_MAX, x, y); }
static tsl_expr *both(tsl_arena *arena, tsl_expr *x, tsl_expr *y) { return tsl_binary(arena, TSL_EXPR_AND, x, y); }
static tsl_expr *either(tsl_arena *arena, tsl_expr *x, tsl_expr *y) { return tsl_binary(arena, TSL_EXPR_OR, x, y); }
static tsl_expr *negate(tsl_arena *arena, tsl_expr *x) { return tsl_unary(arena, TSL_EXPR_NEG, x); }
static tsl_expr *math(tsl_arena *arena, tsl_math f, tsl_expr *x) { return tsl_call(arena, f, x, NULL); }

/* A constant of the dtype of `like`. */
static tsl_expr *constant(tsl_arena *arena, const tsl_expr *like, double value) {
  return tsl_const(arena, like->dtype, value);
}

/* 1/√(x + ε) */
static tsl_expr *inverse_root(tsl_arena *arena, tsl_expr *x, double epsilon) {
  tsl_expr *root = math(arena, TSL_MATH_sqrt, add(arena, x, constant(arena, x, epsilon)));
  return divide(arena, constant(arena, x, 1), root);
}

/* f16 and bf16 values compute in f32 and are rounded once, at the end, as the elementwise
 * rules do; sums and products accumulate in f32 too. */
static tsl_dtype widened_dtype(tsl_dtype dtype) {
  return dtype == TSL_DTYPE_F16 || dtype == TSL_DTYPE_BF16 ? TSL_DTYPE_F32 : dtype;
}

/* Where a float function meets an integer value (the log of an integer sum), it takes f64. */
static tsl_expr *as_float(tsl_arena *arena, tsl_expr *value) {
  if (tsl_dtype_is_float(value->dtype)) return value;
  return tsl_cast(arena, TSL_DTYPE_F64, value);
}

static tsl_expr *read_as(tsl_compute_call *call, const tsl_te_tensor *tensor,
                         tsl_expr *const *indices, tsl_dtype dtype) {
  return tsl_cast(arena_of(call), dtype, tsl_te_read(call->program, tensor, indices));
}

/* Input `input`, one value per channel ([C], x's axis 1), at x's indices. */
static tsl_expr *read_channel(tsl_compute_call *call, int input, tsl_expr *const *x_indices,
                              tsl_dtype dtype) {
  return read_as(call, call->inputs[input], &x_indices[1], dtype);
}

/* Input `input`, which broadcasts to x (rank `rank`), at x's indices. */
static tsl_expr *read_broadcast_as(tsl_compute_call *call, int input, int rank,
                                   tsl_expr *const *x_indices, tsl_dtype dtype) {
  tsl_expr *value = compute_read_broadcast(call, call->inputs[input], rank, x_indices);
  return tsl_cast(arena_of(call), dtype, value);
}

static int axis_attr(const tsl_compute_call *call, const char *name, int rank) {
  int64_t axis = compute_attr(call, name)->i;
  return (int)(axis < 0 ? axis + rank : axis);
}

static double epsilon_of(const tsl_compute_call *call) {
  return compute_attr(call, "epsilon")->f;
}

/* Output `index` as a compute, and its axis variables in `at`. */
static tsl_te_tensor *output_at(tsl_compute_call *call, int index, tsl_expr **at) {
  tsl_te_tensor *out = compute_output(call, index);
  compute_axes(call, out, at);
  return out;
}

/* A tensor the kernel computes for itself, named after the operator and what it holds. */
static tsl_te_tensor *scratch(tsl_compute_call *call, const char *what, const tsl_type *type) {
  char name[64];
  snprintf(name, sizeof(name), "%s_%s", call->op->name, what);
  return tsl_te_compute(call->program, name, type);
}

/* ---- reductions -------------------------------------------------------------------------- */

/* What a reduction folds: some axes of `shape`, which is x's shape, or (for group_norm) x's
 * shape with its channels split into [groups, channels / groups]. */
typedef struct reduction {
  tsl_compute_call *call;
  const tsl_te_tensor *x;
  tsl_type shape;
  int64_t groups; /* 0: `shape` is x's */
  bool reduced[TSL_MAX_RANK];
  bool keepdims; /* folded axes stay, as 1s */
} reduction;

static reduction reduction_of(tsl_compute_call *call, bool keepdims) {
  return (reduction){.call = call, .x = call->inputs[0], .shape = call->inputs[0]->type,
                     .keepdims = keepdims};
}

/* The axes from `first` on, kept as 1s: what the normalisations fold. */
static reduction reduction_from(tsl_compute_call *call, int first) {
  reduction r = reduction_of(call, true);
  for (int axis = first; axis < r.shape.rank; axis++) r.reduced[axis] = true;
  return r;
}

static reduction reduction_along(tsl_compute_call *call, int axis, bool keepdims) {
  reduction r = reduction_of(call, keepdims);
  r.reduced[axis] = true;
  return r;
}

static tsl_type reduced_type(const reduction *r, tsl_dtype dtype) {
  tsl_type type = {.dtype = dtype};
  for (int axis = 0; axis < r->shape.rank; axis++) {
    if (!r->reduced[axis]) type.dims[type.rank++] = r->shape.dims[axis];
    else if (r->keepdims) type.dims[type.rank++] = 1;
  }
  return type;
}

/* How many elements one fold takes in. */
static int64_t fold_count(const reduction *r) {
  int64_t count = 1;
  for (int axis = 0; axis < r->shape.rank; axis++) {
    if (r->reduced[axis]) count *= r->shape.dims[axis];
  }
  return count;
}

/* x at indices of r's shape, as dtype. */
static tsl_expr *read_x(const reduction *r, tsl_expr *const *indices, tsl_dtype dtype) {
  if (!r->groups) return read_as(r->call, r->x, indices, dtype);
  tsl_arena *arena = arena_of(r->call);
  tsl_expr *x_indices[TSL_MAX_RANK];
  x_indices[0] = indices[0];
  x_indices[1] = add(arena, mul(arena, indices[1], tsl_index(arena, r->shape.dims[2])), indices[2]);
  for (int axis = 2; axis < r->x->type.rank; axis++) x_indices[axis] = indices[axis + 1];
  return read_as(r->call, r->x, x_indices, dtype);
}

/* A stage of the reduced shape, in dtype; the caller sets its body. */
static tsl_te_tensor *stage(const reduction *r, const char *what, tsl_dtype dtype) {
  tsl_type type = reduced_type(r, dtype);
  return scratch(r->call, what, &type);
}

/* What one element of a reduced tensor folds: `at` are the tensor's own indices, `source` the
 * indices of r's shape, with a reduction variable on each folded axis. */
typedef struct fold {
  tsl_expr *at[TSL_MAX_RANK];
  tsl_expr *source[TSL_MAX_RANK];
  tsl_iter axes[TSL_MAX_RANK];
  int num_axes;
} fold;

static fold fold_of(const reduction *r, const tsl_te_tensor *reduced) {
  tsl_compute_call *call = r->call;
  fold f = {.num_axes = 0};
  compute_axes(call, reduced, f.at);
  int position = 0;
  for (int axis = 0; axis < r->shape.rank; axis++) {
    if (!r->reduced[axis]) {
      f.source[axis] = f.at[position++];
      continue;
    }
    char name[16];
    snprintf(name, sizeof(name), "r%d", axis);
    f.axes[f.num_axes] = tsl_te_reduce_axis(call->program, name, r->shape.dims[axis]);
    f.source[axis] = tsl_var_ref(arena_of(call), f.axes[f.num_axes++].var);
    position += r->keepdims;
  }
  return f;
}

/* reducer over the fold of `value` (an expression of f->source) where `condition` holds (NULL:
 * everywhere). */
static tsl_expr *fold_body(const reduction *r, const fold *f, tsl_reducer reducer,
                           tsl_expr *value, tsl_expr *condition) {
  tsl_arena *arena = arena_of(r->call);
  tsl_expr *identity = tsl_reducer_identity(arena, reducer, value->dtype);
  if (f->num_axes == 0) return condition ? tsl_select(arena, condition, value, identity) : value;
  return tsl_reduce(arena, reducer, value, f->num_axes, f->axes, condition);
}

/* A stage that keeps its folded axes, read at indices of r's shape. */
static tsl_expr *stat_at(const reduction *r, const tsl_te_tensor *stat, tsl_expr *const *indices) {
  TSL_CHECK(r->keepdims);
  return compute_read_broadcast(r->call, stat, r->shape.rank, indices);
}

/* ---- reduce_* ---------------------------------------------------------------------------- */

static tsl_reducer reducer_of(tsl_op_kind kind) {
  switch (kind) {
  case TSL_OP_reduce_max: return TSL_REDUCE_MAX;
  case TSL_OP_reduce_min: return TSL_REDUCE_MIN;
  case TSL_OP_reduce_prod: return TSL_REDUCE_PROD;
  default: return TSL_REDUCE_SUM;
  }
}

/* What each element contributes: |x| for l1, x² for l2 and sum_square, x itself otherwise. */
static tsl_expr *reduce_term(const tsl_compute_call *call, tsl_expr *x) {
  tsl_arena *arena = arena_of(call);
  switch (call->op->kind) {
  case TSL_OP_reduce_l1:
    if (tsl_dtype_is_float(x->dtype)) return math(arena, TSL_MATH_fabs, x);
    if (!tsl_dtype_is_signed(x->dtype)) return x;
    return tsl_select(arena, tsl_binary(arena, TSL_EXPR_LT, x, constant(arena, x, 0)), negate(arena, x), x);
  case TSL_OP_reduce_l2:
  case TSL_OP_reduce_sum_square: return mul(arena, x, x);
  default: return x;
  }
}

/* Whether something follows the fold: the mean's division (truncating for integers, as numpy's
 * mean cast back), l2's root, log_sum's logarithm. */
static bool reduce_has_finish(tsl_op_kind kind) {
  return kind == TSL_OP_reduce_mean || kind == TSL_OP_reduce_l2 || kind == TSL_OP_reduce_log_sum;
}

static tsl_expr *reduce_finish(const tsl_compute_call *call, tsl_expr *folded, int64_t count) {
  tsl_arena *arena = arena_of(call);
  switch (call->op->kind) {
  case TSL_OP_reduce_mean: return divide(arena, folded, constant(arena, folded, (double)count));
  case TSL_OP_reduce_l2: return math(arena, TSL_MATH_sqrt, as_float(arena, folded));
  case TSL_OP_reduce_log_sum: return math(arena, TSL_MATH_log, as_float(arena, folded));
  default: TSL_UNREACHABLE();
  }
}

/* The largest finite x of a fold, at the fold's indices; 0 where it has none. */
static tsl_expr *shift_at(const reduction *r, const tsl_te_tensor *largest, tsl_expr *const *at) {
  tsl_arena *arena = arena_of(r->call);
  tsl_expr *value = tsl_te_read(r->call->program, largest, at);
  return tsl_select(arena, math(arena, TSL_MATH_isinf, value), constant(arena, value, 0), value);
}

/* log Σeˣ, with x shifted by its largest finite value so that eˣ cannot overflow, as the ONNX
 * reference shifts it. */
static bool reduce_log_sum_exp(const reduction *r) {
  tsl_compute_call *call = r->call;
  tsl_arena *arena = arena_of(call);
  tsl_dtype x_dtype = r->x->type.dtype;
  tsl_dtype dtype = tsl_dtype_is_float(x_dtype) ? widened_dtype(x_dtype) : TSL_DTYPE_F64;
  tsl_te_tensor *largest = stage(r, "largest", dtype);
  fold f = fold_of(r, largest);
  tsl_expr *x = read_x(r, f.source, dtype);
  tsl_expr *finite = tsl_unary(arena, TSL_EXPR_NOT, math(arena, TSL_MATH_isinf, x));
  largest->body = fold_body(r, &f, TSL_REDUCE_MAX, x, finite);

  tsl_te_tensor *sum = stage(r, "sum", dtype);
  f = fold_of(r, sum);
  tsl_expr *shifted = sub(arena, read_x(r, f.source, dtype), shift_at(r, largest, f.at));
  sum->body = fold_body(r, &f, TSL_REDUCE_SUM, math(arena, TSL_MATH_exp, shifted), NULL);

  tsl_expr *at[TSL_MAX_RANK];
  tsl_te_tensor *out = output_at(call, 0, at);
  tsl_expr *log_sum = math(arena, TSL_MATH_log, tsl_te_read(call->program, sum, at));
  out->body = tsl_cast(arena, out->type.dtype, add(arena, log_sum, shift_at(r, largest, at)));
  return true;
}

bool tsl_compute_reduce(tsl_compute_call *call) {
  const tsl_attr *axes = compute_attr(call, "axes");
  reduction r = reduction_of(call, compute_attr(call, "keepdims")->i != 0);
  int rank = r.shape.rank;
  for (int axis = 0; axis < rank; axis++) r.reduced[axis] = axes->count == 0;
  /* A 0-d x has nothing to fold, whichever axis (0 or -1) is listed. */
  for (int i = 0; rank > 0 && i < axes->count; i++) {
    r.reduced[axes->ints[i] < 0 ? axes->ints[i] + rank : axes->ints[i]] = true;
  }
  if (call->op->kind == TSL_OP_reduce_log_sum_exp) return reduce_log_sum_exp(&r);

  tsl_dtype dtype = widened_dtype(r.x->type.dtype);
  bool finish = reduce_has_finish(call->op->kind) || dtype != call->output_types[0].dtype;
  tsl_te_tensor *folded = finish ? stage(&r, "fold", dtype) : compute_output(call, 0);
  fold f = fold_of(&r, folded);
  tsl_expr *term = reduce_term(call, read_x(&r, f.source, dtype));
  folded->body = fold_body(&r, &f, reducer_of(call->op->kind), term, NULL);
  if (!finish) return true;

  tsl_expr *at[TSL_MAX_RANK];
  tsl_te_tensor *out = output_at(call, 0, at);
  tsl_expr *value = tsl_te_read(call->program, folded, at);
  if (reduce_has_finish(call->op->kind)) value = reduce_finish(call, value, fold_count(&r));
  out->body = tsl_cast(arena_of(call), out->type.dtype, value);
  return true;
}

/* ---- along one axis ---------------------------------------------------------------------- */

/* The first (or last) position along r's one folded axis that holds the fold's largest
 * (reducer MAX) or smallest (MIN) value, as i64 of r's reduced type: output 0, or a stage. A NaN
 * wins over every number and the first NaN is taken, as numpy's argmax and argmin do. */
static tsl_te_tensor *extreme_index(const reduction *r, tsl_reducer reducer, bool last,
                                    bool output) {
  tsl_arena *arena = arena_of(r->call);
  tsl_dtype dtype = r->x->type.dtype;
  tsl_te_tensor *extreme = stage(r, "extreme", dtype);
  fold f = fold_of(r, extreme);
  extreme->body = fold_body(r, &f, reducer, read_x(r, f.source, dtype), NULL);

  tsl_te_tensor *index = output ? compute_output(r->call, 0) : stage(r, "index", TSL_DTYPE_I64);
  f = fold_of(r, index);
  tsl_expr *x = read_x(r, f.source, dtype), *best = tsl_te_read(r->call->program, extreme, f.at);
  tsl_expr *hit = tsl_binary(arena, TSL_EXPR_EQ, x, best);
  if (tsl_dtype_is_float(dtype)) {
    tsl_expr *both_nan = both(arena, math(arena, TSL_MATH_isnan, x), math(arena, TSL_MATH_isnan, best));
    hit = either(arena, hit, both_nan);
  }
  tsl_expr *position = tsl_var_ref(arena, f.axes[0].var);
  index->body = fold_body(r, &f, last ? TSL_REDUCE_MAX : TSL_REDUCE_MIN, position, hit);
  return index;
}

bool tsl_compute_arg_reduce(tsl_compute_call *call) {
  int axis = axis_attr(call, "axis", call->inputs[0]->type.rank);
  reduction r = reduction_along(call, axis, compute_attr(call, "keepdims")->i != 0);
  tsl_reducer reducer = call->op->kind == TSL_OP_argmax ? TSL_REDUCE_MAX : TSL_REDUCE_MIN;
  extreme_index(&r, reducer, compute_attr(call, "select_last_index")->i != 0, true);
  return true;
}

bool tsl_compute_hardmax(tsl_compute_call *call) {
  tsl_arena *arena = arena_of(call);
  int axis = axis_attr(call, "axis", call->inputs[0]->type.rank);
  reduction r = reduction_along(call, axis, true);
  tsl_te_tensor *index = extreme_index(&r, TSL_REDUCE_MAX, false, false);
  tsl_expr *at[TSL_MAX_RANK];
  tsl_te_tensor *out = output_at(call, 0, at);
  tsl_expr *chosen = tsl_binary(arena, TSL_EXPR_EQ, at[axis], stat_at(&r, index, at));
  out->body = tsl_cast(arena, out->type.dtype, chosen);
  return true;
}

/* softmax: e^(x-max) / Σe^(x-max); log_softmax: (x-max) - log Σe^(x-max). */
bool tsl_compute_softmax(tsl_compute_call *call) {
  tsl_arena *arena = arena_of(call);
  int axis = axis_attr(call, "axis", call->inputs[0]->type.rank);
  reduction r = reduction_along(call, axis, true);
  tsl_dtype dtype = widened_dtype(r.x->type.dtype);
  tsl_te_tensor *largest = stage(&r, "max", dtype);
  fold f = fold_of(&r, largest);
  largest->body = fold_body(&r, &f, TSL_REDUCE_MAX, read_x(&r, f.source, dtype), NULL);

  tsl_te_tensor *sum = stage(&r, "sum", dtype);
  f = fold_of(&r, sum);
  tsl_expr *shifted = sub(arena, read_x(&r, f.source, dtype), stat_at(&r, largest, f.source));
  sum->body = fold_body(&r, &f, TSL_REDUCE_SUM, math(arena, TSL_MATH_exp, shifted), NULL);

  tsl_expr *at[TSL_MAX_RANK];
  tsl_te_tensor *out = output_at(call, 0, at);
  shifted = sub(arena, read_x(&r, at, dtype), stat_at(&r, largest, at));
  tsl_expr *total = stat_at(&r, sum, at);
  tsl_expr *value = call->op->kind == TSL_OP_softmax
                        ? divide(arena, math(arena, TSL_MATH_exp, shifted), total)
                        : sub(arena, shifted, math(arena, TSL_MATH_log, total));
  out->body = tsl_cast(arena, out->type.dtype, value);
  return true;
}

/* x / ‖x‖ₚ, and 0 where the norm is 0 (as the ONNX reference). */
bool tsl_compute_lp_norm(tsl_compute_call *call) {
  tsl_arena *arena = arena_of(call);
  int64_t p = compute_attr(call, "p")->i;
  if (p != 1 && p != 2) {
    return compute_fail(call, "lp_norm: p is %lld; ONNX defines p = 1 and p = 2", (long long)p);
  }
  int axis = axis_attr(call, "axis", call->inputs[0]->type.rank);
  reduction r = reduction_along(call, axis, true);
  tsl_dtype dtype = widened_dtype(r.x->type.dtype);
  tsl_te_tensor *norm = stage(&r, "norm", dtype);
  fold f = fold_of(&r, norm);
  tsl_expr *x = read_x(&r, f.source, dtype);
  tsl_expr *term = p == 1 ? math(arena, TSL_MATH_fabs, x) : mul(arena, x, x);
  norm->body = fold_body(&r, &f, TSL_REDUCE_SUM, term, NULL);

  tsl_expr *at[TSL_MAX_RANK];
  tsl_te_tensor *out = output_at(call, 0, at);
  tsl_expr *length = stat_at(&r, norm, at);
  if (p == 2) length = math(arena, TSL_MATH_sqrt, length);
  tsl_expr *zero = constant(arena, length, 0);
  tsl_expr *value = tsl_select(arena, tsl_binary(arena, TSL_EXPR_EQ, length, zero), zero,
                               divide(arena, read_x(&r, at, dtype), length));
  out->body = tsl_cast(arena, out->type.dtype, value);
  return true;
}

/* ---- normalisation ----------------------------------------------------------------------- */

/* Mean and variance over a reduction that keeps its axes, in two passes as numpy's var: Σx,
 * then Σ(x - mean)². */
typedef struct moments {
  const reduction *r;
  tsl_te_tensor *sum, *squares;
  double epsilon;
} moments;

static tsl_expr *mean_at(const moments *m, tsl_expr *const *indices) {
  tsl_arena *arena = arena_of(m->r->call);
  tsl_expr *sum = stat_at(m->r, m->sum, indices);
  return divide(arena, sum, constant(arena, sum, (double)fold_count(m->r)));
}

/* 1/√(variance + ε) */
static tsl_expr *inverse_deviation_at(const moments *m, tsl_expr *const *indices) {
  tsl_arena *arena = arena_of(m->r->call);
  tsl_expr *squares = stat_at(m->r, m->squares, indices);
  tsl_expr *variance = divide(arena, squares, constant(arena, squares, (double)fold_count(m->r)));
  return inverse_root(arena, variance, m->epsilon);
}

/* (x - mean) / √(variance + ε) at indices of r's shape. */
static tsl_expr *standardised_at(const moments *m, tsl_expr *const *indices) {
  tsl_arena *arena = arena_of(m->r->call);
  tsl_expr *x = read_x(m->r, indices, m->sum->type.dtype);
  return mul(arena, sub(arena, x, mean_at(m, indices)), inverse_deviation_at(m, indices));
}

static moments moments_of(const reduction *r, tsl_dtype dtype, double epsilon) {
  tsl_arena *arena = arena_of(r->call);
  moments m = {.r = r, .epsilon = epsilon};
  m.sum = stage(r, "sum", dtype);
  fold f = fold_of(r, m.sum);
  m.sum->body = fold_body(r, &f, TSL_REDUCE_SUM, read_x(r, f.source, dtype), NULL);
  m.squares = stage(r, "squares", dtype);
  f = fold_of(r, m.squares);
  tsl_expr *deviation = sub(arena, read_x(r, f.source, dtype), mean_at(&m, f.source));
  m.squares->body = fold_body(r, &f, TSL_REDUCE_SUM, mul(arena, deviation, deviation), NULL);
  return m;
}

/* The precision layer_norm, group_norm and rms_norm compute their statistics in. */
static tsl_dtype stash_type_of(const tsl_compute_call *call) {
  return compute_attr(call, "stash_type")->dtype;
}

/* scale · (x - mean) / √(var + ε) + bias, per channel, with given statistics (inference). */
bool tsl_compute_batch_norm(tsl_compute_call *call) {
  tsl_arena *arena = arena_of(call);
  tsl_expr *at[TSL_MAX_RANK];
  tsl_te_tensor *out = output_at(call, 0, at);
  tsl_dtype dtype = widened_dtype(out->type.dtype);
  tsl_expr *centred = sub(arena, read_as(call, call->inputs[0], at, dtype), read_channel(call, 3, at, dtype));
  tsl_expr *scaled = mul(arena, read_channel(call, 1, at, dtype), centred);
  tsl_expr *variance = read_channel(call, 4, at, dtype);
  tsl_expr *value = mul(arena, scaled, inverse_root(arena, variance, epsilon_of(call)));
  out->body = tsl_cast(arena, out->type.dtype, add(arena, value, read_channel(call, 2, at, dtype)));
  return true;
}

/* Statistics per sample and channel, over the spatial axes. */
bool tsl_compute_instance_norm(tsl_compute_call *call) {
  tsl_arena *arena = arena_of(call);
  reduction r = reduction_from(call, 2);
  tsl_dtype dtype = widened_dtype(r.x->type.dtype);
  moments m = moments_of(&r, dtype, epsilon_of(call));
  tsl_expr *at[TSL_MAX_RANK];
  tsl_te_tensor *out = output_at(call, 0, at);
  tsl_expr *value = mul(arena, read_channel(call, 1, at, dtype), standardised_at(&m, at));
  out->body = tsl_cast(arena, out->type.dtype, add(arena, value, read_channel(call, 2, at, dtype)));
  return true;
}

/* y = standardised x · scale + bias; the optional outputs are the mean and 1/σ, kept as 1s on
 * the normalised axes, in stash_type. */
bool tsl_compute_layer_norm(tsl_compute_call *call) {
  tsl_arena *arena = arena_of(call);
  int rank = call->inputs[0]->type.rank;
  reduction r = reduction_from(call, axis_attr(call, "axis", rank));
  tsl_dtype dtype = stash_type_of(call);
  moments m = moments_of(&r, dtype, epsilon_of(call));
  tsl_expr *at[TSL_MAX_RANK];
  tsl_te_tensor *out = output_at(call, 0, at);
  tsl_expr *value = mul(arena, standardised_at(&m, at), read_broadcast_as(call, 1, rank, at, dtype));
  if (call->num_inputs > 2 && call->inputs[2]) {
    value = add(arena, value, read_broadcast_as(call, 2, rank, at, dtype));
  }
  out->body = tsl_cast(arena, out->type.dtype, value);
  for (int i = 1; i < call->num_outputs; i++) {
    tsl_te_tensor *stat = output_at(call, i, at);
    stat->body = i == 1 ? mean_at(&m, at) : inverse_deviation_at(&m, at);
  }
  return true;
}

/* Statistics per sample and group of channels: x is read as [N, groups, C / groups, spatial…];
 * scale and bias are per channel. */
bool tsl_compute_group_norm(tsl_compute_call *call) {
  tsl_arena *arena = arena_of(call);
  const tsl_type *x = &call->inputs[0]->type;
  if (x->rank == TSL_MAX_RANK) {
    return compute_fail(call, "group_norm: x has rank %d; splitting its channels needs one more axis",
                        x->rank);
  }
  reduction r = reduction_of(call, true);
  r.groups = compute_attr(call, "num_groups")->i;
  int64_t group_size = x->dims[1] / r.groups;
  r.shape.rank = x->rank + 1;
  r.shape.dims[1] = r.groups;
  r.shape.dims[2] = group_size;
  for (int axis = 2; axis < x->rank; axis++) r.shape.dims[axis + 1] = x->dims[axis];
  for (int axis = 2; axis < r.shape.rank; axis++) r.reduced[axis] = true;
  tsl_dtype dtype = stash_type_of(call);
  moments m = moments_of(&r, dtype, epsilon_of(call));

  tsl_expr *at[TSL_MAX_RANK], *grouped[TSL_MAX_RANK];
  tsl_te_tensor *out = output_at(call, 0, at);
  tsl_expr *size = tsl_index(arena, group_size);
  grouped[0] = at[0];
  grouped[1] = tsl_binary(arena, TSL_EXPR_FLOOR_DIV, at[1], size);
  grouped[2] = tsl_binary(arena, TSL_EXPR_FLOOR_MOD, at[1], size);
  for (int axis = 2; axis < x->rank; axis++) grouped[axis + 1] = at[axis];
  tsl_expr *value = mul(arena, read_channel(call, 1, at, dtype), standardised_at(&m, grouped));
  out->body = tsl_cast(arena, out->type.dtype, add(arena, value, read_channel(call, 2, at, dtype)));
  return true;
}

/* x / √(mean(x²) + ε) · scale over the axes from `axis` on. */
bool tsl_compute_rms_norm(tsl_compute_call *call) {
  tsl_arena *arena = arena_of(call);
  int rank = call->inputs[0]->type.rank;
  reduction r = reduction_from(call, axis_attr(call, "axis", rank));
  tsl_dtype dtype = stash_type_of(call);
  tsl_te_tensor *squares = stage(&r, "squares", dtype);
  fold f = fold_of(&r, squares);
  tsl_expr *x = read_x(&r, f.source, dtype);
  squares->body = fold_body(&r, &f, TSL_REDUCE_SUM, mul(arena, x, x), NULL);

  tsl_expr *at[TSL_MAX_RANK];
  tsl_te_tensor *out = output_at(call, 0, at);
  tsl_expr *total = stat_at(&r, squares, at);
  tsl_expr *mean = divide(arena, total, constant(arena, total, (double)fold_count(&r)));
  tsl_expr *value = mul(arena, read_x(&r, at, dtype), inverse_root(arena, mean, epsilon_of(call)));
  value = mul(arena, value, read_broadcast_as(call, 1, rank, at, dtype));
  out->body = tsl_cast(arena, out->type.dtype, value);
  return true;
}

/* Σx² over the channels c - ⌊(size-1)/2⌋ … c + ⌈(size-1)/2⌉ that exist; the channel read is
 * clamped too, so that no load leaves x. */
static void lrn_window_sum(tsl_compute_call *call, tsl_te_tensor *squares, int64_t size) {
  tsl_arena *arena = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0];
  int64_t channels = x->type.dims[1];
  tsl_expr *at[TSL_MAX_RANK];
  compute_axes(call, squares, at);
  tsl_iter window = tsl_te_reduce_axis(call->program, "r", size);
  tsl_expr *first = sub(arena, at[1], tsl_index(arena, (size - 1) / 2));
  tsl_expr *channel = add(arena, first, tsl_var_ref(arena, window.var));
  tsl_expr *inside = both(arena, tsl_binary(arena, TSL_EXPR_GE, channel, tsl_index(arena, 0)),
                          tsl_binary(arena, TSL_EXPR_LT, channel, tsl_index(arena, channels)));
  at[1] = minimum(arena, maximum(arena, channel, tsl_index(arena, 0)), tsl_index(arena, channels - 1));
  tsl_expr *neighbour = read_as(call, x, at, squares->type.dtype);
  squares->body = tsl_reduce(arena, TSL_REDUCE_SUM, mul(arena, neighbour, neighbour), 1, &window, inside);
}

/* y = x / (bias + α/size · Σx²)^β, the sum over neighbouring channels. */
bool tsl_compute_lrn(tsl_compute_call *call) {
  tsl_arena *arena = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0];
  int64_t size = compute_attr(call, "size")->i;
  tsl_type type = x->type;
  type.dtype = widened_dtype(x->type.dtype);
  tsl_te_tensor *squares = scratch(call, "squares", &type);
  lrn_window_sum(call, squares, size);

  tsl_expr *at[TSL_MAX_RANK];
  tsl_te_tensor *out = output_at(call, 0, at);
  tsl_expr *sum = tsl_te_read(call->program, squares, at);
  tsl_expr *alpha = constant(arena, sum, compute_attr(call, "alpha")->f / (double)size);
  tsl_expr *base = add(arena, constant(arena, sum, compute_attr(call, "bias")->f), mul(arena, alpha, sum));
  tsl_expr *power = tsl_call(arena, TSL_MATH_pow, base, constant(arena, sum, compute_attr(call, "beta")->f));
  out->body = tsl_cast(arena, out->type.dtype, divide(arena, read_as(call, x, at, type.dtype), power));
  return true;
}

/* ---- sequential: extern statements ------------------------------------------------------- */

/* An extern tensor for output `index`, named as compute_output names computes. */
static tsl_te_tensor *extern_output(tsl_compute_call *call, int index) {
  char name[64];
  if (call->num_outputs == 1) snprintf(name, sizeof(name), "%s", call->op->name);
  else snprintf(name, sizeof(name), "%s_%d", call->op->name, index);
  tsl_te_tensor *tensor = tsl_te_extern(call->program, name, &call->output_types[index]);
  call->outputs[index] = tensor;
  return tensor;
}

/* A 0-d buffer for a statement's own use; the statement allocates it (tsl_alloc). */
static tsl_buffer *scalar_buffer(tsl_compute_call *call, const char *name, tsl_dtype dtype) {
  tsl_type type = tsl_type_scalar(dtype);
  return tsl_primfunc_buffer(call->program->func, name, &type, TSL_SCOPE_GLOBAL);
}

static tsl_expr *load_scalar(tsl_arena *arena, tsl_buffer *buffer) {
  return tsl_load(arena, buffer, 0, NULL);
}

static tsl_stmt *store_scalar(tsl_arena *arena, tsl_buffer *buffer, tsl_expr *value) {
  return tsl_store(arena, buffer, 0, NULL, value);
}

static tsl_var *loop_var(tsl_compute_call *call, const char *name) {
  return tsl_primfunc_var(call->program->func, name, TSL_DTYPE_I64);
}

/* for var in [min, min + extent) */
static tsl_stmt *loop(tsl_arena *arena, tsl_var *var, tsl_expr *min, tsl_expr *extent,
                      tsl_stmt *body) {
  return tsl_for(arena, var, min, extent, TSL_LOOP_SERIAL, body);
}

/* One loop variable per axis of a shape, and their references. */
static void axis_vars(tsl_compute_call *call, int rank, tsl_var **vars, tsl_expr **indices) {
  for (int axis = 0; axis < rank; axis++) {
    char name[16];
    snprintf(name, sizeof(name), "a%d", axis);
    vars[axis] = loop_var(call, name);
    indices[axis] = tsl_var_ref(arena_of(call), vars[axis]);
  }
}

/* body inside loops over every axis of `type` but `skip` (-1: none), outermost first. */
static tsl_stmt *loops_around(tsl_arena *arena, const tsl_type *type, tsl_var *const *vars,
                              int skip, tsl_stmt *body) {
  for (int axis = type->rank - 1; axis >= 0; axis--) {
    if (axis == skip) continue;
    body = loop(arena, vars[axis], tsl_index(arena, 0), tsl_index(arena, type->dims[axis]), body);
  }
  return body;
}

/* A copy of indices with the one on `axis` replaced. */
static tsl_expr **indices_at(tsl_arena *arena, int rank, tsl_expr *const *indices, int axis,
                             tsl_expr *value) {
  tsl_expr **copy = TSL_ARENA_ARRAY(arena, tsl_expr *, rank + 1);
  for (int i = 0; i < rank; i++) copy[i] = i == axis ? value : indices[i];
  return copy;
}

/* A running total along the axis, each element taking the total before (exclusive) or after
 * it; reverse runs from the end. */
bool tsl_compute_cumulative(tsl_compute_call *call) {
  tsl_arena *arena = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0];
  int rank = x->type.rank, axis = axis_attr(call, "axis", rank);
  int64_t length = x->type.dims[axis];
  tsl_reducer reducer = call->op->kind == TSL_OP_cumsum ? TSL_REDUCE_SUM : TSL_REDUCE_PROD;
  tsl_dtype dtype = widened_dtype(x->type.dtype);
  tsl_te_tensor *y = extern_output(call, 0);
  tsl_buffer *total = scalar_buffer(call, "total", dtype);
  tsl_var *vars[TSL_MAX_RANK];
  tsl_expr *at[TSL_MAX_RANK];
  axis_vars(call, rank, vars, at);
  if (compute_attr(call, "reverse")->i) at[axis] = sub(arena, tsl_index(arena, length - 1), at[axis]);

  tsl_expr *running = load_scalar(arena, total);
  tsl_stmt *write = tsl_store(arena, y->buffer, rank, at, tsl_cast(arena, y->type.dtype, running));
  tsl_expr *taken = tsl_reducer_combine(arena, reducer, running, read_as(call, x, at, dtype));
  tsl_stmt *take = store_scalar(arena, total, taken);
  bool exclusive = compute_attr(call, "exclusive")->i != 0;
  tsl_stmt *step[2] = {exclusive ? write : take, exclusive ? take : write};
  tsl_stmt *scan = loop(arena, vars[axis], tsl_index(arena, 0), tsl_index(arena, length), tsl_seq(arena, 2, step));
  tsl_stmt *row[2] = {store_scalar(arena, total, tsl_reducer_identity(arena, reducer, dtype)), scan};
  y->statement = tsl_alloc(arena, total, loops_around(arena, &x->type, vars, axis, tsl_seq(arena, 2, row)));
  return true;
}

/* ---- topk ---- */

/* Whether a comes before b in top-k order: strictly larger (smaller); a NaN counts as larger
 * than any number, where numpy's sort places it. */
static tsl_expr *comes_before(tsl_arena *arena, tsl_expr *a, tsl_expr *b, bool largest) {
  tsl_expr *strictly = tsl_binary(arena, largest ? TSL_EXPR_GT : TSL_EXPR_LT, a, b);
  if (!tsl_dtype_is_float(a->dtype)) return strictly;
  tsl_expr *a_nan = math(arena, TSL_MATH_isnan, a), *b_nan = math(arena, TSL_MATH_isnan, b);
  tsl_expr *nan_first = largest ? both(arena, a_nan, tsl_unary(arena, TSL_EXPR_NOT, b_nan))
                                : both(arena, b_nan, tsl_unary(arena, TSL_EXPR_NOT, a_nan));
  return either(arena, strictly, nan_first);
}

/* One row of x along the axis is taken in element by element, into a sorted list of at most k
 * kept in the outputs themselves. */
typedef struct topk {
  tsl_compute_call *call;
  const tsl_te_tensor *x;
  tsl_te_tensor *values, *indices;
  int axis, rank;
  int64_t k;
  bool largest;
  tsl_expr **at;     /* the row's indices; on the axis, the element taken in (j) */
  tsl_buffer *place; /* where that element goes in the list */
} topk;

/* output[…, position, …] of the row */
static tsl_expr **topk_at(const topk *t, tsl_expr *position) {
  return indices_at(arena_of(t->call), t->rank, t->at, t->axis, position);
}

/* place = how many of the min(j, k) listed elements come before element j. All have lower
 * indices, so an equal one comes before it too. */
static tsl_stmt *topk_find_place(const topk *t, tsl_expr *j) {
  tsl_arena *arena = arena_of(t->call);
  tsl_var *listed = loop_var(t->call, "listed");
  tsl_expr *listed_value = tsl_load(arena, t->values->buffer, t->rank, topk_at(t, tsl_var_ref(arena, listed)));
  tsl_expr *taken = tsl_te_read(t->call->program, t->x, t->at);
  tsl_expr *ahead = tsl_select(arena, comes_before(arena, taken, listed_value, t->largest),
                               tsl_index(arena, 0), tsl_index(arena, 1));
  tsl_stmt *count = store_scalar(arena, t->place, add(arena, load_scalar(arena, t->place), ahead));
  tsl_expr *length = minimum(arena, j, tsl_index(arena, t->k));
  tsl_stmt *steps[2] = {store_scalar(arena, t->place, tsl_index(arena, 0)),
                        loop(arena, listed, tsl_index(arena, 0), length, count)};
  return tsl_seq(arena, 2, steps);
}

/* Moves the listed elements from place on one step towards the end (the k-th drops out), then
 * puts element j at place, if that is within k. */
static tsl_stmt *topk_insert(const topk *t, tsl_expr *j) {
  tsl_arena *arena = arena_of(t->call);
  tsl_expr *place = load_scalar(arena, t->place);
  tsl_expr *last = minimum(arena, j, tsl_index(arena, t->k - 1));
  tsl_var *step = loop_var(t->call, "step");
  tsl_expr *to = sub(arena, last, tsl_var_ref(arena, step)), *from = sub(arena, to, tsl_index(arena, 1));
  tsl_te_tensor *outputs[2] = {t->values, t->indices};
  tsl_expr *taken[2] = {tsl_te_read(t->call->program, t->x, t->at), j};
  tsl_stmt *moves[2], *puts[2];
  for (int i = 0; i < 2; i++) {
    tsl_buffer *buffer = outputs[i]->buffer;
    moves[i] = tsl_store(arena, buffer, t->rank, topk_at(t, to), tsl_load(arena, buffer, t->rank, topk_at(t, from)));
    puts[i] = tsl_store(arena, buffer, t->rank, topk_at(t, place), taken[i]);
  }
  tsl_expr *count = maximum(arena, sub(arena, last, place), tsl_index(arena, 0));
  tsl_expr *within = tsl_binary(arena, TSL_EXPR_LT, place, tsl_index(arena, t->k));
  tsl_stmt *steps[2] = {loop(arena, step, tsl_index(arena, 0), count, tsl_seq(arena, 2, moves)),
                        tsl_if(arena, within, tsl_seq(arena, 2, puts), NULL)};
  return tsl_seq(arena, 2, steps);
}

/* Sorted, largest (or smallest) first, equal values by index: O(n·k) per row. */
bool tsl_compute_topk(tsl_compute_call *call) {
  tsl_arena *arena = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0];
  topk t = {.call = call, .x = x, .rank = x->type.rank, .k = compute_attr(call, "k")->i,
            .largest = compute_attr(call, "largest")->i != 0};
  t.axis = axis_attr(call, "axis", t.rank);
  /* The values' statement writes both outputs; without an indices output they go to scratch. */
  if (call->num_outputs > 1) {
    t.indices = extern_output(call, 1);
  } else {
    tsl_type type = call->output_types[0];
    type.dtype = TSL_DTYPE_I64;
    t.indices = tsl_te_extern(call->program, "topk_indices", &type);
  }
  t.indices->statement = tsl_seq(arena, 0, NULL);
  t.values = extern_output(call, 0);
  t.place = scalar_buffer(call, "place", TSL_DTYPE_I64);
  tsl_var *vars[TSL_MAX_RANK];
  tsl_expr *at[TSL_MAX_RANK];
  axis_vars(call, t.rank, vars, at);
  t.at = at;
  tsl_expr *j = at[t.axis];
  tsl_stmt *take[2] = {topk_find_place(&t, j), topk_insert(&t, j)};
  tsl_expr *length = tsl_index(arena, x->type.dims[t.axis]);
  tsl_stmt *row = loop(arena, vars[t.axis], tsl_index(arena, 0), length, tsl_seq(arena, 2, take));
  t.values->statement = tsl_alloc(arena, t.place, loops_around(arena, &x->type, vars, t.axis, row));
  return true;
}

/* ---- det ---- */

/* Gaussian elimination with partial pivoting, on a copy of one matrix at a time: the
 * determinant is the product of the pivots, negated for each row swap. */
typedef struct elimination {
  tsl_compute_call *call;
  int64_t n;
  tsl_buffer *matrix;  /* [n, n], the copy being eliminated */
  tsl_buffer *product; /* of the pivots so far, with the swaps' signs */
  tsl_buffer *pivot;   /* the row chosen for the current column */
  tsl_buffer *held;    /* one element, while two rows swap */
} elimination;

static tsl_expr *element(const elimination *e, tsl_expr *row, tsl_expr *column) {
  tsl_expr *indices[2] = {row, column};
  return tsl_load(arena_of(e->call), e->matrix, 2, indices);
}

static tsl_stmt *set_element(const elimination *e, tsl_expr *row, tsl_expr *column,
                             tsl_expr *value) {
  tsl_expr *indices[2] = {row, column};
  return tsl_store(arena_of(e->call), e->matrix, 2, indices, value);
}

/* The rows below `column`: from column + 1, n - column - 1 of them. */
static tsl_stmt *loop_below(const elimination *e, tsl_var *var, tsl_expr *column, tsl_stmt *body) {
  tsl_arena *arena = arena_of(e->call);
  tsl_expr *next = add(arena, column, tsl_index(arena, 1));
  return loop(arena, var, next, sub(arena, tsl_index(arena, e->n), next), body);
}

/* pivot = the first row from `column` on with the largest |element| in the column. */
static tsl_stmt *choose_pivot(const elimination *e, tsl_expr *column) {
  tsl_arena *arena = arena_of(e->call);
  tsl_var *row = loop_var(e->call, "row");
  tsl_expr *row_ref = tsl_var_ref(arena, row), *pivot = load_scalar(arena, e->pivot);
  tsl_expr *larger = tsl_binary(arena, TSL_EXPR_GT, math(arena, TSL_MATH_fabs, element(e, row_ref, column)),
                                math(arena, TSL_MATH_fabs, element(e, pivot, column)));
  tsl_stmt *better = tsl_if(arena, larger, store_scalar(arena, e->pivot, row_ref), NULL);
  tsl_stmt *steps[2] = {store_scalar(arena, e->pivot, column), loop_below(e, row, column, better)};
  return tsl_seq(arena, 2, steps);
}

/* Swaps rows `column` and pivot (a row swapped with itself stays) and multiplies the product
 * by the pivot, negated when two rows did swap. */
static tsl_stmt *swap_and_multiply(const elimination *e, tsl_expr *column) {
  tsl_arena *arena = arena_of(e->call);
  tsl_var *j = loop_var(e->call, "j");
  tsl_expr *j_ref = tsl_var_ref(arena, j), *pivot = load_scalar(arena, e->pivot);
  tsl_stmt *swap[3] = {store_scalar(arena, e->held, element(e, column, j_ref)),
                       set_element(e, column, j_ref, element(e, pivot, j_ref)),
                       set_element(e, pivot, j_ref, load_scalar(arena, e->held))};
  tsl_expr *factor = element(e, column, column);
  tsl_expr *swapped = tsl_binary(arena, TSL_EXPR_NE, pivot, column);
  factor = tsl_select(arena, swapped, negate(arena, factor), factor);
  tsl_stmt *steps[2] = {
      loop(arena, j, tsl_index(arena, 0), tsl_index(arena, e->n), tsl_seq(arena, 3, swap)),
      store_scalar(arena, e->product, mul(arena, load_scalar(arena, e->product), factor)),
  };
  return tsl_seq(arena, 2, steps);
}

/* Subtracts multiples of the pivot row from the rows below, each row's multiple kept in its
 * element of the column (no longer needed); below a zero pivot there is nothing to do. */
static tsl_stmt *eliminate_below(const elimination *e, tsl_expr *column) {
  tsl_arena *arena = arena_of(e->call);
  tsl_var *row = loop_var(e->call, "row"), *j = loop_var(e->call, "j");
  tsl_expr *row_ref = tsl_var_ref(arena, row), *j_ref = tsl_var_ref(arena, j);
  tsl_expr *pivot_value = element(e, column, column), *multiple = element(e, row_ref, column);
  tsl_expr *reduced = sub(arena, element(e, row_ref, j_ref), mul(arena, multiple, element(e, column, j_ref)));
  tsl_stmt *per_row[2] = {set_element(e, row_ref, column, divide(arena, multiple, pivot_value)),
                          loop_below(e, j, column, set_element(e, row_ref, j_ref, reduced))};
  tsl_expr *nonzero = tsl_binary(arena, TSL_EXPR_NE, pivot_value, constant(arena, pivot_value, 0));
  return tsl_if(arena, nonzero, loop_below(e, row, column, tsl_seq(arena, 2, per_row)), NULL);
}

/* product = the determinant of the matrix at x's leading indices `batch`. */
static tsl_stmt *determinant(const elimination *e, const tsl_te_tensor *x, tsl_expr *const *batch) {
  tsl_arena *arena = arena_of(e->call);
  int rank = x->type.rank;
  tsl_var *i = loop_var(e->call, "i"), *j = loop_var(e->call, "j"), *column = loop_var(e->call, "column");
  tsl_expr *i_ref = tsl_var_ref(arena, i), *j_ref = tsl_var_ref(arena, j), *column_ref = tsl_var_ref(arena, column);
  tsl_expr *x_at[TSL_MAX_RANK];
  for (int axis = 0; axis < rank - 2; axis++) x_at[axis] = batch[axis];
  x_at[rank - 2] = i_ref;
  x_at[rank - 1] = j_ref;
  tsl_expr *n = tsl_index(arena, e->n), *zero = tsl_index(arena, 0);
  tsl_stmt *copy_element = set_element(e, i_ref, j_ref, read_as(e->call, x, x_at, e->matrix->dtype));
  tsl_stmt *per_column[3] = {choose_pivot(e, column_ref), swap_and_multiply(e, column_ref),
                             eliminate_below(e, column_ref)};
  tsl_stmt *steps[3] = {loop(arena, i, zero, n, loop(arena, j, zero, n, copy_element)),
                        store_scalar(arena, e->product, tsl_const(arena, e->matrix->dtype, 1)),
                        loop(arena, column, zero, n, tsl_seq(arena, 3, per_column))};
  return tsl_seq(arena, 3, steps);
}

bool tsl_compute_det(tsl_compute_call *call) {
  tsl_arena *arena = arena_of(call);
  const tsl_te_tensor *x = call->inputs[0];
  int rank = x->type.rank;
  tsl_dtype dtype = widened_dtype(x->type.dtype);
  int64_t n = x->type.dims[rank - 1];
  tsl_type matrix = {.dtype = dtype, .rank = 2, .dims = {n, n}};
  elimination e = {
      .call = call,
      .n = n,
      .matrix = tsl_primfunc_buffer(call->program->func, "matrix", &matrix, TSL_SCOPE_GLOBAL),
      .product = scalar_buffer(call, "product", dtype),
      .pivot = scalar_buffer(call, "pivot", TSL_DTYPE_I64),
      .held = scalar_buffer(call, "held", dtype),
  };
  tsl_te_tensor *y = extern_output(call, 0);
  tsl_var *vars[TSL_MAX_RANK];
  tsl_expr *batch[TSL_MAX_RANK];
  axis_vars(call, rank - 2, vars, batch);
  tsl_expr *value = tsl_cast(arena, y->type.dtype, load_scalar(arena, e.product));
  tsl_stmt *steps[2] = {determinant(&e, x, batch), tsl_store(arena, y->buffer, rank - 2, batch, value)};
  tsl_stmt *body = loops_around(arena, &y->type, vars, -1, tsl_seq(arena, 2, steps));
  tsl_buffer *buffers[4] = {e.matrix, e.product, e.pivot, e.held};
  for (int i = 0; i < 4; i++) body = tsl_alloc(arena, buffers[i], body);
  y->statement = body;
  return true;
}
