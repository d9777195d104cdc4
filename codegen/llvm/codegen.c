/* TIR to LLVM IR, through the LLVM C API. */
#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/llvm/llvm_internal.h"
#include "ir/check.h"
#include "ir/error.h"

/* ---- the module -------------------------------------------------------------------------- */

tsl_status tsl_llvm_new(const tsl_target *target, const char *name, tsl_llvm **out,
                        tsl_error *error) {
  *out = NULL;
  tsl_llvm *llvm = calloc(1, sizeof(*llvm));
  TSL_CHECK_ALLOC(llvm);
  llvm->target = *target;
  tsl_status status = tsl_llvm_target_machine(target, &llvm->machine, error);
  if (status) {
    free(llvm);
    return status;
  }
  llvm->thread_safe_context = LLVMOrcCreateNewThreadSafeContext();
  llvm->context = LLVMOrcThreadSafeContextGetContext(llvm->thread_safe_context);
  LLVMContextSetOpaquePointers(llvm->context, 1);
  llvm->module = LLVMModuleCreateWithNameInContext(name, llvm->context);
  LLVMSetTarget(llvm->module, target->triple);
  LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(llvm->machine);
  char *layout_text = LLVMCopyStringRepOfTargetData(layout);
  LLVMSetDataLayout(llvm->module, layout_text);
  LLVMDisposeMessage(layout_text);
  LLVMDisposeTargetData(layout);
  llvm->builder = LLVMCreateBuilderInContext(llvm->context);
  llvm->i1 = LLVMInt1TypeInContext(llvm->context);
  llvm->i8 = LLVMInt8TypeInContext(llvm->context);
  llvm->i16 = LLVMInt16TypeInContext(llvm->context);
  llvm->i32 = LLVMInt32TypeInContext(llvm->context);
  llvm->i64 = LLVMInt64TypeInContext(llvm->context);
  llvm->f32 = LLVMFloatTypeInContext(llvm->context);
  llvm->f64 = LLVMDoubleTypeInContext(llvm->context);
  llvm->half = LLVMHalfTypeInContext(llvm->context);
  llvm->ptr = LLVMPointerTypeInContext(llvm->context, 0);
  llvm->void_type = LLVMVoidTypeInContext(llvm->context);
  *out = llvm;
  return TSL_OK;
}

void tsl_llvm_free(tsl_llvm *llvm) {
  if (!llvm) return;
  if (llvm->builder) LLVMDisposeBuilder(llvm->builder);
  if (llvm->module) LLVMDisposeModule(llvm->module);
  if (llvm->thread_safe_context) LLVMOrcDisposeThreadSafeContext(llvm->thread_safe_context);
  if (llvm->machine) LLVMDisposeTargetMachine(llvm->machine);
  free(llvm);
}

void tsl_llvm_add_data(tsl_llvm *llvm, const char *symbol, const void *bytes, size_t size,
                       size_t alignment) {
  LLVMValueRef data = LLVMConstStringInContext(llvm->context, bytes, (unsigned)size, 1);
  LLVMValueRef global = LLVMAddGlobal(llvm->module, LLVMTypeOf(data), symbol);
  LLVMSetInitializer(global, data);
  LLVMSetGlobalConstant(global, 1);
  LLVMSetAlignment(global, (unsigned)alignment);
}

char *tsl_llvm_print(const tsl_llvm *llvm) {
  char *text = LLVMPrintModuleToString(llvm->module);
  char *copy = strdup(text);
  LLVMDisposeMessage(text);
  TSL_CHECK_ALLOC(copy);
  return copy;
}

tsl_status tsl_llvm_optimize(tsl_llvm *llvm, tsl_error *error) {
  LLVMPassBuilderOptionsRef options = LLVMCreatePassBuilderOptions();
  LLVMPassBuilderOptionsSetLoopVectorization(options, 1);
  LLVMPassBuilderOptionsSetSLPVectorization(options, 1);
  LLVMPassBuilderOptionsSetLoopUnrolling(options, 1);
  LLVMErrorRef failure = LLVMRunPasses(llvm->module, "default<O3>", llvm->machine, options);
  LLVMDisposePassBuilderOptions(options);
  if (failure) {
    char *message = LLVMGetErrorMessage(failure);
    tsl_status status = tsl_fail(error, TSL_ERROR_INTERNAL, "LLVM optimisation failed: %s", message);
    LLVMDisposeErrorMessage(message);
    return status;
  }
  return TSL_OK;
}

tsl_status tsl_llvm_emit_object(tsl_llvm *llvm, const char *path, tsl_error *error) {
  char *message = NULL;
  if (LLVMTargetMachineEmitToFile(llvm->machine, llvm->module, (char *)path, LLVMObjectFile,
                                  &message)) {
    tsl_status status = tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot write the object file: %s",
                                 path, message ? message : "unknown error");
    LLVMDisposeMessage(message);
    return status;
  }
  return TSL_OK;
}

/* ---- types ------------------------------------------------------------------------------- */

/* The type values of `dtype` have in registers. f16 and bf16 compute in f32: they are widened
 * when loaded and rounded when stored or cast. Bools are i1 in registers and bytes in memory. */
LLVMTypeRef tsl_llvm_value_type(const tsl_llvm *llvm, tsl_dtype dtype) {
  switch (dtype) {
  case TSL_DTYPE_F32:
  case TSL_DTYPE_F16:
  case TSL_DTYPE_BF16: return llvm->f32;
  case TSL_DTYPE_F64: return llvm->f64;
  case TSL_DTYPE_I8:
  case TSL_DTYPE_U8: return llvm->i8;
  case TSL_DTYPE_I16:
  case TSL_DTYPE_U16: return llvm->i16;
  case TSL_DTYPE_I32:
  case TSL_DTYPE_U32: return llvm->i32;
  case TSL_DTYPE_I64:
  case TSL_DTYPE_U64: return llvm->i64;
  case TSL_DTYPE_BOOL: return llvm->i1;
  default: TSL_UNREACHABLE();
  }
}

/* The type elements of `dtype` have in memory. */
LLVMTypeRef tsl_llvm_memory_type(const tsl_llvm *llvm, tsl_dtype dtype) {
  switch (dtype) {
  case TSL_DTYPE_F16: return llvm->half;
  case TSL_DTYPE_BF16: return llvm->i16;
  case TSL_DTYPE_BOOL: return llvm->i8;
  default: return tsl_llvm_value_type(llvm, dtype);
  }
}

int tsl_llvm_lanes(LLVMValueRef value) {
  LLVMTypeRef type = LLVMTypeOf(value);
  return LLVMGetTypeKind(type) == LLVMVectorTypeKind ? (int)LLVMGetVectorSize(type) : 0;
}

LLVMTypeRef tsl_llvm_shaped(LLVMTypeRef scalar, LLVMValueRef like) {
  int lanes = tsl_llvm_lanes(like);
  return lanes ? LLVMVectorType(scalar, (unsigned)lanes) : scalar;
}

LLVMValueRef tsl_llvm_const_int(LLVMTypeRef type, unsigned long long value, bool sign_extend) {
  if (LLVMGetTypeKind(type) != LLVMVectorTypeKind) return LLVMConstInt(type, value, sign_extend);
  unsigned lanes = LLVMGetVectorSize(type);
  LLVMValueRef lane = LLVMConstInt(LLVMGetElementType(type), value, sign_extend);
  LLVMValueRef elements[lanes];
  for (unsigned i = 0; i < lanes; i++) elements[i] = lane;
  return LLVMConstVector(elements, lanes);
}
