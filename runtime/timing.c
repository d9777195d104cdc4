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

double tsl_time_kernel(tsl_kernel_entry entry, int count, void *const *args, const size_t *bytes,
                       const bool *cold, double min_seconds) {
  double times[MAX_RUNS];
  int runs = 0;
  entry(args);
  double started = tsl_now_seconds();
  while (runs < MAX_RUNS && (runs < 3 || tsl_now_seconds() - started < min_seconds)) {
    tsl_flush_buffers(count, args, bytes, cold);
    double start = tsl_now_seconds();
    entry(args);
    times[runs++] = tsl_now_seconds() - start;
  }
  qsort(times, (size_t)runs, sizeof(double), compare_doubles);
  return times[runs / 2];
}
