/* tessel runtime API: what a deployed program links (libtessel_runtime), with no compiler in it.
 *
 * This header grows with the runtime: devices, tensors, the executor for a compiled model and
 * its profiler come with the code generator. What is here now is what both halves of tessel
 * share: element types and the library's version. */
#ifndef TESSEL_RUNTIME_H
#define TESSEL_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types. The numbers are stable: compiled artifacts store them. */
typedef enum tsl_dtype {
  TSL_DTYPE_INVALID = 0,
  TSL_DTYPE_F32 = 1,
  TSL_DTYPE_F16 = 2,
  TSL_DTYPE_BF16 = 3,
  TSL_DTYPE_F64 = 4,
  TSL_DTYPE_I8 = 5,
  TSL_DTYPE_U8 = 6,
  TSL_DTYPE_I16 = 7,
  TSL_DTYPE_U16 = 8,
  TSL_DTYPE_I32 = 9,
  TSL_DTYPE_U32 = 10,
  TSL_DTYPE_I64 = 11,
  TSL_DTYPE_U64 = 12,
  TSL_DTYPE_BOOL = 13,
} tsl_dtype;

#define TSL_DTYPE_COUNT 14

/* Bytes per element (0 for TSL_DTYPE_INVALID). */
size_t tsl_dtype_size(tsl_dtype dtype);

/* The name the IR text uses: "f32", "i64", "bool", ...; "invalid" for anything else. */
const char *tsl_dtype_name(tsl_dtype dtype);

/* "0.1.0" */
const char *tsl_version(void);

typedef enum tsl_status {
  TSL_OK = 0,
  TSL_ERROR_INTERNAL = 1,    /* a bug in tessel */
  TSL_ERROR_INPUT = 2,       /* the model, file or request is wrong */
  TSL_ERROR_UNSUPPORTED = 3, /* valid, but refused by design (an operator, dtype, feature) */
  TSL_ERROR_NOT_IMPLEMENTED = 4, /* valid and in scope, but tessel cannot do it yet */
} tsl_status;

typedef struct tsl_error {
  tsl_status status;
  char message[2048];
} tsl_error;

/* The exit status a command should end with: 0 success, 2 the user's input or request, 1 an
 * internal error. */
int tsl_status_exit_code(tsl_status status);


/* ---- running a compiled model -------------------------------------------------------------
 *
 *   tsl_model *model;
 *   tsl_error error;
 *   if (tsl_model_load("resnet50.so", &model, &error)) { puts(error.message); return 2; }
 *   const void *inputs[] = {image};          // row-major, dtypes and shapes as the model says
 *   void *outputs[] = {logits};
 *   tsl_model_run(model, inputs, outputs, &error);
 *   tsl_model_free(model);
 */

typedef struct tsl_model tsl_model;

/* Loads an artifact written by `tessel compile` (a shared library). */
tsl_status tsl_model_load(const char *path, tsl_model **model, tsl_error *error);
void tsl_model_free(tsl_model *model);

typedef struct tsl_tensor_info {
  const char *name;
  tsl_dtype dtype;
  int rank;
  const int64_t *dims;
} tsl_tensor_info;

int tsl_model_num_inputs(const tsl_model *model);
int tsl_model_num_outputs(const tsl_model *model);
tsl_tensor_info tsl_model_input(const tsl_model *model, int index);
tsl_tensor_info tsl_model_output(const tsl_model *model, int index);
/* Bytes of a tensor the info describes. */
size_t tsl_tensor_info_bytes(tsl_tensor_info info);

/* Runs the model once: inputs[i] and outputs[i] point at row-major data of the dtypes and
 * shapes the model's inputs and outputs have. Not to be called on one model from two threads
 * at once (each run uses the model's workspace). */
tsl_status tsl_model_run(tsl_model *model, const void *const *inputs, void *const *outputs,
                         tsl_error *error);

/* Per-kernel timing: when enabled, every run adds each kernel call's time. */
void tsl_model_set_profiling(tsl_model *model, bool enabled);
int tsl_model_num_calls(const tsl_model *model);
/* The kernel of call `index` ("" for a copy) and the nanoseconds its runs took in total. */
const char *tsl_model_call_kernel(const tsl_model *model, int index);
int64_t tsl_model_call_nanoseconds(const tsl_model *model, int index);

/* Threads the kernels' parallel loops use: set before the first run (TESSEL_NUM_THREADS sets the
 * default; otherwise one per available core). False when the pool already runs with another
 * count. */
bool tsl_set_num_threads(int threads);
int tsl_num_threads(void);

#ifdef __cplusplus
}
#endif

#endif
