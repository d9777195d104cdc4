/* Tensor intrinsics: instructions that do the work of a small loop nest at once, which
 * tsl_sch_tensorize puts in place of a nest that computes exactly what they do. Each is a
 * table entry that describes the nest it replaces; the code generator emits it.
 *
 * The intrinsics there are are dot products of groups of `depth` 8-bit values accumulated in
 * `lanes` 32-bit lanes. The nest is two loops, each from 0, directly one in the other:
 *
 *   for %i in 0..lanes {          the marked loop: spatial, one output lane per iteration
 *     for %k in 0..depth {        reduction
 *       block [...] { %c[..] = (%c[..] + (i32(%a[..]) * i32(%b[..]))) }
 *     }
 *   }
 *
 * where the block has no init and no predicate, the sum and the product may have their
 * operands either way round, and the element each buffer's index reaches moves by a constant
 * number of elements (a stride) per step of %i and of %k: c by (1, 0), a and b as the table
 * says (a: the same `depth` values for every lane; b: `depth` values a lane, one after
 * another). */
#ifndef TSL_IR_INTRIN_H
#define TSL_IR_INTRIN_H

#include "ir/target.h"
#include "ir/tir.h"

/* One multiplicand: its dtype and its strides along the lane loop and the reduction loop. */
typedef struct tsl_intrin_operand {
  tsl_dtype dtype;
  int64_t lane_stride, reduce_stride;
} tsl_intrin_operand;

typedef struct tsl_intrin {
  const char *name;
  const char *arch; /* the target triple's architecture */
  /* The target must have every feature (LLVM's, space separated) of one of these; NULL ends. */
  const char *features[3];
  int64_t lanes, depth;    /* extents of the lane loop and the reduction loop */
  tsl_dtype accumulator;   /* c's */
  tsl_intrin_operand a, b; /* the intrinsic's first and second multiplicand */
  const char *llvm;        /* the LLVM intrinsic: (accumulator, a, b) -> accumulator */
  int operand_bits;        /* the element width of its multiplicand vectors */
} tsl_intrin;

/* The intrinsic named `name`; NULL when there is none. */
const tsl_intrin *tsl_intrin_get(const char *name);
/* Every intrinsic: the table and its length. */
const tsl_intrin *tsl_intrin_table(int *count);
/* Whether the target has it. */
bool tsl_intrin_available(const tsl_intrin *intrin, const tsl_target *target);

/* What a matched nest reads and writes: c's store (whose indices and buffer are also the
 * accumulator's load) and the loads of the intrinsic's a and b. */
typedef struct tsl_intrin_match {
  const tsl_stmt *block, *store;
  const tsl_expr *a, *b;
} tsl_intrin_match;

/* Whether `block`, run in a loop over `lane` around a loop over `reduce` (of the intrinsic's
 * extents), computes what the intrinsic does; if not, an error that says why (without the
 * primitive's name). */
tsl_status tsl_intrin_match_block(const tsl_intrin *intrin, const tsl_stmt *block,
                                  const tsl_var *lane, const tsl_var *reduce,
                                  tsl_intrin_match *match, tsl_error *error);

/* Whether the nest rooted at `loop` is the intrinsic's (header comment), serial loops, and
 * the target has it. */
tsl_status tsl_intrin_match_nest(const tsl_intrin *intrin, const tsl_stmt *loop,
                                 const tsl_target *target, tsl_intrin_match *match,
                                 tsl_error *error);

#endif
