/* In-process compilation with ORC's LLJIT. */
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <stdlib.h>

#include "codegen/llvm/llvm_internal.h"
#include "ir/check.h"
#include "ir/error.h"

struct tsl_jit {
  LLVMOrcLLJITRef lljit;
};

static tsl_status jit_failure(LLVMErrorRef failure, const char *what, tsl_error *error) {
  char *message = LLVMGetErrorMessage(failure);
  tsl_status status = tsl_fail(error, TSL_ERROR_INTERNAL, "JIT: %s: %s", what, message);
  LLVMDisposeErrorMessage(message);
  return status;
}

tsl_status tsl_jit_new(tsl_llvm *llvm, tsl_jit **out, tsl_error *error) {
  *out = NULL;
  LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
  /* The same machine options the module was optimised for. */
  LLVMOrcJITTargetMachineBuilderRef machine =
      LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(llvm->machine);
  llvm->machine = NULL; /* now owned by the JIT */
  LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, machine);
  LLVMOrcLLJITRef lljit;
  LLVMErrorRef failure = LLVMOrcCreateLLJIT(&lljit, builder);
  if (failure) return jit_failure(failure, "cannot start", error);
  /* Kernels call the runtime and the C library of this process. */
  LLVMOrcDefinitionGeneratorRef generator;
  failure = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
      &generator, LLVMOrcLLJITGetGlobalPrefix(lljit), NULL, NULL);
  if (failure) {
    LLVMOrcDisposeLLJIT(lljit);
    return jit_failure(failure, "cannot search the process", error);
  }
  LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(lljit), generator);
  /* The module moves into the JIT, which keeps its context alive. */
  LLVMOrcThreadSafeModuleRef module =
      LLVMOrcCreateNewThreadSafeModule(llvm->module, llvm->thread_safe_context);
  llvm->module = NULL;
  failure = LLVMOrcLLJITAddLLVMIRModule(lljit, LLVMOrcLLJITGetMainJITDylib(lljit), module);
  if (failure) {
    LLVMOrcDisposeLLJIT(lljit);
    return jit_failure(failure, "cannot add the module", error);
  }
  tsl_jit *jit = calloc(1, sizeof(*jit));
  TSL_CHECK_ALLOC(jit);
  jit->lljit = lljit;
  *out = jit;
  return TSL_OK;
}

void *tsl_jit_lookup(tsl_jit *jit, const char *symbol) {
  LLVMOrcExecutorAddress address = 0;
  LLVMErrorRef failure = LLVMOrcLLJITLookup(jit->lljit, &address, symbol);
  if (failure) {
    LLVMConsumeError(failure);
    return NULL;
  }
  return (void *)(uintptr_t)address;
}

void tsl_jit_free(tsl_jit *jit) {
  if (!jit) return;
  LLVMOrcDisposeLLJIT(jit->lljit);
  free(jit);
}
