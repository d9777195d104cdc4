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

/* Simplifies every expression (indices, values, conditions, predicates, loop bounds, block
 * bindings and regions) with tsl_simplify, given the ranges of the loop and block variables
 * around it, and removes what that proves dead: blocks whose predicate is false (a predicate
 * proved true goes), the branch of an if not taken, loops that run no iteration. A loop of one
 * iteration becomes its body. */
void tsl_tir_simplify(tsl_primfunc *func);

/* Storage rewrite. Allocations move out of the serial and unrolled loops around them (and the
 * blocks, ifs and sequences in between) up to the nearest parallel or vectorized loop, or the
 * function, so that no heap buffer is allocated per iteration; then those placed together
 * whose uses (the statements they wrap that touch them) do not overlap share memory where
 * dtype and scope agree: one allocation of the largest, the others' accesses rewritten to it,
 * flattened to one index where the shapes differ. */
void tsl_tir_storage_rewrite(tsl_primfunc *func);

/* Unrolling and partitioning leave a tensorized loop (tsl_sch_tensorize) and what is in it as
 * they are. */

/* Every lowering pass, in order. */
void tsl_tir_lower(tsl_primfunc *func);

#endif
