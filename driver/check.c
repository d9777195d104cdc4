/* Tuning records checked inside the model (check.h). */
#include "driver/check.h"

#include <stdlib.h>
#include <string.h>

#include "autotune/database.h"
#include "codegen/llvm/llvm.h"
#include "ir/check.h"
#include "passes/lower/lower.h"
#include "passes/schedule/schedule.h"
#include "passes/schedule/trace.h"
#include "runtime/timing.h"

enum { MIN_RUNS = 10, MAX_RUNS = 4096 };

/* A distinct kernel of the model: its workload, the record a compile takes for it, its time in
 * each run of the two models of a round (the sum over the kernels that have it), and its
 * medians in each round. */
typedef struct workload {
  char key[TSL_WORKLOAD_KEY_SIZE];
  long long record; /* 0: none, the default schedule */
  double *tuned, *fallback;
  double with[TSL_CHECK_ROUNDS], without[TSL_CHECK_ROUNDS];
} workload;

/* A compiled model with buffers for its inputs (zeros) and outputs, and each of its calls'
 * workload. */
typedef struct runnable {
  tsl_model *model;
  void **inputs, **outputs;
  int *call_workload;
  int64_t *before; /* each call's profiled nanoseconds before the run */
} runnable;

static void release(runnable *r) {
  if (!r->model) return;
  for (int i = 0; i < tsl_model_num_inputs(r->model); i++) free(r->inputs[i]);
  for (int i = 0; i < tsl_model_num_outputs(r->model); i++) free(r->outputs[i]);
  free(r->inputs);
  free(r->outputs);
  free(r->call_workload);
  free(r->before);
  tsl_model_free(r->model);
  *r = (runnable){0};
}

/* Compiles the graph (with or without the records) and maps its calls to the workloads (when
 * `lowered` is given), by the kernels' names, which do not depend on the schedules. */
static tsl_status prepare(const tsl_graph *graph, tsl_target *target,
                          const tsl_compile_options *options, const tsl_lowered *lowered,
                          const int *func_workload, runnable *r, tsl_error *error) {
  *r = (runnable){0};
  TRY(tsl_compile_jit(graph, target, options, &r->model, error));
  int inputs = tsl_model_num_inputs(r->model), outputs = tsl_model_num_outputs(r->model);
  int calls = tsl_model_num_calls(r->model);
  r->inputs = calloc((size_t)inputs + 1, sizeof(void *));
  r->outputs = calloc((size_t)outputs + 1, sizeof(void *));
  r->call_workload = calloc((size_t)calls + 1, sizeof(int));
  r->before = calloc((size_t)calls + 1, sizeof(int64_t));
  TSL_CHECK_ALLOC(r->inputs && r->outputs && r->call_workload && r->before);
  for (int i = 0; i < inputs; i++) {
    r->inputs[i] = calloc(tsl_tensor_info_bytes(tsl_model_input(r->model, i)) + 1, 1);
    TSL_CHECK_ALLOC(r->inputs[i]);
  }
  for (int i = 0; i < outputs; i++) {
    r->outputs[i] = calloc(tsl_tensor_info_bytes(tsl_model_output(r->model, i)) + 1, 1);
    TSL_CHECK_ALLOC(r->outputs[i]);
  }
  for (int c = 0; c < calls; c++) {
    const char *kernel = tsl_model_call_kernel(r->model, c);
    r->call_workload[c] = -1;
    for (int f = 0; lowered && f < lowered->num_funcs; f++) {
      if (strcmp(lowered->funcs[f]->name, kernel) == 0) r->call_workload[c] = func_workload[f];
    }
  }
  tsl_model_set_profiling(r->model, true);
  return TSL_OK;
}

/* One run: its latency, and each workload's time in it added to times[w][run]. */
static tsl_status run_once(runnable *r, workload *workloads, bool tuned, int run, double *latency,
                           tsl_error *error) {
  int calls = tsl_model_num_calls(r->model);
  for (int c = 0; c < calls; c++) r->before[c] = tsl_model_call_nanoseconds(r->model, c);
  double started = tsl_now_seconds();
  TRY(tsl_model_run(r->model, (const void *const *)r->inputs, r->outputs, error));
  *latency = tsl_now_seconds() - started;
  for (int c = 0; c < calls; c++) {
    if (r->call_workload[c] < 0) continue;
    workload *w = &workloads[r->call_workload[c]];
    double seconds = (double)(tsl_model_call_nanoseconds(r->model, c) - r->before[c]) * 1e-9;
    (tuned ? w->tuned : w->fallback)[run] += seconds;
  }
  return TSL_OK;
}

/* Runs the two models alternately for `seconds` (at least MIN_RUNS each, after a warm-up);
 * the number of runs. */
static tsl_status alternate(runnable *tuned, runnable *fallback, workload *workloads, int count,
                            double seconds, double *tuned_ms, double *default_ms, int *runs_out,
                            tsl_error *error) {
  for (int w = 0; w < count; w++) {
    memset(workloads[w].tuned, 0, sizeof(double) * MAX_RUNS);
    memset(workloads[w].fallback, 0, sizeof(double) * MAX_RUNS);
  }
  double *latencies = calloc(2 * MAX_RUNS, sizeof(double)), ignored;
  TSL_CHECK_ALLOC(latencies);
  tsl_status status = TSL_OK;
  /* The warm-up's times land in slot 0, which the first counted run overwrites after a
   * clear. */
  for (int i = 0; i < 3 && !status; i++) {
    status = run_once(tuned, workloads, true, 0, &ignored, error);
    if (!status) status = run_once(fallback, workloads, false, 0, &ignored, error);
  }
  for (int w = 0; w < count; w++) workloads[w].tuned[0] = workloads[w].fallback[0] = 0;
  int runs = 0;
  double started = tsl_now_seconds();
  while (!status && runs < MAX_RUNS && (runs < MIN_RUNS || tsl_now_seconds() - started < seconds)) {
    status = run_once(tuned, workloads, true, runs, &latencies[runs], error);
    if (!status)
      status = run_once(fallback, workloads, false, runs, &latencies[MAX_RUNS + runs], error);
    runs++;
  }
  *tuned_ms = tsl_median(latencies, runs) * 1e3;
  *default_ms = tsl_median(latencies + MAX_RUNS, runs) * 1e3;
  *runs_out = runs;
  free(latencies);
  return status;
}

/* One round: the model compiled afresh with the records and with the default schedules (new
 * code and buffers, so new addresses), run alternately; each workload's medians kept for the
 * round, the models' median latencies returned. */
static tsl_status check_round(const tsl_graph *graph, tsl_target *target,
                              const tsl_compile_options *options, const tsl_lowered *lowered,
                              const int *func_workload, workload *workloads, int count, int round,
                              double seconds, double *tuned_ms, double *default_ms,
                              tsl_error *error) {
  tsl_compile_options without = *options;
  without.records = NULL;
  without.summary = NULL;
  runnable fallback = {0}, tuned = {0};
  int runs = 0;
  tsl_status status = prepare(graph, target, &without, lowered, func_workload, &fallback, error);
  if (!status) status = prepare(graph, target, options, lowered, func_workload, &tuned, error);
  if (!status)
    status =
        alternate(&tuned, &fallback, workloads, count, seconds, tuned_ms, default_ms, &runs, error);
  for (int w = 0; w < count && !status; w++) {
    workloads[w].with[round] = tsl_median(workloads[w].tuned, runs);
    workloads[w].without[round] = tsl_median(workloads[w].fallback, runs);
  }
  release(&tuned);
  release(&fallback);
  return status;
}

static double ratio(const workload *w, int round) {
  if (w->without[round] > 0) return w->with[round] / w->without[round];
  return w->with[round] > 0 ? 2.0 : 1.0;
}

/* Each record judged over the rounds and kept in the database as checked: kept where it was
 * faster than the default schedule in every round, and by TSL_CHECK_GAIN in the middle one,
 * whose times the database keeps. */
static tsl_status judge(tsl_db *db, const char *model, workload *workloads, int count,
                        tsl_records_check *check, tsl_error *error) {
  for (int i = 0; i < count; i++) {
    workload *w = &workloads[i];
    if (!w->record) continue;
    /* The rounds in order of the record's ratio to the default schedule. */
    int order[TSL_CHECK_ROUNDS];
    for (int r = 0; r < TSL_CHECK_ROUNDS; r++) {
      int at = r;
      for (; at > 0 && ratio(w, order[at - 1]) > ratio(w, r); at--) order[at] = order[at - 1];
      order[at] = r;
    }
    int middle = order[TSL_CHECK_ROUNDS / 2], worst = order[TSL_CHECK_ROUNDS - 1];
    bool set_aside = w->with[middle] > w->without[middle] * (1 - TSL_CHECK_GAIN) ||
                     w->with[worst] >= w->without[worst];
    TRY(tsl_db_add_model_check(db, w->record, model, w->with[middle], w->without[middle], set_aside,
                               error));
    check->checked++;
    check->set_aside += set_aside;
  }
  return TSL_OK;
}

/* Whether `trace` (a record's, as JSON) is the default schedule of workload w's kernels. */
static bool is_default_schedule(const tsl_lowered *lowered, const int *func_workload, int w,
                                const tsl_target *target, const char *trace) {
  int f = 0;
  while (f < lowered->num_funcs && func_workload[f] != w) f++;
  tsl_trace *parsed;
  tsl_error ignored;
  if (f == lowered->num_funcs || !trace ||
      tsl_trace_from_json(trace, strlen(trace), "record", &parsed, &ignored))
    return false;
  char *record = tsl_trace_to_json(parsed);
  tsl_trace_free(parsed);
  tsl_primfunc *copy = tsl_primfunc_copy(lowered->funcs[f]);
  tsl_schedule sch;
  tsl_schedule_init(&sch, copy);
  tsl_schedule_rules(&sch, target);
  char *fallback = tsl_trace_to_json(sch.trace);
  tsl_schedule_release(&sch);
  tsl_primfunc_free(copy);
  bool same = strcmp(record, fallback) == 0;
  free(record);
  free(fallback);
  return same;
}

tsl_status tsl_check_records(const tsl_graph *graph, tsl_target *target,
                             const tsl_compile_options *options, const char *model, double seconds,
                             tsl_records_check *check, tsl_error *error) {
  *check = (tsl_records_check){0};
  if (!options->records)
    return tsl_fail(error, TSL_ERROR_INTERNAL, "a check of records needs the records");
  TRY(tsl_llvm_complete_target(target, error));
  /* The distinct workloads, keyed as the compile keys them: before any schedule. */
  tsl_graph *optimized;
  TRY(tsl_optimize(graph, target, options, &optimized, error));
  tsl_lowered *lowered;
  tsl_status status = tsl_lower(optimized, &lowered, error);
  tsl_graph_free(optimized);
  if (status) return status;
  int *func_workload = calloc((size_t)lowered->num_funcs + 1, sizeof(int));
  workload *workloads = calloc((size_t)lowered->num_funcs + 1, sizeof(workload));
  char(*keys)[TSL_WORKLOAD_KEY_SIZE] = calloc((size_t)lowered->num_funcs + 1, sizeof(*keys));
  TSL_CHECK_ALLOC(func_workload && workloads && keys);
  int count = tsl_distinct_workloads(lowered->funcs, lowered->num_funcs, keys, func_workload);
  for (int f = 0; f < lowered->num_funcs; f++) {
    workload *w = &workloads[func_workload[f]];
    if (w->tuned) continue;
    memcpy(w->key, keys[f], sizeof(keys[f]));
    w->tuned = calloc(MAX_RUNS, sizeof(double));
    w->fallback = calloc(MAX_RUNS, sizeof(double));
    TSL_CHECK_ALLOC(w->tuned && w->fallback);
  }
  free(keys);
  check->workloads = count;
  char target_key[1024];
  tsl_target_key(target, target_key, sizeof(target_key));
  tsl_db *db;
  status = tsl_db_open(options->records, false, &db, error);
  /* The record each workload's compile takes, unless it is the default schedule itself
   * (the first candidate of every task). */
  bool any = false;
  for (int w = 0; w < count && !status; w++) {
    char *trace = NULL;
    status =
        tsl_db_best_id(db, workloads[w].key, target_key, &workloads[w].record, &trace, NULL, error);
    if (!status && workloads[w].record &&
        is_default_schedule(lowered, func_workload, w, target, trace)) {
      workloads[w].record = 0;
      check->defaults++;
    }
    free(trace);
    any |= workloads[w].record != 0;
  }
  double tuned_ms[TSL_CHECK_ROUNDS], default_ms[TSL_CHECK_ROUNDS];
  for (int round = 0; round < TSL_CHECK_ROUNDS && !status && any; round++) {
    status = check_round(graph, target, options, lowered, func_workload, workloads, count, round,
                         seconds / TSL_CHECK_ROUNDS, &tuned_ms[round], &default_ms[round], error);
  }
  if (!status && any) {
    status = judge(db, model, workloads, count, check, error);
    check->tuned_ms = tsl_median(tuned_ms, TSL_CHECK_ROUNDS);
    check->default_ms = tsl_median(default_ms, TSL_CHECK_ROUNDS);
  }
  tsl_db_close(db);
  for (int w = 0; w < count; w++) {
    free(workloads[w].tuned);
    free(workloads[w].fallback);
  }
  free(workloads);
  free(func_workload);
  tsl_lowered_free(lowered);
  return status;
}

tsl_status tsl_compare_records(const tsl_graph *graph, tsl_target *target,
                               const tsl_compile_options *options, int rounds, double seconds,
                               tsl_records_comparison *comparison, tsl_error *error) {
  *comparison = (tsl_records_comparison){0};
  if (rounds < 1 || rounds > TSL_COMPARE_MAX_ROUNDS)
    return tsl_fail(error, TSL_ERROR_INPUT, "a comparison takes 1 to %d rounds, not %d",
                    TSL_COMPARE_MAX_ROUNDS, rounds);
  TRY(tsl_llvm_complete_target(target, error));
  for (int round = 0; round < rounds; round++) {
    /* No workloads: only the two models' latencies are wanted. */
    TRY(check_round(graph, target, options, NULL, NULL, NULL, 0, round, seconds,
                    &comparison->tuned_ms[round], &comparison->default_ms[round], error));
    comparison->rounds++;
  }
  return TSL_OK;
}
