#include <math.h>
#include <string.h>

#include "ir/dtype.h"
#include "ir/type.h"
#include "tests/unit/util.h"

START_TEST(names_parse_back) {
  for (int dtype = 1; dtype < TSL_DTYPE_COUNT; dtype++) {
    const char *name = tsl_dtype_name((tsl_dtype)dtype);
    ck_assert_int_eq(tsl_dtype_parse(name, strlen(name)), dtype);
    ck_assert_uint_gt(tsl_dtype_size((tsl_dtype)dtype), 0);
  }
  ck_assert_int_eq(tsl_dtype_parse("f33", 3), TSL_DTYPE_INVALID);
  ck_assert_uint_eq(tsl_dtype_size(TSL_DTYPE_BF16), 2);
  ck_assert(tsl_dtype_is_float(TSL_DTYPE_BF16));
  ck_assert(!tsl_dtype_is_signed(TSL_DTYPE_U32));
  ck_assert(!tsl_dtype_is_integer(TSL_DTYPE_BOOL));
}
END_TEST

/* Every half-precision value converts to f32 and back unchanged. */
START_TEST(half_precision_round_trips) {
  for (uint32_t bits = 0; bits < 0x10000; bits++) {
    float value = tsl_f16_to_f32((uint16_t)bits);
    if (isnan(value)) {
      ck_assert(isnan(tsl_f16_to_f32(tsl_f32_to_f16(value))));
      continue;
    }
    ck_assert_uint_eq(tsl_f32_to_f16(value), bits);
    float wide = tsl_bf16_to_f32((uint16_t)bits);
    if (!isnan(wide)) ck_assert_uint_eq(tsl_f32_to_bf16(wide), bits);
  }
  /* Rounding: to nearest, ties to even; overflow to infinity. */
  ck_assert_uint_eq(tsl_f32_to_f16(1.0f + 1.0f / 2048), 0x3c00);
  ck_assert_uint_eq(tsl_f32_to_f16(1.0f + 3.0f / 2048), 0x3c02);
  ck_assert_uint_eq(tsl_f32_to_f16(65520.0f), 0x7c00);
  ck_assert_uint_eq(tsl_f32_to_f16(65519.0f), 0x7bff);
  ck_assert_uint_eq(tsl_f32_to_bf16(1.00390625f), 0x3f80);
}
END_TEST

START_TEST(element_conversions_saturate) {
  int8_t small[1];
  tsl_element_set_f64(TSL_DTYPE_I8, small, 0, 1000.0);
  ck_assert_int_eq(small[0], 127);
  tsl_element_set_f64(TSL_DTYPE_I8, small, 0, NAN);
  ck_assert_int_eq(small[0], 0);
  tsl_element_set_i64(TSL_DTYPE_I8, small, 0, 300); /* integers wrap */
  ck_assert_int_eq(small[0], 44);
  uint64_t big[1] = {UINT64_MAX};
  ck_assert_int_eq(tsl_element_get_i64(TSL_DTYPE_U64, big, 0), -1);
}
END_TEST

START_TEST(shapes_refuse_overflow) {
  int64_t elements;
  int64_t huge[3] = {INT64_C(1) << 30, INT64_C(1) << 30, INT64_C(1) << 30};
  ck_assert(!tsl_shape_elements(3, huge, &elements));
  int64_t negative[2] = {2, -1};
  ck_assert(!tsl_shape_elements(2, negative, &elements));
  int64_t empty[3] = {0, INT64_C(1) << 40, 7};
  ck_assert(tsl_shape_elements(3, empty, &elements));
  ck_assert_int_eq(elements, 0);
  ck_assert(tsl_shape_elements(0, NULL, &elements));
  ck_assert_int_eq(elements, 1);
  tsl_type type = tsl_type_make(TSL_DTYPE_F16, 2, (int64_t[]){3, 4});
  ck_assert_str_eq(tsl_type_str(&type).text, "f16[3, 4]");
  ck_assert_int_eq(tsl_type_bytes(&type), 24);
}
END_TEST

Suite *suite_dtype(void) {
  Suite *suite = suite_create("dtype");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, names_parse_back);
  tcase_add_test(tc, half_precision_round_trips);
  tcase_add_test(tc, element_conversions_saturate);
  tcase_add_test(tc, shapes_refuse_overflow);
  suite_add_tcase(suite, tc);
  return suite;
}
