/* The tuner: a model's distinct kernels (tasks), schedules drawn from the rules' space for
 * each, measured on this machine (measure.h) and committed to the records database batch by
 * batch, so a killed tuner loses at most the batch being measured and a rerun continues. */
#ifndef TSL_AUTOTUNE_TUNE_H
#define TSL_AUTOTUNE_TUNE_H

#include "autotune/measure.h"
#include "ir/target.h"
#include "ir/tir.h"

typedef enum tsl_search {
  TSL_SEARCH_EVOLUTIONARY, /* mutations of the best records, with random draws mixed in */
  TSL_SEARCH_RANDOM,       /* random draws only: the baseline */
} tsl_search;

/* Where a tuning run stands, after each batch. */
typedef struct tsl_tune_progress {
  int task, tasks;                /* the task just measured (0-based), of how many */
  const char *task_name;          /* its kernel's name in the model */
  long long trials, total;        /* measured candidates of the model on the target, and the goal */
  double task_best, task_default; /* seconds */
  double model_estimate;          /* Σ occurrences × best, seconds */
  double elapsed;                 /* seconds */
  double remaining;               /* seconds, estimated from this run's pace and the budget */
} tsl_tune_progress;

typedef struct tsl_tune_options {
  const char *records; /* the database (created when missing) */
  const char *model;   /* the model's name, under which the database keeps its kernels */
  long long trials;    /* measured candidates for the model on the target, counted in the
                        * database: a rerun continues to this many */
  double time_budget;  /* seconds; 0: none */
  int batch;           /* candidates measured and committed together */
  tsl_search search;
  unsigned long long seed;
  tsl_measure_options measure;
  void (*progress)(void *context, const tsl_tune_progress *progress);
  void *progress_context;
} tsl_tune_options;

/* Sensible options: 200 trials, batches of 16, evolutionary search, as many workers building
 * candidates at once as the machine has cores. */
tsl_tune_options tsl_tune_defaults(void);

/* Whether the candidates can run where tuning measures them: this machine, which the target
 * must then be, or a board (`remote`, tsl_measure_options), which checks that the target's
 * architecture is its own. */
tsl_status tsl_tune_check_target(const tsl_target *target, const char *remote, tsl_error *error);

/* Tunes a model's kernels, as lowering made them (unscheduled), for the target, which must be
 * this machine (completed: tsl_llvm_complete_target). */
tsl_status tsl_tune(tsl_primfunc *const *kernels, int count, const tsl_target *target,
                    const tsl_tune_options *options, tsl_error *error);

#endif
