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

/* Every lowering pass, in order. */
void tsl_tir_lower(tsl_primfunc *func);

#endif
