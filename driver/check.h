/* Tuning records checked inside the model: the tuner's last step (`tessel tune`).
 *
 * The tuner times a kernel alone, with the caches as the model would leave them (measure.h);
 * inside the model its neighbours leave other data in the caches, and a schedule that won alone
 * can lose there. The check compiles the model twice, with the best tuning records and with the
 * default schedules, runs the two alternately in this process with the kernels profiled, and
 * compares each workload's median time inside the model. A record slower there than the
 * default schedule (by more than TSL_CHECK_MARGIN) is set aside in the database
 * (tsl_db_add_model_check): while it is the workload's fastest record, compiles take the
 * default schedule, never a slower record that was not checked. */
#ifndef TSL_DRIVER_CHECK_H
#define TSL_DRIVER_CHECK_H

#include "driver/driver.h"

/* How much slower than the default schedule a record may be inside the model before it is set
 * aside: the medians of alternating runs differ by less when the schedules are alike. */
#define TSL_CHECK_MARGIN 0.02

typedef struct tsl_records_check {
  int workloads; /* the model's distinct kernels */
  int checked;   /* of those, the ones a compile took a record for, timed in the model */
  int set_aside; /* of those, the records slower there than the default schedule */
  double tuned_ms, default_ms; /* the model's median latency with the records (before the
                                * check) and with the default schedules, in the same runs */
} tsl_records_check;

/* Checks the records of options->records for the graph on the target (the host), with at least
 * `seconds` of alternating runs; `model` names the model in the checks it keeps. */
tsl_status tsl_check_records(const tsl_graph *graph, tsl_target *target,
                             const tsl_compile_options *options, const char *model, double seconds,
                             tsl_records_check *check, tsl_error *error);

#endif
