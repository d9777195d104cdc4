/* tessel-runner: runs an artifact with the runtime alone (no compiler, no LLVM), so that it can
 * be copied to a board with the artifact: inputs from .npy files or the pattern `tessel run`
 * uses, outputs written as .npy, and optionally the latency over repeated runs. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "runtime/npy.h"
#include "runtime/rpc.h"
#include "tessel/runtime.h"
#include "tools/model_io.h"

static const char usage[] =
    "usage: tessel-runner ARTIFACT [--input NAME=FILE.npy]... [--output-dir DIR]\n"
    "                     [--threads N] [--repeat N]\n"
    "       tessel-runner --serve [--threads N]\n"
    "\n"
    "Loads ARTIFACT (from `tessel compile`, for this machine's target), runs it once and\n"
    "writes each output as DIR/NAME.npy (default DIR: .), named as `tessel run` names them.\n"
    "\n"
    "  --input NAME=FILE   the value of input NAME, a .npy file of its dtype and shape\n"
    "  --output-dir DIR    where the outputs go (created when missing)\n"
    "  --threads N         threads for parallel loops (default: TESSEL_NUM_THREADS, else\n"
    "                      one per core)\n"
    "  --repeat N          after that run, runs N more times and prints the median and\n"
    "                      minimum latency\n"
    "\n"
    "With --serve, it measures kernels for `tessel tune --remote` on another machine\n"
    "instead: requests on standard input, answers on standard output (runtime/rpc.h).\n"
    "\n"
    "Inputs not given are filled with `tessel run`'s pattern: element i of a float input is\n"
    "((i mod 97) - 48) / 64, of an integer input i mod 7, of a bool input i mod 2.\n";

typedef struct runner_input {
  const char *name, *path;
} runner_input;

typedef struct runner_options {
  const char *artifact, *output_dir;
  runner_input *inputs;
  int num_inputs, threads, repeat;
  bool serve;
} runner_options;

static int __attribute__((format(printf, 1, 2))) usage_error(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fprintf(stderr, "tessel-runner: error: ");
  vfprintf(stderr, format, args);
  fprintf(stderr, "\n(tessel-runner --help shows the usage)\n");
  va_end(args);
  return 2;
}

static int report(const tsl_error *error) {
  fprintf(stderr, "tessel-runner: %s: %s\n",
          error->status == TSL_ERROR_INTERNAL ? "internal error" : "error", error->message);
  return tsl_status_exit_code(error->status);
}

/* calloc, or an exit with a message when memory runs out (a model's buffers on a small board). */
static void *allocate(size_t count, size_t size) {
  void *memory = calloc(count, size);
  if (!memory) {
    fprintf(stderr, "tessel-runner: error: out of memory (%zu bytes)\n", count * size);
    exit(1);
  }
  return memory;
}

/* A positive count, or 0 when the text is not one. */
static int parse_count(const char *text) {
  char *end;
  long value = strtol(text, &end, 10);
  return *end || end == text || value < 1 || value > 1000000 ? 0 : (int)value;
}

static int parse_arguments(int argc, char **argv, runner_options *options) {
  *options = (runner_options){.output_dir = "."};
  options->inputs = allocate((size_t)argc + 1, sizeof(runner_input));
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      fputs(usage, stdout);
      exit(0);
    } else if (strcmp(arg, "--serve") == 0) {
      options->serve = true;
    } else if (strcmp(arg, "--input") == 0 || strcmp(arg, "--output-dir") == 0 ||
               strcmp(arg, "--threads") == 0 || strcmp(arg, "--repeat") == 0) {
      if (!value) return usage_error("%s needs a value", arg);
      i++;
      if (strcmp(arg, "--output-dir") == 0) {
        options->output_dir = value;
      } else if (strcmp(arg, "--threads") == 0) {
        if (!(options->threads = parse_count(value)))
          return usage_error("--threads needs a positive number, not '%s'", value);
      } else if (strcmp(arg, "--repeat") == 0) {
        if (!(options->repeat = parse_count(value)))
          return usage_error("--repeat needs a positive number, not '%s'", value);
      } else {
        char *equals = strchr(argv[i], '=');
        if (!equals || equals == argv[i] || !equals[1])
          return usage_error("--input needs NAME=FILE, not '%s'", value);
        *equals = '\0';
        options->inputs[options->num_inputs++] = (runner_input){argv[i], equals + 1};
      }
    } else if (arg[0] == '-' && arg[1]) {
      return usage_error("unknown option '%s'", arg);
    } else if (options->artifact) {
      return usage_error("one artifact at a time ('%s' given twice)", arg);
    } else {
      options->artifact = arg;
    }
  }
  if (options->serve && (options->artifact || options->num_inputs || options->repeat))
    return usage_error("--serve takes no artifact, --input or --repeat");
  if (!options->artifact && !options->serve) return usage_error("no artifact given");
  return 0;
}

static void print_type(FILE *out, tsl_tensor_info info) {
  fprintf(out, "%s[", tsl_dtype_name(info.dtype));
  for (int axis = 0; axis < info.rank; axis++) {
    fprintf(out, "%s%lld", axis ? ", " : "", (long long)info.dims[axis]);
  }
  fputc(']', out);
}

/* Input `info` from a .npy file, checked against the model's dtype and shape. */
static int read_input(const char *path, tsl_tensor_info info, void *data) {
  tsl_error error;
  unsigned char *bytes;
  size_t size;
  if (tsl_read_file(path, &bytes, &size, &error)) return report(&error);
  tsl_npy_array array;
  if (tsl_npy_parse(path, bytes, size, &array, &error)) {
    free(bytes);
    return report(&error);
  }
  bool same = array.dtype == info.dtype && array.rank == info.rank;
  for (int axis = 0; same && axis < info.rank; axis++) same = array.dims[axis] == info.dims[axis];
  if (same) memcpy(data, array.data, array.data_size);
  free(bytes);
  if (!same) {
    fprintf(stderr, "tessel-runner: error: %s does not hold input '%s' of the model, which is ",
            path, info.name);
    print_type(stderr, info);
    fputc('\n', stderr);
    return 2;
  }
  return 0;
}

/* Every model input: from the user's file, else the pattern. */
static int prepare_inputs(const runner_options *options, tsl_model *model, void **inputs) {
  for (int j = 0; j < options->num_inputs; j++) {
    if (!tsl_known_input("tessel-runner", options->artifact, model, options->inputs[j].name))
      return 2;
  }
  for (int i = 0; i < tsl_model_num_inputs(model); i++) {
    tsl_tensor_info info = tsl_model_input(model, i);
    const char *file = NULL;
    for (int j = 0; j < options->num_inputs; j++) {
      if (strcmp(options->inputs[j].name, info.name) == 0) file = options->inputs[j].path;
    }
    if (file) {
      int status = read_input(file, info, inputs[i]);
      if (status) return status;
    } else {
      size_t element_size = tsl_dtype_size(info.dtype);
      tsl_fill_pattern(info.dtype, inputs[i],
                       (int64_t)(tsl_tensor_info_bytes(info) / (element_size ? element_size : 1)));
    }
  }
  return 0;
}

static int write_outputs(const char *dir, tsl_model *model, void **outputs) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "tessel-runner: error: cannot make the output folder %s: %s\n", dir,
            strerror(errno));
    return 2;
  }
  for (int i = 0; i < tsl_model_num_outputs(model); i++) {
    tsl_tensor_info info = tsl_model_output(model, i);
    char path[4096];
    tsl_output_path(dir, info.name, path, sizeof(path));
    tsl_error error;
    if (tsl_npy_write(path, info.dtype, info.rank, info.dims, outputs[i], &error))
      return report(&error);
    printf("%s: ", info.name);
    print_type(stdout, info);
    printf(" -> %s\n", path);
  }
  return 0;
}

static double now_milliseconds(void) {
  struct timespec time;
  clock_gettime(CLOCK_MONOTONIC, &time);
  return (double)time.tv_sec * 1e3 + (double)time.tv_nsec * 1e-6;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The first run (done before) warmed up the thread pool and caches. */
static int time_runs(const runner_options *options, tsl_model *model, void **inputs,
                     void **outputs) {
  double *latencies = allocate((size_t)options->repeat, sizeof(double));
  tsl_error error;
  for (int run = 0; run < options->repeat; run++) {
    double before = now_milliseconds();
    if (tsl_model_run(model, (const void *const *)inputs, outputs, &error)) {
      free(latencies);
      return report(&error);
    }
    latencies[run] = now_milliseconds() - before;
  }
  qsort(latencies, (size_t)options->repeat, sizeof(double), compare_doubles);
  int middle = options->repeat / 2;
  double median =
      options->repeat % 2 ? latencies[middle] : (latencies[middle - 1] + latencies[middle]) / 2;
  printf("%s: median %.4g ms, min %.4g ms over %d runs (%d threads)\n", options->artifact, median,
         latencies[0], options->repeat, tsl_num_threads());
  free(latencies);
  return 0;
}

int main(int argc, char **argv) {
  runner_options options;
  int status = parse_arguments(argc, argv, &options);
  if (status) {
    free(options.inputs);
    return status;
  }
  if (options.threads && !tsl_set_num_threads(options.threads)) {
    fprintf(stderr, "tessel-runner: error: cannot use %d threads\n", options.threads);
    free(options.inputs);
    return 2;
  }
  if (options.serve) {
    free(options.inputs);
    return tsl_rpc_serve(stdin, stdout);
  }
  tsl_error error;
  tsl_model *model;
  if (tsl_model_load(options.artifact, &model, &error)) {
    free(options.inputs);
    return report(&error);
  }
  int num_inputs = tsl_model_num_inputs(model), num_outputs = tsl_model_num_outputs(model);
  void **inputs = allocate((size_t)num_inputs + 1, sizeof(void *));
  void **outputs = allocate((size_t)num_outputs + 1, sizeof(void *));
  for (int i = 0; i < num_inputs; i++) {
    inputs[i] = allocate(tsl_tensor_info_bytes(tsl_model_input(model, i)) + 1, 1);
  }
  for (int i = 0; i < num_outputs; i++) {
    outputs[i] = allocate(tsl_tensor_info_bytes(tsl_model_output(model, i)) + 1, 1);
  }
  status = prepare_inputs(&options, model, inputs);
  if (!status && tsl_model_run(model, (const void *const *)inputs, outputs, &error))
    status = report(&error);
  if (!status) status = write_outputs(options.output_dir, model, outputs);
  if (!status && options.repeat) status = time_runs(&options, model, inputs, outputs);
  for (int i = 0; i < num_inputs; i++) free(inputs[i]);
  for (int i = 0; i < num_outputs; i++) free(outputs[i]);
  free(inputs);
  free(outputs);
  tsl_model_free(model);
  free(options.inputs);
  return status;
}
