/* The order of the lowering passes after the schedule (tir_passes.h). */
#include "passes/tir/tir_passes.h"

void tsl_tir_lower(tsl_primfunc *func) {
  tsl_tir_unroll(func);
  /* Unrolling decides on the loops as the schedule left them: partitioning may make two of one. */
  tsl_tir_partition_tails(func);
  /* After partitioning, whose tails substitute the last iteration's index into their copies. */
  tsl_tir_simplify(func);
  /* Last, on the loops and allocations as they will be generated. */
  tsl_tir_storage_rewrite(func);
}
