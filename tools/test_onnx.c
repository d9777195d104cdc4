/* tessel test-onnx: runs ONNX backend test cases and compares the outputs with the expected
 * ones. Each case runs in a child process with a time limit, so a crash or a hang fails that
 * case, not the run. */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver/driver.h"
#include "ir/onnx/import.h"
#include "ir/tensor_file.h"
#include "tools/cli.h"

static int run(int argc, char **argv);

const tsl_command tsl_command_test_onnx = {
    .name = "test-onnx",
    .summary = "run ONNX backend test cases and compare their outputs",
    .usage =
        "usage: tessel test-onnx PATH... [--rtol R] [--atol A] [--expected-failures FILE]\n"
        "                        [--min-passed N] [--target T] [--jobs N] [--verbose]\n"
        "\n"
        "Runs ONNX backend test cases: a folder with model.onnx and test_data_set_*/, a folder\n"
        "of such folders, or the light/ layout (light_NAME.onnx beside\n"
        "light_NAME_output_0.pb, fed arange(N)/N as f32 in the input's shape). Outputs match\n"
        "when |actual - expected| <= atol + rtol * |expected| (NaN matches NaN); defaults\n"
        "rtol 1e-3, atol 1e-7, as the ONNX backend tests.\n"
        "\n"
        "Prints each failure with its reason and ends with 'N passed, N failed, N skipped'\n"
        "(skipped: refused by design). Exits 1 when a case fails that FILE (one case name per\n"
        "line, # comments) does not list, and names listed cases that now pass.\n"
        "\n"
        "  --min-passed N  also exit 1 when fewer than N cases pass (so that a new refusal,\n"
        "                  which skips rather than fails, cannot lower the count unseen)\n"
        "  --jobs N     cases run at once (default: the number of cores)\n"
        "  --verbose    also print skipped cases with the refusal\n",
    .run = run,
};

enum { PASSED, FAILED, SKIPPED };
enum { CASE_TIME_LIMIT = 120, MAX_IO = 64 };

typedef struct test_case {
  char *name;
  char *folder; /* the case's folder, or for light/ the folder of the model */
  char *model;
  bool light;
} test_case;

typedef struct test_options {
  double rtol, atol;
  const char *target, *expected_failures;
  int jobs, min_passed;
  bool verbose;
} test_options;

/* ---- finding cases ----------------------------------------------------------------------- */

static bool is_file(const char *path) {
  struct stat info;
  return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

static bool is_folder(const char *path) {
  struct stat info;
  return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

static void add_case(test_case **cases, int *count, const char *name, const char *folder,
                     const char *model, bool light) {
  *cases = realloc(*cases, sizeof(test_case) * (size_t)(*count + 1));
  (*cases)[(*count)++] = (test_case){strdup(name), strdup(folder), strdup(model), light};
}

static int compare_cases(const void *a, const void *b) {
  return strcmp(((const test_case *)a)->name, ((const test_case *)b)->name);
}

static bool collect(const char *path, test_case **cases, int *count) {
  char model[8192];
  snprintf(model, sizeof(model), "%s/model.onnx", path);
  const char *base = strrchr(path, '/');
  base = base && base[1] ? base + 1 : path;
  if (is_file(model)) {
    add_case(cases, count, base, path, model, false);
    return true;
  }
  DIR *dir = opendir(path);
  if (!dir) return false;
  int before = *count;
  for (struct dirent *entry; (entry = readdir(dir));) {
    if (entry->d_name[0] == '.') continue;
    char child[4096 + 256];
    snprintf(child, sizeof(child), "%s/%s", path, entry->d_name);
    size_t length = strlen(entry->d_name);
    if (strncmp(entry->d_name, "light_", 6) == 0 && length > 5 &&
        strcmp(entry->d_name + length - 5, ".onnx") == 0) {
      char name[256];
      snprintf(name, sizeof(name), "%.*s", (int)(length - 5), entry->d_name);
      add_case(cases, count, name, path, child, true);
      continue;
    }
    snprintf(model, sizeof(model), "%s/model.onnx", child);
    if (is_folder(child) && is_file(model)) add_case(cases, count, entry->d_name, child, model, false);
  }
  closedir(dir);
  qsort(*cases + before, (size_t)(*count - before), sizeof(test_case), compare_cases);
  return true;
}

/* ---- one case, in the child -------------------------------------------------------------- */

typedef struct case_result {
  int outcome;
  char message[2048];
} case_result;

static void set_result(case_result *result, int outcome, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void set_result(case_result *result, int outcome, const char *format, ...) {
  result->outcome = outcome;
  va_list args;
  va_start(args, format);
  vsnprintf(result->message, sizeof(result->message), format, args);
  va_end(args);
}

static int outcome_of(tsl_status status) {
  return status == TSL_ERROR_UNSUPPORTED ? SKIPPED : FAILED;
}

/* The names of the graph's inputs that are not initializers, in order: input_K.pb is the K-th. */
static int graph_input_names(const char *model_path, char names[][256], int capacity) {
  FILE *file = fopen(model_path, "rb");
  if (!file) return -1;
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  unsigned char *bytes = malloc((size_t)size + 1);
  size_t read = fread(bytes, 1, (size_t)size, file);
  fclose(file);
  Onnx__ModelProto *model = onnx__model_proto__unpack(NULL, read, bytes);
  free(bytes);
  if (!model || !model->graph) return -1;
  int count = 0;
  for (size_t i = 0; i < model->graph->n_input && count < capacity; i++) {
    const char *name = model->graph->input[i]->name ? model->graph->input[i]->name : "";
    bool initializer = false;
    for (size_t j = 0; j < model->graph->n_initializer && !initializer; j++) {
      initializer = model->graph->initializer[j]->name && strcmp(model->graph->initializer[j]->name, name) == 0;
    }
    if (!initializer) snprintf(names[count++], 256, "%s", name);
  }
  onnx__model_proto__free_unpacked(model, NULL);
  return count;
}

/* |a - e| <= atol + rtol·|e|, NaN matching NaN, infinities matching themselves. */
static bool close_enough(double actual, double expected, const test_options *options) {
  if (isnan(actual) || isnan(expected)) return isnan(actual) && isnan(expected);
  if (isinf(actual) || isinf(expected)) return actual == expected;
  return fabs(actual - expected) <= options->atol + options->rtol * fabs(expected);
}

static bool compare_output(const tsl_tensor_info *info, const void *actual,
                           const tsl_tensor_data *expected, const test_options *options,
                           case_result *result) {
  tsl_type type = tsl_type_make(info->dtype, info->rank, info->dims);
  if (!tsl_type_equal(&type, &expected->type)) {
    set_result(result, FAILED, "output '%s' is %s, expected %s", info->name, tsl_type_str(&type).text,
               tsl_type_str(&expected->type).text);
    return false;
  }
  int64_t elements = tsl_type_elements(&type), wrong = 0, first = -1;
  for (int64_t i = 0; i < elements; i++) {
    bool same;
    if (tsl_dtype_is_float(type.dtype)) {
      same = close_enough(tsl_element_get_f64(type.dtype, actual, i), tsl_element_get_f64(type.dtype, expected->bytes, i), options);
    } else {
      same = tsl_element_get_i64(type.dtype, actual, i) == tsl_element_get_i64(type.dtype, expected->bytes, i);
    }
    if (!same && wrong++ == 0) first = i;
  }
  if (!wrong) return true;
  set_result(result, FAILED, "output '%s': %lld of %lld elements differ; the first, #%lld, is %.9g, expected %.9g",
             info->name, (long long)wrong, (long long)elements, (long long)first,
             tsl_element_get_f64(type.dtype, actual, first), tsl_element_get_f64(type.dtype, expected->bytes, first));
  return false;
}

/* Runs one data set (inputs from files, or the light/ pattern) and compares its outputs. */
static bool run_data_set(tsl_model *model, const test_case *c, const char *set,
                         char names[][256], int num_names, const test_options *options,
                         case_result *result) {
  int num_inputs = tsl_model_num_inputs(model), num_outputs = tsl_model_num_outputs(model);
  tsl_tensor_data *owned[MAX_IO] = {0}, *expected[MAX_IO] = {0};
  void *inputs[MAX_IO] = {0}, *outputs[MAX_IO] = {0};
  bool ok = num_inputs <= MAX_IO && num_outputs <= MAX_IO;
  tsl_error error;
  for (int i = 0; i < num_inputs && ok; i++) {
    tsl_tensor_info info = tsl_model_input(model, i);
    tsl_type type = tsl_type_make(info.dtype, info.rank, info.dims);
    if (c->light) {
      owned[i] = tsl_tensor_data_new(&type);
      int64_t n = tsl_type_elements(&type);
      for (int64_t e = 0; e < n; e++) tsl_element_set_f64(type.dtype, owned[i]->bytes, e, (double)e / (double)n);
    } else {
      int position = -1;
      for (int k = 0; k < num_names; k++) {
        if (strcmp(names[k], info.name) == 0) position = k;
      }
      char path[4096];
      snprintf(path, sizeof(path), "%s/input_%d.pb", set, position);
      if (position < 0 || tsl_read_tensor_file(path, &owned[i], &error)) {
        set_result(result, FAILED, "no data for input '%s' in %s", info.name, set);
        ok = false;
        break;
      }
    }
    inputs[i] = owned[i]->bytes;
  }
  for (int i = 0; i < num_outputs && ok; i++) {
    outputs[i] = calloc(tsl_tensor_info_bytes(tsl_model_output(model, i)) + 1, 1);
    char path[4096];
    if (c->light) snprintf(path, sizeof(path), "%.*s_output_%d.pb", (int)(strlen(c->model) - 5), c->model, i);
    else snprintf(path, sizeof(path), "%s/output_%d.pb", set, i);
    if (tsl_read_tensor_file(path, &expected[i], &error)) {
      set_result(result, FAILED, "%s", error.message);
      ok = false;
    }
  }
  if (ok && tsl_model_run(model, (const void *const *)inputs, outputs, &error)) {
    set_result(result, FAILED, "%s", error.message);
    ok = false;
  }
  for (int i = 0; i < num_outputs && ok; i++) {
    tsl_tensor_info info = tsl_model_output(model, i);
    ok = compare_output(&info, outputs[i], expected[i], options, result);
  }
  for (int i = 0; i < MAX_IO; i++) {
    tsl_tensor_data_release(owned[i]);
    tsl_tensor_data_release(expected[i]);
    free(outputs[i]);
  }
  return ok;
}

static void run_case(const test_case *c, const test_options *options, case_result *result) {
  char names[MAX_IO][256];
  int num_names = c->light ? 0 : graph_input_names(c->model, names, MAX_IO);
  tsl_onnx_binding bindings[MAX_IO];
  char paths[MAX_IO][4096];
  for (int k = 0; k < num_names; k++) {
    snprintf(paths[k], sizeof(paths[k]), "%s/test_data_set_0/input_%d.pb", c->folder, k);
    bindings[k] = (tsl_onnx_binding){.name = NULL, .position = k, .path = paths[k]};
  }
  tsl_onnx_options import = {.bindings = bindings, .num_bindings = num_names > 0 ? num_names : 0};
  tsl_error error;
  tsl_graph *graph = NULL;
  tsl_model *model = NULL;
  tsl_target target;
  tsl_status status = tsl_target_parse(options->target, &target, &error);
  if (!status) status = tsl_import_onnx(c->model, &import, &graph, &error);
  if (!status) status = tsl_compile_jit(graph, &target, NULL, &model, &error);
  if (status) {
    set_result(result, outcome_of(status), "%s", error.message);
    tsl_graph_free(graph);
    return;
  }
  set_result(result, PASSED, "%s", "");
  if (c->light) {
    run_data_set(model, c, c->folder, names, 0, options, result);
  } else {
    for (int set = 0;; set++) {
      char folder[4096];
      snprintf(folder, sizeof(folder), "%s/test_data_set_%d", c->folder, set);
      if (!is_folder(folder)) break;
      if (!run_data_set(model, c, folder, names, num_names, options, result)) break;
    }
  }
  tsl_model_free(model);
  tsl_graph_free(graph);
}

/* ---- running cases in children ----------------------------------------------------------- */

typedef struct running {
  pid_t pid;
  int channel;
  int index;
} running;

static pid_t start_case(const test_case *c, const test_options *options, int *channel) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    alarm(CASE_TIME_LIMIT);
    case_result result = {0};
    run_case(c, options, &result);
    ssize_t written = write(fds[1], &result, sizeof(result));
    (void)written;
    _exit(0);
  }
  close(fds[1]);
  *channel = fds[0];
  return pid;
}

/* Reads what a finished child reported; a child killed by a signal crashed or ran too long. */
static void collect_result(const running *r, int wait_status, case_result *result) {
  case_result received = {.outcome = FAILED};
  size_t got = 0;
  for (ssize_t n; got < sizeof(received) &&
                  (n = read(r->channel, (char *)&received + got, sizeof(received) - got)) > 0;) {
    got += (size_t)n;
  }
  close(r->channel);
  if (WIFSIGNALED(wait_status)) {
    set_result(result, FAILED, "crashed: %s%s", strsignal(WTERMSIG(wait_status)),
               WTERMSIG(wait_status) == SIGALRM ? " (time limit)" : "");
  } else if (got != sizeof(received)) {
    set_result(result, FAILED, "the case reported nothing (exit status %d)", WEXITSTATUS(wait_status));
  } else {
    *result = received;
  }
}

/* Up to `jobs` children at once; each writes its result into a pipe before it exits. */
static void run_all(const test_case *cases, int count, const test_options *options,
                    case_result *results) {
  running *slots = calloc((size_t)options->jobs, sizeof(running));
  int next = 0, active = 0;
  while (next < count || active > 0) {
    while (active < options->jobs && next < count) {
      running *r = &slots[active];
      r->index = next;
      r->pid = start_case(&cases[next], options, &r->channel);
      if (r->pid < 0) {
        set_result(&results[next++], FAILED, "cannot start a process: %s", strerror(errno));
        continue;
      }
      next++;
      active++;
    }
    int wait_status;
    pid_t done = waitpid(-1, &wait_status, 0);
    if (done < 0) break;
    for (int i = 0; i < active; i++) {
      if (slots[i].pid != done) continue;
      collect_result(&slots[i], wait_status, &results[slots[i].index]);
      slots[i] = slots[--active];
      break;
    }
  }
  free(slots);
}

/* ---- expected failures ------------------------------------------------------------------- */

/* The case names listed in the file at `path` (none without a path); false when it cannot be
 * read. */
static bool read_expected(const char *path, char ***names_out, int *count, tsl_error *error) {
  *names_out = NULL;
  *count = 0;
  if (!path) return true;
  FILE *file = fopen(path, "r");
  if (!file) {
    tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    return false;
  }
  char **names = NULL, line[1024];
  while (fgets(line, sizeof(line), file)) {
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *start = line, *end;
    while (*start == ' ' || *start == '\t') start++;
    for (end = start + strlen(start); end > start && strchr(" \t\r\n", end[-1]); end--) {}
    *end = '\0';
    if (!*start) continue;
    names = realloc(names, sizeof(char *) * (size_t)(*count + 1));
    names[(*count)++] = strdup(start);
  }
  fclose(file);
  *names_out = names;
  return true;
}

static bool listed(char **names, int count, const char *name) {
  for (int i = 0; i < count; i++) {
    if (strcmp(names[i], name) == 0) return true;
  }
  return false;
}

static int run(int argc, char **argv) {
  /* Cases run in forked children, so this process never starts the thread pool itself. */
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  test_options options = {.rtol = 1e-3, .atol = 1e-7, .target = "llvm", .jobs = cores > 0 ? (int)cores : 1};
  test_case *cases = NULL;
  int count = 0;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    bool takes_value = strcmp(arg, "--rtol") == 0 || strcmp(arg, "--atol") == 0 ||
                       strcmp(arg, "--expected-failures") == 0 || strcmp(arg, "--target") == 0 ||
                       strcmp(arg, "--jobs") == 0 || strcmp(arg, "--min-passed") == 0;
    if (takes_value && !value) return cli_usage_error(&tsl_command_test_onnx, "%s needs a value", arg);
    if (strcmp(arg, "--rtol") == 0) options.rtol = atof(argv[++i]);
    else if (strcmp(arg, "--atol") == 0) options.atol = atof(argv[++i]);
    else if (strcmp(arg, "--expected-failures") == 0) options.expected_failures = argv[++i];
    else if (strcmp(arg, "--target") == 0) options.target = argv[++i];
    else if (strcmp(arg, "--jobs") == 0) options.jobs = atoi(argv[++i]);
    else if (strcmp(arg, "--min-passed") == 0) options.min_passed = atoi(argv[++i]);
    else if (strcmp(arg, "--verbose") == 0) options.verbose = true;
    else if (arg[0] == '-' && arg[1]) return cli_usage_error(&tsl_command_test_onnx, "unknown option '%s'", arg);
    else if (!collect(arg, &cases, &count)) {
      fprintf(stderr, "tessel: error: %s: no ONNX test cases there\n", arg);
      return 2;
    }
  }
  if (count == 0) return cli_usage_error(&tsl_command_test_onnx, "no test cases given");
  if (options.jobs < 1) options.jobs = 1;
  tsl_error error;
  int num_expected;
  char **expected;
  if (!read_expected(options.expected_failures, &expected, &num_expected, &error)) {
    return cli_report(&error);
  }
  case_result *results = calloc((size_t)count, sizeof(case_result));
  run_all(cases, count, &options, results);
  int totals[3] = {0}, unexpected = 0, now_pass = 0;
  for (int i = 0; i < count; i++) {
    totals[results[i].outcome]++;
    bool known = listed(expected, num_expected, cases[i].name);
    if (results[i].outcome == FAILED) {
      printf("failed  %s: %s%s\n", cases[i].name, results[i].message, known ? " (expected)" : "");
      unexpected += !known;
    } else if (results[i].outcome == SKIPPED && options.verbose) {
      printf("skipped %s: %s\n", cases[i].name, results[i].message);
    }
    if (results[i].outcome == PASSED && known) {
      printf("now passes: %s (remove it from %s)\n", cases[i].name, options.expected_failures);
      now_pass++;
    }
  }
  printf("%d passed, %d failed, %d skipped\n", totals[PASSED], totals[FAILED], totals[SKIPPED]);
  if (unexpected) printf("%d failures are not in the expected-failures list\n", unexpected);
  bool too_few = totals[PASSED] < options.min_passed;
  if (too_few) printf("%d passed, fewer than the %d required\n", totals[PASSED], options.min_passed);
  for (int i = 0; i < count; i++) {
    free(cases[i].name);
    free(cases[i].folder);
    free(cases[i].model);
  }
  for (int i = 0; i < num_expected; i++) free(expected[i]);
  free(expected);
  free(cases);
  free(results);
  return unexpected || too_few ? 1 : 0;
}
