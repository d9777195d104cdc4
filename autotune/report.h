/* The tuning report: one HTML page, with SVG charts, of how tuning a model went on a target —
 * the model's estimated latency against the trials measured, and each task's best time
 * against its trials, with the default schedule's time for comparison. */
#ifndef TSL_AUTOTUNE_REPORT_H
#define TSL_AUTOTUNE_REPORT_H

#include "autotune/database.h"

/* Writes the report of the model `name` on `target` to `path` (written beside it and renamed,
 * so a failure leaves no partial file). */
tsl_status tsl_report_write(tsl_db *db, const char *name, const char *target, const char *path,
                            tsl_error *error);

#endif
