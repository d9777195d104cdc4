/* tessel runtime API: what a deployed program links (libtessel_runtime), with no compiler in it.
 *
 * This header grows with the runtime: devices, tensors, the executor for a compiled model and
 * its profiler come with the code generator. What is here now is what both halves of tessel
 * share: element types and the library's version. */
#ifndef TESSEL_RUNTIME_H
#define TESSEL_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types. The numbers are stable: compiled artifacts store them. */
typedef enum tsl_dtype {
  TSL_DTYPE_INVALID = 0,
  TSL_DTYPE_F32 = 1,
  TSL_DTYPE_F16 = 2,
  TSL_DTYPE_BF16 = 3,
  TSL_DTYPE_F64 = 4,
  TSL_DTYPE_I8 = 5,
  TSL_DTYPE_U8 = 6,
  TSL_DTYPE_I16 = 7,
  TSL_DTYPE_U16 = 8,
  TSL_DTYPE_I32 = 9,
  TSL_DTYPE_U32 = 10,
  TSL_DTYPE_I64 = 11,
  TSL_DTYPE_U64 = 12,
  TSL_DTYPE_BOOL = 13,
} tsl_dtype;

#define TSL_DTYPE_COUNT 14

/* Bytes per element (0 for TSL_DTYPE_INVALID). */
size_t tsl_dtype_size(tsl_dtype dtype);

/* The name the IR text uses: "f32", "i64", "bool", ...; "invalid" for anything else. */
const char *tsl_dtype_name(tsl_dtype dtype);

/* "0.1.0" */
const char *tsl_version(void);

#ifdef __cplusplus
}
#endif

#endif
