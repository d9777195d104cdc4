/* The tuning records database (database.h) on SQLite. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <sha2.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "autotune/database.h"
#include "ir/check.h"
#include "tessel/runtime.h"

/* Bumped when the schema changes; an older database is upgraded when opened. */
enum { SCHEMA_VERSION = 4, BUSY_TIMEOUT_MS = 30000 };

/* Bumped when lowering changes the text of a workload without changing what it computes in a
 * way traces would notice; it is hashed with the text. */
static const char WORKLOAD_FORMAT[] = "tessel-workload 1\n";

struct tsl_db {
  sqlite3 *sqlite;
  char *path;
};

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS workloads (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  key TEXT NOT NULL UNIQUE,   -- SHA-256 of the canonical text\n"
    "  text TEXT NOT NULL          -- the PrimFunc as lowering makes it, unnamed\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS targets (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  key TEXT NOT NULL UNIQUE    -- the canonical target string\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS records (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  workload INTEGER NOT NULL REFERENCES workloads (id),\n"
    "  target INTEGER NOT NULL REFERENCES targets (id),\n"
    "  trace TEXT NOT NULL,        -- JSON\n"
    "  seconds REAL,               -- median run time, anchored; NULL: failed\n"
    "  error TEXT,                 -- NULL, build, run, timeout or wrong\n"
    "  message TEXT,\n"
    "  build_seconds REAL,\n"
    "  version TEXT NOT NULL,      -- of the tessel that measured it\n"
    "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))\n"
    ");\n"
    "CREATE INDEX IF NOT EXISTS records_by_task ON records (workload, target, seconds);\n"
    "CREATE TABLE IF NOT EXISTS models (   -- tuned models, for reports (schema 2)\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL,\n"
    "  target INTEGER NOT NULL REFERENCES targets (id),\n"
    "  UNIQUE (name, target)\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS model_workloads (\n"
    "  model INTEGER NOT NULL REFERENCES models (id),\n"
    "  workload INTEGER NOT NULL REFERENCES workloads (id),\n"
    "  kernel TEXT NOT NULL,         -- the first kernel of the model with the workload\n"
    "  occurrences INTEGER NOT NULL,\n"
    "  PRIMARY KEY (model, workload)\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS model_checks (   -- records timed inside a model (schema 3)\n"
    "  record INTEGER PRIMARY KEY REFERENCES records (id) ON DELETE CASCADE,\n"
    "  model TEXT NOT NULL,\n"
    "  seconds REAL NOT NULL,         -- the kernel's time in the model with the record\n"
    "  default_seconds REAL NOT NULL, -- and with the default schedule, in the same runs\n"
    "  slower INTEGER NOT NULL,       -- 1: set aside, compiles take the next record\n"
    "  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS anchors (   -- records' times are anchored to (schema 4)\n"
    "  workload INTEGER NOT NULL REFERENCES workloads (id),\n"
    "  target INTEGER NOT NULL REFERENCES targets (id),\n"
    "  seconds REAL NOT NULL,      -- the default schedule's time, from its first batch\n"
    "  PRIMARY KEY (workload, target)\n"
    ");\n";

/* ---- keys -------------------------------------------------------------------------------- */

void tsl_workload_key(const tsl_primfunc *func, char key[TSL_WORKLOAD_KEY_SIZE], char **text) {
  /* The text of the function under a fixed name, after the format line. */
  tsl_primfunc unnamed = *func;
  unnamed.name = "workload";
  char *body = tsl_primfunc_print(&unnamed);
  SHA2_CTX context;
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256Init(&context);
  SHA256Update(&context, (const uint8_t *)WORKLOAD_FORMAT, strlen(WORKLOAD_FORMAT));
  SHA256Update(&context, (const uint8_t *)body, strlen(body));
  SHA256Final(digest, &context);
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) snprintf(key + 2 * i, 3, "%02x", digest[i]);
  if (text)
    *text = body;
  else
    free(body);
}

int tsl_distinct_workloads(tsl_primfunc *const *funcs, int count,
                           char (*keys)[TSL_WORKLOAD_KEY_SIZE], int *index) {
  int distinct = 0;
  for (int k = 0; k < count; k++) {
    tsl_workload_key(funcs[k], keys[k], NULL);
    int first = 0;
    while (strcmp(keys[first], keys[k]) != 0) first++;
    index[k] = first == k ? distinct++ : index[first];
  }
  return distinct;
}

void tsl_target_key(const tsl_target *target, char *key, size_t size) {
  tsl_target_string(target, key, size);
  /* The instruction sets the schedules rely on, in a fixed order: LLVM 15 names a Zen 4 with
   * AVX-512 "znver3" like a Zen 3 without it. */
  static const char *const features[] = {"avx2",       "fma",        "avx512f", "avx512bw",
                                         "avx512vnni", "avx512bf16", "avxvnni", "neon",
                                         "dotprod",    "i8mm",       "sve"};
  size_t used = strlen(key);
  const char *separator = " -mattr=";
  for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
    if (!tsl_target_has_feature(target, features[i]) || used + strlen(features[i]) + 10 >= size)
      continue;
    used += (size_t)snprintf(key + used, size - used, "%s+%s", separator, features[i]);
    separator = ",";
  }
}

tsl_status tsl_db_default_path(char *path, size_t size, tsl_error *error) {
  const char *records = getenv("TESSEL_RECORDS"), *data = getenv("XDG_DATA_HOME");
  const char *home = getenv("HOME");
  int written;
  if (records && *records)
    written = snprintf(path, size, "%s", records);
  else if (data && *data)
    written = snprintf(path, size, "%s/tessel/records.db", data);
  else if (home && *home)
    written = snprintf(path, size, "%s/.local/share/tessel/records.db", home);
  else
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "no default tuning records: neither TESSEL_RECORDS, XDG_DATA_HOME nor HOME "
                    "is set; name a database with --records");
  if (written < 0 || (size_t)written >= size) {
    return tsl_fail(error, TSL_ERROR_INPUT, "the default tuning records' path is too long");
  }
  return TSL_OK;
}

/* ---- opening ----------------------------------------------------------------------------- */

static tsl_status sqlite_fail(tsl_db *db, tsl_error *error, const char *doing) {
  int code = sqlite3_errcode(db->sqlite);
  if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: not a tessel records database (%s)", db->path,
                    sqlite3_errmsg(db->sqlite));
  }
  return tsl_fail(error, TSL_ERROR_INPUT, "%s: %s: %s", db->path, doing,
                  sqlite3_errmsg(db->sqlite));
}

static tsl_status exec(tsl_db *db, const char *sql, const char *doing, tsl_error *error) {
  if (sqlite3_exec(db->sqlite, sql, NULL, NULL, NULL) != SQLITE_OK)
    return sqlite_fail(db, error, doing);
  return TSL_OK;
}

/* Creates the folders above `path`. */
static tsl_status make_parents(const char *path, tsl_error *error) {
  char *copy = strdup(path);
  TSL_CHECK_ALLOC(copy);
  for (char *slash = strchr(copy + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
      tsl_status status = tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot create folder '%s': %s",
                                   path, copy, strerror(errno));
      free(copy);
      return status;
    }
    *slash = '/';
  }
  free(copy);
  return TSL_OK;
}

static tsl_status check_schema(tsl_db *db, tsl_error *error) {
  sqlite3_stmt *query;
  if (sqlite3_prepare_v2(db->sqlite, "SELECT value FROM meta WHERE key = 'schema'", -1, &query,
                         NULL) != SQLITE_OK)
    return sqlite_fail(db, error, "reading the schema version");
  int version = 0;
  if (sqlite3_step(query) == SQLITE_ROW)
    version = atoi((const char *)sqlite3_column_text(query, 0));
  sqlite3_finalize(query);
  if (version > SCHEMA_VERSION) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "%s: records schema version %d is newer than this tessel's (%d)", db->path,
                    version, SCHEMA_VERSION);
  }
  if (version == SCHEMA_VERSION) return TSL_OK;
  char sql[64];
  snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO meta VALUES ('schema', '%d')", SCHEMA_VERSION);
  return exec(db, sql, "writing the schema version", error);
}

/* WAL mode, which the file keeps once set. Switching needs the database to itself, and SQLite
 * does not wait for that (another process creating the same database at the same time holds
 * it), so the switch is retried for as long as the busy timeout. */
static tsl_status use_wal(tsl_db *db, tsl_error *error) {
  for (int waited = 0;; waited += 10) {
    int result = sqlite3_exec(db->sqlite, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    if (result == SQLITE_OK) return TSL_OK;
    if (result != SQLITE_BUSY || waited >= BUSY_TIMEOUT_MS)
      return sqlite_fail(db, error, "switching to WAL");
    sqlite3_sleep(10);
  }
}

tsl_status tsl_db_open(const char *path, bool create, tsl_db **out, tsl_error *error) {
  *out = NULL;
  struct stat info;
  if (!create && stat(path, &info) != 0) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: no tuning records there", path);
  }
  if (create) TRY(make_parents(path, error));
  tsl_db *db = calloc(1, sizeof(*db));
  TSL_CHECK_ALLOC(db);
  db->path = strdup(path);
  TSL_CHECK_ALLOC(db->path);
  int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  tsl_status status = TSL_OK;
  if (sqlite3_open_v2(path, &db->sqlite, flags, NULL) != SQLITE_OK) {
    status = tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot open the tuning records: %s", path,
                      db->sqlite ? sqlite3_errmsg(db->sqlite) : "out of memory");
  }
  if (!status) {
    sqlite3_busy_timeout(db->sqlite, BUSY_TIMEOUT_MS);
    status = use_wal(db, error);
  }
  if (!status) status = exec(db, "PRAGMA foreign_keys = ON", "enabling foreign keys", error);
  if (!status) status = exec(db, "BEGIN IMMEDIATE", "starting a transaction", error);
  if (!status) {
    status = exec(db, SCHEMA, "creating the schema", error);
    if (!status) status = check_schema(db, error);
    if (!status) status = exec(db, "COMMIT", "creating the schema", error);
    if (status) sqlite3_exec(db->sqlite, "ROLLBACK", NULL, NULL, NULL);
  }
  if (status) {
    tsl_db_close(db);
    return status;
  }
  *out = db;
  return TSL_OK;
}

void tsl_db_close(tsl_db *db) {
  if (!db) return;
  sqlite3_close(db->sqlite);
  free(db->path);
  free(db);
}

/* ---- writing ----------------------------------------------------------------------------- */

static sqlite3_int64 row_id(tsl_db *db, const char *insert, const char *select, const char *key,
                            const char *text) {
  sqlite3_stmt *query;
  sqlite3_int64 id = -1;
  if (sqlite3_prepare_v2(db->sqlite, insert, -1, &query, NULL) == SQLITE_OK) {
    sqlite3_bind_text(query, 1, key, -1, SQLITE_STATIC);
    if (text) sqlite3_bind_text(query, 2, text, -1, SQLITE_STATIC);
    int done = sqlite3_step(query);
    sqlite3_finalize(query);
    if (done != SQLITE_DONE) return -1;
  }
  if (sqlite3_prepare_v2(db->sqlite, select, -1, &query, NULL) != SQLITE_OK) return -1;
  sqlite3_bind_text(query, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step(query) == SQLITE_ROW) id = sqlite3_column_int64(query, 0);
  sqlite3_finalize(query);
  return id;
}

static tsl_status add_one(tsl_db *db, const tsl_record *record, tsl_error *error) {
  sqlite3_int64 workload = row_id(db, "INSERT OR IGNORE INTO workloads (key, text) VALUES (?1, ?2)",
                                  "SELECT id FROM workloads WHERE key = ?1", record->workload,
                                  record->workload_text ? record->workload_text : "");
  sqlite3_int64 target = row_id(db, "INSERT OR IGNORE INTO targets (key) VALUES (?1)",
                                "SELECT id FROM targets WHERE key = ?1", record->target, NULL);
  if (workload < 0 || target < 0) return sqlite_fail(db, error, "adding a record");
  sqlite3_stmt *insert;
  if (sqlite3_prepare_v2(db->sqlite,
                         "INSERT INTO records (workload, target, trace, seconds, error, message, "
                         "build_seconds, version, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                         "?8, coalesce(?9, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))",
                         -1, &insert, NULL) != SQLITE_OK)
    return sqlite_fail(db, error, "adding a record");
  sqlite3_bind_int64(insert, 1, workload);
  sqlite3_bind_int64(insert, 2, target);
  sqlite3_bind_text(insert, 3, record->trace, -1, SQLITE_STATIC);
  if (record->error)
    sqlite3_bind_null(insert, 4);
  else
    sqlite3_bind_double(insert, 4, record->seconds);
  if (record->error) sqlite3_bind_text(insert, 5, record->error, -1, SQLITE_STATIC);
  if (record->message) sqlite3_bind_text(insert, 6, record->message, -1, SQLITE_STATIC);
  sqlite3_bind_double(insert, 7, record->build_seconds);
  sqlite3_bind_text(insert, 8, record->version ? record->version : tsl_version(), -1,
                    SQLITE_STATIC);
  if (record->created) sqlite3_bind_text(insert, 9, record->created, -1, SQLITE_STATIC);
  int done = sqlite3_step(insert);
  sqlite3_finalize(insert);
  return done == SQLITE_DONE ? TSL_OK : sqlite_fail(db, error, "adding a record");
}

tsl_status tsl_db_add(tsl_db *db, int count, const tsl_record *records, tsl_error *error) {
  TRY(exec(db, "BEGIN IMMEDIATE", "starting a transaction", error));
  tsl_status status = TSL_OK;
  for (int i = 0; i < count && !status; i++) status = add_one(db, &records[i], error);
  if (!status) status = exec(db, "COMMIT", "committing records", error);
  if (status) sqlite3_exec(db->sqlite, "ROLLBACK", NULL, NULL, NULL);
  return status;
}

tsl_status tsl_db_anchor(tsl_db *db, const char *workload, const char *workload_text,
                         const char *target, double proposed, double *seconds, tsl_error *error) {
  *seconds = 0;
  TRY(exec(db, "BEGIN IMMEDIATE", "starting a transaction", error));
  sqlite3_int64 workload_id = row_id(
      db, "INSERT OR IGNORE INTO workloads (key, text) VALUES (?1, ?2)",
      "SELECT id FROM workloads WHERE key = ?1", workload, workload_text ? workload_text : "");
  sqlite3_int64 target_id = row_id(db, "INSERT OR IGNORE INTO targets (key) VALUES (?1)",
                                   "SELECT id FROM targets WHERE key = ?1", target, NULL);
  sqlite3_stmt *insert = NULL, *query = NULL;
  bool ok = workload_id >= 0 && target_id >= 0;
  if (ok && proposed > 0) {
    ok = sqlite3_prepare_v2(db->sqlite,
                            "INSERT OR IGNORE INTO anchors (workload, target, seconds) VALUES "
                            "(?1, ?2, ?3)",
                            -1, &insert, NULL) == SQLITE_OK;
    if (ok) {
      sqlite3_bind_int64(insert, 1, workload_id);
      sqlite3_bind_int64(insert, 2, target_id);
      sqlite3_bind_double(insert, 3, proposed);
      ok = sqlite3_step(insert) == SQLITE_DONE;
    }
  }
  if (ok) {
    ok = sqlite3_prepare_v2(db->sqlite,
                            "SELECT seconds FROM anchors WHERE workload = ?1 AND target = ?2", -1,
                            &query, NULL) == SQLITE_OK;
    if (ok) {
      sqlite3_bind_int64(query, 1, workload_id);
      sqlite3_bind_int64(query, 2, target_id);
      int step = sqlite3_step(query);
      if (step == SQLITE_ROW) *seconds = sqlite3_column_double(query, 0);
      ok = step == SQLITE_ROW || step == SQLITE_DONE;
    }
  }
  sqlite3_finalize(insert);
  sqlite3_finalize(query);
  tsl_status status = ok ? exec(db, "COMMIT", "keeping an anchor", error)
                         : sqlite_fail(db, error, "keeping an anchor");
  if (status) sqlite3_exec(db->sqlite, "ROLLBACK", NULL, NULL, NULL);
  return status;
}

/* ---- reading ----------------------------------------------------------------------------- */

/* A statement with its first `count` parameters bound to the texts that follow; NULL when
 * SQLite refuses it (sqlite_fail says why). */
static sqlite3_stmt *prepare(tsl_db *db, const char *sql, int count, ...) {
  sqlite3_stmt *query;
  if (sqlite3_prepare_v2(db->sqlite, sql, -1, &query, NULL) != SQLITE_OK) return NULL;
  va_list texts;
  va_start(texts, count);
  for (int i = 1; i <= count; i++)
    sqlite3_bind_text(query, i, va_arg(texts, const char *), -1, SQLITE_STATIC);
  va_end(texts);
  return query;
}

tsl_status tsl_db_best_id(tsl_db *db, const char *workload, const char *target, long long *id,
                          char **trace, double *seconds, tsl_error *error) {
  if (trace) *trace = NULL;
  *id = 0;
  sqlite3_stmt *query;
  query = prepare(db,
                  "SELECT r.id, r.trace, r.seconds, EXISTS (SELECT 1 FROM model_checks c WHERE "
                  "c.record = r.id AND c.slower) FROM records r JOIN workloads w ON w.id = "
                  "r.workload JOIN targets t ON t.id = r.target WHERE w.key = ?1 AND "
                  "t.key = ?2 AND r.error IS NULL AND r.seconds IS NOT NULL ORDER BY "
                  "r.seconds, r.id LIMIT 1",
                  2, workload, target);
  if (!query) return sqlite_fail(db, error, "reading records");
  int step = sqlite3_step(query);
  if (step == SQLITE_ROW && !sqlite3_column_int(query, 3)) {
    *id = sqlite3_column_int64(query, 0);
    if (trace) {
      *trace = strdup((const char *)sqlite3_column_text(query, 1));
      TSL_CHECK_ALLOC(*trace);
    }
    if (seconds) *seconds = sqlite3_column_double(query, 2);
  }
  sqlite3_finalize(query);
  if (step != SQLITE_ROW && step != SQLITE_DONE) return sqlite_fail(db, error, "reading records");
  return TSL_OK;
}

tsl_status tsl_db_best(tsl_db *db, const char *workload, const char *target, char **trace,
                       double *seconds, tsl_error *error) {
  long long id;
  return tsl_db_best_id(db, workload, target, &id, trace, seconds, error);
}

tsl_status tsl_db_add_model_check(tsl_db *db, long long record, const char *model, double seconds,
                                  double default_seconds, bool slower, tsl_error *error) {
  sqlite3_stmt *query;
  if (sqlite3_prepare_v2(db->sqlite,
                         "INSERT OR REPLACE INTO model_checks (record, model, seconds, "
                         "default_seconds, slower) VALUES (?1, ?2, ?3, ?4, ?5)",
                         -1, &query, NULL) != SQLITE_OK)
    return sqlite_fail(db, error, "writing a model check");
  sqlite3_bind_int64(query, 1, record);
  sqlite3_bind_text(query, 2, model, -1, SQLITE_STATIC);
  sqlite3_bind_double(query, 3, seconds);
  sqlite3_bind_double(query, 4, default_seconds);
  sqlite3_bind_int(query, 5, slower);
  int step = sqlite3_step(query);
  sqlite3_finalize(query);
  return step == SQLITE_DONE ? TSL_OK : sqlite_fail(db, error, "writing a model check");
}

tsl_status tsl_db_count(tsl_db *db, const char *workload, const char *target, long long *count,
                        tsl_error *error) {
  sqlite3_stmt *query;
  const char *sql =
      "SELECT count(*) FROM records r JOIN workloads w ON w.id = r.workload JOIN "
      "targets t ON t.id = r.target WHERE (?1 IS NULL OR w.key = ?1) AND (?2 IS "
      "NULL OR t.key = ?2)";
  if (sqlite3_prepare_v2(db->sqlite, sql, -1, &query, NULL) != SQLITE_OK)
    return sqlite_fail(db, error, "counting records");
  if (workload) sqlite3_bind_text(query, 1, workload, -1, SQLITE_STATIC);
  if (target) sqlite3_bind_text(query, 2, target, -1, SQLITE_STATIC);
  int step = sqlite3_step(query);
  *count = step == SQLITE_ROW ? sqlite3_column_int64(query, 0) : 0;
  sqlite3_finalize(query);
  return step == SQLITE_ROW ? TSL_OK : sqlite_fail(db, error, "counting records");
}

tsl_status tsl_db_top(tsl_db *db, const char *workload, const char *target, int count,
                      void (*each)(const char *trace, double seconds, void *context), void *context,
                      tsl_error *error) {
  sqlite3_stmt *query;
  query = prepare(db,
                  "SELECT r.trace, r.seconds FROM records r JOIN workloads w ON w.id = "
                  "r.workload JOIN targets t ON t.id = r.target WHERE w.key = ?1 AND "
                  "t.key = ?2 AND r.error IS NULL AND r.seconds IS NOT NULL ORDER BY "
                  "r.seconds, r.id LIMIT ?3",
                  2, workload, target);
  if (!query) return sqlite_fail(db, error, "reading records");
  sqlite3_bind_int(query, 3, count);
  int step;
  while ((step = sqlite3_step(query)) == SQLITE_ROW)
    each((const char *)sqlite3_column_text(query, 0), sqlite3_column_double(query, 1), context);
  sqlite3_finalize(query);
  return step == SQLITE_DONE ? TSL_OK : sqlite_fail(db, error, "reading records");
}

bool tsl_db_holds_trace(tsl_db *db, const char *workload, const char *target, const char *trace) {
  sqlite3_stmt *query;
  if (sqlite3_prepare_v2(db->sqlite,
                         "SELECT 1 FROM records r JOIN workloads w ON w.id = r.workload JOIN "
                         "targets t ON t.id = r.target WHERE w.key = ?1 AND t.key = ?2 AND "
                         "r.trace = ?3",
                         -1, &query, NULL) != SQLITE_OK)
    return false;
  sqlite3_bind_text(query, 1, workload, -1, SQLITE_STATIC);
  sqlite3_bind_text(query, 2, target, -1, SQLITE_STATIC);
  sqlite3_bind_text(query, 3, trace, -1, SQLITE_STATIC);
  bool found = sqlite3_step(query) == SQLITE_ROW;
  sqlite3_finalize(query);
  return found;
}

tsl_status tsl_db_tasks(tsl_db *db, void (*each)(const tsl_db_task *task, void *context),
                        void *context, tsl_error *error) {
  sqlite3_stmt *query;
  query = prepare(db,
                  "SELECT w.key, t.key, count(*), count(r.error), min(r.seconds) FROM "
                  "records r JOIN workloads w ON w.id = r.workload JOIN targets t ON t.id "
                  "= r.target GROUP BY r.target, r.workload ORDER BY t.key, w.key",
                  0);
  if (!query) return sqlite_fail(db, error, "reading records");
  int step;
  while ((step = sqlite3_step(query)) == SQLITE_ROW) {
    tsl_db_task task = {
        .workload = (const char *)sqlite3_column_text(query, 0),
        .target = (const char *)sqlite3_column_text(query, 1),
        .records = sqlite3_column_int64(query, 2),
        .failed = sqlite3_column_int64(query, 3),
        .best_seconds = sqlite3_column_double(query, 4),
    };
    each(&task, context);
  }
  sqlite3_finalize(query);
  return step == SQLITE_DONE ? TSL_OK : sqlite_fail(db, error, "reading records");
}

tsl_status tsl_db_fastest(tsl_db *db, const char *workload, int count,
                          void (*each)(const tsl_db_ranked *record, void *context), void *context,
                          tsl_error *error) {
  /* Trials are numbered among all records of a task, failures included; ranks among those
   * that work. */
  sqlite3_stmt *query;
  query = prepare(db,
                  "SELECT w.key, t.key, ranked.rank, ranked.seconds, ranked.build_seconds, "
                  "ranked.trial, ranked.trials, ranked.created, (SELECT slower FROM "
                  "model_checks c WHERE c.record = ranked.id) FROM (SELECT *, row_number() "
                  "OVER (PARTITION BY workload, target ORDER BY seconds, id) AS rank FROM "
                  "(SELECT *, row_number() OVER task_order AS trial, count(*) OVER task AS "
                  "trials FROM records WINDOW task AS (PARTITION BY workload, target), "
                  "task_order AS (task ORDER BY id)) WHERE error IS NULL AND seconds IS NOT "
                  "NULL) ranked JOIN workloads w ON w.id = ranked.workload JOIN targets t ON "
                  "t.id = ranked.target WHERE ranked.rank <= ?2 AND (?1 IS NULL OR w.key = ?1) "
                  "ORDER BY t.key, w.key, ranked.rank",
                  0);
  if (!query) return sqlite_fail(db, error, "reading records");
  if (workload) sqlite3_bind_text(query, 1, workload, -1, SQLITE_STATIC);
  sqlite3_bind_int(query, 2, count);
  int step;
  while ((step = sqlite3_step(query)) == SQLITE_ROW) {
    tsl_db_ranked record = {
        .workload = (const char *)sqlite3_column_text(query, 0),
        .target = (const char *)sqlite3_column_text(query, 1),
        .rank = sqlite3_column_int(query, 2),
        .seconds = sqlite3_column_double(query, 3),
        .build_seconds = sqlite3_column_double(query, 4),
        .trial = sqlite3_column_int64(query, 5),
        .trials = sqlite3_column_int64(query, 6),
        .created = (const char *)sqlite3_column_text(query, 7),
        .model_check = sqlite3_column_type(query, 8) == SQLITE_NULL ? NULL
                       : sqlite3_column_int(query, 8)               ? "set aside"
                                                                    : "kept",
    };
    each(&record, context);
  }
  sqlite3_finalize(query);
  return step == SQLITE_DONE ? TSL_OK : sqlite_fail(db, error, "reading records");
}

tsl_status tsl_db_workload_text(tsl_db *db, const char *workload, char **text, tsl_error *error) {
  *text = NULL;
  sqlite3_stmt *query;
  if (sqlite3_prepare_v2(db->sqlite, "SELECT text FROM workloads WHERE key = ?1", -1, &query,
                         NULL) != SQLITE_OK)
    return sqlite_fail(db, error, "reading workloads");
  sqlite3_bind_text(query, 1, workload, -1, SQLITE_STATIC);
  int step = sqlite3_step(query);
  if (step == SQLITE_ROW) {
    *text = strdup((const char *)sqlite3_column_text(query, 0));
    TSL_CHECK_ALLOC(*text);
  }
  sqlite3_finalize(query);
  return step == SQLITE_ROW || step == SQLITE_DONE ? TSL_OK
                                                   : sqlite_fail(db, error, "reading workloads");
}

tsl_status tsl_db_add_model(tsl_db *db, const char *name, const char *target, int count,
                            const tsl_db_model_workload *workloads, tsl_error *error) {
  TRY(exec(db, "BEGIN IMMEDIATE", "starting a transaction", error));
  sqlite3_int64 target_id = row_id(db, "INSERT OR IGNORE INTO targets (key) VALUES (?1)",
                                   "SELECT id FROM targets WHERE key = ?1", target, NULL);
  tsl_status status = target_id < 0 ? sqlite_fail(db, error, "adding a model") : TSL_OK;
  sqlite3_int64 model = -1;
  sqlite3_stmt *query;
  if (!status &&
      sqlite3_prepare_v2(db->sqlite,
                         "INSERT INTO models (name, target) VALUES (?1, ?2) ON CONFLICT DO "
                         "UPDATE SET name = name RETURNING id",
                         -1, &query, NULL) == SQLITE_OK) {
    sqlite3_bind_text(query, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(query, 2, target_id);
    if (sqlite3_step(query) == SQLITE_ROW) model = sqlite3_column_int64(query, 0);
    sqlite3_finalize(query);
  }
  if (!status && model < 0) status = sqlite_fail(db, error, "adding a model");
  if (!status) sqlite3_exec(db->sqlite, "PRAGMA defer_foreign_keys = ON", NULL, NULL, NULL);
  for (int i = 0; i < count && !status; i++) {
    sqlite3_int64 workload =
        row_id(db, "INSERT OR IGNORE INTO workloads (key, text) VALUES (?1, ?2)",
               "SELECT id FROM workloads WHERE key = ?1", workloads[i].workload,
               workloads[i].text ? workloads[i].text : "");
    if (workload < 0 ||
        sqlite3_prepare_v2(db->sqlite,
                           "INSERT OR REPLACE INTO model_workloads VALUES (?1, ?2, ?3, ?4)", -1,
                           &query, NULL) != SQLITE_OK) {
      status = sqlite_fail(db, error, "adding a model");
      break;
    }
    sqlite3_bind_int64(query, 1, model);
    sqlite3_bind_int64(query, 2, workload);
    sqlite3_bind_text(query, 3, workloads[i].kernel, -1, SQLITE_STATIC);
    sqlite3_bind_int(query, 4, workloads[i].occurrences);
    if (sqlite3_step(query) != SQLITE_DONE) status = sqlite_fail(db, error, "adding a model");
    sqlite3_finalize(query);
  }
  if (!status) status = exec(db, "COMMIT", "adding a model", error);
  if (status) sqlite3_exec(db->sqlite, "ROLLBACK", NULL, NULL, NULL);
  return status;
}

tsl_status tsl_db_models(tsl_db *db,
                         void (*each)(const char *name, const char *target, void *context),
                         void *context, tsl_error *error) {
  sqlite3_stmt *query;
  query = prepare(db,
                  "SELECT m.name, t.key FROM models m JOIN targets t ON t.id = m.target "
                  "ORDER BY m.id",
                  0);
  if (!query) return sqlite_fail(db, error, "reading models");
  int step;
  while ((step = sqlite3_step(query)) == SQLITE_ROW)
    each((const char *)sqlite3_column_text(query, 0), (const char *)sqlite3_column_text(query, 1),
         context);
  sqlite3_finalize(query);
  return step == SQLITE_DONE ? TSL_OK : sqlite_fail(db, error, "reading models");
}

tsl_status tsl_db_model_workloads(tsl_db *db, const char *name, const char *target,
                                  void (*each)(const tsl_db_model_workload *, void *context),
                                  void *context, tsl_error *error) {
  sqlite3_stmt *query;
  query = prepare(db,
                  "SELECT w.key, mw.kernel, mw.occurrences FROM model_workloads mw JOIN "
                  "models m ON m.id = mw.model JOIN targets t ON t.id = m.target JOIN "
                  "workloads w ON w.id = mw.workload WHERE m.name = ?1 AND t.key = ?2 "
                  "ORDER BY mw.rowid",
                  2, name, target);
  if (!query) return sqlite_fail(db, error, "reading a model");
  int step;
  while ((step = sqlite3_step(query)) == SQLITE_ROW) {
    tsl_db_model_workload workload = {
        .workload = (const char *)sqlite3_column_text(query, 0),
        .kernel = (const char *)sqlite3_column_text(query, 1),
        .occurrences = sqlite3_column_int(query, 2),
    };
    each(&workload, context);
  }
  sqlite3_finalize(query);
  return step == SQLITE_DONE ? TSL_OK : sqlite_fail(db, error, "reading a model");
}

tsl_status tsl_db_history(tsl_db *db, const char *workload, const char *target,
                          void (*each)(long long id, double seconds, void *context), void *context,
                          tsl_error *error) {
  sqlite3_stmt *query;
  query = prepare(db,
                  "SELECT r.id, coalesce(r.seconds, -1) FROM records r JOIN workloads w ON "
                  "w.id = r.workload JOIN targets t ON t.id = r.target WHERE w.key = ?1 "
                  "AND t.key = ?2 ORDER BY r.id",
                  2, workload, target);
  if (!query) return sqlite_fail(db, error, "reading records");
  int step;
  while ((step = sqlite3_step(query)) == SQLITE_ROW)
    each(sqlite3_column_int64(query, 0), sqlite3_column_double(query, 1), context);
  sqlite3_finalize(query);
  return step == SQLITE_DONE ? TSL_OK : sqlite_fail(db, error, "reading records");
}

tsl_status tsl_db_prune(tsl_db *db, int keep, long long *removed, tsl_error *error) {
  TRY(exec(db, "BEGIN IMMEDIATE", "starting a transaction", error));
  sqlite3_stmt *query;
  tsl_status status = TSL_OK;
  if (sqlite3_prepare_v2(db->sqlite,
                         "DELETE FROM records WHERE id NOT IN (SELECT id FROM (SELECT id, "
                         "row_number() OVER (PARTITION BY workload, target ORDER BY seconds, id) "
                         "AS rank FROM records WHERE error IS NULL AND seconds IS NOT NULL) "
                         "WHERE rank <= ?1)",
                         -1, &query, NULL) != SQLITE_OK) {
    status = sqlite_fail(db, error, "pruning records");
  } else {
    sqlite3_bind_int(query, 1, keep);
    if (sqlite3_step(query) != SQLITE_DONE) status = sqlite_fail(db, error, "pruning records");
    sqlite3_finalize(query);
  }
  *removed = status ? 0 : sqlite3_changes(db->sqlite);
  if (!status) status = exec(db, "COMMIT", "pruning records", error);
  if (status) sqlite3_exec(db->sqlite, "ROLLBACK", NULL, NULL, NULL);
  if (!status) status = exec(db, "VACUUM", "compacting the database", error);
  return status;
}

/* ---- export and import ------------------------------------------------------------------- */

static json_t *text_or_null(sqlite3_stmt *query, int column) {
  const unsigned char *text = sqlite3_column_text(query, column);
  return text ? json_string((const char *)text) : json_null();
}

tsl_status tsl_db_export(tsl_db *db, void (*line)(const char *json, void *context), void *context,
                         tsl_error *error) {
  sqlite3_stmt *query;
  query = prepare(db,
                  "SELECT w.key, w.text, t.key, r.trace, r.seconds, r.error, r.message, "
                  "r.build_seconds, r.version, r.created FROM records r JOIN workloads w "
                  "ON w.id = r.workload JOIN targets t ON t.id = r.target ORDER BY r.id",
                  0);
  if (!query) return sqlite_fail(db, error, "reading records");
  int step;
  while ((step = sqlite3_step(query)) == SQLITE_ROW) {
    json_error_t parse_error;
    json_t *trace = json_loads((const char *)sqlite3_column_text(query, 3), 0, &parse_error);
    json_t *record = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:f, s:o, s:o}", "workload", text_or_null(query, 0),
        "workload_text", text_or_null(query, 1), "target", text_or_null(query, 2), "trace",
        trace ? trace : text_or_null(query, 3), "seconds",
        sqlite3_column_type(query, 4) == SQLITE_NULL ? json_null()
                                                     : json_real(sqlite3_column_double(query, 4)),
        "error", text_or_null(query, 5), "message", text_or_null(query, 6), "build_seconds",
        sqlite3_column_double(query, 7), "version", text_or_null(query, 8), "created",
        text_or_null(query, 9));
    TSL_CHECK_ALLOC(record);
    char *text = json_dumps(record, JSON_COMPACT);
    TSL_CHECK_ALLOC(text);
    line(text, context);
    free(text);
    json_decref(record);
  }
  sqlite3_finalize(query);
  return step == SQLITE_DONE ? TSL_OK : sqlite_fail(db, error, "reading records");
}

/* One export line as a record; the strings stay in `json`. */
static tsl_status read_record(json_t *json, tsl_record *record, char **trace, const char *where,
                              tsl_error *error) {
  const json_t *trace_json = json_object_get(json, "trace");
  *record = (tsl_record){
      .workload = json_string_value(json_object_get(json, "workload")),
      .workload_text = json_string_value(json_object_get(json, "workload_text")),
      .target = json_string_value(json_object_get(json, "target")),
      .seconds = json_number_value(json_object_get(json, "seconds")),
      .error = json_string_value(json_object_get(json, "error")),
      .message = json_string_value(json_object_get(json, "message")),
      .build_seconds = json_number_value(json_object_get(json, "build_seconds")),
      .version = json_string_value(json_object_get(json, "version")),
      .created = json_string_value(json_object_get(json, "created")),
  };
  const char *missing = !record->workload             ? "workload"
                        : !record->target             ? "target"
                        : !json_is_object(trace_json) ? "trace"
                        : !record->error && !json_is_number(json_object_get(json, "seconds"))
                            ? "seconds"
                            : NULL;
  if (missing) return tsl_fail(error, TSL_ERROR_INPUT, "%s: no \"%s\"", where, missing);
  *trace = json_dumps(trace_json, JSON_COMPACT);
  TSL_CHECK_ALLOC(*trace);
  record->trace = *trace;
  return TSL_OK;
}

/* Whether the database holds the record already (the same trace for the same task, made at
 * the same time): importing an export twice adds nothing. */
static bool holds(tsl_db *db, const tsl_record *record) {
  sqlite3_stmt *query;
  if (!record->created ||
      sqlite3_prepare_v2(db->sqlite,
                         "SELECT 1 FROM records r JOIN workloads w ON w.id = r.workload JOIN "
                         "targets t ON t.id = r.target WHERE w.key = ?1 AND t.key = ?2 AND "
                         "r.trace = ?3 AND r.created = ?4",
                         -1, &query, NULL) != SQLITE_OK)
    return false;
  sqlite3_bind_text(query, 1, record->workload, -1, SQLITE_STATIC);
  sqlite3_bind_text(query, 2, record->target, -1, SQLITE_STATIC);
  sqlite3_bind_text(query, 3, record->trace, -1, SQLITE_STATIC);
  sqlite3_bind_text(query, 4, record->created, -1, SQLITE_STATIC);
  bool found = sqlite3_step(query) == SQLITE_ROW;
  sqlite3_finalize(query);
  return found;
}

tsl_status tsl_db_import(tsl_db *db, const char *text, size_t length, const char *name,
                         long long *added, tsl_error *error) {
  *added = 0;
  TRY(exec(db, "BEGIN IMMEDIATE", "starting a transaction", error));
  tsl_status status = TSL_OK;
  int number = 0;
  for (size_t at = 0; at < length && !status;) {
    const char *end = memchr(text + at, '\n', length - at);
    size_t size = end ? (size_t)(end - (text + at)) : length - at;
    number++;
    char where[1024];
    snprintf(where, sizeof(where), "%s: line %d", name, number);
    bool blank = true;
    for (size_t i = 0; i < size; i++)
      blank = blank && (text[at + i] == ' ' || text[at + i] == '\t' || text[at + i] == '\r');
    if (!blank) {
      json_error_t parse_error;
      json_t *json = json_loadb(text + at, size, 0, &parse_error);
      tsl_record record;
      char *trace = NULL;
      if (!json) {
        status = tsl_fail(error, TSL_ERROR_INPUT, "%s: %s", where, parse_error.text);
      } else {
        status = read_record(json, &record, &trace, where, error);
        if (!status && !holds(db, &record)) {
          status = add_one(db, &record, error);
          if (!status) (*added)++;
        }
      }
      free(trace);
      json_decref(json);
    }
    at += size + 1;
  }
  if (!status) status = exec(db, "COMMIT", "committing records", error);
  if (status) {
    sqlite3_exec(db->sqlite, "ROLLBACK", NULL, NULL, NULL);
    *added = 0;
  }
  return status;
}
