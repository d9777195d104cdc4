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

/* Memory for a workspace or constants: 64-byte aligned and, from 2 MiB, in huge pages (the
 * kernels sweep megabytes of it every run, and with 4 KiB pages the TLB misses cost a run up
 * to 15%, depending on where the pages fall). Freed with free(). The tuner's workers take
 * their buffers from it too, so that a kernel is timed on the pages it runs on in a model. */
void *tsl_alloc_large(size_t bytes);

int tsl_runtime_default_threads(void);
bool tsl_runtime_set_threads(int threads);
int tsl_runtime_threads(void);

#endif
