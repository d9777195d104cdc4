/* Common subexpression elimination: two calls of one operator with the same attributes on the
 * same inputs compute the same values, and so do two constants of the same type and content;
 * uses of the later one move to the earlier. Nodes are visited in topological order, so a
 * chain of duplicates merges in one pass. */
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"
#include "passes/graph/graph_passes.h"

static bool same_constant(const tsl_value *a, const tsl_value *b) {
  return tsl_type_equal(&a->type, &b->type) && a->data && b->data &&
         memcmp(tsl_tensor_data_hash(a->data), tsl_tensor_data_hash(b->data), 32) == 0;
}

static bool same_call(const tsl_node *a, const tsl_node *b) {
  if (a->op != b->op || a->num_inputs != b->num_inputs || a->num_outputs != b->num_outputs) {
    return false;
  }
  for (int i = 0; i < a->num_inputs; i++) {
    if (a->inputs[i] != b->inputs[i]) return false;
  }
  const tsl_op_def *def = tsl_op_get(a->op);
  for (int i = 0; i < def->num_attrs; i++) {
    if (!tsl_attr_equal(&a->attrs[i], &b->attrs[i])) return false;
  }
  return true;
}

static tsl_status run(tsl_graph *graph, const tsl_pass_options *options, tsl_error *error) {
  (void)options;
  (void)error;
  for (int i = 0; i < graph->num_constants; i++) {
    for (int j = 0; j < i; j++) {
      if (same_constant(graph->constants[i], graph->constants[j])) {
        tsl_graph_replace_uses(graph, graph->constants[i], graph->constants[j]);
        break;
      }
    }
  }
  /* Quadratic in the nodes, but a comparison stops at the operator: a few million cheap
   * checks on the largest models. */
  for (int n = 0; n < graph->num_nodes; n++) {
    tsl_node *node = graph->nodes[n];
    for (int m = 0; m < n; m++) {
      tsl_node *earlier = graph->nodes[m];
      if (!same_call(earlier, node)) continue;
      for (int i = 0; i < node->num_outputs; i++) {
        tsl_graph_replace_uses(graph, node->outputs[i], earlier->outputs[i]);
      }
      break;
    }
  }
  tsl_graph_remove_unused(graph);
  return TSL_OK;
}

const tsl_graph_pass tsl_pass_cse = {
    .name = "cse",
    .summary = "merge calls of one operator on the same inputs, and constants of equal content",
    .run = run,
};
