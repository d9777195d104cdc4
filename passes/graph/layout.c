/* The blocked channel layout of activations, NCHW{x}c (TVM's AlterOpLayout for x86), with x the
 * target's f32 vector lanes (options->vector_lanes; 0 leaves the graph as it is).
 *
 * Each 4-d f32 convolution whose channels divide into blocks of x, ungrouped or depthwise,
 * computes in layout NCHW{x}c: its input through a layout_transform unless it is blocked
 * already, its weight through one to OIHW{x}i{x}o (depthwise OIHW{x}o), which fold_constants
 * computes since the weight is made of constants. An ungrouped one whose output channels
 * divide but whose input channels do not (an image's 3, a bottleneck's 24) reads its input in
 * NCHW as it is, with its weight in OIHW{x}o, and writes blocks (MLAS's NCHW-to-NCHWc
 * convolution): the first layers then need no transform, and the pool after them runs on
 * vectors of channels. The blocked layout carries on through max
 * and average pools, concatenations along the channels, reductions over H and W that keep them
 * (global pools), and elementwise and broadcast operators whose other operands are blocked too
 * or are per-channel constants ([1, C, 1, 1] or [C, 1, 1], given a layout_transform of their
 * own, also folded). Whatever else reads a blocked value reads it through one
 * layout_transform back to NCHW: the node that computed the value in NCHW becomes that
 * transform, so the value keeps its name (graph outputs theirs) and its readers are unchanged;
 * where nothing reads it, it goes.
 *
 * Weights of products are not packed here: the kernel's schedule packs them (the rules'
 * transform_layout, applied to the constant at compile time). */
#include <stdlib.h>

#include "ir/check.h"
#include "ir/ops/layout.h"
#include "passes/graph/graph_passes.h"

typedef struct layouter {
  tsl_graph *graph;
  int64_t block;
  const char *layout;  /* "NCHW{block}c" */
  tsl_value **blocked; /* by value id: the value in the blocked layout, or NULL */
  bool *native;        /* by value id: computed in the blocked layout, not transformed into it */
  bool *constant;      /* by value id: computed from constants alone */
} layouter;

static tsl_value *typed(tsl_node *node) {
  tsl_error error;
  TSL_CHECK(tsl_node_infer(node, &error) == TSL_OK);
  return node->outputs[0];
}

static tsl_value *transform(layouter *l, tsl_value *value, const char *src, const char *dst) {
  tsl_graph *graph = l->graph;
  const char *name = tsl_arena_printf(graph->arena, "%s_%s", value->name, dst);
  tsl_node *node = tsl_graph_add_node(graph, TSL_OP_layout_transform, NULL, 1, &value, 1, &name);
  tsl_node_set_attr(graph, node, "src", tsl_attr_string(graph->arena, src));
  tsl_node_set_attr(graph, node, "dst", tsl_attr_string(graph->arena, dst));
  return typed(node);
}

/* `node` becomes a layout_transform of `input` from src to dst, keeping its output: the value
 * keeps its name, and its readers are unchanged. */
static void turn_into_transform(tsl_graph *graph, tsl_node *node, tsl_value *input, const char *src,
                                const char *dst) {
  const tsl_op_def *def = tsl_op_get(TSL_OP_layout_transform);
  node->op = TSL_OP_layout_transform;
  node->name = NULL;
  node->num_inputs = 1;
  node->inputs = TSL_ARENA_ARRAY(graph->arena, tsl_value *, 1);
  node->inputs[0] = input;
  node->attrs = TSL_ARENA_ARRAY(graph->arena, tsl_attr, def->num_attrs);
  for (int i = 0; i < def->num_attrs; i++) node->attrs[i] = def->defaults[i];
  tsl_node_set_attr(graph, node, "src", tsl_attr_string(graph->arena, src));
  tsl_node_set_attr(graph, node, "dst", tsl_attr_string(graph->arena, dst));
}

/* An NCHW value in the blocked layout: one transform per value, shared by its readers. */
static tsl_value *to_blocked(layouter *l, tsl_value *value) {
  if (!l->blocked[value->id]) l->blocked[value->id] = transform(l, value, "NCHW", l->layout);
  return l->blocked[value->id];
}

/* A call of `node`'s operator with its attributes on `inputs`, its output named after the
 * node's in the blocked layout. */
static tsl_node *blocked_copy(layouter *l, const tsl_node *node, tsl_value *const *inputs) {
  tsl_graph *graph = l->graph;
  tsl_value *output = node->outputs[0];
  const char *name = tsl_arena_printf(graph->arena, "%s_%s", output->name, l->layout);
  tsl_node *copy =
      tsl_graph_add_node(graph, node->op, node->name, node->num_inputs, inputs, 1, &name);
  const tsl_op_def *def = tsl_op_get(node->op);
  for (int i = 0; i < def->num_attrs; i++) {
    copy->attrs[i] = tsl_attr_copy(graph->arena, &node->attrs[i]);
  }
  return copy;
}

static void set_blocked(layouter *l, const tsl_node *node, tsl_node *copy) {
  if (tsl_op_attr_index(tsl_op_get(copy->op), "layout") >= 0) {
    tsl_node_set_attr(l->graph, copy, "layout", tsl_attr_string(l->graph->arena, l->layout));
  }
  l->blocked[node->outputs[0]->id] = typed(copy);
  l->native[node->outputs[0]->id] = true;
}

static bool is_nchw_f32(const tsl_value *value) {
  return value->type.rank == 4 && value->type.dtype == TSL_DTYPE_F32;
}

static bool unblocked(const tsl_node *node) {
  return tsl_layout_channel_block(tsl_node_attr(node, "layout")->s) == 0;
}

/* ---- the operators that take the blocked layout ---- */

static void alter_conv(layouter *l, tsl_node *node) {
  tsl_value *x = node->inputs[0], *w = node->inputs[1];
  if (!is_nchw_f32(x) || !unblocked(node) || !l->constant[w->id]) return;
  int64_t channels = x->type.dims[1], outputs = w->type.dims[0];
  int64_t groups = tsl_node_attr(node, "groups")->i;
  bool depthwise = groups != 1 && groups == channels && outputs == channels;
  if ((groups != 1 && !depthwise) || outputs % l->block) return;
  /* Input channels that do not divide into blocks (an image's 3, a bottleneck's 24) are read
   * in NCHW, unless some other reader has put them in blocks already. */
  bool x_blocked = channels % l->block == 0;
  if (!x_blocked && depthwise) return;
  tsl_arena *arena = l->graph->arena;
  long long block = (long long)l->block;
  const char *weight_layout = depthwise || !x_blocked
                                  ? tsl_arena_printf(arena, "OIHW%lldo", block)
                                  : tsl_arena_printf(arena, "OIHW%lldi%lldo", block, block);
  tsl_value *inputs[3] = {x_blocked ? to_blocked(l, x) : x, transform(l, w, "OIHW", weight_layout),
                          node->num_inputs > 2 ? node->inputs[2] : NULL};
  set_blocked(l, node, blocked_copy(l, node, inputs));
}

static void alter_pool(layouter *l, tsl_node *node) {
  tsl_value *x = node->inputs[0];
  if (node->num_outputs != 1 || !is_nchw_f32(x) || !l->native[x->id] || !unblocked(node)) return;
  tsl_value *inputs[] = {l->blocked[x->id]};
  set_blocked(l, node, blocked_copy(l, node, inputs));
}

/* A concatenation of blocked values along the channels: in NCHW{x}c that is a concatenation
 * along the axis of channel blocks, each input's channels being whole blocks. */
static void alter_concat(layouter *l, tsl_node *node) {
  int64_t axis = tsl_node_attr(node, "axis")->i;
  if (node->num_inputs < 1 || (axis != 1 && axis != -3) || !is_nchw_f32(node->outputs[0])) return;
  tsl_value **inputs = TSL_ARENA_ARRAY(l->graph->arena, tsl_value *, node->num_inputs);
  for (int i = 0; i < node->num_inputs; i++) {
    if (!node->inputs[i] || !l->native[node->inputs[i]->id]) return;
    inputs[i] = l->blocked[node->inputs[i]->id];
  }
  tsl_node *copy = blocked_copy(l, node, inputs);
  tsl_node_set_attr(l->graph, copy, "axis", tsl_attr_int(1));
  set_blocked(l, node, copy);
}

/* A reduction over the spatial axes that keeps them (a global pool): H and W are axes 2 and 3
 * in both layouts, and its small output goes back to NCHW instead of its large input. */
static void alter_reduce(layouter *l, tsl_node *node) {
  tsl_value *x = node->inputs[0];
  const tsl_attr *axes = tsl_node_attr(node, "axes");
  if (!is_nchw_f32(x) || !l->native[x->id] || !tsl_node_attr(node, "keepdims")->i ||
      axes->count == 0) {
    return;
  }
  for (int i = 0; i < axes->count; i++) {
    int64_t axis = axes->ints[i] < 0 ? axes->ints[i] + 4 : axes->ints[i];
    if (axis != 2 && axis != 3) return;
  }
  tsl_value *inputs[] = {l->blocked[x->id]};
  tsl_node *copy = blocked_copy(l, node, inputs);
  int64_t spatial[2];
  for (int i = 0; i < axes->count; i++)
    spatial[i] = axes->ints[i] < 0 ? axes->ints[i] + 4 : axes->ints[i];
  tsl_node_set_attr(l->graph, copy, "axes", tsl_attr_ints(l->graph->arena, axes->count, spatial));
  set_blocked(l, node, copy);
}

/* What an operand of an elementwise operator on blocked values is. */
typedef enum operand_kind {
  OPERAND_UNFIT,        /* none of these: the operator stays in NCHW */
  OPERAND_BLOCKED,      /* a value of the output's shape, with a blocked version */
  OPERAND_ONES,         /* a constant of one element, which broadcasts in any layout */
  OPERAND_NCHW_CHANNEL, /* a per-channel constant [1, C, 1, 1] */
  OPERAND_CHW_CHANNEL,  /* a per-channel constant [C, 1, 1] */
} operand_kind;

static operand_kind kind_of_operand(const layouter *l, const tsl_value *value,
                                    const tsl_type *out) {
  const tsl_type *type = &value->type;
  if (l->blocked[value->id] && tsl_type_equal(type, out)) return OPERAND_BLOCKED;
  if (!l->constant[value->id]) return OPERAND_UNFIT;
  int64_t elements = tsl_type_elements(type);
  if (elements == 1 && type->rank <= 4) return OPERAND_ONES;
  if (elements != out->dims[1]) return OPERAND_UNFIT;
  if (type->rank == 4 && type->dims[1] == elements) return OPERAND_NCHW_CHANNEL;
  if (type->rank == 3 && type->dims[0] == elements) return OPERAND_CHW_CHANNEL;
  return OPERAND_UNFIT;
}

/* The operand in the blocked layout. */
static tsl_value *blocked_operand(layouter *l, tsl_value *value, operand_kind kind) {
  switch (kind) {
  case OPERAND_BLOCKED: return l->blocked[value->id];
  case OPERAND_NCHW_CHANNEL: return to_blocked(l, value);
  case OPERAND_CHW_CHANNEL:
    return transform(l, value, "CHW",
                     tsl_arena_printf(l->graph->arena, "CHW%lldc", (long long)l->block));
  default: return value;
  }
}

/* Operators that compute each element from the elements at the same position, whatever the
 * layout: elementwise and broadcast ones with no axis or shape of their own. */
static bool layout_free(const tsl_op_def *def) {
  return (def->pattern == TSL_PATTERN_ELEMWISE || def->pattern == TSL_PATTERN_BROADCAST) &&
         def->compute_rule && tsl_op_attr_index(def, "axis") < 0 &&
         tsl_op_attr_index(def, "shape") < 0;
}

static void alter_elementwise(layouter *l, tsl_node *node) {
  const tsl_type *out = &node->outputs[0]->type;
  if (node->num_outputs != 1 || node->num_inputs > TSL_MAX_PORTS || out->rank != 4 ||
      !layout_free(tsl_op_get(node->op))) {
    return;
  }
  bool reads_native = false;
  for (int i = 0; i < node->num_inputs; i++) {
    tsl_value *input = node->inputs[i];
    reads_native =
        reads_native || (input && l->native[input->id] && tsl_type_equal(&input->type, out));
  }
  if (!reads_native) return;
  operand_kind kinds[TSL_MAX_PORTS];
  for (int i = 0; i < node->num_inputs; i++) {
    kinds[i] = node->inputs[i] ? kind_of_operand(l, node->inputs[i], out) : OPERAND_ONES;
    if (kinds[i] == OPERAND_UNFIT) return;
  }
  tsl_value *inputs[TSL_MAX_PORTS];
  for (int i = 0; i < node->num_inputs; i++) {
    inputs[i] = node->inputs[i] ? blocked_operand(l, node->inputs[i], kinds[i]) : NULL;
  }
  set_blocked(l, node, blocked_copy(l, node, inputs));
}

/* ---- the pass ---- */

/* The node that computed a now blocked value becomes the transform of the blocked value back
 * to NCHW, for the readers that stay in NCHW. */
static void become_transform(layouter *l, tsl_node *node) {
  turn_into_transform(l->graph, node, l->blocked[node->outputs[0]->id], l->layout, "NCHW");
}

static tsl_status run(tsl_graph *graph, const tsl_pass_options *options, tsl_error *error) {
  (void)error;
  if (options->vector_lanes < 2) return TSL_OK;
  int values = graph->num_values, count = graph->num_nodes;
  layouter l = {
      .graph = graph,
      .block = options->vector_lanes,
      .layout = tsl_arena_printf(graph->arena, "NCHW%dc", options->vector_lanes),
      .blocked = calloc((size_t)values + 1, sizeof(tsl_value *)),
      .native = calloc((size_t)values + 1, sizeof(bool)),
      .constant = tsl_graph_constant_values(graph),
  };
  TSL_CHECK_ALLOC(l.blocked && l.native && l.constant);
  for (int n = 0; n < count; n++) {
    tsl_node *node = graph->nodes[n];
    if (node->op == TSL_OP_conv) {
      alter_conv(&l, node);
    } else if (node->op == TSL_OP_max_pool || node->op == TSL_OP_avg_pool) {
      alter_pool(&l, node);
    } else if (node->op == TSL_OP_concat) {
      alter_concat(&l, node);
    } else if (node->op == TSL_OP_reduce_mean || node->op == TSL_OP_reduce_max ||
               node->op == TSL_OP_reduce_sum) {
      alter_reduce(&l, node);
    } else {
      alter_elementwise(&l, node);
    }
  }
  for (int n = 0; n < count; n++) {
    tsl_node *node = graph->nodes[n];
    if (node->num_outputs == 1 && l.native[node->outputs[0]->id]) become_transform(&l, node);
  }
  free(l.blocked);
  free(l.native);
  free(l.constant);
  tsl_graph_sort(graph);
  tsl_graph_remove_unused(graph);
  return TSL_OK;
}

const tsl_graph_pass tsl_pass_alter_layout = {
    .name = "alter_layout",
    .summary =
        "convolutions and pools on activations in blocked channels NCHW{x}c, x the "
        "target's vector lanes",
    .run = run,
};
