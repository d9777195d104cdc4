/* Tuning records checked inside the model: the tuner's last step (`tessel tune`).
 *
 * The tuner times a kernel alone, with the caches as the model would leave them (measure.h);
 * inside the model its neighbours leave other data in the caches, and a schedule that won alone
 * can lose there. The check compiles the model twice, with the best tuning records and with the
 * default schedules, runs the two alternately in this process with the kernels profiled, and
 * compares each workload's median time inside the model; it does so TSL_CHECK_ROUNDS times,
 * each round with both models compiled afresh (new code and buffer addresses, which move a
 * kernel's time by several percent). A record that is not faster there than the default
 * schedule in every round, and by at least TSL_CHECK_GAIN in the middle one, is set aside in
 * the database
 * (tsl_db_add_model_check): while it is the workload's fastest record, compiles take the
 * default schedule, never a slower record that was not checked. */
#ifndef TSL_DRIVER_CHECK_H
#define TSL_DRIVER_CHECK_H

#include "driver/driver.h"

/* How much faster than the default schedule a record must be inside the model to be kept.
 * A record that only ties there is set aside: in other processes (other buffer addresses,
 * other code placement) such records ran up to 5% slower than the default schedule, while
 * those that won the check by more kept winning (docs/performance.md). */
#define TSL_CHECK_GAIN 0.01
#define TSL_CHECK_ROUNDS 3

typedef struct tsl_records_check {
  int workloads; /* the model's distinct kernels */
  int defaults;  /* of those, the ones whose best record is their default schedule: not timed */
  int checked;   /* the ones a compile took another record for, timed in the model */
  int set_aside; /* of those, the records not faster there than the default schedule */
  double tuned_ms, default_ms; /* the model's median latency with the records (before the
                                * check) and with the default schedules, in the same runs (medians
                                * over the rounds) */
} tsl_records_check;

/* Checks the records of options->records for the graph on the target (the host), with at least
 * `seconds` of alternating runs in all; `model` names the model in the checks it keeps. */
tsl_status tsl_check_records(const tsl_graph *graph, tsl_target *target,
                             const tsl_compile_options *options, const char *model, double seconds,
                             tsl_records_check *check, tsl_error *error);

/* The model with its tuning records, as a compile takes them (options->records; set-aside
 * records excluded), against the same model with the default schedules, both in this process,
 * so that what slows or speeds a whole process slows or speeds both (`tessel bench
 * --against-defaults`): `rounds` rounds, each compiling the two afresh and running them
 * alternately for at least `seconds`; each round's median latencies. options->summary, when
 * set, says how many kernels came from the records. */
enum { TSL_COMPARE_MAX_ROUNDS = 64 };

typedef struct tsl_records_comparison {
  int rounds;
  double tuned_ms[TSL_COMPARE_MAX_ROUNDS], default_ms[TSL_COMPARE_MAX_ROUNDS];
} tsl_records_comparison;

tsl_status tsl_compare_records(const tsl_graph *graph, tsl_target *target,
                               const tsl_compile_options *options, int rounds, double seconds,
                               tsl_records_comparison *comparison, tsl_error *error);

#endif
