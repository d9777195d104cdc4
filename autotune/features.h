/* Features of a scheduled PrimFunc, what the cost model learns run time from: how much
 * arithmetic it does and how (in vector lanes, in parallel, unrolled, under conditions, and
 * under conditions inside vector loops, which stay scalar), and how it touches memory
 * (contiguously, broadcast or strided along the innermost loop; from local buffers or global
 * ones; with how much reuse), summed over its stores weighted by how often each runs. The
 * function is taken as lowered (tsl_tir_lower: unrolling and tails as code generation sees
 * them); the caller lowers it first. */
#ifndef TSL_AUTOTUNE_FEATURES_H
#define TSL_AUTOTUNE_FEATURES_H

#include "ir/tir.h"

enum { TSL_NUM_FEATURES = 22 };

void tsl_features(const tsl_primfunc *func, float features[TSL_NUM_FEATURES]);

#endif
