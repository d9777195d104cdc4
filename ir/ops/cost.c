/* Work estimates of operator calls. */
#include "ir/ops/cost.h"

static int64_t product(const int64_t *dims, int count) {
  int64_t result = 1;
  for (int i = 0; i < count; i++) result *= dims[i];
  return result;
}

/* Output elements × the weight elements each one reads (C_in/groups × kernel). */
static int64_t conv_macs(const tsl_node *node, int weight) {
  const tsl_type *w = &node->inputs[weight]->type;
  return tsl_type_elements(&node->outputs[0]->type) * product(w->dims + 1, w->rank - 1);
}

/* Output elements × the length of the contracted axis. */
static int64_t matmul_macs(const tsl_node *node, int a, bool transposed) {
  const tsl_type *type = &node->inputs[a]->type;
  int64_t k = type->rank == 0 ? 1 : transposed ? type->dims[type->rank - 2]
                                              : type->dims[type->rank - 1];
  return tsl_type_elements(&node->outputs[0]->type) * k;
}

int64_t tsl_node_macs(const tsl_node *node) {
  switch (node->op) {
  case TSL_OP_conv:
  case TSL_OP_conv_integer:
  case TSL_OP_deform_conv:
  case TSL_OP_causal_conv_with_state: return conv_macs(node, 1);
  case TSL_OP_qlinear_conv: return conv_macs(node, 3);
  case TSL_OP_conv_transpose: {
    /* Every input element is multiplied into C_out/groups × kernel outputs. */
    const tsl_type *w = &node->inputs[1]->type;
    return tsl_type_elements(&node->inputs[0]->type) * product(w->dims + 1, w->rank - 1);
  }
  case TSL_OP_matmul:
  case TSL_OP_matmul_integer: return matmul_macs(node, 0, false);
  case TSL_OP_qlinear_matmul: return matmul_macs(node, 0, false);
  case TSL_OP_gemm: return matmul_macs(node, 0, tsl_node_attr(node, "trans_a")->i != 0);
  default: return 0;
  }
}
