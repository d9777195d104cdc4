/* The LLVM code generator: TIR PrimFuncs become functions of one LLVM module, optimised with
 * the new pass manager for the target's triple and CPU, then JIT-compiled into this process or
 * written as an object file.
 *
 * Every kernel has the signature `void name(void *const *args)`: args[i] is the base address of
 * parameter i. Parallel loops call the runtime's thread pool (tsl_kernel_parallel_for), and
 * buffers a kernel allocates come from tsl_kernel_alloc. */
#ifndef TSL_CODEGEN_LLVM_H
#define TSL_CODEGEN_LLVM_H

#include "ir/target.h"
#include "ir/tir.h"

/* Fills in what the target string left to the host: triple, CPU, features, vector width. */
tsl_status tsl_llvm_complete_target(tsl_target *target, tsl_error *error);

typedef struct tsl_llvm tsl_llvm;

tsl_status tsl_llvm_new(const tsl_target *target, const char *name, tsl_llvm **llvm,
                        tsl_error *error);
void tsl_llvm_free(tsl_llvm *llvm);

/* Adds the kernel `func->name`. The function must verify. */
tsl_status tsl_llvm_add_function(tsl_llvm *llvm, const tsl_primfunc *func, tsl_error *error);

/* Adds a constant byte array under `symbol` (weights, metadata of an artifact). */
void tsl_llvm_add_data(tsl_llvm *llvm, const char *symbol, const void *bytes, size_t size,
                       size_t alignment);

tsl_status tsl_llvm_optimize(tsl_llvm *llvm, tsl_error *error);

/* The module's textual IR; free() it. */
char *tsl_llvm_print(const tsl_llvm *llvm);

tsl_status tsl_llvm_emit_object(tsl_llvm *llvm, const char *path, tsl_error *error);

/* Links an object file into a shared library for the target (ld.lld, run as a process). */
tsl_status tsl_link_shared(const tsl_target *target, const char *object, const char *output,
                           tsl_error *error);

/* ---- JIT --------------------------------------------------------------------------------- */

typedef struct tsl_jit tsl_jit;

/* Compiles the module into this process (the module is consumed). Symbols the kernels need
 * from the runtime are found in the process. */
tsl_status tsl_jit_new(tsl_llvm *llvm, tsl_jit **jit, tsl_error *error);
void *tsl_jit_lookup(tsl_jit *jit, const char *symbol);
void tsl_jit_free(tsl_jit *jit);

#endif
