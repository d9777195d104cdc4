/* Tensor types: an element type and a static shape. A 0-d scalar has rank 0; dimensions of
 * size zero are allowed. Every shape that enters tessel goes through tsl_shape_elements, which
 * refuses sizes that would overflow. */
#ifndef TSL_IR_TYPE_H
#define TSL_IR_TYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/dtype.h"

#define TSL_MAX_RANK 16

/* The largest element count tessel accepts in one tensor: any byte size it implies fits an
 * int64_t with room to spare. */
#define TSL_MAX_ELEMENTS (INT64_C(1) << 56)

typedef struct tsl_type {
  tsl_dtype dtype;
  int rank;
  int64_t dims[TSL_MAX_RANK];
} tsl_type;

tsl_type tsl_type_make(tsl_dtype dtype, int rank, const int64_t *dims);
tsl_type tsl_type_scalar(tsl_dtype dtype);

/* Element count of a shape; false when a dimension is negative or the count passes
 * TSL_MAX_ELEMENTS. */
bool tsl_shape_elements(int rank, const int64_t *dims, int64_t *elements);

/* Element count of a type that has been checked already. */
int64_t tsl_type_elements(const tsl_type *type);
int64_t tsl_type_bytes(const tsl_type *type);

bool tsl_type_equal(const tsl_type *a, const tsl_type *b);
bool tsl_shape_equal(const tsl_type *a, const tsl_type *b);

/* Text for messages and the IR: "f32[1, 3, 224, 224]", "i64[]", and "[1, 3]" for a shape. */
typedef struct tsl_type_text {
  char text[TSL_MAX_RANK * 22 + 16];
} tsl_type_text;

tsl_type_text tsl_type_str(const tsl_type *type);
tsl_type_text tsl_shape_str(int rank, const int64_t *dims);
tsl_type_text tsl_type_shape_str(const tsl_type *type); /* the shape alone: "[1, 3]" */

#endif
