/* The LLVM code generator: kernels built by hand, compiled with the JIT and run. The math
 * functions' accuracy (codegen/llvm/math.c states it) is measured here against the C
 * library in double precision. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/llvm/llvm.h"
#include "runtime/model.h"
#include "tests/unit/util.h"

enum { COUNT = 200000 };

/* Compiles `func` for this machine with the JIT and runs it on `args`; frees it. */
static void run_kernel(tsl_primfunc *func, void **args) {
  tsl_error error;
  tsl_target target;
  ck_assert_int_eq(tsl_target_parse("llvm", &target, &error), TSL_OK);
  ck_assert_int_eq(tsl_llvm_complete_target(&target, &error), TSL_OK);
  tsl_llvm *llvm;
  ck_assert_int_eq(tsl_llvm_new(&target, "test", &llvm, &error), TSL_OK);
  ck_assert_msg(tsl_llvm_add_function(llvm, func, &error) == TSL_OK, "%s", error.message);
  ck_assert_int_eq(tsl_llvm_optimize(llvm, &error), TSL_OK);
  tsl_jit *jit;
  ck_assert_msg(tsl_jit_new(llvm, &jit, &error) == TSL_OK, "%s", error.message);
  void (*kernel)(void *const *) = (void (*)(void *const *))tsl_jit_lookup(jit, func->name);
  ck_assert_ptr_nonnull(kernel);
  kernel(args);
  tsl_jit_free(jit);
  tsl_llvm_free(llvm);
  tsl_primfunc_free(func);
}

/* out[i] = function(in[i]) over COUNT f32 elements, compiled and run. */
static void run_math(tsl_math function, const float *in, float *out) {
  tsl_primfunc *func = tsl_primfunc_new("math_kernel");
  tsl_type type = tsl_type_make(TSL_DTYPE_F32, 1, (int64_t[]){COUNT});
  tsl_buffer *x = tsl_primfunc_buffer(func, "x", &type, TSL_SCOPE_GLOBAL);
  tsl_buffer *y = tsl_primfunc_buffer(func, "y", &type, TSL_SCOPE_GLOBAL);
  tsl_primfunc_add_param(func, x, false);
  tsl_primfunc_add_param(func, y, true);
  tsl_var *i = tsl_primfunc_var(func, "i", TSL_DTYPE_I64);
  tsl_expr *index = tsl_var_ref(func->arena, i);
  tsl_expr *value = tsl_call(func->arena, function, tsl_load(func->arena, x, 1, &index), NULL);
  func->body = tsl_for(func->arena, i, tsl_index(func->arena, 0), tsl_index(func->arena, COUNT),
                       TSL_LOOP_SERIAL, tsl_store(func->arena, y, 1, &index, value));
  run_kernel(func, (void *[]){(void *)in, out});
}

typedef struct accuracy {
  double worst_relative, worst_absolute;
  bool specials_ok;
} accuracy;

static accuracy measure(tsl_math function, double (*reference)(double), double low, double high,
                        bool logarithmic) {
  float *in = malloc(sizeof(float) * COUNT), *out = malloc(sizeof(float) * COUNT);
  for (int i = 0; i < COUNT - 8; i++) {
    double t = (double)i / (COUNT - 9);
    in[i] = (float)(logarithmic ? exp(log(low) + t * (log(high) - log(low))) : low + t * (high - low));
  }
  const float specials[8] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1.0f, -1.0f, 1e-30f};
  memcpy(in + COUNT - 8, specials, sizeof(specials));
  run_math(function, in, out);
  accuracy result = {0, 0, true};
  for (int i = 0; i < COUNT; i++) {
    double expected = reference(in[i]), actual = out[i];
    if (isnan(expected) || isinf(expected)) {
      result.specials_ok &= isnan(expected) ? isnan(actual) : actual == expected;
      continue;
    }
    /* Results below the smallest normal float flush to zero (stated in math.c). */
    if (fabs(expected) < 1.17549435e-38) {
      result.specials_ok &= fabs(actual) < 1.17549435e-38;
      continue;
    }
    double absolute = fabs(actual - expected);
    /* Errors are counted against the float nearest the true value, the best a float can do. */
    double floor_error = fabs((float)expected - expected);
    absolute = absolute > floor_error ? absolute - floor_error : 0;
    if (absolute > result.worst_absolute) result.worst_absolute = absolute;
    if (expected != 0 && absolute / fabs(expected) > result.worst_relative) {
      result.worst_relative = absolute / fabs(expected);
    }
  }
  free(in);
  free(out);
  return result;
}

START_TEST(exp_is_accurate) {
  accuracy a = measure(TSL_MATH_exp, exp, -100, 100, false);
  ck_assert_msg(a.worst_relative <= 1e-7, "exp relative error %g", a.worst_relative);
  ck_assert(a.specials_ok);
}
END_TEST

START_TEST(log_is_accurate) {
  accuracy a = measure(TSL_MATH_log, log, 1e-40, 1e38, true);
  ck_assert_msg(a.worst_relative <= 1e-7, "log relative error %g", a.worst_relative);
  ck_assert(a.specials_ok);
}
END_TEST

START_TEST(tanh_is_accurate) {
  accuracy a = measure(TSL_MATH_tanh, tanh, -20, 20, false);
  ck_assert_msg(a.worst_absolute <= 1e-7 && a.worst_relative <= 2e-7, "tanh error %g / %g",
                a.worst_absolute, a.worst_relative);
  ck_assert(a.specials_ok);
}
END_TEST

START_TEST(erf_is_accurate) {
  accuracy a = measure(TSL_MATH_erf, erf, -6, 6, false);
  ck_assert_msg(a.worst_absolute <= 3e-7 && a.worst_relative <= 6e-7, "erf error %g / %g",
                a.worst_absolute, a.worst_relative);
  ck_assert(a.specials_ok);
}
END_TEST

/* x × x + c where the product needs more than a float's 24 bits: rounded before the sum it
 * cancels c exactly; fused, the sum keeps its last bit. The code generator fuses f32 products
 * and sums (llvm.fmuladd), which this machine's FMA then computes with one rounding. */
START_TEST(products_and_sums_fuse_into_fma) {
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("fma")) return;
#endif
  enum { N = 64 };
  tsl_primfunc *func = tsl_primfunc_new("fma_kernel");
  tsl_type type = tsl_type_make(TSL_DTYPE_F32, 1, (int64_t[]){N});
  tsl_buffer *x = tsl_primfunc_buffer(func, "x", &type, TSL_SCOPE_GLOBAL);
  tsl_buffer *c = tsl_primfunc_buffer(func, "c", &type, TSL_SCOPE_GLOBAL);
  tsl_buffer *y = tsl_primfunc_buffer(func, "y", &type, TSL_SCOPE_GLOBAL);
  tsl_primfunc_add_param(func, x, false);
  tsl_primfunc_add_param(func, c, false);
  tsl_primfunc_add_param(func, y, true);
  tsl_var *i = tsl_primfunc_var(func, "i", TSL_DTYPE_I64);
  tsl_arena *arena = func->arena;
  tsl_expr *index = tsl_var_ref(arena, i);
  tsl_expr *square =
      tsl_binary(arena, TSL_EXPR_MUL, tsl_load(arena, x, 1, &index), tsl_load(arena, x, 1, &index));
  tsl_expr *value = tsl_binary(arena, TSL_EXPR_ADD, tsl_load(arena, c, 1, &index), square);
  func->body = tsl_for(arena, i, tsl_index(arena, 0), tsl_index(arena, N), TSL_LOOP_SERIAL,
                       tsl_store(arena, y, 1, &index, value));
  float in[N], addend[N], out[N];
  for (int j = 0; j < N; j++) {
    in[j] = 1.0f + ldexpf(1.0f, -12);                  /* squared: 1 + 2^-11 + 2^-24 */
    addend[j] = -(1.0f + ldexpf(1.0f, -11) * (j + 1)); /* the last bit survives only fused */
  }
  run_kernel(func, (void *[]){in, addend, out});
  for (int j = 0; j < N; j++) {
    float fused = (float)((double)in[j] * in[j] + addend[j]);
    ck_assert_msg(out[j] == fused, "y[%d] = %a, fused %a", j, (double)out[j], (double)fused);
  }
}
END_TEST

Suite *suite_codegen(void) {
  Suite *suite = suite_create("codegen");
  TCase *tc = tcase_create("math");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, exp_is_accurate);
  tcase_add_test(tc, log_is_accurate);
  tcase_add_test(tc, tanh_is_accurate);
  tcase_add_test(tc, erf_is_accurate);
  tcase_add_test(tc, products_and_sums_fuse_into_fma);
  suite_add_tcase(suite, tc);
  return suite;
}
