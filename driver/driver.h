/* The compile driver: a graph and a target in, a runnable model or an artifact out, running
 * the pipeline in order: lower (kernels and plan), code generation, then JIT or object file. */
#ifndef TSL_DRIVER_H
#define TSL_DRIVER_H

#include "ir/graph.h"
#include "ir/target.h"

typedef struct tsl_compile_options {
  const char *dump_llvm; /* write the optimised LLVM IR here, when set */
} tsl_compile_options;

/* Compiles into this process. The target must be the host. */
tsl_status tsl_compile_jit(const tsl_graph *graph, tsl_target *target,
                           const tsl_compile_options *options, tsl_model **model,
                           tsl_error *error);

/* Compiles into a shared library (the artifact) that tsl_model_load runs. Written under a
 * temporary name and renamed, so a failure leaves no partial file. */
tsl_status tsl_compile_artifact(const tsl_graph *graph, tsl_target *target,
                                const tsl_compile_options *options, const char *path,
                                tsl_error *error);

#endif
