#include "ir/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"
#include "ir/error.h"

tsl_graph *tsl_graph_new(const char *name) {
  tsl_graph *graph = calloc(1, sizeof(*graph));
  TSL_CHECK_ALLOC(graph);
  graph->arena = tsl_arena_new();
  graph->name = tsl_arena_strdup(graph->arena, name ? name : "main");
  return graph;
}

void tsl_graph_free(tsl_graph *graph) {
  if (!graph) return;
  for (int i = 0; i < graph->num_constants; i++) tsl_tensor_data_release(graph->constants[i]->data);
  tsl_strmap_free(&graph->names);
  tsl_arena_free(graph->arena);
  free(graph);
}

const char *tsl_graph_unique_name(tsl_graph *graph, const char *wanted) {
  if (!wanted || !*wanted) wanted = "t";
  else if (!tsl_strmap_get(&graph->names, wanted)) return tsl_arena_strdup(graph->arena, wanted);
  for (int suffix = 1;; suffix++) {
    char *name = tsl_arena_printf(graph->arena, "%s_%d", wanted, suffix);
    if (!tsl_strmap_get(&graph->names, name)) return name;
  }
}

tsl_value *tsl_graph_find(const tsl_graph *graph, const char *name) {
  return tsl_strmap_get(&graph->names, name);
}

static tsl_value *new_value(tsl_graph *graph, tsl_value_kind kind, const char *name) {
  tsl_value *value = TSL_ARENA_NEW(graph->arena, tsl_value);
  value->kind = kind;
  value->name = tsl_graph_unique_name(graph, name);
  value->id = graph->num_values++;
  tsl_strmap_put(&graph->names, value->name, value);
  return value;
}

tsl_value *tsl_graph_add_input(tsl_graph *graph, const char *name, const tsl_type *type) {
  tsl_value *value = new_value(graph, TSL_VALUE_INPUT, name);
  value->type = *type;
  TSL_ARENA_PUSH(graph->arena, graph->inputs, graph->num_inputs, graph->inputs_capacity, value);
  return value;
}

tsl_value *tsl_graph_add_constant(tsl_graph *graph, const char *name, tsl_tensor_data *data) {
  tsl_value *value = new_value(graph, TSL_VALUE_CONSTANT, name);
  value->type = data->type;
  value->data = data;
  TSL_ARENA_PUSH(graph->arena, graph->constants, graph->num_constants, graph->constants_capacity,
                 value);
  return value;
}

tsl_value *tsl_graph_add_constant_ref(tsl_graph *graph, const char *name, const tsl_type *type,
                                      const uint8_t hash[32]) {
  tsl_value *value = new_value(graph, TSL_VALUE_CONSTANT, name);
  value->type = *type;
  memcpy(value->hash, hash, 32);
  TSL_ARENA_PUSH(graph->arena, graph->constants, graph->num_constants, graph->constants_capacity,
                 value);
  return value;
}

tsl_node *tsl_graph_add_node(tsl_graph *graph, tsl_op_kind op, const char *node_name,
                             int num_inputs, tsl_value *const *inputs, int num_outputs,
                             const char *const *output_names) {
  const tsl_op_def *def = tsl_op_get(op);
  tsl_node *node = TSL_ARENA_NEW(graph->arena, tsl_node);
  node->op = op;
  node->name = node_name && *node_name ? tsl_arena_strdup(graph->arena, node_name) : NULL;
  node->id = graph->num_node_ids++;
  node->group = -1;
  node->num_inputs = num_inputs;
  node->inputs = tsl_arena_memdup(graph->arena, inputs, sizeof(tsl_value *) * (size_t)num_inputs);
  node->num_outputs = num_outputs;
  node->outputs = TSL_ARENA_ARRAY(graph->arena, tsl_value *, num_outputs);
  for (int i = 0; i < num_outputs; i++) {
    const char *name = output_names ? output_names[i] : NULL;
    tsl_value *output = new_value(graph, TSL_VALUE_NODE, name);
    output->node = node;
    output->output_index = i;
    node->outputs[i] = output;
  }
  node->attrs = TSL_ARENA_ARRAY(graph->arena, tsl_attr, def->num_attrs);
  for (int i = 0; i < def->num_attrs; i++) node->attrs[i] = def->defaults[i];
  TSL_ARENA_PUSH(graph->arena, graph->nodes, graph->num_nodes, graph->nodes_capacity, node);
  return node;
}

void tsl_node_set_attr(tsl_graph *graph, tsl_node *node, const char *name, tsl_attr value) {
  const tsl_op_def *def = tsl_op_get(node->op);
  int index = tsl_op_attr_index(def, name);
  TSL_CHECK(index >= 0 && def->attr_defs[index].kind == value.kind);
  node->attrs[index] = tsl_attr_copy(graph->arena, &value);
}

const tsl_attr *tsl_node_attr(const tsl_node *node, const char *name) {
  int index = tsl_op_attr_index(tsl_op_get(node->op), name);
  TSL_CHECK(index >= 0);
  return &node->attrs[index];
}

/* Infers into `types` without touching the node. */
static tsl_status infer_types(const tsl_node *node, tsl_type *types, tsl_error *error) {
  const tsl_type *inputs[node->num_inputs + 1];
  for (int i = 0; i < node->num_inputs; i++) {
    inputs[i] = node->inputs[i] ? &node->inputs[i]->type : NULL;
  }
  char message[sizeof(error->message)] = "";
  tsl_type_call call = {
      .op = tsl_op_get(node->op),
      .attrs = node->attrs,
      .inputs = inputs,
      .num_inputs = node->num_inputs,
      .outputs = types,
      .num_outputs = node->num_outputs,
      .message = message,
      .message_size = sizeof(message),
  };
  if (!tsl_op_infer(&call)) return tsl_fail(error, TSL_ERROR_INPUT, "%s", message);
  return TSL_OK;
}

tsl_status tsl_node_infer(tsl_node *node, tsl_error *error) {
  tsl_type types[node->num_outputs + 1];
  memset(types, 0, sizeof(types));
  tsl_status status = infer_types(node, types, error);
  if (status) return status;
  for (int i = 0; i < node->num_outputs; i++) node->outputs[i]->type = types[i];
  return TSL_OK;
}

void tsl_graph_add_output(tsl_graph *graph, const char *name, tsl_value *value) {
  tsl_graph_output output = {
      .name = tsl_arena_strdup(graph->arena, name ? name : value->name),
      .value = value,
  };
  TSL_ARENA_PUSH(graph->arena, graph->outputs, graph->num_outputs, graph->outputs_capacity,
                 output);
}

void tsl_value_make_constant(tsl_graph *graph, tsl_value *value, tsl_tensor_data *data) {
  TSL_CHECK(value->kind != TSL_VALUE_CONSTANT && tsl_type_equal(&value->type, &data->type));
  if (value->kind == TSL_VALUE_INPUT) {
    int kept = 0;
    for (int i = 0; i < graph->num_inputs; i++) {
      if (graph->inputs[i] != value) graph->inputs[kept++] = graph->inputs[i];
    }
    graph->num_inputs = kept;
  }
  value->kind = TSL_VALUE_CONSTANT;
  value->node = NULL;
  value->data = data;
  TSL_ARENA_PUSH(graph->arena, graph->constants, graph->num_constants, graph->constants_capacity,
                 value);
}

tsl_graph *tsl_graph_clone(const tsl_graph *graph) {
  tsl_graph *copy = tsl_graph_new(graph->name);
  tsl_value **map = calloc((size_t)graph->num_values + 1, sizeof(tsl_value *));
  TSL_CHECK_ALLOC(map);
  for (int i = 0; i < graph->num_inputs; i++) {
    const tsl_value *input = graph->inputs[i];
    map[input->id] = tsl_graph_add_input(copy, input->name, &input->type);
  }
  for (int i = 0; i < graph->num_constants; i++) {
    const tsl_value *constant = graph->constants[i];
    map[constant->id] = constant->data
                            ? tsl_graph_add_constant(copy, constant->name,
                                                     tsl_tensor_data_retain(constant->data))
                            : tsl_graph_add_constant_ref(copy, constant->name, &constant->type,
                                                         constant->hash);
  }
  for (int n = 0; n < graph->num_nodes; n++) {
    const tsl_node *node = graph->nodes[n];
    tsl_value *inputs[node->num_inputs + 1];
    for (int i = 0; i < node->num_inputs; i++) {
      inputs[i] = node->inputs[i] ? map[node->inputs[i]->id] : NULL;
    }
    tsl_node *twin = tsl_graph_copy_node(copy, node, inputs);
    twin->group = node->group;
    for (int i = 0; i < node->num_outputs; i++) map[node->outputs[i]->id] = twin->outputs[i];
  }
  for (int i = 0; i < graph->num_outputs; i++) {
    tsl_graph_add_output(copy, graph->outputs[i].name, map[graph->outputs[i].value->id]);
  }
  free(map);
  return copy;
}

void tsl_graph_replace_uses(tsl_graph *graph, const tsl_value *from, tsl_value *to) {
  TSL_CHECK(tsl_type_equal(&from->type, &to->type));
  for (int n = 0; n < graph->num_nodes; n++) {
    tsl_node *node = graph->nodes[n];
    for (int i = 0; i < node->num_inputs; i++) {
      if (node->inputs[i] == from) node->inputs[i] = to;
    }
  }
  for (int i = 0; i < graph->num_outputs; i++) {
    if (graph->outputs[i].value == from) graph->outputs[i].value = to;
  }
}

int *tsl_graph_use_counts(const tsl_graph *graph) {
  int *uses = calloc((size_t)graph->num_values + 1, sizeof(int));
  TSL_CHECK_ALLOC(uses);
  for (int n = 0; n < graph->num_nodes; n++) {
    const tsl_node *node = graph->nodes[n];
    for (int i = 0; i < node->num_inputs; i++) {
      if (node->inputs[i]) uses[node->inputs[i]->id]++;
    }
  }
  for (int i = 0; i < graph->num_outputs; i++) uses[graph->outputs[i].value->id]++;
  return uses;
}

bool *tsl_graph_constant_values(const tsl_graph *graph) {
  bool *constant = calloc((size_t)graph->num_values + 1, sizeof(bool));
  TSL_CHECK_ALLOC(constant);
  for (int i = 0; i < graph->num_constants; i++) constant[graph->constants[i]->id] = true;
  for (int n = 0; n < graph->num_nodes; n++) {
    const tsl_node *node = graph->nodes[n];
    bool all = true;
    for (int i = 0; i < node->num_inputs; i++) {
      if (node->inputs[i] && !constant[node->inputs[i]->id]) all = false;
    }
    for (int i = 0; i < node->num_outputs; i++) constant[node->outputs[i]->id] = all;
  }
  return constant;
}

tsl_node *tsl_graph_copy_node(tsl_graph *graph, const tsl_node *node, tsl_value *const *inputs) {
  const char *names[node->num_outputs + 1];
  for (int i = 0; i < node->num_outputs; i++) names[i] = node->outputs[i]->name;
  tsl_node *copy = tsl_graph_add_node(graph, node->op, node->name, node->num_inputs, inputs,
                                      node->num_outputs, names);
  const tsl_op_def *def = tsl_op_get(node->op);
  for (int i = 0; i < def->num_attrs; i++) copy->attrs[i] = tsl_attr_copy(graph->arena, &node->attrs[i]);
  for (int i = 0; i < node->num_outputs; i++) copy->outputs[i]->type = node->outputs[i]->type;
  return copy;
}

void tsl_graph_sort(tsl_graph *graph) {
  int count = graph->num_nodes;
  bool *ready = calloc((size_t)graph->num_values + 1, sizeof(bool));
  bool *placed = calloc((size_t)count + 1, sizeof(bool));
  tsl_node **order = malloc(sizeof(tsl_node *) * (size_t)(count + 1));
  TSL_CHECK_ALLOC(ready && placed && order);
  for (int i = 0; i < graph->num_values; i++) ready[i] = false;
  for (int i = 0; i < graph->num_inputs; i++) ready[graph->inputs[i]->id] = true;
  for (int i = 0; i < graph->num_constants; i++) ready[graph->constants[i]->id] = true;
  int done = 0;
  /* Repeatedly take the first node whose inputs are all ready. */
  while (done < count) {
    bool progress = false;
    for (int n = 0; n < count; n++) {
      if (placed[n]) continue;
      const tsl_node *node = graph->nodes[n];
      bool can = true;
      for (int i = 0; i < node->num_inputs && can; i++) {
        can = !node->inputs[i] || ready[node->inputs[i]->id];
      }
      if (!can) continue;
      placed[n] = true;
      order[done++] = graph->nodes[n];
      for (int i = 0; i < node->num_outputs; i++) ready[node->outputs[i]->id] = true;
      progress = true;
      break;
    }
    TSL_CHECK(progress); /* a cycle */
  }
  if (count) memcpy(graph->nodes, order, sizeof(tsl_node *) * (size_t)count);
  free(ready);
  free(placed);
  free(order);
}

void tsl_graph_remove_unused(tsl_graph *graph) {
  bool *live = calloc((size_t)graph->num_values + 1, sizeof(bool));
  TSL_CHECK_ALLOC(live);
  for (int i = 0; i < graph->num_outputs; i++) live[graph->outputs[i].value->id] = true;
  int kept = 0;
  for (int n = graph->num_nodes - 1; n >= 0; n--) {
    tsl_node *node = graph->nodes[n];
    bool needed = false;
    for (int i = 0; i < node->num_outputs; i++) {
      tsl_value *output = node->outputs[i];
      needed |= live[output->id] && output->kind == TSL_VALUE_NODE && output->node == node;
    }
    if (!needed) continue;
    for (int i = 0; i < node->num_inputs; i++) {
      if (node->inputs[i]) live[node->inputs[i]->id] = true;
    }
    graph->nodes[graph->num_nodes - 1 - kept++] = node;
  }
  if (kept) {
    memmove(graph->nodes, graph->nodes + graph->num_nodes - kept, sizeof(tsl_node *) * (size_t)kept);
  }
  graph->num_nodes = kept;
  kept = 0;
  for (int i = 0; i < graph->num_constants; i++) {
    tsl_value *constant = graph->constants[i];
    if (live[constant->id]) {
      graph->constants[kept++] = constant;
    } else {
      tsl_tensor_data_release(constant->data);
      constant->data = NULL;
    }
  }
  graph->num_constants = kept;
  free(live);
}

const char *tsl_node_describe(const tsl_node *node, char *text, size_t size) {
  const char *op = tsl_op_get(node->op)->name;
  const char *output = node->num_outputs ? node->outputs[0]->name : "";
  if (node->name) snprintf(text, size, "node '%s' (%s → '%s')", node->name, op, output);
  else snprintf(text, size, "node #%d (%s → '%s')", node->id, op, output);
  return text;
}

static tsl_status verify_node(const tsl_node *node, const bool *defined, tsl_error *error) {
  const tsl_op_def *def = tsl_op_get(node->op);
  for (int i = 0; i < node->num_inputs; i++) {
    if (node->inputs[i] && !defined[node->inputs[i]->id]) {
      return tsl_fail(error, TSL_ERROR_INPUT, "input %d ('%s') is used before it is defined", i,
                      node->inputs[i]->name);
    }
  }
  for (int i = 0; i < def->num_attrs; i++) {
    if (node->attrs[i].kind != def->attr_defs[i].kind) {
      return tsl_fail(error, TSL_ERROR_INPUT, "attribute %s should be of kind %s",
                      def->attr_defs[i].name, tsl_attr_kind_name(def->attr_defs[i].kind));
    }
  }
  tsl_type types[node->num_outputs + 1];
  memset(types, 0, sizeof(types));
  tsl_status status = infer_types(node, types, error);
  if (status) return status;
  for (int i = 0; i < node->num_outputs; i++) {
    const tsl_value *output = node->outputs[i];
    if (output->kind != TSL_VALUE_NODE || output->node != node || output->output_index != i) {
      return tsl_fail(error, TSL_ERROR_INTERNAL, "output %d is not linked to its node", i);
    }
    if (!tsl_type_equal(&output->type, &types[i])) {
      return tsl_fail(error, TSL_ERROR_INPUT, "output %d ('%s') is declared %s but is %s", i,
                      output->name, tsl_type_str(&output->type).text, tsl_type_str(&types[i]).text);
    }
  }
  return TSL_OK;
}

tsl_status tsl_graph_verify(const tsl_graph *graph, tsl_error *error) {
  bool *defined = calloc((size_t)graph->num_values + 1, sizeof(bool));
  TSL_CHECK_ALLOC(defined);
  tsl_status status = TSL_OK;
  for (int i = 0; i < graph->num_inputs; i++) defined[graph->inputs[i]->id] = true;
  for (int i = 0; i < graph->num_constants; i++) defined[graph->constants[i]->id] = true;
  for (int n = 0; n < graph->num_nodes && !status; n++) {
    const tsl_node *node = graph->nodes[n];
    status = verify_node(node, defined, error);
    if (status) {
      char place[256];
      tsl_error_prefix(error, "%s: ", tsl_node_describe(node, place, sizeof(place)));
    }
    for (int i = 0; i < node->num_outputs; i++) defined[node->outputs[i]->id] = true;
  }
  for (int i = 0; i < graph->num_outputs && !status; i++) {
    if (!defined[graph->outputs[i].value->id]) {
      status = tsl_fail(error, TSL_ERROR_INPUT, "output '%s' is never defined",
                        graph->outputs[i].name);
    }
  }
  free(defined);
  return status;
}

tsl_status tsl_graph_check(const tsl_graph *graph, tsl_error *error) {
  return tsl_graph_verify(graph, error);
}
