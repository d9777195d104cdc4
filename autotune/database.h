/* The tuning records: an SQLite database of measured schedules (traces) for workloads (kernels,
 * by the key of their canonical TIR) on targets (by their canonical string). Every write is a
 * transaction of its own, so a killed writer loses at most what it was writing; the database
 * runs in WAL mode with a busy timeout, so several tuners and compilers can share one.
 * docs/tuning.md describes the schema. */
#ifndef TSL_AUTOTUNE_DATABASE_H
#define TSL_AUTOTUNE_DATABASE_H

#include <stdbool.h>
#include <stddef.h>

#include "ir/error.h"
#include "ir/target.h"
#include "ir/tir.h"

typedef struct tsl_db tsl_db;

/* Characters of a workload key: SHA-256 in hex, and the terminating NUL. */
enum { TSL_WORKLOAD_KEY_SIZE = 65 };

/* The key of a function as lowering makes it, before any schedule: the SHA-256 of a format line
 * and its text with the function's own name left out (kernels of different models, or of one
 * model, that compute the same thing share it). That text goes to *text when it is not NULL
 * (malloc'd; it parses back to the function). */
void tsl_workload_key(const tsl_primfunc *func, char key[TSL_WORKLOAD_KEY_SIZE], char **text);

/* The distinct workloads of `count` kernels (a model's tasks): keys[k] is kernel k's key and
 * index[k] the place of its workload among the distinct ones, numbered in the order their
 * first kernel comes. Returns how many there are. */
int tsl_distinct_workloads(tsl_primfunc *const *funcs, int count,
                           char (*keys)[TSL_WORKLOAD_KEY_SIZE], int *index);

/* The key of a target, which a record must match: its canonical string (tsl_target_string)
 * and the instruction sets among those the schedules rely on that it has (AVX2, FMA, AVX-512,
 * VNNI, NEON, dot product …), as "-mattr=+avx2,+fma,…". */
void tsl_target_key(const tsl_target *target, char *key, size_t size);

/* The database the user has unless told otherwise: $TESSEL_RECORDS, else
 * $XDG_DATA_HOME/tessel/records.db, else ~/.local/share/tessel/records.db. */
tsl_status tsl_db_default_path(char *path, size_t size, tsl_error *error);

/* Opens the database at `path`, creating it (and the folders it is in) when `create` is set;
 * otherwise a missing file is an error. */
tsl_status tsl_db_open(const char *path, bool create, tsl_db **db, tsl_error *error);
void tsl_db_close(tsl_db *db);

/* One measured candidate. */
typedef struct tsl_record {
  const char *workload;      /* key */
  const char *workload_text; /* the canonical text the key hashes */
  const char *target;        /* key */
  const char *trace;         /* JSON (docs/tir.md) */
  double seconds;            /* median run time (anchored, tune.c); ignored on error */
  const char *error;         /* NULL, or what failed: "build", "run", "timeout", "wrong" */
  const char *message;       /* the failure's message, or NULL */
  double build_seconds;
  const char *version; /* of the tessel that measured it; NULL: this one */
  const char *created; /* when, "YYYY-MM-DDTHH:MM:SSZ"; NULL: now */
} tsl_record;

/* Adds the records in one transaction: all of them or, on an error, none. */
tsl_status tsl_db_add(tsl_db *db, int count, const tsl_record *records, tsl_error *error);

/* The time of the default schedule of `workload` on `target` that its records' times are
 * anchored to (autotune/tune.c): the one kept, else `proposed` (when above 0), kept now; 0 when
 * there is none. Of two tuners that propose at once, both get the first's. */
tsl_status tsl_db_anchor(tsl_db *db, const char *workload, const char *workload_text,
                         const char *target, double proposed, double *seconds, tsl_error *error);

/* The fastest working record of `workload` on `target`: its trace (malloc'd) and time. *trace
 * is NULL when there is none, or when a model check set that record aside (it ran slower
 * inside a model than the default schedule, which is then the better choice); a faster record
 * measured later is the best again. */
tsl_status tsl_db_best(tsl_db *db, const char *workload, const char *target, char **trace,
                       double *seconds, tsl_error *error);

/* The same, with the record's id (0 when there is none); trace and seconds may be NULL. */
tsl_status tsl_db_best_id(tsl_db *db, const char *workload, const char *target, long long *id,
                          char **trace, double *seconds, tsl_error *error);

/* Keeps what a model check measured of a record: the kernel's time inside the model with the
 * record's schedule and with the default schedule, taken in the same runs. While a record
 * the check set aside (`slower`: not faster there) is its workload's fastest, compiles take
 * the default schedule (tsl_db_best). */
tsl_status tsl_db_add_model_check(tsl_db *db, long long record, const char *model, double seconds,
                                  double default_seconds, bool slower, tsl_error *error);

/* How many records the database holds for `workload` on `target` (NULL: any). */
tsl_status tsl_db_count(tsl_db *db, const char *workload, const char *target, long long *count,
                        tsl_error *error);

/* The `count` fastest working records of `workload` on `target`, fastest first, passed to
 * `each`. */
tsl_status tsl_db_top(tsl_db *db, const char *workload, const char *target, int count,
                      void (*each)(const char *trace, double seconds, void *context), void *context,
                      tsl_error *error);

/* Whether a record of `workload` on `target` has this trace (the same text). */
bool tsl_db_holds_trace(tsl_db *db, const char *workload, const char *target, const char *trace);

/* What the database holds for one workload on one target. */
typedef struct tsl_db_task {
  const char *workload, *target; /* keys */
  long long records, failed;     /* measured candidates, and of those the ones that failed */
  double best_seconds;           /* the fastest working one's time; 0 when none works */
} tsl_db_task;

/* Each task, by target and then workload, passed to `each`. */
tsl_status tsl_db_tasks(tsl_db *db, void (*each)(const tsl_db_task *task, void *context),
                        void *context, tsl_error *error);

/* A working record among the fastest of its workload on its target. */
typedef struct tsl_db_ranked {
  const char *workload, *target; /* keys */
  int rank;                      /* 1: the fastest of the workload on the target */
  double seconds, build_seconds;
  long long trial, trials; /* it was the trial-th record of the workload on the target, of so
                            * many now */
  const char *created;     /* when it was measured, "YYYY-MM-DDTHH:MM:SSZ" */
  const char *model_check; /* NULL: not checked; "kept", or "set aside" (tsl_db_best) */
} tsl_db_ranked;

/* The `count` fastest working records of each workload (only `workload`, when not NULL) on each
 * target, by target, workload and rank, passed to `each`. */
tsl_status tsl_db_fastest(tsl_db *db, const char *workload, int count,
                          void (*each)(const tsl_db_ranked *record, void *context), void *context,
                          tsl_error *error);

/* The canonical text of the workload with key `workload` (malloc'd); NULL when the database
 * does not know it. */
tsl_status tsl_db_workload_text(tsl_db *db, const char *workload, char **text, tsl_error *error);

/* A model tuned on a target: its distinct kernels, for reports. */
typedef struct tsl_db_model_workload {
  const char *workload; /* key */
  const char *text;     /* canonical text (when adding) */
  const char *kernel;   /* the model's first kernel with it */
  int occurrences;
} tsl_db_model_workload;

/* Keeps (or updates) the model `name` on `target` with its workloads. */
tsl_status tsl_db_add_model(tsl_db *db, const char *name, const char *target, int count,
                            const tsl_db_model_workload *workloads, tsl_error *error);
/* Each tuned model and its target, oldest first. */
tsl_status tsl_db_models(tsl_db *db,
                         void (*each)(const char *name, const char *target, void *context),
                         void *context, tsl_error *error);
/* The workloads of the model `name` on `target`. */
tsl_status tsl_db_model_workloads(tsl_db *db, const char *name, const char *target,
                                  void (*each)(const tsl_db_model_workload *, void *context),
                                  void *context, tsl_error *error);
/* Every record of `workload` on `target` in the order it was added: its id and time (-1 when
 * it failed). */
tsl_status tsl_db_history(tsl_db *db, const char *workload, const char *target,
                          void (*each)(long long id, double seconds, void *context), void *context,
                          tsl_error *error);

/* Deletes every record but the `keep` fastest working ones of each workload on each target
 * (failures go too), in one transaction, and compacts the file. The number deleted goes to
 * *removed. A later tune counts only the records kept as its trials. */
tsl_status tsl_db_prune(tsl_db *db, int keep, long long *removed, tsl_error *error);

/* Each record, oldest first, as one line of JSON (the export format of docs/tuning.md) passed
 * to `line`. */
tsl_status tsl_db_export(tsl_db *db, void (*line)(const char *json, void *context), void *context,
                         tsl_error *error);

/* Adds records read from export lines, in one transaction, leaving out those it holds already
 * (the same trace for the same workload and target, made at the same time); `name` and the
 * line number are used in messages. The number added goes to *added. */
tsl_status tsl_db_import(tsl_db *db, const char *text, size_t length, const char *name,
                         long long *added, tsl_error *error);

#endif
