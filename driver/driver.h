/* The compile driver: a graph and a target in, a runnable model or an artifact out, running
 * the pipeline in order: graph passes, lower (kernels and plan), code generation, then JIT or
 * object file. */
#ifndef TSL_DRIVER_H
#define TSL_DRIVER_H

#include "ir/graph.h"
#include "ir/target.h"
#include "passes/graph/graph_passes.h"
#include "passes/lower/lower.h"

/* What a compile made. */
typedef struct tsl_compile_summary {
  int kernels;      /* the model's kernels */
  int workloads;    /* of those, the distinct ones (tsl_workload_key) */
  int from_records; /* workloads scheduled by a tuning record */
} tsl_compile_summary;

typedef struct tsl_compile_options {
  tsl_pass_options passes; /* opt level, passes left out, dumps (the driver sets evaluate) */
  const char *dump_llvm;   /* write the optimised LLVM IR here, when set */
  bool quick; /* leave out LLVM's optimisation pipeline: compiles several times faster, runs
               * slower; for code that runs once (constant folding's evaluator) */
  const char *records; /* a tuning records database (autotune/database.h), or NULL: each kernel
                        * whose workload has a record on the target takes the best one's
                        * schedule instead of the default */
  tsl_compile_summary *summary; /* filled in when not NULL */
} tsl_compile_options;

/* -O3, every pass, no dumps. NULL options mean these. */
tsl_compile_options tsl_compile_defaults(void);

/* Evaluates a graph without inputs by compiling it at -O0 for this machine and running it:
 * constant folding's evaluator (tsl_evaluate_fn). */
tsl_status tsl_evaluate_graph(void *context, const tsl_graph *graph, tsl_tensor_data **outputs,
                              tsl_error *error);

/* Runs the graph passes of the options on a copy of the graph, which the caller frees: what
 * the compile functions below lower. The target (completed: tsl_llvm_complete_target) gives
 * the vector lanes of the blocked activation layout. */
tsl_status tsl_optimize(const tsl_graph *graph, const tsl_target *target,
                        const tsl_compile_options *options, tsl_graph **optimized,
                        tsl_error *error);

/* Schedules each kernel of a lowered graph (tsl_lower) for the target, as the compile
 * functions below do before code generation: by the best tuning record of its workload in
 * options->records where there is one that replays, by the default rules otherwise. Fills
 * options->summary. Where not NULL, `traces[i]` gets kernel i's trace as JSON (the caller frees
 * each) and `from_record[i]` whether it came from a record. */
tsl_status tsl_schedule_kernels(tsl_lowered *lowered, const tsl_target *target,
                                const tsl_compile_options *options, char **traces,
                                bool *from_record, tsl_error *error);

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
