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

/* A kernel with its arguments: `count` buffers of `bytes`, the `cold` ones flushed before each
 * timed run. */
typedef struct tsl_timed_kernel {
  tsl_kernel_entry entry;
  int count;
  void *const *args;
  const size_t *bytes;
  const bool *cold;
} tsl_timed_kernel;

enum { TSL_MAX_TIMED_KERNELS = 4 };

/* The medians of `n` kernels (at most TSL_MAX_TIMED_KERNELS) run in turn, one run of each per
 * round, for at least min_seconds (at least 3 rounds, after one to warm up), each run timed alone
 * after its cold buffers are flushed (tsl_flush_buffers). Whatever slows the machine for a while
 * (another tenant on the core, a lower clock) slows them all alike, so their ratios hold where a
 * time alone does not: the tuner times each candidate beside the default schedule. */
void tsl_time_kernels(const tsl_timed_kernel *kernels, int n, double min_seconds, double *medians);

/* Sorts the values and returns their median (of an even count, the upper middle one; 0 for
 * none). */
double tsl_median(double *values, int count);

/* tsl_time_kernels of one kernel. */
double tsl_time_kernel(tsl_kernel_entry entry, int count, void *const *args, const size_t *bytes,
                       const bool *cold, double min_seconds);

#endif
