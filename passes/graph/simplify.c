/* Inference simplifications, before constants are folded.
 *
 * No-ops go: a cast to the same dtype, a reshape or expand to the same shape, an identity
 * transpose, a pad by zeros, a slice of everything. A reshape of a reshape reads the first
 * one's input; so does a transpose of a transpose, with the two permutations composed (and
 * then goes too when they cancel).
 *
 * A gemm reading a constant operand transposed reads it as it is laid out after a transpose
 * (computed by fold_constants), so that its rows run along the vector lanes.
 *
 * BatchNorm at inference is y = x·s + t per channel, with s = scale/√(var+ε) and
 * t = bias - mean·s. After a convolution that nothing else reads, with constant weights and
 * parameters, it folds into the convolution: weight·s along the output channels, bias·s + t.
 * After a matmul or gemm with a constant right-hand matrix whose last axis is the channel
 * axis, the matrix takes s and an add of t follows. Any other BatchNorm becomes a mul and an
 * add, which fusion puts into a neighbour's kernel.
 *
 * The pass builds s, t and the new weights as operator calls; fold_constants, which runs next,
 * computes those whose inputs are constants, so that no operator is implemented twice. */
#include <stdlib.h>

#include "ir/check.h"
#include "passes/graph/graph_passes.h"

/* A call of `op` appended to the graph, typed; the pass builds only calls that type-check. */
static tsl_node *build(tsl_graph *graph, tsl_op_kind op, int num_inputs, tsl_value *const *inputs,
                       const char *name) {
  return tsl_graph_add_node(graph, op, NULL, num_inputs, inputs, 1, &name);
}

static tsl_value *typed(tsl_node *node) {
  tsl_error error;
  TSL_CHECK(tsl_node_infer(node, &error) == TSL_OK);
  return node->outputs[0];
}

static tsl_value *binary(tsl_graph *graph, tsl_op_kind op, tsl_value *a, tsl_value *b,
                         const char *name) {
  tsl_value *inputs[] = {a, b};
  return typed(build(graph, op, 2, inputs, name));
}

/* A [C] vector reshaped to `rank` axes, C at `axis` and 1 elsewhere, to broadcast per channel. */
static tsl_value *along_axis(tsl_graph *graph, tsl_value *vector, int rank, int axis,
                             const char *name) {
  if (rank == 1) return vector;
  int64_t dims[TSL_MAX_RANK];
  for (int i = 0; i < rank; i++) dims[i] = i == axis ? vector->type.dims[0] : 1;
  tsl_node *node = build(graph, TSL_OP_reshape, 1, &vector, name);
  tsl_node_set_attr(graph, node, "shape", tsl_attr_ints(graph->arena, rank, dims));
  return typed(node);
}

/* Rewrites `node` into a call of `op` on `inputs` with default attributes; its outputs keep
 * their names and types. */
static void become(tsl_graph *graph, tsl_node *node, tsl_op_kind op, int num_inputs,
                   tsl_value *const *inputs) {
  const tsl_op_def *def = tsl_op_get(op);
  node->op = op;
  node->num_inputs = num_inputs;
  node->inputs = tsl_arena_memdup(graph->arena, inputs, sizeof(tsl_value *) * (size_t)num_inputs);
  node->attrs = TSL_ARENA_ARRAY(graph->arena, tsl_attr, def->num_attrs);
  for (int i = 0; i < def->num_attrs; i++) node->attrs[i] = def->defaults[i];
}

/* ---- No-ops ---- */

static bool all_zero(const tsl_attr *list) {
  for (int i = 0; i < list->count; i++) {
    if (list->ints[i] != 0) return false;
  }
  return true;
}

static bool all_positive(const tsl_attr *list) {
  for (int i = 0; i < list->count; i++) {
    if (list->ints[i] <= 0) return false;
  }
  return true;
}

static bool is_identity(const tsl_attr *perm) {
  for (int i = 0; i < perm->count; i++) {
    if (perm->ints[i] != i) return false;
  }
  return true;
}

/* The input that `node` gives back unchanged, or NULL. */
static tsl_value *passed_through(const tsl_node *node) {
  bool same;
  switch (node->op) {
  case TSL_OP_cast:
  case TSL_OP_reshape:
  case TSL_OP_expand: same = true; break;
  case TSL_OP_transpose: same = is_identity(tsl_node_attr(node, "perm")); break;
  case TSL_OP_pad: same = all_zero(tsl_node_attr(node, "pads")); break;
  case TSL_OP_slice: /* as many elements on each axis, in order: all of them */
    same = all_positive(tsl_node_attr(node, "steps"));
    break;
  default: same = false;
  }
  tsl_value *x = node->inputs[0];
  return same && tsl_type_equal(&x->type, &node->outputs[0]->type) ? x : NULL;
}

/* A reshape of a reshape, or a transpose of a transpose, reads the first one's input. */
static void skip_producer(tsl_graph *graph, tsl_node *node) {
  tsl_value *x = node->inputs[0];
  if (node->op != TSL_OP_reshape && node->op != TSL_OP_transpose) return;
  if (x->kind != TSL_VALUE_NODE || x->node->op != node->op) return;
  const tsl_node *producer = x->node;
  if (node->op == TSL_OP_transpose) {
    /* y = transpose(x, p) has y.dims[i] = x.dims[p[i]]; transposing it by q reads p[q[i]]. */
    const tsl_attr *inner = tsl_node_attr(producer, "perm");
    const tsl_attr *outer = tsl_node_attr(node, "perm");
    int64_t perm[TSL_MAX_RANK];
    for (int i = 0; i < outer->count; i++) perm[i] = inner->ints[outer->ints[i]];
    tsl_node_set_attr(graph, node, "perm", tsl_attr_ints(graph->arena, outer->count, perm));
  }
  node->inputs[0] = producer->inputs[0];
}

static void remove_no_ops(tsl_graph *graph) {
  for (int n = 0; n < graph->num_nodes; n++) {
    tsl_node *node = graph->nodes[n];
    skip_producer(graph, node);
    tsl_value *same = passed_through(node);
    if (same) tsl_graph_replace_uses(graph, node->outputs[0], same);
  }
}

/* ---- BatchNorm ---- */

typedef struct channel_affine {
  tsl_value *scale; /* s = scale/√(var+ε), [C] */
  tsl_value *shift; /* t = bias - mean·s, [C] */
} channel_affine;

/* The values built are named after the BatchNorm's output, t `shift_name` where given. */
static channel_affine affine_of(tsl_graph *graph, const tsl_node *batch_norm,
                                const char *shift_name) {
  tsl_value *const *in = batch_norm->inputs;
  const char *name = batch_norm->outputs[0]->name;
  tsl_arena *arena = graph->arena;
  tsl_type scalar = tsl_type_scalar(in[4]->type.dtype);
  tsl_tensor_data *epsilon = tsl_tensor_data_new(&scalar);
  TSL_CHECK_ALLOC(epsilon);
  tsl_element_set_f64(scalar.dtype, epsilon->bytes, 0, tsl_node_attr(batch_norm, "epsilon")->f);
  tsl_value *eps = tsl_graph_add_constant(graph, tsl_arena_printf(arena, "%s_eps", name), epsilon);
  tsl_value *variance =
      binary(graph, TSL_OP_add, in[4], eps, tsl_arena_printf(arena, "%s_var", name));
  const char *std_name = tsl_arena_printf(arena, "%s_std", name);
  tsl_value *deviation = typed(build(graph, TSL_OP_sqrt, 1, &variance, std_name));
  channel_affine affine;
  affine.scale = binary(graph, TSL_OP_div, in[1], deviation, tsl_arena_printf(arena, "%s_s", name));
  tsl_value *centre =
      binary(graph, TSL_OP_mul, in[3], affine.scale, tsl_arena_printf(arena, "%s_mean_s", name));
  if (!shift_name) shift_name = tsl_arena_printf(arena, "%s_t", name);
  affine.shift = binary(graph, TSL_OP_sub, in[2], centre, shift_name);
  return affine;
}

/* Folding reads x and the parameters in one dtype. */
static bool one_dtype(const tsl_node *batch_norm) {
  for (int i = 1; i < 5; i++) {
    if (batch_norm->inputs[i]->type.dtype != batch_norm->inputs[0]->type.dtype) return false;
  }
  return true;
}

static bool is_constant(const tsl_value *value) { return value->kind == TSL_VALUE_CONSTANT; }

static bool constant_parameters(const tsl_node *batch_norm) {
  for (int i = 1; i < 5; i++) {
    if (!is_constant(batch_norm->inputs[i])) return false;
  }
  return true;
}

/* The convolution or product that computes the BatchNorm's input when only the BatchNorm reads
 * it and its weights and the BatchNorm's parameters are constants; NULL otherwise. */
static tsl_node *foldable_producer(const tsl_node *batch_norm, const int *uses) {
  tsl_value *x = batch_norm->inputs[0];
  if (x->kind != TSL_VALUE_NODE || uses[x->id] != 1) return NULL;
  if (!constant_parameters(batch_norm) || !one_dtype(batch_norm)) return NULL;
  tsl_node *producer = x->node;
  if (producer->op != TSL_OP_conv && producer->op != TSL_OP_conv_transpose &&
      producer->op != TSL_OP_matmul && producer->op != TSL_OP_gemm) {
    return NULL;
  }
  tsl_value *bias = producer->num_inputs > 2 ? producer->inputs[2] : NULL;
  if (!is_constant(producer->inputs[1]) || (bias && !is_constant(bias))) return NULL;
  if (producer->inputs[1]->type.dtype != x->type.dtype) return NULL;
  return producer;
}

/* conv(x, w, b) then BatchNorm: conv(x, w·s, b·s + t), s along w's output-channel axis (0 for
 * conv, 1 for an ungrouped conv_transpose). */
static bool fold_into_conv(tsl_graph *graph, tsl_node *batch_norm, tsl_node *conv) {
  int channel_axis = conv->op == TSL_OP_conv ? 0 : 1;
  if (conv->op == TSL_OP_conv_transpose && tsl_node_attr(conv, "groups")->i != 1) return false;
  tsl_value *weight = conv->inputs[1];
  tsl_value *bias = conv->num_inputs > 2 ? conv->inputs[2] : NULL;
  const char *bias_name = tsl_arena_printf(graph->arena, "%s_bias", conv->outputs[0]->name);
  channel_affine affine = affine_of(graph, batch_norm, bias ? NULL : bias_name);
  tsl_value *scale = along_axis(graph, affine.scale, weight->type.rank, channel_axis, NULL);
  const char *weight_name = tsl_arena_printf(graph->arena, "%s_bn", weight->name);
  tsl_value *inputs[] = {conv->inputs[0], binary(graph, TSL_OP_mul, weight, scale, weight_name),
                         affine.shift};
  if (bias) {
    tsl_value *scaled = binary(graph, TSL_OP_mul, bias, affine.scale, NULL);
    inputs[2] = binary(graph, TSL_OP_add, scaled, affine.shift, bias_name);
  }
  conv->num_inputs = 3;
  conv->inputs = tsl_arena_memdup(graph->arena, inputs, sizeof(inputs));
  tsl_graph_replace_uses(graph, batch_norm->outputs[0], conv->outputs[0]);
  return true;
}

/* matmul(a, w) or gemm(a, w, c) with a 2-d product, then BatchNorm (channels on the product's
 * last axis): w and c take s, and the BatchNorm becomes an add of t. */
static bool fold_into_product(tsl_graph *graph, tsl_node *batch_norm, tsl_node *product) {
  tsl_value *weight = product->inputs[1];
  if (product->outputs[0]->type.rank != 2 || weight->type.rank != 2) return false;
  bool transposed = product->op == TSL_OP_gemm && tsl_node_attr(product, "trans_b")->i;
  const char *shift_name = tsl_arena_printf(graph->arena, "%s_shift", batch_norm->outputs[0]->name);
  channel_affine affine = affine_of(graph, batch_norm, shift_name);
  tsl_value *scale = along_axis(graph, affine.scale, 2, transposed ? 0 : 1, NULL);
  product->inputs[1] = binary(graph, TSL_OP_mul, weight, scale,
                              tsl_arena_printf(graph->arena, "%s_bn", weight->name));
  tsl_value *bias = product->num_inputs > 2 ? product->inputs[2] : NULL;
  if (bias) {
    product->inputs[2] = binary(graph, TSL_OP_mul, bias, affine.scale,
                                tsl_arena_printf(graph->arena, "%s_bn", bias->name));
  }
  tsl_value *inputs[] = {product->outputs[0], affine.shift};
  become(graph, batch_norm, TSL_OP_add, 2, inputs);
  return true;
}

/* BatchNorm on its own: y = x·s + t, s and t along axis 1. */
static void decompose(tsl_graph *graph, tsl_node *batch_norm) {
  tsl_value *x = batch_norm->inputs[0];
  const char *name = batch_norm->outputs[0]->name;
  channel_affine affine = affine_of(graph, batch_norm, NULL);
  tsl_value *scale = along_axis(graph, affine.scale, x->type.rank, 1,
                                tsl_arena_printf(graph->arena, "%s_scale", name));
  tsl_value *shift = along_axis(graph, affine.shift, x->type.rank, 1,
                                tsl_arena_printf(graph->arena, "%s_shift", name));
  tsl_value *scaled =
      binary(graph, TSL_OP_mul, x, scale, tsl_arena_printf(graph->arena, "%s_scaled", name));
  tsl_value *inputs[] = {scaled, shift};
  become(graph, batch_norm, TSL_OP_add, 2, inputs);
}

static void simplify_batch_norm(tsl_graph *graph, tsl_node *batch_norm, const int *uses) {
  tsl_node *producer = foldable_producer(batch_norm, uses);
  if (producer && (producer->op == TSL_OP_conv || producer->op == TSL_OP_conv_transpose) &&
      fold_into_conv(graph, batch_norm, producer)) {
    return;
  }
  if (producer && (producer->op == TSL_OP_matmul || producer->op == TSL_OP_gemm) &&
      fold_into_product(graph, batch_norm, producer)) {
    return;
  }
  if (one_dtype(batch_norm)) decompose(graph, batch_norm);
}

/* ---- Products with a constant operand given transposed ---- */

/* gemm(a, b) {trans_b=1} with b made of constants reads b transposed, element by element
 * against the vector lanes; gemm(a, transpose(b)), folded, reads it row by row. Likewise a. */
static void untranspose_constants(tsl_graph *graph, tsl_node *gemm, const bool *constant) {
  const char *flags[] = {"trans_a", "trans_b"};
  for (int i = 0; i < 2; i++) {
    tsl_value *operand = gemm->inputs[i];
    if (!tsl_node_attr(gemm, flags[i])->i || !constant[operand->id]) continue;
    tsl_node *transpose = build(graph, TSL_OP_transpose, 1, &operand,
                                tsl_arena_printf(graph->arena, "%s_t", operand->name));
    tsl_node_set_attr(graph, transpose, "perm", tsl_attr_ints(graph->arena, 2, (int64_t[]){1, 0}));
    gemm->inputs[i] = typed(transpose);
    tsl_node_set_attr(graph, gemm, flags[i], tsl_attr_int(0));
  }
}

static tsl_status run(tsl_graph *graph, const tsl_pass_options *options, tsl_error *error) {
  (void)options;
  (void)error;
  remove_no_ops(graph);
  int *uses = tsl_graph_use_counts(graph);
  int count = graph->num_nodes; /* the nodes built on the way are no BatchNorms */
  for (int n = 0; n < count; n++) {
    if (graph->nodes[n]->op == TSL_OP_batch_norm) simplify_batch_norm(graph, graph->nodes[n], uses);
  }
  free(uses);
  tsl_graph_sort(graph);
  bool *constant = tsl_graph_constant_values(graph);
  count = graph->num_nodes; /* nor are the transposes built on the way gemms */
  for (int n = 0; n < count; n++) {
    if (graph->nodes[n]->op == TSL_OP_gemm) untranspose_constants(graph, graph->nodes[n], constant);
  }
  free(constant);
  tsl_graph_sort(graph);
  tsl_graph_remove_unused(graph);
  return TSL_OK;
}

const tsl_graph_pass tsl_pass_simplify_inference = {
    .name = "simplify_inference",
    .summary = "fold BatchNorm into the convolution before it, drop no-op reshapes and "
               "transposes, transpose gemm's constant operands ahead of time",
    .run = run,
};
