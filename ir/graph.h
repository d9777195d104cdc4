/* The graph IR: a typed dataflow graph of operator calls with static shapes (Relay-like).
 *
 * A graph owns one arena; its values and nodes live and die with it. Constant data is the
 * exception: reference-counted and shared (ir/tensor_data.h). Nodes are kept in topological
 * order. Every value has a name unique in its graph. */
#ifndef TSL_IR_GRAPH_H
#define TSL_IR_GRAPH_H

#include "ir/arena.h"
#include "ir/ops/op.h"
#include "ir/strmap.h"
#include "ir/tensor_data.h"
#include "tessel/tessel.h"

#define TSL_VALUE_KINDS(X)                                           \
  X(INPUT, "input")       /* a graph input, given at run time */     \
  X(CONSTANT, "const")    /* data owned by the graph (weights) */   \
  X(NODE, "node")         /* an output of an operator call */

typedef enum tsl_value_kind {
#define X(kind, name) TSL_VALUE_##kind,
  TSL_VALUE_KINDS(X)
#undef X
} tsl_value_kind;

typedef struct tsl_node tsl_node;

typedef struct tsl_value {
  tsl_value_kind kind;
  const char *name;
  tsl_type type;
  tsl_node *node;        /* NODE: the producer */
  int output_index;      /* NODE: which of the producer's outputs */
  tsl_tensor_data *data; /* CONSTANT: its data; NULL when the text was read without data */
  uint8_t hash[32];      /* CONSTANT: SHA-256 of the data */
  int id;                /* dense, in order of creation: for side tables */
} tsl_value;

struct tsl_node {
  tsl_op_kind op;
  const char *name; /* the name the model gave it, or NULL */
  int num_inputs, num_outputs;
  tsl_value **inputs; /* NULL where an optional input is absent */
  tsl_value **outputs;
  tsl_attr *attrs; /* one per attribute definition of the operator, defaults filled in */
  int id; /* unique in the graph, in order of creation */
  int group; /* the fused kernel it belongs to (passes/graph/fuse.c); -1: a kernel of its own */
};

typedef struct tsl_graph_output {
  const char *name; /* the name callers know it by; usually the value's */
  tsl_value *value;
} tsl_graph_output;

struct tsl_graph {
  tsl_arena *arena;
  const char *name;
  tsl_value **inputs, **constants;
  tsl_node **nodes;
  tsl_graph_output *outputs;
  int num_inputs, num_constants, num_nodes, num_outputs;
  int inputs_capacity, constants_capacity, nodes_capacity, outputs_capacity;
  int num_values;   /* value ids handed out */
  int num_node_ids; /* node ids handed out */
  tsl_strmap names;
};

tsl_graph *tsl_graph_new(const char *name);

/* A name not yet used in the graph: `wanted` itself, or `wanted` with a suffix. */
const char *tsl_graph_unique_name(tsl_graph *graph, const char *wanted);
tsl_value *tsl_graph_find(const tsl_graph *graph, const char *name);

tsl_value *tsl_graph_add_input(tsl_graph *graph, const char *name, const tsl_type *type);

/* The graph takes one reference to `data`. */
tsl_value *tsl_graph_add_constant(tsl_graph *graph, const char *name, tsl_tensor_data *data);

/* A constant known by type and hash only (the text form read without its data). */
tsl_value *tsl_graph_add_constant_ref(tsl_graph *graph, const char *name, const tsl_type *type,
                                      const uint8_t hash[32]);

/* A copy of the whole graph in a new arena, sharing the constants' data; values and nodes keep
 * their names, ids and groups. */
tsl_graph *tsl_graph_clone(const tsl_graph *graph);

/* Appends a call of `op` with default attributes; its outputs are named from `output_names`
 * (NULL, or NULL entries: generated) and have no type until tsl_node_infer. */
tsl_node *tsl_graph_add_node(tsl_graph *graph, tsl_op_kind op, const char *node_name,
                             int num_inputs, tsl_value *const *inputs, int num_outputs,
                             const char *const *output_names);

/* Sets an attribute by name (copied into the graph's arena). */
void tsl_node_set_attr(tsl_graph *graph, tsl_node *node, const char *name, tsl_attr value);
const tsl_attr *tsl_node_attr(const tsl_node *node, const char *name);

/* Runs the operator's type rule and sets the output types; on failure the message says what
 * does not match, without naming the node (the caller knows how to). */
tsl_status tsl_node_infer(tsl_node *node, tsl_error *error);

void tsl_graph_add_output(tsl_graph *graph, const char *name, tsl_value *value);

/* Turns a value into a constant holding `data` (one reference taken): a bound graph input, or a
 * node output evaluated ahead of time. Its users keep pointing at it. */
void tsl_value_make_constant(tsl_graph *graph, tsl_value *value, tsl_tensor_data *data);

/* Makes every node input and graph output that is `from` be `to` (of the same type). */
void tsl_graph_replace_uses(tsl_graph *graph, const tsl_value *from, tsl_value *to);

/* How many node inputs and graph outputs use each value, by value id (num_values of them;
 * the caller frees). */
int *tsl_graph_use_counts(const tsl_graph *graph);

/* Which values are computed from constants alone: the constants, and the outputs of nodes whose
 * inputs all are (a node without inputs too). By value id, num_values of them; the caller frees.
 * The nodes must be in topological order. */
bool *tsl_graph_constant_values(const tsl_graph *graph);

/* A copy of `node` (operator, name, attributes) reading `inputs`, appended to the graph with
 * its outputs typed as the original's. */
tsl_node *tsl_graph_copy_node(tsl_graph *graph, const tsl_node *node, tsl_value *const *inputs);

/* Puts the nodes in topological order again after nodes were appended out of order, keeping
 * the present order where it allows. */
void tsl_graph_sort(tsl_graph *graph);

/* Drops nodes and constants nothing reachable from the outputs uses. */
void tsl_graph_remove_unused(tsl_graph *graph);

/* Re-runs every type rule in order and checks the graph's structure: topological order,
 * unique names, inputs defined before use, attribute kinds, declared types equal to inferred
 * ones. The message names the node. */
tsl_status tsl_graph_verify(const tsl_graph *graph, tsl_error *error);

/* "node 'conv_3' (conv → 'y')", or "node #17 (conv → 'y')" when the node has no name. */
const char *tsl_node_describe(const tsl_node *node, char *text, size_t size);

#endif
