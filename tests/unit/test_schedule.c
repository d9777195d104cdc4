/* Schedule primitives: each refuses what it cannot do and leaves the function as it was, and no
 * schedule changes what a function computes. The property test draws random schedules on
 * kernels lowered from operator calls (products, convolutions with strides, groups and
 * dilations, depthwise convolution, pooling, reductions, softmax, epilogues) and on fused
 * kernels (a product or convolution followed by an elementwise epilogue) — sequences of
 * primitives with random arguments, and the rules with random decisions (and those traces
 * with one decision drawn again, as a search mutates) — and compares every scheduled kernel,
 * compiled and run, with the unscheduled one on random inputs; every trace is written as JSON,
 * read back and replayed to the same function. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen/llvm/llvm.h"
#include "passes/lower/lower.h"
#include "ir/intrin.h"
#include "passes/schedule/schedule.h"
#include "passes/schedule/trace.h"
#include "passes/tir/tir_passes.h"
#include "tests/unit/util.h"

static tsl_primfunc *lower_first(const char *graph_text) {
  tsl_graph *graph = parse_ok(graph_text);
  tsl_primfunc *func;
  tsl_error error;
  ck_assert_msg(tsl_lower_node(graph->nodes[0], "kernel", &func, &error) == TSL_OK, "%s", error.message);
  tsl_graph_free(graph);
  return func;
}

static void infer_regions(tsl_stmt *stmt, void *context) {
  if (stmt->kind == TSL_STMT_BLOCK) tsl_block_infer_regions(context, stmt);
}

/* A kernel from its TIR text; blocks written with empty regions get theirs from their bodies. */
static tsl_primfunc *parse_kernel(const char *text) {
  tsl_primfunc *func;
  tsl_error error;
  ck_assert_msg(tsl_primfunc_parse(text, strlen(text), "kernel", &func, &error) == TSL_OK, "%s\n%s", error.message, text);
  tsl_stmt_walk(func->body, infer_regions, func->arena);
  return func;
}

/* The TIR text of the kernel lowered from the graph's first node. */
static char *lowered_text(const char *graph_text) {
  tsl_primfunc *func = lower_first(graph_text);
  char *text = tsl_primfunc_print(func);
  tsl_primfunc_free(func);
  return text;
}

/* An elementwise block `name` over the whole of `like`'s shape, with variables %<vars>0, …
 * (loops %<vars>l0, …), that stores `value` into `output`. */
typedef struct epilogue {
  const char *name, *output, *vars, *value;
} epilogue;

static void write_epilogue(tsl_text *text, const tsl_buffer *like, const epilogue *stage) {
  for (int axis = 0; axis < like->rank; axis++) {
    tsl_text_printf(text, "for %%%sl%d in 0..%lld {\n", stage->vars, axis, (long long)like->shape[axis]);
  }
  tsl_text_printf(text, "block \"%s\" [", stage->name);
  for (int axis = 0; axis < like->rank; axis++) {
    tsl_text_printf(text, "%s%%%s%d: spatial 0..%lld = %%%sl%d", axis ? ", " : "", stage->vars, axis,
                    (long long)like->shape[axis], stage->vars, axis);
  }
  tsl_text_printf(text, "] reads [] writes [] {\n%%%s[", stage->output);
  for (int axis = 0; axis < like->rank; axis++) tsl_text_printf(text, "%s%%%s%d", axis ? ", " : "", stage->vars, axis);
  tsl_text_printf(text, "] = %s\n}\n", stage->value);
  for (int axis = 0; axis < like->rank; axis++) tsl_text_puts(text, "}\n");
}

/* A kernel as graph fusion makes it: the graph's first node lowered, then the epilogue stages
 * reading its output. With `scratch` that output becomes a buffer the kernel allocates and
 * `params` (TIR text, "%bias: f32[48], out %y: f32[37, 48]") take its place; without, they
 * follow it. */
static char *fused_text(const char *graph_text, const char *params, bool scratch, int count,
                        const epilogue *stages) {
  tsl_primfunc *anchor = lower_first(graph_text);
  ck_assert(anchor->is_output[anchor->num_params - 1]);
  const tsl_buffer *output = anchor->params[anchor->num_params - 1];
  char *printed = tsl_primfunc_print(anchor);
  const char *output_param = strstr(printed, "out %"), *header_end = strstr(printed, ") {\n");
  ck_assert(output_param && header_end && output_param < header_end);
  const char *body = header_end + 4, *end = printed + strlen(printed) - 2;
  tsl_text text = {0};
  if (scratch) {
    tsl_text_append(&text, printed, (size_t)(output_param - printed));
    tsl_text_printf(&text, "%s) {\nalloc ", params);
    const char *scratch_type = output_param + strlen("out ");
    tsl_text_append(&text, scratch_type, (size_t)(header_end - scratch_type));
    tsl_text_puts(&text, " {\n");
  } else {
    tsl_text_append(&text, printed, (size_t)(header_end - printed));
    tsl_text_printf(&text, ", %s) {\n", params);
  }
  tsl_text_append(&text, body, (size_t)(end - body));
  for (int i = 0; i < count; i++) write_epilogue(&text, output, &stages[i]);
  tsl_text_puts(&text, scratch ? "}\n}\n" : "}\n");
  free(printed);
  tsl_primfunc_free(anchor);
  return tsl_text_take(&text);
}

static tsl_target host_target(void) {
  tsl_target target;
  tsl_error error;
  ck_assert_int_eq(tsl_target_parse("llvm", &target, &error), TSL_OK);
  ck_assert_int_eq(tsl_llvm_complete_target(&target, &error), TSL_OK);
  return target;
}

static size_t buffer_bytes(const tsl_buffer *buffer) {
  size_t count = 1;
  for (int axis = 0; axis < buffer->rank; axis++) count *= (size_t)buffer->shape[axis];
  return count * tsl_dtype_size(buffer->dtype);
}

/* Compiles the function and runs it on `args` (one array per parameter). */
static void run(tsl_primfunc *func, void **args) {
  tsl_target target = host_target();
  tsl_error error;
  tsl_llvm *llvm;
  ck_assert_int_eq(tsl_llvm_new(&target, "test", &llvm, &error), TSL_OK);
  if (tsl_llvm_add_function(llvm, func, &error) != TSL_OK) {
    char *text = tsl_primfunc_print(func);
    ck_abort_msg("%s\n%s", error.message, text);
  }
  ck_assert_int_eq(tsl_llvm_optimize(llvm, &error), TSL_OK);
  tsl_jit *jit;
  ck_assert_msg(tsl_jit_new(llvm, &jit, &error) == TSL_OK, "%s", error.message);
  void (*kernel)(void *const *) = (void (*)(void *const *))tsl_jit_lookup(jit, func->name);
  ck_assert_ptr_nonnull(kernel);
  kernel(args);
  tsl_jit_free(jit);
  tsl_llvm_free(llvm);
}

/* ---- random schedules -------------------------------------------------------------------- */

static unsigned next_random(unsigned *state) {
  *state = *state * 1103515245u + 12345u;
  return (*state >> 16) & 0x7fff;
}

typedef struct blocks {
  tsl_stmt *items[64];
  int count;
} blocks;

static void collect_block(tsl_stmt *stmt, void *context) {
  blocks *found = context;
  if (stmt->kind == TSL_STMT_BLOCK && found->count < 64) found->items[found->count++] = stmt;
}

/* Whether `reader` reads a buffer that `writer` writes. */
static bool shares_buffer(const tsl_stmt *writer, const tsl_stmt *reader) {
  for (int w = 0; w < writer->block.num_writes; w++) {
    for (int r = 0; r < reader->block.num_reads; r++) {
      if (writer->block.writes[w].buffer == reader->block.reads[r].buffer) return true;
    }
  }
  return false;
}

/* One primitive (or a sampled tile and the split it decides) with random arguments on a
 * random block, recorded in the schedule's trace; refusals are fine, but a refused primitive
 * must leave the function printing as it did. */
static void random_step(tsl_schedule *sch, unsigned *state) {
  tsl_primfunc *func = sch->func;
  blocks found = {.count = 0};
  tsl_stmt_walk(func->body, collect_block, &found);
  if (found.count == 0) return;
  tsl_stmt *block = found.items[next_random(state) % (unsigned)found.count];
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  int depth = tsl_sch_get_loops(func, block, loops);
  if (depth == 0) return;
  tsl_stmt *loop = loops[next_random(state) % (unsigned)depth];
  /* A loop around another block, for the primitives that move a block under it: one that
   * reads what the block writes or writes what it reads, where there is one. */
  tsl_stmt *other = found.items[next_random(state) % (unsigned)found.count],
           *other_loops[TSL_SCH_MAX_LOOPS];
  for (int i = 0; i < found.count; i++) {
    if (found.items[i] != block &&
        (shares_buffer(block, found.items[i]) || shares_buffer(found.items[i], block)) &&
        next_random(state) % 2)
      other = found.items[i];
  }
  int other_depth = tsl_sch_get_loops(func, other, other_loops);
  tsl_stmt *other_loop =
      other_depth ? other_loops[next_random(state) % (unsigned)other_depth] : loop;
  char *before = tsl_primfunc_print(func);
  tsl_error error;
  tsl_status status = TSL_OK;
  switch (next_random(state) % 19) {
  case 0: {
    /* Factors that need not divide the extent: the blocks below get a predicate. */
    int64_t factors[3] = {-1, 1 + next_random(state) % 8, 1 + next_random(state) % 5};
    status =
        tsl_schedule_split(sch, loop, 2 + (int)(next_random(state) % 2), factors, NULL, &error);
    break;
  }
  case 1: {
    /* A random permutation of a run of loops. */
    int start = (int)(next_random(state) % (unsigned)depth);
    int count = depth - start;
    tsl_stmt *order[TSL_SCH_MAX_LOOPS];
    memcpy(order, loops + start, sizeof(tsl_stmt *) * (size_t)count);
    for (int i = count - 1; i > 0; i--) {
      int j = (int)(next_random(state) % (unsigned)(i + 1));
      tsl_stmt *t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    status = tsl_schedule_reorder(sch, count, order, &error);
    break;
  }
  /* Long unrolled loops only make the test slow to compile. */
  case 2: status = tsl_schedule_vectorize(sch, loop, &error); break;
  case 3:
    if (loop->loop.extent->kind == TSL_EXPR_INT && loop->loop.extent->int_value <= 8) {
      status = tsl_schedule_unroll(sch, loop, &error);
    }
    break;
  case 4: status = tsl_schedule_parallel(sch, loop, &error); break;
  case 5: status = tsl_schedule_decompose_reduction(sch, block, loop, NULL, &error); break;
  case 6: status = tsl_schedule_cache_write_at(sch, block, loop, NULL, &error); break;
  case 7: status = tsl_schedule_reverse_compute_inline(sch, block, &error); break;
  case 8: status = tsl_schedule_rfactor(sch, block, loop, NULL, &error); break;
  case 9: {
    int count = 2 + (int)(next_random(state) % 2);
    int64_t factors[TSL_SCH_MAX_LOOPS];
    status = tsl_schedule_sample_perfect_tile(sch, loop, count, 16, NULL, factors, &error);
    if (!status) {
      /* The split fails only where the loop does not start at 0. */
      tsl_schedule_split(sch, loop, count, factors, NULL, &error);
    }
    break;
  }
  case 10: {
    int start = (int)(next_random(state) % (unsigned)depth);
    int count = 1 + (int)(next_random(state) % (unsigned)(depth - start));
    status = tsl_schedule_fuse(sch, count, loops + start, NULL, &error);
    break;
  }
  case 11: status = tsl_schedule_compute_inline(sch, block, &error); break;
  case 12: status = tsl_schedule_compute_at(sch, block, other_loop, &error); break;
  case 13: status = tsl_schedule_reverse_compute_at(sch, block, other_loop, &error); break;
  case 15: {
    static const int64_t steps[] = {0, 8, 64};
    int index;
    status = tsl_schedule_sample_categorical(sch, 3, steps, NULL, 0, &index, &error);
    if (!status) status = tsl_schedule_annotate(sch, loop, "unroll_max", steps[index], &error);
    break;
  }
  case 17: {
    /* A parameter the function reads, one of its axes split by 2 to 5 (the outer part
     * rounded up), the axes in a random order. */
    int param = (int)(next_random(state) % (unsigned)func->num_params);
    tsl_buffer *buffer = func->params[param];
    if (func->is_output[param] || func->packing[param] || buffer->rank == 0) break;
    int split = (int)(next_random(state) % (unsigned)buffer->rank), count = 0;
    int64_t factor = 2 + next_random(state) % 4;
    tsl_layout_axis axes[TSL_MAX_RANK];
    for (int a = 0; a < buffer->rank; a++) {
      if (a != split) axes[count++] = (tsl_layout_axis){a, TSL_LAYOUT_WHOLE, 0};
    }
    axes[count++] = (tsl_layout_axis){split, TSL_LAYOUT_OUTER, factor};
    axes[count++] = (tsl_layout_axis){split, TSL_LAYOUT_INNER, factor};
    for (int i = count - 1; i > 0; i--) {
      int j = (int)(next_random(state) % (unsigned)(i + 1));
      tsl_layout_axis t = axes[i];
      axes[i] = axes[j];
      axes[j] = t;
    }
    status = tsl_schedule_transform_layout(sch, buffer, count, axes, &error);
    break;
  }
  case 14:
    if (block->block.num_reads) {
      tsl_buffer *read =
          block->block.reads[next_random(state) % (unsigned)block->block.num_reads].buffer;
      status = tsl_schedule_cache_read(sch, block, read, loop, NULL, &error);
    }
    break;
  case 16: {
    /* A location drawn among those where compute_at applies, which must then apply. */
    tsl_stmt *location;
    status = tsl_schedule_sample_compute_location(sch, block, NULL, &location, &error);
    if (!status) {
      status = tsl_schedule_compute_at(sch, block, location, &error);
      ck_assert_msg(status == TSL_OK, "%s", error.message);
    }
    break;
  }
  case 18:
    /* Refused for parameters, which most blocks write, for the last axis and past it. */
    if (block->block.num_writes) {
      tsl_buffer *written =
          block->block.writes[next_random(state) % (unsigned)block->block.num_writes].buffer;
      int axis = (int)(next_random(state) % (unsigned)(written->rank + 1));
      int64_t factor = 1 + next_random(state) % 32;
      status = tsl_schedule_storage_align(sch, block, written, axis, factor,
                                          next_random(state) % factor, &error);
    }
    break;
  }
  char *after = tsl_primfunc_print(func);
  if (status) ck_assert_msg(strcmp(before, after) == 0, "a refused primitive (%s) changed the function", error.message);
  ck_assert_msg(tsl_primfunc_verify(func, &error) == TSL_OK, "%s\n%s", error.message, after);
  free(before);
  free(after);
}

/* The trace of `sch` written as JSON and read back, replayed on the unscheduled kernel, makes
 * the same function and the same trace. */
static void check_replay(const char *kernel_text, tsl_schedule *sch) {
  char *json = tsl_trace_to_json(sch->trace);
  tsl_trace *read;
  tsl_error error;
  ck_assert_msg(tsl_trace_from_json(json, strlen(json), "trace", &read, &error) == TSL_OK, "%s\n%s",
                error.message, json);
  tsl_primfunc *func = parse_kernel(kernel_text);
  tsl_schedule again;
  tsl_schedule_init(&again, func);
  again.target = sch->target;
  ck_assert_msg(tsl_trace_replay(read, &again, &error) == TSL_OK, "%s\n%s", error.message, json);
  char *want = tsl_primfunc_print(sch->func), *got = tsl_primfunc_print(func);
  ck_assert_msg(strcmp(want, got) == 0, "the replay of\n%s\nmade\n%s\nnot\n%s", json, got, want);
  char *rerecorded = tsl_trace_to_json(again.trace);
  ck_assert_str_eq(rerecorded, json);
  free(rerecorded);
  free(want);
  free(got);
  free(json);
  tsl_schedule_release(&again);
  tsl_trace_free(read);
  tsl_primfunc_free(func);
}

/* The unscheduled kernel run on random inputs, to compare scheduled ones with. */
typedef struct reference_run {
  tsl_primfunc *reference;
  int count;
  void **inputs, **expected, **actual;
} reference_run;

static reference_run reference_start(const char *kernel_text, unsigned *state) {
  reference_run run_of = {.reference = parse_kernel(kernel_text)};
  int count = run_of.count = run_of.reference->num_params;
  run_of.inputs = calloc((size_t)count, sizeof(void *));
  run_of.expected = calloc((size_t)count, sizeof(void *));
  run_of.actual = calloc((size_t)count, sizeof(void *));
  for (int i = 0; i < count; i++) {
    size_t bytes = buffer_bytes(run_of.reference->params[i]);
    run_of.inputs[i] = calloc(1, bytes + 64);
    run_of.expected[i] = calloc(1, bytes + 64);
    run_of.actual[i] = calloc(1, bytes + 64);
    if (run_of.reference->params[i]->dtype == TSL_DTYPE_F32) {
      float *values = run_of.inputs[i];
      for (size_t e = 0; e < bytes / 4; e++)
        values[e] = (float)((int)(next_random(state) % 2001) - 1000) / 500.0f;
    }
    memcpy(run_of.expected[i], run_of.inputs[i], bytes);
  }
  run(run_of.reference, run_of.expected);
  return run_of;
}

/* The scheduled kernel prints and parses back to the same text, and every output matches the
 * reference's within 1e-4 relative. */
static void reference_compare(reference_run *run_of, tsl_primfunc *func, int schedule) {
  char *text = tsl_primfunc_print(func), *again;
  tsl_primfunc *parsed;
  tsl_error error;
  ck_assert_msg(tsl_primfunc_parse(text, strlen(text), "scheduled", &parsed, &error) == TSL_OK,
                "%s\n%s", error.message, text);
  again = tsl_primfunc_print(parsed);
  ck_assert_str_eq(again, text);
  free(text);
  free(again);
  tsl_primfunc_free(parsed);
  const tsl_primfunc *reference = run_of->reference;
  /* A parameter the schedule packed (transform_layout) gets its input packed so, as the
   * compiler packs a weight. */
  void **args = calloc((size_t)run_of->count, sizeof(void *));
  for (int i = 0; i < run_of->count; i++) {
    args[i] = run_of->actual[i];
    memcpy(run_of->actual[i], run_of->inputs[i], buffer_bytes(reference->params[i]));
    if (!func->packing[i]) continue;
    args[i] = calloc(1, buffer_bytes(func->params[i]) + 64);
    tsl_packing_apply(func->packing[i], tsl_dtype_size(func->params[i]->dtype), run_of->inputs[i],
                      args[i]);
  }
  tsl_tir_lower(func); /* as every compile does after the schedule */
  ck_assert_msg(tsl_primfunc_verify(func, &error) == TSL_OK, "%s", error.message);
  run(func, args);
  for (int i = 0; i < run_of->count; i++) {
    if (args[i] != run_of->actual[i]) free(args[i]);
  }
  free(args);
  for (int i = 0; i < run_of->count; i++) {
    if (!reference->is_output[i]) continue;
    const float *want = run_of->expected[i], *got = run_of->actual[i];
    size_t n = buffer_bytes(reference->params[i]) / 4;
    for (size_t e = 0; e < n; e++) {
      double tolerance = 1e-4 * (fabs(want[e]) + 1);
      if (!(fabs(want[e] - got[e]) <= tolerance)) {
        char *printed = tsl_primfunc_print(func);
        ck_abort_msg("schedule %d: element %zu is %g, not %g\n%s", schedule, e, got[e], want[e],
                     printed);
      }
    }
  }
}

static void reference_end(reference_run *run_of) {
  for (int i = 0; i < run_of->count; i++) {
    free(run_of->inputs[i]);
    free(run_of->expected[i]);
    free(run_of->actual[i]);
  }
  free(run_of->inputs);
  free(run_of->expected);
  free(run_of->actual);
  tsl_primfunc_free(run_of->reference);
}

/* The scheduled kernel computes what the kernel of `kernel_text` does. */
static void expect_same_results(const char *kernel_text, tsl_primfunc *func) {
  unsigned state = 5u;
  reference_run run_of = reference_start(kernel_text, &state);
  reference_compare(&run_of, func, 0);
  reference_end(&run_of);
}

/* Moves a random block under a random loop of a block it shares a buffer with (or inlines it,
 * or caches what it reads), trying a few picks until one applies. */
static void random_move(tsl_schedule *sch, unsigned *state) {
  tsl_primfunc *func = sch->func;
  blocks found = {.count = 0};
  tsl_stmt_walk(func->body, collect_block, &found);
  for (int attempt = 0; attempt < 16 && found.count > 1; attempt++) {
    tsl_stmt *block = found.items[next_random(state) % (unsigned)found.count];
    tsl_stmt *other = found.items[next_random(state) % (unsigned)found.count],
             *loops[TSL_SCH_MAX_LOOPS];
    int depth = tsl_sch_get_loops(func, other, loops);
    if (depth == 0 || other == block) continue;
    tsl_stmt *loop = loops[next_random(state) % (unsigned)depth];
    char *before = tsl_primfunc_print(func);
    tsl_error error;
    tsl_status status = TSL_OK;
    switch (next_random(state) % 4) {
    case 0: status = tsl_schedule_compute_at(sch, block, loop, &error); break;
    case 1: status = tsl_schedule_reverse_compute_at(sch, block, loop, &error); break;
    case 2: status = tsl_schedule_compute_inline(sch, block, &error); break;
    case 3:
      if (other->block.num_reads == 0) continue;
      status = tsl_schedule_cache_read(
          sch, other,
          other->block.reads[next_random(state) % (unsigned)other->block.num_reads].buffer, loop,
          NULL, &error);
      break;
    }
    char *after = tsl_primfunc_print(func);
    if (status)
      ck_assert_msg(strcmp(before, after) == 0, "a refused primitive (%s) changed the function",
                    error.message);
    ck_assert_msg(tsl_primfunc_verify(func, &error) == TSL_OK, "%s\n%s", error.message, after);
    free(before);
    free(after);
    if (status == TSL_OK) return;
  }
}

/* Runs the unscheduled kernel (TIR text) and `schedules` randomly scheduled copies (and the
 * default schedule) on the same random inputs; every output must match within 1e-4
 * relative. With `moves`, each schedule starts with up to three random moves (random_move). */
static void check_schedules_with(const char *kernel_text, int schedules, unsigned seed,
                                 bool moves) {
  unsigned state = seed;
  reference_run run_of = reference_start(kernel_text, &state);
  tsl_target target = host_target();
  tsl_trace *drawn = NULL; /* the last schedule drawn from the rules */
  for (int s = 0; s <= schedules; s++) {
    tsl_primfunc *func = parse_kernel(kernel_text);
    /* Every input a constant, as weights are, which the rules may pack. */
    for (int i = 0; i < func->num_params; i++) func->is_constant[i] = !func->is_output[i];
    tsl_schedule sch;
    tsl_schedule_init(&sch, func);
    tsl_schedule_seed(&sch, next_random(&state));
    if (s == 0) {
      tsl_default_schedule(func, &target);
    } else if (s % 2) {
      int num_moves = moves ? 1 + (int)(next_random(&state) % 3) : 0;
      for (int i = 0; i < num_moves; i++) random_move(&sch, &state);
      int steps = 1 + (int)(next_random(&state) % 8);
      for (int i = 0; i < steps; i++) random_step(&sch, &state);
    } else {
      /* The rules with random decisions; every other time the last such trace with one of
       * its decisions drawn again (a search's mutation). */
      if (drawn && s % 4 == 0 && tsl_trace_decisions(drawn) > 0) {
        tsl_schedule_follow(&sch, drawn,
                            (int)(next_random(&state) % (unsigned)tsl_trace_decisions(drawn)));
      }
      tsl_schedule_rules(&sch, &target);
      tsl_trace_free(drawn);
      drawn = NULL;
    }
    if (s > 0) check_replay(kernel_text, &sch);
    if (s > 0 && s % 2 == 0) drawn = tsl_schedule_take_trace(&sch);
    tsl_schedule_release(&sch);
    reference_compare(&run_of, func, s);
    tsl_primfunc_free(func);
  }
  tsl_trace_free(drawn);
  reference_end(&run_of);
}

static void check_schedules(const char *kernel_text, int schedules, unsigned seed) {
  check_schedules_with(kernel_text, schedules, seed, false);
}

static const char *const workloads[] = {
    "graph \"g\" {\n  input %a: f32[37, 64]\n  input %b: f32[64, 48]\n"
    "  %y: f32[37, 48] = matmul(%a, %b)\n  output %y\n}\n",
    "graph \"g\" {\n  input %a: f32[2, 5, 16]\n  input %b: f32[2, 16, 24]\n"
    "  %y: f32[2, 5, 24] = matmul(%a, %b)\n  output %y\n}\n",
    "graph \"g\" {\n  input %a: f32[6, 32]\n  input %b: f32[20, 32]\n  input %c: f32[20]\n"
    "  %y: f32[6, 20] = gemm(%a, %b, %c) {trans_b=1}\n  output %y\n}\n",
    "graph \"g\" {\n  input %x: f32[1, 8, 15, 15]\n  input %w: f32[12, 8, 3, 3]\n  input %b: f32[12]\n"
    "  %y: f32[1, 12, 8, 8] = conv(%x, %w, %b) {strides=[2, 2], pads=[1, 1, 1, 1]}\n  output %y\n}\n",
    "graph \"g\" {\n  input %x: f32[1, 8, 12, 12]\n  input %w: f32[8, 4, 3, 3]\n"
    "  %y: f32[1, 8, 12, 12] = conv(%x, %w) {pads=[2, 2, 2, 2], dilations=[2, 2], groups=2}\n"
    "  output %y\n}\n",
    "graph \"g\" {\n  input %x: f32[1, 16, 10, 10]\n  input %w: f32[16, 1, 3, 3]\n"
    "  %y: f32[1, 16, 10, 10] = conv(%x, %w) {pads=[1, 1, 1, 1], groups=16}\n  output %y\n}\n",
    "graph \"g\" {\n  input %x: f32[1, 4, 11, 11]\n"
    "  %y: f32[1, 4, 6, 6] = max_pool(%x) {kernel=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]}\n"
    "  output %y\n}\n",
    "graph \"g\" {\n  input %x: f32[3, 7, 20]\n"
    "  %y: f32[3, 1, 20] = reduce_sum(%x) {axes=[1]}\n  output %y\n}\n",
    "graph \"g\" {\n  input %x: f32[6, 33]\n  %y: f32[6, 33] = softmax(%x)\n  output %y\n}\n",
    "graph \"g\" {\n  input %a: f32[4, 1, 48]\n  input %b: f32[5, 1]\n"
    "  %y: f32[4, 5, 48] = add(%a, %b)\n  output %y\n}\n",
    "graph \"g\" {\n  input %x: f32[8, 40]\n  %y: f32[8, 40] = tanh(%x)\n  output %y\n}\n",
    "graph \"g\" {\n  input %x: f32[5, 64]\n"
    "  %y: f32[5, 1] = reduce_sum(%x) {axes=[-1]}\n  output %y\n}\n",
    "graph \"g\" {\n  input %x: f32[3, 4, 48]\n"
    "  %y: f32[3, 4] = reduce_max(%x) {axes=[-1], keepdims=0}\n  output %y\n}\n",
    "graph \"g\" {\n  input %x: f32[6, 96]\n"
    "  %y: f32[6, 1] = reduce_mean(%x) {axes=[1]}\n  output %y\n}\n",
    "graph \"g\" {\n  input %x: f32[2, 4, 128]\n  %y: f32[2, 4, 128] = softmax(%x)\n  output %y\n}\n",
};

START_TEST(random_schedules_compute_the_same) {
  char *text = lowered_text(workloads[_i]);
  check_schedules(text, 20, 1234u + (unsigned)_i);
  free(text);
}
END_TEST

/* ---- refusals ---------------------------------------------------------------------------- */

static const char *const matmul_text =
    "graph \"g\" {\n  input %a: f32[8, 12]\n  input %b: f32[12, 10]\n"
    "  %y: f32[8, 10] = matmul(%a, %b)\n  output %y\n}\n";


static void expect_refusal(tsl_status status, const tsl_error *error, const char *words) {
  ck_assert_int_eq(status, TSL_ERROR_INPUT);
  ck_assert_msg(strstr(error->message, words), "message '%s' lacks '%s'", error->message, words);
}

START_TEST(primitives_refuse_what_they_cannot_do) {
  tsl_primfunc *func = lower_first(matmul_text);
  tsl_stmt *block = tsl_sch_get_block(func, "matmul");
  ck_assert_ptr_nonnull(block);
  ck_assert_ptr_null(tsl_sch_get_block(func, "nothing"));
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  ck_assert_int_eq(tsl_sch_get_loops(func, block, loops), 3);
  tsl_error error;
  expect_refusal(tsl_sch_split(func, loops[1], 2, (int64_t[]){-1, 0}, NULL, &error), &error,
                 "factor 0");
  expect_refusal(tsl_sch_split(func, loops[1], 2, (int64_t[]){2, 3}, NULL, &error), &error,
                 "multiply to 6, less than the extent 10");
  expect_refusal(tsl_sch_vectorize(func, loops[2], &error), &error, "reduction variable");
  expect_refusal(tsl_sch_parallel(func, loops[2], &error), &error, "reduction variable");
  tsl_stmt *split[2];
  ck_assert_int_eq(tsl_sch_split(func, loops[1], 2, (int64_t[]){-1, 5}, split, &error), TSL_OK);
  ck_assert_ptr_eq(split[0], loops[1]);
  ck_assert_int_eq(tsl_sch_reorder(func, 3, (tsl_stmt *[]){loops[2], split[1], loops[0]}, &error), TSL_OK);
  tsl_stmt *now[TSL_SCH_MAX_LOOPS];
  ck_assert_int_eq(tsl_sch_get_loops(func, block, now), 4);
  ck_assert_ptr_eq(now[0], loops[2]);
  ck_assert_ptr_eq(now[1], split[0]);
  ck_assert_ptr_eq(now[2], split[1]);
  ck_assert_ptr_eq(now[3], loops[0]);
  ck_assert_int_eq(tsl_sch_decompose_reduction(func, block, now[0], NULL, &error), TSL_OK);
  expect_refusal(tsl_sch_decompose_reduction(func, block, now[0], NULL, &error), &error,
                 "not a block with an init");
  tsl_stmt *init = tsl_sch_get_block(func, "matmul_init");
  ck_assert_ptr_nonnull(init);
  tsl_stmt *other[TSL_SCH_MAX_LOOPS];
  ck_assert_int_eq(tsl_sch_get_loops(func, init, other), 3);
  expect_refusal(tsl_sch_reorder(func, 2, (tsl_stmt *[]){other[0], now[3]}, &error), &error,
                 "not nested");
  tsl_primfunc_free(func);
}
END_TEST

START_TEST(cache_write_accumulates_a_tile) {
  tsl_primfunc *func = lower_first(matmul_text);
  tsl_stmt *block = tsl_sch_get_block(func, "matmul");
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(func, block, loops);
  tsl_error error;
  tsl_stmt *j[2];
  ck_assert_int_eq(tsl_sch_split(func, loops[1], 2, (int64_t[]){2, 5}, j, &error), TSL_OK);
  ck_assert_int_eq(tsl_sch_reorder(func, 4, (tsl_stmt *[]){loops[0], j[0], loops[2], j[1]}, &error), TSL_OK);
  ck_assert_int_eq(tsl_sch_decompose_reduction(func, block, loops[2], NULL, &error), TSL_OK);
  tsl_stmt *copy;
  ck_assert_msg(tsl_sch_cache_write_at(func, block, j[0], &copy, &error) == TSL_OK, "%s", error.message);
  char *text = tsl_primfunc_print(func);
  ck_assert_msg(strstr(text, "alloc %matmul_local: f32[1, 5] local"), "%s", text);
  ck_assert_str_eq(copy->block.name, "matmul_write");
  free(text);
  /* An index that is not affine in the loops cannot be cached. */
  tsl_primfunc *pooled = lower_first(workloads[6]);
  tsl_stmt *pool = tsl_sch_get_block(pooled, "max_pool");
  ck_assert_ptr_nonnull(pool);
  tsl_sch_get_loops(pooled, pool, loops);
  expect_refusal(tsl_sch_cache_write_at(pooled, pool, loops[0], NULL, &error), &error, "store");
  tsl_primfunc_free(pooled);
  tsl_primfunc_free(func);
}
END_TEST

/* A tile cached below a reduction loop starts from the output's values (a fill) and adds one
 * block of the reduction to them (GotoBLAS's kc blocks; TVM's S S R S R S). With tails in the
 * output's tile and in the reduction's blocks, and with the init decomposed above the blocks or
 * left in the block. */
START_TEST(cache_write_below_a_reduction_fills_the_tile) {
  char *reference = lowered_text(matmul_text);
  for (int decomposed = 0; decomposed < 2; decomposed++) {
    tsl_primfunc *func = lower_first(matmul_text);
    tsl_stmt *block = tsl_sch_get_block(func, "matmul");
    tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
    tsl_sch_get_loops(func, block, loops);
    tsl_error error;
    tsl_stmt *j[2], *k[2];
    ck_assert_int_eq(tsl_sch_split(func, loops[1], 2, (int64_t[]){-1, 4}, j, &error), TSL_OK);
    ck_assert_int_eq(tsl_sch_split(func, loops[2], 2, (int64_t[]){-1, 5}, k, &error), TSL_OK);
    ck_assert_int_eq(
        tsl_sch_reorder(func, 5, (tsl_stmt *[]){loops[0], k[0], j[0], k[1], j[1]}, &error), TSL_OK);
    if (decomposed)
      ck_assert_int_eq(tsl_sch_decompose_reduction(func, block, k[0], NULL, &error), TSL_OK);
    tsl_stmt *copy;
    ck_assert_msg(tsl_sch_cache_write_at(func, block, j[0], &copy, &error) == TSL_OK, "%s",
                  error.message);
    char *text = tsl_primfunc_print(func);
    tsl_stmt *fill = tsl_sch_get_block(func, "matmul_read");
    ck_assert_msg(fill && fill->block.body->store.buffer->scope == TSL_SCOPE_LOCAL, "%s", text);
    ck_assert_msg(tsl_primfunc_verify(func, &error) == TSL_OK, "%s\n%s", error.message, text);
    free(text);
    ck_assert_int_eq(tsl_sch_vectorize(func, j[1], &error), TSL_OK);
    expect_same_results(reference, func);
    tsl_primfunc_free(func);
  }
  /* Below the reduction's init, with no reduction loop outside, the tile needs no fill. */
  tsl_primfunc *func = lower_first(matmul_text);
  tsl_stmt *block = tsl_sch_get_block(func, "matmul");
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(func, block, loops);
  tsl_error error;
  ck_assert_int_eq(tsl_sch_cache_write_at(func, block, loops[1], NULL, &error), TSL_OK);
  ck_assert_ptr_null(tsl_sch_get_block(func, "matmul_read"));
  expect_same_results(reference, func);
  tsl_primfunc_free(func);
  free(reference);
}
END_TEST

/* The blocks below `stmt` with a predicate, counted. */
static void count_predicated(tsl_stmt *stmt, void *context) {
  if (stmt->kind == TSL_STMT_BLOCK && stmt->block.predicate) (*(int *)context)++;
}

static int predicated_blocks(tsl_stmt *stmt) {
  int count = 0;
  tsl_stmt_walk(stmt, count_predicated, &count);
  return count;
}

START_TEST(split_with_a_tail_predicates_its_blocks) {
  tsl_primfunc *func = lower_first(matmul_text);
  tsl_stmt *block = tsl_sch_get_block(func, "matmul");
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(func, block, loops);
  tsl_error error;
  tsl_stmt *j[2];
  /* 10 columns in tiles of 4: 3 tiles, the last one half used. */
  ck_assert_int_eq(tsl_sch_split(func, loops[1], 2, (int64_t[]){-1, 4}, j, &error), TSL_OK);
  ck_assert_int_eq(j[0]->loop.extent->int_value, 3);
  ck_assert_int_eq(j[1]->loop.extent->int_value, 4);
  /* As docs/tir.md shows it. */
  char *text = tsl_primfunc_print(func);
  ck_assert_str_eq(
      text,
      "func \"kernel\" (%a: f32[8, 12], %b: f32[12, 10], out %matmul: f32[8, 10]) {\n"
      "  for %i0 in 0..8 {\n"
      "    for %i1_0 in 0..3 {\n"
      "      for %i1_1 in 0..4 {\n"
      "        for %kk in 0..12 {\n"
      "          block \"matmul\" [%v0: spatial 0..8 = %i0, %v1: spatial 0..10 = ((%i1_0 * 4) + "
      "%i1_1), %rk: reduce 0..12 = %kk] where (((%i1_0 * 4) + %i1_1) < 10)\n"
      "               reads [%matmul[%v0, %v1], %a[%v0, %rk], %b[%rk, %v1]] writes [%matmul[%v0, "
      "%v1]] {\n"
      "            init {\n"
      "              %matmul[%v0, %v1] = f32(0.0)\n"
      "            }\n"
      "            %matmul[%v0, %v1] = (%matmul[%v0, %v1] + (%a[%v0, %rk] * %b[%rk, %v1]))\n"
      "          }\n"
      "        }\n"
      "      }\n"
      "    }\n"
      "  }\n"
      "}\n");
  free(text);
  /* The reduction too, then a tile of the output cached and vectorized as the rules do. */
  tsl_stmt *k[2];
  ck_assert_int_eq(tsl_sch_split(func, loops[2], 2, (int64_t[]){-1, 5}, k, &error), TSL_OK);
  ck_assert_int_eq(
      tsl_sch_reorder(func, 5, (tsl_stmt *[]){loops[0], j[0], k[0], k[1], j[1]}, &error), TSL_OK);
  tsl_stmt *init;
  ck_assert_msg(tsl_sch_decompose_reduction(func, block, k[0], &init, &error) == TSL_OK, "%s",
                error.message);
  /* The init keeps the part of the predicate in the output's loops, not the reduction's. */
  text = tsl_primfunc_print(func);
  ck_assert_msg(init->block.predicate && !tsl_expr_uses_var(init->block.predicate, k[0]->loop.var),
                "%s", text);
  free(text);
  tsl_stmt *copy;
  ck_assert_msg(tsl_sch_cache_write_at(func, block, j[0], &copy, &error) == TSL_OK, "%s",
                error.message);
  ck_assert_ptr_nonnull(copy->block.predicate);
  ck_assert_int_eq(tsl_sch_vectorize(func, j[1], &error), TSL_OK);
  text = tsl_primfunc_print(func);
  tsl_primfunc *parsed;
  ck_assert_msg(tsl_primfunc_parse(text, strlen(text), "tail", &parsed, &error) == TSL_OK, "%s\n%s",
                error.message, text);
  char *again = tsl_primfunc_print(parsed);
  ck_assert_str_eq(again, text);
  free(again);
  free(text);
  tsl_primfunc_free(parsed);
  char *reference = lowered_text(matmul_text);
  expect_same_results(reference, func);
  free(reference);
  tsl_primfunc_free(func);
  /* A reduction split with a tail cannot be rfactored: partial results would stay unset. */
  func = lower_first(matmul_text);
  block = tsl_sch_get_block(func, "matmul");
  tsl_sch_get_loops(func, block, loops);
  ck_assert_int_eq(tsl_sch_split(func, loops[2], 2, (int64_t[]){-1, 5}, k, &error), TSL_OK);
  expect_refusal(tsl_sch_rfactor(func, block, k[1], NULL, &error), &error, "predicate");
  tsl_primfunc_free(func);
}
END_TEST

/* The loop of a tail split runs its full tiles free of predicates and its last tile as a copy
 * over the smaller extent; the function computes the same. */
START_TEST(partitioning_frees_the_main_loop_of_predicates) {
  tsl_primfunc *func = lower_first(matmul_text);
  tsl_stmt *block = tsl_sch_get_block(func, "matmul");
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(func, block, loops);
  tsl_error error;
  tsl_stmt *j[2];
  ck_assert_int_eq(tsl_sch_split(func, loops[1], 2, (int64_t[]){-1, 4}, j, &error), TSL_OK);
  ck_assert_int_eq(tsl_sch_reorder(func, 4, (tsl_stmt *[]){loops[0], j[0], loops[2], j[1]}, &error),
                   TSL_OK);
  ck_assert_int_eq(tsl_sch_decompose_reduction(func, block, loops[2], NULL, &error), TSL_OK);
  ck_assert_int_eq(tsl_sch_cache_write_at(func, block, j[0], NULL, &error), TSL_OK);
  ck_assert_int_eq(tsl_sch_vectorize(func, j[1], &error), TSL_OK);
  ck_assert_int_eq(predicated_blocks(func->body), 3);
  tsl_tir_partition_tails(func);
  char *text = tsl_primfunc_print(func);
  ck_assert_msg(tsl_primfunc_verify(func, &error) == TSL_OK, "%s\n%s", error.message, text);
  /* The main loop: two full tiles, nothing predicated, the tile's loop vectorized. */
  ck_assert_int_eq(j[0]->loop.extent->int_value, 2);
  ck_assert_int_eq(predicated_blocks(j[0]), 0);
  ck_assert_int_eq(j[1]->loop.extent->int_value, 4);
  ck_assert_int_eq(j[1]->loop.loop_kind, TSL_LOOP_VECTORIZED);
  /* The tail: its copy of the tile loop runs the 2 columns left, and nothing is predicated. */
  ck_assert_int_eq(predicated_blocks(func->body), 0);
  ck_assert_msg(tsl_sch_get_block(func, "matmul_tail"), "%s", text);
  ck_assert_msg(strstr(text, "for %i1_1_1 in 0..2 vectorized {"), "%s", text);
  tsl_primfunc *parsed;
  ck_assert_msg(tsl_primfunc_parse(text, strlen(text), "partitioned", &parsed, &error) == TSL_OK,
                "%s\n%s", error.message, text);
  tsl_primfunc_free(parsed);
  free(text);
  char *reference = lowered_text(matmul_text);
  expect_same_results(reference, func);
  free(reference);
  tsl_primfunc_free(func);
}
END_TEST

/* Each refusal leaves the kernel printing as it did. */
static void expect_inline_refusal(const char *text, const char *block_name, const char *words) {
  tsl_primfunc *func = parse_kernel(text);
  tsl_stmt *block = tsl_sch_get_block(func, block_name);
  ck_assert_ptr_nonnull(block);
  char *before = tsl_primfunc_print(func);
  tsl_error error;
  expect_refusal(tsl_sch_reverse_compute_inline(func, block, &error), &error, words);
  char *after = tsl_primfunc_print(func);
  ck_assert_str_eq(after, before);
  free(before);
  free(after);
  tsl_primfunc_free(func);
}

START_TEST(reverse_compute_inline_refuses_what_it_cannot_inline) {
  const epilogue relu = {"relu", "out", "u", "max(%matmul[%u0, %u1], f32(0.0))"};
  char *text = fused_text(matmul_text, "out %out: f32[8, 10]", true, 1, &relu);
  expect_inline_refusal(text, "matmul", "it reduces");
  expect_inline_refusal(text, "relu", "the block that writes it reduces");
  free(text);
  const epilogue flipped = {"flip", "out", "u", "%matmul[%u0, (9 - %u1)]"};
  text = fused_text(matmul_text, "out %out: f32[8, 10]", true, 1, &flipped);
  expect_inline_refusal(text, "flip", "at indices other than its variables");
  free(text);
  const epilogue two_readers[2] = {{"relu", "out", "u", "max(%tanh[%u0, %u1], f32(0.0))"},
                                   {"copy", "other", "t", "%tanh[%t0, %t1]"}};
  text = fused_text(workloads[10], "out %out: f32[8, 40], out %other: f32[8, 40]", true, 2, two_readers);
  expect_inline_refusal(text, "relu", "another block reads it too");
  free(text);
  text = fused_text(matmul_text, "out %out: f32[8, 10]", false, 1, &relu);
  expect_inline_refusal(text, "relu", "a parameter");
  free(text);
}
END_TEST

/* An elementwise producer takes its consumer's computation; the consumer's loops and the
 * buffer between them go. */
START_TEST(reverse_compute_inline_merges_elementwise_stages) {
  const epilogue scale = {"scale", "out", "u", "((%tanh[%u0, %u1] * f32(3.0)) + %tanh[%u0, %u1])"};
  char *text = fused_text(workloads[10], "out %out: f32[8, 40]", true, 1, &scale);
  tsl_primfunc *func = parse_kernel(text);
  tsl_error error;
  ck_assert_msg(tsl_sch_reverse_compute_inline(func, tsl_sch_get_block(func, "scale"), &error) == TSL_OK, "%s", error.message);
  ck_assert_int_eq(tsl_primfunc_verify(func, &error), TSL_OK);
  char *inlined = tsl_primfunc_print(func);
  ck_assert_msg(strstr(inlined, "%out[%v0, %v1] = ((tanh(%x[%v0, %v1]) * f32(3.0)) + tanh(%x[%v0, %v1]))"), "%s", inlined);
  ck_assert_msg(!strstr(inlined, "\"scale\"") && !strstr(inlined, "alloc"), "%s", inlined);
  free(inlined);
  tsl_primfunc_free(func);
  check_schedules(text, 10, 99u);
  free(text);
}
END_TEST

/* ---- fuse, compute_inline, compute_at, reverse_compute_at, cache_read ------------------- */

/* The primitive was refused with a message holding `words`, and the kernel prints as before. */
static void expect_unchanged_refusal(tsl_primfunc *func, const char *before, tsl_status status,
                                     const tsl_error *error, const char *words) {
  expect_refusal(status, error, words);
  char *after = tsl_primfunc_print(func);
  ck_assert_str_eq(after, before);
  free(after);
}

START_TEST(fuse_makes_one_loop_of_a_nest) {
  tsl_primfunc *func = lower_first(matmul_text);
  tsl_stmt *block = tsl_sch_get_block(func, "matmul"), *loops[TSL_SCH_MAX_LOOPS], *fused;
  tsl_sch_get_loops(func, block, loops);
  char *before = tsl_primfunc_print(func);
  tsl_error error;
  expect_unchanged_refusal(func, before,
                           tsl_sch_fuse(func, 2, (tsl_stmt *[]){loops[0], loops[2]}, NULL, &error),
                           &error, "is not the body of loop");
  expect_unchanged_refusal(func, before,
                           tsl_sch_fuse(func, 2, (tsl_stmt *[]){loops[0], block}, NULL, &error),
                           &error, "not a loop");
  ck_assert_msg(tsl_sch_fuse(func, 2, loops, &fused, &error) == TSL_OK, "%s", error.message);
  ck_assert_ptr_eq(fused, loops[0]);
  ck_assert_int_eq(tsl_primfunc_verify(func, &error), TSL_OK);
  char *text = tsl_primfunc_print(func);
  ck_assert_msg(strstr(text, "for %i0_i1_fused in 0..80 {\n    for %kk in 0..12 {"), "%s", text);
  ck_assert_msg(strstr(text, "spatial 0..8 = (%i0_i1_fused // 10)") &&
                    strstr(text, "spatial 0..10 = (%i0_i1_fused % 10)"),
                "%s", text);
  free(text);
  /* A loop whose extent is not constant. */
  tsl_primfunc *other = parse_kernel(
      "func \"kernel\" (out %y: f32[4, 4]) {\nfor %i in 0..4 {\nfor %j in 1..4 {\n"
      "block \"y\" [%v: spatial 0..4 = %i, %w: spatial 0..4 = %j] reads [] writes [] {\n"
      "%y[%v, %w] = f32(1.0)\n}\n}\n}\n}\n");
  tsl_sch_get_loops(other, tsl_sch_get_block(other, "y"), loops);
  char *other_before = tsl_primfunc_print(other);
  expect_unchanged_refusal(other, other_before, tsl_sch_fuse(other, 2, loops, NULL, &error), &error,
                           "loop 'j' does not run from 0 to a constant");
  free(other_before);
  tsl_primfunc_free(other);
  free(before);
  tsl_primfunc_free(func);
}
END_TEST

/* A padding stage moves into the convolution that reads it. */
START_TEST(compute_inline_moves_a_stage_into_its_readers) {
  char *text = lowered_text(workloads[3]);
  tsl_primfunc *func = parse_kernel(text);
  char *before = tsl_primfunc_print(func);
  tsl_error error;
  expect_unchanged_refusal(func, before,
                           tsl_sch_compute_inline(func, tsl_sch_get_block(func, "sum"), &error),
                           &error, "block 'sum' cannot be inlined: it reduces");
  expect_unchanged_refusal(func, before,
                           tsl_sch_compute_inline(func, tsl_sch_get_block(func, "conv"), &error),
                           &error, "is a parameter");
  ck_assert_msg(tsl_sch_compute_inline(func, tsl_sch_get_block(func, "pad"), &error) == TSL_OK,
                "%s", error.message);
  ck_assert_int_eq(tsl_primfunc_verify(func, &error), TSL_OK);
  char *inlined = tsl_primfunc_print(func);
  ck_assert_msg(!strstr(inlined, "block \"pad\"") && !strstr(inlined, "alloc %pad") &&
                    !strstr(inlined, "%pad["),
                "%s", inlined);
  ck_assert_msg(strstr(inlined, "(select(((((0 <= (((%v2_1 * 2) + %rk) + -1))"), "%s", inlined);
  free(inlined);
  free(before);
  tsl_primfunc_free(func);
  check_schedules(text, 5, 31u);
  free(text);
  /* The value would read what a later block writes. */
  func = parse_kernel(
      "func \"kernel\" (%x: f32[4], out %y: f32[4]) {\nalloc %t: f32[4] {\nalloc %u: f32[4] {\n"
      "for %i in 0..4 {\nblock \"u\" [%a: spatial 0..4 = %i] reads [] writes [] {\n%u[%a] = "
      "%x[%a]\n}\n}\n"
      "for %j in 0..4 {\nblock \"t\" [%b: spatial 0..4 = %j] reads [] writes [] {\n%t[%b] = "
      "(%u[%b] * f32(2.0))\n}\n}\n"
      "for %k in 0..4 {\nblock \"zero\" [%c: spatial 0..4 = %k] reads [] writes [] {\n%u[%c] = "
      "f32(0.0)\n}\n}\n"
      "for %l in 0..4 {\nblock \"y\" [%d: spatial 0..4 = %l] reads [] writes [] {\n%y[%d] = "
      "(%t[%d] + %u[%d])\n}\n}\n"
      "}\n}\n}\n");
  before = tsl_primfunc_print(func);
  expect_unchanged_refusal(func, before,
                           tsl_sch_compute_inline(func, tsl_sch_get_block(func, "t"), &error),
                           &error, "block 't' reads 'u', which block 'zero' may write after it");
  ck_assert_int_eq(tsl_sch_compute_inline(func, tsl_sch_get_block(func, "u"), &error),
                   TSL_ERROR_INPUT);
  ck_assert_msg(strstr(error.message, "another block writes its buffer too"), "%s", error.message);
  free(before);
  tsl_primfunc_free(func);
  /* The value would read a buffer outside its allocation. */
  func = parse_kernel(
      "func \"kernel\" (%x: f32[4], out %y: f32[4]) {\nalloc %t: f32[4] {\nalloc %u: f32[4] {\n"
      "for %i in 0..4 {\nblock \"u\" [%a: spatial 0..4 = %i] reads [] writes [] {\n%u[%a] = "
      "%x[%a]\n}\n}\n"
      "for %j in 0..4 {\nblock \"t\" [%b: spatial 0..4 = %j] reads [] writes [] {\n%t[%b] = "
      "(%u[%b] * f32(2.0))\n}\n}\n"
      "}\nfor %l in 0..4 {\nblock \"y\" [%d: spatial 0..4 = %l] reads [] writes [] {\n%y[%d] = "
      "%t[%d]\n}\n}\n"
      "}\n}\n");
  before = tsl_primfunc_print(func);
  expect_unchanged_refusal(
      func, before, tsl_sch_compute_inline(func, tsl_sch_get_block(func, "t"), &error), &error,
      "reads 'u', which is not allocated around a block that reads 't'");
  free(before);
  tsl_primfunc_free(func);
}
END_TEST

/* ---- fused kernels ----------------------------------------------------------------------- */

static const char *const conv_text =
    "graph \"g\" {\n  input %x: f32[1, 8, 10, 10]\n  input %w: f32[16, 8, 3, 3]\n"
    "  %y: f32[1, 16, 10, 10] = conv(%x, %w) {pads=[1, 1, 1, 1]}\n  output %y\n}\n";

static const char *const wide_matmul_text =
    "graph \"g\" {\n  input %a: f32[37, 64]\n  input %b: f32[64, 48]\n"
    "  %y: f32[37, 48] = matmul(%a, %b)\n  output %y\n}\n";

/* An anchor and its epilogue, as graph fusion lowers them. */
typedef struct fused_workload {
  const char *anchor, *params;
  epilogue stage;
} fused_workload;

static const fused_workload fused_workloads[] = {
    {wide_matmul_text, "%bias: f32[48], out %out: f32[37, 48]",
     {"bias_relu", "out", "u", "max((%matmul[%u0, %u1] + %bias[%u1]), f32(0.0))"}},
    {conv_text, "%scale: f32[16], %shift: f32[16], %residual: f32[1, 16, 10, 10], out %out: f32[1, 16, 10, 10]",
     {"scale_shift_add_relu", "out", "u",
      "max((((%conv[%u0, %u1, %u2, %u3] * %scale[%u1]) + %shift[%u1]) + %residual[%u0, %u1, %u2, %u3]), f32(0.0))"}},
    {matmul_text, "out %out: f32[8, 10]",
     {"gelu", "out", "u",
      "((f32(0.5) * %matmul[%u0, %u1]) * (f32(1.0) + erf((%matmul[%u0, %u1] * f32(0.70710677)))))"}},
};

static char *fused_workload_text(const fused_workload *workload) {
  return fused_text(workload->anchor, workload->params, true, 1, &workload->stage);
}

/* The default schedule runs the epilogue in the register tile's write-back: no nest of its
 * own, no scratch buffer; and it computes what the unscheduled kernel does, as do random
 * schedules. */
START_TEST(default_schedule_inlines_epilogues) {
  const fused_workload *workload = &fused_workloads[_i];
  char *text = fused_workload_text(workload);
  tsl_primfunc *func = parse_kernel(text);
  tsl_target target = host_target();
  tsl_default_schedule(func, &target);
  char *scheduled = tsl_primfunc_print(func);
  char block_name[128];
  snprintf(block_name, sizeof(block_name), "\"%s\"", workload->stage.name);
  ck_assert_msg(!strstr(scheduled, block_name), "the epilogue still runs on its own:\n%s", scheduled);
  ck_assert_msg(!strstr(scheduled, "alloc %matmul:") && !strstr(scheduled, "alloc %conv:"),
                "the scratch buffer is still allocated:\n%s", scheduled);
  ck_assert_msg(strstr(scheduled, "_write\""), "%s", scheduled);
  free(scheduled);
  tsl_primfunc_free(func);
  check_schedules(text, 20, 4321u + (unsigned)_i);
  free(text);
}
END_TEST

/* ---- rfactor ----------------------------------------------------------------------------- */

/* LayerNorm over the last axis as graph fusion makes it: mean and variance as sums, then the
 * normalisation. */
static const char *const layer_norm_text =
    "func \"kernel\" (%x: f32[8, 64], %g: f32[64], %b: f32[64], out %y: f32[8, 64]) {\n"
    "alloc %mean: f32[8, 1] {\nalloc %var: f32[8, 1] {\n"
    "for %i0 in 0..8 {\nfor %i1 in 0..1 {\nfor %k in 0..64 {\n"
    "block \"mean\" [%v0: spatial 0..8 = %i0, %v1: spatial 0..1 = %i1, %r: reduce 0..64 = %k] reads [] writes [] {\n"
    "init {\n%mean[%v0, %v1] = f32(0.0)\n}\n%mean[%v0, %v1] = (%mean[%v0, %v1] + %x[%v0, %r])\n}\n}\n}\n}\n"
    "for %j0 in 0..8 {\nfor %j1 in 0..1 {\nfor %kk in 0..64 {\n"
    "block \"var\" [%w0: spatial 0..8 = %j0, %w1: spatial 0..1 = %j1, %s: reduce 0..64 = %kk] reads [] writes [] {\n"
    "init {\n%var[%w0, %w1] = f32(0.0)\n}\n"
    "%var[%w0, %w1] = (%var[%w0, %w1] + pow((%x[%w0, %s] - (%mean[%w0, 0] / f32(64.0))), f32(2.0)))\n}\n}\n}\n}\n"
    "for %l0 in 0..8 {\nfor %l1 in 0..64 {\n"
    "block \"y\" [%u0: spatial 0..8 = %l0, %u1: spatial 0..64 = %l1] reads [] writes [] {\n"
    "%y[%u0, %u1] = ((((%x[%u0, %u1] - (%mean[%u0, 0] / f32(64.0))) / sqrt(((%var[%u0, 0] / f32(64.0)) + f32(0.001)))) * %g[%u1]) + %b[%u1])\n"
    "}\n}\n}\n}\n}\n}\n";

START_TEST(rfactor_refuses_what_it_cannot_split) {
  tsl_primfunc *func = lower_first(matmul_text);
  tsl_stmt *block = tsl_sch_get_block(func, "matmul"), *loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(func, block, loops);
  char *before = tsl_primfunc_print(func);
  tsl_error error;
  expect_refusal(tsl_sch_rfactor(func, block, loops[0], NULL, &error), &error, "binds none of its reduction variables");
  expect_refusal(tsl_sch_rfactor(func, block, block, NULL, &error), &error, "not a loop");
  tsl_primfunc *other = lower_first(wide_matmul_text);
  tsl_stmt *other_loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(other, tsl_sch_get_block(other, "matmul"), other_loops);
  expect_refusal(tsl_sch_rfactor(func, block, other_loops[2], NULL, &error), &error, "not around it");
  tsl_primfunc_free(other);
  /* The reduction loop outside a spatial one. */
  ck_assert_int_eq(tsl_sch_reorder(func, 2, (tsl_stmt *[]){loops[2], loops[1]}, &error), TSL_OK);
  char *reordered = tsl_primfunc_print(func);
  expect_refusal(tsl_sch_rfactor(func, block, loops[2], NULL, &error), &error, "binds a spatial variable");
  char *after = tsl_primfunc_print(func);
  ck_assert_str_eq(after, reordered);
  ck_assert_str_ne(before, reordered);
  free(before);
  free(reordered);
  free(after);
  tsl_primfunc_free(func);

  func = lower_first(workloads[10]); /* tanh: no reduction */
  block = tsl_sch_get_block(func, "tanh");
  ck_assert_ptr_nonnull(block);
  tsl_sch_get_loops(func, block, loops);
  expect_refusal(tsl_sch_rfactor(func, block, loops[0], NULL, &error), &error, "no init");
  tsl_primfunc_free(func);

  /* A difference is not a reducer. */
  func = parse_kernel("func \"kernel\" (%x: f32[4, 8], out %y: f32[4]) {\n"
                      "for %i in 0..4 {\nfor %k in 0..8 {\n"
                      "block \"y\" [%v: spatial 0..4 = %i, %r: reduce 0..8 = %k] reads [] writes [] {\n"
                      "init {\n%y[%v] = f32(0.0)\n}\n%y[%v] = (%y[%v] - %x[%v, %r])\n}\n}\n}\n}\n");
  block = tsl_sch_get_block(func, "y");
  tsl_sch_get_loops(func, block, loops);
  before = tsl_primfunc_print(func);
  expect_refusal(tsl_sch_rfactor(func, block, loops[1], NULL, &error), &error, "combine(buffer[I], value)");
  after = tsl_primfunc_print(func);
  ck_assert_str_eq(after, before);
  free(before);
  free(after);
  tsl_primfunc_free(func);
}
END_TEST

/* rfactor by hand: partial sums in rf, folded by the block; the result verifies, prints and
 * parses back, and computes the same. */
START_TEST(rfactor_splits_a_reduction) {
  char *text = lowered_text(workloads[11]); /* reduce_sum over the last axis */
  tsl_primfunc *func = parse_kernel(text);
  tsl_stmt *block = tsl_sch_get_block(func, "reduce_sum"), *loops[TSL_SCH_MAX_LOOPS], *parts[2], *rf;
  ck_assert_ptr_nonnull(block);
  int depth = tsl_sch_get_loops(func, block, loops);
  tsl_error error;
  ck_assert_int_eq(tsl_sch_split(func, loops[depth - 1], 2, (int64_t[]){-1, 8}, parts, &error), TSL_OK);
  ck_assert_msg(tsl_sch_rfactor(func, block, parts[1], &rf, &error) == TSL_OK, "%s", error.message);
  ck_assert_int_eq(tsl_primfunc_verify(func, &error), TSL_OK);
  char *printed = tsl_primfunc_print(func);
  ck_assert_msg(strstr(printed, "alloc %reduce_sum_rf: f32[8] local") && strstr(printed, "block \"reduce_sum_rf\""), "%s", printed);
  ck_assert_ptr_eq(tsl_sch_get_block(func, "reduce_sum_rf"), rf);
  ck_assert_int_eq(tsl_sch_vectorize(func, parts[1], &error), TSL_OK);
  free(printed);
  tsl_primfunc_free(func);
  free(text);
}
END_TEST

/* A sum over each row, then each element divided by its row's sum. */
static const char *const row_sum_text =
    "func \"kernel\" (%x: f32[4, 8], out %y: f32[4, 8]) {\nalloc %s: f32[4] {\n"
    "for %i in 0..4 {\nfor %k in 0..8 {\n"
    "block \"s\" [%v: spatial 0..4 = %i, %r: reduce 0..8 = %k] reads [] writes [] {\n"
    "init {\n%s[%v] = f32(1.0)\n}\n%s[%v] = (%s[%v] + %x[%v, %r])\n}\n}\n}\n"
    "for %i2 in 0..4 {\nfor %j in 0..8 {\n"
    "block \"y\" [%a: spatial 0..4 = %i2, %b: spatial 0..8 = %j] reads [] writes [] {\n"
    "%y[%a, %b] = (%x[%a, %b] / %s[%a])\n}\n}\n}\n}\n}\n";

/* The padding computed, per row of output, for the rows the convolution reads; the row sums
 * computed, per row, where the division needs them. */
START_TEST(compute_at_computes_a_stage_where_it_is_read) {
  char *text = lowered_text(workloads[3]);
  tsl_primfunc *func = parse_kernel(text);
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS], *pad_loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(func, tsl_sch_get_block(func, "sum"), loops);
  tsl_sch_get_loops(func, tsl_sch_get_block(func, "pad"), pad_loops);
  char *before = tsl_primfunc_print(func);
  tsl_error error;
  expect_unchanged_refusal(
      func, before, tsl_sch_compute_at(func, tsl_sch_get_block(func, "conv"), loops[2], &error),
      &error, "compute_at of block 'conv' at loop 'i2_1': the buffer it writes is a parameter");
  expect_unchanged_refusal(
      func, before, tsl_sch_compute_at(func, tsl_sch_get_block(func, "pad"), pad_loops[1], &error),
      &error, "no block below the loop reads its buffer");
  ck_assert_int_eq(tsl_sch_parallel(func, loops[1], &error), TSL_OK);
  char *parallel = tsl_primfunc_print(func);
  expect_unchanged_refusal(
      func, parallel, tsl_sch_compute_at(func, tsl_sch_get_block(func, "pad"), loops[2], &error),
      &error, "parallel or vectorized");
  free(parallel);
  loops[1]->loop.loop_kind = TSL_LOOP_SERIAL;
  ck_assert_msg(
      tsl_sch_compute_at(func, tsl_sch_get_block(func, "pad"), loops[2], &error) == TSL_OK, "%s",
      error.message);
  ck_assert_int_eq(tsl_primfunc_verify(func, &error), TSL_OK);
  char *moved = tsl_primfunc_print(func);
  ck_assert_msg(strstr(moved, "for %i2_1 in 0..8 {\n            for %i0 in 0..1 {"), "%s", moved);
  ck_assert_msg(strstr(moved, "for %i2 in 0..3 {") &&
                    strstr(moved, "%v2: spatial 0..17 = ((%i2_1 * 2) + %i2)"),
                "%s", moved);
  free(moved);
  expect_same_results(text, func);
  tsl_primfunc_free(func);
  free(text);
  free(before);

  func = parse_kernel(row_sum_text);
  tsl_sch_get_loops(func, tsl_sch_get_block(func, "y"), loops);
  before = tsl_primfunc_print(func);
  expect_unchanged_refusal(
      func, before, tsl_sch_compute_at(func, tsl_sch_get_block(func, "s"), loops[1], &error),
      &error,
      "it reduces, and iterations of the loops down to the loop would compute the same outputs");
  ck_assert_msg(tsl_sch_compute_at(func, tsl_sch_get_block(func, "s"), loops[0], &error) == TSL_OK,
                "%s", error.message);
  moved = tsl_primfunc_print(func);
  ck_assert_msg(
      strstr(moved, "for %i2 in 0..4 {\n      for %i in 0..1 {\n        for %k in 0..8 {"), "%s",
      moved);
  ck_assert_msg(strstr(moved, "%v: spatial 0..4 = (%i2 + %i)"), "%s", moved);
  free(moved);
  expect_same_results(row_sum_text, func);
  free(before);
  tsl_primfunc_free(func);
}
END_TEST

/* The bias of a convolution added per output row, right after the row is summed. */
static const char *const two_stage_text =
    "func \"kernel\" (%x: f32[5, 8], out %y: f32[5, 8]) {\nalloc %t: f32[5, 8] {\n"
    "for %i in 0..5 {\nfor %j in 0..8 {\n"
    "block \"t\" [%v: spatial 0..5 = %i, %w: spatial 0..8 = %j] reads [] writes [] {\n"
    "%t[%v, %w] = (%x[%v, %w] * f32(2.0))\n}\n}\n}\n"
    "for %i2 in 0..5 {\nfor %j2 in 0..8 {\n"
    "block \"y\" [%a: spatial 0..5 = %i2, %b: spatial 0..8 = %j2] reads [] writes [] {\n"
    "%y[%a, %b] = (%t[%a, %b] + f32(1.0))\n}\n}\n}\n}\n}\n";

/* A stage computed or copied per iteration of a loop split with a tail (5 rows by 3): the part
 * past the buffer's edge is clipped by a predicate, and the function computes the same. */
static void expect_clipped(const char *split_name, const char *clipped_name, int primitive) {
  tsl_primfunc *func = parse_kernel(two_stage_text);
  tsl_stmt *block = tsl_sch_get_block(func, split_name), *loops[TSL_SCH_MAX_LOOPS], *parts[2];
  tsl_sch_get_loops(func, block, loops);
  tsl_error error;
  ck_assert_int_eq(tsl_sch_split(func, loops[0], 2, (int64_t[]){-1, 3}, parts, &error), TSL_OK);
  tsl_status status = TSL_OK;
  if (primitive == 0)
    status = tsl_sch_compute_at(func, tsl_sch_get_block(func, "t"), parts[0], &error);
  else if (primitive == 1)
    status = tsl_sch_reverse_compute_at(func, tsl_sch_get_block(func, "y"), parts[0], &error);
  else
    status = tsl_sch_cache_read(func, block, func->params[0], parts[0], NULL, &error);
  ck_assert_msg(status == TSL_OK, "%s", error.message);
  char *text = tsl_primfunc_print(func);
  tsl_stmt *clipped = tsl_sch_get_block(func, clipped_name);
  ck_assert_msg(clipped && clipped->block.predicate, "%s", text);
  free(text);
  expect_same_results(two_stage_text, func);
  tsl_primfunc_free(func);
}

START_TEST(tails_clip_what_is_computed_per_iteration) {
  expect_clipped("y", "t", 0);
  expect_clipped("t", "y", 1);
  expect_clipped("t", "x_read", 2);
  /* Without a predicate to keep the accesses in, a part past the edge is refused. */
  tsl_primfunc *func = parse_kernel(two_stage_text);
  tsl_stmt *block = tsl_sch_get_block(func, "y"), *loops[TSL_SCH_MAX_LOOPS], *parts[2];
  tsl_sch_get_loops(func, block, loops);
  tsl_error error;
  ck_assert_int_eq(tsl_sch_split(func, loops[0], 2, (int64_t[]){-1, 3}, parts, &error), TSL_OK);
  block->block.predicate = NULL;
  expect_refusal(tsl_sch_compute_at(func, tsl_sch_get_block(func, "t"), parts[0], &error), &error,
                 "may reach outside the buffer");
  tsl_primfunc_free(func);
}
END_TEST

START_TEST(reverse_compute_at_computes_a_stage_where_its_input_is_made) {
  char *text = lowered_text(workloads[3]);
  tsl_primfunc *func = parse_kernel(text);
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS], *pad_loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(func, tsl_sch_get_block(func, "sum"), loops);
  tsl_sch_get_loops(func, tsl_sch_get_block(func, "pad"), pad_loops);
  char *before = tsl_primfunc_print(func);
  tsl_error error;
  expect_unchanged_refusal(
      func, before,
      tsl_sch_reverse_compute_at(func, tsl_sch_get_block(func, "conv"), loops[4], &error), &error,
      "reverse_compute_at of block 'conv' at loop 'kc': the block it reads reduces over the loop");
  expect_unchanged_refusal(
      func, before,
      tsl_sch_reverse_compute_at(func, tsl_sch_get_block(func, "sum"), pad_loops[1], &error),
      &error, "block 'sum' at loop 'i1': it reduces");
  expect_unchanged_refusal(
      func, before,
      tsl_sch_reverse_compute_at(func, tsl_sch_get_block(func, "pad"), loops[1], &error), &error,
      "the loop does not run before its loops");
  ck_assert_msg(
      tsl_sch_reverse_compute_at(func, tsl_sch_get_block(func, "conv"), loops[2], &error) == TSL_OK,
      "%s", error.message);
  ck_assert_int_eq(tsl_primfunc_verify(func, &error), TSL_OK);
  char *moved = tsl_primfunc_print(func);
  ck_assert_msg(strstr(moved, "for %i2_2 in 0..1 {\n                  for %i3_2 in 0..8 {"), "%s",
                moved);
  ck_assert_msg(
      strstr(moved,
             "%v1_2: spatial 0..12 = (%i1_1 + %i1_2), %v2_2: spatial 0..8 = (%i2_1 + %i2_2)"),
      "%s", moved);
  free(moved);
  expect_same_results(text, func);
  tsl_primfunc_free(func);
  free(text);
  free(before);

  func = parse_kernel(row_sum_text);
  tsl_sch_get_loops(func, tsl_sch_get_block(func, "s"), loops);
  before = tsl_primfunc_print(func);
  expect_unchanged_refusal(
      func, before,
      tsl_sch_reverse_compute_at(func, tsl_sch_get_block(func, "y"), loops[0], &error), &error,
      "it reads the produced buffer at indices other than its variables in order");
  free(before);
  tsl_primfunc_free(func);
}
END_TEST

/* A tile of each operand of a matrix product packed into a local buffer. */
START_TEST(cache_read_packs_a_tile) {
  tsl_primfunc *func = lower_first(matmul_text);
  tsl_stmt *block = tsl_sch_get_block(func, "matmul"), *loops[TSL_SCH_MAX_LOOPS], *k[2], *copy;
  tsl_sch_get_loops(func, block, loops);
  tsl_buffer *a = func->params[0], *b = func->params[1], *y = func->params[2];
  char *before = tsl_primfunc_print(func);
  tsl_error error;
  expect_unchanged_refusal(func, before, tsl_sch_cache_read(func, block, y, loops[0], NULL, &error),
                           &error,
                           "cache_read of 'matmul' in block 'matmul' at loop 'i0': a block below "
                           "the loop writes the buffer");
  tsl_primfunc *pooled = lower_first(workloads[6]);
  tsl_stmt *pool = tsl_sch_get_block(pooled, "max_pool"), *pool_loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(pooled, pool, pool_loops);
  char *pooled_before = tsl_primfunc_print(pooled);
  expect_unchanged_refusal(
      pooled, pooled_before,
      tsl_sch_cache_read(pooled, pool, pooled->params[0], pool_loops[1], NULL, &error), &error,
      "an index is not affine in the loops");
  expect_unchanged_refusal(
      func, before, tsl_sch_cache_read(func, block, pooled->params[0], loops[0], NULL, &error),
      &error, "the block does not read the buffer");
  expect_unchanged_refusal(func, before,
                           tsl_sch_cache_read(func, block, a, pool_loops[0], NULL, &error), &error,
                           "the loop is not around the block");
  free(pooled_before);
  tsl_primfunc_free(pooled);
  ck_assert_int_eq(tsl_sch_split(func, loops[2], 2, (int64_t[]){-1, 4}, k, &error), TSL_OK);
  ck_assert_int_eq(tsl_sch_reorder(func, 3, (tsl_stmt *[]){k[0], loops[0], loops[1]}, &error),
                   TSL_OK);
  ck_assert_msg(tsl_sch_cache_read(func, block, b, k[0], &copy, &error) == TSL_OK, "%s",
                error.message);
  ck_assert_str_eq(copy->block.name, "b_read");
  ck_assert_msg(tsl_sch_cache_read(func, block, a, loops[0], NULL, &error) == TSL_OK, "%s",
                error.message);
  ck_assert_int_eq(tsl_primfunc_verify(func, &error), TSL_OK);
  char *cached = tsl_primfunc_print(func);
  ck_assert_msg(strstr(cached, "alloc %b_local: f32[4, 10] local {") &&
                    strstr(cached, "alloc %a_local: f32[1, 4] local {"),
                "%s", cached);
  ck_assert_msg(
      strstr(cached, "[%v0_1: spatial 0..12 = ((%kk_0 * 4) + %r0), %v1_1: spatial 0..10 = %r1]"),
      "%s", cached);
  ck_assert_msg(strstr(cached, "(%a_local[0, %kk_1] * %b_local[%kk_1, %i1])"), "%s", cached);
  free(cached);
  char *text = lowered_text(matmul_text);
  expect_same_results(text, func);
  free(text);
  free(before);
  tsl_primfunc_free(func);
}
END_TEST

START_TEST(transform_layout_packs_a_parameter) {
  char *kernel = lowered_text(matmul_text);
  tsl_primfunc *func = parse_kernel(kernel);
  tsl_buffer *b = func->params[1], *y = func->params[2];
  char *before = tsl_primfunc_print(func);
  tsl_error error;
  /* b [12, 10] as [10/4 rounded up, 12, 4]: the columns in tiles of 4, the last one padded. */
  const tsl_layout_axis tiles[3] = {
      {1, TSL_LAYOUT_OUTER, 4}, {0, TSL_LAYOUT_WHOLE, 0}, {1, TSL_LAYOUT_INNER, 4}};
  expect_unchanged_refusal(func, before, tsl_sch_transform_layout(func, y, 3, tiles, &error),
                           &error, "the function writes 'matmul'");
  expect_unchanged_refusal(
      func, before,
      tsl_sch_transform_layout(
          func, b, 2, (tsl_layout_axis[]){{0, TSL_LAYOUT_WHOLE, 0}, {0, TSL_LAYOUT_WHOLE, 0}},
          &error),
      &error, "a0 must be held whole once, or by one outer and one inner part");
  expect_unchanged_refusal(func, before,
                           tsl_sch_transform_layout(func, b, 3,
                                                    (tsl_layout_axis[]){{1, TSL_LAYOUT_OUTER, 1},
                                                                        {0, TSL_LAYOUT_WHOLE, 0},
                                                                        {1, TSL_LAYOUT_INNER, 1}},
                                                    &error),
                           &error, "splits a1 by 1");
  expect_unchanged_refusal(
      func, before,
      tsl_sch_transform_layout(
          func, b, 2, (tsl_layout_axis[]){{0, TSL_LAYOUT_WHOLE, 0}, {2, TSL_LAYOUT_WHOLE, 0}},
          &error),
      &error, "holds a2, but the original has 2 axes");
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  ck_assert_msg(tsl_schedule_transform_layout(&sch, b, 3, tiles, &error) == TSL_OK, "%s",
                error.message);
  char *packed = tsl_primfunc_print(func);
  expect_unchanged_refusal(func, packed,
                           tsl_sch_transform_layout(func, func->params[1], 3, tiles, &error),
                           &error, "'b' is packed already");
  ck_assert_msg(strstr(packed, "%b: f32[3, 12, 4] packed from [12, 10] as [a1 // 4, a0, a1 % 4]") &&
                    strstr(packed, "%b[(%v1 // 4), %rk, (%v1 % 4)]"),
                "%s", packed);
  char *json = tsl_trace_to_json(sch.trace);
  ck_assert_msg(strstr(json,
                       "{\"op\": \"transform_layout\", \"buffer\": \"b\", \"axes\": "
                       "[[1, \"outer\", 4], [0], [1, \"inner\", 4]]}"),
                "%s", json);
  check_replay(kernel, &sch);
  /* The same results, given b packed (reference_compare packs it), also tiled on top. */
  tsl_primfunc *tiled = tsl_primfunc_copy(func);
  expect_same_results(kernel, func);
  tsl_target target = host_target();
  tsl_default_schedule(tiled, &target);
  expect_same_results(kernel, tiled);
  /* The packing of a weight, element by element: column 9 is in tile 2 at 1; column 10 and 11
   * are padding. */
  float original[12 * 10], tiled_b[3 * 12 * 4];
  for (int e = 0; e < 120; e++) original[e] = (float)e;
  tsl_packing_apply(func->packing[1], sizeof(float), original, tiled_b);
  ck_assert_float_eq(tiled_b[(2 * 12 + 5) * 4 + 1], original[5 * 10 + 9]);
  ck_assert_float_eq(tiled_b[(2 * 12 + 5) * 4 + 2], 0.0f);
  ck_assert_float_eq(tiled_b[(0 * 12 + 3) * 4 + 3], original[3 * 10 + 3]);
  free(json);
  free(packed);
  free(before);
  tsl_schedule_release(&sch);
  tsl_primfunc_free(tiled);
  tsl_primfunc_free(func);
  free(kernel);
}
END_TEST

/* ---- storage_align ---------------------------------------------------------------------- */

/* Two stages through a buffer of three axes, their rows vectorised. */
static const char *const three_axis_text =
    "func \"kernel\" (%x: f32[3, 5, 8], out %y: f32[3, 5, 8]) {\nalloc %t: f32[3, 5, 8] {\n"
    "for %i in 0..3 {\nfor %j in 0..5 {\nfor %k in 0..8 vectorized {\n"
    "block \"t\" [%u: spatial 0..3 = %i, %v: spatial 0..5 = %j, %w: spatial 0..8 = %k] reads [] "
    "writes [] {\n%t[%u, %v, %w] = (%x[%u, %v, %w] * f32(2.0))\n}\n}\n}\n}\n"
    "for %i2 in 0..3 {\nfor %j2 in 0..5 {\nfor %k2 in 0..8 vectorized {\n"
    "block \"y\" [%a: spatial 0..3 = %i2, %b: spatial 0..5 = %j2, %c: spatial 0..8 = %k2] reads [] "
    "writes [] {\n%y[%a, %b, %c] = (%t[%a, %b, %c] + %t[%a, ((%b + 1) % 5), %c])\n}\n}\n}\n}\n"
    "}\n}\n";

/* The function prints with `words`, and prints the same once parsed back. */
static void expect_printed(const tsl_primfunc *func, const char *words) {
  char *text = tsl_primfunc_print(func), *again;
  ck_assert_msg(strstr(text, words), "'%s' is not in\n%s", words, text);
  tsl_primfunc *parsed;
  tsl_error error;
  ck_assert_msg(tsl_primfunc_parse(text, strlen(text), "aligned", &parsed, &error) == TSL_OK, "%s",
                error.message);
  again = tsl_primfunc_print(parsed);
  ck_assert_str_eq(again, text);
  free(again);
  free(text);
  tsl_primfunc_free(parsed);
}

/* The function's LLVM IR, before optimisation, holds `words`. */
static void expect_in_ir(tsl_primfunc *func, const char *words) {
  tsl_target target = host_target();
  tsl_error error;
  tsl_llvm *llvm;
  ck_assert_int_eq(tsl_llvm_new(&target, "test", &llvm, &error), TSL_OK);
  ck_assert_msg(tsl_llvm_add_function(llvm, func, &error) == TSL_OK, "%s", error.message);
  char *ir = tsl_llvm_print(llvm);
  ck_assert_msg(strstr(ir, words), "'%s' is not in\n%s", words, ir);
  free(ir);
  tsl_llvm_free(llvm);
}

START_TEST(storage_align_refuses_what_it_cannot_pad) {
  tsl_primfunc *func = parse_kernel(two_stage_text), *other = parse_kernel(two_stage_text);
  tsl_stmt *t = tsl_sch_get_block(func, "t"), *y = tsl_sch_get_block(func, "y");
  tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(func, t, loops);
  tsl_buffer *buffer = t->block.writes[0].buffer,
             *foreign = tsl_sch_get_block(other, "t")->block.writes[0].buffer;
  char *before = tsl_primfunc_print(func);
  tsl_error error;
  expect_unchanged_refusal(func, before,
                           tsl_sch_storage_align(func, loops[0], buffer, 0, 16, 4, &error), &error,
                           "storage_align: not a block of function 'kernel'");
  expect_unchanged_refusal(func, before, tsl_sch_storage_align(func, y, buffer, 0, 16, 4, &error),
                           &error,
                           "storage_align of 't' in block 'y' at axis 0 (factor 16, offset 4): the "
                           "block does not write the buffer");
  expect_unchanged_refusal(func, before,
                           tsl_sch_storage_align(func, y, func->params[1], 0, 16, 4, &error),
                           &error, "the buffer is a parameter, whose layout is the caller's");
  expect_unchanged_refusal(func, before, tsl_sch_storage_align(func, t, foreign, 0, 16, 4, &error),
                           &error, "the function does not allocate the buffer");
  expect_unchanged_refusal(func, before, tsl_sch_storage_align(func, t, buffer, 2, 16, 4, &error),
                           &error, "the buffer has no such axis");
  expect_unchanged_refusal(func, before, tsl_sch_storage_align(func, t, buffer, -1, 16, 4, &error),
                           &error, "the buffer has no such axis");
  expect_unchanged_refusal(func, before, tsl_sch_storage_align(func, t, buffer, 1, 16, 4, &error),
                           &error, "the last axis is contiguous");
  expect_unchanged_refusal(func, before, tsl_sch_storage_align(func, t, buffer, 0, 0, 0, &error),
                           &error, "the factor is not positive");
  expect_unchanged_refusal(func, before, tsl_sch_storage_align(func, t, buffer, 0, 16, 16, &error),
                           &error, "the offset is not in [0, factor)");
  expect_unchanged_refusal(func, before, tsl_sch_storage_align(func, t, buffer, 0, 16, -1, &error),
                           &error, "the offset is not in [0, factor)");
  expect_unchanged_refusal(
      func, before, tsl_sch_storage_align(func, t, buffer, 0, INT64_MAX, INT64_MAX - 1, &error),
      &error, "the aligned layout is too large");
  free(before);
  /* An outer axis padded already would lose its alignment: the inner ones go first. */
  tsl_primfunc *three = parse_kernel(three_axis_text);
  tsl_stmt *block = tsl_sch_get_block(three, "t");
  tsl_buffer *t3 = block->block.writes[0].buffer;
  ck_assert_int_eq(tsl_sch_storage_align(three, block, t3, 0, 64, 0, &error), TSL_OK);
  before = tsl_primfunc_print(three);
  expect_unchanged_refusal(three, before, tsl_sch_storage_align(three, block, t3, 1, 16, 4, &error),
                           &error, "an axis outside it is aligned already");
  free(before);
  tsl_primfunc_free(three);
  tsl_primfunc_free(other);
  tsl_primfunc_free(func);
}
END_TEST

/* Rows padded to an aligned stride, in a buffer the kernel allocates (on the heap, vectorised
 * rows of three axes, aligned inner axis first) and in a local tile cache_read makes (on the
 * stack): the strides print and parse back, the allocation spans the padding, and the
 * function computes what it did. */
START_TEST(storage_align_pads_rows) {
  tsl_primfunc *func = parse_kernel(two_stage_text);
  tsl_stmt *t = tsl_sch_get_block(func, "t");
  tsl_buffer *buffer = t->block.writes[0].buffer;
  tsl_error error;
  ck_assert_msg(tsl_sch_storage_align(func, t, buffer, 0, 16, 4, &error) == TSL_OK, "%s",
                error.message);
  expect_printed(func, "alloc %t: f32[5, 8] strides=[20, 1] {");
  ck_assert_int_eq(tsl_buffer_elements(buffer), 100);
  expect_in_ir(func, "@tsl_kernel_alloc(i64 400)");
  expect_same_results(two_stage_text, func);
  tsl_primfunc_free(func);

  func = parse_kernel(three_axis_text);
  t = tsl_sch_get_block(func, "t");
  buffer = t->block.writes[0].buffer;
  ck_assert_int_eq(tsl_sch_storage_align(func, t, buffer, 1, 16, 4, &error), TSL_OK);
  expect_printed(func, "alloc %t: f32[3, 5, 8] strides=[100, 20, 1] {");
  ck_assert_int_eq(tsl_sch_storage_align(func, t, buffer, 0, 64, 0, &error), TSL_OK);
  expect_printed(func, "alloc %t: f32[3, 5, 8] strides=[128, 20, 1] {");
  ck_assert_int_eq(tsl_buffer_elements(buffer), 384);
  /* Aligned again, an axis takes the new alignment. */
  ck_assert_int_eq(tsl_sch_storage_align(func, t, buffer, 0, 1, 0, &error), TSL_OK);
  ck_assert(!tsl_buffer_is_row_major(buffer));
  expect_printed(func, "alloc %t: f32[3, 5, 8] strides=[100, 20, 1] {");
  ck_assert_int_eq(tsl_sch_storage_align(func, t, buffer, 0, 32, 8, &error), TSL_OK);
  expect_printed(func, "alloc %t: f32[3, 5, 8] strides=[104, 20, 1] {");
  expect_same_results(three_axis_text, func);
  tsl_primfunc_free(func);

  char *kernel = lowered_text(matmul_text);
  func = parse_kernel(kernel);
  tsl_stmt *block = tsl_sch_get_block(func, "matmul"), *loops[TSL_SCH_MAX_LOOPS], *k[2], *copy;
  tsl_sch_get_loops(func, block, loops);
  ck_assert_int_eq(tsl_sch_split(func, loops[2], 2, (int64_t[]){-1, 4}, k, &error), TSL_OK);
  ck_assert_int_eq(tsl_sch_reorder(func, 3, (tsl_stmt *[]){k[0], loops[0], loops[1]}, &error),
                   TSL_OK);
  ck_assert_int_eq(tsl_sch_cache_read(func, block, func->params[1], k[0], &copy, &error), TSL_OK);
  tsl_buffer *local = copy->block.writes[0].buffer;
  ck_assert_msg(tsl_sch_storage_align(func, copy, local, 0, 16, 0, &error) == TSL_OK, "%s",
                error.message);
  expect_printed(func, "alloc %b_local: f32[4, 10] strides=[16, 1] local {");
  expect_in_ir(func, "alloca [64 x float]");
  expect_same_results(kernel, func);
  tsl_primfunc_free(func);
  free(kernel);
}
END_TEST

/* Kernels of more than one stage: convolutions with padding, softmax, LayerNorm, row sums, and
 * the fused kernels. */
START_TEST(random_moves_compute_the_same) {
  char *text;
  if (_i < 3)
    text = lowered_text(workloads[(int[]){3, 4, 8}[_i]]);
  else if (_i == 3)
    text = strdup(layer_norm_text);
  else if (_i == 4)
    text = strdup(row_sum_text);
  else if (_i == 8)
    text = strdup(two_stage_text);
  else
    text = fused_workload_text(&fused_workloads[_i - 5]);
  check_schedules_with(text, 30, 2024u + (unsigned)_i, true);
  free(text);
}
END_TEST

/* The default schedule accumulates reductions along the contiguous axis in vector lanes, and
 * computes what the unscheduled kernel does (LayerNorm's mean and variance, softmax, sums, maxima
 * and means over the last axis). */
START_TEST(default_schedule_reduces_in_vector_lanes) {
  char *text = _i == 0 ? strdup(layer_norm_text) : lowered_text(workloads[10 + _i]);
  tsl_primfunc *func = parse_kernel(text);
  tsl_target target = host_target();
  tsl_default_schedule(func, &target);
  char *scheduled = tsl_primfunc_print(func);
  ck_assert_msg(strstr(scheduled, "_rf: ") && strstr(scheduled, "vectorized"), "%s", scheduled);
  free(scheduled);
  tsl_primfunc_free(func);
  check_schedules(text, 20, 777u + (unsigned)_i);
  free(text);
}
END_TEST

/* A product of 13 or 26 rows (13 a prime): the default schedule's register tile takes 13 rows
 * where the vector registers hold them (AVX-512's 32), rather than one or two a tile, each
 * multiply-add then waiting for the one before on its accumulator; random decisions compute
 * the same. */
START_TEST(default_schedule_blocks_a_prime_axis_whole) {
  tsl_target target = host_target();
  int lanes = target.vector_bits / 32, rows = 13 * (_i + 1);
  char graph[512];
  snprintf(graph, sizeof(graph),
           "graph \"g\" {\n  input %%a: f32[%d, 64]\n  input %%b: f32[64, %d]\n"
           "  %%y: f32[%d, %d] = matmul(%%a, %%b)\n  output %%y\n}\n",
           rows, 2 * lanes, rows, 2 * lanes);
  char *text = lowered_text(graph);
  tsl_primfunc *func = parse_kernel(text);
  tsl_default_schedule(func, &target);
  char *scheduled = tsl_primfunc_print(func);
  const char *tile = target.vector_bits >= 512 ? "in 0..13 unrolled"
                     : _i == 0                 ? "in 0..1 unrolled"
                                               : "in 0..2 unrolled";
  ck_assert_msg(strstr(scheduled, tile), "lacks `%s`:\n%s", tile, scheduled);
  free(scheduled);
  tsl_primfunc_free(func);
  check_schedules(text, 20, 1313u + (unsigned)_i);
  free(text);
}
END_TEST

/* A product whose columns the vector lanes do not divide: the default schedule tiles them by
 * whole vectors with a tail, which lowering partitions off, so that no block of the main loop
 * is predicated; random decisions for the rest compute the same too. */
START_TEST(default_schedule_tiles_with_a_tail) {
  tsl_target target = host_target();
  int lanes = target.vector_bits / 32;
  char graph[512];
  snprintf(graph, sizeof(graph),
           "graph \"g\" {\n  input %%a: f32[6, 32]\n  input %%b: f32[32, %d]\n"
           "  %%y: f32[6, %d] = matmul(%%a, %%b)\n  output %%y\n}\n",
           2 * lanes + lanes / 2, 2 * lanes + lanes / 2);
  char *text = lowered_text(graph);
  tsl_primfunc *func = parse_kernel(text);
  tsl_default_schedule(func, &target);
  ck_assert_int_gt(predicated_blocks(func->body), 0);
  tsl_tir_lower(func);
  char *lowered = tsl_primfunc_print(func);
  ck_assert_msg(predicated_blocks(func->body) == 0 && tsl_sch_get_block(func, "matmul_tail"), "%s",
                lowered);
  free(lowered);
  tsl_primfunc_free(func);
  /* The tail's tile is a decision, the first: whole vectors (the heuristic), two vectors, or
   * the largest divisor within a vector, which a trace followed with that choice takes (no
   * predicate then) and computes the same. */
  func = parse_kernel(text);
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  tsl_schedule_rules(&sch, &target);
  tsl_trace *trace = tsl_schedule_take_trace(&sch);
  tsl_schedule_release(&sch);
  tsl_primfunc_free(func);
  char *json = tsl_trace_to_json(trace), step[128];
  int extent = 2 * lanes + lanes / 2, divisor = extent;
  while (divisor > lanes || extent % divisor) divisor--;
  snprintf(step, sizeof(step), "{\"op\": \"sample_categorical\", \"candidates\": [%d, %d, %d]",
           lanes, 2 * lanes, divisor);
  ck_assert_msg(strstr(json, step) && strstr(json, step) == strstr(json, "{\"op\": \"sample"),
                "%s\nlacks %s first", json, step);
  tsl_error error;
  ck_assert_int_eq(tsl_trace_set_decision(trace, 0, 1, (int64_t[]){2}, &error), TSL_OK);
  func = parse_kernel(text);
  tsl_schedule_init(&sch, func);
  tsl_schedule_follow(&sch, trace, -1);
  tsl_schedule_rules(&sch, &target);
  ck_assert_int_eq(predicated_blocks(func->body), 0);
  tsl_schedule_release(&sch);
  expect_same_results(text, func);
  tsl_primfunc_free(func);
  tsl_trace_free(trace);
  free(json);
  check_schedules(text, 8, 99u);
  free(text);
}
END_TEST

/* ---- lowering --------------------------------------------------------------------------- */

START_TEST(unroll_max_unrolls_the_loops_that_fit) {
  /* The 8×12·12×10 product: under unroll_max=12 on the outer loop, the reduction loop (12
   * iterations) is written out, the loops of 10 × 12 and more are not. */
  char *kernel = lowered_text(matmul_text);
  tsl_primfunc *func = parse_kernel(kernel);
  tsl_stmt *block = tsl_sch_get_block(func, "matmul"), *loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(func, block, loops);
  tsl_error error;
  expect_refusal(tsl_sch_annotate(func, loops[0], "unroll", 4, &error), &error,
                 "no annotation 'unroll'");
  ck_assert_int_eq(tsl_sch_annotate(func, loops[0], "unroll_max", 12, &error), TSL_OK);
  char *text = tsl_primfunc_print(func);
  ck_assert_msg(strstr(text, "in 0..8 unroll_max=12 {"), "%s", text);
  tsl_primfunc *parsed;
  ck_assert_int_eq(tsl_primfunc_parse(text, strlen(text), "annotated", &parsed, &error), TSL_OK);
  char *again = tsl_primfunc_print(parsed);
  ck_assert_str_eq(again, text);
  tsl_tir_lower(func);
  ck_assert_int_eq(loops[0]->loop.loop_kind, TSL_LOOP_SERIAL);
  ck_assert_int_eq(loops[1]->loop.loop_kind, TSL_LOOP_SERIAL);
  ck_assert_int_eq(loops[2]->loop.loop_kind, TSL_LOOP_UNROLLED);
  ck_assert_int_eq(loops[0]->loop.unroll_max, 0);
  expect_same_results(kernel, func);
  free(again);
  free(text);
  tsl_primfunc_free(parsed);
  tsl_primfunc_free(func);
  free(kernel);
}
END_TEST

/* ---- lowering passes, case by case -------------------------------------------------------- */

/* Each file of tests/tir_passes holds a function in text, the lowering passes to run and the
 * function they must give:
 *
 *   # what the case shows
 *   passes: simplify storage_rewrite
 *   input:
 *   func "kernel" (…) { … }
 *   expected:
 *   func "kernel" (…) { … }
 *
 * Blocks get their regions from their bodies as parsed. The result must verify and compute
 * what the input does on random inputs; a mismatch prints the function the passes gave. */
#ifndef TSL_TIR_PASS_CASES
#error "the build defines TSL_TIR_PASS_CASES, the folder of lowering cases"
#endif

static const struct {
  const char *name;
  void (*run)(tsl_primfunc *func);
} lowering_passes[] = {
    {"unroll", tsl_tir_unroll},
    {"partition_tails", tsl_tir_partition_tails},
    {"simplify", tsl_tir_simplify},
    {"storage_rewrite", tsl_tir_storage_rewrite},
};

static void run_lowering_case(const char *path) {
  char *text = read_text(path);
  char *passes = text_section(path, text, "passes:", "\n");
  char *input = text_section(path, text, "input:\n", "expected:\n");
  char *expected = text_section(path, text, "expected:\n", NULL);
  tsl_primfunc *func = parse_kernel(input);
  tsl_error error;
  for (char *name = strtok(passes, " "); name; name = strtok(NULL, " ")) {
    size_t i = 0;
    while (i < sizeof(lowering_passes) / sizeof(lowering_passes[0]) &&
           strcmp(lowering_passes[i].name, name) != 0)
      i++;
    ck_assert_msg(i < sizeof(lowering_passes) / sizeof(lowering_passes[0]), "%s: no pass '%s'",
                  path, name);
    lowering_passes[i].run(func);
    ck_assert_msg(tsl_primfunc_verify(func, &error) == TSL_OK, "%s: after %s: %s", path, name,
                  error.message);
  }
  char *printed = tsl_primfunc_print(func);
  ck_assert_msg(strcmp(printed, expected) == 0, "%s: the passes gave\n%s", path, printed);
  expect_same_results(input, func);
  free(printed);
  tsl_primfunc_free(func);
  free(text);
  free(passes);
  free(input);
  free(expected);
}

START_TEST(lowering_pass_cases) { run_cases(TSL_TIR_PASS_CASES, run_lowering_case); }
END_TEST

/* ---- traces ----------------------------------------------------------------------------- */

/* A register tile of the 8×12·12×10 product, its tile of j sampled: the decision is what a
 * search changes. */
static tsl_trace *tiled_matmul_trace(tsl_primfunc *func, int64_t rows) {
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  tsl_stmt *block = tsl_sch_get_block(func, "matmul"), *loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(func, block, loops);
  tsl_error error;
  int64_t factors[2];
  ck_assert_int_eq(tsl_schedule_sample_perfect_tile(&sch, loops[0], 2, 8, (int64_t[]){8 / rows, rows},
                                                    factors, &error),
                   TSL_OK);
  ck_assert_int_eq(factors[1], rows);
  tsl_stmt *i[2], *j[2];
  ck_assert_int_eq(tsl_schedule_split(&sch, loops[0], 2, factors, i, &error), TSL_OK);
  ck_assert_int_eq(tsl_schedule_split(&sch, loops[1], 2, (int64_t[]){-1, 5}, j, &error), TSL_OK);
  ck_assert_int_eq(tsl_schedule_reorder(&sch, 5, (tsl_stmt *[]){i[0], j[0], loops[2], i[1], j[1]}, &error), TSL_OK);
  ck_assert_int_eq(tsl_schedule_decompose_reduction(&sch, block, loops[2], NULL, &error), TSL_OK);
  ck_assert_msg(tsl_schedule_cache_write_at(&sch, block, j[0], NULL, &error) == TSL_OK, "%s", error.message);
  ck_assert_int_eq(tsl_schedule_vectorize(&sch, j[1], &error), TSL_OK);
  ck_assert_int_eq(tsl_schedule_parallel(&sch, i[0], &error), TSL_OK);
  tsl_trace *trace = tsl_schedule_take_trace(&sch);
  tsl_schedule_release(&sch);
  return trace;
}

START_TEST(traces_round_trip_and_replay) {
  char *kernel = lowered_text(matmul_text);
  tsl_primfunc *func = parse_kernel(kernel);
  tsl_trace *trace = tiled_matmul_trace(func, 4);
  ck_assert_int_eq(tsl_trace_length(trace), 8);
  ck_assert_int_eq(tsl_trace_decisions(trace), 1);
  char *json = tsl_trace_to_json(trace);
  /* As docs/tir.md shows it. */
  ck_assert_str_eq(
      json,
      "{\"format\": \"tessel-trace\", \"version\": 1, \"steps\": [\n"
      "  {\"op\": \"sample_perfect_tile\", \"loop\": [\"matmul\", 0], \"count\": 2, \"max_innermost\": 8, "
      "\"decision\": [2, 4]},\n"
      "  {\"op\": \"split\", \"loop\": [\"matmul\", 0], \"factors\": {\"sample\": 0}},\n"
      "  {\"op\": \"split\", \"loop\": [\"matmul\", 2], \"factors\": [-1, 5]},\n"
      "  {\"op\": \"reorder\", \"loops\": [[\"matmul\", 0], [\"matmul\", 2], [\"matmul\", 4], [\"matmul\", 1], "
      "[\"matmul\", 3]]},\n"
      "  {\"op\": \"decompose_reduction\", \"block\": \"matmul\", \"loop\": [\"matmul\", 2]},\n"
      "  {\"op\": \"cache_write_at\", \"block\": \"matmul\", \"loop\": [\"matmul\", 1]},\n"
      "  {\"op\": \"vectorize\", \"loop\": [\"matmul\", 4]},\n"
      "  {\"op\": \"parallel\", \"loop\": [\"matmul_init\", 0]}\n"
      "]}\n");
  /* Read back and replayed on the unscheduled kernel: the same function. */
  tsl_trace *read;
  tsl_error error;
  ck_assert_int_eq(tsl_trace_from_json(json, strlen(json), "trace", &read, &error), TSL_OK);
  tsl_primfunc *replayed = parse_kernel(kernel);
  tsl_schedule sch;
  tsl_schedule_init(&sch, replayed);
  ck_assert_msg(tsl_trace_replay(read, &sch, &error) == TSL_OK, "%s", error.message);
  char *want = tsl_primfunc_print(func), *got = tsl_primfunc_print(replayed);
  ck_assert_str_eq(got, want);
  free(got);
  tsl_schedule_release(&sch);
  tsl_primfunc_free(replayed);
  /* A changed decision changes the split that refers to it, and only that. */
  int64_t decision[2];
  ck_assert_int_eq(tsl_trace_decision(read, 0, decision), 2);
  ck_assert_int_eq(decision[1], 4);
  ck_assert_int_eq(tsl_trace_set_decision(read, 0, 2, (int64_t[]){4, 2}, &error), TSL_OK);
  replayed = parse_kernel(kernel);
  tsl_schedule_init(&sch, replayed);
  ck_assert_msg(tsl_trace_replay(read, &sch, &error) == TSL_OK, "%s", error.message);
  tsl_primfunc *direct = parse_kernel(kernel);
  tsl_trace *rows2 = tiled_matmul_trace(direct, 2);
  got = tsl_primfunc_print(replayed);
  char *rows2_text = tsl_primfunc_print(direct);
  ck_assert_str_eq(got, rows2_text);
  ck_assert_str_ne(got, want);
  /* A decision that does not tile the loop is refused where it is replayed. */
  ck_assert_int_eq(tsl_trace_set_decision(read, 0, 2, (int64_t[]){3, 3}, &error), TSL_OK);
  tsl_primfunc *refused = parse_kernel(kernel);
  tsl_schedule other;
  tsl_schedule_init(&other, refused);
  expect_refusal(tsl_trace_replay(read, &other, &error), &error,
                 "trace step 0: sample_perfect_tile: the decision is not a perfect tile");
  expect_refusal(tsl_trace_set_decision(read, 1, 2, decision, &error), &error, "1 decisions");
  tsl_schedule_release(&other);
  tsl_primfunc_free(refused);
  free(got);
  free(rows2_text);
  free(want);
  free(json);
  tsl_trace_free(rows2);
  tsl_trace_free(read);
  tsl_trace_free(trace);
  tsl_schedule_release(&sch);
  tsl_primfunc_free(direct);
  tsl_primfunc_free(replayed);
  tsl_primfunc_free(func);
  free(kernel);
}
END_TEST

static void expect_trace_refusal(const char *json, const char *kernel, const char *words) {
  tsl_trace *trace;
  tsl_error error;
  tsl_status status = tsl_trace_from_json(json, strlen(json), "t.json", &trace, &error);
  if (status == TSL_OK) {
    tsl_primfunc *func = parse_kernel(kernel);
    tsl_schedule sch;
    tsl_schedule_init(&sch, func);
    status = tsl_trace_replay(trace, &sch, &error);
    tsl_schedule_release(&sch);
    tsl_primfunc_free(func);
    tsl_trace_free(trace);
  }
  expect_refusal(status, &error, words);
}

START_TEST(traces_refuse_what_they_cannot_replay) {
  char *kernel = lowered_text(matmul_text);
  expect_trace_refusal("{\"format\": \"tessel-trace\", \"steps\": [", kernel, "t.json: line 1");
  expect_trace_refusal("{\"steps\": []}", kernel, "not a tessel trace");
  expect_trace_refusal("{\"format\": \"tessel-trace\", \"version\": 9, \"steps\": []}", kernel,
                       "version 9");
  const char *head = "{\"format\": \"tessel-trace\", \"version\": 1, \"steps\": [";
  char json[512];
  snprintf(json, sizeof(json), "%s{\"op\": \"tile\"}]}", head);
  expect_trace_refusal(json, kernel, "trace step 0: no instruction 'tile'");
  snprintf(json, sizeof(json), "%s{\"op\": \"vectorize\", \"loop\": [\"conv\", 0]}]}", head);
  expect_trace_refusal(json, kernel, "trace step 0: vectorize: no block named 'conv'");
  snprintf(json, sizeof(json), "%s{\"op\": \"vectorize\", \"loop\": [\"matmul\", 3]}]}", head);
  expect_trace_refusal(json, kernel, "block 'matmul' has 3 loops, not a loop 3");
  snprintf(json, sizeof(json), "%s{\"op\": \"vectorize\", \"loop\": [\"matmul\", 2]}]}", head);
  expect_trace_refusal(json, kernel, "trace step 0: vectorized: loop 'kk' binds a reduction");
  snprintf(json, sizeof(json),
           "%s{\"op\": \"split\", \"loop\": [\"matmul\", 1], \"factors\": [2, 5]},\n"
           "{\"op\": \"split\", \"loop\": [\"matmul\", 0], \"factors\": {\"sample\": 0}}]}",
           head);
  expect_trace_refusal(json, kernel, "trace step 1: split: the factors refer to step 0");
  snprintf(json, sizeof(json),
           "%s{\"op\": \"split\", \"loop\": [\"matmul\", 1], \"factors\": [2, 5]},\n"
           "{\"op\": \"annotate\", \"loop\": [\"matmul\", 0], \"key\": \"unroll_max\", "
           "\"value\": {\"sample\": 0}}]}",
           head);
  expect_trace_refusal(json, kernel,
                       "trace step 1: annotate: the value refers to step 0, which is no "
                       "sample_categorical");
  free(kernel);
}
END_TEST

/* Where a stage runs, sampled: the loops of its first reader at which compute_at applies, or
 * where it is (-1). The decision is recorded, replays, changes, is followed and drawn, and a
 * compute_at refers to it; the default rules keep every stage where it is. */
static tsl_stmt *sampled_location(tsl_schedule *sch, const char *name, int heuristic_loop) {
  tsl_stmt *block = tsl_sch_get_block(sch->func, name), *loops[TSL_SCH_MAX_LOOPS], *loop;
  tsl_sch_get_loops(sch->func, tsl_sch_get_block(sch->func, "y"), loops);
  tsl_error error;
  ck_assert_msg(
      tsl_schedule_sample_compute_location(
          sch, block, heuristic_loop < 0 ? NULL : loops[heuristic_loop], &loop, &error) == TSL_OK,
      "%s", error.message);
  ck_assert_msg(tsl_schedule_compute_at(sch, block, loop, &error) == TSL_OK, "%s", error.message);
  return loop;
}

START_TEST(sample_compute_location_places_a_stage) {
  /* t's candidates: y's row loop and its column loop. */
  tsl_primfunc *func = parse_kernel(two_stage_text);
  char *unscheduled = tsl_primfunc_print(func);
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  tsl_stmt *y_loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(func, tsl_sch_get_block(func, "y"), y_loops);
  ck_assert_ptr_null(sampled_location(&sch, "t", -1));
  char *printed = tsl_primfunc_print(func);
  ck_assert_str_eq(printed, unscheduled);
  free(printed);
  ck_assert_ptr_eq(sampled_location(&sch, "t", 1), y_loops[1]);
  char *json = tsl_trace_to_json(sch.trace);
  ck_assert_str_eq(
      json,
      "{\"format\": \"tessel-trace\", \"version\": 1, \"steps\": [\n"
      "  {\"op\": \"sample_compute_location\", \"block\": \"t\", \"decision\": [-1]},\n"
      "  {\"op\": \"compute_at\", \"block\": \"t\", \"loop\": {\"sample\": 0}},\n"
      "  {\"op\": \"sample_compute_location\", \"block\": \"t\", \"decision\": [1]},\n"
      "  {\"op\": \"compute_at\", \"block\": \"t\", \"loop\": {\"sample\": 2}}\n"
      "]}\n");
  free(json);
  check_replay(two_stage_text, &sch);
  printed = tsl_primfunc_print(func);
  ck_assert_msg(strstr(printed, "%w: spatial 0..8 = (%j2 + %j)"), "%s", printed);
  free(printed);
  /* The decision changed to the row loop replays to t computed per row. */
  tsl_trace *trace = tsl_schedule_take_trace(&sch);
  tsl_error error;
  ck_assert_int_eq(tsl_trace_set_decision(trace, 1, 1, (int64_t[]){0}, &error), TSL_OK);
  tsl_primfunc *rows = parse_kernel(two_stage_text);
  tsl_schedule replayed;
  tsl_schedule_init(&replayed, rows);
  ck_assert_msg(tsl_trace_replay(trace, &replayed, &error) == TSL_OK, "%s", error.message);
  printed = tsl_primfunc_print(rows);
  ck_assert_msg(
      strstr(printed, "%v: spatial 0..5 = (%i2 + %i)") && strstr(printed, "for %j in 0..8 {"), "%s",
      printed);
  free(printed);
  expect_same_results(two_stage_text, rows);
  tsl_schedule_release(&replayed);
  tsl_primfunc_free(rows);
  /* A decision past the candidates is refused where it is replayed ... */
  ck_assert_int_eq(tsl_trace_set_decision(trace, 1, 1, (int64_t[]){2}, &error), TSL_OK);
  json = tsl_trace_to_json(trace);
  expect_trace_refusal(json, two_stage_text,
                       "trace step 2: sample_compute_location: decision 2 of block 't', which "
                       "has 2 candidate loops");
  free(json);
  /* ... and a followed one falls back to the heuristic. */
  tsl_primfunc *followed = parse_kernel(two_stage_text);
  tsl_schedule follow;
  tsl_schedule_init(&follow, followed);
  tsl_schedule_follow(&follow, trace, -1);
  ck_assert_ptr_null(sampled_location(&follow, "t", -1));
  tsl_stmt *row_loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(followed, tsl_sch_get_block(followed, "y"), row_loops);
  ck_assert_ptr_eq(sampled_location(&follow, "t", 0), row_loops[0]);
  tsl_schedule_release(&follow);
  tsl_primfunc_free(followed);
  tsl_trace_free(trace);
  expect_same_results(two_stage_text, func);
  tsl_schedule_release(&sch);
  tsl_primfunc_free(func);
  /* Drawn at random: each of the three. */
  bool drawn[3] = {false, false, false};
  for (uint64_t seed = 1; seed <= 32; seed++) {
    tsl_primfunc *random = parse_kernel(two_stage_text);
    tsl_schedule seeded;
    tsl_schedule_init(&seeded, random);
    tsl_schedule_seed(&seeded, seed);
    tsl_stmt *loops[TSL_SCH_MAX_LOOPS], *loop;
    tsl_sch_get_loops(random, tsl_sch_get_block(random, "y"), loops);
    loop = sampled_location(&seeded, "t", -1);
    drawn[loop == NULL ? 0 : loop == loops[0] ? 1 : 2] = true;
    tsl_schedule_release(&seeded);
    tsl_primfunc_free(random);
  }
  ck_assert(drawn[0] && drawn[1] && drawn[2]);

  /* LayerNorm: var may move under the row loop of y (not its column loop, where each column
   * would sum the row again), and then mean under the same loop, where both its readers are. */
  func = parse_kernel(layer_norm_text);
  tsl_schedule_init(&sch, func);
  tsl_sch_get_loops(func, tsl_sch_get_block(func, "y"), y_loops);
  ck_assert_ptr_null(sampled_location(&sch, "mean", 0));
  ck_assert_ptr_null(sampled_location(&sch, "var", 1));
  ck_assert_ptr_eq(sampled_location(&sch, "var", 0), y_loops[0]);
  ck_assert_ptr_eq(sampled_location(&sch, "mean", 0), y_loops[0]);
  check_replay(layer_norm_text, &sch);
  expect_same_results(layer_norm_text, func);
  tsl_schedule_release(&sch);
  tsl_primfunc_free(func);

  /* The rules sample each stage's location, last first; the default keeps them where they
   * are, a followed trace with other decisions moves them and computes the same. */
  tsl_target target = host_target();
  func = parse_kernel(layer_norm_text);
  tsl_schedule_init(&sch, func);
  tsl_schedule_rules(&sch, &target);
  json = tsl_trace_to_json(sch.trace);
  ck_assert_msg(strstr(json,
                       "  {\"op\": \"sample_compute_location\", \"block\": \"var\", "
                       "\"decision\": [-1]},\n"
                       "  {\"op\": \"compute_at\", \"block\": \"var\", \"loop\": {\"sample\": "
                       "0}},\n"
                       "  {\"op\": \"sample_compute_location\", \"block\": \"mean\", "
                       "\"decision\": [-1]},\n"),
                "%s", json);
  free(json);
  tsl_primfunc *by_default = parse_kernel(layer_norm_text);
  tsl_default_schedule(by_default, &target);
  char *want = tsl_primfunc_print(by_default), *got = tsl_primfunc_print(func);
  ck_assert_str_eq(got, want);
  ck_assert_msg(strstr(got, "alloc %var: f32[8, 1] {\n      for %i0 in 0..8"), "%s", got);
  free(want);
  free(got);
  tsl_primfunc_free(by_default);
  trace = tsl_schedule_take_trace(&sch);
  tsl_schedule_release(&sch);
  tsl_primfunc_free(func);
  ck_assert_int_eq(tsl_trace_set_decision(trace, 0, 1, (int64_t[]){0}, &error), TSL_OK);
  ck_assert_int_eq(tsl_trace_set_decision(trace, 1, 1, (int64_t[]){0}, &error), TSL_OK);
  func = parse_kernel(layer_norm_text);
  tsl_schedule_init(&sch, func);
  tsl_schedule_follow(&sch, trace, -1);
  tsl_schedule_rules(&sch, &target);
  got = tsl_primfunc_print(func);
  ck_assert_msg(strstr(got, "alloc %var: f32[8, 1] {\n      for %l0 in 0..8"), "%s", got);
  free(got);
  check_replay(layer_norm_text, &sch);
  expect_same_results(layer_norm_text, func);
  tsl_trace_free(trace);
  tsl_schedule_release(&sch);
  tsl_primfunc_free(func);
  free(unscheduled);
}
END_TEST

START_TEST(sample_compute_location_refuses_what_it_cannot_do) {
  tsl_primfunc *func = parse_kernel(two_stage_text);
  char *before = tsl_primfunc_print(func);
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  tsl_stmt *t = tsl_sch_get_block(func, "t"), *loops[TSL_SCH_MAX_LOOPS], *loop;
  tsl_sch_get_loops(func, t, loops);
  tsl_error error;
  expect_unchanged_refusal(
      func, before, tsl_schedule_sample_compute_location(&sch, loops[0], NULL, &loop, &error),
      &error, "sample_compute_location: not a block of function 'kernel'");
  /* Without a sampled root, no loop is no location. */
  expect_unchanged_refusal(func, before, tsl_schedule_compute_at(&sch, t, NULL, &error), &error,
                           "compute_at: not a loop around a block");
  ck_assert_int_eq(tsl_schedule_sample_compute_location(&sch, t, NULL, &loop, &error), TSL_OK);
  expect_unchanged_refusal(
      func, before, tsl_schedule_compute_at(&sch, tsl_sch_get_block(func, "y"), NULL, &error),
      &error, "compute_at: not a loop around a block");
  ck_assert_int_eq(tsl_trace_length(sch.trace), 1);
  tsl_schedule_release(&sch);
  tsl_primfunc_free(func);
  free(before);

  const char *head = "{\"format\": \"tessel-trace\", \"version\": 1, \"steps\": [";
  char json[512];
  snprintf(json, sizeof(json),
           "%s{\"op\": \"split\", \"loop\": [\"y\", 1], \"factors\": [2, 4]},\n"
           "{\"op\": \"compute_at\", \"block\": \"t\", \"loop\": {\"sample\": 0}}]}",
           head);
  expect_trace_refusal(json, two_stage_text,
                       "trace step 1: compute_at: the loop refers to step 0, which is no "
                       "sample_compute_location");
  snprintf(json, sizeof(json),
           "%s{\"op\": \"sample_compute_location\", \"block\": \"y\", \"decision\": [-1]},\n"
           "{\"op\": \"compute_at\", \"block\": \"t\", \"loop\": {\"sample\": 0}}]}",
           head);
  expect_trace_refusal(json, two_stage_text,
                       "trace step 1: compute_at: no compute location of block 't' was sampled");
  snprintf(json, sizeof(json),
           "%s{\"op\": \"sample_compute_location\", \"block\": \"t\", \"decision\": [0]},\n"
           "{\"op\": \"reverse_compute_at\", \"block\": \"t\", \"loop\": {\"sample\": 0}}]}",
           head);
  expect_trace_refusal(json, two_stage_text,
                       "trace step 1: reverse_compute_at: the loop refers to a sampled compute "
                       "location");
  snprintf(json, sizeof(json),
           "%s{\"op\": \"sample_compute_location\", \"block\": \"y\", \"decision\": [0]}]}", head);
  expect_trace_refusal(json, two_stage_text,
                       "trace step 0: sample_compute_location: decision 0 of block 'y', which has "
                       "0 candidate loops");
  snprintf(json, sizeof(json),
           "%s{\"op\": \"sample_compute_location\", \"block\": \"t\", \"decision\": \"row\"}]}",
           head);
  expect_trace_refusal(json, two_stage_text,
                       "trace step 0: sample_compute_location: the decision is not one integer");
}
END_TEST

/* A storage_align step is written with its buffer by name, read back and replayed to the same
 * function; one that does not apply names itself. */
START_TEST(storage_align_traces_round_trip) {
  tsl_primfunc *func = parse_kernel(two_stage_text);
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  tsl_stmt *t = tsl_sch_get_block(func, "t"), *loops[TSL_SCH_MAX_LOOPS];
  tsl_sch_get_loops(func, t, loops);
  tsl_error error;
  ck_assert_int_eq(tsl_schedule_storage_align(&sch, t, t->block.writes[0].buffer, 0, 16, 4, &error),
                   TSL_OK);
  ck_assert_int_eq(tsl_schedule_vectorize(&sch, loops[1], &error), TSL_OK);
  expect_refusal(tsl_schedule_storage_align(&sch, t, func->params[1], 0, 16, 4, &error), &error,
                 "the buffer is a parameter");
  ck_assert_int_eq(tsl_trace_length(sch.trace), 2);
  char *json = tsl_trace_to_json(sch.trace);
  ck_assert_str_eq(
      json,
      "{\"format\": \"tessel-trace\", \"version\": 1, \"steps\": [\n"
      "  {\"op\": \"storage_align\", \"block\": \"t\", \"buffer\": \"t\", \"axis\": 0, "
      "\"factor\": 16, \"offset\": 4},\n"
      "  {\"op\": \"vectorize\", \"loop\": [\"t\", 1]}\n"
      "]}\n");
  free(json);
  check_replay(two_stage_text, &sch);
  tsl_schedule_release(&sch);
  tsl_primfunc_free(func);
  const char *head = "{\"format\": \"tessel-trace\", \"version\": 1, \"steps\": [";
  char step[512];
  snprintf(step, sizeof(step),
           "%s{\"op\": \"storage_align\", \"block\": \"t\", \"buffer\": \"s\", \"axis\": 0, "
           "\"factor\": 16, \"offset\": 4}]}",
           head);
  expect_trace_refusal(step, two_stage_text, "trace step 0: storage_align: no buffer named 's'");
  snprintf(step, sizeof(step),
           "%s{\"op\": \"storage_align\", \"block\": \"t\", \"buffer\": \"t\", \"axis\": 0, "
           "\"offset\": 4}]}",
           head);
  expect_trace_refusal(step, two_stage_text, "trace step 0: storage_align: no integer \"factor\"");
  snprintf(
      step, sizeof(step),
      "%s{\"op\": \"storage_align\", \"block\": \"t\", \"buffer\": \"t\", \"axis\": 4294967296, "
      "\"factor\": 16, \"offset\": 4}]}",
      head);
  expect_trace_refusal(
      step, two_stage_text,
      "trace step 0: storage_align: buffer 't' has 2 axes, not an axis 4294967296");
  snprintf(step, sizeof(step),
           "%s{\"op\": \"storage_align\", \"block\": \"t\", \"buffer\": \"t\", \"axis\": 0, "
           "\"factor\": 16, \"offset\": 20}]}",
           head);
  expect_trace_refusal(step, two_stage_text,
                       "trace step 0: storage_align of 't' in block 't' at axis 0 (factor 16, "
                       "offset 20): the offset is not in [0, factor)");
}
END_TEST

/* ---- tensorize --------------------------------------------------------------------------- */

static const char *const vnni16 = "x86.avx512vnni.dot_4u8i8_i32x16";
static const char *const vnni8 = "x86.avxvnni.dot_4u8i8_i32x8";

/* c[m, n] = Σ_k i32(a[m, k]) · i32(b[k / 4, n, k % 4]) with b packed [K/4][N][4], M 6, N 32,
 * K 16; `b_index` and `b_shape` replace b's index and shape where given. */
static char *dot_text(const char *a, const char *b, const char *b_shape, const char *b_index) {
  char text[2048];
  snprintf(text, sizeof(text),
           "func \"kernel\" (%%a: %s[6, 16], %%b: %s[%s], out %%c: i32[6, 32]) {\n"
           "  for %%m in 0..6 {\n    for %%n in 0..32 {\n      for %%ko in 0..4 {\n"
           "        for %%ki in 0..4 {\n"
           "          block \"dot\" [%%vm: spatial 0..6 = %%m, %%vn: spatial 0..32 = %%n, "
           "%%vko: reduce 0..4 = %%ko, %%vki: reduce 0..4 = %%ki] reads [] writes [] {\n"
           "            init {\n              %%c[%%vm, %%vn] = i32(0)\n            }\n"
           "            %%c[%%vm, %%vn] = (%%c[%%vm, %%vn] + (i32(%%a[%%vm, ((%%vko * 4) + "
           "%%vki)]) * i32(%%b[%s])))\n"
           "          }\n        }\n      }\n    }\n  }\n}\n",
           a, b, b_shape ? b_shape : "4, 32, 4", b_index ? b_index : "%vko, %vn, %vki");
  return strdup(text);
}

static tsl_target parsed_target(const char *text) {
  tsl_target target;
  tsl_error error;
  ck_assert_int_eq(tsl_target_parse(text, &target, &error), TSL_OK);
  ck_assert_msg(tsl_llvm_complete_target(&target, &error) == TSL_OK, "%s", error.message);
  return target;
}

/* An x86 CPU with both VNNI forms, whatever the host has. */
static tsl_target vnni_target(void) {
  return parsed_target(
      "llvm -mtriple=x86_64-linux-gnu -mcpu=icelake-server "
      "-mattr=+avx2,+avx512f,+avx512vl,+avx512vnni");
}

/* Loops [m, n_0, ko, n_1, ki], n split by `lanes` and the init decomposed before ko, so that
 * n_1 around ki is a dot intrinsic's nest; n_1 goes to *lane (with the schedule's trace when
 * `sch` is given). */
static void schedule_dot(tsl_primfunc *func, tsl_schedule *sch, int64_t lanes, tsl_stmt **lane) {
  tsl_stmt *block = tsl_sch_get_block(func, "dot"), *loops[TSL_SCH_MAX_LOOPS], *split[2];
  ck_assert_int_eq(tsl_sch_get_loops(func, block, loops), 4);
  int64_t factors[2] = {-1, lanes};
  tsl_error error;
  tsl_status status = sch ? tsl_schedule_split(sch, loops[1], 2, factors, split, &error)
                          : tsl_sch_split(func, loops[1], 2, factors, split, &error);
  ck_assert_msg(status == TSL_OK, "%s", error.message);
  tsl_stmt *order[2] = {loops[2], split[1]};
  status =
      sch ? tsl_schedule_reorder(sch, 2, order, &error) : tsl_sch_reorder(func, 2, order, &error);
  ck_assert_msg(status == TSL_OK, "%s", error.message);
  status = sch ? tsl_schedule_decompose_reduction(sch, block, loops[2], NULL, &error)
               : tsl_sch_decompose_reduction(func, block, loops[2], NULL, &error);
  ck_assert_msg(status == TSL_OK, "%s", error.message);
  *lane = split[1];
}

/* The module's IR after optimisation, for `target`. */
static char *compiled_ir(const tsl_primfunc *func, const tsl_target *target) {
  tsl_llvm *llvm;
  tsl_error error;
  ck_assert_int_eq(tsl_llvm_new(target, "test", &llvm, &error), TSL_OK);
  ck_assert_msg(tsl_llvm_add_function(llvm, func, &error) == TSL_OK, "%s", error.message);
  ck_assert_int_eq(tsl_llvm_optimize(llvm, &error), TSL_OK);
  char *ir = tsl_llvm_print(llvm);
  tsl_llvm_free(llvm);
  return ir;
}

/* Runs the unscheduled kernel of `text` and `func` on the same random inputs: same outputs. */
static void expect_same_dot(const char *text, tsl_primfunc *func) {
  tsl_primfunc *reference = parse_kernel(text);
  enum { A = 6 * 16, B = 16 * 32, C = 6 * 32 };
  uint8_t a[A], b[B];
  int32_t want[C], got[C];
  unsigned state = 11u;
  for (int i = 0; i < A; i++) a[i] = (uint8_t)next_random(&state);
  for (int i = 0; i < B; i++) b[i] = (uint8_t)next_random(&state);
  for (int i = 0; i < C; i++) want[i] = got[i] = (int32_t)next_random(&state);
  run(reference, (void *[]){a, b, want});
  run(func, (void *[]){a, b, got});
  for (int i = 0; i < C; i++)
    ck_assert_msg(want[i] == got[i], "c[%d] is %d, not %d", i, got[i], want[i]);
  tsl_primfunc_free(reference);
}

START_TEST(tensorize_puts_a_dot_intrinsic_in_place_of_its_nest) {
  static const struct {
    const char *const *intrin;
    int64_t lanes;
    const char *llvm;
  } cases[] = {{&vnni16, 16, "llvm.x86.avx512.vpdpbusd.512"},
               {&vnni8, 8, "llvm.x86.avx512.vpdpbusd.256"}};
  char *text = dot_text("u8", "i8", NULL, NULL);
  tsl_target target = vnni_target(), host = host_target();
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    tsl_primfunc *func = parse_kernel(text);
    tsl_stmt *lane;
    schedule_dot(func, NULL, cases[i].lanes, &lane);
    tsl_error error;
    ck_assert_msg(tsl_sch_tensorize(func, lane, *cases[i].intrin, &target, &error) == TSL_OK, "%s",
                  error.message);
    /* The mark is in the text form and reads back. */
    char *printed = tsl_primfunc_print(func), mark[128];
    snprintf(mark, sizeof(mark), "for %%n_1 in 0..%lld tensorized(\"%s\") {",
             (long long)cases[i].lanes, *cases[i].intrin);
    ck_assert_msg(strstr(printed, mark), "%s lacks %s", printed, mark);
    tsl_primfunc *parsed = parse_kernel(printed);
    char *again = tsl_primfunc_print(parsed);
    ck_assert_str_eq(again, printed);
    free(again);
    tsl_primfunc_free(parsed);
    /* Lowering unrolls what is around the nest and leaves the nest as it is. */
    tsl_stmt *loops[TSL_SCH_MAX_LOOPS];
    tsl_sch_get_loops(func, tsl_sch_get_block(func, "dot"), loops);
    ck_assert_int_eq(tsl_sch_annotate(func, loops[0], "unroll_max", 4096, &error), TSL_OK);
    tsl_tir_lower(func);
    char *lowered = tsl_primfunc_print(func);
    ck_assert_msg(strstr(lowered, mark) && strstr(lowered, "for %ki in 0..4 {") &&
                      strstr(lowered, "for %ko in 0..4 unrolled {"),
                  "%s", lowered);
    char *ir = compiled_ir(func, &target);
    ck_assert_msg(strstr(ir, cases[i].llvm), "no %s in\n%s", cases[i].llvm, ir);
    free(ir);
    if (tsl_intrin_available(tsl_intrin_get(*cases[i].intrin), &host)) expect_same_dot(text, func);
    free(lowered);
    free(printed);
    tsl_primfunc_free(func);
  }
  free(text);
}
END_TEST

/* tensorize refuses with `words` and leaves the function as it was. */
static void expect_tensorize_refusal(tsl_primfunc *func, tsl_stmt *loop, const char *intrin,
                                     const tsl_target *target, const char *words) {
  char *before = tsl_primfunc_print(func);
  tsl_error error;
  expect_refusal(tsl_sch_tensorize(func, loop, intrin, target, &error), &error, words);
  char *after = tsl_primfunc_print(func);
  ck_assert_str_eq(after, before);
  free(before);
  free(after);
}

START_TEST(tensorize_refuses_what_is_not_the_intrinsic) {
  tsl_target target = vnni_target();
  tsl_target without = parsed_target("llvm -mtriple=x86_64-linux-gnu -mcpu=skylake -mattr=+avx2");
  tsl_target arm =
      parsed_target("llvm -mtriple=aarch64-linux-gnu -mcpu=cortex-a76 -mattr=+dotprod");
  char *text = dot_text("u8", "i8", NULL, NULL);
  tsl_primfunc *func = parse_kernel(text);
  tsl_stmt *lane, *loops[TSL_SCH_MAX_LOOPS];
  schedule_dot(func, NULL, 16, &lane);
  tsl_sch_get_loops(func, tsl_sch_get_block(func, "dot"), loops);
  expect_tensorize_refusal(func, lane, "x86.fma", &target, "tensorize: no intrinsic 'x86.fma'");
  expect_tensorize_refusal(func, lane, vnni16, &without, "has no x86.avx512vnni.dot_4u8i8_i32x16");
  expect_tensorize_refusal(func, lane, vnni16, &arm, "has no x86.avx512vnni");
  expect_tensorize_refusal(func, lane, vnni8, &target, "loop 'n_1' does not run 0..8");
  expect_tensorize_refusal(func, loops[2], vnni16, &target, "loop 'ko' does not run 0..16");
  expect_tensorize_refusal(func, loops[4], vnni16, &target,
                           "loop 'ki' does not hold just one loop");
  tsl_error error;
  ck_assert_int_eq(tsl_sch_vectorize(func, lane, &error), TSL_OK);
  expect_tensorize_refusal(func, lane, vnni16, &target, "loop 'n_1' is vectorized");
  tsl_primfunc_free(func);

  /* The reduction's init still in the block. */
  func = parse_kernel(text);
  tsl_stmt *block = tsl_sch_get_block(func, "dot"), *split[2];
  tsl_sch_get_loops(func, block, loops);
  ck_assert_int_eq(tsl_sch_split(func, loops[1], 2, (int64_t[]){-1, 16}, split, &error), TSL_OK);
  ck_assert_int_eq(tsl_sch_reorder(func, 2, (tsl_stmt *[]){loops[2], split[1]}, &error), TSL_OK);
  expect_tensorize_refusal(func, split[1], vnni16, &target, "block 'dot' has an init");
  tsl_primfunc_free(func);

  /* A split that passes the extent leaves a predicate. */
  func = parse_kernel(text);
  block = tsl_sch_get_block(func, "dot");
  tsl_sch_get_loops(func, block, loops);
  ck_assert_int_eq(tsl_sch_split(func, loops[1], 2, (int64_t[]){3, 16}, split, &error), TSL_OK);
  ck_assert_int_eq(tsl_sch_reorder(func, 2, (tsl_stmt *[]){loops[2], split[1]}, &error), TSL_OK);
  ck_assert_int_eq(tsl_sch_decompose_reduction(func, block, loops[2], NULL, &error), TSL_OK);
  expect_tensorize_refusal(func, split[1], vnni16, &target, "block 'dot' has a predicate");
  tsl_primfunc_free(func);

  /* Reduction and lanes the other way round. */
  func = parse_kernel(text);
  schedule_dot(func, NULL, 16, &lane);
  tsl_sch_get_loops(func, tsl_sch_get_block(func, "dot"), loops);
  ck_assert_int_eq(tsl_sch_reorder(func, 2, (tsl_stmt *[]){loops[4], loops[3]}, &error), TSL_OK);
  expect_tensorize_refusal(func, loops[4], vnni16, &target, "loop 'ki' does not run 0..16");
  tsl_primfunc_free(func);
  free(text);

  /* Wrong dtypes, and b not packed. */
  static const struct {
    const char *a, *b, *b_shape, *b_index, *words;
  } kernels[] = {
      {"i8", "i8", NULL, NULL, "block 'dot': 'a' is i8, not u8"},
      {"u8", "u8", NULL, NULL, "block 'dot': 'b' is u8, not i8"},
      {"u8", "i8", "16, 32", "((%vko * 4) + %vki), %vn",
       "'b' moves by 1 and 32 elements per step of loops 'n_1' and 'ki', not by 4 and 1"},
      {"u8", "i8", "4, 4, 32", "%vko, %vki, %vn", "'b' moves by 1 and 32 elements"},
      {"u8", "i8", "4, 32, 4", "%vko, %vn, (%vki // 2)", "the index of 'b' is not affine"},
  };
  for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++) {
    text = dot_text(kernels[i].a, kernels[i].b, kernels[i].b_shape, kernels[i].b_index);
    func = parse_kernel(text);
    schedule_dot(func, NULL, 16, &lane);
    expect_tensorize_refusal(func, lane, vnni16, &target, kernels[i].words);
    tsl_primfunc_free(func);
    free(text);
  }

  /* The mark names its intrinsic as a string. */
  static const char bad_mark[] =
      "func \"kernel\" (out %c: i32[4]) {\n"
      "  for %i in 0..4 tensorized(x86) {\n  }\n}\n";
  ck_assert_int_eq(tsl_primfunc_parse(bad_mark, strlen(bad_mark), "kernel", &func, &error),
                   TSL_ERROR_INPUT);
  ck_assert_msg(strstr(error.message, "tensorized( takes the intrinsic's name as a string"), "%s",
                error.message);

  /* A body that is not the multiply-accumulate. */
  text = dot_text("u8", "i8", NULL, NULL);
  char *plus = strstr(text, "] + (i32(");
  ck_assert_ptr_nonnull(plus);
  plus[2] = '-';
  func = parse_kernel(text);
  schedule_dot(func, NULL, 16, &lane);
  expect_tensorize_refusal(func, lane, vnni16, &target,
                           "block 'dot' is not c[..] = c[..] + i32(a[..])");
  tsl_primfunc_free(func);
  free(text);
}
END_TEST

START_TEST(tensorize_codegen_refuses_a_mark_its_nest_no_longer_matches) {
  tsl_target target = vnni_target();
  char *text = dot_text("u8", "i8", NULL, NULL);
  tsl_primfunc *func = parse_kernel(text);
  tsl_stmt *lane;
  schedule_dot(func, NULL, 16, &lane);
  tsl_error error;
  ck_assert_int_eq(tsl_sch_tensorize(func, lane, vnni16, &target, &error), TSL_OK);
  /* A later split inside the nest breaks it: the code generator says so. */
  ck_assert_int_eq(tsl_sch_split(func, lane, 2, (int64_t[]){2, 8}, NULL, &error), TSL_OK);
  tsl_llvm *llvm;
  ck_assert_int_eq(tsl_llvm_new(&target, "test", &llvm, &error), TSL_OK);
  ck_assert_int_eq(tsl_llvm_add_function(llvm, func, &error), TSL_ERROR_INPUT);
  ck_assert_msg(strstr(error.message,
                       "function 'kernel': loop 'n_1_0' tensorized(\"x86.avx512vnni."
                       "dot_4u8i8_i32x16\"): loop 'n_1_0' does not run 0..16"),
                "%s", error.message);
  tsl_llvm_free(llvm);
  tsl_primfunc_free(func);
  free(text);
}
END_TEST

START_TEST(tensorize_traces_round_trip) {
  tsl_target target = vnni_target();
  char *text = dot_text("u8", "i8", NULL, NULL);
  tsl_primfunc *func = parse_kernel(text);
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  tsl_stmt *lane;
  schedule_dot(func, &sch, 16, &lane);
  tsl_error error;
  expect_refusal(tsl_schedule_tensorize(&sch, lane, vnni16, &error), &error,
                 "tensorize: the schedule has no target");
  sch.target = &target;
  ck_assert_msg(tsl_schedule_tensorize(&sch, lane, vnni16, &error) == TSL_OK, "%s", error.message);
  char *json = tsl_trace_to_json(sch.trace);
  ck_assert_msg(strstr(json,
                       "{\"op\": \"tensorize\", \"loop\": [\"dot\", 3], \"intrin\": "
                       "\"x86.avx512vnni.dot_4u8i8_i32x16\"}"),
                "%s", json);
  check_replay(text, &sch);
  /* Replayed for a target without the intrinsic, the step is refused. */
  tsl_target without = parsed_target("llvm -mtriple=x86_64-linux-gnu -mcpu=skylake -mattr=+avx2");
  tsl_trace *read;
  ck_assert_int_eq(tsl_trace_from_json(json, strlen(json), "trace", &read, &error), TSL_OK);
  tsl_primfunc *other = parse_kernel(text);
  tsl_schedule again;
  tsl_schedule_init(&again, other);
  again.target = &without;
  expect_refusal(tsl_trace_replay(read, &again, &error), &error,
                 "trace step 3: tensorize: target x86_64-linux-gnu (features '+avx2') has no");
  tsl_schedule_release(&again);
  tsl_primfunc_free(other);
  tsl_trace_free(read);
  free(json);
  tsl_schedule_release(&sch);
  tsl_primfunc_free(func);
  free(text);
}
END_TEST

/* The object files for targets other than the host have the dot product instructions: aarch64
 * and x86 with AVX-VNNI but no AVX-512. (Not run here: tests/integration/aarch64.py runs float
 * models compiled for aarch64 under qemu, not these instructions.) */
START_TEST(tensorize_makes_dot_product_instructions_for_other_targets) {
  static const struct {
    const char *target, *without, *intrin, *dtypes[2], *instruction;
    int64_t lanes;
  } cases[] = {
      {"llvm -mtriple=aarch64-linux-gnu -mcpu=cortex-a76 -mattr=+dotprod",
       "llvm -mtriple=aarch64-linux-gnu -mcpu=cortex-a72",
       "aarch64.dotprod.sdot_4i8i8_i32x4",
       {"i8", "i8"},
       "sdot\tv",
       4},
      {"llvm -mtriple=aarch64-linux-gnu -mcpu=cortex-a76 -mattr=+dotprod",
       "llvm -mtriple=aarch64-linux-gnu -mcpu=cortex-a72",
       "aarch64.dotprod.udot_4u8u8_i32x4",
       {"u8", "u8"},
       "udot\tv",
       4},
      {"llvm -mtriple=x86_64-linux-gnu -mcpu=alderlake -mattr=+avx2,+avxvnni",
       "llvm -mtriple=x86_64-linux-gnu -mcpu=alderlake -mattr=+avx2,+avx512vnni",
       "x86.avxvnni.dot_4u8i8_i32x8",
       {"u8", "i8"},
       "{vex}\tvpdpbusd\t%ymm",
       8},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    tsl_target target = parsed_target(cases[i].target), without = parsed_target(cases[i].without);
    char *text = dot_text(cases[i].dtypes[0], cases[i].dtypes[1], NULL, NULL);
    tsl_primfunc *func = parse_kernel(text);
    tsl_stmt *lane;
    schedule_dot(func, NULL, cases[i].lanes, &lane);
    expect_tensorize_refusal(func, lane, cases[i].intrin, &without, "has no");
    tsl_error error;
    ck_assert_msg(tsl_sch_tensorize(func, lane, cases[i].intrin, &target, &error) == TSL_OK, "%s",
                  error.message);
    tsl_tir_lower(func);
    tsl_llvm *llvm;
    ck_assert_int_eq(tsl_llvm_new(&target, "test", &llvm, &error), TSL_OK);
    ck_assert_msg(tsl_llvm_add_function(llvm, func, &error) == TSL_OK, "%s", error.message);
    ck_assert_int_eq(tsl_llvm_optimize(llvm, &error), TSL_OK);
    char path[] = "/tmp/tessel-dot-XXXXXX";
    close(mkstemp(path));
    ck_assert_msg(tsl_llvm_emit_object(llvm, path, &error) == TSL_OK, "%s", error.message);
    tsl_llvm_free(llvm);
    char command[256];
    snprintf(command, sizeof(command), "llvm-objdump-15 -d %s", path);
    FILE *pipe = popen(command, "r");
    ck_assert_ptr_nonnull(pipe);
    char line[512];
    int found = 0;
    while (fgets(line, sizeof(line), pipe)) found += strstr(line, cases[i].instruction) != NULL;
    ck_assert_int_eq(pclose(pipe), 0);
    unlink(path);
    ck_assert_msg(found > 0, "no %s in the object for %s", cases[i].instruction, cases[i].target);
    tsl_primfunc_free(func);
    free(text);
  }
}
END_TEST

/* The default schedule tensorizes the register tile of a u8 × i8 product with a packed weight
 * where the target has VNNI, and only there; what it makes computes the same. */
START_TEST(default_schedule_tensorizes_a_packed_int8_product) {
  char *text = dot_text("u8", "i8", NULL, NULL);
  tsl_target target = vnni_target(), host = host_target();
  tsl_target without = parsed_target(
      "llvm -mtriple=x86_64-linux-gnu -mcpu=skylake-avx512 "
      "-mattr=+avx2,+avx512f,+avx512vl");
  tsl_primfunc *func = parse_kernel(text);
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  tsl_schedule_rules(&sch, &target);
  char *printed = tsl_primfunc_print(func), *json = tsl_trace_to_json(sch.trace);
  ck_assert_msg(strstr(printed,
                       "for %n_1 in 0..16 tensorized(\"x86.avx512vnni.dot_4u8i8_i32x16\") {\n"
                       "                for %ki in 0..4 {"),
                "%s", printed);
  ck_assert_msg(strstr(json, "\"op\": \"tensorize\""), "%s", json);
  check_replay(text, &sch);
  free(json);
  free(printed);
  tsl_schedule_release(&sch);
  tsl_primfunc_free(func);

  func = parse_kernel(text);
  tsl_default_schedule(func, &without);
  printed = tsl_primfunc_print(func);
  ck_assert_msg(!strstr(printed, "tensorized") && strstr(printed, "for %n_1 in 0..16 vectorized"),
                "%s", printed);
  free(printed);
  tsl_primfunc_free(func);

  if (tsl_intrin_available(tsl_intrin_get(vnni16), &host)) {
    func = parse_kernel(text);
    tsl_default_schedule(func, &host);
    tsl_tir_lower(func);
    printed = tsl_primfunc_print(func);
    ck_assert_msg(strstr(printed, "tensorized"), "%s", printed);
    expect_same_dot(text, func);
    free(printed);
    tsl_primfunc_free(func);
  }
  free(text);
}
END_TEST

Suite *suite_schedule(void) {
  Suite *suite = suite_create("schedule");
  TCase *tc = tcase_create("primitives");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, primitives_refuse_what_they_cannot_do);
  tcase_add_test(tc, traces_round_trip_and_replay);
  tcase_add_test(tc, unroll_max_unrolls_the_loops_that_fit);
  tcase_add_test(tc, lowering_pass_cases);
  tcase_add_test(tc, traces_refuse_what_they_cannot_replay);
  tcase_add_test(tc, sample_compute_location_places_a_stage);
  tcase_add_test(tc, sample_compute_location_refuses_what_it_cannot_do);
  tcase_add_test(tc, cache_write_accumulates_a_tile);
  tcase_add_test(tc, cache_write_below_a_reduction_fills_the_tile);
  tcase_add_test(tc, split_with_a_tail_predicates_its_blocks);
  tcase_add_test(tc, partitioning_frees_the_main_loop_of_predicates);
  tcase_add_test(tc, reverse_compute_inline_refuses_what_it_cannot_inline);
  tcase_add_test(tc, reverse_compute_inline_merges_elementwise_stages);
  tcase_add_loop_test(tc, default_schedule_inlines_epilogues, 0,
                      (int)(sizeof(fused_workloads) / sizeof(fused_workloads[0])));
  tcase_add_test(tc, rfactor_refuses_what_it_cannot_split);
  tcase_add_test(tc, rfactor_splits_a_reduction);
  tcase_add_test(tc, fuse_makes_one_loop_of_a_nest);
  tcase_add_test(tc, compute_inline_moves_a_stage_into_its_readers);
  tcase_add_test(tc, compute_at_computes_a_stage_where_it_is_read);
  tcase_add_test(tc, reverse_compute_at_computes_a_stage_where_its_input_is_made);
  tcase_add_test(tc, cache_read_packs_a_tile);
  tcase_add_test(tc, transform_layout_packs_a_parameter);
  tcase_add_test(tc, tails_clip_what_is_computed_per_iteration);
  tcase_add_test(tc, storage_align_refuses_what_it_cannot_pad);
  tcase_add_test(tc, storage_align_pads_rows);
  tcase_add_test(tc, storage_align_traces_round_trip);
  tcase_add_loop_test(tc, random_moves_compute_the_same, 0, 9);
  tcase_add_loop_test(tc, default_schedule_reduces_in_vector_lanes, 0, 5);
  tcase_add_test(tc, default_schedule_tiles_with_a_tail);
  tcase_add_loop_test(tc, default_schedule_blocks_a_prime_axis_whole, 0, 2);
  tcase_add_loop_test(tc, random_schedules_compute_the_same, 0,
                      (int)(sizeof(workloads) / sizeof(workloads[0])));
  tcase_add_test(tc, tensorize_puts_a_dot_intrinsic_in_place_of_its_nest);
  tcase_add_test(tc, tensorize_refuses_what_is_not_the_intrinsic);
  tcase_add_test(tc, tensorize_codegen_refuses_a_mark_its_nest_no_longer_matches);
  tcase_add_test(tc, tensorize_traces_round_trip);
  tcase_add_test(tc, tensorize_makes_dot_product_instructions_for_other_targets);
  tcase_add_test(tc, default_schedule_tensorizes_a_packed_int8_product);
  suite_add_tcase(suite, tc);
  return suite;
}
