/* Work estimates of operator calls, for statistics and (later) the tuner's task weights. */
#ifndef TSL_IR_OPS_COST_H
#define TSL_IR_OPS_COST_H

#include "ir/graph.h"

/* Multiply-accumulates of a convolution (conv, conv_transpose, deform_conv,
 * causal_conv_with_state), a product (matmul, gemm) or a quantised form of them; 0 for every
 * other operator. */
int64_t tsl_node_macs(const tsl_node *node);

#endif
