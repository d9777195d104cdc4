/* Lowering: a graph becomes kernels (one TIR PrimFunc per operator call, from its compute rule)
 * and a plan (the calls in order, and where every tensor lives: inputs and outputs given by the
 * caller, constants in one blob, intermediates at offsets in one workspace that reuses memory
 * between tensors whose lifetimes do not overlap). */
#ifndef TSL_PASSES_LOWER_H
#define TSL_PASSES_LOWER_H

#include "ir/graph.h"
#include "ir/tir.h"
#include "runtime/plan.h"

typedef struct tsl_lowered {
  tsl_primfunc **funcs;
  int num_funcs;
  tsl_plan *plan;
  unsigned char *constants; /* plan->constant_bytes of them */
} tsl_lowered;

tsl_status tsl_lower(const tsl_graph *graph, tsl_lowered **lowered, tsl_error *error);
void tsl_lowered_free(tsl_lowered *lowered);

/* After the kernels' schedules: the constant arguments a schedule laid out again (a param's
 * packing, transform_layout) are packed, once, each call reading its packed copy (in place of
 * the original where no other call reads it); constants no call reads any more go. */
void tsl_lower_pack_constants(tsl_lowered *lowered);

/* The PrimFunc of one node (inputs as placeholders, its compute rule, loops and blocks). */
tsl_status tsl_lower_node(const tsl_node *node, const char *name, tsl_primfunc **func,
                          tsl_error *error);

#endif
