/* Traced schedules and their JSON (trace.h). A trace is a JSON array of steps, each an object
 * with the instruction's name ("op"), its arguments and, for a sampling instruction, its
 * decision: jansson's values are the trace itself, so what is recorded is what is written and
 * what a search edits. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"
#include "ir/error.h"
#include "passes/schedule/trace.h"

enum { FORMAT_VERSION = 1 };

struct tsl_trace {
  json_t *steps;
};

static tsl_trace *trace_new(void) {
  tsl_trace *trace = malloc(sizeof(*trace));
  TSL_CHECK_ALLOC(trace);
  trace->steps = json_array();
  TSL_CHECK_ALLOC(trace->steps);
  return trace;
}

void tsl_trace_free(tsl_trace *trace) {
  if (!trace) return;
  json_decref(trace->steps);
  free(trace);
}

static bool is_sampling(const json_t *step) {
  const char *op = json_string_value(json_object_get(step, "op"));
  return op && strncmp(op, "sample_", 7) == 0;
}

int tsl_trace_length(const tsl_trace *trace) { return (int)json_array_size(trace->steps); }

int tsl_trace_decisions(const tsl_trace *trace) {
  int count = 0;
  for (size_t i = 0; i < json_array_size(trace->steps); i++)
    count += is_sampling(json_array_get(trace->steps, i));
  return count;
}

/* The sampling step numbered `decision`; NULL when there is none. */
static json_t *decision_step(const tsl_trace *trace, int decision) {
  for (size_t i = 0; i < json_array_size(trace->steps); i++) {
    json_t *step = json_array_get(trace->steps, i);
    if (is_sampling(step) && decision-- == 0) return step;
  }
  return NULL;
}

/* ---- the schedule ------------------------------------------------------------------------ */

void tsl_schedule_init(tsl_schedule *sch, tsl_primfunc *func) {
  memset(sch, 0, sizeof(*sch));
  sch->func = func;
  sch->trace = trace_new();
  sch->redraw = -1;
  sch->categorical_step = -1;
  sch->location_step = -1;
}

void tsl_schedule_seed(tsl_schedule *sch, uint64_t seed) {
  sch->random = seed * 0x9e3779b97f4a7c15ull | 1;
}

void tsl_schedule_follow(tsl_schedule *sch, const tsl_trace *trace, int redraw) {
  sch->follow = trace;
  sch->redraw = redraw;
}

void tsl_schedule_release(tsl_schedule *sch) {
  tsl_trace_free(sch->trace);
  sch->trace = NULL;
}

tsl_trace *tsl_schedule_take_trace(tsl_schedule *sch) {
  tsl_trace *trace = sch->trace;
  sch->trace = trace_new();
  sch->tiles = 0;
  sch->categorical_step = -1;
  sch->location_step = -1;
  return trace;
}

/* xorshift64*: uniform enough for choosing among tilings, and the same on every machine. */
static uint64_t next_random(tsl_schedule *sch) {
  sch->random ^= sch->random >> 12;
  sch->random ^= sch->random << 25;
  sch->random ^= sch->random >> 27;
  return sch->random * 0x2545f4914f6cdd1dull;
}

/* ---- addressing blocks and loops --------------------------------------------------------- */

static bool is_block(const tsl_stmt *stmt, const void *key) {
  (void)key;
  return stmt->kind == TSL_STMT_BLOCK;
}

typedef struct name_count {
  const char *name;
  int count;
} name_count;

static void count_name(tsl_stmt *stmt, void *context) {
  name_count *names = context;
  if (stmt->kind == TSL_STMT_BLOCK && strcmp(stmt->block.name, names->name) == 0) names->count++;
}

static tsl_status block_address(tsl_schedule *sch, const char *op, const tsl_stmt *block,
                                json_t **address, tsl_error *error) {
  if (!block || block->kind != TSL_STMT_BLOCK) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: not a block of function '%s'", op,
                    sch->func->name);
  }
  name_count names = {block->block.name, 0};
  tsl_stmt_walk(sch->func->body, count_name, &names);
  if (names.count != 1) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "%s: %d blocks are named '%s', so a trace cannot tell them apart", op,
                    names.count, block->block.name);
  }
  *address = json_string(block->block.name);
  return TSL_OK;
}

static bool is_this(const tsl_stmt *stmt, const void *key) { return stmt == key; }

/* A loop as [block, place]: a block it encloses (`near`, the step's block, when it does; else
 * the first) and its place among that block's loops. */
static tsl_status loop_address(tsl_schedule *sch, const char *op, tsl_stmt *loop,
                               const tsl_stmt *near, json_t **address, tsl_error *error) {
  tsl_stmt *block = NULL;
  if (loop && loop->kind == TSL_STMT_FOR) {
    block = near ? tsl_stmt_find(loop->loop.body, is_this, near) : NULL;
    if (!block) block = tsl_stmt_find(loop->loop.body, is_block, NULL);
  }
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  int depth = block ? tsl_sch_get_loops(sch->func, block, loops) : 0, place = -1;
  for (int i = 0; i < depth; i++) {
    if (loops[i] == loop) place = i;
  }
  if (place < 0) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: not a loop around a block of function '%s'", op,
                    sch->func->name);
  }
  json_t *name;
  tsl_status status = block_address(sch, op, block, &name, error);
  if (status) return status;
  *address = json_pack("[o, i]", name, place);
  return TSL_OK;
}

/* ---- recording --------------------------------------------------------------------------- */

/* A step being recorded: its JSON, and the first failure while its arguments were added. */
typedef struct recording {
  tsl_schedule *sch;
  json_t *step;
  const tsl_stmt *block; /* the step's block, by which its loops are addressed when it can */
  tsl_status status;
  tsl_error *error;
} recording;

static recording record(tsl_schedule *sch, const char *op, tsl_error *error) {
  recording r = {sch, json_pack("{s:s}", "op", op), NULL, TSL_OK, error};
  TSL_CHECK_ALLOC(r.step);
  return r;
}

static void add(recording *r, const char *key, json_t *value) {
  TSL_CHECK_ALLOC(value);
  json_object_set_new(r->step, key, value);
}

static void add_block(recording *r, const char *key, const tsl_stmt *block) {
  json_t *address;
  const char *op = json_string_value(json_object_get(r->step, "op"));
  if (r->status) return;
  r->status = block_address(r->sch, op, block, &address, r->error);
  if (!r->status) add(r, key, address);
  r->block = block;
}

static void add_loop(recording *r, const char *key, tsl_stmt *loop) {
  json_t *address;
  const char *op = json_string_value(json_object_get(r->step, "op"));
  if (r->status) return;
  r->status = loop_address(r->sch, op, loop, r->block, &address, r->error);
  if (!r->status) add(r, key, address);
}

static void add_loops(recording *r, const char *key, int count, tsl_stmt *const *loops) {
  json_t *addresses = json_array();
  const char *op = json_string_value(json_object_get(r->step, "op"));
  for (int i = 0; i < count && !r->status; i++) {
    json_t *address;
    r->status = loop_address(r->sch, op, loops[i], NULL, &address, r->error);
    if (!r->status) json_array_append_new(addresses, address);
  }
  add(r, key, addresses);
}

static json_t *integers(int count, const int64_t *values) {
  json_t *array = json_array();
  TSL_CHECK_ALLOC(array);
  for (int i = 0; i < count; i++) json_array_append_new(array, json_integer(values[i]));
  return array;
}

/* Ends a step: recorded when the primitive applied (`status`, which it returns), dropped
 * otherwise. */
static tsl_status finish(recording *r, tsl_status status) {
  if (status == TSL_OK) {
    json_array_append_new(r->sch->trace->steps, r->step);
  } else {
    json_decref(r->step);
  }
  return status;
}

/* ---- recorded primitives ----------------------------------------------------------------- */

tsl_status tsl_schedule_split(tsl_schedule *sch, tsl_stmt *loop, int count, const int64_t *factors,
                              tsl_stmt **loops, tsl_error *error) {
  recording r = record(sch, "split", error);
  add_loop(&r, "loop", loop);
  if (r.status) return finish(&r, r.status);
  /* Factors that a perfect tile of this loop sampled refer to that decision. */
  json_t *from = NULL;
  tsl_sampled_tile *used = NULL;
  for (int t = sch->tiles - 1; t >= 0 && t >= sch->tiles - TSL_SCHEDULE_MAX_TILES; t--) {
    tsl_sampled_tile *tile = &sch->tile[t % TSL_SCHEDULE_MAX_TILES];
    if (tile->loop == loop && tile->count == count &&
        memcmp(tile->factors, factors, sizeof(int64_t) * (size_t)count) == 0) {
      from = json_pack("{s:i}", "sample", tile->step);
      used = tile;
      break;
    }
  }
  add(&r, "factors", from ? from : integers(count, factors));
  tsl_status status = tsl_sch_split(sch->func, loop, count, factors, loops, error);
  if (!status && used) used->loop = NULL;
  return finish(&r, status);
}

tsl_status tsl_schedule_reorder(tsl_schedule *sch, int count, tsl_stmt *const *loops,
                                tsl_error *error) {
  recording r = record(sch, "reorder", error);
  add_loops(&r, "loops", count, loops);
  if (r.status) return finish(&r, r.status);
  return finish(&r, tsl_sch_reorder(sch->func, count, loops, error));
}

typedef tsl_status (*loop_primitive)(tsl_primfunc *func, tsl_stmt *loop, tsl_error *error);

static tsl_status loop_step(tsl_schedule *sch, const char *op, loop_primitive apply, tsl_stmt *loop,
                            tsl_error *error) {
  recording r = record(sch, op, error);
  add_loop(&r, "loop", loop);
  return finish(&r, r.status ? r.status : apply(sch->func, loop, error));
}

tsl_status tsl_schedule_parallel(tsl_schedule *sch, tsl_stmt *loop, tsl_error *error) {
  return loop_step(sch, "parallel", tsl_sch_parallel, loop, error);
}

tsl_status tsl_schedule_vectorize(tsl_schedule *sch, tsl_stmt *loop, tsl_error *error) {
  return loop_step(sch, "vectorize", tsl_sch_vectorize, loop, error);
}

tsl_status tsl_schedule_unroll(tsl_schedule *sch, tsl_stmt *loop, tsl_error *error) {
  return loop_step(sch, "unroll", tsl_sch_unroll, loop, error);
}

/* The primitives that act on a block at one of its loops and make a statement. */
typedef tsl_status (*block_loop_primitive)(tsl_primfunc *func, tsl_stmt *block, tsl_stmt *loop,
                                           tsl_stmt **made, tsl_error *error);

static tsl_status block_loop_step(tsl_schedule *sch, const char *op, block_loop_primitive apply,
                                  tsl_stmt *block, tsl_stmt *loop, tsl_stmt **made,
                                  tsl_error *error) {
  recording r = record(sch, op, error);
  add_block(&r, "block", block);
  add_loop(&r, "loop", loop);
  return finish(&r, r.status ? r.status : apply(sch->func, block, loop, made, error));
}

tsl_status tsl_schedule_decompose_reduction(tsl_schedule *sch, tsl_stmt *block, tsl_stmt *loop,
                                            tsl_stmt **init, tsl_error *error) {
  return block_loop_step(sch, "decompose_reduction", tsl_sch_decompose_reduction, block, loop, init,
                         error);
}

tsl_status tsl_schedule_cache_write_at(tsl_schedule *sch, tsl_stmt *block, tsl_stmt *loop,
                                       tsl_stmt **copy, tsl_error *error) {
  return block_loop_step(sch, "cache_write_at", tsl_sch_cache_write_at, block, loop, copy, error);
}

tsl_status tsl_schedule_reverse_compute_inline(tsl_schedule *sch, tsl_stmt *consumer,
                                               tsl_error *error) {
  recording r = record(sch, "reverse_compute_inline", error);
  add_block(&r, "block", consumer);
  if (r.status) return finish(&r, r.status);
  return finish(&r, tsl_sch_reverse_compute_inline(sch->func, consumer, error));
}

tsl_status tsl_schedule_rfactor(tsl_schedule *sch, tsl_stmt *block, tsl_stmt *loop,
                                tsl_stmt **rf_block, tsl_error *error) {
  return block_loop_step(sch, "rfactor", tsl_sch_rfactor, block, loop, rf_block, error);
}

tsl_status tsl_schedule_fuse(tsl_schedule *sch, int count, tsl_stmt *const *loops, tsl_stmt **fused,
                             tsl_error *error) {
  recording r = record(sch, "fuse", error);
  add_loops(&r, "loops", count, loops);
  if (r.status) return finish(&r, r.status);
  return finish(&r, tsl_sch_fuse(sch->func, count, loops, fused, error));
}

tsl_status tsl_schedule_compute_inline(tsl_schedule *sch, tsl_stmt *block, tsl_error *error) {
  recording r = record(sch, "compute_inline", error);
  add_block(&r, "block", block);
  if (r.status) return finish(&r, r.status);
  return finish(&r, tsl_sch_compute_inline(sch->func, block, error));
}

/* A block moved under a loop of another: the loop is addressed by the blocks under it, not
 * the moved one. */
static tsl_status move_step(tsl_schedule *sch, const char *op, tsl_stmt *block, tsl_stmt *loop,
                            tsl_status (*apply)(tsl_primfunc *, tsl_stmt *, tsl_stmt *,
                                                tsl_error *),
                            tsl_error *error) {
  recording r = record(sch, op, error);
  add_block(&r, "block", block);
  r.block = NULL;
  add_loop(&r, "loop", loop);
  if (r.status) return finish(&r, r.status);
  return finish(&r, apply(sch->func, block, loop, error));
}

tsl_status tsl_schedule_compute_at(tsl_schedule *sch, tsl_stmt *block, tsl_stmt *loop,
                                   tsl_error *error) {
  if (sch->location_step < 0 || block != sch->location_block || loop != sch->location_loop)
    return move_step(sch, "compute_at", block, loop, tsl_sch_compute_at, error);
  /* The location sampled for the block: a root decision leaves it where it is. */
  recording r = record(sch, "compute_at", error);
  add_block(&r, "block", block);
  if (r.status) return finish(&r, r.status);
  add(&r, "loop", json_pack("{s:i}", "sample", sch->location_step));
  tsl_status status = loop ? tsl_sch_compute_at(sch->func, block, loop, error) : TSL_OK;
  if (!status) sch->location_step = -1;
  return finish(&r, status);
}

tsl_status tsl_schedule_reverse_compute_at(tsl_schedule *sch, tsl_stmt *block, tsl_stmt *loop,
                                           tsl_error *error) {
  return move_step(sch, "reverse_compute_at", block, loop, tsl_sch_reverse_compute_at, error);
}

tsl_status tsl_schedule_cache_read(tsl_schedule *sch, tsl_stmt *block, tsl_buffer *buffer,
                                   tsl_stmt *loop, tsl_stmt **copy, tsl_error *error) {
  recording r = record(sch, "cache_read", error);
  add_block(&r, "block", block);
  if (!r.status && !buffer) r.status = tsl_fail(error, TSL_ERROR_INPUT, "cache_read: no buffer");
  if (!r.status) add(&r, "buffer", json_string(buffer->name));
  add_loop(&r, "loop", loop);
  if (r.status) return finish(&r, r.status);
  return finish(&r, tsl_sch_cache_read(sch->func, block, buffer, loop, copy, error));
}

/* An axis of a packing as JSON: [source] whole, [source, "outer"|"inner", factor] split. */
static json_t *layout_axis_json(const tsl_layout_axis *axis) {
  if (axis->part == TSL_LAYOUT_WHOLE) return json_pack("[i]", axis->source);
  return json_pack("[i, s, I]", axis->source, axis->part == TSL_LAYOUT_OUTER ? "outer" : "inner",
                   (json_int_t)axis->factor);
}

tsl_status tsl_schedule_transform_layout(tsl_schedule *sch, tsl_buffer *buffer, int count,
                                         const tsl_layout_axis *axes, tsl_error *error) {
  recording r = record(sch, "transform_layout", error);
  if (!buffer) r.status = tsl_fail(error, TSL_ERROR_INPUT, "transform_layout: no buffer");
  if (r.status) return finish(&r, r.status);
  add(&r, "buffer", json_string(buffer->name));
  json_t *array = json_array();
  TSL_CHECK_ALLOC(array);
  for (int i = 0; i < count && i < TSL_MAX_RANK; i++)
    json_array_append_new(array, layout_axis_json(&axes[i]));
  add(&r, "axes", array);
  return finish(&r, tsl_sch_transform_layout(sch->func, buffer, count, axes, error));
}

tsl_status tsl_schedule_storage_align(tsl_schedule *sch, tsl_stmt *block, tsl_buffer *buffer,
                                      int axis, int64_t factor, int64_t offset, tsl_error *error) {
  recording r = record(sch, "storage_align", error);
  add_block(&r, "block", block);
  if (!r.status && !buffer) r.status = tsl_fail(error, TSL_ERROR_INPUT, "storage_align: no buffer");
  if (r.status) return finish(&r, r.status);
  add(&r, "buffer", json_string(buffer->name));
  add(&r, "axis", json_integer(axis));
  add(&r, "factor", json_integer(factor));
  add(&r, "offset", json_integer(offset));
  return finish(&r, tsl_sch_storage_align(sch->func, block, buffer, axis, factor, offset, error));
}

tsl_status tsl_schedule_annotate(tsl_schedule *sch, tsl_stmt *loop, const char *key, int64_t value,
                                 tsl_error *error) {
  recording r = record(sch, "annotate", error);
  add_loop(&r, "loop", loop);
  if (r.status) return finish(&r, r.status);
  add(&r, "key", json_string(key));
  bool linked = sch->categorical_step >= 0 && sch->categorical_value == value;
  add(&r, "value",
      linked ? json_pack("{s:i}", "sample", sch->categorical_step) : json_integer(value));
  tsl_status status = tsl_sch_annotate(sch->func, loop, key, value, error);
  if (!status && linked) sch->categorical_step = -1;
  return finish(&r, status);
}

tsl_status tsl_schedule_tensorize(tsl_schedule *sch, tsl_stmt *loop, const char *intrin_name,
                                  tsl_error *error) {
  recording r = record(sch, "tensorize", error);
  add_loop(&r, "loop", loop);
  if (!r.status && !intrin_name)
    r.status = tsl_fail(error, TSL_ERROR_INPUT, "tensorize: no intrinsic");
  if (!r.status && !sch->target)
    r.status = tsl_fail(error, TSL_ERROR_INPUT, "tensorize: the schedule has no target");
  if (r.status) return finish(&r, r.status);
  add(&r, "intrin", json_string(intrin_name));
  return finish(&r, tsl_sch_tensorize(sch->func, loop, intrin_name, sch->target, error));
}

/* ---- sampling ---------------------------------------------------------------------------- */

/* Whether `factors` tile `extent` perfectly with the innermost at most `max_innermost`. */
static bool is_perfect_tile(int count, const int64_t *factors, int64_t extent,
                            int64_t max_innermost) {
  int64_t product = 1;
  for (int i = 0; i < count; i++) {
    if (factors[i] < 1) return false;
    product *= factors[i];
  }
  return product == extent && (max_innermost < 1 || factors[count - 1] <= max_innermost);
}

/* A random divisor of n, at most `limit` (< 1: no limit). */
static int64_t random_divisor(tsl_schedule *sch, int64_t n, int64_t limit) {
  int64_t divisors[4096];
  int count = 0;
  for (int64_t d = 1; d <= n && count < 4096; d++) {
    if (n % d == 0 && (limit < 1 || d <= limit)) divisors[count++] = d;
  }
  return divisors[next_random(sch) % (uint64_t)count];
}

/* The decision the next sampling instruction follows, when there is one that fits `fits`. */
static const json_t *followed(tsl_schedule *sch) {
  if (!sch->follow || sch->decisions == sch->redraw) return NULL;
  const json_t *step = decision_step(sch->follow, sch->decisions);
  return step ? json_object_get(step, "decision") : NULL;
}

static int read_integers(const json_t *array, int64_t *values, int capacity) {
  if (!json_is_array(array) || (int)json_array_size(array) > capacity) return -1;
  for (size_t i = 0; i < json_array_size(array); i++) {
    if (!json_is_integer(json_array_get(array, i))) return -1;
    values[i] = json_integer_value(json_array_get(array, i));
  }
  return (int)json_array_size(array);
}

tsl_status tsl_schedule_sample_perfect_tile(tsl_schedule *sch, tsl_stmt *loop, int count,
                                            int64_t max_innermost, const int64_t *heuristic,
                                            int64_t *factors, tsl_error *error) {
  recording r = record(sch, "sample_perfect_tile", error);
  add_loop(&r, "loop", loop);
  if (r.status) return finish(&r, r.status);
  const char *name = loop->loop.var->name;
  if (loop->loop.extent->kind != TSL_EXPR_INT || count < 1 || count > TSL_SCH_MAX_LOOPS) {
    return finish(&r, tsl_fail(error, TSL_ERROR_INPUT,
                               "sample_perfect_tile: loop '%s' has no constant extent to tile "
                               "%d ways",
                               name, count));
  }
  int64_t extent = loop->loop.extent->int_value;
  if (max_innermost >= 1 && count == 1 && extent > max_innermost) {
    return finish(&r, tsl_fail(error, TSL_ERROR_INPUT,
                               "sample_perfect_tile: loop '%s' of extent %lld has no tile of "
                               "one factor at most %lld",
                               name, (long long)extent, (long long)max_innermost));
  }
  int64_t followed_factors[TSL_SCH_MAX_LOOPS];
  const json_t *follow = followed(sch);
  if (sch->replayed) {
    memcpy(factors, sch->replayed, sizeof(int64_t) * (size_t)count);
    if (!is_perfect_tile(count, factors, extent, max_innermost)) {
      return finish(&r, tsl_fail(error, TSL_ERROR_INPUT,
                                 "sample_perfect_tile: the decision is not a perfect tile of "
                                 "loop '%s' of extent %lld in %d factors, the innermost at "
                                 "most %lld",
                                 name, (long long)extent, count, (long long)max_innermost));
    }
  } else if (follow && read_integers(follow, followed_factors, TSL_SCH_MAX_LOOPS) == count &&
             is_perfect_tile(count, followed_factors, extent, max_innermost)) {
    memcpy(factors, followed_factors, sizeof(int64_t) * (size_t)count);
  } else if (sch->random) {
    int64_t rest = extent;
    for (int i = count - 1; i >= 1; i--) {
      factors[i] = random_divisor(sch, rest, i == count - 1 ? max_innermost : 0);
      rest /= factors[i];
    }
    factors[0] = rest;
  } else if (heuristic && is_perfect_tile(count, heuristic, extent, max_innermost)) {
    memcpy(factors, heuristic, sizeof(int64_t) * (size_t)count);
  } else {
    for (int i = 0; i < count; i++) factors[i] = 1;
    int64_t inner = 1;
    for (int64_t d = 1; d <= extent && count > 1; d++) {
      if (extent % d == 0 && (max_innermost < 1 || d <= max_innermost)) inner = d;
    }
    if (count > 1) factors[count - 1] = inner;
    factors[0] = extent / inner;
  }
  add(&r, "count", json_integer(count));
  add(&r, "max_innermost", json_integer(max_innermost));
  add(&r, "decision", integers(count, factors));
  tsl_sampled_tile *tile = &sch->tile[sch->tiles++ % TSL_SCHEDULE_MAX_TILES];
  tile->loop = loop;
  tile->step = tsl_trace_length(sch->trace);
  tile->count = count;
  memcpy(tile->factors, factors, sizeof(int64_t) * (size_t)count);
  sch->decisions++;
  return finish(&r, TSL_OK);
}

tsl_status tsl_schedule_sample_categorical(tsl_schedule *sch, int count, const int64_t *candidates,
                                           const double *probabilities, int heuristic, int *index,
                                           tsl_error *error) {
  recording r = record(sch, "sample_categorical", error);
  if (count < 1) {
    return finish(&r, tsl_fail(error, TSL_ERROR_INPUT, "sample_categorical: no candidates"));
  }
  const json_t *follow = followed(sch);
  int64_t choice = heuristic;
  if (sch->replayed) {
    choice = sch->replayed[0];
  } else if (follow && json_is_array(follow) && json_array_size(follow) == 1 &&
             json_integer_value(json_array_get(follow, 0)) < count &&
             json_integer_value(json_array_get(follow, 0)) >= 0) {
    choice = json_integer_value(json_array_get(follow, 0));
  } else if (sch->random) {
    double total = 0, at = 0;
    for (int i = 0; i < count; i++) total += probabilities ? probabilities[i] : 1;
    double draw = (double)(next_random(sch) >> 11) / 9007199254740992.0 * total;
    choice = count - 1;
    for (int i = 0; i < count; i++) {
      at += probabilities ? probabilities[i] : 1;
      if (draw < at) {
        choice = i;
        break;
      }
    }
  }
  if (choice < 0 || choice >= count) {
    return finish(
        &r, tsl_fail(error, TSL_ERROR_INPUT, "sample_categorical: decision %lld of %d candidates",
                     (long long)choice, count));
  }
  add(&r, "candidates", integers(count, candidates));
  if (probabilities) {
    json_t *array = json_array();
    for (int i = 0; i < count; i++) json_array_append_new(array, json_real(probabilities[i]));
    add(&r, "probabilities", array);
  }
  add(&r, "decision", integers(1, &choice));
  *index = (int)choice;
  sch->decisions++;
  sch->categorical_step = tsl_trace_length(sch->trace);
  sch->categorical_value = candidates[choice];
  return finish(&r, TSL_OK);
}

tsl_status tsl_schedule_sample_compute_location(tsl_schedule *sch, tsl_stmt *block,
                                                const tsl_stmt *heuristic, tsl_stmt **loop,
                                                tsl_error *error) {
  recording r = record(sch, "sample_compute_location", error);
  add_block(&r, "block", block);
  if (r.status) return finish(&r, r.status);
  /* compute_at needs every reader below the loop, so the candidates are among the loops around
   * the first. */
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS], *candidates[TSL_SCH_MAX_LOOPS];
  int depth = 0, count = 0;
  tsl_stmt *reader = block->block.num_writes == 1 ? tsl_sch_get_consumer(sch->func, block) : NULL;
  if (reader) depth = tsl_sch_get_loops(sch->func, reader, loops);
  for (int i = 0; i < depth; i++) {
    if (tsl_sch_can_compute_at(sch->func, block, loops[i])) candidates[count++] = loops[i];
  }
  int64_t choice = -1;
  for (int i = 0; i < count; i++) {
    if (candidates[i] == heuristic) choice = i;
  }
  const json_t *follow = followed(sch);
  if (sch->replayed) {
    choice = sch->replayed[0];
  } else if (follow && json_is_array(follow) && json_array_size(follow) == 1 &&
             json_integer_value(json_array_get(follow, 0)) < count &&
             json_integer_value(json_array_get(follow, 0)) >= -1) {
    choice = json_integer_value(json_array_get(follow, 0));
  } else if (sch->random) {
    choice = (int64_t)(next_random(sch) % (uint64_t)(count + 1)) - 1;
  }
  if (choice < -1 || choice >= count) {
    return finish(&r, tsl_fail(error, TSL_ERROR_INPUT,
                               "sample_compute_location: decision %lld of block '%s', which has "
                               "%d candidate loops (and -1, where it is)",
                               (long long)choice, block->block.name, count));
  }
  add(&r, "decision", integers(1, &choice));
  *loop = choice < 0 ? NULL : candidates[choice];
  sch->decisions++;
  sch->location_step = tsl_trace_length(sch->trace);
  sch->location_block = block;
  sch->location_loop = *loop;
  return finish(&r, TSL_OK);
}

/* ---- JSON -------------------------------------------------------------------------------- */

char *tsl_trace_to_json(const tsl_trace *trace) {
  size_t size = 128, length = 0;
  char *text = malloc(size);
  TSL_CHECK_ALLOC(text);
  length = (size_t)snprintf(
      text, size, "{\"format\": \"tessel-trace\", \"version\": %d, \"steps\": [", FORMAT_VERSION);
  size_t count = json_array_size(trace->steps);
  for (size_t i = 0; i < count; i++) {
    char *step = json_dumps(json_array_get(trace->steps, i), 0);
    TSL_CHECK_ALLOC(step);
    size_t need = length + strlen(step) + 8;
    if (need > size) {
      size = need * 2;
      text = realloc(text, size);
      TSL_CHECK_ALLOC(text);
    }
    length +=
        (size_t)snprintf(text + length, size - length, "\n  %s%s", step, i + 1 < count ? "," : "");
    free(step);
  }
  if (length + 4 > size) {
    text = realloc(text, length + 4);
    TSL_CHECK_ALLOC(text);
  }
  strcpy(text + length, count ? "\n]}\n" : "]}\n");
  return text;
}

tsl_status tsl_trace_from_json(const char *text, size_t length, const char *name, tsl_trace **trace,
                               tsl_error *error) {
  json_error_t parse_error;
  json_t *root = json_loadb(text, length, 0, &parse_error);
  if (!root) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: line %d: %s", name, parse_error.line,
                    parse_error.text);
  }
  const char *format = json_string_value(json_object_get(root, "format"));
  json_t *version = json_object_get(root, "version"), *steps = json_object_get(root, "steps");
  tsl_status status = TSL_OK;
  if (!format || strcmp(format, "tessel-trace") != 0) {
    status = tsl_fail(error, TSL_ERROR_INPUT,
                      "%s: not a tessel trace (no \"format\": "
                      "\"tessel-trace\")",
                      name);
  } else if (!json_is_integer(version) || json_integer_value(version) != FORMAT_VERSION) {
    status = tsl_fail(error, TSL_ERROR_INPUT,
                      "%s: trace format version %lld; this tessel "
                      "reads version %d",
                      name, (long long)json_integer_value(version), FORMAT_VERSION);
  } else if (!json_is_array(steps)) {
    status = tsl_fail(error, TSL_ERROR_INPUT, "%s: \"steps\" is not an array", name);
  }
  for (size_t i = 0; !status && i < json_array_size(steps); i++) {
    json_t *step = json_array_get(steps, i);
    if (!json_is_string(json_object_get(step, "op"))) {
      status = tsl_fail(error, TSL_ERROR_INPUT, "%s: step %zu has no \"op\"", name, i);
    }
  }
  if (!status) {
    *trace = malloc(sizeof(**trace));
    TSL_CHECK_ALLOC(*trace);
    (*trace)->steps = json_incref(steps);
  }
  json_decref(root);
  return status;
}

/* ---- replay ------------------------------------------------------------------------------ */

/* A step being replayed. Its errors start with the instruction's name, as the primitives'
 * do. */
typedef struct replay {
  tsl_schedule *sch;
  const tsl_trace *trace;
  const json_t *step;
  const char *op;
  tsl_error *error;
} replay;

static tsl_status replay_fail(replay *at, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static tsl_status replay_fail(replay *at, const char *format, ...) {
  char message[sizeof(at->error->message)];
  va_list arguments;
  va_start(arguments, format);
  vsnprintf(message, sizeof(message), format, arguments);
  va_end(arguments);
  return tsl_fail(at->error, TSL_ERROR_INPUT, "%s: %s", at->op, message);
}

static tsl_stmt *resolve_block(replay *at, const json_t *address) {
  const char *name = json_string_value(address);
  tsl_stmt *block = name ? tsl_sch_get_block(at->sch->func, name) : NULL;
  if (!name)
    replay_fail(at, "a block is not named by a string");
  else if (!block)
    replay_fail(at, "no block named '%s'", name);
  return block;
}

static tsl_stmt *resolve_loop(replay *at, const json_t *address) {
  if (!json_is_array(address) || json_array_size(address) != 2 ||
      !json_is_integer(json_array_get(address, 1))) {
    replay_fail(at, "a loop is not addressed as [block, place]");
    return NULL;
  }
  tsl_stmt *block = resolve_block(at, json_array_get(address, 0));
  if (!block) return NULL;
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  int depth = tsl_sch_get_loops(at->sch->func, block, loops);
  json_int_t place = json_integer_value(json_array_get(address, 1));
  if (place < 0 || place >= depth) {
    replay_fail(at, "block '%s' has %d loops, not a loop %lld", block->block.name, depth,
                (long long)place);
    return NULL;
  }
  return loops[place];
}

static tsl_stmt *loop_arg(replay *at, const char *key) {
  return resolve_loop(at, json_object_get(at->step, key));
}

static tsl_stmt *block_arg(replay *at, const char *key) {
  return resolve_block(at, json_object_get(at->step, key));
}

static tsl_status integer_arg(replay *at, const char *key, int64_t *value) {
  const json_t *field = json_object_get(at->step, key);
  if (!json_is_integer(field)) return replay_fail(at, "no integer \"%s\"", key);
  *value = json_integer_value(field);
  return TSL_OK;
}

/* The step that a step's argument `{"sample": k}` refers to, which must be a sampling step
 * `op` (`what`, the argument with its verb, starts the error); NULL, with the error set, when it is
 * not. `*is_sample` says whether the argument is such a reference at all. */
static const json_t *sampled_step(replay *at, const json_t *argument, const char *op,
                                  const char *what, bool *is_sample) {
  const json_t *sample = json_object_get(argument, "sample");
  *is_sample = json_is_integer(sample);
  if (!*is_sample) return NULL;
  json_int_t step = json_integer_value(sample);
  const json_t *sampled = json_array_get(at->trace->steps, (size_t)step);
  const char *sampled_op = json_string_value(json_object_get(sampled, "op"));
  if (sampled_op && strcmp(sampled_op, op) == 0) return sampled;
  replay_fail(at, "the %s to step %lld, which is no %s", what, (long long)step, op);
  return NULL;
}

static tsl_status replay_split(replay *at) {
  tsl_stmt *loop = loop_arg(at, "loop");
  if (!loop) return TSL_ERROR_INPUT;
  const json_t *factors = json_object_get(at->step, "factors");
  bool is_sample;
  const json_t *sampled =
      sampled_step(at, factors, "sample_perfect_tile", "factors refer", &is_sample);
  if (is_sample && !sampled) return TSL_ERROR_INPUT;
  if (sampled) factors = json_object_get(sampled, "decision");
  int64_t values[TSL_SCH_MAX_LOOPS];
  int count = read_integers(factors, values, TSL_SCH_MAX_LOOPS);
  if (count < 1) return replay_fail(at, "\"factors\" are not integers");
  return tsl_schedule_split(at->sch, loop, count, values, NULL, at->error);
}

/* The loops of a step's array `key`, into loops; their count, or -1 with the error set. */
static int loops_arg(replay *at, const char *key, tsl_stmt **loops) {
  const json_t *addresses = json_object_get(at->step, key);
  size_t count = json_array_size(addresses);
  if (!json_is_array(addresses) || count > TSL_SCH_MAX_LOOPS)
    return replay_fail(at, "\"%s\" is not an array of loops", key), -1;
  for (size_t i = 0; i < count; i++) {
    loops[i] = resolve_loop(at, json_array_get(addresses, i));
    if (!loops[i]) return -1;
  }
  return (int)count;
}

static tsl_status replay_reorder(replay *at) {
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  int count = loops_arg(at, "loops", loops);
  return count < 0 ? TSL_ERROR_INPUT : tsl_schedule_reorder(at->sch, count, loops, at->error);
}

static tsl_status replay_loop_kind(replay *at) {
  tsl_stmt *loop = loop_arg(at, "loop");
  if (!loop) return TSL_ERROR_INPUT;
  const char *op = at->op;
  if (strcmp(op, "parallel") == 0) return tsl_schedule_parallel(at->sch, loop, at->error);
  if (strcmp(op, "vectorize") == 0) return tsl_schedule_vectorize(at->sch, loop, at->error);
  return tsl_schedule_unroll(at->sch, loop, at->error);
}

static tsl_status replay_block_loop(replay *at) {
  tsl_stmt *block = block_arg(at, "block");
  tsl_stmt *loop = block ? loop_arg(at, "loop") : NULL;
  if (!loop) return TSL_ERROR_INPUT;
  const char *op = at->op;
  if (strcmp(op, "decompose_reduction") == 0)
    return tsl_schedule_decompose_reduction(at->sch, block, loop, NULL, at->error);
  if (strcmp(op, "cache_write_at") == 0)
    return tsl_schedule_cache_write_at(at->sch, block, loop, NULL, at->error);
  return tsl_schedule_rfactor(at->sch, block, loop, NULL, at->error);
}

static tsl_status replay_fuse(replay *at) {
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  int count = loops_arg(at, "loops", loops);
  return count < 0 ? TSL_ERROR_INPUT : tsl_schedule_fuse(at->sch, count, loops, NULL, at->error);
}

static tsl_status replay_compute_inline(replay *at) {
  tsl_stmt *block = block_arg(at, "block");
  return block ? tsl_schedule_compute_inline(at->sch, block, at->error) : TSL_ERROR_INPUT;
}

static tsl_status replay_move(replay *at) {
  tsl_stmt *block = block_arg(at, "block");
  if (!block) return TSL_ERROR_INPUT;
  bool is_sample;
  const json_t *sampled = sampled_step(at, json_object_get(at->step, "loop"),
                                       "sample_compute_location", "loop refers", &is_sample);
  if (is_sample && !sampled) return TSL_ERROR_INPUT;
  if (sampled && strcmp(at->op, "compute_at") != 0)
    return replay_fail(at, "the loop refers to a sampled compute location");
  if (sampled) {
    /* Replaying that step sampled the location again, for the function as it is now. */
    tsl_schedule *sch = at->sch;
    if (sch->location_step < 0 || sch->location_block != block)
      return replay_fail(at, "no compute location of block '%s' was sampled for it",
                         block->block.name);
    return tsl_schedule_compute_at(sch, block, sch->location_loop, at->error);
  }
  tsl_stmt *loop = loop_arg(at, "loop");
  if (!loop) return TSL_ERROR_INPUT;
  if (strcmp(at->op, "compute_at") == 0)
    return tsl_schedule_compute_at(at->sch, block, loop, at->error);
  return tsl_schedule_reverse_compute_at(at->sch, block, loop, at->error);
}

typedef struct buffer_search {
  const char *name;
  tsl_buffer *found;
} buffer_search;

static void find_allocation(tsl_stmt *stmt, void *context) {
  buffer_search *search = context;
  if (stmt->kind == TSL_STMT_ALLOC && strcmp(stmt->alloc.buffer->name, search->name) == 0)
    search->found = stmt->alloc.buffer;
}

/* The step's "buffer": a parameter or an allocated buffer, by name; NULL, with the error set,
 * when there is none. */
static tsl_buffer *buffer_arg(replay *at) {
  buffer_search search = {json_string_value(json_object_get(at->step, "buffer")), NULL};
  if (!search.name) return replay_fail(at, "no \"buffer\" named"), NULL;
  for (int i = 0; i < at->sch->func->num_params; i++) {
    if (strcmp(at->sch->func->params[i]->name, search.name) == 0)
      search.found = at->sch->func->params[i];
  }
  if (!search.found) tsl_stmt_walk(at->sch->func->body, find_allocation, &search);
  if (!search.found) replay_fail(at, "no buffer named '%s'", search.name);
  return search.found;
}

static tsl_status replay_cache_read(replay *at) {
  tsl_stmt *block = block_arg(at, "block");
  tsl_stmt *loop = block ? loop_arg(at, "loop") : NULL;
  tsl_buffer *buffer = loop ? buffer_arg(at) : NULL;
  if (!buffer) return TSL_ERROR_INPUT;
  return tsl_schedule_cache_read(at->sch, block, buffer, loop, NULL, at->error);
}

static tsl_status replay_storage_align(replay *at) {
  tsl_stmt *block = block_arg(at, "block");
  tsl_buffer *buffer = block ? buffer_arg(at) : NULL;
  int64_t axis = 0, factor = 0, offset = 0;
  if (!buffer || integer_arg(at, "axis", &axis) || integer_arg(at, "factor", &factor) ||
      integer_arg(at, "offset", &offset))
    return TSL_ERROR_INPUT;
  if (axis < 0 || axis >= buffer->rank)
    return replay_fail(at, "buffer '%s' has %d axes, not an axis %lld", buffer->name, buffer->rank,
                       (long long)axis);
  return tsl_schedule_storage_align(at->sch, block, buffer, (int)axis, factor, offset, at->error);
}

static tsl_status replay_transform_layout(replay *at) {
  tsl_buffer *buffer = buffer_arg(at);
  if (!buffer) return TSL_ERROR_INPUT;
  const json_t *array = json_object_get(at->step, "axes");
  size_t count = json_array_size(array);
  if (!json_is_array(array) || count < 1 || count > TSL_MAX_RANK)
    return replay_fail(at, "\"axes\" is not an array of 1 to %d axes", TSL_MAX_RANK);
  tsl_layout_axis axes[TSL_MAX_RANK];
  for (size_t i = 0; i < count; i++) {
    const json_t *axis = json_array_get(array, i);
    const json_t *source = json_array_get(axis, 0);
    const char *part = json_string_value(json_array_get(axis, 1));
    const json_t *factor = json_array_get(axis, 2);
    bool whole = json_array_size(axis) == 1,
         split = json_array_size(axis) == 3 && part &&
                 (!strcmp(part, "outer") || !strcmp(part, "inner")) && json_is_integer(factor);
    if (!json_is_integer(source) || !(whole || split))
      return replay_fail(at, "axis %zu is not [source] or [source, \"outer\"|\"inner\", factor]",
                         i);
    axes[i] = (tsl_layout_axis){.source = (int)json_integer_value(source),
                                .part = whole                    ? TSL_LAYOUT_WHOLE
                                        : !strcmp(part, "outer") ? TSL_LAYOUT_OUTER
                                                                 : TSL_LAYOUT_INNER,
                                .factor = whole ? 0 : json_integer_value(factor)};
  }
  return tsl_schedule_transform_layout(at->sch, buffer, (int)count, axes, at->error);
}

static tsl_status replay_annotate(replay *at) {
  tsl_stmt *loop = loop_arg(at, "loop");
  if (!loop) return TSL_ERROR_INPUT;
  const char *key = json_string_value(json_object_get(at->step, "key"));
  const json_t *value = json_object_get(at->step, "value");
  if (!key) return replay_fail(at, "no \"key\"");
  bool is_sample;
  const json_t *sampled = sampled_step(at, value, "sample_categorical", "value refers", &is_sample);
  if (is_sample && !sampled) return TSL_ERROR_INPUT;
  if (sampled) {
    json_int_t decision =
        json_integer_value(json_array_get(json_object_get(sampled, "decision"), 0));
    value = json_array_get(json_object_get(sampled, "candidates"), (size_t)decision);
  }
  if (!json_is_integer(value)) return replay_fail(at, "\"value\" is not an integer");
  return tsl_schedule_annotate(at->sch, loop, key, json_integer_value(value), at->error);
}

static tsl_status replay_reverse_compute_inline(replay *at) {
  tsl_stmt *block = block_arg(at, "block");
  return block ? tsl_schedule_reverse_compute_inline(at->sch, block, at->error) : TSL_ERROR_INPUT;
}

static tsl_status replay_perfect_tile(replay *at) {
  tsl_stmt *loop = loop_arg(at, "loop");
  int64_t count = 0, max_innermost = 0, decision[TSL_SCH_MAX_LOOPS], factors[TSL_SCH_MAX_LOOPS];
  if (!loop || integer_arg(at, "count", &count) || integer_arg(at, "max_innermost", &max_innermost))
    return TSL_ERROR_INPUT;
  if (read_integers(json_object_get(at->step, "decision"), decision, TSL_SCH_MAX_LOOPS) != count)
    return replay_fail(at, "the decision is not %lld integers", (long long)count);
  at->sch->replayed = decision;
  tsl_status status = tsl_schedule_sample_perfect_tile(at->sch, loop, (int)count, max_innermost,
                                                       NULL, factors, at->error);
  at->sch->replayed = NULL;
  return status;
}

static tsl_status replay_categorical(replay *at) {
  int64_t candidates[256], decision[1];
  double probabilities[256];
  int count = read_integers(json_object_get(at->step, "candidates"), candidates, 256);
  if (count < 1) return replay_fail(at, "\"candidates\" are not integers");
  const json_t *given = json_object_get(at->step, "probabilities");
  for (int i = 0; given && i < count; i++) {
    const json_t *p = json_array_get(given, (size_t)i);
    if (!json_is_number(p)) return replay_fail(at, "\"probabilities\" are not %d numbers", count);
    probabilities[i] = json_number_value(p);
  }
  if (read_integers(json_object_get(at->step, "decision"), decision, 1) != 1)
    return replay_fail(at, "the decision is not one integer");
  int index;
  at->sch->replayed = decision;
  tsl_status status = tsl_schedule_sample_categorical(
      at->sch, count, candidates, given ? probabilities : NULL, 0, &index, at->error);
  at->sch->replayed = NULL;
  return status;
}

static tsl_status replay_compute_location(replay *at) {
  tsl_stmt *block = block_arg(at, "block");
  int64_t decision[1];
  if (!block) return TSL_ERROR_INPUT;
  if (read_integers(json_object_get(at->step, "decision"), decision, 1) != 1)
    return replay_fail(at, "the decision is not one integer");
  tsl_stmt *loop;
  at->sch->replayed = decision;
  tsl_status status = tsl_schedule_sample_compute_location(at->sch, block, NULL, &loop, at->error);
  at->sch->replayed = NULL;
  return status;
}

static tsl_status replay_tensorize(replay *at) {
  tsl_stmt *loop = loop_arg(at, "loop");
  if (!loop) return TSL_ERROR_INPUT;
  const char *intrin = json_string_value(json_object_get(at->step, "intrin"));
  if (!intrin) return replay_fail(at, "the intrinsic is not named by a string");
  return tsl_schedule_tensorize(at->sch, loop, intrin, at->error);
}

static const struct {
  const char *op;
  tsl_status (*apply)(replay *at);
} replayers[] = {
    {"split", replay_split},
    {"reorder", replay_reorder},
    {"parallel", replay_loop_kind},
    {"vectorize", replay_loop_kind},
    {"unroll", replay_loop_kind},
    {"decompose_reduction", replay_block_loop},
    {"cache_write_at", replay_block_loop},
    {"rfactor", replay_block_loop},
    {"reverse_compute_inline", replay_reverse_compute_inline},
    {"fuse", replay_fuse},
    {"compute_inline", replay_compute_inline},
    {"compute_at", replay_move},
    {"reverse_compute_at", replay_move},
    {"cache_read", replay_cache_read},
    {"transform_layout", replay_transform_layout},
    {"storage_align", replay_storage_align},
    {"annotate", replay_annotate},
    {"tensorize", replay_tensorize},
    {"sample_perfect_tile", replay_perfect_tile},
    {"sample_categorical", replay_categorical},
    {"sample_compute_location", replay_compute_location},
};

tsl_status tsl_trace_replay(const tsl_trace *trace, tsl_schedule *sch, tsl_error *error) {
  for (size_t i = 0; i < json_array_size(trace->steps); i++) {
    const json_t *step = json_array_get(trace->steps, i);
    const char *op = json_string_value(json_object_get(step, "op"));
    replay at = {sch, trace, step, op, error};
    tsl_status status = TSL_ERROR_INPUT;
    bool known = false;
    for (size_t k = 0; k < sizeof(replayers) / sizeof(replayers[0]); k++) {
      if (op && strcmp(op, replayers[k].op) == 0) {
        known = true;
        status = replayers[k].apply(&at);
      }
    }
    if (!known) {
      return tsl_fail(error, TSL_ERROR_INPUT, "trace step %zu: no instruction '%s'", i,
                      op ? op : "(none)");
    }
    if (status) {
      tsl_error_prefix(error, "trace step %zu: ", i);
      return status;
    }
  }
  return TSL_OK;
}

tsl_status tsl_trace_set_decision(tsl_trace *trace, int decision, int count, const int64_t *values,
                                  tsl_error *error) {
  json_t *step = decision_step(trace, decision);
  if (!step) {
    return tsl_fail(error, TSL_ERROR_INPUT, "the trace has %d decisions, not a decision %d",
                    tsl_trace_decisions(trace), decision);
  }
  size_t had = json_array_size(json_object_get(step, "decision"));
  if ((size_t)count != had) {
    return tsl_fail(error, TSL_ERROR_INPUT, "decision %d has %zu values, not %d", decision, had,
                    count);
  }
  json_object_set_new(step, "decision", integers(count, values));
  return TSL_OK;
}

int tsl_trace_decision(const tsl_trace *trace, int decision, int64_t *values) {
  const json_t *step = decision_step(trace, decision);
  return step ? read_integers(json_object_get(step, "decision"), values, TSL_SCH_MAX_LOOPS) : -1;
}
