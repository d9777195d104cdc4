/* Element types, as the compiler sees them: names and sizes come from the runtime's table
 * (tessel/runtime.h), classes, half-precision conversions and element access from the runtime
 * too (runtime/dtype.h, which the runner shares); this adds parsing. */
#ifndef TSL_IR_DTYPE_H
#define TSL_IR_DTYPE_H

#include <stddef.h>

#include "runtime/dtype.h"

/* Parses "f32", "i64", …; TSL_DTYPE_INVALID when the text names no dtype. */
tsl_dtype tsl_dtype_parse(const char *text, size_t length);

#endif
