/* Tuning records: the database keeps what was added and gives back the fastest working record
 * of a task; export and import carry records between databases; a compile with records
 * schedules each kernel by its workload's best record on the compile target, and by the
 * default schedule where there is none (or it is for another target, or no longer replays). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "autotune/cost_model.h"
#include "autotune/database.h"
#include "autotune/features.h"
#include "codegen/llvm/llvm.h"
#include "driver/driver.h"
#include "passes/lower/lower.h"
#include "passes/schedule/trace.h"
#include "passes/tir/tir_passes.h"
#include "tests/unit/util.h"

static char folder[64];

static void make_folder(void) {
  strcpy(folder, "/tmp/tessel-records-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(folder));
}

static void remove_folder(void) {
  char command[128];
  snprintf(command, sizeof(command), "rm -rf '%s'", folder);
  ck_assert_int_eq(system(command), 0);
}

static tsl_db *open_db(const char *name, bool create) {
  char path[256];
  snprintf(path, sizeof(path), "%s/%s", folder, name);
  tsl_db *db;
  tsl_error error;
  ck_assert_msg(tsl_db_open(path, create, &db, &error) == TSL_OK, "%s", error.message);
  return db;
}

static void collect_line(const char *json, void *context) {
  char **text = context;
  size_t had = *text ? strlen(*text) : 0;
  *text = realloc(*text, had + strlen(json) + 2);
  strcpy(*text + had, json);
  strcat(*text, "\n");
}

static char *export_text(tsl_db *db) {
  char *text = NULL;
  tsl_error error;
  ck_assert_int_eq(tsl_db_export(db, collect_line, &text, &error), TSL_OK);
  return text ? text : strdup("");
}

/* Ranked records as "workload target #rank seconds trial/trials;". */
static void describe_ranked(const tsl_db_ranked *record, void *context) {
  char *text = context;
  size_t used = strlen(text);
  snprintf(text + used, 1024 - used, "%s %s #%d %g %lld/%lld;", record->workload, record->target,
           record->rank, record->seconds, record->trial, record->trials);
  ck_assert_ptr_nonnull(record->created);
}

static const char trace_a[] = "{\"format\": \"tessel-trace\", \"version\": 1, \"steps\": []}";

START_TEST(database_keeps_records_by_task) {
  make_folder();
  tsl_db *db = open_db("nested/folder/records.db", true);
  tsl_error error;
  tsl_record records[] = {
      {.workload = "w1",
       .workload_text = "func 1",
       .target = "t1",
       .trace = trace_a,
       .seconds = 3e-3},
      {.workload = "w1",
       .workload_text = "func 1",
       .target = "t1",
       .trace = "{\"fast\": 1}",
       .seconds = 1e-3},
      {.workload = "w1",
       .workload_text = "func 1",
       .target = "t1",
       .trace = "{\"wrong\": 1}",
       .error = "wrong",
       .message = "element 3 is 2, not 1"},
      {.workload = "w1",
       .workload_text = "func 1",
       .target = "t2",
       .trace = "{\"other\": 1}",
       .seconds = 1e-4},
  };
  ck_assert_int_eq(tsl_db_add(db, 4, records, &error), TSL_OK);
  char *trace;
  double seconds;
  ck_assert_int_eq(tsl_db_best(db, "w1", "t1", &trace, &seconds, &error), TSL_OK);
  ck_assert_str_eq(trace, "{\"fast\": 1}");
  ck_assert_double_eq(seconds, 1e-3);
  free(trace);
  ck_assert_int_eq(tsl_db_best(db, "w2", "t1", &trace, &seconds, &error), TSL_OK);
  ck_assert_ptr_null(trace);
  long long count;
  ck_assert_int_eq(tsl_db_count(db, NULL, "t1", &count, &error), TSL_OK);
  ck_assert_int_eq(count, 3);
  ck_assert_int_eq(tsl_db_count(db, NULL, NULL, &count, &error), TSL_OK);
  ck_assert_int_eq(count, 4);
  /* The fastest of each task, and the ranking of one workload; trials count failures too. */
  char ranked[1024] = "";
  ck_assert_int_eq(tsl_db_fastest(db, NULL, 1, describe_ranked, ranked, &error), TSL_OK);
  ck_assert_str_eq(ranked, "w1 t1 #1 0.001 2/3;w1 t2 #1 0.0001 1/1;");
  ranked[0] = '\0';
  ck_assert_int_eq(tsl_db_fastest(db, "w1", 5, describe_ranked, ranked, &error), TSL_OK);
  ck_assert_str_eq(ranked, "w1 t1 #1 0.001 2/3;w1 t1 #2 0.003 1/3;w1 t2 #1 0.0001 1/1;");
  ranked[0] = '\0';
  ck_assert_int_eq(tsl_db_fastest(db, "w2", 5, describe_ranked, ranked, &error), TSL_OK);
  ck_assert_str_eq(ranked, "");
  /* Export, import into another database: the same records; importing again adds none. */
  char *exported = export_text(db);
  ck_assert_msg(strstr(exported, "\"error\":\"wrong\",\"message\":\"element 3 is 2, not 1\""), "%s",
                exported);
  tsl_db *copy = open_db("copy.db", true);
  long long added;
  ck_assert_int_eq(tsl_db_import(copy, exported, strlen(exported), "export", &added, &error),
                   TSL_OK);
  ck_assert_int_eq(added, 4);
  ck_assert_int_eq(tsl_db_import(copy, exported, strlen(exported), "export", &added, &error),
                   TSL_OK);
  ck_assert_int_eq(added, 0);
  char *again = export_text(copy);
  ck_assert_str_eq(again, exported);
  /* A bad line adds nothing, and says where it is. */
  const char bad[] =
      "{\"workload\": \"w3\", \"target\": \"t1\", \"trace\": {}, \"seconds\": 1}\n"
      "\n{\"workload\": \"w3\", \"trace\": {}}\n";
  ck_assert_int_eq(tsl_db_import(copy, bad, strlen(bad), "bad.jsonl", &added, &error),
                   TSL_ERROR_INPUT);
  ck_assert_str_eq(error.message, "bad.jsonl: line 3: no \"target\"");
  ck_assert_int_eq(tsl_db_count(copy, NULL, NULL, &count, &error), TSL_OK);
  ck_assert_int_eq(count, 4);
  /* Pruned to the fastest working record of each task. */
  long long removed;
  ck_assert_int_eq(tsl_db_prune(copy, 1, &removed, &error), TSL_OK);
  ck_assert_int_eq(removed, 2);
  ck_assert_int_eq(tsl_db_best(copy, "w1", "t1", &trace, &seconds, &error), TSL_OK);
  ck_assert_str_eq(trace, "{\"fast\":1}"); /* imported traces are compact */
  free(trace);
  ck_assert_int_eq(tsl_db_count(copy, NULL, NULL, &count, &error), TSL_OK);
  ck_assert_int_eq(count, 2);
  free(again);
  free(exported);
  tsl_db_close(copy);
  tsl_db_close(db);
  /* Opened again: still there. */
  db = open_db("nested/folder/records.db", false);
  ck_assert_int_eq(tsl_db_count(db, NULL, NULL, &count, &error), TSL_OK);
  ck_assert_int_eq(count, 4);
  tsl_db_close(db);
  remove_folder();
}
END_TEST

/* A record a model check found slower than the default schedule inside the model makes the
 * compile take the default schedule while it is the fastest, not the next record; a faster one
 * measured later is the best again. */
START_TEST(set_aside_records_give_way_to_the_default_schedule) {
  make_folder();
  tsl_db *db = open_db("checks.db", true);
  tsl_error error;
  tsl_record records[] = {
      {.workload = "w1",
       .workload_text = "func 1",
       .target = "t1",
       .trace = "{\"slow\": 1}",
       .seconds = 3e-3},
      {.workload = "w1",
       .workload_text = "func 1",
       .target = "t1",
       .trace = "{\"fast\": 1}",
       .seconds = 1e-3},
  };
  ck_assert_int_eq(tsl_db_add(db, 2, records, &error), TSL_OK);
  long long best;
  char *trace;
  ck_assert_int_eq(tsl_db_best_id(db, "w1", "t1", &best, &trace, NULL, &error), TSL_OK);
  ck_assert_str_eq(trace, "{\"fast\": 1}");
  free(trace);
  /* Checked and as fast as the default inside the model: still the best. */
  ck_assert_int_eq(tsl_db_add_model_check(db, best, "m", 1e-3, 1e-3, false, &error), TSL_OK);
  long long again;
  ck_assert_int_eq(tsl_db_best_id(db, "w1", "t1", &again, NULL, NULL, &error), TSL_OK);
  ck_assert_int_eq(again, best);
  /* Slower there: no record, though a slower one is kept. */
  ck_assert_int_eq(tsl_db_add_model_check(db, best, "m", 2e-3, 1e-3, true, &error), TSL_OK);
  double seconds = -1;
  ck_assert_int_eq(tsl_db_best(db, "w1", "t1", &trace, &seconds, &error), TSL_OK);
  ck_assert_ptr_null(trace);
  ck_assert_int_eq(tsl_db_best_id(db, "w1", "t1", &again, NULL, NULL, &error), TSL_OK);
  ck_assert_int_eq(again, 0);
  /* A faster record measured later is the best again. */
  tsl_record faster = {.workload = "w1",
                       .workload_text = "func 1",
                       .target = "t1",
                       .trace = "{\"faster\": 1}",
                       .seconds = 5e-4};
  ck_assert_int_eq(tsl_db_add(db, 1, &faster, &error), TSL_OK);
  ck_assert_int_eq(tsl_db_best(db, "w1", "t1", &trace, &seconds, &error), TSL_OK);
  ck_assert_str_eq(trace, "{\"faster\": 1}");
  free(trace);
  /* Pruning the set-aside record takes its check with it. */
  long long removed;
  ck_assert_int_eq(tsl_db_prune(db, 1, &removed, &error), TSL_OK);
  ck_assert_int_eq(removed, 2);
  tsl_db_close(db);
}
END_TEST

START_TEST(database_refuses_what_is_not_one) {
  make_folder();
  char path[256];
  tsl_db *db;
  tsl_error error;
  snprintf(path, sizeof(path), "%s/missing.db", folder);
  ck_assert_int_eq(tsl_db_open(path, false, &db, &error), TSL_ERROR_INPUT);
  ck_assert_msg(strstr(error.message, "missing.db: no tuning records there"), "%s", error.message);
  snprintf(path, sizeof(path), "%s/text.db", folder);
  FILE *file = fopen(path, "w");
  fputs("not a database, but long enough to have a header of sixteen bytes and more\n", file);
  fclose(file);
  ck_assert_int_eq(tsl_db_open(path, false, &db, &error), TSL_ERROR_INPUT);
  ck_assert_msg(strstr(error.message, "text.db: not a tessel records database"), "%s",
                error.message);
  remove_folder();
}
END_TEST

/* ---- compiling with records -------------------------------------------------------------- */

static const char product_text[] =
    "graph \"g\" {\n  input %a: f32[16, 32]\n  input %b: f32[32, 24]\n"
    "  %y: f32[16, 24] = matmul(%a, %b)\n  %z: f32[16, 24] = relu(%y)\n  output %z\n}\n";

/* The model's only kernel as the compile lowers it, and its key. */
static tsl_primfunc *only_kernel(tsl_graph *graph, tsl_target *target,
                                 char key[TSL_WORKLOAD_KEY_SIZE]) {
  tsl_graph *optimized;
  tsl_lowered *lowered;
  tsl_error error;
  ck_assert_int_eq(tsl_optimize(graph, target, NULL, &optimized, &error), TSL_OK);
  ck_assert_int_eq(tsl_lower(optimized, &lowered, &error), TSL_OK);
  ck_assert_int_eq(lowered->num_funcs, 1);
  tsl_primfunc *func = lowered->funcs[0];
  lowered->funcs[0] = tsl_primfunc_copy(func);
  tsl_lowered_free(lowered);
  tsl_graph_free(optimized);
  tsl_workload_key(func, key, NULL);
  return func;
}

/* A schedule unlike the default: the product's rows split in two, the halves in parallel. */
static char *record_trace(tsl_primfunc *func) {
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  tsl_stmt *block = tsl_sch_get_block(func, "matmul"), *loops[TSL_SCH_MAX_LOOPS];
  ck_assert_ptr_nonnull(block);
  tsl_sch_get_loops(func, block, loops);
  tsl_error error;
  tsl_stmt *rows[2];
  ck_assert_int_eq(tsl_schedule_split(&sch, loops[0], 2, (int64_t[]){2, 8}, rows, &error), TSL_OK);
  ck_assert_int_eq(tsl_schedule_parallel(&sch, rows[0], &error), TSL_OK);
  char *json = tsl_trace_to_json(sch.trace);
  tsl_schedule_release(&sch);
  return json;
}

static void run_model(tsl_graph *graph, tsl_target *target, const char *records,
                      tsl_compile_summary *summary, float *z) {
  static float a[16 * 32], b[32 * 24];
  for (int i = 0; i < 16 * 32; i++) a[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
  for (int i = 0; i < 32 * 24; i++) b[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
  tsl_compile_options options = tsl_compile_defaults();
  options.records = records;
  options.summary = summary;
  tsl_model *model;
  tsl_error error;
  ck_assert_msg(tsl_compile_jit(graph, target, &options, &model, &error) == TSL_OK, "%s",
                error.message);
  const void *inputs[] = {a, b};
  void *outputs[] = {z};
  ck_assert_int_eq(tsl_model_run(model, inputs, outputs, &error), TSL_OK);
  tsl_model_free(model);
}

START_TEST(compile_takes_records_for_its_target) {
  make_folder();
  tsl_graph *graph = parse_ok(product_text);
  tsl_target target;
  tsl_error error;
  ck_assert_int_eq(tsl_target_parse("llvm", &target, &error), TSL_OK);
  ck_assert_int_eq(tsl_llvm_complete_target(&target, &error), TSL_OK);
  char key[TSL_WORKLOAD_KEY_SIZE], target_key[1024], other_key[1100];
  tsl_primfunc *func = only_kernel(graph, &target, key);
  char *trace = record_trace(func);
  tsl_target_key(&target, target_key, sizeof(target_key));
  snprintf(other_key, sizeof(other_key), "%s-other", target_key);
  char path[256];
  snprintf(path, sizeof(path), "%s/records.db", folder);
  tsl_db *db = open_db("records.db", true);
  /* For another target only: not used. */
  tsl_record other = {.workload = key, .target = other_key, .trace = trace, .seconds = 1e-6};
  ck_assert_int_eq(tsl_db_add(db, 1, &other, &error), TSL_OK);
  static float want[16 * 24], got[16 * 24];
  tsl_compile_summary summary;
  run_model(graph, &target, NULL, &summary, want);
  ck_assert_int_eq(summary.kernels, 1);
  ck_assert_int_eq(summary.workloads, 1);
  ck_assert_int_eq(summary.from_records, 0);
  run_model(graph, &target, path, &summary, got);
  ck_assert_int_eq(summary.from_records, 0);
  /* For this target: used, and computes the same. */
  tsl_record mine = {.workload = key, .target = target_key, .trace = trace, .seconds = 1e-3};
  ck_assert_int_eq(tsl_db_add(db, 1, &mine, &error), TSL_OK);
  run_model(graph, &target, path, &summary, got);
  ck_assert_int_eq(summary.from_records, 1);
  for (int i = 0; i < 16 * 24; i++) ck_assert_float_eq_tol(got[i], want[i], 1e-5f);
  /* A faster record that no longer replays is passed over for the default schedule. */
  tsl_record stale = {.workload = key,
                      .target = target_key,
                      .seconds = 1e-4,
                      .trace =
                          "{\"format\": \"tessel-trace\", \"version\": 1, \"steps\": ["
                          "{\"op\": \"vectorize\", \"loop\": [\"gone\", 0]}]}"};
  ck_assert_int_eq(tsl_db_add(db, 1, &stale, &error), TSL_OK);
  run_model(graph, &target, path, &summary, got);
  ck_assert_int_eq(summary.from_records, 0);
  for (int i = 0; i < 16 * 24; i++) ck_assert_float_eq_tol(got[i], want[i], 1e-5f);
  /* A faster one that packs b, as a tuner does where b is a weight: here b is an input that
   * cannot be packed at compile time, so it is passed over too. */
  tsl_record packing = {.workload = key,
                        .target = target_key,
                        .seconds = 1e-5,
                        .trace =
                            "{\"format\": \"tessel-trace\", \"version\": 1, \"steps\": ["
                            "{\"op\": \"transform_layout\", \"buffer\": \"b\", \"axes\": "
                            "[[1, \"outer\", 8], [0], [1, \"inner\", 8]]}]}"};
  ck_assert_int_eq(tsl_db_add(db, 1, &packing, &error), TSL_OK);
  run_model(graph, &target, path, &summary, got);
  ck_assert_int_eq(summary.from_records, 0);
  for (int i = 0; i < 16 * 24; i++) ck_assert_float_eq_tol(got[i], want[i], 1e-5f);
  tsl_db_close(db);
  free(trace);
  tsl_primfunc_free(func);
  tsl_graph_free(graph);
  remove_folder();
}
END_TEST

/* ---- features and the cost model --------------------------------------------------------- */

START_TEST(features_see_the_schedule) {
  tsl_graph *graph = parse_ok(product_text);
  tsl_target target;
  tsl_error error;
  ck_assert_int_eq(tsl_target_parse("llvm", &target, &error), TSL_OK);
  ck_assert_int_eq(tsl_llvm_complete_target(&target, &error), TSL_OK);
  char key[TSL_WORKLOAD_KEY_SIZE];
  tsl_primfunc *plain = only_kernel(graph, &target, key), *scheduled = tsl_primfunc_copy(plain);
  tsl_default_schedule(scheduled, &target);
  tsl_tir_lower(scheduled); /* as the tuner takes features */
  float before[TSL_NUM_FEATURES], after[TSL_NUM_FEATURES];
  tsl_features(plain, before);
  tsl_features(scheduled, after);
  /* About the same arithmetic (the ReLU now in the tile's write-back), now in vector lanes,
   * from a register tile. */
  ck_assert_float_eq_tol(before[0], after[0], 1.0f);
  ck_assert_float_eq(before[2], 0.0f);
  ck_assert_float_gt(after[2], 0.5f);
  ck_assert_float_gt(after[10], before[10]); /* loads from local buffers */
  tsl_primfunc_free(scheduled);
  tsl_primfunc_free(plain);
  tsl_graph_free(graph);
}
END_TEST

/* Ten elements in 3 × 4 iterations: the predicate keeps the last two out. */
static const char *tail_text =
    "func \"kernel\" (%a: f32[10], out %y: f32[10]) {\n"
    "  for %i_0 in 0..3 {\n"
    "    for %i_1 in 0..4 "
    "KIND {\n"
    "      block \"y\" [%v: spatial 0..10 = ((%i_0 * 4) + %i_1)] where (((%i_0 * 4) + %i_1) < 10)\n"
    "           reads [%a[%v]] writes [%y[%v]] {\n"
    "        %y[%v] = (%a[%v] * f32(2.0))\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "}\n";

static void tail_features(const char *kind, bool lower, float features[TSL_NUM_FEATURES]) {
  char text[1024];
  const char *at = strstr(tail_text, "KIND");
  snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - tail_text), tail_text, kind, at + 4);
  tsl_primfunc *func;
  tsl_error error;
  ck_assert_int_eq(tsl_primfunc_parse(text, strlen(text), "tail", &func, &error), TSL_OK);
  if (lower) tsl_tir_lower(func);
  tsl_features(func, features);
  tsl_primfunc_free(func);
}

/* A predicate that differs between a vector loop's lanes keeps the loop scalar: the features
 * say so, and no longer once lowering has partitioned the tail off. */
START_TEST(features_see_predicates) {
  enum { VECTOR_SHARE = 2, GUARDED = TSL_NUM_FEATURES - 2, SCALARIZED = TSL_NUM_FEATURES - 1 };
  float serial[TSL_NUM_FEATURES], vector[TSL_NUM_FEATURES], lowered[TSL_NUM_FEATURES];
  tail_features("", false, serial);
  tail_features("vectorized", false, vector);
  tail_features("vectorized", true, lowered);
  ck_assert_float_eq(serial[GUARDED], 1.0f);
  ck_assert_float_eq(serial[SCALARIZED], 0.0f);
  ck_assert_float_eq(vector[GUARDED], 1.0f);
  ck_assert_float_eq(vector[SCALARIZED], 1.0f);
  ck_assert_float_eq(vector[VECTOR_SHARE], 0.0f);
  ck_assert_float_eq(lowered[SCALARIZED], 0.0f);
  ck_assert_float_eq(lowered[VECTOR_SHARE], 1.0f);
}
END_TEST

START_TEST(cost_model_ranks_what_it_learnt) {
  tsl_cost_model *model = tsl_cost_model_new();
  float features[TSL_NUM_FEATURES] = {0};
  float scores[2];
  tsl_error error;
  ck_assert(!tsl_cost_model_predict(model, 1, features, scores));
  /* Two tasks; within each, the run time falls as feature 2 (the vector share) rises. */
  for (int i = 0; i < 64; i++) {
    features[2] = (float)(i % 16) / 16.0f;
    features[0] = (float)(i / 16);
    tsl_cost_model_add(model, i / 32, features, 1e-3 / (1 + features[2] * 4));
  }
  ck_assert_int_eq(tsl_cost_model_train(model, &error), TSL_OK);
  float rows[2 * TSL_NUM_FEATURES] = {0};
  rows[2] = 0.1f;
  rows[TSL_NUM_FEATURES + 2] = 0.9f;
  ck_assert(tsl_cost_model_predict(model, 2, rows, scores));
  ck_assert_float_gt(scores[1], scores[0]);
  tsl_cost_model_free(model);
}
END_TEST

Suite *suite_records(void) {
  Suite *suite = suite_create("records");
  TCase *tc = tcase_create("records");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, database_keeps_records_by_task);
  tcase_add_test(tc, set_aside_records_give_way_to_the_default_schedule);
  tcase_add_test(tc, database_refuses_what_is_not_one);
  tcase_add_test(tc, compile_takes_records_for_its_target);
  tcase_add_test(tc, features_see_the_schedule);
  tcase_add_test(tc, features_see_predicates);
  tcase_add_test(tc, cost_model_ranks_what_it_learnt);
  suite_add_tcase(suite, tc);
  return suite;
}
