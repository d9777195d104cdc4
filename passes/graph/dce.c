/* Dead code elimination: nodes and constants that no graph output depends on go. */
#include "passes/graph/graph_passes.h"

static tsl_status run(tsl_graph *graph, const tsl_pass_options *options, tsl_error *error) {
  (void)options;
  (void)error;
  tsl_graph_remove_unused(graph);
  return TSL_OK;
}

const tsl_graph_pass tsl_pass_dce = {
    .name = "dce",
    .summary = "remove nodes and constants no output depends on",
    .run = run,
};
