/* Reference evaluation of operator calls on constant data, on the host, element by element.
 *
 * It is what lets the importer resolve shape computations (Shape → Gather → Concat → Reshape)
 * without a code generator: slow and simple, meant for small tensors. Constant folding of
 * whole graphs goes through the compiler's own JIT instead (DESIGN.md). */
#ifndef TSL_IR_OPS_EVAL_H
#define TSL_IR_OPS_EVAL_H

#include "ir/graph.h"

bool tsl_op_can_eval(tsl_op_kind op);

/* Computes every output of `node` (whose inputs are all constants with data) into new data;
 * false with a message when the values cannot be computed (an index out of range …). */
bool tsl_op_eval(const tsl_node *node, tsl_tensor_data **outputs, char *message, size_t size);

#endif
