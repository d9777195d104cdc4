/* Compute rules: what each operator computes, as tensor expressions (ir/te.h). A rule gets the
 * placeholders of the call's inputs and builds its outputs; passes/lower turns them into a
 * PrimFunc. The rules are listed in op_table.h beside the type rules; this header declares
 * them and what they share. */
#ifndef TSL_IR_OPS_COMPUTE_H
#define TSL_IR_OPS_COMPUTE_H

#include "ir/ops/op.h"
#include "ir/te.h"

typedef struct tsl_compute_call {
  const tsl_op_def *op;
  const tsl_attr *attrs;
  tsl_te_program *program;
  tsl_te_tensor *const *inputs; /* NULL for an absent optional input */
  int num_inputs;
  const tsl_type *output_types; /* as the type rule gave them */
  int num_outputs;
  tsl_te_tensor **outputs; /* filled by the rule */
  char *message;
  size_t message_size;
} tsl_compute_call;

/* One declaration per rule named in op_table.h (`none` is never defined: registry.c reads it
 * as NULL). */
#define X(name, pattern, inputs, outputs, rule, compute, attrs, doc) \
  bool tsl_compute_##compute(tsl_compute_call *call);
TSL_OP_TABLE(X)
#undef X

/* ---- what rules share -------------------------------------------------------------------- */

bool compute_fail(tsl_compute_call *call, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
const tsl_attr *compute_attr(const tsl_compute_call *call, const char *name);

/* A new compute tensor for output `index`, named after the operator. */
tsl_te_tensor *compute_output(tsl_compute_call *call, int index);

/* input[indices], where `indices` index the broadcast shape of rank `rank`: axes the input
 * lacks are dropped from the front, axes of size 1 read index 0 (numpy broadcasting). */
tsl_expr *compute_read_broadcast(tsl_compute_call *call, const tsl_te_tensor *input, int rank,
                                 tsl_expr *const *indices);

/* The output's axis variables as expressions. */
void compute_axes(tsl_compute_call *call, const tsl_te_tensor *tensor, tsl_expr **indices);

#endif
