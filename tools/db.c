/* tessel db: look into a tuning records database, and carry records between databases. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autotune/database.h"
#include "autotune/report.h"
#include "ir/tensor_file.h"
#include "tools/cli.h"

static int run(int argc, char **argv);

const tsl_command tsl_command_db = {
    .name = "db",
    .summary = "list, show, rank, export, import, merge, report or prune tuning records",
    .usage =
        "usage: tessel db list [DB]\n"
        "       tessel db show [DB] WORKLOAD\n"
        "       tessel db top [DB] [--workload WORKLOAD] [-n N]\n"
        "       tessel db export [DB] [-o FILE]\n"
        "       tessel db import [DB] FILE...\n"
        "       tessel db merge [DB] SOURCE_DB...\n"
        "       tessel db report [DB] [--model NAME] -o FILE.html\n"
        "       tessel db prune [DB] [--keep N]\n"
        "\n"
        "DB is a tuning records database (default: the user's, $TESSEL_RECORDS or\n"
        "~/.local/share/tessel/records.db; docs/tuning.md). A DB is told from the other\n"
        "arguments by its name ending in .db.\n"
        "\n"
        "  list     each workload (by key) on each target: records, failed, best time\n"
        "  show     a workload's canonical TIR and its best record's trace on each target\n"
        "           (WORKLOAD: its key, or the first characters of it)\n"
        "  top      the N fastest working records (default 1) of each workload on each target,\n"
        "           or of WORKLOAD alone (default 10): time, the trial that found it, its\n"
        "           build time, when it was measured, and the target\n"
        "  export   every record as one line of JSON, to FILE or stdout\n"
        "  import   the records of exported FILEs (those DB has already left out)\n"
        "  merge    the records of other databases\n"
        "  report   a tuned model's report (as tune --report); --model names it when DB has\n"
        "           several\n"
        "  prune    delete all but the N fastest working records (default 8) of each\n"
        "           workload on each target, failures too, and compact the file\n",
    .run = run,
};

static void print_task(const tsl_db_task *task, void *context) {
  int *count = context;
  if ((*count)++ == 0)
    printf("%-16s %8s %8s %12s  %s\n", "workload", "records", "failed", "best ms", "target");
  if (task->best_seconds > 0)
    printf("%-16.16s %8lld %8lld %12.4f  %s\n", task->workload, task->records, task->failed,
           task->best_seconds * 1e3, task->target);
  else
    printf("%-16.16s %8lld %8lld %12s  %s\n", task->workload, task->records, task->failed, "-",
           task->target);
}

/* Tasks whose workload key starts with a prefix: the first full key, and how many. */
typedef struct key_match {
  const char *prefix;
  char key[TSL_WORKLOAD_KEY_SIZE];
  char other[TSL_WORKLOAD_KEY_SIZE];
  int count;
} key_match;

static void match_key(const tsl_db_task *task, void *context) {
  key_match *match = context;
  if (strncmp(task->workload, match->prefix, strlen(match->prefix)) != 0) return;
  if (match->count == 0) {
    snprintf(match->key, sizeof(match->key), "%s", task->workload);
    match->count = 1;
  } else if (strcmp(match->key, task->workload) != 0 && match->count == 1) {
    snprintf(match->other, sizeof(match->other), "%s", task->workload);
    match->count = 2;
  }
}

typedef struct show_context {
  tsl_db *db;
  const char *key;
  tsl_status status;
  tsl_error *error;
} show_context;

static void show_target(const tsl_db_task *task, void *context) {
  show_context *show = context;
  if (show->status || strcmp(task->workload, show->key) != 0) return;
  char *trace;
  double seconds;
  show->status = tsl_db_best(show->db, task->workload, task->target, &trace, &seconds, show->error);
  if (show->status) return;
  printf("\n# on %s: %lld records, %lld failed", task->target, task->records, task->failed);
  if (trace)
    printf("; the best, %.4f ms:\n%s\n", seconds * 1e3, trace);
  else
    printf("; none works\n");
  free(trace);
}

/* The one workload whose key starts with `prefix`, into `key`. */
static tsl_status find_workload(tsl_db *db, const char *prefix, char key[TSL_WORKLOAD_KEY_SIZE],
                                tsl_error *error) {
  key_match match = {.prefix = prefix};
  TRY(tsl_db_tasks(db, match_key, &match, error));
  if (match.count == 0)
    return tsl_fail(error, TSL_ERROR_INPUT, "no workload's key starts with '%s'", prefix);
  if (match.count > 1)
    return tsl_fail(error, TSL_ERROR_INPUT, "'%s' starts %.12s… and %.12s…; give more of the key",
                    prefix, match.key, match.other);
  memcpy(key, match.key, TSL_WORKLOAD_KEY_SIZE);
  return TSL_OK;
}

static int show(tsl_db *db, const char *prefix) {
  tsl_error error;
  char key[TSL_WORKLOAD_KEY_SIZE];
  if (find_workload(db, prefix, key, &error)) return cli_report(&error);
  char *text;
  if (tsl_db_workload_text(db, key, &text, &error)) return cli_report(&error);
  printf("# workload %s\n%s", key, text ? text : "");
  free(text);
  show_context context = {db, key, TSL_OK, &error};
  if (tsl_db_tasks(db, show_target, &context, &error) || context.status) return cli_report(&error);
  return 0;
}

static void print_ranked(const tsl_db_ranked *record, void *context) {
  int *count = context;
  if ((*count)++ == 0)
    printf("%-16s %4s %12s %11s %8s  %-20s  %-9s  %s\n", "workload", "rank", "ms", "trial",
           "build s", "measured", "in model", "target");
  char trial[32];
  snprintf(trial, sizeof(trial), "%lld/%lld", record->trial, record->trials);
  printf("%-16.16s %4d %12.4f %11s %8.2f  %-20s  %-9s  %s\n", record->workload, record->rank,
         record->seconds * 1e3, trial, record->build_seconds, record->created,
         record->model_check ? record->model_check : "-", record->target);
}

/* The `count` fastest working records of each workload, or of the one `prefix` starts. */
static int top(tsl_db *db, const char *db_path, const char *prefix, int count) {
  tsl_error error;
  char key[TSL_WORKLOAD_KEY_SIZE];
  if (prefix && find_workload(db, prefix, key, &error)) return cli_report(&error);
  int printed = 0;
  if (tsl_db_fastest(db, prefix ? key : NULL, count, print_ranked, &printed, &error))
    return cli_report(&error);
  if (printed == 0 && prefix)
    printf("%s: no working records of workload %.16s…\n", db_path, key);
  else if (printed == 0)
    printf("%s: no working records\n", db_path);
  return 0;
}

static void write_line(const char *json, void *context) {
  fputs(json, context);
  fputc('\n', context);
}

static int export_records(tsl_db *db, const char *output) {
  tsl_error error;
  if (!output) return tsl_db_export(db, write_line, stdout, &error) ? cli_report(&error) : 0;
  /* Written beside the file and renamed: a failure leaves no partial export. */
  char partial[4096];
  snprintf(partial, sizeof(partial), "%s.partial", output);
  FILE *file = fopen(partial, "w");
  if (!file) {
    tsl_fail(&error, TSL_ERROR_INPUT, "%s: cannot write it", output);
    return cli_report(&error);
  }
  tsl_status status = tsl_db_export(db, write_line, file, &error);
  if (fclose(file) != 0 && !status)
    status = tsl_fail(&error, TSL_ERROR_INPUT, "%s: cannot write it", output);
  if (!status && rename(partial, output) != 0)
    status = tsl_fail(&error, TSL_ERROR_INPUT, "%s: cannot write it", output);
  if (status) {
    remove(partial);
    return cli_report(&error);
  }
  return 0;
}

static void collect(const char *json, void *context) {
  char **text = context;
  size_t had = *text ? strlen(*text) : 0;
  *text = realloc(*text, had + strlen(json) + 2);
  if (!*text) abort();
  memcpy(*text + had, json, strlen(json));
  strcpy(*text + had + strlen(json), "\n");
}

/* Imports files (or, merging, other databases) into db. */
static int import(tsl_db *db, const char *db_path, int count, char **sources, bool databases) {
  tsl_error error;
  for (int i = 0; i < count; i++) {
    size_t length = 0;
    char *text = NULL;
    if (databases) {
      tsl_db *source;
      if (tsl_db_open(sources[i], false, &source, &error)) return cli_report(&error);
      tsl_status status = tsl_db_export(source, collect, &text, &error);
      tsl_db_close(source);
      if (status) {
        free(text);
        return cli_report(&error);
      }
      if (!text) continue;
      length = strlen(text);
    } else if (tsl_read_file(sources[i], (unsigned char **)&text, &length, &error)) {
      return cli_report(&error);
    }
    long long added;
    tsl_status status = tsl_db_import(db, text, length, sources[i], &added, &error);
    free(text);
    if (status) return cli_report(&error);
    printf("%s: %lld record%s added to %s\n", sources[i], added, added == 1 ? "" : "s", db_path);
  }
  return 0;
}

/* The tuned models, to find the one a report is for. */
typedef struct model_search {
  const char *wanted; /* NULL: any */
  char name[1024], target[1024];
  int count;
} model_search;

static void find_model(const char *name, const char *target, void *context) {
  model_search *search = context;
  if (search->wanted && strcmp(search->wanted, name) != 0) return;
  if (search->count++ == 0) {
    snprintf(search->name, sizeof(search->name), "%s", name);
    snprintf(search->target, sizeof(search->target), "%s", target);
  }
}

static int report(tsl_db *db, const char *db_path, const char *model, const char *output) {
  tsl_error error;
  model_search search = {.wanted = model};
  if (tsl_db_models(db, find_model, &search, &error)) return cli_report(&error);
  if (search.count == 0) {
    tsl_fail(&error, TSL_ERROR_INPUT, "%s: no tuned model%s%s", db_path, model ? " named " : "",
             model ? model : "");
    return cli_report(&error);
  }
  if (search.count > 1) {
    tsl_fail(&error, TSL_ERROR_INPUT,
             "%s: %d tuned models%s; name one with --model (tessel db list shows them)", db_path,
             search.count, model ? " by that name, for several targets" : "");
    return cli_report(&error);
  }
  if (tsl_report_write(db, search.name, search.target, output, &error)) return cli_report(&error);
  printf("%s: the report of %s -> %s\n", db_path, search.name, output);
  return 0;
}

static bool is_db(const char *arg) {
  size_t length = strlen(arg);
  return length > 3 && strcmp(arg + length - 3, ".db") == 0;
}

static int run(int argc, char **argv) {
  if (argc < 1) return cli_usage_error(&tsl_command_db, "no action given");
  const char *action = argv[0], *db_path = NULL, *output = NULL, *model = NULL;
  const char *workload = NULL;
  bool top_action = strcmp(action, "top") == 0;
  long keep = 8, ranked = 0;
  static char default_path[4096];
  char *rest[256];
  int count = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-o") == 0 &&
        (strcmp(action, "export") == 0 || strcmp(action, "report") == 0)) {
      if (i + 1 >= argc) return cli_usage_error(&tsl_command_db, "-o needs a file");
      output = argv[++i];
    } else if (strcmp(argv[i], "--keep") == 0 && strcmp(action, "prune") == 0) {
      char *end;
      keep = i + 1 < argc ? strtol(argv[++i], &end, 10) : -1;
      if (keep < 1 || *end)
        return cli_usage_error(&tsl_command_db, "--keep takes a positive count");
    } else if (strcmp(argv[i], "-n") == 0 && top_action) {
      char *end;
      ranked = i + 1 < argc ? strtol(argv[++i], &end, 10) : -1;
      if (ranked < 1 || ranked > INT_MAX || *end)
        return cli_usage_error(&tsl_command_db, "-n takes a positive count");
    } else if (strcmp(argv[i], "--workload") == 0 && top_action) {
      if (i + 1 >= argc) return cli_usage_error(&tsl_command_db, "--workload needs a key");
      workload = argv[++i];
    } else if (strcmp(argv[i], "--model") == 0 && strcmp(action, "report") == 0) {
      if (i + 1 >= argc) return cli_usage_error(&tsl_command_db, "--model needs a name");
      model = argv[++i];
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return cli_usage_error(&tsl_command_db, "unknown option '%s'", argv[i]);
    } else if (!db_path && is_db(argv[i]) && strcmp(action, "merge") != 0) {
      db_path = argv[i];
    } else if (!db_path && strcmp(action, "merge") == 0 && count == 0 && is_db(argv[i]) &&
               i + 1 < argc) {
      db_path = argv[i];
    } else if (count < 256) {
      rest[count++] = argv[i];
    }
  }
  bool list = strcmp(action, "list") == 0, show_action = strcmp(action, "show") == 0;
  bool export_action = strcmp(action, "export") == 0, import_action = strcmp(action, "import") == 0;
  bool merge = strcmp(action, "merge") == 0, report_action = strcmp(action, "report") == 0;
  bool prune = strcmp(action, "prune") == 0;
  if (!list && !show_action && !top_action && !export_action && !import_action && !merge &&
      !report_action && !prune)
    return cli_usage_error(&tsl_command_db,
                           "no action '%s' (list, show, top, export, import, merge, report, prune)",
                           action);
  if (report_action && !output)
    return cli_usage_error(&tsl_command_db, "db report needs -o FILE.html");
  int wanted = show_action                                                     ? 1
               : list || top_action || export_action || report_action || prune ? 0
                                                                               : -1;
  if (wanted >= 0 && count != wanted)
    return cli_usage_error(&tsl_command_db, "db %s takes %s", action,
                           wanted ? "one workload key" : "no arguments but the database");
  if (wanted < 0 && count == 0)
    return cli_usage_error(&tsl_command_db, "db %s needs %s to add", action,
                           merge ? "databases" : "files");
  tsl_error error;
  if (!db_path) {
    if (tsl_db_default_path(default_path, sizeof(default_path), &error)) return cli_report(&error);
    db_path = default_path;
  }
  tsl_db *db;
  if (tsl_db_open(db_path, import_action || merge, &db, &error)) return cli_report(&error);
  int status = 0;
  if (list) {
    int tasks = 0;
    if (tsl_db_tasks(db, print_task, &tasks, &error))
      status = cli_report(&error);
    else if (tasks == 0)
      printf("%s: no records\n", db_path);
  } else if (show_action) {
    status = show(db, rest[0]);
  } else if (top_action) {
    status = top(db, db_path, workload, ranked ? (int)ranked : workload ? 10 : 1);
  } else if (export_action) {
    status = export_records(db, output);
  } else if (report_action) {
    status = report(db, db_path, model, output);
  } else if (prune) {
    long long removed;
    if (tsl_db_prune(db, (int)keep, &removed, &error))
      status = cli_report(&error);
    else
      printf("%s: %lld records deleted\n", db_path, removed);
  } else {
    status = import(db, db_path, count, rest, merge);
  }
  tsl_db_close(db);
  return status;
}
