/* Operator attributes: typed values, compared, hashed and written the same way everywhere. */
#ifndef TSL_IR_ATTR_H
#define TSL_IR_ATTR_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/arena.h"
#include "ir/text.h"
#include "ir/dtype.h"
#include "ir/scan.h"

#define TSL_ATTR_KINDS(X)                                 \
  X(INT, "int")         /* one int64 */                   \
  X(FLOAT, "float")     /* one f32 (kept in a double) */   \
  X(INTS, "ints")       /* a list of int64, maybe empty */ \
  X(FLOATS, "floats")   /* a list of f32 */               \
  X(STRING, "string")   /* text */                        \
  X(DTYPE, "dtype")     /* an element type */

typedef enum tsl_attr_kind {
#define X(kind, name) TSL_ATTR_##kind,
  TSL_ATTR_KINDS(X)
#undef X
} tsl_attr_kind;

typedef struct tsl_attr {
  tsl_attr_kind kind;
  int count; /* length of a list */
  union {
    int64_t i;
    double f;
    const int64_t *ints;
    const double *floats;
    const char *s;
    tsl_dtype dtype;
  };
} tsl_attr;

const char *tsl_attr_kind_name(tsl_attr_kind kind);

tsl_attr tsl_attr_int(int64_t value);
/* Float attributes have f32 precision, as ONNX's do: values are rounded to the nearest f32. */
tsl_attr tsl_attr_float(double value);
tsl_attr tsl_attr_dtype(tsl_dtype value);
/* Lists and strings are copied into the arena. */
tsl_attr tsl_attr_ints(tsl_arena *arena, int count, const int64_t *values);
tsl_attr tsl_attr_floats(tsl_arena *arena, int count, const double *values);
tsl_attr tsl_attr_string(tsl_arena *arena, const char *value);
tsl_attr tsl_attr_copy(tsl_arena *arena, const tsl_attr *attr);

/* Equal values; floats compare by bits, so NaN equals NaN and 0.0 differs from -0.0. */
bool tsl_attr_equal(const tsl_attr *a, const tsl_attr *b);

void tsl_attr_print(tsl_text *buffer, const tsl_attr *attr);

/* Reads a value of the given kind, as tsl_attr_print writes it; false on bad text. */
bool tsl_attr_parse(tsl_scanner *scanner, tsl_arena *arena, tsl_attr_kind kind, tsl_attr *out);

/* Feeds the value's canonical bytes to a hash function. */
typedef void (*tsl_hash_feed)(void *context, const void *bytes, size_t size);
void tsl_attr_hash(const tsl_attr *attr, tsl_hash_feed feed, void *context);

#endif
