/* Passes over TIR PrimFuncs. */
#ifndef TSL_PASSES_TIR_H
#define TSL_PASSES_TIR_H

#include "ir/tir.h"

/* The schedule every kernel gets until the schedule rules (and tuning) exist. In each loop nest
 * around a block: a reduction whose innermost output axis is contiguous runs that axis below
 * its reduction loops (same results, vectorisable), and one spatial loop runs in parallel, the
 * outermost with enough iterations to share, when the nest does enough work to pay for the
 * threads. */
void tsl_default_schedule(tsl_primfunc *func);

#endif
