/* Traced schedules: a PrimFunc being scheduled together with the trace of every primitive and
 * sampling instruction applied to it (TVM's TracedSchedule). A trace is a program: replayed on
 * the same unscheduled function it makes the same scheduled function, and its sampling
 * decisions (tile factors, categorical choices) can be changed before a replay, which is what
 * a search mutates. It is stored as JSON; docs/tir.md ("Traces") describes the format.
 *
 * A step addresses blocks by name and a loop by a block it encloses and its place among that
 * block's loops (outermost 0), both resolved when the step runs; so a trace needs no handles,
 * and applies to any function that lowers to the same text. */
#ifndef TSL_PASSES_SCHEDULE_TRACE_H
#define TSL_PASSES_SCHEDULE_TRACE_H

#include <stdint.h>

#include "passes/schedule/schedule.h"

typedef struct tsl_trace tsl_trace;

enum { TSL_SCHEDULE_MAX_TILES = 8 };

/* A perfect tile sampled for a loop, which a split of the loop by its factors refers to. */
typedef struct tsl_sampled_tile {
  const tsl_stmt *loop; /* NULL once a split used it */
  int step, count;
  int64_t factors[TSL_SCH_MAX_LOOPS];
} tsl_sampled_tile;

/* A function being scheduled, its trace, and where sampling instructions take their
 * decisions from (in this order): the decision a replayed step recorded; the decision at the
 * same place in a followed trace, unless that place is to be redrawn or the decision does not
 * fit; a random draw, when seeded; the caller's heuristic. */
typedef struct tsl_schedule {
  tsl_primfunc *func;
  tsl_trace *trace;
  uint64_t random;         /* the generator's state; 0: decisions are not drawn */
  const tsl_trace *follow; /* NULL, or the trace whose decisions come first */
  int redraw;              /* the decision of `follow` drawn afresh instead; -1 none */
  int decisions;           /* sampling instructions run so far */
  const int64_t *replayed; /* the decision the step being replayed recorded */
  int tiles;               /* perfect tiles sampled so far; the latest are kept */
  tsl_sampled_tile tile[TSL_SCHEDULE_MAX_TILES];
  int categorical_step;      /* the latest categorical sample no annotation used yet, or -1 */
  int64_t categorical_value; /* the candidate it chose */
  int location_step;         /* the latest compute location sampled that no compute_at used yet,
                                or -1 */
  const tsl_stmt *location_block; /* its block */
  tsl_stmt *location_loop;        /* the loop it chose; NULL: where the block is (root) */
  const tsl_target *target;  /* what tensorize checks intrinsics against; NULL: none, refused */
} tsl_schedule;

/* A schedule of `func` with an empty trace and heuristic decisions. */
void tsl_schedule_init(tsl_schedule *sch, tsl_primfunc *func);
/* Draws the decisions at random from now on, from a generator seeded with `seed`. */
void tsl_schedule_seed(tsl_schedule *sch, uint64_t seed);
/* Takes the decisions of `trace`, in order, except the one numbered `redraw` (-1: none). */
void tsl_schedule_follow(tsl_schedule *sch, const tsl_trace *trace, int redraw);
/* Frees the trace (not the function). */
void tsl_schedule_release(tsl_schedule *sch);
/* The trace, now the caller's; the schedule keeps recording into a new one. */
tsl_trace *tsl_schedule_take_trace(tsl_schedule *sch);

/* The primitives of schedule.h, recorded. A step is recorded only when the primitive applies;
 * a primitive whose block or loop a trace cannot address (a block whose name another block
 * has too) is refused. */
tsl_status tsl_schedule_split(tsl_schedule *sch, tsl_stmt *loop, int count, const int64_t *factors,
                              tsl_stmt **loops, tsl_error *error);
tsl_status tsl_schedule_reorder(tsl_schedule *sch, int count, tsl_stmt *const *loops,
                                tsl_error *error);
tsl_status tsl_schedule_parallel(tsl_schedule *sch, tsl_stmt *loop, tsl_error *error);
tsl_status tsl_schedule_vectorize(tsl_schedule *sch, tsl_stmt *loop, tsl_error *error);
tsl_status tsl_schedule_unroll(tsl_schedule *sch, tsl_stmt *loop, tsl_error *error);
tsl_status tsl_schedule_decompose_reduction(tsl_schedule *sch, tsl_stmt *block, tsl_stmt *loop,
                                            tsl_stmt **init, tsl_error *error);
tsl_status tsl_schedule_cache_write_at(tsl_schedule *sch, tsl_stmt *block, tsl_stmt *loop,
                                       tsl_stmt **copy, tsl_error *error);
tsl_status tsl_schedule_reverse_compute_inline(tsl_schedule *sch, tsl_stmt *consumer,
                                               tsl_error *error);
tsl_status tsl_schedule_rfactor(tsl_schedule *sch, tsl_stmt *block, tsl_stmt *loop,
                                tsl_stmt **rf_block, tsl_error *error);
tsl_status tsl_schedule_fuse(tsl_schedule *sch, int count, tsl_stmt *const *loops, tsl_stmt **fused,
                             tsl_error *error);
tsl_status tsl_schedule_compute_inline(tsl_schedule *sch, tsl_stmt *block, tsl_error *error);
/* A block and loop that the latest sample_compute_location chose refer to that decision: also
 * a root decision, `loop` NULL, which leaves the block where it is. */
tsl_status tsl_schedule_compute_at(tsl_schedule *sch, tsl_stmt *block, tsl_stmt *loop,
                                   tsl_error *error);
tsl_status tsl_schedule_reverse_compute_at(tsl_schedule *sch, tsl_stmt *block, tsl_stmt *loop,
                                           tsl_error *error);
tsl_status tsl_schedule_cache_read(tsl_schedule *sch, tsl_stmt *block, tsl_buffer *buffer,
                                   tsl_stmt *loop, tsl_stmt **copy, tsl_error *error);
tsl_status tsl_schedule_transform_layout(tsl_schedule *sch, tsl_buffer *buffer, int count,
                                         const tsl_layout_axis *axes, tsl_error *error);
tsl_status tsl_schedule_storage_align(tsl_schedule *sch, tsl_stmt *block, tsl_buffer *buffer,
                                      int axis, int64_t factor, int64_t offset, tsl_error *error);
/* An annotation whose value the latest sample_categorical chose refers to that decision. */
tsl_status tsl_schedule_annotate(tsl_schedule *sch, tsl_stmt *loop, const char *key, int64_t value,
                                 tsl_error *error);

/* Tensorizes with the schedule's target (refused without one). */
tsl_status tsl_schedule_tensorize(tsl_schedule *sch, tsl_stmt *loop, const char *intrin_name,
                                  tsl_error *error);

/* Sampling instructions. */

/* Factors of `loop`'s constant extent, `count` of them, outermost first, whose product is the
 * extent and whose innermost is at most `max_innermost` (a perfect tiling, for a split). The
 * heuristic decision, when `heuristic` is not NULL, is those factors; without one it is the
 * largest innermost factor allowed, the rest 1 but the outermost. A split of `loop` by the
 * factors refers to this decision in the trace, so a changed decision changes the split. */
tsl_status tsl_schedule_sample_perfect_tile(tsl_schedule *sch, tsl_stmt *loop, int count,
                                            int64_t max_innermost, const int64_t *heuristic,
                                            int64_t *factors, tsl_error *error);

/* One of `count` candidates, with the given probabilities (NULL: each as likely); the
 * heuristic decision is candidate `heuristic`. The chosen candidate's index goes to *index. */
tsl_status tsl_schedule_sample_categorical(tsl_schedule *sch, int count, const int64_t *candidates,
                                           const double *probabilities, int heuristic, int *index,
                                           tsl_error *error);

/* Where `block`, a producer, runs (TVM's sample_compute_location): under one of the loops
 * around the first block that reads what it writes at which compute_at applies, outermost
 * first, or where it is (root). The decision is the loop's index among those candidates, -1
 * for root; the heuristic decision is `heuristic` where it is a candidate, else root; a random
 * draw takes each as likely. The loop goes to *loop, NULL for root; a compute_at of the block
 * at it refers to this decision, so a changed decision moves the block elsewhere. */
tsl_status tsl_schedule_sample_compute_location(tsl_schedule *sch, tsl_stmt *block,
                                                const tsl_stmt *heuristic, tsl_stmt **loop,
                                                tsl_error *error);

/* ---- traces ------------------------------------------------------------------------------ */

void tsl_trace_free(tsl_trace *trace);
/* Its steps, and of those its sampling instructions (decisions). */
int tsl_trace_length(const tsl_trace *trace);
int tsl_trace_decisions(const tsl_trace *trace);

/* The JSON text, one step a line (malloc'd). */
char *tsl_trace_to_json(const tsl_trace *trace);
/* Reads it back; `name` is used in messages. The steps are checked when replayed. */
tsl_status tsl_trace_from_json(const char *text, size_t length, const char *name, tsl_trace **trace,
                               tsl_error *error);

/* Applies the steps of `trace` to `sch` (recording them in its trace), each sampling step with
 * the decision it recorded. An error names the step that did not apply. */
tsl_status tsl_trace_replay(const tsl_trace *trace, tsl_schedule *sch, tsl_error *error);

/* Changes the decision of sampling step number `decision` (counted among the decisions) to
 * `values` (a perfect tile's factors, or a categorical's or a compute location's index as one
 * value). */
tsl_status tsl_trace_set_decision(tsl_trace *trace, int decision, int count, const int64_t *values,
                                  tsl_error *error);
/* The decision of sampling step number `decision`: its values (at most TSL_SCH_MAX_LOOPS) and
 * their count. */
int tsl_trace_decision(const tsl_trace *trace, int decision, int64_t *values);

/* The schedule of schedule.h's rules, recorded: tsl_default_schedule with a trace, whose
 * decisions come from `sch`'s sampling (heuristic, random, or followed). */
void tsl_schedule_rules(tsl_schedule *sch, const tsl_target *target);

#endif
