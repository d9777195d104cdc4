/* libFuzzer target: arbitrary bytes as graph IR text. Parsing must succeed or fail with a
 * message; what parses must print and parse again to the same text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessel/tessel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tsl_graph *graph;
  tsl_error error;
  tsl_status status = tsl_graph_parse((const char *)data, size, "fuzz.tsl", NULL, &graph, &error);
  if (status == TSL_ERROR_INTERNAL) {
    fprintf(stderr, "internal error: %s\n", error.message);
    abort();
  }
  if (status != TSL_OK) return 0;
  char *text = tsl_graph_print(graph);
  tsl_graph *again;
  if (tsl_graph_parse(text, strlen(text), "printed", NULL, &again, &error) != TSL_OK) {
    fprintf(stderr, "printed text does not parse: %s\n%s", error.message, text);
    abort();
  }
  char *reprinted = tsl_graph_print(again);
  if (strcmp(text, reprinted) != 0 || !tsl_graph_equal(graph, again)) {
    fprintf(stderr, "round trip differs:\n%s---\n%s", text, reprinted);
    abort();
  }
  free(text);
  free(reprinted);
  tsl_graph_free(graph);
  tsl_graph_free(again);
  return 0;
}
