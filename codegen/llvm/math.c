/* Math functions as inline IR, so that loops calling them vectorise (a call into the C library
 * stops LLVM's vectoriser). f32 only; f64 keeps the C library's functions.
 *
 * Accuracy, measured by tests/unit/test_codegen.c against the C library in double precision,
 * beyond the rounding of the exact result to the nearest float (which no float result can
 * avoid):
 *   exp   relative error ≤ 1e-7 over [-87.3, 88.7]; below the smallest normal float the result
 *         is 0, above the largest +inf
 *   log   relative error ≤ 1e-7 over [1e-40, 1e38]
 *   tanh  absolute error ≤ 1e-7, relative ≤ 2e-7
 *   erf   absolute error ≤ 3e-7, relative ≤ 6e-7
 * Special values (NaN, ±inf, ±0) give what the C library gives. The polynomials are Cephes'
 * (Moshier) for exp, log and tanh; erf uses Cephes' series below 0.5 and Abramowitz and Stegun
 * 7.1.26 above. */
#include <math.h>

#include "codegen/llvm/llvm_internal.h"

/* f32 and i32 are vector types when the argument is a vector. */
typedef struct emitter {
  tsl_llvm *llvm;
  LLVMBuilderRef b;
  LLVMTypeRef f32, i32;
} emitter;

static LLVMValueRef f(const emitter *e, double value) { return LLVMConstReal(e->f32, value); }
static LLVMValueRef i32(const emitter *e, long long value) { return tsl_llvm_const_int(e->i32, (unsigned long long)value, 1); }
static LLVMValueRef add(const emitter *e, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFAdd(e->b, a, b, ""); }
static LLVMValueRef sub(const emitter *e, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFSub(e->b, a, b, ""); }
static LLVMValueRef mul(const emitter *e, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFMul(e->b, a, b, ""); }
static LLVMValueRef divide(const emitter *e, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFDiv(e->b, a, b, ""); }
static LLVMValueRef less(const emitter *e, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFCmp(e->b, LLVMRealOLT, a, b, ""); }
static LLVMValueRef pick(const emitter *e, LLVMValueRef c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildSelect(e->b, c, a, b, ""); }

/* Horner: c[0]·x^(n-1) + … + c[n-1]. */
static LLVMValueRef polynomial(const emitter *e, LLVMValueRef x, const double *c, int n) {
  LLVMValueRef y = f(e, c[0]);
  for (int i = 1; i < n; i++) y = add(e, mul(e, y, x), f(e, c[i]));
  return y;
}

static LLVMValueRef intrinsic(const emitter *e, const char *name, LLVMValueRef x) {
  LLVMTypeRef type;
  LLVMTypeRef overload = e->f32;
  LLVMValueRef function = tsl_llvm_intrinsic(e->llvm, name, &overload, 1, &type);
  return LLVMBuildCall2(e->b, type, function, &x, 1, "");
}

static LLVMValueRef is_nan(const emitter *e, LLVMValueRef x) {
  return LLVMBuildFCmp(e->b, LLVMRealUNO, x, x, "");
}

static LLVMValueRef emit_exp(const emitter *e, LLVMValueRef x) {
  static const double p[] = {1.9875691500E-4, 1.3981999507E-3, 8.3334519073E-3,
                             4.1665795894E-2, 1.6666665459E-1, 5.0000001201E-1};
  LLVMValueRef clamped = pick(e, less(e, x, f(e, -87.33654)), f(e, -87.33654), x);
  clamped = pick(e, less(e, f(e, 88.7228394), clamped), f(e, 88.7228394), clamped);
  /* x = n·ln 2 + r, |r| ≤ ln 2 / 2; ln 2 in two parts for an exact product. */
  LLVMValueRef n = intrinsic(e, "llvm.floor", add(e, mul(e, clamped, f(e, 1.44269504088896341)), f(e, 0.5)));
  LLVMValueRef r = sub(e, sub(e, clamped, mul(e, n, f(e, 0.693359375))), mul(e, n, f(e, -2.12194440e-4)));
  LLVMValueRef z = mul(e, r, r);
  LLVMValueRef y = add(e, add(e, mul(e, polynomial(e, r, p, 6), z), r), f(e, 1));
  /* 2^n as 2^(n/2)·2^(n - n/2), each built in the exponent bits: n reaches 128 and -126,
   * where one power alone would leave the normal range. */
  LLVMValueRef exponent = LLVMBuildFPToSI(e->b, n, e->i32, "");
  LLVMValueRef half = LLVMBuildSDiv(e->b, exponent, i32(e, 2), "");
  LLVMValueRef powers[2] = {half, LLVMBuildSub(e->b, exponent, half, "")};
  LLVMValueRef result = y;
  for (int i = 0; i < 2; i++) {
    LLVMValueRef bits = LLVMBuildShl(e->b, LLVMBuildAdd(e->b, powers[i], i32(e, 127), ""), i32(e, 23), "");
    result = mul(e, result, LLVMBuildBitCast(e->b, bits, e->f32, ""));
  }
  result = pick(e, less(e, x, f(e, -87.33654)), f(e, 0), result);
  result = pick(e, less(e, f(e, 88.7228394), x), f(e, INFINITY), result);
  return pick(e, is_nan(e, x), x, result);
}

static LLVMValueRef emit_log(const emitter *e, LLVMValueRef x) {
  static const double p[] = {7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1,
                             -1.2420140846E-1, 1.4249322787E-1, -1.6668057665E-1,
                             2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1};
  /* Subnormals are scaled into the normal range first. */
  LLVMValueRef tiny = less(e, x, f(e, 1.17549435e-38));
  LLVMValueRef scaled = pick(e, tiny, mul(e, x, f(e, 8388608.0)), x);
  LLVMValueRef bits = LLVMBuildBitCast(e->b, scaled, e->i32, "");
  LLVMValueRef exponent = LLVMBuildSub(e->b, LLVMBuildAnd(e->b, LLVMBuildLShr(e->b, bits, i32(e, 23), ""), i32(e, 0xff), ""), i32(e, 126), "");
  exponent = LLVMBuildSub(e->b, exponent, pick(e, tiny, i32(e, 23), i32(e, 0)), "");
  LLVMValueRef m = LLVMBuildBitCast(e->b, LLVMBuildOr(e->b, LLVMBuildAnd(e->b, bits, i32(e, 0x007fffff), ""), i32(e, 0x3f000000), ""), e->f32, "");
  /* m in [0.5, 1): below √½ it doubles and the exponent drops, so m - 1 stays small. */
  LLVMValueRef low = less(e, m, f(e, 0.707106781186547524));
  LLVMValueRef ef = LLVMBuildSIToFP(e->b, LLVMBuildSub(e->b, exponent, pick(e, low, i32(e, 1), i32(e, 0)), ""), e->f32, "");
  m = sub(e, pick(e, low, add(e, m, m), m), f(e, 1));
  LLVMValueRef z = mul(e, m, m);
  LLVMValueRef y = mul(e, mul(e, polynomial(e, m, p, 9), m), z);
  y = add(e, y, mul(e, ef, f(e, -2.12194440e-4)));
  y = sub(e, y, mul(e, z, f(e, 0.5)));
  LLVMValueRef result = add(e, add(e, m, y), mul(e, ef, f(e, 0.693359375)));
  result = pick(e, LLVMBuildFCmp(e->b, LLVMRealOEQ, x, f(e, 0), ""), f(e, -INFINITY), result);
  result = pick(e, less(e, x, f(e, 0)), f(e, NAN), result);
  result = pick(e, LLVMBuildFCmp(e->b, LLVMRealOEQ, x, f(e, INFINITY), ""), x, result);
  return pick(e, is_nan(e, x), x, result);
}

static LLVMValueRef emit_tanh(const emitter *e, LLVMValueRef x) {
  static const double p[] = {-5.70498872745E-3, 2.06390887954E-2, -5.37397155531E-2,
                             1.33314422036E-1, -3.33332819422E-1};
  LLVMValueRef magnitude = intrinsic(e, "llvm.fabs", x);
  LLVMValueRef z = mul(e, x, x);
  LLVMValueRef small = add(e, mul(e, mul(e, polynomial(e, z, p, 5), z), x), x);
  /* 1 - 2/(e^(2|x|) + 1), with x's sign; e^(2|x|) = +inf gives exactly 1. */
  LLVMValueRef big = sub(e, f(e, 1), divide(e, f(e, 2), add(e, emit_exp(e, add(e, magnitude, magnitude)), f(e, 1))));
  LLVMValueRef args[2] = {big, x};
  LLVMTypeRef type, overload = e->f32;
  LLVMValueRef copysign = tsl_llvm_intrinsic(e->llvm, "llvm.copysign", &overload, 1, &type);
  big = LLVMBuildCall2(e->b, type, copysign, args, 2, "");
  return pick(e, less(e, magnitude, f(e, 0.625)), small, big);
}

static LLVMValueRef emit_erf(const emitter *e, LLVMValueRef x) {
  static const double series[] = {7.853861353153693E-5, -8.010193625184903E-4,
                                  5.188327685732524E-3, -2.685381193529856E-2,
                                  1.128358514861418E-1, -3.761262582423300E-1,
                                  1.128379165726710E0};
  static const double tail[] = {1.061405429, -1.453152027, 1.421413741, -0.284496736,
                                0.254829592, 0};
  LLVMValueRef magnitude = intrinsic(e, "llvm.fabs", x);
  LLVMValueRef z = mul(e, x, x);
  LLVMValueRef small = mul(e, x, polynomial(e, z, series, 7));
  LLVMValueRef t = divide(e, f(e, 1), add(e, f(e, 1), mul(e, magnitude, f(e, 0.3275911))));
  LLVMValueRef big = sub(e, f(e, 1), mul(e, polynomial(e, t, tail, 6), emit_exp(e, LLVMBuildFNeg(e->b, z, ""))));
  LLVMValueRef args[2] = {big, x};
  LLVMTypeRef type, overload = e->f32;
  LLVMValueRef copysign = tsl_llvm_intrinsic(e->llvm, "llvm.copysign", &overload, 1, &type);
  big = LLVMBuildCall2(e->b, type, copysign, args, 2, "");
  return pick(e, less(e, magnitude, f(e, 0.5)), small, big);
}

LLVMValueRef tsl_llvm_inline_math(tsl_llvm *llvm, tsl_math function, LLVMValueRef x) {
  LLVMTypeRef type = LLVMTypeOf(x);
  bool vector = LLVMGetTypeKind(type) == LLVMVectorTypeKind;
  if ((vector ? LLVMGetElementType(type) : type) != llvm->f32) return NULL;
  emitter e = {llvm, llvm->builder, type, tsl_llvm_shaped(llvm->i32, x)};
  switch (function) {
  case TSL_MATH_exp: return emit_exp(&e, x);
  case TSL_MATH_log: return emit_log(&e, x);
  case TSL_MATH_tanh: return emit_tanh(&e, x);
  case TSL_MATH_erf: return emit_erf(&e, x);
  default: return NULL;
  }
}
