/* libFuzzer target: arbitrary bytes as an ONNX model. Import must succeed or fail with a
 * message; an internal error is a finding, as is any crash, leak or undefined behaviour. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tessel/tessel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tsl_graph *graph;
  tsl_error error;
  tsl_status status = tsl_import_onnx_memory(data, size, "fuzz.onnx", NULL, &graph, &error);
  if (status == TSL_ERROR_INTERNAL) {
    fprintf(stderr, "internal error: %s\n", error.message);
    abort();
  }
  if (status == TSL_OK) {
    free(tsl_graph_print(graph));
    tsl_graph_free(graph);
  }
  return 0;
}
