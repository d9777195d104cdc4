/* LLVM targets: the host's triple, CPU and features, and target machines. */
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "codegen/llvm/llvm_internal.h"
#include "ir/error.h"

static pthread_once_t initialised = PTHREAD_ONCE_INIT;

static void initialise_llvm(void) {
  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86Target();
  LLVMInitializeX86TargetMC();
  LLVMInitializeX86AsmPrinter();
  LLVMInitializeAArch64TargetInfo();
  LLVMInitializeAArch64Target();
  LLVMInitializeAArch64TargetMC();
  LLVMInitializeAArch64AsmPrinter();
}

/* The widest vector the features allow. */
static int vector_bits(const tsl_target *target) {
  if (strncmp(target->triple, "aarch64", 7) == 0) return 128;
  if (tsl_target_has_feature(target, "avx512f")) return 512;
  if (tsl_target_has_feature(target, "avx2") || tsl_target_has_feature(target, "avx")) return 256;
  return 128;
}

tsl_status tsl_llvm_complete_target(tsl_target *target, tsl_error *error) {
  pthread_once(&initialised, initialise_llvm);
  if (!target->triple[0]) {
    char *triple = LLVMGetDefaultTargetTriple();
    char *normal = LLVMNormalizeTargetTriple(triple);
    snprintf(target->triple, sizeof(target->triple), "%s", normal);
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(normal);
  }
  if (target->host && !target->cpu[0]) {
    char *cpu = LLVMGetHostCPUName();
    snprintf(target->cpu, sizeof(target->cpu), "%s", cpu);
    LLVMDisposeMessage(cpu);
  }
  if (target->host && !target->features[0]) {
    char *features = LLVMGetHostCPUFeatures();
    snprintf(target->features, sizeof(target->features), "%s", features);
    LLVMDisposeMessage(features);
  }
  if (!target->cpu[0]) snprintf(target->cpu, sizeof(target->cpu), "generic");
  target->vector_bits = vector_bits(target);
  LLVMTargetRef llvm_target;
  char *message = NULL;
  if (LLVMGetTargetFromTriple(target->triple, &llvm_target, &message)) {
    tsl_status status = tsl_fail(error, TSL_ERROR_UNSUPPORTED, "target triple '%s': %s",
                                 target->triple, message ? message : "unknown");
    LLVMDisposeMessage(message);
    return status;
  }
  return TSL_OK;
}

tsl_status tsl_llvm_target_machine(const tsl_target *target, LLVMTargetMachineRef *machine,
                                   tsl_error *error) {
  pthread_once(&initialised, initialise_llvm);
  LLVMTargetRef llvm_target;
  char *message = NULL;
  if (LLVMGetTargetFromTriple(target->triple, &llvm_target, &message)) {
    tsl_status status = tsl_fail(error, TSL_ERROR_UNSUPPORTED, "target triple '%s': %s",
                                 target->triple, message ? message : "unknown");
    LLVMDisposeMessage(message);
    return status;
  }
  *machine = LLVMCreateTargetMachine(llvm_target, target->triple, target->cpu, target->features,
                                     LLVMCodeGenLevelAggressive, LLVMRelocPIC,
                                     LLVMCodeModelDefault);
  if (!*machine) {
    return tsl_fail(error, TSL_ERROR_UNSUPPORTED, "LLVM cannot make code for %s (cpu %s)",
                    target->triple, target->cpu);
  }
  return TSL_OK;
}
