#include "ir/ops/eval.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"

typedef struct eval {
  const tsl_node *node;
  tsl_tensor_data **outputs;
  char *message;
  size_t message_size;
} eval;

static bool eval_fail(eval *e, const char *format, ...) __attribute__((format(printf, 2, 3)));

static bool eval_fail(eval *e, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(e->message, e->message_size, format, args);
  va_end(args);
  return false;
}

static const tsl_type *in_type(const eval *e, int index) { return &e->node->inputs[index]->type; }
static const void *in_bytes(const eval *e, int index) { return e->node->inputs[index]->data->bytes; }
static const tsl_attr *attr(const eval *e, const char *name) { return tsl_node_attr(e->node, name); }

static void *new_output(eval *e, int index) {
  tsl_tensor_data *data = tsl_tensor_data_new(&e->node->outputs[index]->type);
  TSL_CHECK_ALLOC(data);
  e->outputs[index] = data;
  return data->bytes;
}

/* Row-major strides of a shape, in elements. */
static void strides_of(const tsl_type *type, int64_t *strides) {
  int64_t stride = 1;
  for (int axis = type->rank - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= type->dims[axis];
  }
}

/* Strides that read `input` broadcast to `output`'s shape: 0 along broadcast axes. */
static void broadcast_strides(const tsl_type *input, const tsl_type *output, int64_t *strides) {
  int64_t own[TSL_MAX_RANK];
  strides_of(input, own);
  int offset = output->rank - input->rank;
  for (int axis = 0; axis < output->rank; axis++) {
    int source = axis - offset;
    strides[axis] = source < 0 || input->dims[source] == 1 ? 0 : own[source];
  }
}

/* Steps a multi-index through a shape; returns the flat offset for each set of strides. */
static void next_index(const tsl_type *shape, int64_t *index) {
  for (int axis = shape->rank - 1; axis >= 0; axis--) {
    if (++index[axis] < shape->dims[axis]) return;
    index[axis] = 0;
  }
}

static int64_t offset_of(const int64_t *index, const int64_t *strides, int rank) {
  int64_t offset = 0;
  for (int axis = 0; axis < rank; axis++) offset += index[axis] * strides[axis];
  return offset;
}

/* ---- elementwise ------------------------------------------------------------------------ */

static double float_unary(tsl_op_kind op, double x, const eval *e) {
  switch (op) {
  case TSL_OP_sqrt: return sqrt(x);
  case TSL_OP_reciprocal: return 1 / x;
  case TSL_OP_exp: return exp(x);
  case TSL_OP_log: return log(x);
  case TSL_OP_sin: return sin(x);
  case TSL_OP_cos: return cos(x);
  case TSL_OP_tan: return tan(x);
  case TSL_OP_asin: return asin(x);
  case TSL_OP_acos: return acos(x);
  case TSL_OP_atan: return atan(x);
  case TSL_OP_sinh: return sinh(x);
  case TSL_OP_cosh: return cosh(x);
  case TSL_OP_tanh: return tanh(x);
  case TSL_OP_asinh: return asinh(x);
  case TSL_OP_acosh: return acosh(x);
  case TSL_OP_atanh: return atanh(x);
  case TSL_OP_erf: return erf(x);
  case TSL_OP_ceil: return ceil(x);
  case TSL_OP_floor: return floor(x);
  case TSL_OP_round: return nearbyint(x);
  case TSL_OP_sigmoid: return 1 / (1 + exp(-x));
  case TSL_OP_softplus: return log1p(exp(x));
  case TSL_OP_softsign: return x / (1 + fabs(x));
  case TSL_OP_abs: return fabs(x);
  case TSL_OP_neg: return -x;
  case TSL_OP_sign: return x > 0 ? 1 : x < 0 ? -1 : 0;
  case TSL_OP_relu: return x > 0 ? x : 0;
  case TSL_OP_leaky_relu: return x < 0 ? attr(e, "alpha")->f * x : x;
  default: TSL_UNREACHABLE();
  }
}

static int64_t integer_unary(tsl_op_kind op, int64_t x) {
  switch (op) {
  case TSL_OP_abs: return x < 0 ? -(uint64_t)x : (uint64_t)x;
  case TSL_OP_neg: return (int64_t)(0 - (uint64_t)x);
  case TSL_OP_sign: return x > 0 ? 1 : x < 0 ? -1 : 0;
  case TSL_OP_relu: return x > 0 ? x : 0;
  case TSL_OP_bitwise_not: return ~x;
  case TSL_OP_logical_not: return !x;
  default: TSL_UNREACHABLE();
  }
}

static bool eval_unary(eval *e) {
  tsl_op_kind op = e->node->op;
  const tsl_type *x = in_type(e, 0);
  tsl_dtype out_dtype = e->node->outputs[0]->type.dtype;
  void *out = new_output(e, 0);
  int64_t elements = tsl_type_elements(x);
  for (int64_t i = 0; i < elements; i++) {
    if (op == TSL_OP_cast) {
      if (tsl_dtype_is_float(x->dtype) || tsl_dtype_is_float(out_dtype)) {
        tsl_element_set_f64(out_dtype, out, i, tsl_element_get_f64(x->dtype, in_bytes(e, 0), i));
      } else {
        tsl_element_set_i64(out_dtype, out, i, tsl_element_get_i64(x->dtype, in_bytes(e, 0), i));
      }
    } else if (op == TSL_OP_is_nan || op == TSL_OP_is_inf) {
      double value = tsl_element_get_f64(x->dtype, in_bytes(e, 0), i);
      bool hit = op == TSL_OP_is_nan ? isnan(value)
                                     : isinf(value) && ((value > 0 && attr(e, "detect_positive")->i) ||
                                                        (value < 0 && attr(e, "detect_negative")->i));
      tsl_element_set_i64(out_dtype, out, i, hit);
    } else if (tsl_dtype_is_float(x->dtype)) {
      tsl_element_set_f64(out_dtype, out, i,
                          float_unary(op, tsl_element_get_f64(x->dtype, in_bytes(e, 0), i), e));
    } else {
      tsl_element_set_i64(out_dtype, out, i,
                          integer_unary(op, tsl_element_get_i64(x->dtype, in_bytes(e, 0), i)));
    }
  }
  return true;
}

static double float_binary(tsl_op_kind op, double a, double b, const eval *e) {
  switch (op) {
  case TSL_OP_add: return a + b;
  case TSL_OP_sub: return a - b;
  case TSL_OP_mul: return a * b;
  case TSL_OP_div: return a / b;
  case TSL_OP_pow: return pow(a, b);
  case TSL_OP_maximum: return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
  case TSL_OP_minimum: return isnan(a) || isnan(b) ? NAN : a < b ? a : b;
  case TSL_OP_mod: {
    double r = fmod(a, b);
    if (!attr(e, "fmod")->i && r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
  }
  case TSL_OP_prelu: return a < 0 ? a * b : a;
  case TSL_OP_equal: return a == b;
  case TSL_OP_less: return a < b;
  case TSL_OP_less_equal: return a <= b;
  case TSL_OP_greater: return a > b;
  case TSL_OP_greater_equal: return a >= b;
  default: TSL_UNREACHABLE();
  }
}

/* Integer arithmetic wraps as the hardware does; `is_unsigned` picks u64 semantics. */
static bool integer_binary(tsl_op_kind op, int64_t a, int64_t b, bool is_unsigned,
                           int64_t *result) {
  uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
  switch (op) {
  case TSL_OP_add: *result = (int64_t)(ua + ub); return true;
  case TSL_OP_sub: *result = (int64_t)(ua - ub); return true;
  case TSL_OP_mul: *result = (int64_t)(ua * ub); return true;
  case TSL_OP_div:
  case TSL_OP_mod:
    if (b == 0) return false;
    if (is_unsigned) {
      *result = (int64_t)(op == TSL_OP_div ? ua / ub : ua % ub);
    } else if (a == INT64_MIN && b == -1) {
      *result = op == TSL_OP_div ? INT64_MIN : 0;
    } else if (op == TSL_OP_div) {
      *result = a / b;
    } else {
      *result = a % b; /* C's sign rule; eval_binary applies Python's unless fmod */
    }
    return true;
  case TSL_OP_pow: {
    int64_t value = 1;
    for (int64_t i = 0; i < b && i < 64; i++) value = (int64_t)((uint64_t)value * ua);
    *result = b < 0 ? 0 : value;
    return true;
  }
  case TSL_OP_maximum: *result = is_unsigned ? (int64_t)(ua > ub ? ua : ub) : a > b ? a : b; return true;
  case TSL_OP_minimum: *result = is_unsigned ? (int64_t)(ua < ub ? ua : ub) : a < b ? a : b; return true;
  case TSL_OP_prelu: *result = a < 0 ? (int64_t)(ua * ub) : a; return true;
  case TSL_OP_bitwise_and: *result = a & b; return true;
  case TSL_OP_bitwise_or: *result = a | b; return true;
  case TSL_OP_bitwise_xor: *result = a ^ b; return true;
  case TSL_OP_left_shift: *result = ub >= 64 ? 0 : (int64_t)(ua << ub); return true;
  case TSL_OP_right_shift: *result = ub >= 64 ? 0 : (int64_t)(ua >> ub); return true;
  case TSL_OP_logical_and: *result = a && b; return true;
  case TSL_OP_logical_or: *result = a || b; return true;
  case TSL_OP_logical_xor: *result = !a != !b; return true;
  case TSL_OP_equal: *result = a == b; return true;
  case TSL_OP_less: *result = is_unsigned ? ua < ub : a < b; return true;
  case TSL_OP_less_equal: *result = is_unsigned ? ua <= ub : a <= b; return true;
  case TSL_OP_greater: *result = is_unsigned ? ua > ub : a > b; return true;
  case TSL_OP_greater_equal: *result = is_unsigned ? ua >= ub : a >= b; return true;
  default: TSL_UNREACHABLE();
  }
}

static bool eval_binary(eval *e) {
  tsl_op_kind op = e->node->op;
  const tsl_type *a = in_type(e, 0), *b = in_type(e, 1);
  const tsl_type *out_type = &e->node->outputs[0]->type;
  void *out = new_output(e, 0);
  int64_t a_strides[TSL_MAX_RANK], b_strides[TSL_MAX_RANK], index[TSL_MAX_RANK] = {0};
  broadcast_strides(a, out_type, a_strides);
  broadcast_strides(b, out_type, b_strides);
  bool floating = tsl_dtype_is_float(a->dtype) || tsl_dtype_is_float(b->dtype);
  bool is_unsigned = !tsl_dtype_is_signed(a->dtype) && a->dtype != TSL_DTYPE_BOOL;
  bool python_mod = op == TSL_OP_mod && !attr(e, "fmod")->i;
  int64_t elements = tsl_type_elements(out_type);
  for (int64_t i = 0; i < elements; i++, next_index(out_type, index)) {
    int64_t ia = offset_of(index, a_strides, out_type->rank);
    int64_t ib = offset_of(index, b_strides, out_type->rank);
    if (floating) {
      double value = float_binary(op, tsl_element_get_f64(a->dtype, in_bytes(e, 0), ia),
                                  tsl_element_get_f64(b->dtype, in_bytes(e, 1), ib), e);
      tsl_element_set_f64(out_type->dtype, out, i, value);
      continue;
    }
    int64_t x = tsl_element_get_i64(a->dtype, in_bytes(e, 0), ia);
    int64_t y = tsl_element_get_i64(b->dtype, in_bytes(e, 1), ib);
    int64_t value;
    if (!integer_binary(op, x, y, is_unsigned, &value)) {
      return eval_fail(e, "integer division by zero");
    }
    if (python_mod && !is_unsigned && value != 0 && ((value < 0) != (y < 0))) value += y;
    tsl_element_set_i64(out_type->dtype, out, i, value);
  }
  return true;
}

static bool eval_where(eval *e) {
  const tsl_type *out_type = &e->node->outputs[0]->type;
  void *out = new_output(e, 0);
  int64_t strides[3][TSL_MAX_RANK], index[TSL_MAX_RANK] = {0};
  for (int k = 0; k < 3; k++) broadcast_strides(in_type(e, k), out_type, strides[k]);
  size_t size = tsl_dtype_size(out_type->dtype);
  int64_t elements = tsl_type_elements(out_type);
  for (int64_t i = 0; i < elements; i++, next_index(out_type, index)) {
    bool pick = ((const uint8_t *)in_bytes(e, 0))[offset_of(index, strides[0], out_type->rank)];
    int source = pick ? 1 : 2;
    int64_t offset = offset_of(index, strides[source], out_type->rank);
    memcpy((char *)out + i * (int64_t)size, (const char *)in_bytes(e, source) + offset * (int64_t)size, size);
  }
  return true;
}

static bool eval_clip(eval *e) {
  const tsl_type *x = in_type(e, 0);
  void *out = new_output(e, 0);
  bool has_min = e->node->num_inputs > 1 && e->node->inputs[1];
  bool has_max = e->node->num_inputs > 2 && e->node->inputs[2];
  int64_t elements = tsl_type_elements(x);
  for (int64_t i = 0; i < elements; i++) {
    double value = tsl_element_get_f64(x->dtype, in_bytes(e, 0), i);
    if (has_min && value < tsl_element_get_f64(x->dtype, in_bytes(e, 1), 0)) {
      value = tsl_element_get_f64(x->dtype, in_bytes(e, 1), 0);
    }
    if (has_max && value > tsl_element_get_f64(x->dtype, in_bytes(e, 2), 0)) {
      value = tsl_element_get_f64(x->dtype, in_bytes(e, 2), 0);
    }
    tsl_element_set_f64(x->dtype, out, i, value);
  }
  return true;
}

/* ---- data movement ---------------------------------------------------------------------- */

/* Copies output element by element from input 0 through a map from output index to input
 * offset (-1: leave zero). */
typedef int64_t (*source_offset)(const eval *e, const int64_t *index, const void *context);

static void gather_elements_by(eval *e, int input, int output, source_offset source,
                               const void *context) {
  const tsl_type *out_type = &e->node->outputs[output]->type;
  void *out = new_output(e, output);
  size_t size = tsl_dtype_size(out_type->dtype);
  int64_t index[TSL_MAX_RANK] = {0};
  int64_t elements = tsl_type_elements(out_type);
  for (int64_t i = 0; i < elements; i++, next_index(out_type, index)) {
    int64_t offset = source(e, index, context);
    if (offset >= 0) {
      memcpy((char *)out + i * (int64_t)size, (const char *)in_bytes(e, input) + offset * (int64_t)size, size);
    }
  }
}

static bool eval_reshape(eval *e) {
  void *out = new_output(e, 0);
  memcpy(out, in_bytes(e, 0), (size_t)e->outputs[0]->size);
  return true;
}

static int64_t transpose_source(const eval *e, const int64_t *index, const void *context) {
  const int64_t *strides = context;
  const tsl_attr *perm = attr(e, "perm");
  int64_t offset = 0;
  for (int axis = 0; axis < perm->count; axis++) offset += index[axis] * strides[perm->ints[axis]];
  return offset;
}

static bool eval_transpose(eval *e) {
  int64_t strides[TSL_MAX_RANK];
  strides_of(in_type(e, 0), strides);
  gather_elements_by(e, 0, 0, transpose_source, strides);
  return true;
}

static int64_t expand_source(const eval *e, const int64_t *index, const void *context) {
  return offset_of(index, context, e->node->outputs[0]->type.rank);
}

static bool eval_expand(eval *e) {
  int64_t strides[TSL_MAX_RANK];
  broadcast_strides(in_type(e, 0), &e->node->outputs[0]->type, strides);
  gather_elements_by(e, 0, 0, expand_source, strides);
  return true;
}

static int64_t tile_source(const eval *e, const int64_t *index, const void *context) {
  const tsl_type *x = in_type(e, 0);
  const int64_t *strides = context;
  int64_t offset = 0;
  for (int axis = 0; axis < x->rank; axis++) offset += (index[axis] % x->dims[axis]) * strides[axis];
  return offset;
}

static bool eval_tile(eval *e) {
  int64_t strides[TSL_MAX_RANK];
  strides_of(in_type(e, 0), strides);
  gather_elements_by(e, 0, 0, tile_source, strides);
  return true;
}

/* Normalised slice parameters per axis: start and step. */
typedef struct slicing {
  int64_t start[TSL_MAX_RANK], step[TSL_MAX_RANK], strides[TSL_MAX_RANK];
} slicing;

static int64_t clamp64(int64_t value, int64_t low, int64_t high) {
  return value < low ? low : value > high ? high : value;
}

static int64_t slice_source(const eval *e, const int64_t *index, const void *context) {
  (void)e;
  const slicing *s = context;
  int64_t offset = 0;
  for (int axis = 0; axis < in_type(e, 0)->rank; axis++) {
    offset += (s->start[axis] + index[axis] * s->step[axis]) * s->strides[axis];
  }
  return offset;
}

static bool eval_slice(eval *e) {
  const tsl_type *x = in_type(e, 0);
  slicing s;
  strides_of(x, s.strides);
  for (int axis = 0; axis < x->rank; axis++) {
    s.start[axis] = 0;
    s.step[axis] = 1;
  }
  const tsl_attr *starts = attr(e, "starts"), *axes = attr(e, "axes"), *steps = attr(e, "steps");
  for (int i = 0; i < axes->count; i++) {
    int axis = (int)(axes->ints[i] < 0 ? axes->ints[i] + x->rank : axes->ints[i]);
    int64_t dim = x->dims[axis], step = steps->ints[i], start = starts->ints[i];
    if (start < 0) start += dim;
    s.start[axis] = step > 0 ? clamp64(start, 0, dim) : clamp64(start, 0, dim - 1);
    s.step[axis] = step;
  }
  gather_elements_by(e, 0, 0, slice_source, &s);
  return true;
}

static int64_t take_source(const eval *e, const int64_t *index, const void *context) {
  (void)context;
  const tsl_type *x = in_type(e, 0), *indices = in_type(e, 1);
  int axis = (int)attr(e, "axis")->i;
  if (axis < 0) axis += x->rank;
  int64_t strides[TSL_MAX_RANK], index_strides[TSL_MAX_RANK];
  strides_of(x, strides);
  strides_of(indices, index_strides);
  int64_t which = tsl_element_get_i64(indices->dtype, in_bytes(e, 1),
                                      offset_of(index + axis, index_strides, indices->rank));
  if (which < 0) which += x->dims[axis];
  int64_t offset = which * strides[axis];
  for (int a = 0; a < axis; a++) offset += index[a] * strides[a];
  for (int a = axis + 1; a < x->rank; a++) offset += index[a - 1 + indices->rank] * strides[a];
  return offset;
}

static bool eval_take(eval *e) {
  const tsl_type *x = in_type(e, 0), *indices = in_type(e, 1);
  int axis = (int)attr(e, "axis")->i;
  if (axis < 0) axis += x->rank;
  int64_t count = tsl_type_elements(indices);
  for (int64_t i = 0; i < count; i++) {
    int64_t which = tsl_element_get_i64(indices->dtype, in_bytes(e, 1), i);
    if (which < -x->dims[axis] || which >= x->dims[axis]) {
      return eval_fail(e, "index %lld is out of range for axis %d of size %lld", (long long)which,
                       axis, (long long)x->dims[axis]);
    }
  }
  gather_elements_by(e, 0, 0, take_source, NULL);
  return true;
}

static bool eval_concat(eval *e) {
  const tsl_type *out_type = &e->node->outputs[0]->type;
  char *out = new_output(e, 0);
  int axis = (int)attr(e, "axis")->i;
  if (axis < 0) axis += out_type->rank;
  int64_t outer = 1, inner = tsl_dtype_size(out_type->dtype);
  for (int a = 0; a < axis; a++) outer *= out_type->dims[a];
  for (int a = axis + 1; a < out_type->rank; a++) inner *= out_type->dims[a];
  int64_t row = out_type->dims[axis] * inner, written = 0;
  for (int k = 0; k < e->node->num_inputs; k++) {
    int64_t piece = in_type(e, k)->dims[axis] * inner;
    for (int64_t o = 0; o < outer; o++) {
      memcpy(out + o * row + written, (const char *)in_bytes(e, k) + o * piece, (size_t)piece);
    }
    written += piece;
  }
  return true;
}

static bool eval_split(eval *e) {
  const tsl_type *x = in_type(e, 0);
  int axis = (int)attr(e, "axis")->i;
  if (axis < 0) axis += x->rank;
  int64_t outer = 1, inner = tsl_dtype_size(x->dtype);
  for (int a = 0; a < axis; a++) outer *= x->dims[a];
  for (int a = axis + 1; a < x->rank; a++) inner *= x->dims[a];
  int64_t row = x->dims[axis] * inner, read = 0;
  for (int k = 0; k < e->node->num_outputs; k++) {
    char *out = new_output(e, k);
    int64_t piece = e->node->outputs[k]->type.dims[axis] * inner;
    for (int64_t o = 0; o < outer; o++) {
      memcpy(out + o * piece, (const char *)in_bytes(e, 0) + o * row + read, (size_t)piece);
    }
    read += piece;
  }
  return true;
}

static bool eval_full(eval *e) {
  const tsl_type *out_type = &e->node->outputs[0]->type;
  char *out = new_output(e, 0);
  size_t size = tsl_dtype_size(out_type->dtype);
  int64_t elements = tsl_type_elements(out_type);
  for (int64_t i = 0; i < elements; i++) memcpy(out + i * (int64_t)size, in_bytes(e, 0), size);
  return true;
}

/* ---- reductions ------------------------------------------------------------------------- */

static bool eval_reduce(eval *e) {
  const tsl_type *x = in_type(e, 0);
  const tsl_type *out_type = &e->node->outputs[0]->type;
  tsl_op_kind op = e->node->op;
  bool reduced[TSL_MAX_RANK] = {0};
  const tsl_attr *axes = attr(e, "axes");
  for (int axis = 0; axis < x->rank; axis++) reduced[axis] = axes->count == 0;
  for (int i = 0; i < axes->count; i++) reduced[axes->ints[i] < 0 ? axes->ints[i] + x->rank : axes->ints[i]] = true;
  /* Strides into the output for every input axis: 0 along reduced axes. */
  int64_t out_strides[TSL_MAX_RANK], strides[TSL_MAX_RANK];
  strides_of(out_type, out_strides);
  for (int axis = 0, out_axis = 0; axis < x->rank; axis++) {
    bool kept_in_output = !reduced[axis] || attr(e, "keepdims")->i;
    strides[axis] = reduced[axis] ? 0 : out_strides[out_axis];
    if (kept_in_output) out_axis++;
  }
  int64_t out_elements = tsl_type_elements(out_type), elements = tsl_type_elements(x);
  double *accumulator = calloc((size_t)out_elements + 1, sizeof(double));
  TSL_CHECK_ALLOC(accumulator);
  double initial = op == TSL_OP_reduce_prod ? 1 : op == TSL_OP_reduce_max ? -INFINITY
                   : op == TSL_OP_reduce_min ? INFINITY : 0;
  for (int64_t i = 0; i < out_elements; i++) accumulator[i] = initial;
  int64_t index[TSL_MAX_RANK] = {0};
  for (int64_t i = 0; i < elements; i++, next_index(x, index)) {
    double value = tsl_element_get_f64(x->dtype, in_bytes(e, 0), i);
    double *slot = &accumulator[offset_of(index, strides, x->rank)];
    switch (op) {
    case TSL_OP_reduce_sum:
    case TSL_OP_reduce_mean: *slot += value; break;
    case TSL_OP_reduce_prod: *slot *= value; break;
    case TSL_OP_reduce_max: *slot = value > *slot ? value : *slot; break;
    case TSL_OP_reduce_min: *slot = value < *slot ? value : *slot; break;
    default: TSL_UNREACHABLE();
    }
  }
  void *out = new_output(e, 0);
  int64_t count = out_elements ? elements / out_elements : 0;
  for (int64_t i = 0; i < out_elements; i++) {
    double value = accumulator[i];
    if (op == TSL_OP_reduce_mean) value = count ? value / (double)count : NAN;
    tsl_element_set_f64(out_type->dtype, out, i, value);
  }
  free(accumulator);
  return true;
}

/* ---- dispatch --------------------------------------------------------------------------- */

typedef bool (*evaluator)(eval *e);

static evaluator evaluator_of(tsl_op_kind op) {
  switch (op) {
  case TSL_OP_sqrt: case TSL_OP_reciprocal: case TSL_OP_exp: case TSL_OP_log:
  case TSL_OP_sin: case TSL_OP_cos: case TSL_OP_tan: case TSL_OP_asin: case TSL_OP_acos:
  case TSL_OP_atan: case TSL_OP_sinh: case TSL_OP_cosh: case TSL_OP_tanh: case TSL_OP_asinh:
  case TSL_OP_acosh: case TSL_OP_atanh: case TSL_OP_erf: case TSL_OP_ceil: case TSL_OP_floor:
  case TSL_OP_round: case TSL_OP_sigmoid: case TSL_OP_softplus: case TSL_OP_softsign:
  case TSL_OP_leaky_relu: case TSL_OP_abs: case TSL_OP_neg: case TSL_OP_sign: case TSL_OP_relu:
  case TSL_OP_bitwise_not: case TSL_OP_logical_not: case TSL_OP_is_nan: case TSL_OP_is_inf:
  case TSL_OP_cast:
    return eval_unary;
  case TSL_OP_add: case TSL_OP_sub: case TSL_OP_mul: case TSL_OP_div: case TSL_OP_mod:
  case TSL_OP_maximum: case TSL_OP_minimum: case TSL_OP_pow: case TSL_OP_prelu:
  case TSL_OP_bitwise_and: case TSL_OP_bitwise_or: case TSL_OP_bitwise_xor:
  case TSL_OP_left_shift: case TSL_OP_right_shift: case TSL_OP_logical_and:
  case TSL_OP_logical_or: case TSL_OP_logical_xor: case TSL_OP_equal: case TSL_OP_less:
  case TSL_OP_less_equal: case TSL_OP_greater: case TSL_OP_greater_equal:
    return eval_binary;
  case TSL_OP_where: return eval_where;
  case TSL_OP_clip: return eval_clip;
  case TSL_OP_reshape: return eval_reshape;
  case TSL_OP_transpose: return eval_transpose;
  case TSL_OP_expand: return eval_expand;
  case TSL_OP_tile: return eval_tile;
  case TSL_OP_slice: return eval_slice;
  case TSL_OP_take: return eval_take;
  case TSL_OP_concat: return eval_concat;
  case TSL_OP_split: return eval_split;
  case TSL_OP_full: return eval_full;
  case TSL_OP_reduce_sum: case TSL_OP_reduce_mean: case TSL_OP_reduce_prod:
  case TSL_OP_reduce_max: case TSL_OP_reduce_min:
    return eval_reduce;
  default: return NULL;
  }
}

bool tsl_op_can_eval(tsl_op_kind op) { return evaluator_of(op) != NULL; }

bool tsl_op_eval(const tsl_node *node, tsl_tensor_data **outputs, char *message, size_t size) {
  evaluator run = evaluator_of(node->op);
  TSL_CHECK(run);
  for (int i = 0; i < node->num_inputs; i++) {
    TSL_CHECK(!node->inputs[i] || node->inputs[i]->data);
  }
  eval e = {.node = node, .outputs = outputs, .message = message, .message_size = size};
  memset(outputs, 0, sizeof(*outputs) * (size_t)node->num_outputs);
  if (run(&e)) return true;
  for (int i = 0; i < node->num_outputs; i++) tsl_tensor_data_release(outputs[i]);
  return false;
}
