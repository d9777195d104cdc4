/* Timing a kernel (timing.h). */
#include "runtime/timing.h"

#include <stdlib.h>
#include <time.h>

enum { MAX_RUNS = 1024 };

double tsl_now_seconds(void) {
  struct timespec time;
  clock_gettime(CLOCK_MONOTONIC, &time);
  return (double)time.tv_sec + (double)time.tv_nsec * 1e-9;
}

void tsl_flush_buffers(int count, void *const *args, const size_t *bytes, const bool *cold) {
#if defined(__x86_64__) || defined(__aarch64__)
  for (int i = 0; i < count; i++) {
    if (!cold[i]) continue;
    const char *data = args[i];
    for (size_t at = 0; at < bytes[i]; at += 64) {
#if defined(__x86_64__)
      __builtin_ia32_clflush(data + at);
#else
      __asm__ __volatile__("dc civac, %0" : : "r"(data + at) : "memory");
#endif
    }
  }
#if defined(__x86_64__)
  __builtin_ia32_mfence();
#else
  __asm__ __volatile__("dsb ish" : : : "memory");
#endif
#else
  (void)count;
  (void)args;
  (void)bytes;
  (void)cold;
#endif
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

double tsl_median(double *values, int count) {
  qsort(values, (size_t)count, sizeof(double), compare_doubles);
  return count > 0 ? values[count / 2] : 0;
}

void tsl_time_kernels(const tsl_timed_kernel *kernels, int n, double min_seconds, double *medians) {
  double times[TSL_MAX_TIMED_KERNELS][MAX_RUNS];
  if (n > TSL_MAX_TIMED_KERNELS) n = TSL_MAX_TIMED_KERNELS;
  for (int k = 0; k < n; k++) kernels[k].entry(kernels[k].args);
  int runs = 0;
  double started = tsl_now_seconds();
  while (runs < MAX_RUNS && (runs < 3 || tsl_now_seconds() - started < min_seconds)) {
    for (int k = 0; k < n; k++) {
      const tsl_timed_kernel *kernel = &kernels[k];
      tsl_flush_buffers(kernel->count, kernel->args, kernel->bytes, kernel->cold);
      double start = tsl_now_seconds();
      kernel->entry(kernel->args);
      times[k][runs] = tsl_now_seconds() - start;
    }
    runs++;
  }
  for (int k = 0; k < n; k++) {
    medians[k] = tsl_median(times[k], runs);
  }
}

double tsl_time_kernel(tsl_kernel_entry entry, int count, void *const *args, const size_t *bytes,
                       const bool *cold, double min_seconds) {
  tsl_timed_kernel kernel = {entry, count, args, bytes, cold};
  double median;
  tsl_time_kernels(&kernel, 1, min_seconds, &median);
  return median;
}
