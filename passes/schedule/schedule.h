/* Schedule primitives: transformations of the loops around a PrimFunc's blocks that never change
 * what the function computes (TVM's tir.Schedule). Blocks and loops are addressed by their
 * statements; a primitive that moves loops moves the statements themselves, so a handle keeps
 * naming the same loop. Each primitive checks its preconditions and, when one fails, returns
 * an error that says which, leaving the function as it was. */
#ifndef TSL_PASSES_SCHEDULE_H
#define TSL_PASSES_SCHEDULE_H

#include "ir/tir.h"
#include "ir/target.h"

enum { TSL_SCH_MAX_LOOPS = 64 };

/* The block named `name`; NULL when there is none. */
tsl_stmt *tsl_sch_get_block(tsl_primfunc *func, const char *name);

/* The loops around `block`, outermost first (at most TSL_SCH_MAX_LOOPS); their count. */
int tsl_sch_get_loops(tsl_primfunc *func, const tsl_stmt *block, tsl_stmt **loops);

/* The first block, in the function's order, other than `block` that reads the buffer `block`
 * writes (its first write region's); NULL when there is none (the first of TVM's
 * get_consumers). */
tsl_stmt *tsl_sch_get_consumer(tsl_primfunc *func, const tsl_stmt *block);

/* Splits a loop of constant extent that starts at 0 into `count` nested loops with the given
 * extents, outermost first, whose product is at least the extent (one of them may be -1: the
 * extent divided by the others, rounded up). Where the product passes the extent, the blocks
 * below get the predicate `index < extent` (the index in the new loops), so the function
 * computes the same: every statement below must then be inside a block. `loop` stays the
 * outermost; the loops go to `loops` when not NULL. The new loops are serial. */
tsl_status tsl_sch_split(tsl_primfunc *func, tsl_stmt *loop, int count, const int64_t *factors,
                         tsl_stmt **loops, tsl_error *error);

/* Puts the given loops, which must be nested one directly inside another between the outermost
 * and the innermost of them, in the given order (outermost first); loops between them that are
 * not given keep their places. */
tsl_status tsl_sch_reorder(tsl_primfunc *func, int count, tsl_stmt *const *loops,
                           tsl_error *error);

/* Fuses loops nested directly one in another (outermost first), each running from 0 to a
 * constant, into one loop over the product of their extents, named after them with "_fused";
 * the variable of each is the fused one divided by the extents inside it, modulo its own
 * extent. The outermost loop's statement becomes the fused loop (serial) and goes to *fused
 * when not NULL. */
tsl_status tsl_sch_fuse(tsl_primfunc *func, int count, tsl_stmt *const *loops, tsl_stmt **fused,
                        tsl_error *error);

/* Loop kinds. A parallel or vectorized loop may bind only spatial block variables (its
 * iterations write different outputs); vectorized and unrolled loops need a constant extent. */
tsl_status tsl_sch_parallel(tsl_primfunc *func, tsl_stmt *loop, tsl_error *error);
tsl_status tsl_sch_vectorize(tsl_primfunc *func, tsl_stmt *loop, tsl_error *error);
tsl_status tsl_sch_unroll(tsl_primfunc *func, tsl_stmt *loop, tsl_error *error);

/* Sets an annotation of a loop, which lowering after the schedule acts on. The one there is:
 * "unroll_max" N, the loops inside this one that run at most N iterations in all (a loop
 * times everything inside it) are unrolled (passes/tir); 0 removes it. */
tsl_status tsl_sch_annotate(tsl_primfunc *func, tsl_stmt *loop, const char *key, int64_t value,
                            tsl_error *error);

/* Moves a reduction block's init out of its loops into a block of its own, run just before
 * `loop` (one of the block's loops) in loops copied from those below `loop` that bind the
 * block's spatial variables, with the parts of the block's predicate in loops that are not
 * reduction loops below `loop` (a part may not use both). The new block, named after the block
 * with "_init", goes to *init when not NULL. */
tsl_status tsl_sch_decompose_reduction(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                                       tsl_stmt **init, tsl_error *error);

/* Makes what `block` writes during one iteration of `loop` (one of its loops) go to a local
 * buffer allocated inside `loop` (registers, once code generation has unrolled and vectorised
 * the loops that index it), copied to the block's buffer at the end of the iteration: TVM's
 * cache_write followed by reverse_compute_at. Every block below `loop` that writes the buffer
 * (a reduction's init block too) moves to the local buffer; its indices must be affine in the
 * loops, with each axis indexed by at most one loop below `loop`, with a step of one. The copy
 * runs where the block's predicate held: its parts in the loops outside and in those that index
 * the tile (a part in loops inside that only reduce goes; any other is refused). Where the block
 * adds to what is in the buffer at the start of an iteration (a reduction loop of the block runs
 * outside `loop`, or its init does), the tile is first filled from the buffer, where the copy
 * runs, by a block named after the buffer with "_read". The copy block, named after the buffer
 * with "_write", goes to *copy when not NULL. */
tsl_status tsl_sch_cache_write_at(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                                  tsl_stmt **copy, tsl_error *error);

/* Replaces every load of the buffer `block` writes by the block's value at the load's indices,
 * and removes the block, its loops and the buffer's allocation: TVM's compute_inline. The block
 * must be spatial, its body one store at its variables in order, over the buffer's whole shape;
 * the buffer must be allocated by the function (not a parameter) and written by no other block;
 * the value must use no variables but the block's, not read the buffer, and read only buffers
 * in scope at every block that reads the buffer, whose writers have finished before the
 * block's loops start (in an earlier statement of a sequence that no loop runs around). The
 * block's loops must be a statement of a sequence. */
tsl_status tsl_sch_compute_inline(tsl_primfunc *func, tsl_stmt *block, tsl_error *error);

/* Moves the computation of `consumer`, an elementwise block, into the block that produces what
 * it reads: TVM's reverse_compute_inline. The consumer must be spatial, store at its variables
 * in order, and read exactly one buffer that another block writes, at its variables only, over
 * that buffer's whole shape, the same as its output's. That buffer must not be a parameter; one
 * spatial block whose body is a store, the producer, writes it, in a statement of a sequence
 * before the consumer's loops, and no other block reads it; no block in between may use the
 * consumer's output. The producer's store `buffer[indices] = value` becomes the consumer's
 * store at `indices`, its loads of the buffer replaced by `value`; the consumer's loops and
 * the buffer's allocation go. */
tsl_status tsl_sch_reverse_compute_inline(tsl_primfunc *func, tsl_stmt *consumer,
                                          tsl_error *error);

/* Moves `block`, a producer, under `loop`, a loop around the blocks that read what it writes,
 * to the start of the loop's body, computing in each iteration only what the blocks below the
 * loop read of its buffer then: TVM's compute_at. The block writes one buffer, allocated by
 * the function, that no other block writes and only blocks below the loop read, at its
 * spatial variables in order over the buffer's shape; its loops, a statement of a sequence
 * that holds the loop in a later statement, bind its variables one to one over their domains.
 * The readers' indices, with their bindings in place of their variables, must be affine in the
 * loops, and along each axis move the same way with the loops outside `loop` (inside, the
 * loops' constant ranges bound them); the part read must stay inside the buffer. No block
 * between the block's loops and the loop may write a buffer the block reads, and no loop from
 * the sequence down to `loop` may be parallel or vectorized. A reduction moves only where
 * the iterations of those loops compute disjoint parts of its buffer. The block's loops move
 * with it: those of its spatial variables run over the part's extent, each variable bound to
 * the part's start plus its loop's variable; its predicate may not use them. Where a block
 * below the loop has a predicate, the part may pass the buffer's edge: the block then gets the
 * predicate that keeps it inside. */
tsl_status tsl_sch_compute_at(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                              tsl_error *error);

/* Whether tsl_sch_compute_at(func, block, loop) would apply; the function stays as it is (what
 * the check builds stays in its arena). */
bool tsl_sch_can_compute_at(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop);

/* Moves `block`, a spatial consumer, under `loop`, a loop around the block that writes what it
 * reads, to the end of the loop's body, computing in each iteration what depends on what that
 * iteration produced: TVM's reverse_compute_at. The block reads exactly one buffer that a block
 * below the loop writes, at its variables in order over the buffer's shape; that producer, the
 * buffer's only writer, writes it at its spatial variables in order over its shape, with
 * affine indices in the loops, and reduces over no loop at or around `loop`. The block's loops
 * are a statement of a sequence that holds the loop in an earlier statement and bind its
 * variables one to one; no block from the loop's statement up to the block's may write what
 * the block reads or use what it writes, and no loop from the sequence down to `loop` may be
 * parallel or vectorized. The block's loops move with it, over the part produced; its
 * predicate may not use them. Where the producer has a predicate, the part may pass the
 * buffer's edge: the block then gets the predicate that keeps it inside. */
tsl_status tsl_sch_reverse_compute_at(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                                      tsl_error *error);

/* Copies the part of `buffer` that `block` reads during one iteration of `loop` (one of its
 * loops) into a local buffer allocated inside the loop, named after the buffer with "_local",
 * before the loop's body, and makes the block read the copy: TVM's cache_read followed by
 * compute_at, as packing a tile of a matrix product's operand needs. The block's indices of
 * the buffer, with its bindings in place of its variables, must be affine in the loops and
 * move the same way with the loops outside `loop`; no block below the loop may write the
 * buffer, nor may it be allocated there. The part must stay inside the buffer, or else the
 * block have a predicate: the copy then runs only inside the buffer. The copy block, named
 * after the buffer with "_read", goes to *copy when not NULL. */
tsl_status tsl_sch_cache_read(tsl_primfunc *func, tsl_stmt *block, tsl_buffer *buffer,
                              tsl_stmt *loop, tsl_stmt **copy, tsl_error *error);

/* Splits a reduction over one of its loops into partial results, one for each value of that
 * loop's variable, and their reduction: TVM's rfactor. `block` reduces with an init and its
 * body is `buffer[I] = combine(buffer[I], value)` with a sum, product, max or min (the
 * accumulator on either side); `loop`, of constant range, binds one of its reduction
 * variables (typically the inner loop of a split of the reduced axis). The loops from the
 * outermost that binds a reduction variable down to the block must be nested directly, bind
 * reduction variables only and have constant ranges. There a local buffer `<buffer>_rf` of the
 * loop's extent is allocated; the loops run a new block, named after the block with "_rf", that
 * folds the value into rf[the loop's variable], a spatial variable of it, starting from the
 * reducer's identity; then `block`, in a loop of its own over rf, folds rf's elements into the
 * buffer after its init. The block's predicate may not use the reduction loops; the rf block
 * gets it too. The rf block goes to *rf_block when not NULL. */
tsl_status tsl_sch_rfactor(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                           tsl_stmt **rf_block, tsl_error *error);

/* Lays the elements of `buffer`, a parameter the function only reads, out again: the buffer
 * becomes the packing of its elements that `axes` describe (ir/tir.h, tsl_packing: each axis
 * of the original held whole, or split into an outer and an inner part by a factor; the outer
 * part rounded up, padded with zeros), and every load of it reads there (the index divided by
 * the factor, and its remainder). What the function computes is the same, given its argument
 * packed so: the function records the packing (func->packing), which the compiler applies to
 * a constant weight once, at compile time (TVM's transform_layout with a layout-free buffer).
 * Refused for a buffer the function writes, one packed already, or axes that do not hold
 * each original axis once. */
tsl_status tsl_sch_transform_layout(tsl_primfunc *func, tsl_buffer *buffer, int count,
                                    const tsl_layout_axis *axes, tsl_error *error);

/* Pads the layout of `buffer`, which `block` writes and the function allocates (a parameter's
 * layout is the caller's), so that the stride of axis `axis` is the smallest at least the span
 * of the axes inside it with stride % factor == offset: TVM's storage_align, as keeping the
 * rows of a tile from mapping to the same cache sets needs. The strides of the axes inside
 * stay; those outside are packed around it. The axis may not be the last (its elements are
 * contiguous; aligning it would spread them apart), nor may an axis outside it be padded
 * already (align the inner axes first); 0 <= offset < factor. Addressing and the allocation's
 * size follow the strides (tsl_buffer_elements). */
tsl_status tsl_sch_storage_align(tsl_primfunc *func, tsl_stmt *block, tsl_buffer *buffer, int axis,
                                 int64_t factor, int64_t offset, tsl_error *error);

/* Marks `loop` tensorized("<intrinsic>"): the code generator puts the intrinsic named
 * `intrin_name` (ir/intrin.h) in place of the nest rooted at the loop, which must
 * be exactly the intrinsic's: two serial loops from 0 of its extents nested directly around one
 * block without init or predicate whose body is its multiply-accumulate, with its operands'
 * dtypes and strides; and the target must have it. The nest stays, saying what it computes;
 * lowering (passes/tir) leaves it alone. */
tsl_status tsl_sch_tensorize(tsl_primfunc *func, tsl_stmt *loop, const char *intrin_name,
                             const tsl_target *target, tsl_error *error);

/* The schedule every kernel gets without tuning: the rules of passes/schedule/rules.c with
 * decisions from the target (its vector width and cores). */
void tsl_default_schedule(tsl_primfunc *func, const tsl_target *target);

#endif
