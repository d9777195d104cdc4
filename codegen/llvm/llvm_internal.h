/* What the files of codegen/llvm share. */
#ifndef TSL_CODEGEN_LLVM_INTERNAL_H
#define TSL_CODEGEN_LLVM_INTERNAL_H

#include <llvm-c/Core.h>
#include <llvm-c/Orc.h>
#include <llvm-c/TargetMachine.h>

#include "codegen/llvm/llvm.h"

struct tsl_llvm {
  tsl_target target;
  LLVMTargetMachineRef machine;
  /* The context belongs to an ORC thread-safe context, so the module can move into the JIT. */
  LLVMOrcThreadSafeContextRef thread_safe_context;
  LLVMContextRef context;
  LLVMModuleRef module;
  LLVMBuilderRef builder;
  LLVMTypeRef i1, i8, i16, i32, i64, f32, f64, half, ptr, void_type;
};

tsl_status tsl_llvm_target_machine(const tsl_target *target, LLVMTargetMachineRef *machine,
                                   tsl_error *error);
LLVMTypeRef tsl_llvm_value_type(const tsl_llvm *llvm, tsl_dtype dtype);
LLVMTypeRef tsl_llvm_memory_type(const tsl_llvm *llvm, tsl_dtype dtype);

/* Declares (once) an external function of the module. */
LLVMValueRef tsl_llvm_function(tsl_llvm *llvm, const char *name, LLVMTypeRef type);
/* An intrinsic overloaded on `type` ("llvm.exp", f32 → llvm.exp.f32). */
LLVMValueRef tsl_llvm_intrinsic(tsl_llvm *llvm, const char *name, LLVMTypeRef *types, int count,
                                LLVMTypeRef *function_type);

/* Vectors. Values inside a vectorized loop are vectors of its lanes where they differ between
 * lanes, scalars where they do not. */
/* The number of lanes of a vector value, 0 for a scalar. */
int tsl_llvm_lanes(LLVMValueRef value);
/* `scalar` as a vector type of `like`'s lanes, or `scalar` itself when `like` is a scalar. */
LLVMTypeRef tsl_llvm_shaped(LLVMTypeRef scalar, LLVMValueRef like);
/* An integer constant of `type`, every lane of it for a vector type. */
LLVMValueRef tsl_llvm_const_int(LLVMTypeRef type, unsigned long long value, bool sign_extend);

/* exp, log, tanh, erf of an f32 (or a vector of f32) as inline IR (codegen/llvm/math.c); NULL for what it does not
 * cover, which the C library computes. */
LLVMValueRef tsl_llvm_inline_math(tsl_llvm *llvm, tsl_math function, LLVMValueRef x);

#endif
