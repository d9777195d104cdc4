/* Compiled artifacts: shared libraries holding the kernels and, under these symbols, the
 * model's plan and constants. The compiler writes them (driver/), the runtime loads them. */
#ifndef TSL_RUNTIME_ARTIFACT_H
#define TSL_RUNTIME_ARTIFACT_H

#define TSL_ARTIFACT_PLAN "tessel_artifact_plan"
#define TSL_ARTIFACT_PLAN_SIZE "tessel_artifact_plan_size"
#define TSL_ARTIFACT_CONSTANTS "tessel_artifact_constants"
#define TSL_ARTIFACT_TARGET "tessel_artifact_target"
/* The LLVM feature string the kernels were compiled with ("+avx2,+fma,-sse4a,…"). */
#define TSL_ARTIFACT_FEATURES "tessel_artifact_features"

#endif
