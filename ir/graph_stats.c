#include "ir/graph.h"
#include "ir/ops/cost.h"

tsl_graph_stats tsl_graph_get_stats(const tsl_graph *graph) {
  tsl_graph_stats stats = {.nodes = graph->num_nodes};
  for (int i = 0; i < graph->num_constants; i++) {
    stats.params += tsl_type_elements(&graph->constants[i]->type);
    stats.weight_bytes += tsl_type_bytes(&graph->constants[i]->type);
  }
  for (int n = 0; n < graph->num_nodes; n++) stats.macs += tsl_node_macs(graph->nodes[n]);
  return stats;
}
