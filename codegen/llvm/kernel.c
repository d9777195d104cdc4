/* One PrimFunc into one LLVM function `void name(void *const *args)`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/llvm/llvm_internal.h"
#include "ir/arith.h"
#include "ir/check.h"
#include "ir/error.h"
#include "ir/intrin.h"

/* An index inside a vectorized loop that is base + stride·lane (base a scalar, the stride a
 * constant): what tells a contiguous load from a broadcast or a gather. */
typedef struct ramp {
  LLVMValueRef base; /* NULL: not known to be a ramp */
  int64_t stride;
  int64_t multiple; /* the base is known to be a multiple of it; 0: the base is 0 */
} ramp;

typedef struct kernel {
  tsl_llvm *llvm;
  const tsl_primfunc *func;
  LLVMValueRef function;
  LLVMBasicBlockRef entry;
  LLVMValueRef *vars;    /* by variable id: the value in scope */
  LLVMValueRef *buffers; /* by buffer id: the base address in scope */
  ramp *ramps;           /* by variable id, inside a vectorized loop */
  int lanes;             /* of the vectorized loop being emitted; 0 outside one */
  int *parallel_count;   /* outlined bodies made so far, for their names */
} kernel;

static LLVMValueRef emit_expr(kernel *k, const tsl_expr *expr);
static void emit_stmt(kernel *k, const tsl_stmt *stmt);

/* ---- helpers ----------------------------------------------------------------------------- */

LLVMValueRef tsl_llvm_function(tsl_llvm *llvm, const char *name, LLVMTypeRef type) {
  LLVMValueRef function = LLVMGetNamedFunction(llvm->module, name);
  if (!function) function = LLVMAddFunction(llvm->module, name, type);
  return function;
}

LLVMValueRef tsl_llvm_intrinsic(tsl_llvm *llvm, const char *name, LLVMTypeRef *types, int count,
                                LLVMTypeRef *function_type) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  TSL_CHECK(id != 0);
  LLVMValueRef function = LLVMGetIntrinsicDeclaration(llvm->module, id, types, (size_t)count);
  *function_type = LLVMIntrinsicGetType(llvm->context, id, types, (size_t)count);
  return function;
}

static LLVMValueRef call(kernel *k, LLVMTypeRef type, LLVMValueRef function, LLVMValueRef *args,
                         int count) {
  return LLVMBuildCall2(k->llvm->builder, type, function, args, (unsigned)count, "");
}

static LLVMValueRef call_intrinsic(kernel *k, const char *name, LLVMTypeRef overload,
                                   LLVMValueRef *args, int count) {
  LLVMTypeRef type;
  LLVMValueRef function = tsl_llvm_intrinsic(k->llvm, name, &overload, 1, &type);
  return call(k, type, function, args, count);
}

static bool is_float(tsl_dtype dtype) { return tsl_dtype_is_float(dtype); }
static bool is_signed_int(tsl_dtype dtype) {
  return tsl_dtype_is_integer(dtype) && tsl_dtype_is_signed(dtype);
}

static LLVMBasicBlockRef new_block(kernel *k, const char *name) {
  return LLVMAppendBasicBlockInContext(k->llvm->context, k->function, name);
}

/* ---- vectors ----------------------------------------------------------------------------- */

/* A scalar in every one of `lanes` lanes. */
static LLVMValueRef splat(kernel *k, LLVMValueRef scalar, int lanes) {
  if (LLVMIsConstant(scalar)) {
    LLVMValueRef elements[lanes];
    for (int i = 0; i < lanes; i++) elements[i] = scalar;
    return LLVMConstVector(elements, (unsigned)lanes);
  }
  LLVMBuilderRef b = k->llvm->builder;
  LLVMTypeRef type = LLVMVectorType(LLVMTypeOf(scalar), (unsigned)lanes);
  LLVMValueRef first = LLVMBuildInsertElement(b, LLVMGetPoison(type), scalar,
                                              LLVMConstInt(k->llvm->i32, 0, 0), "");
  LLVMValueRef mask = LLVMConstNull(LLVMVectorType(k->llvm->i32, (unsigned)lanes));
  return LLVMBuildShuffleVector(b, first, LLVMGetPoison(type), mask, "");
}

/* Makes a scalar operand a vector when the other is one. */
static void unify(kernel *k, LLVMValueRef *a, LLVMValueRef *b) {
  int lanes_a = tsl_llvm_lanes(*a), lanes_b = tsl_llvm_lanes(*b);
  if (lanes_a && !lanes_b) *b = splat(k, *b, lanes_a);
  if (lanes_b && !lanes_a) *a = splat(k, *a, lanes_b);
}

/* base + stride·lane as a vector of i64. */
static LLVMValueRef ramp_value(kernel *k, ramp r) {
  if (r.stride == 0) return r.base;
  LLVMValueRef steps[k->lanes];
  for (int i = 0; i < k->lanes; i++) {
    steps[i] = LLVMConstInt(k->llvm->i64, (unsigned long long)(r.stride * i), 1);
  }
  return LLVMBuildAdd(k->llvm->builder, splat(k, r.base, k->lanes),
                      LLVMConstVector(steps, (unsigned)k->lanes), "");
}

/* What is known of a scalar's divisors: a constant is a multiple of itself, anything else of 1. */
static int64_t multiple_of(LLVMValueRef value) {
  if (!LLVMIsAConstantInt(value)) return 1;
  int64_t constant = LLVMConstIntGetSExtValue(value);
  if (constant == INT64_MIN) return 1;
  return constant < 0 ? -constant : constant;
}

/* A floor division or remainder of a ramp by a constant that is the same in every lane: the
 * base a multiple of the divisor, and the lanes not reaching the next multiple (the inner part
 * of a split axis read as [i / c, i % c], as a blocked layout reads it). */
static bool emit_ramp_division(kernel *k, const tsl_expr *expr, const ramp *x, ramp *out) {
  LLVMBuilderRef b = k->llvm->builder;
  const tsl_expr *divisor = expr->op.b;
  if (divisor->kind != TSL_EXPR_INT || divisor->int_value <= 0) return false;
  int64_t c = divisor->int_value;
  if (x->stride < 0 || x->stride * (k->lanes - 1) >= c || x->multiple % c) return false;
  if (expr->kind == TSL_EXPR_FLOOR_DIV) {
    *out = (ramp){
        LLVMBuildExactSDiv(b, x->base, LLVMConstInt(k->llvm->i64, (unsigned long long)c, 0), ""), 0,
        x->multiple / c};
  } else {
    *out = (ramp){LLVMConstInt(k->llvm->i64, 0, 0), x->stride, 0};
  }
  return true;
}

/* An index expression as a ramp, where it is one. */
static bool emit_ramp(kernel *k, const tsl_expr *expr, ramp *out) {
  LLVMBuilderRef b = k->llvm->builder;
  switch (expr->kind) {
  case TSL_EXPR_VAR:
    if (!k->ramps[expr->var->id].base) break;
    *out = k->ramps[expr->var->id];
    return true;
  case TSL_EXPR_ADD:
  case TSL_EXPR_SUB: {
    ramp x, y;
    if (!emit_ramp(k, expr->op.a, &x) || !emit_ramp(k, expr->op.b, &y)) return false;
    bool add = expr->kind == TSL_EXPR_ADD;
    out->base = add ? LLVMBuildAdd(b, x.base, y.base, "") : LLVMBuildSub(b, x.base, y.base, "");
    out->stride = add ? x.stride + y.stride : x.stride - y.stride;
    out->multiple = tsl_gcd(x.multiple, y.multiple);
    return true;
  }
  case TSL_EXPR_MUL: {
    ramp x, y;
    if (!emit_ramp(k, expr->op.a, &x) || !emit_ramp(k, expr->op.b, &y)) return false;
    if (x.stride && y.stride) return false;
    ramp *varying = x.stride ? &x : &y, *factor = x.stride ? &y : &x;
    if (varying->stride && !LLVMIsAConstantInt(factor->base)) return false;
    int64_t scale = varying->stride ? LLVMConstIntGetSExtValue(factor->base) : 0;
    int64_t multiple = x.multiple && y.multiple && x.multiple < INT32_MAX && y.multiple < INT32_MAX
                           ? x.multiple * y.multiple
                           : (x.multiple && y.multiple ? 1 : 0);
    *out = (ramp){LLVMBuildMul(b, x.base, y.base, ""), varying->stride * scale, multiple};
    return true;
  }
  case TSL_EXPR_FLOOR_DIV:
  case TSL_EXPR_FLOOR_MOD: {
    ramp x;
    if (tsl_dtype_is_integer(expr->dtype) && emit_ramp(k, expr->op.a, &x) && x.stride &&
        emit_ramp_division(k, expr, &x, out))
      return true;
    break;
  }
  default: break;
  }
  LLVMValueRef value = emit_expr(k, expr);
  if (tsl_llvm_lanes(value)) return false;
  *out = (ramp){value, 0, multiple_of(value)};
  return true;
}

/* ---- f16 and bf16 ------------------------------------------------------------------------ */

/* Rounds an f32 register value to what dtype can hold (f16 and bf16 compute in f32). */
static LLVMValueRef round_to(kernel *k, tsl_dtype dtype, LLVMValueRef value) {
  LLVMBuilderRef b = k->llvm->builder;
  LLVMTypeRef f32 = tsl_llvm_shaped(k->llvm->f32, value);
  if (dtype == TSL_DTYPE_F16) {
    return LLVMBuildFPExt(b, LLVMBuildFPTrunc(b, value, tsl_llvm_shaped(k->llvm->half, value), ""), f32, "");
  }
  if (dtype != TSL_DTYPE_BF16) return value;
  /* Nearest, ties to even, on the bits; NaN stays NaN (quietened). */
  LLVMTypeRef i32 = tsl_llvm_shaped(k->llvm->i32, value);
  LLVMValueRef bits = LLVMBuildBitCast(b, value, i32, "");
  LLVMValueRef lsb = LLVMBuildAnd(b, LLVMBuildLShr(b, bits, tsl_llvm_const_int(i32, 16, 0), ""),
                                  tsl_llvm_const_int(i32, 1, 0), "");
  LLVMValueRef rounded = LLVMBuildAdd(b, bits, LLVMBuildAdd(b, lsb, tsl_llvm_const_int(i32, 0x7fff, 0), ""), "");
  LLVMValueRef is_nan = LLVMBuildFCmp(b, LLVMRealUNO, value, value, "");
  LLVMValueRef quiet = LLVMBuildOr(b, bits, tsl_llvm_const_int(i32, 0x400000, 0), "");
  LLVMValueRef chosen = LLVMBuildSelect(b, is_nan, quiet, rounded, "");
  LLVMValueRef truncated = LLVMBuildAnd(b, chosen, tsl_llvm_const_int(i32, 0xffff0000u, 0), "");
  return LLVMBuildBitCast(b, truncated, f32, "");
}

/* Memory → register. */
static LLVMValueRef widen(kernel *k, tsl_dtype dtype, LLVMValueRef stored) {
  LLVMBuilderRef b = k->llvm->builder;
  switch (dtype) {
  case TSL_DTYPE_F16: return LLVMBuildFPExt(b, stored, tsl_llvm_shaped(k->llvm->f32, stored), "");
  case TSL_DTYPE_BF16: {
    LLVMTypeRef i32 = tsl_llvm_shaped(k->llvm->i32, stored);
    LLVMValueRef wide = LLVMBuildZExt(b, stored, i32, "");
    wide = LLVMBuildShl(b, wide, tsl_llvm_const_int(i32, 16, 0), "");
    return LLVMBuildBitCast(b, wide, tsl_llvm_shaped(k->llvm->f32, stored), "");
  }
  case TSL_DTYPE_BOOL: return LLVMBuildICmp(b, LLVMIntNE, stored, LLVMConstNull(LLVMTypeOf(stored)), "");
  default: return stored;
  }
}

/* Register → memory. The value is already rounded to the dtype. */
static LLVMValueRef narrow(kernel *k, tsl_dtype dtype, LLVMValueRef value) {
  LLVMBuilderRef b = k->llvm->builder;
  switch (dtype) {
  case TSL_DTYPE_F16: return LLVMBuildFPTrunc(b, value, tsl_llvm_shaped(k->llvm->half, value), "");
  case TSL_DTYPE_BF16: {
    LLVMTypeRef i32 = tsl_llvm_shaped(k->llvm->i32, value);
    LLVMValueRef bits = LLVMBuildBitCast(b, value, i32, "");
    bits = LLVMBuildLShr(b, bits, tsl_llvm_const_int(i32, 16, 0), "");
    return LLVMBuildTrunc(b, bits, tsl_llvm_shaped(k->llvm->i16, value), "");
  }
  case TSL_DTYPE_BOOL: return LLVMBuildZExt(b, value, tsl_llvm_shaped(k->llvm->i8, value), "");
  default: return value;
  }
}

/* ---- addresses --------------------------------------------------------------------------- */

static LLVMValueRef element_address(kernel *k, const tsl_buffer *buffer, int count,
                                    tsl_expr *const *indices) {
  LLVMBuilderRef b = k->llvm->builder;
  LLVMValueRef offset = LLVMConstInt(k->llvm->i64, 0, 0);
  for (int axis = 0; axis < count; axis++) {
    LLVMValueRef index = emit_expr(k, indices[axis]);
    LLVMValueRef term = LLVMBuildMul(b, index, LLVMConstInt(k->llvm->i64, (unsigned long long)buffer->strides[axis], 0), "");
    offset = axis ? LLVMBuildAdd(b, offset, term, "") : term;
  }
  LLVMValueRef base = k->buffers[buffer->id];
  TSL_CHECK(base);
  return LLVMBuildGEP2(b, tsl_llvm_memory_type(k->llvm, buffer->dtype), base, &offset, 1, "");
}

/* Where the lanes of a vectorized loop access a buffer: lane 0's address and the distance
 * between lanes (0: all lanes at one address, 1: contiguous) when that is a constant, else a
 * vector of addresses. */
typedef struct vector_access {
  LLVMValueRef address, addresses; /* one of them */
  int64_t stride;
  unsigned alignment;
} vector_access;

enum { MAX_DEINTERLEAVE = 4 }; /* strides loaded whole and shuffled, rather than gathered */

static vector_access vector_address(kernel *k, const tsl_buffer *buffer, int count,
                                    tsl_expr *const *indices) {
  LLVMBuilderRef b = k->llvm->builder;
  LLVMTypeRef memory = tsl_llvm_memory_type(k->llvm, buffer->dtype);
  LLVMValueRef base = k->buffers[buffer->id];
  TSL_CHECK(base);
  vector_access access = {.alignment = (unsigned)tsl_dtype_size(buffer->dtype)};
  ramp flat = {LLVMConstInt(k->llvm->i64, 0, 0), 0, 0};
  bool linear = true;
  for (int axis = 0; axis < count && linear; axis++) {
    ramp r;
    linear = emit_ramp(k, indices[axis], &r);
    if (!linear) break;
    LLVMValueRef stride = LLVMConstInt(k->llvm->i64, (unsigned long long)buffer->strides[axis], 0);
    flat.base = LLVMBuildAdd(b, flat.base, LLVMBuildMul(b, r.base, stride, ""), "");
    flat.stride += r.stride * buffer->strides[axis];
  }
  if (linear && flat.stride >= 0 && flat.stride <= MAX_DEINTERLEAVE) {
    access.address = LLVMBuildGEP2(b, memory, base, &flat.base, 1, "");
    access.stride = flat.stride;
    return access;
  }
  LLVMValueRef offsets;
  if (linear) {
    offsets = ramp_value(k, flat);
  } else {
    offsets = splat(k, LLVMConstInt(k->llvm->i64, 0, 0), k->lanes);
    for (int axis = 0; axis < count; axis++) {
      LLVMValueRef index = emit_expr(k, indices[axis]);
      LLVMValueRef stride = LLVMConstInt(k->llvm->i64, (unsigned long long)buffer->strides[axis], 0);
      if (!tsl_llvm_lanes(index)) index = splat(k, index, k->lanes);
      offsets = LLVMBuildAdd(b, offsets, LLVMBuildMul(b, index, splat(k, stride, k->lanes), ""), "");
    }
  }
  access.addresses = LLVMBuildGEP2(b, memory, base, &offsets, 1, "");
  return access;
}

static LLVMValueRef all_lanes(kernel *k) {
  return splat(k, LLVMConstInt(k->llvm->i1, 1, 0), k->lanes);
}

/* A load inside a vectorized loop: a scalar where every lane reads one element. */
static LLVMValueRef emit_vector_load(kernel *k, const tsl_expr *expr) {
  LLVMBuilderRef b = k->llvm->builder;
  const tsl_buffer *buffer = expr->load.buffer;
  LLVMTypeRef memory = tsl_llvm_memory_type(k->llvm, buffer->dtype);
  LLVMTypeRef vector = LLVMVectorType(memory, (unsigned)k->lanes);
  vector_access access = vector_address(k, buffer, expr->load.num_indices, expr->load.indices);
  LLVMValueRef stored;
  if (access.address && access.stride <= 1) {
    stored = LLVMBuildLoad2(b, access.stride ? vector : memory, access.address, "");
    LLVMSetAlignment(stored, access.alignment);
  } else if (access.address) {
    /* A small stride: the span from lane 0 to the last lane in one masked load (no element
     * past the last lane's is touched), then every stride-th element. */
    int span = (int)access.stride * (k->lanes - 1) + 1, width = (int)access.stride * k->lanes;
    LLVMTypeRef wide = LLVMVectorType(memory, (unsigned)width);
    LLVMValueRef mask[width], picks[k->lanes];
    for (int i = 0; i < width; i++) mask[i] = LLVMConstInt(k->llvm->i1, i < span, 0);
    for (int i = 0; i < k->lanes; i++) {
      picks[i] = LLVMConstInt(k->llvm->i32, (unsigned long long)(i * access.stride), 0);
    }
    LLVMValueRef args[4] = {access.address, LLVMConstInt(k->llvm->i32, access.alignment, 0),
                            LLVMConstVector(mask, (unsigned)width), LLVMGetPoison(wide)};
    LLVMTypeRef overloads[2] = {wide, LLVMTypeOf(access.address)};
    LLVMTypeRef type;
    LLVMValueRef masked_load = tsl_llvm_intrinsic(k->llvm, "llvm.masked.load", overloads, 2, &type);
    LLVMValueRef loaded = call(k, type, masked_load, args, 4);
    stored = LLVMBuildShuffleVector(b, loaded, LLVMGetPoison(wide), LLVMConstVector(picks, (unsigned)k->lanes), "");
  } else {
    LLVMValueRef args[4] = {access.addresses, LLVMConstInt(k->llvm->i32, access.alignment, 0),
                            all_lanes(k), LLVMGetPoison(vector)};
    LLVMTypeRef overloads[2] = {vector, LLVMTypeOf(access.addresses)};
    LLVMTypeRef type;
    LLVMValueRef gather = tsl_llvm_intrinsic(k->llvm, "llvm.masked.gather", overloads, 2, &type);
    stored = call(k, type, gather, args, 4);
  }
  return widen(k, expr->dtype, stored);
}

/* A store inside a vectorized loop. Lanes that store to one address store in lane order, so
 * the last one's value stays, as in the serial loop. */
static void emit_vector_store(kernel *k, const tsl_stmt *stmt) {
  LLVMBuilderRef b = k->llvm->builder;
  const tsl_buffer *buffer = stmt->store.buffer;
  LLVMValueRef value = narrow(k, buffer->dtype, emit_expr(k, stmt->store.value));
  vector_access access = vector_address(k, buffer, stmt->store.num_indices, stmt->store.indices);
  if (access.address && access.stride == 0) {
    if (tsl_llvm_lanes(value)) {
      value = LLVMBuildExtractElement(b, value, LLVMConstInt(k->llvm->i32, (unsigned long long)k->lanes - 1, 0), "");
    }
    LLVMSetAlignment(LLVMBuildStore(b, value, access.address), access.alignment);
    return;
  }
  if (!tsl_llvm_lanes(value)) value = splat(k, value, k->lanes);
  if (access.address && access.stride == 1) {
    LLVMSetAlignment(LLVMBuildStore(b, value, access.address), access.alignment);
    return;
  }
  if (access.address) {
    /* Other constant strides scatter from lane 0's address. */
    LLVMValueRef steps[k->lanes];
    for (int i = 0; i < k->lanes; i++) {
      steps[i] = LLVMConstInt(k->llvm->i64, (unsigned long long)(access.stride * i), 1);
    }
    LLVMValueRef offsets = LLVMConstVector(steps, (unsigned)k->lanes);
    access.addresses = LLVMBuildGEP2(b, tsl_llvm_memory_type(k->llvm, buffer->dtype), access.address, &offsets, 1, "");
  }
  LLVMValueRef args[4] = {value, access.addresses, LLVMConstInt(k->llvm->i32, access.alignment, 0),
                          all_lanes(k)};
  LLVMTypeRef overloads[2] = {LLVMTypeOf(value), LLVMTypeOf(access.addresses)};
  LLVMTypeRef type;
  LLVMValueRef scatter = tsl_llvm_intrinsic(k->llvm, "llvm.masked.scatter", overloads, 2, &type);
  call(k, type, scatter, args, 4);
}

/* ---- expressions ------------------------------------------------------------------------- */

static LLVMValueRef emit_immediate(kernel *k, const tsl_expr *expr) {
  LLVMTypeRef type = tsl_llvm_value_type(k->llvm, expr->dtype);
  if (expr->kind == TSL_EXPR_FLOAT) return LLVMConstReal(type, expr->float_value);
  return LLVMConstInt(type, (unsigned long long)expr->int_value, is_signed_int(expr->dtype));
}

static LLVMValueRef emit_cast(kernel *k, tsl_dtype to, tsl_dtype from, LLVMValueRef value) {
  LLVMBuilderRef b = k->llvm->builder;
  LLVMTypeRef type = tsl_llvm_shaped(tsl_llvm_value_type(k->llvm, to), value);
  if (to == TSL_DTYPE_BOOL) {
    if (is_float(from)) return LLVMBuildFCmp(b, LLVMRealUNE, value, LLVMConstNull(LLVMTypeOf(value)), "");
    return LLVMBuildICmp(b, LLVMIntNE, value, LLVMConstNull(LLVMTypeOf(value)), "");
  }
  if (is_float(to)) {
    LLVMValueRef converted;
    if (is_float(from)) converted = LLVMBuildFPCast(b, value, type, "");
    else if (from == TSL_DTYPE_BOOL || !tsl_dtype_is_signed(from)) converted = LLVMBuildUIToFP(b, value, type, "");
    else converted = LLVMBuildSIToFP(b, value, type, "");
    return round_to(k, to, converted);
  }
  if (is_float(from)) {
    /* Saturating conversions: out-of-range values clamp and NaN becomes 0, never poison. */
    LLVMTypeRef overloads[2] = {type, LLVMTypeOf(value)};
    LLVMTypeRef function_type;
    LLVMValueRef function = tsl_llvm_intrinsic(k->llvm, tsl_dtype_is_signed(to) ? "llvm.fptosi.sat" : "llvm.fptoui.sat",
                                               overloads, 2, &function_type);
    return call(k, function_type, function, &value, 1);
  }
  if (from == TSL_DTYPE_BOOL) return LLVMBuildZExt(b, value, type, "");
  return LLVMBuildIntCast2(b, value, type, tsl_dtype_is_signed(from), "");
}

static LLVMValueRef emit_bitcast(kernel *k, tsl_dtype to, tsl_dtype from, LLVMValueRef value) {
  /* Through the memory representation, which has the bits. */
  LLVMBuilderRef b = k->llvm->builder;
  LLVMValueRef bits = narrow(k, from, value);
  LLVMTypeRef int_type = LLVMIntTypeInContext(k->llvm->context, 8 * (unsigned)tsl_dtype_size(from));
  bits = LLVMBuildBitCast(b, bits, tsl_llvm_shaped(int_type, value), "");
  LLVMValueRef stored = LLVMBuildBitCast(b, bits, tsl_llvm_shaped(tsl_llvm_memory_type(k->llvm, to), value), "");
  return widen(k, to, stored);
}

/* Integer division and remainder that never trap: a zero divisor gives 0, and INT_MIN / -1
 * wraps, where C and LLVM would trap or leave the result undefined. */
static LLVMValueRef emit_int_divide(kernel *k, tsl_expr_kind kind, tsl_dtype dtype,
                                    LLVMValueRef a, LLVMValueRef bv) {
  LLVMBuilderRef b = k->llvm->builder;
  LLVMTypeRef type = LLVMTypeOf(a);
  bool is_signed = tsl_dtype_is_signed(dtype);
  LLVMValueRef zero = LLVMConstNull(type), one = tsl_llvm_const_int(type, 1, 0);
  LLVMValueRef is_zero = LLVMBuildICmp(b, LLVMIntEQ, bv, zero, "");
  LLVMValueRef unsafe = is_zero;
  if (is_signed) unsafe = LLVMBuildOr(b, unsafe, LLVMBuildICmp(b, LLVMIntEQ, bv, LLVMConstAllOnes(type), ""), "");
  LLVMValueRef divisor = LLVMBuildSelect(b, unsafe, one, bv, "");
  LLVMValueRef quotient = is_signed ? LLVMBuildSDiv(b, a, divisor, "") : LLVMBuildUDiv(b, a, divisor, "");
  LLVMValueRef remainder = is_signed ? LLVMBuildSRem(b, a, divisor, "") : LLVMBuildURem(b, a, divisor, "");
  /* With a divisor of -1 the quotient is -a and the remainder 0. */
  LLVMValueRef negated = LLVMBuildSub(b, zero, a, "");
  if (is_signed) {
    LLVMValueRef minus_one = LLVMBuildICmp(b, LLVMIntEQ, bv, LLVMConstAllOnes(type), "");
    quotient = LLVMBuildSelect(b, minus_one, negated, quotient, "");
  }
  quotient = LLVMBuildSelect(b, is_zero, zero, quotient, "");
  remainder = LLVMBuildSelect(b, unsafe, zero, remainder, "");
  if (kind == TSL_EXPR_DIV) return quotient;
  if (kind == TSL_EXPR_MOD) return remainder;
  /* Floor division and modulo: adjust when the remainder's sign differs from the divisor's. */
  if (!is_signed) return kind == TSL_EXPR_FLOOR_DIV ? quotient : remainder;
  LLVMValueRef differs = LLVMBuildAnd(
      b, LLVMBuildICmp(b, LLVMIntNE, remainder, zero, ""),
      LLVMBuildICmp(b, LLVMIntNE, LLVMBuildICmp(b, LLVMIntSLT, remainder, zero, ""),
                    LLVMBuildICmp(b, LLVMIntSLT, bv, zero, ""), ""),
      "");
  if (kind == TSL_EXPR_FLOOR_DIV) {
    return LLVMBuildSelect(b, differs, LLVMBuildSub(b, quotient, one, ""), quotient, "");
  }
  return LLVMBuildSelect(b, differs, LLVMBuildAdd(b, remainder, bv, ""), remainder, "");
}

/* Shifts by the bit width or more give 0, not poison. */
static LLVMValueRef emit_shift(kernel *k, tsl_expr_kind kind, tsl_dtype dtype, LLVMValueRef a,
                               LLVMValueRef bv) {
  LLVMBuilderRef b = k->llvm->builder;
  LLVMTypeRef type = LLVMTypeOf(a);
  unsigned width = 8 * (unsigned)tsl_dtype_size(dtype);
  LLVMValueRef too_far = LLVMBuildICmp(b, LLVMIntUGE, bv, tsl_llvm_const_int(type, width, 0), "");
  LLVMValueRef amount = LLVMBuildSelect(b, too_far, LLVMConstNull(type), bv, "");
  LLVMValueRef shifted;
  if (kind == TSL_EXPR_SHL) shifted = LLVMBuildShl(b, a, amount, "");
  else if (tsl_dtype_is_signed(dtype)) shifted = LLVMBuildAShr(b, a, amount, "");
  else shifted = LLVMBuildLShr(b, a, amount, "");
  return LLVMBuildSelect(b, too_far, LLVMConstNull(type), shifted, "");
}

static LLVMValueRef emit_compare(kernel *k, tsl_expr_kind kind, tsl_dtype dtype, LLVMValueRef a,
                                 LLVMValueRef bv) {
  LLVMBuilderRef b = k->llvm->builder;
  if (is_float(dtype)) {
    static const LLVMRealPredicate predicates[] = {LLVMRealOEQ, LLVMRealUNE, LLVMRealOLT,
                                                   LLVMRealOLE, LLVMRealOGT, LLVMRealOGE};
    return LLVMBuildFCmp(b, predicates[kind - TSL_EXPR_EQ], a, bv, "");
  }
  bool is_signed = tsl_dtype_is_signed(dtype);
  LLVMIntPredicate predicates[] = {LLVMIntEQ, LLVMIntNE,
                                   is_signed ? LLVMIntSLT : LLVMIntULT,
                                   is_signed ? LLVMIntSLE : LLVMIntULE,
                                   is_signed ? LLVMIntSGT : LLVMIntUGT,
                                   is_signed ? LLVMIntSGE : LLVMIntUGE};
  return LLVMBuildICmp(b, predicates[kind - TSL_EXPR_EQ], a, bv, "");
}

static LLVMValueRef emit_min_max(kernel *k, tsl_expr_kind kind, tsl_dtype dtype, LLVMValueRef a,
                                 LLVMValueRef bv) {
  if (is_float(dtype)) {
    /* NaN-propagating, as ONNX's Max and Min: a NaN in b loses every comparison and is
     * chosen; a NaN in a is chosen by the last select. (LLVM 15's x86 back end cannot select
     * llvm.maximum.) */
    LLVMBuilderRef b = k->llvm->builder;
    LLVMValueRef wins = LLVMBuildFCmp(b, kind == TSL_EXPR_MIN ? LLVMRealOLT : LLVMRealOGT, a, bv, "");
    LLVMValueRef chosen = LLVMBuildSelect(b, wins, a, bv, "");
    return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealUNO, a, a, ""), a, chosen, "");
  }
  tsl_expr_kind compare = kind == TSL_EXPR_MIN ? TSL_EXPR_LT : TSL_EXPR_GT;
  return LLVMBuildSelect(k->llvm->builder, emit_compare(k, compare, dtype, a, bv), a, bv, "");
}

/* a × b + c as llvm.fmuladd, which the back end makes one fused multiply-add where the target
 * has a fast one (x86's FMA3 and AVX-512, NEON's fmla) and a multiply and an add elsewhere:
 * a reduction's inner loop then issues one instruction a step instead of two, and rounds once.
 * Only f32 and f64: f16 and bf16 round each operation's result to their width. NULL where
 * `expr` is not such a sum. */
static LLVMValueRef emit_multiply_add(kernel *k, const tsl_expr *expr) {
  tsl_dtype dtype = expr->dtype;
  if (expr->kind != TSL_EXPR_ADD || (dtype != TSL_DTYPE_F32 && dtype != TSL_DTYPE_F64)) return NULL;
  const tsl_expr *product = expr->op.b, *addend = expr->op.a;
  if (product->kind != TSL_EXPR_MUL) product = expr->op.a, addend = expr->op.b;
  if (product->kind != TSL_EXPR_MUL || product->dtype != dtype) return NULL;
  LLVMValueRef args[3] = {emit_expr(k, product->op.a), emit_expr(k, product->op.b),
                          emit_expr(k, addend)};
  int lanes = 0;
  for (int i = 0; i < 3; i++) {
    if (tsl_llvm_lanes(args[i])) lanes = tsl_llvm_lanes(args[i]);
  }
  for (int i = 0; i < 3 && lanes; i++) {
    if (!tsl_llvm_lanes(args[i])) args[i] = splat(k, args[i], lanes);
  }
  return call_intrinsic(k, "llvm.fmuladd", LLVMTypeOf(args[0]), args, 3);
}

static LLVMValueRef emit_binary(kernel *k, const tsl_expr *expr) {
  LLVMBuilderRef b = k->llvm->builder;
  tsl_dtype dtype = expr->op.a->dtype;
  LLVMValueRef fused = emit_multiply_add(k, expr);
  if (fused) return fused;
  LLVMValueRef a = emit_expr(k, expr->op.a), bv = emit_expr(k, expr->op.b);
  unify(k, &a, &bv);
  bool fp = is_float(dtype);
  LLVMValueRef result;
  switch (expr->kind) {
  case TSL_EXPR_ADD: result = fp ? LLVMBuildFAdd(b, a, bv, "") : LLVMBuildAdd(b, a, bv, ""); break;
  case TSL_EXPR_SUB: result = fp ? LLVMBuildFSub(b, a, bv, "") : LLVMBuildSub(b, a, bv, ""); break;
  case TSL_EXPR_MUL: result = fp ? LLVMBuildFMul(b, a, bv, "") : LLVMBuildMul(b, a, bv, ""); break;
  case TSL_EXPR_DIV:
    if (fp) result = LLVMBuildFDiv(b, a, bv, "");
    else return emit_int_divide(k, expr->kind, dtype, a, bv);
    break;
  case TSL_EXPR_MOD:
    if (fp) result = LLVMBuildFRem(b, a, bv, "");
    else return emit_int_divide(k, expr->kind, dtype, a, bv);
    break;
  case TSL_EXPR_FLOOR_DIV:
  case TSL_EXPR_FLOOR_MOD:
    TSL_CHECK(!fp);
    return emit_int_divide(k, expr->kind, dtype, a, bv);
  case TSL_EXPR_MIN:
  case TSL_EXPR_MAX: result = emit_min_max(k, expr->kind, dtype, a, bv); break;
  case TSL_EXPR_EQ:
  case TSL_EXPR_NE:
  case TSL_EXPR_LT:
  case TSL_EXPR_LE:
  case TSL_EXPR_GT:
  case TSL_EXPR_GE: return emit_compare(k, expr->kind, dtype, a, bv);
  case TSL_EXPR_AND:
  case TSL_EXPR_BIT_AND: return LLVMBuildAnd(b, a, bv, "");
  case TSL_EXPR_OR:
  case TSL_EXPR_BIT_OR: return LLVMBuildOr(b, a, bv, "");
  case TSL_EXPR_BIT_XOR: return LLVMBuildXor(b, a, bv, "");
  case TSL_EXPR_SHL:
  case TSL_EXPR_SHR: return emit_shift(k, expr->kind, dtype, a, bv);
  default: TSL_UNREACHABLE();
  }
  return fp ? round_to(k, dtype, result) : result;
}

/* Math functions: LLVM intrinsics where they exist, else the C library (f32 names end in f). */
static LLVMValueRef emit_call(kernel *k, const tsl_expr *expr) {
  LLVMBuilderRef b = k->llvm->builder;
  tsl_dtype dtype = expr->call.args[0]->dtype;
  LLVMValueRef args[2] = {emit_expr(k, expr->call.args[0]),
                          expr->call.args[1] ? emit_expr(k, expr->call.args[1]) : NULL};
  if (args[1]) unify(k, &args[0], &args[1]);
  LLVMTypeRef type = LLVMTypeOf(args[0]);
  tsl_math function = expr->call.function;
  int arity = tsl_math_arity(function);
  LLVMValueRef result = tsl_llvm_inline_math(k->llvm, function, args[0]);
  if (result) return round_to(k, dtype, result);
  /* Small integer powers (x², as exporters write LayerNorm) are products. */
  const tsl_expr *exponent = expr->call.args[1];
  if (function == TSL_MATH_pow && exponent->kind == TSL_EXPR_FLOAT) {
    double value = exponent->float_value;
    if (value == 1) return args[0];
    if (value == 2) return round_to(k, dtype, LLVMBuildFMul(b, args[0], args[0], ""));
    if (value == 3) return round_to(k, dtype, LLVMBuildFMul(b, LLVMBuildFMul(b, args[0], args[0], ""), args[0], ""));
    if (value == 0.5) return round_to(k, dtype, call_intrinsic(k, "llvm.sqrt", type, args, 1));
  }
  switch (function) {
  case TSL_MATH_isnan: return LLVMBuildFCmp(b, LLVMRealUNO, args[0], args[0], "");
  case TSL_MATH_isinf: {
    LLVMValueRef magnitude = call_intrinsic(k, "llvm.fabs", type, args, 1);
    return LLVMBuildFCmp(b, LLVMRealOEQ, magnitude, LLVMConstReal(type, INFINITY), "");
  }
  case TSL_MATH_fmod: result = LLVMBuildFRem(b, args[0], args[1], ""); break;
  case TSL_MATH_exp:
  case TSL_MATH_log:
  case TSL_MATH_sqrt:
  case TSL_MATH_sin:
  case TSL_MATH_cos:
  case TSL_MATH_floor:
  case TSL_MATH_ceil:
  case TSL_MATH_trunc:
  case TSL_MATH_fabs:
  case TSL_MATH_pow: {
    char name[32];
    snprintf(name, sizeof(name), "llvm.%s", function == TSL_MATH_fabs ? "fabs" : tsl_math_name(function));
    result = call_intrinsic(k, name, type, args, arity);
    break;
  }
  case TSL_MATH_round: result = call_intrinsic(k, "llvm.roundeven", type, args, 1); break;
  default: {
    /* The C library's function, lane by lane on a vector. */
    int lanes = tsl_llvm_lanes(args[0]);
    LLVMTypeRef scalar = lanes ? LLVMGetElementType(type) : type;
    char name[32];
    snprintf(name, sizeof(name), "%s%s", tsl_math_name(function), scalar == k->llvm->f32 ? "f" : "");
    LLVMTypeRef params[2] = {scalar, scalar};
    LLVMTypeRef function_type = LLVMFunctionType(scalar, params, (unsigned)arity, 0);
    LLVMValueRef callee = tsl_llvm_function(k->llvm, name, function_type);
    if (!lanes) {
      result = call(k, function_type, callee, args, arity);
      break;
    }
    result = LLVMGetPoison(type);
    for (int lane = 0; lane < lanes; lane++) {
      LLVMValueRef index = LLVMConstInt(k->llvm->i32, (unsigned long long)lane, 0);
      LLVMValueRef lane_args[2];
      for (int i = 0; i < arity; i++) lane_args[i] = LLVMBuildExtractElement(b, args[i], index, "");
      result = LLVMBuildInsertElement(b, result, call(k, function_type, callee, lane_args, arity), index, "");
    }
    break;
  }
  }
  return round_to(k, dtype, result);
}

static LLVMValueRef emit_expr(kernel *k, const tsl_expr *expr) {
  LLVMBuilderRef b = k->llvm->builder;
  switch (expr->kind) {
  case TSL_EXPR_INT:
  case TSL_EXPR_FLOAT: return emit_immediate(k, expr);
  case TSL_EXPR_VAR: {
    LLVMValueRef value = k->vars[expr->var->id];
    TSL_CHECK(value);
    return value;
  }
  case TSL_EXPR_LOAD: {
    if (k->lanes) return emit_vector_load(k, expr);
    LLVMValueRef address = element_address(k, expr->load.buffer, expr->load.num_indices, expr->load.indices);
    LLVMValueRef stored = LLVMBuildLoad2(b, tsl_llvm_memory_type(k->llvm, expr->dtype), address, "");
    return widen(k, expr->dtype, stored);
  }
  case TSL_EXPR_CAST: return emit_cast(k, expr->dtype, expr->op.a->dtype, emit_expr(k, expr->op.a));
  case TSL_EXPR_BITCAST:
    return emit_bitcast(k, expr->dtype, expr->op.a->dtype, emit_expr(k, expr->op.a));
  case TSL_EXPR_SELECT: {
    LLVMValueRef condition = emit_expr(k, expr->op.a);
    LLVMValueRef a = emit_expr(k, expr->op.b), c = emit_expr(k, expr->op.c);
    unify(k, &a, &c);
    int lanes = tsl_llvm_lanes(condition);
    if (lanes && !tsl_llvm_lanes(a)) {
      a = splat(k, a, lanes);
      c = splat(k, c, lanes);
    }
    return LLVMBuildSelect(b, condition, a, c, "");
  }
  case TSL_EXPR_CALL: return emit_call(k, expr);
  case TSL_EXPR_NOT: return LLVMBuildNot(b, emit_expr(k, expr->op.a), "");
  case TSL_EXPR_BIT_NOT: return LLVMBuildNot(b, emit_expr(k, expr->op.a), "");
  case TSL_EXPR_NEG: {
    LLVMValueRef a = emit_expr(k, expr->op.a);
    return is_float(expr->dtype) ? LLVMBuildFNeg(b, a, "") : LLVMBuildNeg(b, a, "");
  }
  case TSL_EXPR_REDUCE: TSL_UNREACHABLE();
  default: return emit_binary(k, expr);
  }
}

/* ---- statements -------------------------------------------------------------------------- */

static void emit_serial_loop(kernel *k, const tsl_var *var, LLVMValueRef begin, LLVMValueRef end,
                             const tsl_stmt *body) {
  LLVMBuilderRef b = k->llvm->builder;
  LLVMBasicBlockRef before = LLVMGetInsertBlock(b);
  LLVMBasicBlockRef header = new_block(k, "loop"), inside = new_block(k, "body"),
                    after = new_block(k, "done");
  LLVMBuildBr(b, header);
  LLVMPositionBuilderAtEnd(b, header);
  LLVMValueRef index = LLVMBuildPhi(b, k->llvm->i64, var->name);
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, index, end, ""), inside, after);
  LLVMPositionBuilderAtEnd(b, inside);
  LLVMValueRef outer = k->vars[var->id];
  k->vars[var->id] = index;
  emit_stmt(k, body);
  k->vars[var->id] = outer;
  LLVMValueRef next = LLVMBuildNSWAdd(b, index, LLVMConstInt(k->llvm->i64, 1, 0), "");
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(b);
  LLVMBuildBr(b, header);
  LLVMValueRef incoming[2] = {begin, next};
  LLVMBasicBlockRef from[2] = {before, latch};
  LLVMAddIncoming(index, incoming, from, 2);
  LLVMPositionBuilderAtEnd(b, after);
}

/* ---- vectorized and unrolled loops ------------------------------------------------------ */

enum { MAX_LANES = 64, MAX_UNROLL = 64, MAX_STACK_BYTES = 64 * 1024 };

/* Which variables differ between the lanes of a vectorized loop: its own, and the block
 * variables bound to expressions of those. */
typedef struct lane_scan {
  bool *varying; /* by variable id */
  bool found, ok;
} lane_scan;

static void find_varying(const tsl_expr *expr, void *context) {
  lane_scan *scan = context;
  if (expr->kind == TSL_EXPR_VAR && scan->varying[expr->var->id]) scan->found = true;
}

static bool uses_varying(lane_scan *scan, const tsl_expr *expr) {
  scan->found = false;
  tsl_expr_walk(expr, find_varying, scan);
  return scan->found;
}

/* What the vector code generator handles: stores and loads anywhere (contiguous, broadcast or
 * gathered), blocks whose varying variables are spatial, serial and unrolled loops and
 * conditions (of ifs and block predicates) that are the same in every lane. Not: allocations,
 * reductions across lanes, loops within whose bounds differ between lanes, nested parallel or
 * vectorized loops. */
static void scan_lanes(lane_scan *scan, const tsl_stmt *stmt) {
  if (!scan->ok) return;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) scan_lanes(scan, stmt->seq.items[i]);
    return;
  case TSL_STMT_FOR:
    if (stmt->loop.tensorized ||
        (stmt->loop.loop_kind != TSL_LOOP_SERIAL && stmt->loop.loop_kind != TSL_LOOP_UNROLLED) ||
        uses_varying(scan, stmt->loop.min) || uses_varying(scan, stmt->loop.extent)) {
      scan->ok = false;
      return;
    }
    scan_lanes(scan, stmt->loop.body);
    return;
  case TSL_STMT_BLOCK:
    for (int i = 0; i < stmt->block.num_iters; i++) {
      const tsl_block_iter *iter = &stmt->block.iters[i];
      if (!uses_varying(scan, iter->binding)) continue;
      if (iter->kind != TSL_ITER_SPATIAL) scan->ok = false;
      scan->varying[iter->var->id] = true;
    }
    if (stmt->block.predicate && uses_varying(scan, stmt->block.predicate)) scan->ok = false;
    if (stmt->block.init) scan_lanes(scan, stmt->block.init);
    scan_lanes(scan, stmt->block.body);
    return;
  case TSL_STMT_STORE: return;
  case TSL_STMT_IF:
    if (uses_varying(scan, stmt->branch.condition)) scan->ok = false;
    scan_lanes(scan, stmt->branch.then);
    if (stmt->branch.otherwise) scan_lanes(scan, stmt->branch.otherwise);
    return;
  case TSL_STMT_ALLOC:
  case TSL_STMT_EVAL: scan->ok = false; return;
  }
}

static int64_t constant_extent(const tsl_stmt *loop) {
  return loop->loop.extent->kind == TSL_EXPR_INT ? loop->loop.extent->int_value : -1;
}

/* The lanes a vectorized loop becomes, or 0 where it stays a loop (LLVM may still vectorise
 * it). */
static int vector_lanes(kernel *k, const tsl_stmt *loop) {
  int64_t extent = constant_extent(loop);
  if (k->lanes || extent < 2 || extent > MAX_LANES) return 0;
  lane_scan scan = {.varying = calloc((size_t)k->func->num_ids + 1, sizeof(bool)), .ok = true};
  TSL_CHECK_ALLOC(scan.varying);
  scan.varying[loop->loop.var->id] = true;
  scan_lanes(&scan, loop->loop.body);
  free(scan.varying);
  return scan.ok ? (int)extent : 0;
}

/* The loop's iterations as the lanes of vectors: its variable is the ramp min + lane. */
static void emit_vector_loop(kernel *k, const tsl_stmt *loop, int lanes) {
  int id = loop->loop.var->id;
  LLVMValueRef saved = k->vars[id];
  k->lanes = lanes;
  LLVMValueRef min = emit_expr(k, loop->loop.min);
  k->ramps[id] = (ramp){min, 1, multiple_of(min)};
  k->vars[id] = ramp_value(k, k->ramps[id]);
  emit_stmt(k, loop->loop.body);
  k->ramps[id] = (ramp){NULL, 0, 0};
  k->vars[id] = saved;
  k->lanes = 0;
}

static void emit_unrolled_loop(kernel *k, const tsl_stmt *loop, int64_t extent) {
  int id = loop->loop.var->id;
  LLVMValueRef saved = k->vars[id], begin = emit_expr(k, loop->loop.min);
  for (int64_t i = 0; i < extent; i++) {
    k->vars[id] = LLVMBuildAdd(k->llvm->builder, begin, LLVMConstInt(k->llvm->i64, (unsigned long long)i, 0), "");
    emit_stmt(k, loop->loop.body);
  }
  k->vars[id] = saved;
}

/* A parallel loop: its body becomes a function of (closure, begin, end) that the runtime's
 * thread pool calls on parts of the range; the closure carries every variable and buffer in
 * scope. */
static void emit_parallel_loop(kernel *k, const tsl_stmt *loop) {
  tsl_llvm *llvm = k->llvm;
  LLVMBuilderRef b = llvm->builder;
  int ids = k->func->num_ids;
  int slots = 0;
  for (int id = 0; id < ids; id++) slots += (k->vars[id] != NULL) + (k->buffers[id] != NULL);
  LLVMTypeRef slot_types[slots + 1];
  int slot = 0;
  for (int id = 0; id < ids; id++) {
    if (k->vars[id]) slot_types[slot++] = llvm->i64;
    if (k->buffers[id]) slot_types[slot++] = llvm->ptr;
  }
  LLVMTypeRef closure_type = LLVMStructTypeInContext(llvm->context, slot_types, (unsigned)slots, 0);

  /* The outlined body. */
  char name[256];
  snprintf(name, sizeof(name), "%s.parallel.%d", LLVMGetValueName(k->function), (*k->parallel_count)++);
  LLVMTypeRef params[3] = {llvm->ptr, llvm->i64, llvm->i64};
  LLVMTypeRef body_type = LLVMFunctionType(llvm->void_type, params, 3, 0);
  LLVMValueRef body = LLVMAddFunction(llvm->module, name, body_type);
  LLVMSetLinkage(body, LLVMInternalLinkage);
  kernel inner = *k;
  inner.function = body;
  inner.vars = calloc((size_t)ids + 1, sizeof(LLVMValueRef));
  inner.buffers = calloc((size_t)ids + 1, sizeof(LLVMValueRef));
  inner.ramps = calloc((size_t)ids + 1, sizeof(ramp));
  TSL_CHECK_ALLOC(inner.vars && inner.buffers && inner.ramps);
  LLVMBasicBlockRef saved = LLVMGetInsertBlock(b);
  inner.entry = new_block(&inner, "entry");
  LLVMPositionBuilderAtEnd(b, inner.entry);
  LLVMValueRef closure = LLVMGetParam(body, 0);
  slot = 0;
  for (int id = 0; id < ids; id++) {
    if (k->vars[id]) {
      LLVMValueRef field = LLVMBuildStructGEP2(b, closure_type, closure, (unsigned)slot++, "");
      inner.vars[id] = LLVMBuildLoad2(b, llvm->i64, field, "");
    }
    if (k->buffers[id]) {
      LLVMValueRef field = LLVMBuildStructGEP2(b, closure_type, closure, (unsigned)slot++, "");
      inner.buffers[id] = LLVMBuildLoad2(b, llvm->ptr, field, "");
    }
  }
  emit_serial_loop(&inner, loop->loop.var, LLVMGetParam(body, 1), LLVMGetParam(body, 2), loop->loop.body);
  LLVMBuildRetVoid(b);
  free(inner.vars);
  free(inner.buffers);
  free(inner.ramps);

  /* The call: fill the closure, hand the range to the thread pool. */
  LLVMPositionBuilderAtEnd(b, saved);
  LLVMBasicBlockRef here = LLVMGetInsertBlock(b);
  LLVMPositionBuilderAtEnd(b, k->entry);
  LLVMValueRef first = LLVMGetFirstInstruction(k->entry);
  if (first) LLVMPositionBuilderBefore(b, first);
  LLVMValueRef storage = LLVMBuildAlloca(b, closure_type, "closure");
  LLVMPositionBuilderAtEnd(b, here);
  slot = 0;
  for (int id = 0; id < ids; id++) {
    if (k->vars[id]) LLVMBuildStore(b, k->vars[id], LLVMBuildStructGEP2(b, closure_type, storage, (unsigned)slot++, ""));
    if (k->buffers[id]) LLVMBuildStore(b, k->buffers[id], LLVMBuildStructGEP2(b, closure_type, storage, (unsigned)slot++, ""));
  }
  LLVMValueRef begin = emit_expr(k, loop->loop.min);
  LLVMValueRef end = LLVMBuildAdd(b, begin, emit_expr(k, loop->loop.extent), "");
  LLVMTypeRef runtime_params[4] = {llvm->ptr, llvm->ptr, llvm->i64, llvm->i64};
  LLVMTypeRef runtime_type = LLVMFunctionType(llvm->void_type, runtime_params, 4, 0);
  LLVMValueRef args[4] = {body, storage, begin, end};
  call(k, runtime_type, tsl_llvm_function(llvm, "tsl_kernel_parallel_for", runtime_type), args, 4);
}

/* ---- tensorized loops ------------------------------------------------------------------- */

/* A tensorized nest: the intrinsic on the vectors at the addresses the block accesses at the
 * nest's start (checked to match when the function was added). */
static void emit_tensorized(kernel *k, const tsl_stmt *loop) {
  tsl_llvm *llvm = k->llvm;
  LLVMBuilderRef b = llvm->builder;
  const tsl_intrin *intrin = tsl_intrin_get(loop->loop.tensorized);
  tsl_intrin_match match;
  tsl_error error;
  TSL_CHECK(intrin && !tsl_intrin_match_nest(intrin, loop, &llvm->target, &match, &error));
  const tsl_stmt *block = match.block, *store = match.store;
  const tsl_var *nest[2] = {loop->loop.var, loop->loop.body->loop.var};
  LLVMValueRef saved_nest[2], saved[block->block.num_iters + 1];
  for (int i = 0; i < 2; i++) {
    saved_nest[i] = k->vars[nest[i]->id];
    k->vars[nest[i]->id] = LLVMConstInt(llvm->i64, 0, 0);
  }
  for (int i = 0; i < block->block.num_iters; i++) {
    const tsl_block_iter *iter = &block->block.iters[i];
    saved[i] = k->vars[iter->var->id];
    k->vars[iter->var->id] = emit_expr(k, iter->binding);
  }
  LLVMValueRef c =
      element_address(k, store->store.buffer, store->store.num_indices, store->store.indices);
  LLVMValueRef a =
      element_address(k, match.a->load.buffer, match.a->load.num_indices, match.a->load.indices);
  LLVMValueRef bytes =
      element_address(k, match.b->load.buffer, match.b->load.num_indices, match.b->load.indices);
  for (int i = 0; i < block->block.num_iters; i++)
    k->vars[block->block.iters[i].var->id] = saved[i];
  for (int i = 0; i < 2; i++) k->vars[nest[i]->id] = saved_nest[i];

  unsigned lanes = (unsigned)intrin->lanes, depth = (unsigned)intrin->depth;
  LLVMTypeRef accumulator = LLVMVectorType(tsl_llvm_value_type(llvm, intrin->accumulator), lanes);
  LLVMTypeRef operand =
      LLVMVectorType(LLVMIntTypeInContext(llvm->context, (unsigned)intrin->operand_bits),
                     lanes * depth * 8 / (unsigned)intrin->operand_bits);
  LLVMValueRef sum = LLVMBuildLoad2(b, accumulator, c, "");
  LLVMSetAlignment(sum, (unsigned)tsl_dtype_size(intrin->accumulator));
  /* a: the same `depth` bytes in every lane; b: `depth` bytes a lane. */
  LLVMValueRef group = LLVMBuildLoad2(b, LLVMIntTypeInContext(llvm->context, depth * 8), a, "");
  LLVMSetAlignment(group, 1);
  LLVMValueRef spread = LLVMBuildBitCast(b, splat(k, group, (int)lanes), operand, "");
  LLVMValueRef packed = LLVMBuildLoad2(b, LLVMVectorType(llvm->i8, lanes * depth), bytes, "");
  LLVMSetAlignment(packed, 1);
  packed = LLVMBuildBitCast(b, packed, operand, "");
  LLVMTypeRef params[3] = {accumulator, operand, operand};
  LLVMTypeRef type = LLVMFunctionType(accumulator, params, 3, 0);
  LLVMValueRef args[3] = {sum, spread, packed};
  LLVMValueRef result = call(k, type, tsl_llvm_function(llvm, intrin->llvm, type), args, 3);
  LLVMSetAlignment(LLVMBuildStore(b, result, c), (unsigned)tsl_dtype_size(intrin->accumulator));
}

/* The first tensorized loop whose nest is not its intrinsic's for the target, if any, and why. */
typedef struct tensorized_check {
  const tsl_target *target;
  tsl_status status;
  tsl_error *error;
} tensorized_check;

static void check_tensorized(tsl_stmt *stmt, void *context) {
  tensorized_check *check = context;
  if (check->status || stmt->kind != TSL_STMT_FOR || !stmt->loop.tensorized) return;
  const tsl_intrin *intrin = tsl_intrin_get(stmt->loop.tensorized);
  tsl_intrin_match match;
  if (!intrin) {
    check->status =
        tsl_fail(check->error, TSL_ERROR_INPUT, "no intrinsic '%s'", stmt->loop.tensorized);
  } else {
    check->status = tsl_intrin_match_nest(intrin, stmt, check->target, &match, check->error);
  }
  if (check->status) {
    tsl_error_prefix(check->error, "loop '%s' tensorized(\"%s\"): ", stmt->loop.var->name,
                     stmt->loop.tensorized);
  }
}

static void emit_block(kernel *k, const tsl_stmt *stmt) {
  LLVMBuilderRef b = k->llvm->builder;
  LLVMValueRef saved[stmt->block.num_iters + 1];
  ramp saved_ramps[stmt->block.num_iters + 1];
  for (int i = 0; i < stmt->block.num_iters; i++) {
    const tsl_block_iter *iter = &stmt->block.iters[i];
    int id = iter->var->id;
    saved[i] = k->vars[id];
    saved_ramps[i] = k->ramps[id];
    ramp r;
    if (k->lanes && emit_ramp(k, iter->binding, &r)) {
      k->ramps[id] = r;
      k->vars[id] = ramp_value(k, r);
    } else {
      k->vars[id] = emit_expr(k, iter->binding);
    }
  }
  LLVMBasicBlockRef skip = NULL;
  if (stmt->block.predicate) {
    LLVMBasicBlockRef run = new_block(k, "where");
    skip = new_block(k, "skip");
    LLVMBuildCondBr(b, emit_expr(k, stmt->block.predicate), run, skip);
    LLVMPositionBuilderAtEnd(b, run);
  }
  if (stmt->block.init) {
    /* The init runs on the first value of every reduction variable. */
    LLVMValueRef first = LLVMConstInt(k->llvm->i1, 1, 0);
    for (int i = 0; i < stmt->block.num_iters; i++) {
      const tsl_block_iter *iter = &stmt->block.iters[i];
      if (iter->kind != TSL_ITER_REDUCE) continue;
      LLVMValueRef at_min = LLVMBuildICmp(b, LLVMIntEQ, k->vars[iter->var->id],
                                          LLVMConstInt(k->llvm->i64, (unsigned long long)iter->min, 1), "");
      first = LLVMBuildAnd(b, first, at_min, "");
    }
    LLVMBasicBlockRef init = new_block(k, "init"), rest = new_block(k, "update");
    LLVMBuildCondBr(b, first, init, rest);
    LLVMPositionBuilderAtEnd(b, init);
    emit_stmt(k, stmt->block.init);
    LLVMBuildBr(b, rest);
    LLVMPositionBuilderAtEnd(b, rest);
  }
  emit_stmt(k, stmt->block.body);
  if (skip) {
    LLVMBuildBr(b, skip);
    LLVMPositionBuilderAtEnd(b, skip);
  }
  for (int i = 0; i < stmt->block.num_iters; i++) {
    k->vars[stmt->block.iters[i].var->id] = saved[i];
    k->ramps[stmt->block.iters[i].var->id] = saved_ramps[i];
  }
}

static void emit_alloc(kernel *k, const tsl_stmt *stmt) {
  tsl_llvm *llvm = k->llvm;
  const tsl_buffer *buffer = stmt->alloc.buffer;
  int64_t elements = tsl_buffer_elements(buffer);
  int64_t bytes = elements * (int64_t)tsl_dtype_size(buffer->dtype);
  LLVMValueRef outer = k->buffers[buffer->id];
  if (buffer->scope == TSL_SCOPE_LOCAL && bytes <= MAX_STACK_BYTES) {
    /* On the stack, allocated once in the entry block: LLVM keeps small ones in registers. */
    LLVMBuilderRef b = llvm->builder;
    LLVMBasicBlockRef here = LLVMGetInsertBlock(b);
    LLVMValueRef first = LLVMGetFirstInstruction(k->entry);
    if (first) LLVMPositionBuilderBefore(b, first);
    else LLVMPositionBuilderAtEnd(b, k->entry);
    LLVMTypeRef type = LLVMArrayType(tsl_llvm_memory_type(llvm, buffer->dtype), (unsigned)(elements ? elements : 1));
    LLVMValueRef memory = LLVMBuildAlloca(b, type, buffer->name);
    LLVMSetAlignment(memory, 64);
    LLVMPositionBuilderAtEnd(b, here);
    k->buffers[buffer->id] = memory;
    emit_stmt(k, stmt->alloc.body);
    k->buffers[buffer->id] = outer;
    return;
  }
  LLVMTypeRef size_param[1] = {llvm->i64};
  LLVMTypeRef alloc_type = LLVMFunctionType(llvm->ptr, size_param, 1, 0);
  LLVMValueRef size = LLVMConstInt(llvm->i64, (unsigned long long)(bytes ? bytes : 1), 0);
  LLVMValueRef memory = call(k, alloc_type, tsl_llvm_function(llvm, "tsl_kernel_alloc", alloc_type), &size, 1);
  k->buffers[buffer->id] = memory;
  emit_stmt(k, stmt->alloc.body);
  k->buffers[buffer->id] = outer;
  LLVMTypeRef free_param[1] = {llvm->ptr};
  LLVMTypeRef free_type = LLVMFunctionType(llvm->void_type, free_param, 1, 0);
  call(k, free_type, tsl_llvm_function(llvm, "tsl_kernel_free", free_type), &memory, 1);
}

static void emit_stmt(kernel *k, const tsl_stmt *stmt) {
  LLVMBuilderRef b = k->llvm->builder;
  switch (stmt->kind) {
  case TSL_STMT_SEQ:
    for (int i = 0; i < stmt->seq.count; i++) emit_stmt(k, stmt->seq.items[i]);
    return;
  case TSL_STMT_FOR: {
    if (stmt->loop.tensorized) {
      emit_tensorized(k, stmt);
      return;
    }
    int64_t extent = constant_extent(stmt);
    int lanes = stmt->loop.loop_kind == TSL_LOOP_VECTORIZED ? vector_lanes(k, stmt) : 0;
    if (stmt->loop.loop_kind == TSL_LOOP_PARALLEL && !k->lanes) {
      emit_parallel_loop(k, stmt);
    } else if (lanes) {
      emit_vector_loop(k, stmt, lanes);
    } else if (stmt->loop.loop_kind == TSL_LOOP_UNROLLED && extent >= 0 && extent <= MAX_UNROLL) {
      emit_unrolled_loop(k, stmt, extent);
    } else {
      LLVMValueRef begin = emit_expr(k, stmt->loop.min);
      LLVMValueRef end = LLVMBuildAdd(b, begin, emit_expr(k, stmt->loop.extent), "");
      emit_serial_loop(k, stmt->loop.var, begin, end, stmt->loop.body);
    }
    return;
  }
  case TSL_STMT_BLOCK: emit_block(k, stmt); return;
  case TSL_STMT_STORE: {
    if (k->lanes) {
      emit_vector_store(k, stmt);
      return;
    }
    LLVMValueRef value = narrow(k, stmt->store.buffer->dtype, emit_expr(k, stmt->store.value));
    LLVMValueRef address = element_address(k, stmt->store.buffer, stmt->store.num_indices, stmt->store.indices);
    LLVMBuildStore(b, value, address);
    return;
  }
  case TSL_STMT_IF: {
    LLVMBasicBlockRef then = new_block(k, "then"), otherwise = new_block(k, "else"),
                      after = new_block(k, "endif");
    LLVMBuildCondBr(b, emit_expr(k, stmt->branch.condition), then, otherwise);
    LLVMPositionBuilderAtEnd(b, then);
    emit_stmt(k, stmt->branch.then);
    LLVMBuildBr(b, after);
    LLVMPositionBuilderAtEnd(b, otherwise);
    if (stmt->branch.otherwise) emit_stmt(k, stmt->branch.otherwise);
    LLVMBuildBr(b, after);
    LLVMPositionBuilderAtEnd(b, after);
    return;
  }
  case TSL_STMT_ALLOC: emit_alloc(k, stmt); return;
  case TSL_STMT_EVAL: emit_expr(k, stmt->eval.value); return;
  }
}

/* The kernel is two functions: `name(void *const *args)`, the entry the runtime calls, and an
 * internal body taking each buffer as a noalias pointer, which tells LLVM that buffers never
 * overlap (the memory planner guarantees it) so it can vectorise. */
tsl_status tsl_llvm_add_function(tsl_llvm *llvm, const tsl_primfunc *func, tsl_error *error) {
  tsl_status status = tsl_primfunc_verify(func, error);
  if (status) return status;
  tensorized_check check = {&llvm->target, TSL_OK, error};
  if (func->body) tsl_stmt_walk(func->body, check_tensorized, &check);
  if (check.status) {
    tsl_error_prefix(error, "function '%s': ", func->name);
    return check.status;
  }
  int count = func->num_params;
  LLVMTypeRef param_types[count + 1];
  for (int i = 0; i < count; i++) param_types[i] = llvm->ptr;
  LLVMTypeRef body_type = LLVMFunctionType(llvm->void_type, param_types, (unsigned)count, 0);
  char body_name[512];
  snprintf(body_name, sizeof(body_name), "%s.body", func->name);
  LLVMValueRef body = LLVMAddFunction(llvm->module, body_name, body_type);
  LLVMSetLinkage(body, LLVMInternalLinkage);
  unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
  for (int i = 0; i < count; i++) {
    LLVMAddAttributeAtIndex(body, (unsigned)i + 1, LLVMCreateEnumAttribute(llvm->context, noalias, 0));
  }
  int parallel_count = 0;
  kernel k = {
      .llvm = llvm,
      .func = func,
      .function = body,
      .vars = calloc((size_t)func->num_ids + 1, sizeof(LLVMValueRef)),
      .buffers = calloc((size_t)func->num_ids + 1, sizeof(LLVMValueRef)),
      .ramps = calloc((size_t)func->num_ids + 1, sizeof(ramp)),
      .parallel_count = &parallel_count,
  };
  TSL_CHECK_ALLOC(k.vars && k.buffers && k.ramps);
  for (int i = 0; i < count; i++) k.buffers[func->params[i]->id] = LLVMGetParam(body, (unsigned)i);
  k.entry = new_block(&k, "entry");
  LLVMPositionBuilderAtEnd(llvm->builder, k.entry);
  if (func->body) emit_stmt(&k, func->body);
  LLVMBuildRetVoid(llvm->builder);
  free(k.vars);
  free(k.buffers);
  free(k.ramps);

  /* The entry: unpack the argument array. */
  LLVMTypeRef entry_params[1] = {llvm->ptr};
  LLVMTypeRef entry_type = LLVMFunctionType(llvm->void_type, entry_params, 1, 0);
  LLVMValueRef entry = LLVMAddFunction(llvm->module, func->name, entry_type);
  LLVMPositionBuilderAtEnd(llvm->builder, LLVMAppendBasicBlockInContext(llvm->context, entry, "entry"));
  LLVMValueRef args[count + 1];
  for (int i = 0; i < count; i++) {
    LLVMValueRef index = LLVMConstInt(llvm->i64, (unsigned long long)i, 0);
    LLVMValueRef slot = LLVMBuildGEP2(llvm->builder, llvm->ptr, LLVMGetParam(entry, 0), &index, 1, "");
    args[i] = LLVMBuildLoad2(llvm->builder, llvm->ptr, slot, "");
  }
  LLVMBuildCall2(llvm->builder, body_type, body, args, (unsigned)count, "");
  LLVMBuildRetVoid(llvm->builder);
  return TSL_OK;
}
