/* Structural equality and hashing of graphs: equal up to the names of values and nodes.
 * Both walk from the outputs, so two graphs whose nodes are listed in different orders are
 * still equal. */
#include <sha2.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"
#include "ir/graph_text.h"

static void feed(void *context, const void *bytes, size_t size) {
  SHA256Update(context, bytes, size);
}

static void feed_i64(SHA2_CTX *context, int64_t value) { feed(context, &value, sizeof(value)); }

static void feed_type(SHA2_CTX *context, const tsl_type *type) {
  feed_i64(context, type->dtype);
  feed_i64(context, type->rank);
  feed(context, type->dims, sizeof(int64_t) * (size_t)type->rank);
}

static void feed_string(SHA2_CTX *context, const char *text) {
  feed(context, text, strlen(text) + 1);
}

/* Hashes of every value, computed in topological order: inputs and constants first, then
 * each node's outputs from its inputs' hashes. */
static void value_hashes(const tsl_graph *graph, uint8_t (*hashes)[32]) {
  SHA2_CTX context;
  for (int i = 0; i < graph->num_inputs; i++) {
    SHA256Init(&context);
    feed_string(&context, "input");
    feed_i64(&context, i);
    feed_type(&context, &graph->inputs[i]->type);
    SHA256Final(hashes[graph->inputs[i]->id], &context);
  }
  for (int i = 0; i < graph->num_constants; i++) {
    const tsl_value *constant = graph->constants[i];
    SHA256Init(&context);
    feed_string(&context, "const");
    feed_type(&context, &constant->type);
    feed(&context, tsl_value_hash(constant), 32);
    SHA256Final(hashes[constant->id], &context);
  }
  for (int n = 0; n < graph->num_nodes; n++) {
    const tsl_node *node = graph->nodes[n];
    const tsl_op_def *def = tsl_op_get(node->op);
    SHA2_CTX node_context;
    SHA256Init(&node_context);
    feed_string(&node_context, def->name);
    for (int i = 0; i < def->num_attrs; i++) tsl_attr_hash(&node->attrs[i], feed, &node_context);
    feed_i64(&node_context, node->num_inputs);
    for (int i = 0; i < node->num_inputs; i++) {
      if (node->inputs[i]) feed(&node_context, hashes[node->inputs[i]->id], 32);
      else feed_string(&node_context, "absent");
    }
    feed_i64(&node_context, node->num_outputs);
    for (int i = 0; i < node->num_outputs; i++) {
      context = node_context;
      feed_i64(&context, i);
      feed_type(&context, &node->outputs[i]->type);
      SHA256Final(hashes[node->outputs[i]->id], &context);
    }
  }
}

void tsl_graph_hash(const tsl_graph *graph, uint8_t hash[32]) {
  uint8_t(*hashes)[32] = calloc((size_t)graph->num_values + 1, 32);
  TSL_CHECK_ALLOC(hashes);
  value_hashes(graph, hashes);
  SHA2_CTX context;
  SHA256Init(&context);
  feed_string(&context, "tessel.graph.v1");
  feed_i64(&context, graph->num_inputs);
  for (int i = 0; i < graph->num_inputs; i++) feed_type(&context, &graph->inputs[i]->type);
  feed_i64(&context, graph->num_outputs);
  for (int i = 0; i < graph->num_outputs; i++) {
    feed(&context, hashes[graph->outputs[i].value->id], 32);
  }
  SHA256Final(hash, &context);
  free(hashes);
}

typedef struct pair {
  const tsl_value *a, *b;
} pair;

typedef struct matcher {
  const tsl_graph *a, *b;
  /* The matching must be one to one: kept both ways, by value and node ids. */
  const tsl_value **value_match, **value_match_back;
  const tsl_node **node_match, **node_match_back;
  pair *stack;
  int depth, capacity;
} matcher;

static void push(matcher *m, const tsl_value *a, const tsl_value *b) {
  if (m->depth == m->capacity) {
    m->capacity = m->capacity ? 2 * m->capacity : 64;
    m->stack = realloc(m->stack, sizeof(pair) * (size_t)m->capacity);
    TSL_CHECK_ALLOC(m->stack);
  }
  m->stack[m->depth++] = (pair){a, b};
}

static int input_position(const tsl_graph *graph, const tsl_value *value) {
  for (int i = 0; i < graph->num_inputs; i++) {
    if (graph->inputs[i] == value) return i;
  }
  return -1;
}

static bool nodes_match(matcher *m, const tsl_node *a, const tsl_node *b) {
  if (m->node_match[a->id] || m->node_match_back[b->id]) {
    return m->node_match[a->id] == b && m->node_match_back[b->id] == a;
  }
  m->node_match[a->id] = b;
  m->node_match_back[b->id] = a;
  if (a->op != b->op || a->num_inputs != b->num_inputs || a->num_outputs != b->num_outputs) {
    return false;
  }
  const tsl_op_def *def = tsl_op_get(a->op);
  for (int i = 0; i < def->num_attrs; i++) {
    if (!tsl_attr_equal(&a->attrs[i], &b->attrs[i])) return false;
  }
  for (int i = 0; i < a->num_inputs; i++) {
    if (!a->inputs[i] != !b->inputs[i]) return false;
    if (a->inputs[i]) push(m, a->inputs[i], b->inputs[i]);
  }
  return true;
}

static bool values_match(matcher *m, const tsl_value *a, const tsl_value *b) {
  if (m->value_match[a->id] || m->value_match_back[b->id]) {
    return m->value_match[a->id] == b && m->value_match_back[b->id] == a;
  }
  m->value_match[a->id] = b;
  m->value_match_back[b->id] = a;
  if (a->kind != b->kind || !tsl_type_equal(&a->type, &b->type)) return false;
  switch (a->kind) {
  case TSL_VALUE_INPUT: return input_position(m->a, a) == input_position(m->b, b);
  case TSL_VALUE_CONSTANT: return memcmp(tsl_value_hash(a), tsl_value_hash(b), 32) == 0;
  case TSL_VALUE_NODE:
    return a->output_index == b->output_index && nodes_match(m, a->node, b->node);
  }
  TSL_UNREACHABLE();
}

bool tsl_graph_equal(const tsl_graph *a, const tsl_graph *b) {
  if (a->num_inputs != b->num_inputs || a->num_outputs != b->num_outputs) return false;
  for (int i = 0; i < a->num_inputs; i++) {
    if (!tsl_type_equal(&a->inputs[i]->type, &b->inputs[i]->type)) return false;
  }
  matcher m = {
      .a = a,
      .b = b,
      .value_match = calloc((size_t)a->num_values + 1, sizeof(tsl_value *)),
      .value_match_back = calloc((size_t)b->num_values + 1, sizeof(tsl_value *)),
      .node_match = calloc((size_t)a->num_node_ids + 1, sizeof(tsl_node *)),
      .node_match_back = calloc((size_t)b->num_node_ids + 1, sizeof(tsl_node *)),
  };
  TSL_CHECK_ALLOC(m.value_match && m.value_match_back && m.node_match && m.node_match_back);
  for (int i = 0; i < a->num_outputs; i++) push(&m, a->outputs[i].value, b->outputs[i].value);
  bool equal = true;
  while (equal && m.depth > 0) {
    pair next = m.stack[--m.depth];
    equal = values_match(&m, next.a, next.b);
  }
  free(m.value_match);
  free(m.value_match_back);
  free(m.node_match);
  free(m.node_match_back);
  free(m.stack);
  return equal;
}
