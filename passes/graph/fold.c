/* Constant folding: every node whose inputs are all constants (given, or folded before it) is
 * computed now. The nodes to fold form one subgraph whose outputs are the folded values that
 * the rest of the graph reads; the driver's evaluator compiles and runs it with tessel's own
 * kernels, and those values become constants. A node is not folded when its outputs would be
 * much larger than its inputs (an Expand or Tile of a scalar stays a cheap kernel rather than
 * a large constant in the artifact). */
#include <stdlib.h>

#include "ir/check.h"
#include "ir/error.h"
#include "passes/graph/graph_passes.h"

enum { MAX_GROWTH = 4, SMALL_BYTES = 1 << 16 };

static bool worth_folding(const tsl_node *node) {
  if (!tsl_op_get(node->op)->compute_rule) return false;
  int64_t in = 0, out = 0;
  for (int i = 0; i < node->num_inputs; i++) {
    if (node->inputs[i]) in += tsl_type_bytes(&node->inputs[i]->type);
  }
  for (int i = 0; i < node->num_outputs; i++) out += tsl_type_bytes(&node->outputs[i]->type);
  return out <= MAX_GROWTH * in + SMALL_BYTES;
}

/* The subgraph of the folded nodes: their constant leaves, copies of the nodes, and as outputs
 * the values in `wanted`. */
static tsl_graph *subgraph(const tsl_graph *graph, const bool *folded, const bool *wanted) {
  tsl_graph *sub = tsl_graph_new("fold");
  tsl_value **map = calloc((size_t)graph->num_values + 1, sizeof(tsl_value *));
  TSL_CHECK_ALLOC(map);
  for (int n = 0; n < graph->num_nodes; n++) {
    const tsl_node *node = graph->nodes[n];
    if (!folded[node->id]) continue;
    tsl_value *inputs[node->num_inputs + 1];
    for (int i = 0; i < node->num_inputs; i++) {
      tsl_value *input = node->inputs[i];
      if (input && !map[input->id]) {
        TSL_CHECK(input->kind == TSL_VALUE_CONSTANT);
        map[input->id] =
            tsl_graph_add_constant(sub, input->name, tsl_tensor_data_retain(input->data));
      }
      inputs[i] = input ? map[input->id] : NULL;
    }
    tsl_node *copy = tsl_graph_copy_node(sub, node, inputs);
    for (int i = 0; i < node->num_outputs; i++) map[node->outputs[i]->id] = copy->outputs[i];
  }
  for (int n = 0; n < graph->num_nodes; n++) {
    const tsl_node *node = graph->nodes[n];
    for (int i = 0; folded[node->id] && i < node->num_outputs; i++) {
      if (wanted[node->outputs[i]->id]) tsl_graph_add_output(sub, NULL, map[node->outputs[i]->id]);
    }
  }
  free(map);
  return sub;
}

static tsl_status run(tsl_graph *graph, const tsl_pass_options *options, tsl_error *error) {
  if (!options->evaluate) return TSL_OK;
  bool *constant = calloc((size_t)graph->num_values + 1, sizeof(bool));
  bool *wanted = calloc((size_t)graph->num_values + 1, sizeof(bool));
  bool *folded = calloc((size_t)graph->num_node_ids + 1, sizeof(bool));
  TSL_CHECK_ALLOC(constant && wanted && folded);
  for (int i = 0; i < graph->num_constants; i++) {
    constant[graph->constants[i]->id] = graph->constants[i]->data != NULL;
  }
  int count = 0;
  for (int n = 0; n < graph->num_nodes; n++) {
    tsl_node *node = graph->nodes[n];
    bool all = worth_folding(node);
    for (int i = 0; i < node->num_inputs && all; i++) {
      all = !node->inputs[i] || constant[node->inputs[i]->id];
    }
    if (!all) continue;
    folded[node->id] = true;
    count++;
    for (int i = 0; i < node->num_outputs; i++) constant[node->outputs[i]->id] = true;
  }
  /* Folded values read by a node that stays, or given out by the graph. */
  int num_wanted = 0;
  for (int n = 0; n < graph->num_nodes; n++) {
    const tsl_node *node = graph->nodes[n];
    for (int i = 0; !folded[node->id] && i < node->num_inputs; i++) {
      const tsl_value *input = node->inputs[i];
      if (input && input->kind == TSL_VALUE_NODE && constant[input->id] && !wanted[input->id]) {
        wanted[input->id] = true;
        num_wanted++;
      }
    }
  }
  for (int i = 0; i < graph->num_outputs; i++) {
    const tsl_value *value = graph->outputs[i].value;
    if (value->kind == TSL_VALUE_NODE && constant[value->id] && !wanted[value->id]) {
      wanted[value->id] = true;
      num_wanted++;
    }
  }
  tsl_status status = TSL_OK;
  if (count && num_wanted) {
    tsl_graph *sub = subgraph(graph, folded, wanted);
    tsl_tensor_data **results = calloc((size_t)sub->num_outputs + 1, sizeof(*results));
    TSL_CHECK_ALLOC(results);
    status = options->evaluate(options->evaluate_context, sub, results, error);
    if (!status) {
      for (int i = 0; i < sub->num_outputs; i++) {
        tsl_value_make_constant(graph, tsl_graph_find(graph, sub->outputs[i].value->name),
                                results[i]);
      }
      tsl_graph_remove_unused(graph);
    } else {
      tsl_error_prefix(error, "folding %d constant nodes: ", count);
    }
    free(results);
    tsl_graph_free(sub);
  }
  free(constant);
  free(wanted);
  free(folded);
  return status;
}

const tsl_graph_pass tsl_pass_fold_constants = {
    .name = "fold_constants",
    .summary = "compute now every node whose inputs are all constants",
    .run = run,
};
