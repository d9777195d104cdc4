/* tessel bench: latency of a model on this machine. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/check.h"
#include "ir/error.h"
#include "ir/type.h"
#include "runtime/timing.h"
#include "tools/cli.h"
#include "tools/model_io.h"

static int run(int argc, char **argv);

const tsl_command tsl_command_bench = {
    .name = "bench",
    .summary = "measure a model's latency on this machine",
    .usage =
        "usage: tessel bench MODEL|ARTIFACT [--warmup N] [--min-time SECONDS] [--threads N]\n"
        "                    [--json] [--profile] [--against-defaults [--rounds N]]\n"
        "                    [--target T] [-O0..3] [--records DB|--no-records]\n"
        "                    [--disable-pass NAME]... [--dump-after NAME]\n"
        "\n"
        "Runs the model (compiled for this machine, or an artifact) N times to warm up\n"
        "(default 3), then until SECONDS have passed (default 2, at least 5 runs), on inputs\n"
        "filled as `tessel run` fills them, and prints the median, 90th percentile and\n"
        "minimum latency. --json prints one object {median_ms, p90_ms, min_ms, runs};\n"
        "--profile adds each kernel's share of the time (with --json: \"kernels\", each\n"
        "call's {kernel, ms} per run, in the order they run).\n"
        "\n"
        "--against-defaults answers what tuning bought: the model is compiled twice, with\n"
        "its tuning records and with the default schedules, and the two run alternately in\n"
        "this process (so what slows a whole process slows both) for SECONDS; that is\n"
        "done N times (--rounds, default 5), each time compiled afresh. It prints the\n"
        "median latency of each and the median of the rounds' ratios, with their range\n"
        "(--json: {tuned_ms, default_ms, ratio, ratio_min, ratio_max, rounds,\n"
        "from_records, kernels}).\n"
        "\n" CLI_PASS_USAGE,
    .run = run,
};

static double now_seconds(void) {
  struct timespec time;
  clock_gettime(CLOCK_MONOTONIC, &time);
  return (double)time.tv_sec + (double)time.tv_nsec * 1e-9;
}

typedef struct bench_options {
  const char *model, *target;
  int warmup, threads, rounds;
  double min_time;
  bool json, profile, against_defaults;
  tsl_compile_options compile;
} bench_options;

static int parse(int argc, char **argv, bench_options *options) {
  *options = (bench_options){
      .target = "llvm", .warmup = 3, .min_time = 2, .rounds = 5, .compile = tsl_compile_defaults()};
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    int status = 0;
    if (cli_pass_option(&tsl_command_bench, argc, argv, &i, &options->compile, stderr, &status)) {
      if (status) return status;
    } else if (strcmp(arg, "--json") == 0) options->json = true;
    else if (strcmp(arg, "--profile") == 0) options->profile = true;
    else if (strcmp(arg, "--against-defaults") == 0)
      options->against_defaults = true;
    else if (strcmp(arg, "--warmup") == 0 || strcmp(arg, "--min-time") == 0 ||
             strcmp(arg, "--threads") == 0 || strcmp(arg, "--target") == 0 ||
             strcmp(arg, "--rounds") == 0) {
      if (!value) return cli_usage_error(&tsl_command_bench, "%s needs a value", arg);
      i++;
      if (strcmp(arg, "--warmup") == 0) options->warmup = atoi(value);
      else if (strcmp(arg, "--min-time") == 0) options->min_time = atof(value);
      else if (strcmp(arg, "--threads") == 0) options->threads = atoi(value);
      else if (strcmp(arg, "--rounds") == 0)
        options->rounds = atoi(value);
      else options->target = value;
    } else if (arg[0] == '-' && arg[1]) {
      return cli_usage_error(&tsl_command_bench, "unknown option '%s'", arg);
    } else if (options->model) {
      return cli_usage_error(&tsl_command_bench, "one model at a time");
    } else {
      options->model = arg;
    }
  }
  if (!options->model) return cli_usage_error(&tsl_command_bench, "no model given");
  if (options->warmup < 0 || options->min_time < 0 || options->threads < 0) {
    return cli_usage_error(&tsl_command_bench, "counts and times must not be negative");
  }
  if (options->rounds < 1 || options->rounds > TSL_COMPARE_MAX_ROUNDS)
    return cli_usage_error(&tsl_command_bench, "--rounds takes a count from 1 to %d",
                           TSL_COMPARE_MAX_ROUNDS);
  if (options->against_defaults && options->profile)
    return cli_usage_error(&tsl_command_bench,
                           "--profile times one model; leave it out with --against-defaults");
  return 0;
}

static void print_profile(tsl_model *model, double total_ms) {
  int calls = tsl_model_num_calls(model);
  int *order = calloc((size_t)calls + 1, sizeof(int));
  for (int i = 0; i < calls; i++) order[i] = i;
  for (int i = 0; i < calls; i++) {
    for (int j = i + 1; j < calls; j++) {
      if (tsl_model_call_nanoseconds(model, order[j]) > tsl_model_call_nanoseconds(model, order[i])) {
        int swap = order[i];
        order[i] = order[j];
        order[j] = swap;
      }
    }
  }
  printf("kernels by time (all runs):\n");
  for (int i = 0; i < calls && i < 25; i++) {
    double ms = (double)tsl_model_call_nanoseconds(model, order[i]) * 1e-6;
    printf("  %6.2f%%  %10.3f ms  %s\n", total_ms > 0 ? 100 * ms / total_ms : 0, ms,
           tsl_model_call_kernel(model, order[i]));
  }
  free(order);
}

/* Each kernel call's mean time per run, in the order of the plan. */
static json_t *profile_json(tsl_model *model, int runs) {
  json_t *kernels = json_array();
  for (int i = 0; i < tsl_model_num_calls(model); i++) {
    double ms = (double)tsl_model_call_nanoseconds(model, i) * 1e-6 / (runs ? runs : 1);
    json_array_append_new(kernels, json_pack("{s:s, s:f}", "kernel",
                                             tsl_model_call_kernel(model, i), "ms", ms));
  }
  return kernels;
}

/* --against-defaults: the model with its tuning records and with the default schedules, run
 * alternately in this process (driver/check.h). */
static int against_defaults(const bench_options *options) {
  if (cli_is_artifact(options->model))
    return cli_usage_error(&tsl_command_bench,
                           "--against-defaults compiles the model twice; '%s' is a compiled "
                           "artifact, give its ONNX model",
                           options->model);
  tsl_compile_options compile = options->compile;
  tsl_compile_summary summary = {0};
  compile.summary = &summary;
  cli_default_records(&compile);
  if (!compile.records)
    return cli_usage_error(&tsl_command_bench,
                           "--against-defaults needs tuning records: give --records DB (there is "
                           "no database at the default place)");
  tsl_error error;
  tsl_target target;
  tsl_graph *graph = NULL;
  tsl_onnx_options import = {.note = cli_note};
  tsl_records_comparison c;
  if (tsl_target_parse(options->target, &target, &error) ||
      tsl_import_onnx(options->model, &import, &graph, &error)) {
    tsl_graph_free(graph);
    return cli_report(&error);
  }
  if (tsl_compare_records(graph, &target, &compile, options->rounds, options->min_time, &c,
                          &error)) {
    tsl_error_prefix(&error,
                     "%s: comparing the records with the default schedules: ", options->model);
    tsl_graph_free(graph);
    return cli_report(&error);
  }
  tsl_graph_free(graph);
  cli_records_summary(stderr, options->model, &compile);
  double ratios[TSL_COMPARE_MAX_ROUNDS];
  for (int r = 0; r < c.rounds; r++) ratios[r] = c.tuned_ms[r] / c.default_ms[r];
  double ratio = tsl_median(ratios, c.rounds), low = ratios[0], high = ratios[c.rounds - 1];
  double tuned = tsl_median(c.tuned_ms, c.rounds), fallback = tsl_median(c.default_ms, c.rounds);
  if (options->json) {
    json_t *report =
        json_pack("{s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:i}", "tuned_ms", tuned, "default_ms",
                  fallback, "ratio", ratio, "ratio_min", low, "ratio_max", high, "rounds", c.rounds,
                  "from_records", summary.from_records, "kernels", summary.workloads);
    char *text = json_dumps(report, JSON_COMPACT);
    puts(text);
    free(text);
    json_decref(report);
  } else {
    printf(
        "%s: %.4g ms with the tuning records, %.4g ms with the default schedules: %.3f "
        "[%.3f-%.3f] (medians of alternating runs in this process, %d rounds, %d threads)\n",
        options->model, tuned, fallback, ratio, low, high, c.rounds, tsl_num_threads());
  }
  return 0;
}

static int run(int argc, char **argv) {
  bench_options options;
  int status = parse(argc, argv, &options);
  if (status) return status;
  if (options.threads) tsl_set_num_threads(options.threads);
  if (options.against_defaults) return against_defaults(&options);
  tsl_model *model;
  status = cli_open_model(options.model, options.target, NULL, 0, &options.compile, &model);
  if (status) return status;
  int num_inputs = tsl_model_num_inputs(model), num_outputs = tsl_model_num_outputs(model);
  void **inputs = calloc((size_t)num_inputs + 1, sizeof(void *));
  void **outputs = calloc((size_t)num_outputs + 1, sizeof(void *));
  for (int i = 0; i < num_inputs; i++) {
    tsl_tensor_info info = tsl_model_input(model, i);
    inputs[i] = calloc(tsl_tensor_info_bytes(info) + 1, 1);
    tsl_type type = tsl_type_make(info.dtype, info.rank, info.dims);
    tsl_fill_pattern(info.dtype, inputs[i], tsl_type_elements(&type));
  }
  for (int i = 0; i < num_outputs; i++) outputs[i] = calloc(tsl_tensor_info_bytes(tsl_model_output(model, i)) + 1, 1);
  tsl_error error;
  for (int i = 0; i < options.warmup && !status; i++) {
    if (tsl_model_run(model, (const void *const *)inputs, outputs, &error)) status = cli_report(&error);
  }
  tsl_model_set_profiling(model, options.profile);
  int runs = 0, capacity = 64;
  double *latencies = malloc(sizeof(double) * (size_t)capacity), started = now_seconds(), total = 0;
  while (!status && (runs < 5 || now_seconds() - started < options.min_time)) {
    double before = now_seconds();
    if (tsl_model_run(model, (const void *const *)inputs, outputs, &error)) {
      status = cli_report(&error);
      break;
    }
    if (runs == capacity) latencies = realloc(latencies, sizeof(double) * (size_t)(capacity *= 2));
    latencies[runs++] = (now_seconds() - before) * 1e3;
    total += latencies[runs - 1];
  }
  if (!status) {
    double median = tsl_median(latencies, runs), p90 = latencies[(int)(0.9 * (runs - 1))],
           min = latencies[0];
    if (options.json) {
      json_t *report = json_pack("{s:f, s:f, s:f, s:i}", "median_ms", median, "p90_ms", p90,
                                 "min_ms", min, "runs", runs);
      if (options.profile) json_object_set_new(report, "kernels", profile_json(model, runs));
      char *text = json_dumps(report, JSON_COMPACT);
      puts(text);
      free(text);
      json_decref(report);
    } else {
      printf("%s: median %.4g ms, p90 %.4g ms, min %.4g ms over %d runs (%d threads)\n",
             options.model, median, p90, min, runs, tsl_num_threads());
    }
    if (options.profile && !options.json) print_profile(model, total);
  }
  for (int i = 0; i < num_inputs; i++) free(inputs[i]);
  for (int i = 0; i < num_outputs; i++) free(outputs[i]);
  free(inputs);
  free(outputs);
  free(latencies);
  tsl_model_free(model);
  return status;
}
