/* tessel compiler API.
 *
 * A model is imported into a graph (the graph IR: typed operator calls with static shapes),
 * which can be printed as text, read back, compared and hashed. Later stages (optimisation,
 * lowering, code generation, tuning) extend this header as they arrive.
 *
 * Functions that can fail on user input return a tsl_status and fill a tsl_error whose message
 * names the file, the node and the problem. The library never exits the process. */
#ifndef TESSEL_TESSEL_H
#define TESSEL_TESSEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessel/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsl_graph tsl_graph;

void tsl_graph_free(tsl_graph *graph);

/* ---- ONNX import ---------------------------------------------------------------------- */

/* A value for a graph input, read from a file: a NumPy .npy or an ONNX TensorProto .pb. Inputs
 * that decide a shape (Reshape's shape, Slice's starts, …) must be constants; a bound input
 * becomes one. */
typedef struct tsl_onnx_binding {
  const char *name; /* the graph input, or NULL to bind by position */
  int position;     /* among the graph's inputs that are not initializers, when name is NULL */
  const char *path;
} tsl_onnx_binding;

typedef struct tsl_onnx_options {
  const tsl_onnx_binding *bindings;
  int num_bindings;
  /* Told about decisions the user should know of (an input bound as a constant); may be
   * NULL. */
  void (*note)(void *context, const char *message);
  void *note_context;
} tsl_onnx_options;

/* Reads an .onnx file (tensors stored as external data are read from beside it). */
tsl_status tsl_import_onnx(const char *path, const tsl_onnx_options *options, tsl_graph **graph,
                           tsl_error *error);

/* The same from bytes in memory; external data is refused. `name` is used in messages. */
tsl_status tsl_import_onnx_memory(const void *bytes, size_t size, const char *name,
                                  const tsl_onnx_options *options, tsl_graph **graph,
                                  tsl_error *error);

/* ---- the graph's text form --------------------------------------------------------------- */

/* The graph as text (docs/ir.md); free() the result. Constants appear by name, dtype, shape and
 * content hash; their data travels beside the text (tsl_graph_save_weights). */
char *tsl_graph_print(const tsl_graph *graph);

/* Reads the text form back. `weights_path` names a file written by tsl_graph_save_weights,
 * or is NULL: constants then have a type and hash but no data. `name` is used in messages. */
tsl_status tsl_graph_parse(const char *text, size_t length, const char *name,
                           const char *weights_path, tsl_graph **graph, tsl_error *error);

/* Writes the data of every constant, keyed by content hash. */
tsl_status tsl_graph_save_weights(const tsl_graph *graph, const char *path, tsl_error *error);

/* ---- structure --------------------------------------------------------------------------- */

/* Equal up to the names of values and nodes: same inputs (by position and type), same
 * operator calls with equal attributes, constants with equal data (by hash), same outputs. */
bool tsl_graph_equal(const tsl_graph *a, const tsl_graph *b);

/* SHA-256 of the same structure; equal graphs hash equal, on every machine and build. */
void tsl_graph_hash(const tsl_graph *graph, uint8_t hash[32]);

/* Type inference over the whole graph plus structural checks (tsl_graph_verify). */
tsl_status tsl_graph_check(const tsl_graph *graph, tsl_error *error);

/* ---- statistics -------------------------------------------------------------------------- */

typedef struct tsl_graph_stats {
  int64_t nodes;
  int64_t params;       /* elements of all constants */
  int64_t weight_bytes; /* bytes of all constants */
  int64_t macs;         /* multiply-accumulates of conv, conv_transpose, matmul, gemm and their
                           quantised forms */
} tsl_graph_stats;

tsl_graph_stats tsl_graph_get_stats(const tsl_graph *graph);

#ifdef __cplusplus
}
#endif

#endif
