/* The one table of element types (names and sizes), their classes, half-precision conversions,
 * and access to single elements of raw tensor data. The compiler adds parsing on top
 * (ir/dtype.h). */
#include "runtime/dtype.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

bool tsl_dtype_is_float(tsl_dtype dtype) {
  return dtype == TSL_DTYPE_F32 || dtype == TSL_DTYPE_F16 || dtype == TSL_DTYPE_BF16 ||
         dtype == TSL_DTYPE_F64;
}

bool tsl_dtype_is_integer(tsl_dtype dtype) {
  return dtype >= TSL_DTYPE_I8 && dtype <= TSL_DTYPE_U64;
}

bool tsl_dtype_is_signed(tsl_dtype dtype) {
  return tsl_dtype_is_float(dtype) || dtype == TSL_DTYPE_I8 || dtype == TSL_DTYPE_I16 ||
         dtype == TSL_DTYPE_I32 || dtype == TSL_DTYPE_I64;
}

/* Element access to a dtype outside the table is a bug in the caller. */
static _Noreturn void unknown_dtype(tsl_dtype dtype) {
  fprintf(stderr, "tessel: internal error: element access to an unknown dtype (%d)\n", (int)dtype);
  abort();
}

static uint32_t float_bits(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof(bits));
  return bits;
}

static float bits_float(uint32_t bits) {
  float value;
  memcpy(&value, &bits, sizeof(value));
  return value;
}

float tsl_f16_to_f32(uint16_t half) {
  uint32_t sign = (uint32_t)(half & 0x8000) << 16;
  uint32_t exponent = (half >> 10) & 0x1f;
  uint32_t mantissa = half & 0x3ff;
  if (exponent == 0x1f) return bits_float(sign | 0x7f800000 | (mantissa << 13));
  if (exponent == 0) {
    /* Zero or subnormal: mantissa × 2^-24, exact in f32. */
    float magnitude = ldexpf((float)mantissa, -24);
    return sign ? -magnitude : magnitude;
  }
  return bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t tsl_f32_to_f16(float value) {
  uint32_t bits = float_bits(value);
  uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
  uint32_t magnitude = bits & 0x7fffffff;
  if (magnitude > 0x7f800000) return sign | 0x7e00; /* NaN stays NaN */
  if (magnitude >= 0x477ff000) return sign | 0x7c00; /* rounds to ≥ 65520: infinity */
  if (magnitude < 0x38800000) {
    /* Below the smallest normal half: round to a multiple of 2^-24, ties to even. */
    float scaled = bits_float(magnitude) * 16777216.0f;
    return sign | (uint16_t)nearbyintf(scaled);
  }
  uint32_t rounded = magnitude + 0xfff + ((magnitude >> 13) & 1);
  return sign | (uint16_t)((rounded - 0x38000000) >> 13);
}

float tsl_bf16_to_f32(uint16_t bits) { return bits_float((uint32_t)bits << 16); }

uint16_t tsl_f32_to_bf16(float value) {
  uint32_t bits = float_bits(value);
  if ((bits & 0x7fffffff) > 0x7f800000) return (uint16_t)((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return (uint16_t)(bits >> 16);
}

#define LOAD(type) (((const type *)data)[index])
#define STORE(type, value) (((type *)data)[index] = (type)(value))

double tsl_element_get_f64(tsl_dtype dtype, const void *data, int64_t index) {
  switch (dtype) {
  case TSL_DTYPE_F32: return LOAD(float);
  case TSL_DTYPE_F16: return tsl_f16_to_f32(LOAD(uint16_t));
  case TSL_DTYPE_BF16: return tsl_bf16_to_f32(LOAD(uint16_t));
  case TSL_DTYPE_F64: return LOAD(double);
  case TSL_DTYPE_I8: return LOAD(int8_t);
  case TSL_DTYPE_U8: return LOAD(uint8_t);
  case TSL_DTYPE_I16: return LOAD(int16_t);
  case TSL_DTYPE_U16: return LOAD(uint16_t);
  case TSL_DTYPE_I32: return LOAD(int32_t);
  case TSL_DTYPE_U32: return LOAD(uint32_t);
  case TSL_DTYPE_I64: return (double)LOAD(int64_t);
  case TSL_DTYPE_U64: return (double)LOAD(uint64_t);
  case TSL_DTYPE_BOOL: return LOAD(uint8_t) != 0;
  default: unknown_dtype(dtype);
  }
}

/* A float converted to an integer type saturates at the type's limits and maps NaN to 0, so the
 * conversion never has undefined behaviour. */
static int64_t saturate_to_i64(double value) {
  if (isnan(value)) return 0;
  if (value >= 9223372036854775807.0) return INT64_MAX;
  if (value <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)value;
}

int64_t tsl_element_get_i64(tsl_dtype dtype, const void *data, int64_t index) {
  switch (dtype) {
  case TSL_DTYPE_F32:
  case TSL_DTYPE_F16:
  case TSL_DTYPE_BF16:
  case TSL_DTYPE_F64: return saturate_to_i64(tsl_element_get_f64(dtype, data, index));
  case TSL_DTYPE_I8: return LOAD(int8_t);
  case TSL_DTYPE_U8: return LOAD(uint8_t);
  case TSL_DTYPE_I16: return LOAD(int16_t);
  case TSL_DTYPE_U16: return LOAD(uint16_t);
  case TSL_DTYPE_I32: return LOAD(int32_t);
  case TSL_DTYPE_U32: return LOAD(uint32_t);
  case TSL_DTYPE_I64: return LOAD(int64_t);
  case TSL_DTYPE_U64: return (int64_t)LOAD(uint64_t);
  case TSL_DTYPE_BOOL: return LOAD(uint8_t) != 0;
  default: unknown_dtype(dtype);
  }
}

static double clamp(double value, double low, double high) {
  return value < low ? low : value > high ? high : value;
}

void tsl_element_set_f64(tsl_dtype dtype, void *data, int64_t index, double value) {
  if (tsl_dtype_is_integer(dtype) && isnan(value)) value = 0;
  switch (dtype) {
  case TSL_DTYPE_F32: STORE(float, value); break;
  case TSL_DTYPE_F16: STORE(uint16_t, tsl_f32_to_f16((float)value)); break;
  case TSL_DTYPE_BF16: STORE(uint16_t, tsl_f32_to_bf16((float)value)); break;
  case TSL_DTYPE_F64: STORE(double, value); break;
  case TSL_DTYPE_I8: STORE(int8_t, clamp(value, INT8_MIN, INT8_MAX)); break;
  case TSL_DTYPE_U8: STORE(uint8_t, clamp(value, 0, UINT8_MAX)); break;
  case TSL_DTYPE_I16: STORE(int16_t, clamp(value, INT16_MIN, INT16_MAX)); break;
  case TSL_DTYPE_U16: STORE(uint16_t, clamp(value, 0, UINT16_MAX)); break;
  case TSL_DTYPE_I32: STORE(int32_t, clamp(value, INT32_MIN, INT32_MAX)); break;
  case TSL_DTYPE_U32: STORE(uint32_t, clamp(value, 0, UINT32_MAX)); break;
  case TSL_DTYPE_I64: STORE(int64_t, saturate_to_i64(value)); break;
  case TSL_DTYPE_U64:
    STORE(uint64_t, value <= 0 ? 0 : value >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)value);
    break;
  case TSL_DTYPE_BOOL: STORE(uint8_t, value != 0); break;
  default: unknown_dtype(dtype);
  }
}

/* Integer to integer wraps modulo the width, as C and ONNX's Cast do. */
void tsl_element_set_i64(tsl_dtype dtype, void *data, int64_t index, int64_t value) {
  switch (dtype) {
  case TSL_DTYPE_F32:
  case TSL_DTYPE_F16:
  case TSL_DTYPE_BF16:
  case TSL_DTYPE_F64: tsl_element_set_f64(dtype, data, index, (double)value); break;
  case TSL_DTYPE_I8: STORE(int8_t, (uint8_t)value); break;
  case TSL_DTYPE_U8: STORE(uint8_t, value); break;
  case TSL_DTYPE_I16: STORE(int16_t, (uint16_t)value); break;
  case TSL_DTYPE_U16: STORE(uint16_t, value); break;
  case TSL_DTYPE_I32: STORE(int32_t, (uint32_t)value); break;
  case TSL_DTYPE_U32: STORE(uint32_t, value); break;
  case TSL_DTYPE_I64: STORE(int64_t, value); break;
  case TSL_DTYPE_U64: STORE(uint64_t, (uint64_t)value); break;
  case TSL_DTYPE_BOOL: STORE(uint8_t, value != 0); break;
  default: unknown_dtype(dtype);
  }
}
