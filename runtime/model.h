/* How a model is made from its parts: for the compiler's JIT and for the artifact loader. */
#ifndef TSL_RUNTIME_MODEL_H
#define TSL_RUNTIME_MODEL_H

#include <stdarg.h>
#include "runtime/plan.h"

typedef void *(*tsl_kernel_lookup)(void *context, const char *kernel);

/* Takes the plan (freed on failure too); finds every kernel with `lookup`; `release(owner)`
 * runs when the model is freed, not when creation fails. `name` is used in messages. */
tsl_status tsl_model_create(tsl_plan *plan, const void *constants, tsl_kernel_lookup lookup,
                            void *lookup_context, void (*release)(void *owner), void *owner,
                            const char *name, tsl_model **model, tsl_error *error);

tsl_status tsl_runtime_fail(tsl_error *error, tsl_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
tsl_status tsl_runtime_vfail(tsl_error *error, tsl_status status, const char *format,
                             va_list args);

#endif
