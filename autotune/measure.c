/* Candidates measured in worker processes (measure.h). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "autotune/measure.h"
#include "codegen/llvm/llvm.h"
#include "ir/check.h"
#include "passes/schedule/trace.h"
#include "passes/tir/tir_passes.h"

extern char **environ;

enum { LINE_LIMIT = 1 << 24 };

static double now_seconds(void) {
  struct timespec time;
  clock_gettime(CLOCK_MONOTONIC, &time);
  return (double)time.tv_sec + (double)time.tv_nsec * 1e-9;
}

/* ---- the worker -------------------------------------------------------------------------- */

/* A line of `in` (malloc'd, without its newline); NULL at the end. */
static char *read_line(FILE *in) {
  size_t capacity = 4096, length = 0;
  char *line = malloc(capacity);
  TSL_CHECK_ALLOC(line);
  int c;
  while ((c = fgetc(in)) != EOF && c != '\n') {
    if (length + 1 == capacity) {
      line = realloc(line, capacity *= 2);
      TSL_CHECK_ALLOC(line);
    }
    line[length++] = (char)c;
  }
  if (c == EOF && length == 0) {
    free(line);
    return NULL;
  }
  line[length] = '\0';
  return line;
}

/* A kernel compiled into this process. */
typedef struct compiled {
  tsl_jit *jit;
  void (*entry)(void *const *args);
} compiled;

/* Lowers the scheduled function (tsl_tir_lower) and compiles it. */
static tsl_status compile(tsl_primfunc *func, const tsl_target *target, compiled *out,
                          tsl_error *error) {
  tsl_tir_lower(func);
  tsl_llvm *llvm;
  TRY(tsl_llvm_new(target, "candidate", &llvm, error));
  tsl_status status = tsl_llvm_add_function(llvm, func, error);
  if (!status) status = tsl_llvm_optimize(llvm, error);
  if (status) {
    tsl_llvm_free(llvm);
    return status;
  }
  status = tsl_jit_new(llvm, &out->jit, error);
  tsl_llvm_free(llvm);
  if (status) return status;
  out->entry = (void (*)(void *const *))tsl_jit_lookup(out->jit, func->name);
  if (!out->entry) {
    tsl_jit_free(out->jit);
    return tsl_fail(error, TSL_ERROR_INTERNAL, "the kernel '%s' is not in its module", func->name);
  }
  return TSL_OK;
}

/* The parameters' buffers: inputs filled with the same numbers for every candidate, outputs
 * cleared before every run. */
typedef struct buffers {
  int count;
  void **data;
  size_t *bytes;
  const bool *is_output;
} buffers;

static size_t buffer_bytes(const tsl_buffer *buffer) {
  size_t elements = 1;
  for (int i = 0; i < buffer->rank; i++) elements *= (size_t)buffer->shape[i];
  return elements * tsl_dtype_size(buffer->dtype);
}

static void make_buffers(const tsl_primfunc *func, buffers *b) {
  b->count = func->num_params;
  b->data = calloc((size_t)b->count + 1, sizeof(void *));
  b->bytes = calloc((size_t)b->count + 1, sizeof(size_t));
  TSL_CHECK_ALLOC(b->data);
  TSL_CHECK_ALLOC(b->bytes);
  b->is_output = func->is_output;
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < b->count; i++) {
    const tsl_buffer *buffer = func->params[i];
    b->bytes[i] = buffer_bytes(buffer);
    /* Aligned to cache lines, as the runtime's buffers are: a vector load that straddles two
     * lines would time a different kernel. */
    size_t size = (b->bytes[i] + 64 + 63) / 64 * 64;
    b->data[i] = aligned_alloc(64, size);
    TSL_CHECK_ALLOC(b->data[i]);
    memset(b->data[i], 0, size);
    if (func->is_output[i] || buffer->dtype != TSL_DTYPE_F32) continue;
    float *values = b->data[i];
    for (size_t e = 0; e < b->bytes[i] / 4; e++) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      values[e] = (float)((state >> 40) % 2001) / 1000.0f - 1.0f;
    }
  }
}

static void free_buffers(buffers *b) {
  for (int i = 0; i < b->count; i++) free(b->data[i]);
  free(b->data);
  free(b->bytes);
}

static void run_once(const compiled *kernel, buffers *b) {
  for (int i = 0; i < b->count; i++) {
    if (b->is_output[i]) memset(b->data[i], 0, b->bytes[i]);
  }
  kernel->entry(b->data);
}

/* Whether the f32 outputs of `b` match `reference`'s within 1e-3 relative; the first
 * difference goes to `message`. */
static bool same_outputs(const buffers *b, void *const *reference, char *message, size_t size) {
  for (int i = 0; i < b->count; i++) {
    if (!b->is_output[i]) continue;
    const float *got = b->data[i], *want = reference[i];
    for (size_t e = 0; e < b->bytes[i] / 4; e++) {
      if (!(fabsf(got[e] - want[e]) <= 1e-3f * (1.0f + fabsf(want[e])))) {
        snprintf(message, size, "output %d: element %zu is %g, not %g", i, e, got[e], want[e]);
        return false;
      }
    }
  }
  return true;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Evicts every parameter's buffer but the first (the kernel's main input) from the caches,
 * as TVM's CPU runner does: in a model a kernel's activation input was just written by the
 * kernel before it, but its weights (and the rest) come from memory, and a schedule timed with
 * its weights hot in L2 would win here and lose in the model. */
static void flush_caches(const buffers *b) {
#if defined(__x86_64__) || defined(__aarch64__)
  for (int i = 1; i < b->count; i++) {
    const char *data = b->data[i];
    for (size_t at = 0; at < b->bytes[i]; at += 64) {
#if defined(__x86_64__)
      __builtin_ia32_clflush(data + at);
#else
      __asm__ __volatile__("dc civac, %0" : : "r"(data + at) : "memory");
#endif
    }
  }
#if defined(__x86_64__)
  __builtin_ia32_mfence();
#else
  __asm__ __volatile__("dsb ish" : : : "memory");
#endif
#else
  (void)b;
#endif
}

/* The median of runs repeated for at least min_seconds (at least 3, after one to warm up),
 * each timed alone after the caches are flushed (flush_caches). The outputs are not cleared
 * between runs: run_once checked the candidate already. */
static double time_runs(const compiled *kernel, buffers *b, double min_seconds) {
  double times[1024];
  int runs = 0;
  kernel->entry(b->data);
  double started = now_seconds();
  while (runs < 1024 && (runs < 3 || now_seconds() - started < min_seconds)) {
    flush_caches(b);
    double start = now_seconds();
    kernel->entry(b->data);
    times[runs++] = now_seconds() - start;
  }
  qsort(times, (size_t)runs, sizeof(double), compare_doubles);
  return times[runs / 2];
}

static void answer(FILE *out, json_t *result) {
  char *text = json_dumps(result, JSON_COMPACT);
  TSL_CHECK_ALLOC(text);
  fprintf(out, "%s\n", text);
  fflush(out);
  free(text);
  json_decref(result);
}

static void infer_regions(tsl_stmt *stmt, void *context) {
  if (stmt->kind == TSL_STMT_BLOCK) tsl_block_infer_regions(context, stmt);
}

/* TESSEL_MEASURE_FAULTS, for tests of the tuner's isolation: "crash@N,hang@N,wrong@N" makes
 * this worker's N-th candidate (from 1) crash, hang or compute a wrong output. */
static const char *fault_at(int candidate) {
  const char *faults = getenv("TESSEL_MEASURE_FAULTS");
  static const char *const kinds[] = {"crash", "hang", "wrong"};
  for (const char *at = faults; at && *at;) {
    for (int k = 0; k < 3; k++) {
      size_t length = strlen(kinds[k]);
      if (strncmp(at, kinds[k], length) == 0 && at[length] == '@' &&
          atoi(at + length + 1) == candidate)
        return kinds[k];
    }
    at = strchr(at, ',');
    if (at) at++;
  }
  return NULL;
}

/* One candidate: replayed, built, checked and timed. */
static json_t *measure_one(const tsl_primfunc *workload, const tsl_target *target, const char *line,
                           buffers *b, void *const *reference, double min_seconds) {
  tsl_trace *trace;
  tsl_error error;
  double started = now_seconds();
  if (tsl_trace_from_json(line, strlen(line), "candidate", &trace, &error)) {
    return json_pack("{s:s, s:s, s:f}", "error", "build", "message", error.message, "build_seconds",
                     0.0);
  }
  tsl_primfunc *func = tsl_primfunc_copy(workload);
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  tsl_status status = tsl_trace_replay(trace, &sch, &error);
  tsl_schedule_release(&sch);
  tsl_trace_free(trace);
  compiled kernel;
  if (!status) status = compile(func, target, &kernel, &error);
  tsl_primfunc_free(func);
  double build_seconds = now_seconds() - started;
  if (status) {
    return json_pack("{s:s, s:s, s:f}", "error", "build", "message", error.message, "build_seconds",
                     build_seconds);
  }
  json_t *result;
  char message[256];
  static int candidates;
  const char *fault = fault_at(++candidates);
  if (fault && strcmp(fault, "crash") == 0) raise(SIGKILL);
  while (fault && strcmp(fault, "hang") == 0) sleep(1);
  run_once(&kernel, b);
  for (int i = 0; fault && i < b->count; i++) {
    if (b->is_output[i]) ((float *)b->data[i])[0] += 1.0f;
  }
  if (!same_outputs(b, reference, message, sizeof(message))) {
    result = json_pack("{s:s, s:s, s:f}", "error", "wrong", "message", message, "build_seconds",
                       build_seconds);
  } else {
    result = json_pack("{s:f, s:f}", "seconds", time_runs(&kernel, b, min_seconds), "build_seconds",
                       build_seconds);
  }
  tsl_jit_free(kernel.jit);
  return result;
}

int tsl_measure_worker(FILE *in, FILE *out) {
  char *first = read_line(in);
  json_error_t parse_error;
  json_t *header = first ? json_loads(first, 0, &parse_error) : NULL;
  free(first);
  const char *text = json_string_value(json_object_get(header, "workload"));
  const char *target_text = json_string_value(json_object_get(header, "target"));
  double min_seconds = json_number_value(json_object_get(header, "min_seconds"));
  tsl_primfunc *workload = NULL;
  tsl_target target;
  tsl_error error;
  if (!text || !target_text) {
    fprintf(stderr, "tessel tune-worker: the first line names no workload and target\n");
    json_decref(header);
    return 2;
  }
  if (tsl_primfunc_parse(text, strlen(text), "workload", &workload, &error) ||
      tsl_target_parse(target_text, &target, &error) || tsl_llvm_complete_target(&target, &error)) {
    fprintf(stderr, "tessel tune-worker: %s\n", error.message);
    tsl_primfunc_free(workload);
    json_decref(header);
    return 2;
  }
  tsl_stmt_walk(workload->body, infer_regions, workload->arena);
  /* The reference: the default schedule's outputs. */
  buffers b;
  make_buffers(workload, &b);
  tsl_primfunc *reference_func = tsl_primfunc_copy(workload);
  tsl_default_schedule(reference_func, &target);
  compiled reference_kernel;
  if (compile(reference_func, &target, &reference_kernel, &error)) {
    fprintf(stderr, "tessel tune-worker: the default schedule: %s\n", error.message);
    return 1;
  }
  tsl_primfunc_free(reference_func);
  run_once(&reference_kernel, &b);
  void **reference = calloc((size_t)b.count + 1, sizeof(void *));
  TSL_CHECK_ALLOC(reference);
  for (int i = 0; i < b.count; i++) {
    if (!b.is_output[i]) continue;
    reference[i] = malloc(b.bytes[i] + 1);
    TSL_CHECK_ALLOC(reference[i]);
    memcpy(reference[i], b.data[i], b.bytes[i]);
  }
  tsl_jit_free(reference_kernel.jit);
  fprintf(out, "{\"ready\": true}\n");
  fflush(out);
  char *line;
  while ((line = read_line(in))) {
    if (*line) answer(out, measure_one(workload, &target, line, &b, reference, min_seconds));
    free(line);
  }
  for (int i = 0; i < b.count; i++) free(reference[i]);
  free(reference);
  free_buffers(&b);
  tsl_primfunc_free(workload);
  json_decref(header);
  return 0;
}

/* ---- the parent -------------------------------------------------------------------------- */

typedef struct worker {
  pid_t pid;
  FILE *to; /* its stdin */
  int from; /* its stdout */
  char buffer[1 << 16];
  size_t buffered;
} worker;

static tsl_status start_worker(const tsl_measure_options *options, const char *header, worker *w,
                               tsl_error *error) {
  char self[4096];
  const char *path = options->worker;
  if (!path) {
    ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (length <= 0)
      return tsl_fail(error, TSL_ERROR_INTERNAL, "cannot find the tessel executable");
    self[length] = '\0';
    path = self;
  }
  int to_child[2], from_child[2];
  if (pipe(to_child) || pipe(from_child))
    return tsl_fail(error, TSL_ERROR_INTERNAL, "cannot make pipes: %s", strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, to_child[1]);
  posix_spawn_file_actions_addclose(&actions, from_child[0]);
  char *argv[] = {(char *)path, "tune-worker", NULL};
  int spawned = posix_spawn(&w->pid, path, &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(to_child[0]);
  close(from_child[1]);
  if (spawned != 0) {
    close(to_child[1]);
    close(from_child[0]);
    return tsl_fail(error, TSL_ERROR_INTERNAL, "cannot start the measuring worker %s: %s", path,
                    strerror(spawned));
  }
  w->to = fdopen(to_child[1], "w");
  w->from = from_child[0];
  w->buffered = 0;
  fprintf(w->to, "%s\n", header);
  fflush(w->to);
  return TSL_OK;
}

static void stop_worker(worker *w, bool kill_it) {
  if (kill_it) kill(w->pid, SIGKILL);
  fclose(w->to);
  close(w->from);
  waitpid(w->pid, NULL, 0);
}

/* The worker's next line (into `line`) within `timeout` seconds: 1, 0 when it ended (exited or
 * crashed), -1 on the time limit. */
static int next_answer(worker *w, double timeout, char *line, size_t size) {
  double deadline = now_seconds() + timeout;
  for (;;) {
    char *newline = memchr(w->buffer, '\n', w->buffered);
    if (newline) {
      size_t length = (size_t)(newline - w->buffer);
      snprintf(line, size, "%.*s", (int)length, w->buffer);
      memmove(w->buffer, newline + 1, w->buffered - length - 1);
      w->buffered -= length + 1;
      return 1;
    }
    double left = deadline - now_seconds();
    if (left <= 0) return -1;
    struct pollfd poll_fd = {.fd = w->from, .events = POLLIN};
    int ready = poll(&poll_fd, 1, (int)(left * 1000) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;
    if (w->buffered == sizeof(w->buffer)) return 0;
    ssize_t got = read(w->from, w->buffer + w->buffered, sizeof(w->buffer) - w->buffered);
    if (got <= 0) return 0;
    w->buffered += (size_t)got;
  }
}

static void read_answer(const char *line, tsl_measured *result) {
  json_error_t parse_error;
  json_t *json = json_loads(line, 0, &parse_error);
  const char *error = json_string_value(json_object_get(json, "error"));
  result->build_seconds = json_number_value(json_object_get(json, "build_seconds"));
  result->seconds = json_number_value(json_object_get(json, "seconds"));
  result->error = !json ? "run" : !error ? NULL : strcmp(error, "wrong") == 0 ? "wrong" : "build";
  const char *message = json_string_value(json_object_get(json, "message"));
  snprintf(result->message, sizeof(result->message), "%s",
           message ? message
           : json  ? ""
                   : "the worker's answer is not JSON");
  json_decref(json);
}

tsl_status tsl_measure(const tsl_measure_options *options, const char *workload, const char *target,
                       int count, char *const *traces, tsl_measured *results, tsl_error *error) {
  json_t *header_json = json_pack("{s:s, s:s, s:f}", "workload", workload, "target", target,
                                  "min_seconds", options->min_seconds);
  char *header = json_dumps(header_json, JSON_COMPACT);
  json_decref(header_json);
  TSL_CHECK_ALLOC(header);
  /* SIGPIPE from a worker that died must not end the tuner. */
  struct sigaction ignore = {.sa_handler = SIG_IGN}, previous;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &previous);
  tsl_status status = TSL_OK;
  char *line = malloc(LINE_LIMIT);
  TSL_CHECK_ALLOC(line);
  for (int next = 0; next < count && !status;) {
    worker w;
    status = start_worker(options, header, &w, error);
    if (status) break;
    /* The worker parses the workload and builds its default schedule first: one that cannot
     * is no candidate's fault. */
    if (next_answer(&w, options->timeout, line, LINE_LIMIT) != 1 || !strstr(line, "\"ready\"")) {
      stop_worker(&w, true);
      status = tsl_fail(error, TSL_ERROR_INTERNAL,
                        "the measuring worker could not build the workload's default schedule");
      break;
    }
    /* One candidate at a time, so the time limit applies to it alone. */
    bool alive = true;
    while (next < count && alive) {
      json_error_t parse_error;
      json_t *trace = json_loads(traces[next], 0, &parse_error);
      char *compact = trace ? json_dumps(trace, JSON_COMPACT) : strdup("{}");
      json_decref(trace);
      fprintf(w.to, "%s\n", compact);
      fflush(w.to);
      free(compact);
      int got = next_answer(&w, options->timeout, line, LINE_LIMIT);
      tsl_measured *result = &results[next++];
      memset(result, 0, sizeof(*result));
      if (got == 1) {
        read_answer(line, result);
      } else {
        result->error = got < 0 ? "timeout" : "run";
        snprintf(result->message, sizeof(result->message), "%s",
                 got < 0 ? "ran past the time limit" : "the worker crashed running it");
        alive = false;
      }
    }
    stop_worker(&w, !alive);
  }
  sigaction(SIGPIPE, &previous, NULL);
  free(line);
  free(header);
  return status;
}
