/* Timing a kernel as the tuner does: in the tuner's worker for this machine (autotune/measure.c)
 * and in the board's server for a remote one (runtime/rpc.c), so that a kernel is timed the same
 * way wherever it runs. */
#ifndef TSL_RUNTIME_TIMING_H
#define TSL_RUNTIME_TIMING_H

#include <stdbool.h>
#include <stddef.h>

/* A kernel as the code generator makes it: args[i] is the base address of parameter i. */
typedef void (*tsl_kernel_entry)(void *const *args);

/* Seconds on a monotonic clock. */
double tsl_now_seconds(void);

/* Evicts the buffers marked cold from the caches: in a model, its constants (weights), which
 * come from memory, while the activations were just written by the kernels before and the
 * output buffer was used by them. A schedule timed with its weights hot in L2 would win here
 * and lose in the model, and one timed with its activations cold would win by what does not
 * matter there. */
void tsl_flush_buffers(int count, void *const *args, const size_t *bytes, const bool *cold);

/* The median of runs repeated for at least min_seconds (at least 3, after one to warm up),
 * each timed alone after the cold buffers are flushed (tsl_flush_buffers). */
double tsl_time_kernel(tsl_kernel_entry entry, int count, void *const *args, const size_t *bytes,
                       const bool *cold, double min_seconds);

#endif
