/* The tuner (tune.h).
 *
 * Each distinct kernel of the model is a task. A round picks the task whose share of the
 * model's estimated latency (occurrences × best time) is largest — every task is measured once
 * first, with its default schedule among the candidates, so the tuner never records worse than
 * the default — draws a batch of new candidates for it from the rules' space, measures them in
 * worker processes and commits their records in one transaction. A candidate is the rules run
 * on a traced schedule: with random decisions, or (evolutionary search) following one of the
 * task's best traces with one decision drawn again. Candidates that schedule the function the
 * same as one measured before (the same text) are left out. Each candidate is timed beside the
 * default schedule and recorded as its ratio to it times the task's anchor (anchor_times). The
 * evolutionary search draws a pool several batches large and measures those the cost model ranks
 * best, with a quarter of the batch chosen at random from the rest (exploration); the model learns
 * from every measured batch. */
#include <jansson.h>
#include <math.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "autotune/cost_model.h"
#include "autotune/database.h"
#include "autotune/features.h"
#include "autotune/tune.h"
#include "codegen/llvm/llvm.h"
#include "ir/check.h"
#include "passes/schedule/trace.h"
#include "passes/tir/tir_passes.h"
#include "runtime/timing.h"

enum {
  POPULATION = 8,       /* best records a mutation starts from */
  EXPLORE_PERCENT = 25, /* of an evolutionary batch, drawn at random */
  DRAW_ATTEMPTS = 8,    /* draws per candidate before a task is taken as exhausted */
  MAX_SEEN = 1 << 16,   /* scheduled functions remembered per task */
  POOL_BATCHES = 8,     /* an evolutionary pool is this many batches large */
  LEARNED_RECORDS = 64, /* records of earlier runs the model starts from, per task */
  MAX_CONFIRMED = 4,    /* candidates of a batch measured again (confirm_best), at most */
};

tsl_tune_options tsl_tune_defaults(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return (tsl_tune_options){
      .trials = 200,
      .batch = 16,
      .search = TSL_SEARCH_EVOLUTIONARY,
      .seed = 1,
      .measure = {.min_seconds = 0.05, .timeout = 30, .jobs = cores > 0 ? (int)cores : 1},
  };
}

static double now_seconds(void) {
  struct timespec time;
  clock_gettime(CLOCK_MONOTONIC, &time);
  return (double)time.tv_sec + (double)time.tv_nsec * 1e-9;
}

typedef struct task {
  char key[TSL_WORKLOAD_KEY_SIZE];
  char *text;               /* canonical, as the database keeps it */
  const tsl_primfunc *func; /* the first kernel with the key */
  int occurrences;
  long long trials;      /* its records on the target */
  double best, baseline; /* seconds; 0 until known */
  double anchor;         /* the default schedule's time its records are anchored to; 0: none */
  double gain;           /* what its last batch took off the model's latency, in seconds */
  int batches;           /* measured in this run */
  int fruitless;         /* batches in a row, the last ones, that found nothing faster */
  bool exhausted;        /* no new candidate could be drawn */
  uint64_t *seen;        /* hashes of the functions measured in this run */
  int num_seen;
} task;

static uint64_t function_hash(const tsl_primfunc *func) {
  char *text = tsl_primfunc_print(func);
  SHA2_CTX context;
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256Init(&context);
  SHA256Update(&context, (const uint8_t *)text, strlen(text));
  SHA256Final(digest, &context);
  free(text);
  uint64_t hash;
  memcpy(&hash, digest, sizeof(hash));
  return hash;
}

static bool known(const task *t, uint64_t hash) {
  for (int i = 0; i < t->num_seen; i++) {
    if (t->seen[i] == hash) return true;
  }
  return false;
}

static void remember(task *t, uint64_t hash) {
  if (t->num_seen < MAX_SEEN) t->seen[t->num_seen++] = hash;
}

/* ---- drawing candidates ------------------------------------------------------------------ */

typedef struct population {
  int count;
  char *traces[POPULATION];
} population;

static void add_member(const char *trace, double seconds, void *context) {
  (void)seconds;
  population *p = context;
  if (p->count < POPULATION) {
    p->traces[p->count] = strdup(trace);
    TSL_CHECK_ALLOC(p->traces[p->count]);
    p->count++;
  }
}

/* The features of a scheduled function, lowered in place as code generation will see it. */
static void lowered_features(tsl_primfunc *func, float features[TSL_NUM_FEATURES]) {
  tsl_tir_lower(func);
  tsl_features(func, features);
}

/* A drawn schedule. */
typedef struct candidate {
  char *trace; /* JSON */
  uint64_t hash;
  float features[TSL_NUM_FEATURES];
} candidate;

/* One candidate: the rules with decisions as `mode` says (0 heuristic, 1 random, 2 mutation of
 * `parent`); false when it schedules a function measured already (or in `pool`). */
static bool draw(task *t, const tsl_target *target, int mode, const char *parent, uint64_t seed,
                 tsl_db *db, const char *target_key, const candidate *pool, int pooled,
                 candidate *out) {
  tsl_primfunc *func = tsl_primfunc_copy(t->func);
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  tsl_trace *followed = NULL;
  if (mode >= 1) tsl_schedule_seed(&sch, seed);
  if (mode == 2) {
    tsl_error error;
    if (tsl_trace_from_json(parent, strlen(parent), "record", &followed, &error) == TSL_OK) {
      int decisions = tsl_trace_decisions(followed);
      tsl_schedule_follow(&sch, followed, decisions ? (int)(seed % (uint64_t)decisions) : -1);
    }
  }
  tsl_schedule_rules(&sch, target);
  out->hash = function_hash(func);
  bool fresh = !known(t, out->hash);
  for (int i = 0; i < pooled && fresh; i++) fresh = pool[i].hash != out->hash;
  if (fresh) {
    out->trace = tsl_trace_to_json(sch.trace);
    if (tsl_db_holds_trace(db, t->key, target_key, out->trace)) {
      free(out->trace);
      fresh = false;
    }
  }
  if (fresh) lowered_features(func, out->features);
  tsl_schedule_release(&sch);
  tsl_trace_free(followed);
  tsl_primfunc_free(func);
  return fresh;
}

typedef struct ranked {
  float score;
  int index;
} ranked;

static int by_score(const void *a, const void *b) {
  float x = ((const ranked *)a)->score, y = ((const ranked *)b)->score;
  return x > y ? -1 : x < y;
}

/* Up to `wanted` new candidates for the task, into `batch`; their count, or -1 on an error. */
static int draw_batch(task *t, const tsl_target *target, const tsl_tune_options *options,
                      tsl_db *db, const char *target_key, tsl_cost_model *model, uint64_t *seed,
                      candidate *batch, int wanted, tsl_error *error) {
  population p = {0};
  bool evolutionary = options->search == TSL_SEARCH_EVOLUTIONARY;
  if (evolutionary && tsl_db_top(db, t->key, target_key, POPULATION, add_member, &p, error))
    return -1;
  /* The pool; a task measured for the first time has its default schedule first, which is
   * always measured. */
  int pool_size = evolutionary ? wanted * POOL_BATCHES : wanted;
  candidate *pool = calloc((size_t)pool_size + 1, sizeof(candidate));
  TSL_CHECK_ALLOC(pool);
  int forced = t->trials == 0 && draw(t, target, 0, NULL, 0, db, target_key, pool, 0, &pool[0]);
  int pooled = forced;
  for (int attempts = 0; pooled < pool_size && attempts < pool_size * DRAW_ATTEMPTS; attempts++) {
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t draw_seed = *seed >> 11 | 1;
    bool explore = p.count == 0 || (int)(draw_seed % 100) < EXPLORE_PERCENT;
    /* Parents are the best records, the better more often: the better of two drawn. */
    uint64_t first = p.count ? (draw_seed >> 8) % (uint64_t)p.count : 0;
    uint64_t second = p.count ? (draw_seed >> 24) % (uint64_t)p.count : 0;
    const char *parent = p.count ? p.traces[first < second ? first : second] : NULL;
    if (draw(t, target, explore ? 1 : 2, parent, draw_seed, db, target_key, pool, pooled,
             &pool[pooled]))
      pooled++;
  }
  /* The rest of the pool ranked by the model, when it has learnt something: the best first,
   * then some at random; otherwise in the order drawn. */
  int drawn = pooled - forced;
  int *order = malloc(sizeof(int) * ((size_t)drawn + 1));
  float *features = malloc(sizeof(float) * TSL_NUM_FEATURES * ((size_t)drawn + 1));
  float *scores = malloc(sizeof(float) * ((size_t)drawn + 1));
  TSL_CHECK_ALLOC(order);
  TSL_CHECK_ALLOC(features);
  TSL_CHECK_ALLOC(scores);
  for (int i = 0; i < drawn; i++) {
    order[i] = forced + i;
    memcpy(features + (size_t)i * TSL_NUM_FEATURES, pool[forced + i].features,
           sizeof(pool[0].features));
  }
  if (evolutionary && tsl_cost_model_predict(model, drawn, features, scores)) {
    ranked *ranking = malloc(sizeof(ranked) * ((size_t)drawn + 1));
    TSL_CHECK_ALLOC(ranking);
    for (int i = 0; i < drawn; i++) ranking[i] = (ranked){scores[i], forced + i};
    qsort(ranking, (size_t)drawn, sizeof(ranked), by_score);
    for (int i = 0; i < drawn; i++) order[i] = ranking[i].index;
    free(ranking);
    int best = (wanted - forced) * (100 - EXPLORE_PERCENT) / 100;
    /* The rest of the batch at random from below the best. */
    for (int i = best; i < drawn; i++) {
      *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
      int j = i + (int)((*seed >> 33) % (uint64_t)(drawn - i));
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
  }
  int count = 0;
  if (forced) batch[count++] = pool[0];
  for (int i = 0; i < drawn; i++) {
    candidate *c = &pool[order[i]];
    if (count < wanted)
      batch[count++] = *c;
    else
      free(c->trace);
  }
  for (int i = 0; i < count; i++) remember(t, batch[i].hash);
  free(order);
  free(features);
  free(scores);
  free(pool);
  for (int i = 0; i < p.count; i++) free(p.traces[i]);
  return count;
}

/* ---- the run ----------------------------------------------------------------------------- */

static tsl_status refresh(task *t, tsl_db *db, const char *target_key, tsl_error *error) {
  TRY(tsl_db_count(db, t->key, target_key, &t->trials, error));
  if (!t->anchor) TRY(tsl_db_anchor(db, t->key, t->text, target_key, 0, &t->anchor, error));
  if (!t->baseline) t->baseline = t->anchor;
  char *trace;
  double seconds = 0;
  TRY(tsl_db_best(db, t->key, target_key, &trace, &seconds, error));
  if (trace) t->best = seconds;
  free(trace);
  return TSL_OK;
}

/* The task to measure next: one never measured; else the one whose next batch is expected to
 * take most off the model's latency: what its last batch took off, or, for a task this run
 * has not tuned yet, its share of the latency (occurrences × best), and for one whose last
 * batch gained little, a twentieth of that share over one more than its fruitless batches in a
 * row: large tasks keep being tried, and a task that stopped improving gives way, to smaller
 * ones too, instead of taking every batch for its size alone. */
static int pick_task(const task *tasks, int count) {
  int chosen = -1;
  double expected = -1;
  for (int i = 0; i < count; i++) {
    if (tasks[i].exhausted) continue;
    if (tasks[i].trials == 0) return i;
    double share = tasks[i].occurrences * tasks[i].best;
    double e = tasks[i].batches == 0 ? share : share / 20 / (1 + tasks[i].fruitless);
    if (tasks[i].gain > e) e = tasks[i].gain;
    if (e > expected) {
      expected = e;
      chosen = i;
    }
  }
  return chosen;
}

/* The batch's times anchored: a candidate timed beside the default schedule (measure.h) is
 * recorded as its ratio to the default schedule in those runs times the task's anchor, the
 * default schedule's time kept in the database (the median of its times in the task's first
 * batch). A whole process here can run up to 2× slower than the next, so candidates measured
 * in different batches compare by their ratios, not by their times; those of a remote board
 * are recorded as measured. */
static tsl_status anchor_times(task *t, tsl_db *db, const char *target_key, tsl_measured *results,
                               int count, tsl_error *error) {
  double *beside = calloc((size_t)count + 1, sizeof(double));
  TSL_CHECK_ALLOC(beside);
  int timed = 0;
  for (int i = 0; i < count; i++) {
    if (!results[i].error && results[i].default_seconds > 0)
      beside[timed++] = results[i].default_seconds;
  }
  tsl_status status = TSL_OK;
  if (timed && !t->anchor) {
    status = tsl_db_anchor(db, t->key, t->text, target_key, tsl_median(beside, timed), &t->anchor,
                           error);
  }
  free(beside);
  for (int i = 0; i < count && !status && t->anchor; i++) {
    if (!results[i].error && results[i].default_seconds > 0)
      results[i].seconds *= t->anchor / results[i].default_seconds;
  }
  return status;
}

/* A candidate that would be the task's new best is measured again, by a new worker (another
 * process, other addresses), and keeps the slower of its two times, or the second's failure.
 * The best of hundreds of measurements is the likeliest to be a lucky one: a 40-minute
 * ResNet-18 tune recorded a convolution at 0.71 of its default schedule's time, the rest of
 * its 260 candidates at 0.99 or more, and that schedule measured 1.09–1.31 of the default
 * every time since (docs/performance.md). Only the fastest MAX_CONFIRMED of a batch are measured
 * again; the first batch, with nothing to beat yet, is not. */
static tsl_status confirm_best(task *t, const tsl_tune_options *options, const char *target_text,
                               tsl_db *db, const char *target_key, char *const *traces,
                               tsl_measured *results, int count, tsl_error *error) {
  if (t->best <= 0) return TSL_OK;
  int chosen[MAX_CONFIRMED], n = 0;
  for (int i = 0; i < count; i++) {
    if (results[i].error || results[i].seconds >= t->best) continue;
    int at = n < MAX_CONFIRMED ? n++ : MAX_CONFIRMED;
    for (; at > 0 && results[chosen[at - 1]].seconds > results[i].seconds; at--) {
      if (at < MAX_CONFIRMED) chosen[at] = chosen[at - 1];
    }
    if (at < MAX_CONFIRMED) chosen[at] = i;
  }
  if (!n) return TSL_OK;
  char *again_traces[MAX_CONFIRMED];
  tsl_measured again[MAX_CONFIRMED] = {0};
  for (int k = 0; k < n; k++) again_traces[k] = traces[chosen[k]];
  TRY(tsl_measure(&options->measure, t->text, target_text, t->func->is_constant,
                  t->func->num_params, n, again_traces, again, error));
  TRY(anchor_times(t, db, target_key, again, n, error));
  for (int k = 0; k < n; k++) {
    tsl_measured *first = &results[chosen[k]];
    if (again[k].error) {
      first->error = again[k].error;
      snprintf(first->message, sizeof(first->message), "measured again: %s", again[k].message);
    } else if (again[k].seconds > first->seconds) {
      first->seconds = again[k].seconds;
    }
  }
  return TSL_OK;
}

/* Measures the batch, commits its records and teaches the model its times. */
static tsl_status measure_batch(task *t, int task_index, const tsl_target *target,
                                const tsl_tune_options *options, tsl_db *db, const char *target_key,
                                tsl_cost_model *model, const candidate *batch, int count,
                                tsl_error *error) {
  tsl_measured *results = calloc((size_t)count, sizeof(*results));
  tsl_record *records = calloc((size_t)count, sizeof(*records));
  char **traces = calloc((size_t)count, sizeof(char *));
  TSL_CHECK_ALLOC(results);
  TSL_CHECK_ALLOC(records);
  TSL_CHECK_ALLOC(traces);
  for (int i = 0; i < count; i++) traces[i] = batch[i].trace;
  /* The worker compiles for exactly this target: its features too. */
  char target_text[sizeof(target->features) + 1024];
  tsl_target_string(target, target_text, 1024);
  if (target->features[0]) {
    size_t used = strlen(target_text);
    snprintf(target_text + used, sizeof(target_text) - used, " -mattr=%s", target->features);
  }
  tsl_status status = tsl_measure(&options->measure, t->text, target_text, t->func->is_constant,
                                  t->func->num_params, count, traces, results, error);
  if (!status) status = anchor_times(t, db, target_key, results, count, error);
  if (!status)
    status = confirm_best(t, options, target_text, db, target_key, traces, results, count, error);
  for (int i = 0; i < count && !status; i++) {
    tsl_cost_model_add(model, task_index, batch[i].features,
                       results[i].error ? 0 : results[i].seconds);
    records[i] = (tsl_record){
        .workload = t->key,
        .workload_text = t->text,
        .target = target_key,
        .trace = batch[i].trace,
        .seconds = results[i].seconds,
        .error = results[i].error,
        .message = results[i].error ? results[i].message : NULL,
        .build_seconds = results[i].build_seconds,
    };
    /* The first candidate of a task's first batch is its default schedule. */
    if (t->trials == 0 && i == 0 && !results[i].error) t->baseline = results[i].seconds;
  }
  if (status) tsl_error_prefix(error, "kernel '%s': ", t->func->name);
  if (!status) status = tsl_db_add(db, count, records, error);
  if (!status) status = tsl_cost_model_train(model, error);
  free(results);
  free(records);
  free(traces);
  return status;
}

/* What earlier runs measured for the task, for the model to start from. */
typedef struct learning {
  const task *t;
  int task_index;
  tsl_cost_model *model;
  const tsl_target *target;
} learning;

static void learn_record(const char *json, double seconds, void *context) {
  learning *l = context;
  tsl_trace *trace;
  tsl_error error;
  if (tsl_trace_from_json(json, strlen(json), "record", &trace, &error)) return;
  tsl_primfunc *func = tsl_primfunc_copy(l->t->func);
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  sch.target = l->target;
  if (tsl_trace_replay(trace, &sch, &error) == TSL_OK) {
    float features[TSL_NUM_FEATURES];
    lowered_features(func, features);
    tsl_cost_model_add(l->model, l->task_index, features, seconds);
  }
  tsl_schedule_release(&sch);
  tsl_trace_free(trace);
  tsl_primfunc_free(func);
}

tsl_status tsl_tune_check_target(const tsl_target *target, const char *remote, tsl_error *error) {
  if (remote) return TSL_OK;
  tsl_target here;
  if (tsl_target_parse("llvm", &here, error) || tsl_llvm_complete_target(&here, error))
    return TSL_ERROR_INTERNAL;
  if (!target->host || strcmp(target->cpu, here.cpu) != 0) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "tuning measures on this machine (%s, %s); the target %s, %s is another",
                    here.triple, here.cpu, target->triple, target->cpu);
  }
  return TSL_OK;
}

tsl_status tsl_tune(tsl_primfunc *const *kernels, int count, const tsl_target *target,
                    const tsl_tune_options *options, tsl_error *error) {
  TRY(tsl_tune_check_target(target, options->measure.remote, error));
  double started = now_seconds();
  tsl_db *db;
  TRY(tsl_db_open(options->records, true, &db, error));
  char target_key[1024];
  tsl_target_key(target, target_key, sizeof(target_key));
  /* The tasks: one per distinct workload. */
  task *tasks = calloc((size_t)count + 1, sizeof(task));
  char(*keys)[TSL_WORKLOAD_KEY_SIZE] = calloc((size_t)count + 1, sizeof(*keys));
  int *index = calloc((size_t)count + 1, sizeof(int));
  TSL_CHECK_ALLOC(tasks && keys && index);
  int num_tasks = tsl_distinct_workloads(kernels, count, keys, index);
  for (int k = 0; k < count; k++) {
    task *t = &tasks[index[k]];
    if (t->occurrences++) continue;
    tsl_workload_key(kernels[k], t->key, &t->text);
    t->func = kernels[k];
    t->seen = malloc(sizeof(uint64_t) * MAX_SEEN);
    TSL_CHECK_ALLOC(t->seen);
  }
  free(keys);
  free(index);
  /* The model's kernels, for reports. */
  tsl_db_model_workload *listed = calloc((size_t)num_tasks + 1, sizeof(*listed));
  TSL_CHECK_ALLOC(listed);
  for (int i = 0; i < num_tasks; i++) {
    listed[i] = (tsl_db_model_workload){tasks[i].key, tasks[i].text, tasks[i].func->name,
                                        tasks[i].occurrences};
  }
  tsl_status status = tsl_db_add_model(db, options->model ? options->model : "model", target_key,
                                       num_tasks, listed, error);
  free(listed);
  tsl_cost_model *model = tsl_cost_model_new();
  for (int i = 0; i < num_tasks && !status; i++) {
    status = refresh(&tasks[i], db, target_key, error);
    learning l = {&tasks[i], i, model, target};
    if (!status && options->search == TSL_SEARCH_EVOLUTIONARY)
      status = tsl_db_top(db, tasks[i].key, target_key, LEARNED_RECORDS, learn_record, &l, error);
  }
  if (!status) status = tsl_cost_model_train(model, error);
  uint64_t seed = options->seed * 0x9e3779b97f4a7c15ull + 1;
  candidate *batch = calloc((size_t)options->batch + 1, sizeof(candidate));
  long long measured = 0; /* by this run */
  TSL_CHECK_ALLOC(batch);
  while (!status) {
    long long trials = 0;
    for (int i = 0; i < num_tasks; i++) trials += tasks[i].trials;
    if (trials >= options->trials) break;
    if (options->time_budget > 0 && now_seconds() - started >= options->time_budget) break;
    int chosen = pick_task(tasks, num_tasks);
    if (chosen < 0) break; /* every task's space is measured */
    task *t = &tasks[chosen];
    long long left = options->trials - trials;
    int wanted = (int)(left < options->batch ? left : options->batch);
    /* A first batch leaves trials for every other task's first. */
    int unmeasured = 0;
    for (int i = 0; i < num_tasks; i++) unmeasured += tasks[i].trials == 0;
    if (t->trials == 0 && left / unmeasured < wanted)
      wanted = (int)(left / unmeasured > 0 ? left / unmeasured : 1);
    int drawn = draw_batch(t, target, options, db, target_key, model, &seed, batch, wanted, error);
    if (drawn < 0) {
      status = TSL_ERROR_INPUT;
      break;
    }
    if (drawn == 0) {
      t->exhausted = true;
      continue;
    }
    double before = t->best;
    measured += drawn;
    status = measure_batch(t, chosen, target, options, db, target_key, model, batch, drawn, error);
    for (int i = 0; i < drawn; i++) free(batch[i].trace);
    if (!status) status = refresh(t, db, target_key, error);
    t->batches++;
    t->gain = before > 0 && t->best > 0 ? t->occurrences * (before - t->best) : 0;
    t->fruitless = t->gain > 0 ? 0 : t->fruitless + 1;
    if (!status && options->progress) {
      tsl_tune_progress progress = {
          .task = chosen,
          .tasks = num_tasks,
          .task_name = t->func->name,
          .total = options->trials,
          .task_best = t->best,
          .task_default = t->baseline,
          .elapsed = now_seconds() - started,
      };
      for (int i = 0; i < num_tasks; i++) {
        progress.trials += tasks[i].trials;
        progress.model_estimate += tasks[i].occurrences * tasks[i].best;
      }
      long long left = options->trials - progress.trials;
      progress.remaining = left > 0 ? progress.elapsed / (double)measured * (double)left : 0;
      if (options->time_budget > 0 && options->time_budget - progress.elapsed < progress.remaining)
        progress.remaining = options->time_budget - progress.elapsed;
      options->progress(options->progress_context, &progress);
    }
  }
  free(batch);
  tsl_cost_model_free(model);
  for (int i = 0; i < num_tasks; i++) {
    free(tasks[i].text);
    free(tasks[i].seen);
  }
  free(tasks);
  tsl_db_close(db);
  return status;
}
