/* Operator fusion: nodes are put into groups, each of which lowering turns into one kernel
 * (docs/passes.md). The rules follow TVM's pattern kinds (ir/ops/op.h):
 *
 *   - an elementwise or broadcast node joins the group of a node it reads: the epilogue of a
 *     convolution or product (bias, BatchNorm's scale and shift, residual add, activation),
 *     the tail of a reduction (LayerNorm's normalisation after its variance), or a chain of
 *     elementwise and injective nodes;
 *   - an injective node (reshape, transpose, slice, …) joins a group of elementwise and
 *     injective nodes;
 *   - a reduction joins a group of elementwise, injective and reduction nodes, whose values it
 *     then reads without a round trip through memory (Softmax and LayerNorm written out);
 *   - a convolution, product or pooling starts a group; opaque operators stay alone;
 *   - a node's other producers that are elementwise chains join its group too, when that
 *     makes no kernel depend on itself (a diamond, exp(x) + log(x), is one kernel).
 *
 * Nodes are visited in topological order, each trying the groups of its inputs in order. A
 * node may not join a group that one of its other inputs depends on through another group:
 * that would make the kernels depend on each other. At the end the nodes of every group are
 * made contiguous, groups in an order that respects their dependencies, so lowering takes each
 * run of one group as a kernel. */
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"
#include "passes/graph/graph_passes.h"

typedef struct group_info {
  bool opaque;           /* an opaque operator: nothing joins it */
  bool anchor;           /* holds a convolution, product or pooling */
  bool reduce;           /* holds a reduction */
  bool elementwise_only; /* holds only elementwise and broadcast nodes */
} group_info;

typedef struct fuser {
  tsl_graph *graph;
  int *group_of;            /* by node id */
  group_info *groups;       /* by group id (the id of the group's first node) */
  const tsl_node **node_of; /* by node id */
  int *next, *last; /* by node id: the next node of its group, -1 at the end; a group's last */
  int *mark;        /* by group id: visit stamps of the dependency search */
  int stamp;
} fuser;

static tsl_pattern pattern_of(const tsl_node *node) {
  const tsl_op_def *def = tsl_op_get(node->op);
  return def->compute_rule ? def->pattern : TSL_PATTERN_OPAQUE;
}

static bool compatible(const group_info *group, tsl_pattern pattern) {
  if (group->opaque) return false;
  switch (pattern) {
  case TSL_PATTERN_ELEMWISE:
  case TSL_PATTERN_BROADCAST: return true;
  case TSL_PATTERN_INJECTIVE: return !group->anchor && !group->reduce;
  case TSL_PATTERN_REDUCE: return !group->anchor;
  default: return false;
  }
}

/* Does group `group` read, directly or through other groups, what group `target` makes? A
 * group is one kernel: it waits for the inputs of all its nodes (but `ignored`'s, a node about to
 * join it). */
static bool depends_on(fuser *f, int group, int target, const tsl_node *ignored) {
  if (f->mark[group] == f->stamp) return false;
  f->mark[group] = f->stamp;
  for (int id = group; id >= 0; id = f->next[id]) {
    const tsl_node *node = f->node_of[id];
    for (int i = 0; node != ignored && i < node->num_inputs; i++) {
      const tsl_value *input = node->inputs[i];
      if (!input || input->kind != TSL_VALUE_NODE) continue;
      int producer = f->group_of[input->node->id];
      if (producer == target) return true;
      if (producer != group && depends_on(f, producer, target, NULL)) return true;
    }
  }
  return false;
}

static bool can_join(fuser *f, const tsl_node *node, int target) {
  if (!compatible(&f->groups[target], pattern_of(node))) return false;
  f->stamp++;
  for (int i = 0; i < node->num_inputs; i++) {
    const tsl_value *input = node->inputs[i];
    if (!input || input->kind != TSL_VALUE_NODE) continue;
    int producer = f->group_of[input->node->id];
    if (producer != target && depends_on(f, producer, target, NULL)) return false;
  }
  return true;
}

/* Moves the nodes of group `from` into group `into`. */
static void merge(fuser *f, int into, int from) {
  for (int id = from; id >= 0; id = f->next[id]) f->group_of[id] = into;
  f->next[f->last[into]] = from;
  f->last[into] = f->last[from];
  group_info *a = &f->groups[into], *b = &f->groups[from];
  a->opaque |= b->opaque;
  a->anchor |= b->anchor;
  a->reduce |= b->reduce;
  a->elementwise_only &= b->elementwise_only;
}

static void place(fuser *f, const tsl_node *node) {
  int chosen = -1;
  tsl_pattern pattern = pattern_of(node);
  if (pattern != TSL_PATTERN_OUT_ELEMWISE_FUSABLE && pattern != TSL_PATTERN_OPAQUE) {
    for (int i = 0; i < node->num_inputs && chosen < 0; i++) {
      const tsl_value *input = node->inputs[i];
      if (!input || input->kind != TSL_VALUE_NODE) continue;
      int candidate = f->group_of[input->node->id];
      if (can_join(f, node, candidate)) chosen = candidate;
    }
  }
  if (chosen < 0) chosen = node->id;
  f->group_of[node->id] = chosen;
  f->node_of[node->id] = node;
  f->next[node->id] = -1;
  if (chosen != node->id) f->next[f->last[chosen]] = node->id;
  f->last[chosen] = node->id;
  group_info *group = &f->groups[chosen];
  group->opaque |= pattern == TSL_PATTERN_OPAQUE;
  group->anchor |= pattern == TSL_PATTERN_OUT_ELEMWISE_FUSABLE;
  group->reduce |= pattern == TSL_PATTERN_REDUCE;
  group->elementwise_only &= pattern <= TSL_PATTERN_BROADCAST;
  if (group->anchor || group->opaque) return;
  /* The node's other producers, when they are elementwise chains that neither depend on its
   * group nor feed it, come along: a diamond (exp(x) + log(x)) is one kernel. */
  for (int i = 0; i < node->num_inputs; i++) {
    const tsl_value *input = node->inputs[i];
    if (!input || input->kind != TSL_VALUE_NODE) continue;
    int other = f->group_of[input->node->id];
    if (other == chosen || !f->groups[other].elementwise_only) continue;
    f->stamp++;
    bool other_needs_chosen = depends_on(f, other, chosen, NULL);
    f->stamp++;
    if (other_needs_chosen || depends_on(f, chosen, other, node)) continue;
    merge(f, chosen, other);
  }
}

/* Makes each group's nodes contiguous: groups in dependency order (among the groups whose
 * producers are placed, the one whose first node comes first), a group's nodes in their
 * order. */
static void order_groups(fuser *f) {
  tsl_graph *graph = f->graph;
  int count = graph->num_nodes, ids = graph->num_node_ids + 1;
  int *index = malloc(sizeof(int) * (size_t)ids);         /* group id → dense index */
  int *first = malloc(sizeof(int) * (size_t)(count + 1)); /* dense index → first node */
  int *waiting = calloc((size_t)count + 1, sizeof(int));  /* producers not yet placed */
  int *seen = calloc((size_t)count + 1, sizeof(int));
  bool *done = calloc((size_t)count + 1, sizeof(bool));
  tsl_node **order = malloc(sizeof(tsl_node *) * (size_t)(count + 1));
  TSL_CHECK_ALLOC(index && first && waiting && seen && done && order);
  int groups = 0;
  for (int i = 0; i < ids; i++) index[i] = -1;
  for (int n = 0; n < count; n++) {
    int group = f->group_of[graph->nodes[n]->id];
    if (index[group] < 0) {
      index[group] = groups;
      first[groups++] = n;
    }
  }
  /* Edges producer group → consumer group, each counted once (seen holds the consumer + 1). */
  int *edges = malloc(sizeof(int) * (size_t)(2 * count + 2)), num_edges = 0, capacity = count + 1;
  TSL_CHECK_ALLOC(edges);
  for (int g = 0; g < groups; g++) {
    for (int n = first[g]; n < count; n++) {
      const tsl_node *node = graph->nodes[n];
      if (index[f->group_of[node->id]] != g) continue;
      for (int i = 0; i < node->num_inputs; i++) {
        const tsl_value *input = node->inputs[i];
        if (!input || input->kind != TSL_VALUE_NODE) continue;
        int producer = index[f->group_of[input->node->id]];
        if (producer == g || seen[producer] == g + 1) continue;
        seen[producer] = g + 1;
        if (num_edges == capacity) {
          capacity *= 2;
          edges = realloc(edges, sizeof(int) * (size_t)(2 * capacity));
          TSL_CHECK_ALLOC(edges);
        }
        edges[2 * num_edges] = producer;
        edges[2 * num_edges + 1] = g;
        num_edges++;
        waiting[g]++;
      }
    }
  }
  int placed = 0;
  for (int step = 0; step < groups; step++) {
    int g = 0;
    while (g < groups && (done[g] || waiting[g])) g++;
    TSL_CHECK(g < groups); /* groups depending on each other: can_join prevents it */
    done[g] = true;
    for (int n = first[g]; n < count; n++) {
      if (index[f->group_of[graph->nodes[n]->id]] == g) order[placed++] = graph->nodes[n];
    }
    for (int e = 0; e < num_edges; e++) {
      if (edges[2 * e] == g) waiting[edges[2 * e + 1]]--;
    }
  }
  if (count) memcpy(graph->nodes, order, sizeof(tsl_node *) * (size_t)count);
  free(index);
  free(first);
  free(waiting);
  free(seen);
  free(done);
  free(order);
  free(edges);
}

static tsl_status run(tsl_graph *graph, const tsl_pass_options *options, tsl_error *error) {
  (void)options;
  (void)error;
  int ids = graph->num_node_ids + 1;
  fuser f = {
      .graph = graph,
      .group_of = malloc(sizeof(int) * (size_t)ids),
      .groups = calloc((size_t)ids, sizeof(group_info)),
      .node_of = calloc((size_t)ids, sizeof(tsl_node *)),
      .next = malloc(sizeof(int) * (size_t)ids),
      .last = malloc(sizeof(int) * (size_t)ids),
      .mark = calloc((size_t)ids, sizeof(int)),
  };
  TSL_CHECK_ALLOC(f.group_of && f.groups && f.node_of && f.next && f.last && f.mark);
  for (int i = 0; i < ids; i++) f.groups[i].elementwise_only = true;
  for (int n = 0; n < graph->num_nodes; n++) place(&f, graph->nodes[n]);
  order_groups(&f);
  /* Groups numbered in order, singletons included. */
  int next = 0;
  for (int n = 0; n < graph->num_nodes; n++) {
    tsl_node *node = graph->nodes[n];
    bool same = n > 0 && f.group_of[graph->nodes[n - 1]->id] == f.group_of[node->id];
    node->group = same ? graph->nodes[n - 1]->group : next++;
  }
  free(f.group_of);
  free(f.groups);
  free(f.node_of);
  free(f.next);
  free(f.last);
  free(f.mark);
  return TSL_OK;
}

const tsl_graph_pass tsl_pass_fuse = {
    .name = "fuse",
    .summary =
        "group operators into kernels: epilogues into convolutions and products, "
        "elementwise chains, reductions with what they read",
    .run = run,
};

int tsl_graph_count_kernels(const tsl_graph *graph) {
  int count = 0;
  for (int n = 0; n < graph->num_nodes; n++) {
    const tsl_node *node = graph->nodes[n];
    bool continues = node->group >= 0 && n > 0 && graph->nodes[n - 1]->group == node->group;
    if (!continues) count++;
  }
  return count;
}
