/* Passes over TIR PrimFuncs. */
#ifndef TSL_PASSES_TIR_H
#define TSL_PASSES_TIR_H

#include "ir/tir.h"

/* The schedule every kernel gets until the schedule rules (and tuning) exist: in each loop
 * nest around a block, one spatial loop runs in parallel, the outermost with enough iterations
 * to share, when the nest does enough work to pay for the threads. */
void tsl_default_schedule(tsl_primfunc *func);

#endif
