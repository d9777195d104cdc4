/* The one table of element types: names and sizes. The compiler adds what it needs on top
 * (ir/dtype.h: classes, conversions, element access). */
#include "tessel/runtime.h"

static const struct {
  const char *name;
  size_t size;
} dtypes[TSL_DTYPE_COUNT] = {
    [TSL_DTYPE_INVALID] = {"invalid", 0}, [TSL_DTYPE_F32] = {"f32", 4},
    [TSL_DTYPE_F16] = {"f16", 2},         [TSL_DTYPE_BF16] = {"bf16", 2},
    [TSL_DTYPE_F64] = {"f64", 8},         [TSL_DTYPE_I8] = {"i8", 1},
    [TSL_DTYPE_U8] = {"u8", 1},           [TSL_DTYPE_I16] = {"i16", 2},
    [TSL_DTYPE_U16] = {"u16", 2},         [TSL_DTYPE_I32] = {"i32", 4},
    [TSL_DTYPE_U32] = {"u32", 4},         [TSL_DTYPE_I64] = {"i64", 8},
    [TSL_DTYPE_U64] = {"u64", 8},         [TSL_DTYPE_BOOL] = {"bool", 1},
};

size_t tsl_dtype_size(tsl_dtype dtype) {
  return (unsigned)dtype < TSL_DTYPE_COUNT ? dtypes[dtype].size : 0;
}

const char *tsl_dtype_name(tsl_dtype dtype) {
  return (unsigned)dtype < TSL_DTYPE_COUNT ? dtypes[dtype].name : "invalid";
}

const char *tsl_version(void) { return "0.1.0"; }
