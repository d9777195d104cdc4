/* What the runtime's files share, and what generated kernels call. */
#ifndef TSL_RUNTIME_INTERNAL_H
#define TSL_RUNTIME_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

/* Called by generated kernels. */
void tsl_kernel_parallel_for(void (*body)(void *closure, int64_t begin, int64_t end),
                             void *closure, int64_t begin, int64_t end);
void *tsl_kernel_alloc(int64_t bytes);
void tsl_kernel_free(void *memory);

int tsl_runtime_default_threads(void);
bool tsl_runtime_set_threads(int threads);
int tsl_runtime_threads(void);

#endif
