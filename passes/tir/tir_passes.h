/* Lowering after the schedule: what the schedule's annotations ask for, done on the TIR before
 * code generation. Every way a kernel is scheduled (the default rules, a tuning record, a
 * candidate being measured) ends with tsl_tir_lower. */
#ifndef TSL_PASSES_TIR_H
#define TSL_PASSES_TIR_H

#include "ir/tir.h"

/* Unrolls, under each loop annotated unroll_max=N, the outermost serial loops of constant range
 * that run at most N iterations in all (the loop's extent times what runs inside it), with
 * every serial loop inside them; the annotations go. */
void tsl_tir_unroll(tsl_primfunc *func);

/* Partitions loops for the tails of splits that do not divide their loops. A loop whose
 * blocks have a predicate that holds on every iteration but its last runs those iterations
 * without it, followed by a copy of its body for the last one (blocks named with "_tail");
 * a loop whose blocks all run only on its first n iterations runs n; parts of predicates that
 * the ranges of the loops around prove go. */
void tsl_tir_partition_tails(tsl_primfunc *func);

/* Both passes leave a tensorized loop (tsl_sch_tensorize) and what is in it as they are. */

/* Every lowering pass, in order. */
void tsl_tir_lower(tsl_primfunc *func);

#endif
