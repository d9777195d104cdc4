#include "ir/type.h"

#include <stdio.h>
#include <string.h>

#include "ir/check.h"

tsl_type tsl_type_make(tsl_dtype dtype, int rank, const int64_t *dims) {
  TSL_CHECK(rank >= 0 && rank <= TSL_MAX_RANK);
  tsl_type type = {.dtype = dtype, .rank = rank};
  if (rank) memcpy(type.dims, dims, sizeof(int64_t) * (size_t)rank);
  return type;
}

tsl_type tsl_type_scalar(tsl_dtype dtype) { return (tsl_type){.dtype = dtype}; }

bool tsl_shape_elements(int rank, const int64_t *dims, int64_t *elements) {
  int64_t count = 1;
  bool empty = false;
  for (int axis = 0; axis < rank; axis++) {
    if (dims[axis] < 0) return false;
    if (dims[axis] == 0) empty = true;
  }
  /* A zero anywhere makes the count zero, but the other dimensions must still be sane. */
  for (int axis = 0; axis < rank; axis++) {
    int64_t dim = dims[axis] ? dims[axis] : 1;
    if (dim > TSL_MAX_ELEMENTS / count) return false;
    count *= dim;
  }
  *elements = empty ? 0 : count;
  return true;
}

int64_t tsl_type_elements(const tsl_type *type) {
  int64_t elements;
  TSL_CHECK(tsl_shape_elements(type->rank, type->dims, &elements));
  return elements;
}

int64_t tsl_type_bytes(const tsl_type *type) {
  return tsl_type_elements(type) * (int64_t)tsl_dtype_size(type->dtype);
}

bool tsl_shape_equal(const tsl_type *a, const tsl_type *b) {
  return a->rank == b->rank &&
         (a->rank == 0 || memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->rank) == 0);
}

bool tsl_type_equal(const tsl_type *a, const tsl_type *b) {
  return a->dtype == b->dtype && tsl_shape_equal(a, b);
}

tsl_type_text tsl_shape_str(int rank, const int64_t *dims) {
  tsl_type_text out;
  size_t used = 0;
  out.text[used++] = '[';
  for (int axis = 0; axis < rank && axis < TSL_MAX_RANK; axis++) {
    used += (size_t)snprintf(out.text + used, sizeof(out.text) - used, "%s%lld",
                             axis ? ", " : "", (long long)dims[axis]);
  }
  snprintf(out.text + used, sizeof(out.text) - used, "]");
  return out;
}

tsl_type_text tsl_type_shape_str(const tsl_type *type) {
  return tsl_shape_str(type->rank, type->dims);
}

tsl_type_text tsl_type_str(const tsl_type *type) {
  tsl_type_text shape = tsl_shape_str(type->rank, type->dims);
  tsl_type_text out;
  snprintf(out.text, sizeof(out.text), "%s%s", tsl_dtype_name(type->dtype), shape.text);
  return out;
}
