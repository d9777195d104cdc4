/* Element types beyond their names and sizes (tessel/runtime.h): classes, half-precision
 * conversions, and access to single elements of raw tensor data. The compiler uses them for
 * import-time evaluation and printing (through ir/dtype.h), the runner to fill inputs. */
#ifndef TSL_RUNTIME_DTYPE_H
#define TSL_RUNTIME_DTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessel/runtime.h"

bool tsl_dtype_is_float(tsl_dtype dtype);   /* f16, bf16, f32, f64 */
bool tsl_dtype_is_integer(tsl_dtype dtype); /* i8 … u64 (not bool) */
bool tsl_dtype_is_signed(tsl_dtype dtype);  /* floats and signed integers */

float tsl_f16_to_f32(uint16_t bits);
uint16_t tsl_f32_to_f16(float value); /* round to nearest even */
float tsl_bf16_to_f32(uint16_t bits);
uint16_t tsl_f32_to_bf16(float value); /* round to nearest even */

/* One element of an array of `dtype`, read or written as a double or as an integer. Integers
 * read as double convert exactly up to 2^53; u64 travels through int64_t as its bit pattern. */
double tsl_element_get_f64(tsl_dtype dtype, const void *data, int64_t index);
int64_t tsl_element_get_i64(tsl_dtype dtype, const void *data, int64_t index);
void tsl_element_set_f64(tsl_dtype dtype, void *data, int64_t index, double value);
void tsl_element_set_i64(tsl_dtype dtype, void *data, int64_t index, int64_t value);

#endif
