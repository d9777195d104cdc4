/* The plan of a compiled model: its tensors (where each lives) and the kernel calls, in order.
 * The compiler makes it (passes/lower); the runtime runs it, from a JIT or from an artifact,
 * where it is stored serialised (tsl_plan_serialize). */
#ifndef TSL_RUNTIME_PLAN_H
#define TSL_RUNTIME_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "tessel/runtime.h"

#define TSL_PLAN_MAX_RANK 16

#define TSL_STORAGES(X)                                                 \
  X(INPUT, "input")         /* given by the caller */                    \
  X(OUTPUT, "output")       /* given by the caller, written by the model */ \
  X(CONSTANT, "constant")   /* in the model's constant data, at offset */ \
  X(WORKSPACE, "workspace") /* in the workspace, at offset */

typedef enum tsl_storage {
#define X(kind, name) TSL_STORAGE_##kind,
  TSL_STORAGES(X)
#undef X
} tsl_storage;

typedef struct tsl_plan_tensor {
  char *name;
  tsl_dtype dtype;
  int rank;
  int64_t dims[TSL_PLAN_MAX_RANK];
  tsl_storage storage;
  int64_t offset; /* bytes into the constants or the workspace */
  int index;      /* which input or output */
} tsl_plan_tensor;

/* A call of a kernel on tensors; a call without a kernel copies args[0] into args[1]. */
typedef struct tsl_plan_call {
  char *kernel;
  int num_args;
  int *args; /* tensor indices */
} tsl_plan_call;

typedef struct tsl_plan {
  int num_tensors, num_calls, num_inputs, num_outputs;
  tsl_plan_tensor *tensors;
  tsl_plan_call *calls;
  int *inputs, *outputs; /* tensor indices */
  int64_t workspace_bytes, constant_bytes;
} tsl_plan;

int64_t tsl_plan_tensor_bytes(const tsl_plan_tensor *tensor);

/* Bytes that tsl_plan_deserialize reads back; free() the result. */
void *tsl_plan_serialize(const tsl_plan *plan, size_t *size);
/* NULL when the bytes are not a plan of this version (or are damaged). */
tsl_plan *tsl_plan_deserialize(const void *bytes, size_t size);
void tsl_plan_free(tsl_plan *plan);

#endif
