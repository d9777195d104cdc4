/* Type rules of the layout, shape and indexing operators. Each follows the ONNX operator it
 * stands for, with ONNX's shape-deciding inputs already resolved into attributes. */
#include <stdio.h>
#include <string.h>

#include <ctype.h>

#include "ir/ops/layout.h"
#include "ir/ops/rules.h"

/* An ints attribute that lists the dimensions of a shape. */
static bool dims_attr(tsl_type_call *call, const char *name, const tsl_attr **dims) {
  *dims = rule_attr(call, name);
  if ((*dims)->count > TSL_MAX_RANK) {
    return rule_fail(call, "%s lists %d dimensions; tessel handles up to %d", name, (*dims)->count,
                     TSL_MAX_RANK);
  }
  for (int i = 0; i < (*dims)->count; i++) {
    if ((*dims)->ints[i] < 0) {
      return rule_fail(call, "%s %s has a negative dimension", name,
                       tsl_shape_str((*dims)->count, (*dims)->ints).text);
    }
  }
  return true;
}

static bool require_index_dtype(tsl_type_call *call, int index) {
  tsl_dtype dtype = call->inputs[index]->dtype;
  if (dtype == TSL_DTYPE_I32 || dtype == TSL_DTYPE_I64) return true;
  char label[64];
  return rule_fail(call, "%s has dtype %s; %s takes i32 or i64 indices",
                   rule_input_label(call, index, label, sizeof(label)), tsl_dtype_name(dtype),
                   call->op->name);
}

static bool require_same_shape(tsl_type_call *call, int index, int other) {
  if (tsl_shape_equal(call->inputs[index], call->inputs[other])) return true;
  char label[64];
  return rule_fail_input(call, index, "%s has %s; they must be equal",
                         rule_input_label(call, other, label, sizeof(label)),
                         tsl_type_shape_str(call->inputs[other]).text);
}

bool tsl_rule_reshape(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  const tsl_attr *shape;
  if (!dims_attr(call, "shape", &shape)) return false;
  int64_t elements;
  if (!tsl_shape_elements(shape->count, shape->ints, &elements) ||
      elements != tsl_type_elements(x)) {
    return rule_fail_input(call, 0, "its %lld elements do not fill shape %s",
                           (long long)tsl_type_elements(x),
                           tsl_shape_str(shape->count, shape->ints).text);
  }
  return rule_output(call, 0, x->dtype, shape->count, shape->ints);
}

/* The layout attribute `name`, parsed. */
static bool read_layout(tsl_type_call *call, const char *name, tsl_layout *layout) {
  const char *text = rule_string(call, name);
  if (tsl_layout_parse(text, layout)) return true;
  return rule_fail(call, "%s \"%s\" is no layout: axes are upper-case letters, each at most "
                   "once, and a block is a number and the axis in lower case (\"NCHW16c\")",
                   name, text);
}

/* x in layout src is y in layout dst: both name the same axes, and the elements of each axis
 * divide into dst's block of it. */
bool tsl_rule_layout_transform(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  tsl_layout src, dst;
  if (!read_layout(call, "src", &src) || !read_layout(call, "dst", &dst)) return false;
  if (src.rank != x->rank) {
    return rule_fail_input(call, 0, "src \"%s\" has %d axes", rule_string(call, "src"), src.rank);
  }
  int64_t elements[128]; /* by upper-case axis: how many elements it has */
  bool named[128] = {false};
  int axes = 0;
  for (int i = 0; i < src.rank; i++) {
    char axis = (char)toupper((unsigned char)src.axes[i]);
    if (src.blocks[i] && x->dims[i] != src.blocks[i]) {
      return rule_fail_input(call, 0, "its axis %d is src's block %lld%c", i,
                             (long long)src.blocks[i], src.axes[i]);
    }
    if (!named[(int)axis]) elements[(int)axis] = 1;
    named[(int)axis] = true;
    if (!src.blocks[i]) axes++;
    elements[(int)axis] *= x->dims[i];
  }
  int64_t dims[TSL_MAX_RANK];
  for (int i = 0; i < dst.rank; i++) {
    char axis = (char)toupper((unsigned char)dst.axes[i]);
    if (!named[(int)axis]) {
      return rule_fail(call, "dst \"%s\" has axis %c, which src \"%s\" lacks",
                       rule_string(call, "dst"), axis, rule_string(call, "src"));
    }
    if (dst.blocks[i]) {
      dims[i] = dst.blocks[i];
      continue;
    }
    axes--;
    int64_t block = 1;
    for (int j = 0; j < dst.rank; j++) {
      if (dst.blocks[j] && toupper((unsigned char)dst.axes[j]) == axis) block = dst.blocks[j];
    }
    if (elements[(int)axis] % block != 0) {
      return rule_fail_input(call, 0, "its axis %c has %lld elements, which do not divide into "
                             "blocks of %lld (dst \"%s\")", axis, (long long)elements[(int)axis],
                             (long long)block, rule_string(call, "dst"));
    }
    dims[i] = elements[(int)axis] / block;
  }
  if (axes != 0) {
    return rule_fail(call, "src \"%s\" and dst \"%s\" do not name the same axes",
                     rule_string(call, "src"), rule_string(call, "dst"));
  }
  return rule_output(call, 0, x->dtype, dst.rank, dims);
}

bool tsl_rule_transpose(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  const tsl_attr *perm = rule_attr(call, "perm");
  if (perm->count != x->rank) {
    return rule_fail_input(call, 0, "perm lists %d axes, not %d", perm->count, x->rank);
  }
  bool taken[TSL_MAX_RANK] = {0};
  int64_t dims[TSL_MAX_RANK];
  for (int axis = 0; axis < x->rank; axis++) {
    int64_t source = perm->ints[axis];
    if (source < 0 || source >= x->rank || taken[source]) {
      return rule_fail(call, "perm %s is not a permutation of the axes 0 to %d",
                       tsl_shape_str(perm->count, perm->ints).text, x->rank - 1);
    }
    taken[source] = true;
    dims[axis] = x->dims[source];
  }
  return rule_output(call, 0, x->dtype, x->rank, dims);
}

/* Every input has the first one's dtype, rank and dimensions, except along `axis`. */
static bool concat_input_fits(tsl_type_call *call, int index, int axis) {
  const tsl_type *first = call->inputs[0], *input = call->inputs[index];
  char label[64];
  if (!input) {
    return rule_fail(call, "%s is required", rule_input_label(call, index, label, sizeof(label)));
  }
  if (!rule_require_same_dtype(call, index, 0)) return false;
  bool fits = input->rank == first->rank;
  for (int a = 0; a < first->rank && fits; a++) {
    fits = a == axis || input->dims[a] == first->dims[a];
  }
  if (fits) return true;
  return rule_fail_input(call, index, "%s has %s; they must agree on every axis but %d",
                         rule_input_label(call, 0, label, sizeof(label)),
                         tsl_type_shape_str(first).text, axis);
}

bool tsl_rule_concat(tsl_type_call *call) {
  const tsl_type *first = call->inputs[0];
  int axis;
  if (!rule_require_min_rank(call, 0, 1) ||
      !rule_axis(call, "axis", rule_int(call, "axis"), first->rank, &axis)) {
    return false;
  }
  int64_t dims[TSL_MAX_RANK];
  memcpy(dims, first->dims, sizeof(dims));
  for (int i = 1; i < call->num_inputs; i++) {
    if (!concat_input_fits(call, i, axis)) return false;
    dims[axis] += call->inputs[i]->dims[axis];
  }
  return rule_output(call, 0, first->dtype, first->rank, dims);
}

bool tsl_rule_split(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  const tsl_attr *sizes = rule_attr(call, "sizes");
  int axis;
  if (!rule_require_min_rank(call, 0, 1) ||
      !rule_axis(call, "axis", rule_int(call, "axis"), x->rank, &axis)) {
    return false;
  }
  if (sizes->count != call->num_outputs) {
    return rule_fail(call, "sizes lists %d sizes for %d outputs", sizes->count, call->num_outputs);
  }
  int64_t left = x->dims[axis];
  bool fits = true;
  for (int i = 0; i < sizes->count && fits; i++) {
    fits = sizes->ints[i] >= 0 && sizes->ints[i] <= left;
    left -= sizes->ints[i];
  }
  if (!fits || left != 0) {
    return rule_fail_input(call, 0,
                           "sizes must be non-negative and add up to %lld, the size of axis %d",
                           (long long)x->dims[axis], axis);
  }
  int64_t dims[TSL_MAX_RANK];
  memcpy(dims, x->dims, sizeof(dims));
  for (int i = 0; i < call->num_outputs; i++) {
    dims[axis] = sizes->ints[i];
    if (!rule_output(call, i, x->dtype, x->rank, dims)) return false;
  }
  return true;
}

static int64_t clamp(int64_t value, int64_t low, int64_t high) {
  return value < low ? low : value > high ? high : value;
}

/* The length of one sliced axis. Negative starts and ends count from the end; then both are
 * clamped as ONNX specifies: to [0, dim] when stepping forward, start to [0, dim-1] and end to
 * [-1, dim-1] when stepping backward. */
static int64_t sliced_length(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (dim == 0) return 0;
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = clamp(start, 0, dim);
    end = clamp(end, 0, dim);
    return end > start ? (end - start - 1) / step + 1 : 0;
  }
  start = clamp(start, 0, dim - 1);
  end = clamp(end, -1, dim - 1);
  return start > end ? (end - start + 1) / step + 1 : 0;
}

bool tsl_rule_slice(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  const tsl_attr *starts = rule_attr(call, "starts"), *ends = rule_attr(call, "ends");
  const tsl_attr *axes = rule_attr(call, "axes"), *steps = rule_attr(call, "steps");
  if (!rule_require_min_rank(call, 0, 1)) return false;
  if (ends->count != starts->count || axes->count != starts->count ||
      steps->count != starts->count) {
    return rule_fail(call,
                     "starts, ends, axes and steps list %d, %d, %d and %d values; they must "
                     "list as many",
                     starts->count, ends->count, axes->count, steps->count);
  }
  int64_t dims[TSL_MAX_RANK];
  memcpy(dims, x->dims, sizeof(dims));
  bool sliced[TSL_MAX_RANK] = {0};
  for (int i = 0; i < starts->count; i++) {
    int axis;
    if (!rule_axis(call, "axis", axes->ints[i], x->rank, &axis)) return false;
    if (sliced[axis]) return rule_fail(call, "axis %d is sliced twice", axis);
    if (steps->ints[i] == 0) return rule_fail(call, "the step for axis %d is 0", axis);
    sliced[axis] = true;
    dims[axis] = sliced_length(x->dims[axis], starts->ints[i], ends->ints[i], steps->ints[i]);
  }
  return rule_output(call, 0, x->dtype, x->rank, dims);
}

/* ONNX Expand: x and `shape` broadcast together, so `shape` may be shorter or hold 1s. */
bool tsl_rule_expand(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  const tsl_attr *shape;
  if (!dims_attr(call, "shape", &shape)) return false;
  tsl_type target = tsl_type_make(x->dtype, shape->count, shape->ints);
  const tsl_type *both[] = {x, &target};
  tsl_type out = {0};
  return rule_broadcast(call, 2, both, &out) && rule_output(call, 0, x->dtype, out.rank, out.dims);
}

bool tsl_rule_tile(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  const tsl_attr *repeats = rule_attr(call, "repeats");
  if (repeats->count != x->rank) {
    return rule_fail_input(call, 0, "repeats lists %d values, not one per axis", repeats->count);
  }
  int64_t dims[TSL_MAX_RANK];
  for (int axis = 0; axis < x->rank; axis++) {
    if (repeats->ints[axis] < 0) {
      return rule_fail(call, "repeats %s has a negative entry",
                       tsl_shape_str(repeats->count, repeats->ints).text);
    }
    dims[axis] = rule_times(x->dims[axis], repeats->ints[axis]);
  }
  return rule_output(call, 0, x->dtype, x->rank, dims);
}

/* The size of a padded axis; negative pads crop, but never more than the axis holds. */
static bool padded_dim(tsl_type_call *call, int axis, int64_t begin, int64_t end, int64_t *out) {
  int64_t dim = call->inputs[0]->dims[axis];
  if (begin > TSL_MAX_ELEMENTS || end > TSL_MAX_ELEMENTS) {
    return rule_fail(call, "pads for axis %d (begin %lld, end %lld) are too large", axis,
                     (long long)begin, (long long)end);
  }
  if (begin < -dim || end < -dim || dim + (begin < 0 ? begin : 0) + (end < 0 ? end : 0) < 0) {
    return rule_fail_input(call, 0,
                           "pads for axis %d (begin %lld, end %lld) crop more than its %lld "
                           "elements",
                           axis, (long long)begin, (long long)end, (long long)dim);
  }
  if (dim == 0 && (begin > 0 || end > 0) && strcmp(rule_string(call, "mode"), "constant") != 0) {
    return rule_fail_input(call, 0, "mode \"%s\" cannot pad axis %d, which is empty",
                           rule_string(call, "mode"), axis);
  }
  *out = dim + begin + end;
  return true;
}

bool tsl_rule_pad(tsl_type_call *call) {
  static const char *const modes[] = {"constant", "reflect", "edge", "wrap", NULL};
  const tsl_type *x = call->inputs[0];
  const tsl_attr *pads = rule_attr(call, "pads");
  if (!rule_require_choice(call, "mode", modes)) return false;
  bool value_fits = !rule_input(call, 1) ||
                    (rule_require_same_dtype(call, 1, 0) && rule_require_rank(call, 1, 0));
  if (!value_fits) return false;
  if (pads->count != 2 * x->rank) {
    return rule_fail_input(call, 0,
                           "pads lists %d values, not %d (every axis's begin, then every "
                           "axis's end)",
                           pads->count, 2 * x->rank);
  }
  int64_t dims[TSL_MAX_RANK];
  for (int axis = 0; axis < x->rank; axis++) {
    if (!padded_dim(call, axis, pads->ints[axis], pads->ints[axis + x->rank], &dims[axis])) {
      return false;
    }
  }
  return rule_output(call, 0, x->dtype, x->rank, dims);
}

/* ONNX Gather: indices replace the axis they select along. */
bool tsl_rule_take(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0], *indices = call->inputs[1];
  int axis;
  if (!rule_require_min_rank(call, 0, 1) || !require_index_dtype(call, 1) ||
      !rule_axis(call, "axis", rule_int(call, "axis"), x->rank, &axis)) {
    return false;
  }
  int64_t dims[2 * TSL_MAX_RANK];
  int rank = 0;
  for (int a = 0; a < axis; a++) dims[rank++] = x->dims[a];
  for (int a = 0; a < indices->rank; a++) dims[rank++] = indices->dims[a];
  for (int a = axis + 1; a < x->rank; a++) dims[rank++] = x->dims[a];
  return rule_output(call, 0, x->dtype, rank, dims);
}

/* For gather_elements and scatter_elements: indices of x's rank and dtype i32 or i64, no larger
 * than x on any axis but `axis` (as ONNX Runtime and PyTorch require). */
static bool element_indices_fit(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0], *indices = call->inputs[1];
  int axis;
  if (!rule_require_min_rank(call, 0, 1) || !require_index_dtype(call, 1) ||
      !rule_axis(call, "axis", rule_int(call, "axis"), x->rank, &axis)) {
    return false;
  }
  bool fits = indices->rank == x->rank;
  for (int a = 0; a < x->rank && fits; a++) fits = a == axis || indices->dims[a] <= x->dims[a];
  if (fits) return true;
  return rule_fail_input(call, 1,
                         "input 0 (x) has shape %s; indices need its rank and no larger "
                         "dimensions except along axis %d",
                         tsl_type_shape_str(x).text, axis);
}

bool tsl_rule_gather_elements(tsl_type_call *call) {
  const tsl_type *indices = call->inputs[1];
  return element_indices_fit(call) &&
         rule_output(call, 0, call->inputs[0]->dtype, indices->rank, indices->dims);
}

static bool require_reduction(tsl_type_call *call) {
  static const char *const reductions[] = {"none", "add", "mul", "max", "min", NULL};
  return rule_require_choice(call, "reduction", reductions);
}

bool tsl_rule_scatter_elements(tsl_type_call *call) {
  return element_indices_fit(call) && rule_require_same_dtype(call, 2, 0) &&
         require_same_shape(call, 2, 1) && require_reduction(call) && rule_same_as_input(call);
}

/* The last dimension of indices (input 1), the length of its index tuples. */
static int64_t tuple_length(const tsl_type_call *call) {
  const tsl_type *indices = call->inputs[1];
  return indices->dims[indices->rank - 1];
}

/* Index tuples address x after its batch dimensions; the rest of x is gathered whole. */
bool tsl_rule_gather_nd(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0], *indices = call->inputs[1];
  if (!rule_require_min_rank(call, 0, 1) || !rule_require_min_rank(call, 1, 1) ||
      !rule_require_dtype(call, 1, TSL_DTYPE_I64)) {
    return false;
  }
  int64_t batch_dims = rule_int(call, "batch_dims");
  if (batch_dims < 0 || batch_dims >= x->rank || batch_dims >= indices->rank) {
    return rule_fail(call,
                     "batch_dims %lld must be at least 0 and below the ranks of x (%d) and "
                     "indices (%d)",
                     (long long)batch_dims, x->rank, indices->rank);
  }
  int batch = (int)batch_dims;
  if (memcmp(x->dims, indices->dims, sizeof(int64_t) * (size_t)batch) != 0) {
    return rule_fail_input(call, 1,
                           "input 0 (x) has shape %s; their first %d dimensions must agree",
                           tsl_type_shape_str(x).text, batch);
  }
  int64_t length = tuple_length(call);
  if (length < 1 || length > x->rank - batch) {
    return rule_fail_input(call, 1,
                           "its index tuples have %lld entries, but input 0 (x) of shape %s "
                           "needs 1 to %d after %d batch dimensions",
                           (long long)length, tsl_type_shape_str(x).text, x->rank - batch, batch);
  }
  int64_t dims[2 * TSL_MAX_RANK];
  int rank = 0;
  for (int a = 0; a < indices->rank - 1; a++) dims[rank++] = indices->dims[a];
  for (int a = batch + (int)length; a < x->rank; a++) dims[rank++] = x->dims[a];
  return rule_output(call, 0, x->dtype, rank, dims);
}

/* updates must have shape indices.dims[:-1] + x.dims[tuple length:]. */
static bool scatter_nd_updates_fit(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0], *indices = call->inputs[1], *updates = call->inputs[2];
  int64_t length = tuple_length(call);
  if (length > x->rank) {
    return rule_fail_input(call, 1,
                           "its index tuples have %lld entries, more than input 0 (x) of "
                           "shape %s has axes",
                           (long long)length, tsl_type_shape_str(x).text);
  }
  int64_t dims[2 * TSL_MAX_RANK];
  int rank = 0;
  for (int a = 0; a < indices->rank - 1; a++) dims[rank++] = indices->dims[a];
  for (int a = (int)length; a < x->rank; a++) dims[rank++] = x->dims[a];
  if (rank == updates->rank && memcmp(dims, updates->dims, sizeof(int64_t) * (size_t)rank) == 0) {
    return true;
  }
  return rule_fail_input(call, 2, "with indices of shape %s and x of shape %s it must be %s",
                         tsl_type_shape_str(indices).text, tsl_type_shape_str(x).text,
                         tsl_shape_str(rank, dims).text);
}

bool tsl_rule_scatter_nd(tsl_type_call *call) {
  return rule_require_min_rank(call, 0, 1) && rule_require_min_rank(call, 1, 1) &&
         rule_require_dtype(call, 1, TSL_DTYPE_I64) && rule_require_same_dtype(call, 2, 0) &&
         scatter_nd_updates_fit(call) && require_reduction(call) && rule_same_as_input(call);
}

/* ONNX TensorScatter: update has past_cache's dtype and shape except along axis (never the batch
 * axis 0), where it may be shorter; write_indices, one per batch entry, are i64. */
bool tsl_rule_tensor_scatter(tsl_type_call *call) {
  static const char *const modes[] = {"linear", "circular", NULL};
  const tsl_type *cache = call->inputs[0], *update = call->inputs[1];
  const tsl_type *indices = rule_input(call, 2);
  int axis;
  if (!rule_require_choice(call, "mode", modes) || !rule_require_min_rank(call, 0, 2) ||
      !rule_axis(call, "axis", rule_int(call, "axis"), cache->rank, &axis) ||
      !rule_require_same_dtype(call, 1, 0)) {
    return false;
  }
  if (axis == 0) {
    return rule_fail(call, "axis %lld is the batch axis; tensor_scatter writes along another",
                     (long long)rule_int(call, "axis"));
  }
  bool fits = update->rank == cache->rank;
  for (int a = 0; a < cache->rank && fits; a++) {
    fits = a == axis ? update->dims[a] <= cache->dims[a] : update->dims[a] == cache->dims[a];
  }
  if (!fits) {
    return rule_fail_input(call, 1,
                           "input 0 (past_cache) has shape %s; update needs its dimensions, "
                           "except along axis %d, where it may be shorter",
                           tsl_type_shape_str(cache).text, axis);
  }
  if (indices && (!rule_require_dtype(call, 2, TSL_DTYPE_I64) || !rule_require_rank(call, 2, 1))) {
    return false;
  }
  if (indices && indices->dims[0] != cache->dims[0]) {
    return rule_fail_input(call, 2,
                           "tensor_scatter needs one write index for each of the %lld "
                           "batch entries",
                           (long long)cache->dims[0]);
  }
  return rule_same_as_input(call);
}

/* depth_to_space and space_to_depth: x is NCHW, the block size positive, the mode known. */
static bool blocks_fit(tsl_type_call *call) {
  static const char *const modes[] = {"DCR", "CRD", NULL};
  if (!rule_require_choice(call, "mode", modes)) return false;
  int64_t block = rule_int(call, "blocksize");
  if (block < 1) return rule_fail(call, "blocksize %lld must be positive", (long long)block);
  return rule_require_rank(call, 0, 4);
}

bool tsl_rule_depth_to_space(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  if (!blocks_fit(call)) return false;
  int64_t block = rule_int(call, "blocksize"), area = rule_times(block, block);
  if (x->dims[1] % area != 0) {
    return rule_fail_input(call, 0, "its %lld channels do not divide into blocks of %lldx%lld",
                           (long long)x->dims[1], (long long)block, (long long)block);
  }
  int64_t dims[] = {x->dims[0], x->dims[1] / area, rule_times(x->dims[2], block),
                    rule_times(x->dims[3], block)};
  return rule_output(call, 0, x->dtype, 4, dims);
}

bool tsl_rule_space_to_depth(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  if (!blocks_fit(call)) return false;
  int64_t block = rule_int(call, "blocksize");
  if (x->dims[2] % block != 0 || x->dims[3] % block != 0) {
    return rule_fail_input(call, 0, "its height and width do not divide into blocks of %lldx%lld",
                           (long long)block, (long long)block);
  }
  int64_t dims[] = {x->dims[0], rule_times(rule_times(x->dims[1], block), block),
                    x->dims[2] / block, x->dims[3] / block};
  return rule_output(call, 0, x->dtype, 4, dims);
}

static bool resize_modes_known(tsl_type_call *call) {
  static const char *const modes[] = {"nearest", "linear", "cubic", NULL};
  static const char *const coordinate_modes[] = {"half_pixel",
                                                 "half_pixel_symmetric",
                                                 "pytorch_half_pixel",
                                                 "align_corners",
                                                 "asymmetric",
                                                 "tf_crop_and_resize",
                                                 NULL};
  static const char *const nearest_modes[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                              "ceil", NULL};
  return rule_require_choice(call, "mode", modes) &&
         rule_require_choice(call, "coordinate_transformation_mode", coordinate_modes) &&
         rule_require_choice(call, "nearest_mode", nearest_modes);
}

/* roi is empty or lists every axis's start, then every axis's end; tf_crop_and_resize needs it. */
static bool resize_roi_fits(tsl_type_call *call) {
  int rank = call->inputs[0]->rank;
  int count = rule_attr(call, "roi")->count;
  if (count != 0 && count != 2 * rank) {
    return rule_fail_input(call, 0,
                           "roi lists %d values, not %d (every axis's start, then every "
                           "axis's end)",
                           count, 2 * rank);
  }
  if (count == 0 &&
      strcmp(rule_string(call, "coordinate_transformation_mode"), "tf_crop_and_resize") == 0) {
    return rule_fail(call, "coordinate_transformation_mode \"tf_crop_and_resize\" needs roi");
  }
  return true;
}

bool tsl_rule_resize(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  const tsl_attr *sizes, *scales = rule_attr(call, "scales");
  if (!resize_modes_known(call) || !resize_roi_fits(call) || !dims_attr(call, "sizes", &sizes)) {
    return false;
  }
  if (sizes->count != x->rank || scales->count != x->rank) {
    return rule_fail_input(call, 0, "sizes and scales list %d and %d values, not one per axis",
                           sizes->count, scales->count);
  }
  for (int axis = 0; axis < x->rank; axis++) {
    if (!(scales->floats[axis] > 0)) {
      return rule_fail(call, "scale %g for axis %d is not positive", scales->floats[axis], axis);
    }
  }
  return rule_output(call, 0, x->dtype, x->rank, sizes->ints);
}

/* ONNX ConstantOfShape: `shape` filled with the 0-d value. */
bool tsl_rule_full(tsl_type_call *call) {
  const tsl_attr *shape;
  return rule_require_rank(call, 0, 0) && dims_attr(call, "shape", &shape) &&
         rule_output(call, 0, call->inputs[0]->dtype, shape->count, shape->ints);
}

bool tsl_rule_eye_like(tsl_type_call *call) {
  return rule_require_rank(call, 0, 2) &&
         rule_output(call, 0, rule_attr(call, "to")->dtype, 2, call->inputs[0]->dims);
}

/* indices gain an axis of size depth; values [off, on] give the output's dtype. */
bool tsl_rule_one_hot(tsl_type_call *call) {
  const tsl_type *indices = call->inputs[0], *values = call->inputs[1];
  int64_t depth = rule_int(call, "depth");
  int axis;
  if (!rule_require_numeric(call, 0) ||
      !rule_axis(call, "axis", rule_int(call, "axis"), indices->rank + 1, &axis)) {
    return false;
  }
  if (values->rank != 1 || values->dims[0] != 2) {
    return rule_fail_input(call, 1, "%s needs [2], the values [off, on]", call->op->name);
  }
  if (depth < 1) return rule_fail(call, "depth %lld must be positive", (long long)depth);
  int64_t dims[TSL_MAX_RANK + 1];
  int rank = 0;
  for (int a = 0; a <= indices->rank; a++) {
    dims[rank++] = a == axis ? depth : indices->dims[a < axis ? a : a - 1];
  }
  return rule_output(call, 0, values->dtype, rank, dims);
}

bool tsl_rule_trilu(tsl_type_call *call) {
  return rule_require_min_rank(call, 0, 2) && rule_same_as_input(call);
}

bool tsl_rule_reverse_sequence(tsl_type_call *call) {
  const tsl_type *x = call->inputs[0];
  int64_t batch_axis = rule_int(call, "batch_axis"), time_axis = rule_int(call, "time_axis");
  if (!rule_require_min_rank(call, 0, 2) || !rule_require_dtype(call, 1, TSL_DTYPE_I64) ||
      !rule_require_rank(call, 1, 1)) {
    return false;
  }
  if (batch_axis < 0 || batch_axis > 1 || time_axis < 0 || time_axis > 1 ||
      batch_axis == time_axis) {
    return rule_fail(call, "batch_axis %lld and time_axis %lld must be 0 and 1, one each",
                     (long long)batch_axis, (long long)time_axis);
  }
  if (call->inputs[1]->dims[0] != x->dims[batch_axis]) {
    return rule_fail_input(call, 1,
                           "input 0 (x) has shape %s, so it needs one length for each of "
                           "the %lld batch entries on axis %lld",
                           tsl_type_shape_str(x).text, (long long)x->dims[batch_axis],
                           (long long)batch_axis);
  }
  return rule_same_as_input(call);
}
