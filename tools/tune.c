/* tessel tune: measure schedules of a model's kernels on this machine and keep the best in the
 * tuning records, which later compiles use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "autotune/database.h"
#include "autotune/report.h"
#include "autotune/tune.h"
#include "codegen/llvm/llvm.h"
#include "driver/check.h"
#include "passes/lower/lower.h"
#include "tools/cli.h"

static int run(int argc, char **argv);

enum { MAX_JOBS = 1024 };

/* Seconds of alternating runs of the model check. */
static const double CHECK_SECONDS = 3.0;

const tsl_command tsl_command_tune = {
    .name = "tune",
    .summary = "measure schedules of a model's kernels here and keep the best as tuning records",
    .usage =
        "usage: tessel tune MODEL [--records DB] [--target T] [--remote COMMAND]\n"
        "                   [--trials N]\n"
        "                   [--time-budget DURATION]\n"
        "                   [--search evolutionary|random] [--seed N] [--timeout D]\n"
        "                   [--jobs N]\n"
        "                   [--report FILE.html] [--no-model-check]\n"
        "                   [-O0..3]\n"
        "                   [--disable-pass NAME]...\n"
        "\n"
        "Measures schedules of MODEL's distinct kernels on this machine (or a board), each in\n"
        "a worker process, and adds them to the tuning records (docs/tuning.md), committing every\n"
        "batch: a killed run loses at most the batch being measured, and the same command\n"
        "again continues. `compile`, `run` and `bench` then take each kernel's best record.\n"
        "\n"
        "  --records DB         the database (default: the user's, $TESSEL_RECORDS or\n"
        "                       ~/.local/share/tessel/records.db; created when missing)\n"
        "  --target T           as for compile; it must be this machine (default llvm), where\n"
        "                       the candidates run, unless --remote names another\n"
        "  --remote COMMAND     run the candidates on a board: COMMAND, run by /bin/sh, starts\n"
        "                       `tessel-runner --serve` there (e.g. 'ssh board tessel-runner\n"
        "                       --serve'); they are built here for --target, the board's\n"
        "  --trials N           measured candidates for the model on this machine, counted in\n"
        "                       the database (default 200)\n"
        "  --time-budget D      stop after D (90s, 20m, 2h), whatever the trials\n"
        "  --search S           evolutionary (default: mutations of the best records, with\n"
        "                       random draws mixed in) or random (random draws only)\n"
        "  --seed N             the random draws' seed (default 1)\n"
        "  --report FILE.html   at the end, write the model's tuning report: its estimated\n"
        "                       latency and each kernel's best time against the trials\n"
        "  --no-model-check     leave out the last step: the model compiled with the best\n"
        "                       records and with the default schedules, run alternately; a\n"
        "                       record slower inside the model than the default schedule is\n"
        "                       set aside, and compiles take the default schedule for its\n"
        "                       kernel (not with --remote: the board runs kernels, not models)\n"
        "  --timeout D          the time one candidate may take to build and run (default\n"
        "                       30s); one that takes longer is recorded as a timeout\n"
        "  --jobs N             candidates built at once, each by its own worker (default:\n"
        "                       the number of cores); they run one at a time, with nothing\n"
        "                       building, so that their timings are not disturbed\n"
        "  -O0..3, --disable-pass NAME  as for compile: they change the kernels\n",
    .run = run,
};

/* "90s", "20m", "2h" or plain seconds; -1 when it is none of those. */
static double parse_duration(const char *text) {
  char *end;
  double value = strtod(text, &end);
  if (end == text || value <= 0) return -1;
  if (*end == '\0' || strcmp(end, "s") == 0) return value;
  if (strcmp(end, "m") == 0) return value * 60;
  if (strcmp(end, "h") == 0) return value * 3600;
  return -1;
}

/* "1m05s" */
static const char *duration(double seconds, char *text, size_t size) {
  long whole = seconds > 0 ? (long)(seconds + 0.5) : 0;
  if (whole >= 3600)
    snprintf(text, size, "%ldh%02ldm", whole / 3600, whole / 60 % 60);
  else if (whole >= 60)
    snprintf(text, size, "%ldm%02lds", whole / 60, whole % 60);
  else
    snprintf(text, size, "%lds", whole);
  return text;
}

/* On a terminal the progress line is rewritten in place, and kept when a task is done with;
 * otherwise every batch prints a line. */
static void print_progress(void *context, const tsl_tune_progress *p) {
  static int last_task = -1;
  bool live = *(const bool *)context;
  char elapsed[32], remaining[32];
  if (live && last_task >= 0 && last_task != p->task) printf("\n");
  last_task = p->task;
  printf("%s[%3lld/%lld] task %d/%d %-28s best %9.4f ms", live ? "\r\033[K" : "", p->trials,
         p->total, p->task + 1, p->tasks, p->task_name, p->task_best * 1e3);
  if (p->task_default > 0) printf(" (default %.4f)", p->task_default * 1e3);
  printf("  model ~%.3f ms  %s, ~%s left%s", p->model_estimate * 1e3,
         duration(p->elapsed, elapsed, sizeof(elapsed)),
         duration(p->remaining, remaining, sizeof(remaining)), live ? "" : "\n");
  fflush(stdout);
}

/* The tuner's last step (driver/check.h), and its line. */
static int check_in_model(const char *path, const tsl_graph *graph, tsl_target *target,
                          const tsl_compile_options *compile, const char *name) {
  tsl_records_check check;
  tsl_error error;
  if (tsl_check_records(graph, target, compile, name, CHECK_SECONDS, &check, &error)) {
    tsl_error_prefix(&error, "%s: checking the records in the model: ", path);
    return cli_report(&error);
  }
  if (!check.checked) {
    if (check.defaults)
      printf(
          "model check: the best records are the default schedules themselves; nothing to time\n");
    return 0;
  }
  printf(
      "model check: %d of %d kernels' best records timed inside the model against the "
      "default schedules (%d more are the default schedule itself); %d set aside (not "
      "faster there)\n",
      check.checked, check.workloads, check.defaults, check.set_aside);
  printf(
      "model check: %.3f ms with the records%s, %.3f ms with the default schedules (%.3f, "
      "medians of alternating runs)\n",
      check.tuned_ms, check.set_aside ? " (before those were set aside)" : "", check.default_ms,
      check.tuned_ms / check.default_ms);
  return 0;
}

static int run(int argc, char **argv) {
  const char *model = NULL, *report = NULL, *target_text = "llvm";
  bool model_check = true;
  tsl_compile_options compile = tsl_compile_defaults();
  tsl_tune_options options = tsl_tune_defaults();
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    int status = 0;
    if (strcmp(arg, "--no-model-check") == 0) {
      model_check = false;
    } else if (strcmp(arg, "--no-records") != 0 &&
               cli_pass_option(&tsl_command_tune, argc, argv, &i, &compile, stderr, &status)) {
      if (status) return status;
    } else if (strcmp(arg, "--trials") == 0 || strcmp(arg, "--time-budget") == 0 ||
               strcmp(arg, "--search") == 0 || strcmp(arg, "--seed") == 0 ||
               strcmp(arg, "--timeout") == 0 || strcmp(arg, "--report") == 0 ||
               strcmp(arg, "--target") == 0 || strcmp(arg, "--jobs") == 0 ||
               strcmp(arg, "--remote") == 0) {
      if (!value) return cli_usage_error(&tsl_command_tune, "%s needs a value", arg);
      i++;
      char *end;
      if (strcmp(arg, "--trials") == 0) {
        options.trials = strtoll(value, &end, 10);
        if (*end || options.trials < 1)
          return cli_usage_error(&tsl_command_tune, "--trials takes a positive count, not '%s'",
                                 value);
      } else if (strcmp(arg, "--time-budget") == 0) {
        options.time_budget = parse_duration(value);
        if (options.time_budget < 0)
          return cli_usage_error(&tsl_command_tune,
                                 "--time-budget takes a duration like 90s, 20m or 2h, not '%s'",
                                 value);
      } else if (strcmp(arg, "--report") == 0) {
        report = value;
      } else if (strcmp(arg, "--target") == 0) {
        target_text = value;
      } else if (strcmp(arg, "--remote") == 0) {
        options.measure.remote = value;
      } else if (strcmp(arg, "--timeout") == 0) {
        options.measure.timeout = parse_duration(value);
        if (options.measure.timeout < 0)
          return cli_usage_error(&tsl_command_tune,
                                 "--timeout takes a duration like 10s or 1m, not '%s'", value);
      } else if (strcmp(arg, "--jobs") == 0) {
        long jobs = strtol(value, &end, 10);
        if (*end || jobs < 1 || jobs > MAX_JOBS)
          return cli_usage_error(&tsl_command_tune, "--jobs takes a count from 1 to %d, not '%s'",
                                 MAX_JOBS, value);
        options.measure.jobs = (int)jobs;
      } else if (strcmp(arg, "--seed") == 0) {
        options.seed = strtoull(value, &end, 10);
        if (*end)
          return cli_usage_error(&tsl_command_tune, "--seed takes a number, not '%s'", value);
      } else if (strcmp(value, "evolutionary") == 0 || strcmp(value, "random") == 0) {
        options.search = value[0] == 'r' ? TSL_SEARCH_RANDOM : TSL_SEARCH_EVOLUTIONARY;
      } else {
        return cli_usage_error(&tsl_command_tune, "--search takes evolutionary or random, not '%s'",
                               value);
      }
    } else if (arg[0] == '-' && arg[1]) {
      return cli_usage_error(&tsl_command_tune, "unknown option '%s'", arg);
    } else if (model) {
      return cli_usage_error(&tsl_command_tune, "one model at a time ('%s' and '%s')", model, arg);
    } else {
      model = arg;
    }
  }
  if (!model) return cli_usage_error(&tsl_command_tune, "no model given");
  static char default_path[4096];
  tsl_error error;
  if (!compile.records) {
    if (tsl_db_default_path(default_path, sizeof(default_path), &error)) return cli_report(&error);
    compile.records = default_path;
  }
  options.records = compile.records;
  static bool live;
  live = isatty(STDOUT_FILENO);
  options.progress = print_progress;
  options.progress_context = &live;
  const char *slash = strrchr(model, '/');
  options.model = slash ? slash + 1 : model;
  tsl_target target;
  tsl_graph *graph = NULL, *optimized = NULL;
  tsl_lowered *lowered = NULL;
  tsl_onnx_options import = {.note = cli_note};
  int status = 0;
  if (tsl_target_parse(target_text, &target, &error) || tsl_llvm_complete_target(&target, &error) ||
      tsl_tune_check_target(&target, options.measure.remote, &error) ||
      tsl_import_onnx(model, &import, &graph, &error) ||
      tsl_optimize(graph, &target, &compile, &optimized, &error) ||
      tsl_lower(optimized, &lowered, &error)) {
    status = cli_report(&error);
  } else {
    printf("%s: tuning %d kernels on %s%s%s%s -> %s\n", model, lowered->num_funcs, target.cpu,
           options.measure.remote ? " (remote: " : "",
           options.measure.remote ? options.measure.remote : "", options.measure.remote ? ")" : "",
           options.records);
    fflush(stdout);
    tsl_status tuned = tsl_tune(lowered->funcs, lowered->num_funcs, &target, &options, &error);
    if (live) printf("\n");
    if (tuned) {
      tsl_error_prefix(&error, "%s: ", model);
      status = cli_report(&error);
    } else if (model_check && !options.measure.remote) {
      status = check_in_model(model, graph, &target, &compile, options.model);
    }
    if (!status && !tuned && report) {
      tsl_db *db;
      char target_key[1024];
      tsl_target_key(&target, target_key, sizeof(target_key));
      if (tsl_db_open(options.records, false, &db, &error) ||
          tsl_report_write(db, options.model, target_key, report, &error))
        status = cli_report(&error);
      else
        printf("report: %s\n", report);
      tsl_db_close(db);
    }
  }
  tsl_lowered_free(lowered);
  tsl_graph_free(optimized);
  tsl_graph_free(graph);
  return status;
}
