/* Candidates measured in worker processes (measure.h). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The parameters' buffers: inputs filled with the same numbers for every candidate, outputs
 * cleared before every run. */
typedef struct buffers {
  int count;
  void **data;
  size_t *bytes;
  const bool *is_output;
  bool *cold; /* evicted from the caches before each timed run (flush_caches) */
} buffers;

static size_t buffer_bytes(const tsl_buffer *buffer) {
  return (size_t)tsl_buffer_elements(buffer) * tsl_dtype_size(buffer->dtype);
}

static void make_buffers(const tsl_primfunc *func, buffers *b) {
  b->count = func->num_params;
  b->data = calloc((size_t)b->count + 1, sizeof(void *));
  b->bytes = calloc((size_t)b->count + 1, sizeof(size_t));
  b->cold = calloc((size_t)b->count + 1, sizeof(bool));
  TSL_CHECK_ALLOC(b->data);
  TSL_CHECK_ALLOC(b->bytes);
  TSL_CHECK_ALLOC(b->cold);
  b->is_output = func->is_output;
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < b->count; i++) {
    const tsl_buffer *buffer = func->params[i];
    b->bytes[i] = buffer_bytes(buffer);
    b->cold[i] = i > 0;
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
  free(b->cold);
}

/* A kernel compiled into this process, and the arguments it runs on: the buffers of `buffers`,
 * but for the parameters its schedule packed (transform_layout), which get a copy of their
 * buffer packed so, as the compiler packs a weight. */
typedef struct compiled {
  tsl_jit *jit;
  void (*entry)(void *const *args);
  int count;
  void **args;
  size_t *arg_bytes;
  bool *packed; /* per param: args[i] is the kernel's packed copy */
} compiled;

static void bind_arguments(const tsl_primfunc *func, const buffers *b, compiled *out) {
  out->count = b->count;
  out->args = calloc((size_t)b->count + 1, sizeof(void *));
  out->arg_bytes = calloc((size_t)b->count + 1, sizeof(size_t));
  out->packed = calloc((size_t)b->count + 1, sizeof(bool));
  TSL_CHECK_ALLOC(out->args && out->arg_bytes && out->packed);
  for (int i = 0; i < b->count; i++) {
    out->args[i] = b->data[i];
    out->arg_bytes[i] = b->bytes[i];
    if (!func->packing[i]) continue;
    out->packed[i] = true;
    out->arg_bytes[i] = buffer_bytes(func->params[i]);
    out->args[i] = aligned_alloc(64, (out->arg_bytes[i] + 64 + 63) / 64 * 64);
    TSL_CHECK_ALLOC(out->args[i]);
    tsl_packing_apply(func->packing[i], tsl_dtype_size(func->params[i]->dtype), b->data[i],
                      out->args[i]);
  }
}

static void release_compiled(compiled *kernel) {
  for (int i = 0; i < kernel->count; i++) {
    if (kernel->packed[i]) free(kernel->args[i]);
  }
  free(kernel->args);
  free(kernel->arg_bytes);
  free(kernel->packed);
  tsl_jit_free(kernel->jit);
}

/* Lowers the scheduled function (tsl_tir_lower) and compiles it to run on `b`. */
static tsl_status compile(tsl_primfunc *func, const tsl_target *target, const buffers *b,
                          compiled *out, tsl_error *error) {
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
  bind_arguments(func, b, out);
  return TSL_OK;
}

static void run_once(const compiled *kernel, buffers *b) {
  for (int i = 0; i < b->count; i++) {
    if (b->is_output[i]) memset(b->data[i], 0, b->bytes[i]);
  }
  kernel->entry(kernel->args);
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

/* Evicts the buffers of the parameters that are cold in a model from the caches: its
 * constants (weights), which come from memory, while the activations were just written by the
 * kernels before and the output buffer was used by them. A schedule timed with its weights hot
 * in L2 would win here and lose in the model, and one timed with its activations cold would win
 * by what does not matter there. Without the model's constants, every buffer but the first
 * (TVM's CPU runner). */
static void flush_caches(const compiled *kernel, const bool *cold) {
#if defined(__x86_64__) || defined(__aarch64__)
  for (int i = 0; i < kernel->count; i++) {
    if (!cold[i]) continue;
    const char *data = kernel->args[i];
    for (size_t at = 0; at < kernel->arg_bytes[i]; at += 64) {
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
  (void)kernel;
  (void)cold;
#endif
}

/* The median of runs repeated for at least min_seconds (at least 3, after one to warm up),
 * each timed alone after the caches are flushed (flush_caches). The outputs are not cleared
 * between runs: run_once checked the candidate already. */
static double time_runs(const compiled *kernel, const bool *cold, double min_seconds) {
  double times[1024];
  int runs = 0;
  kernel->entry(kernel->args);
  double started = now_seconds();
  while (runs < 1024 && (runs < 3 || now_seconds() - started < min_seconds)) {
    flush_caches(kernel, cold);
    double start = now_seconds();
    kernel->entry(kernel->args);
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

static json_t *build_failure(const char *message, double build_seconds) {
  return json_pack("{s:s, s:s, s:f}", "error", "build", "message", message, "build_seconds",
                   build_seconds);
}

/* A candidate replayed on the workload and compiled into `kernel`; NULL, or the answer that
 * says why it does not build. */
static json_t *build_candidate(const tsl_primfunc *workload, const tsl_target *target,
                               const char *line, const buffers *b, compiled *kernel,
                               double *build_seconds) {
  tsl_trace *trace;
  tsl_error error;
  double started = now_seconds();
  *build_seconds = 0;
  if (tsl_trace_from_json(line, strlen(line), "candidate", &trace, &error))
    return build_failure(error.message, 0);
  tsl_primfunc *func = tsl_primfunc_copy(workload);
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  sch.target = target;
  tsl_status status = tsl_trace_replay(trace, &sch, &error);
  tsl_schedule_release(&sch);
  tsl_trace_free(trace);
  if (!status) status = compile(func, target, b, kernel, &error);
  tsl_primfunc_free(func);
  *build_seconds = now_seconds() - started;
  return status ? build_failure(error.message, *build_seconds) : NULL;
}

/* A built candidate checked against the reference and timed; `fault` (tests: NULL, "crash",
 * "hang" or "wrong") makes it fail. */
static json_t *time_candidate(const compiled *kernel, buffers *b, void *const *reference,
                              double min_seconds, const char *fault) {
  if (fault && strcmp(fault, "crash") == 0) raise(SIGKILL);
  while (fault && strcmp(fault, "hang") == 0) sleep(1);
  run_once(kernel, b);
  for (int i = 0; fault && strcmp(fault, "wrong") == 0 && i < b->count; i++) {
    if (b->is_output[i]) ((float *)b->data[i])[0] += 1.0f;
  }
  char message[256];
  if (!same_outputs(b, reference, message, sizeof(message)))
    return json_pack("{s:s, s:s}", "error", "wrong", "message", message);
  return json_pack("{s:f}", "seconds", time_runs(kernel, b->cold, min_seconds));
}

/* One candidate line: built and answered, then, once the parent's next line asks for it,
 * timed. Returns the worker's exit status when the parent broke the protocol, else 0. */
static int serve_candidate(const tsl_primfunc *workload, const tsl_target *target, const char *line,
                           FILE *in, FILE *out, buffers *b, void *const *reference,
                           double min_seconds) {
  compiled kernel;
  double build_seconds;
  json_t *failure = build_candidate(workload, target, line, b, &kernel, &build_seconds);
  if (failure) {
    answer(out, failure);
    return 0;
  }
  answer(out, json_pack("{s:b, s:f}", "built", 1, "build_seconds", build_seconds));
  char *request = read_line(in);
  json_error_t parse_error;
  json_t *run = request ? json_loads(request, 0, &parse_error) : NULL;
  int status = 0;
  if (json_is_true(json_object_get(run, "run"))) {
    const char *fault = json_string_value(json_object_get(run, "fault"));
    answer(out, time_candidate(&kernel, b, reference, min_seconds, fault));
  } else if (request) {
    fprintf(stderr, "tessel tune-worker: a built candidate waits for {\"run\": true}, not %.80s\n",
            request);
    status = 2;
  }
  free(request);
  json_decref(run);
  release_compiled(&kernel);
  return status;
}

/* The default schedule's outputs in the file open as `fd` (the tuner's, which every worker
 * inherits, already unlinked so that nothing is left behind however the tuner ends), read or
 * written from its start. */
static bool transfer_reference(int fd, bool write, const buffers *b, void *const *reference) {
  off_t offset = 0;
  errno = 0;
  for (int i = 0; i < b->count; i++) {
    if (!b->is_output[i]) continue;
    for (size_t done = 0; done < b->bytes[i];) {
      char *at = (char *)reference[i] + done;
      ssize_t moved = write ? pwrite(fd, at, b->bytes[i] - done, offset)
                            : pread(fd, at, b->bytes[i] - done, offset);
      if (moved <= 0 && !(moved < 0 && errno == EINTR)) return false;
      if (moved > 0) done += (size_t)moved, offset += moved;
    }
  }
  struct stat status;
  return write || (fstat(fd, &status) == 0 && status.st_size == offset);
}

/* The reference every candidate's outputs are checked against, the default schedule's: read
 * from the file open as the header's "load_reference", or built and run here (and saved in
 * the file open as "save_reference" when the header names one). */
static tsl_status make_reference(const tsl_primfunc *workload, const tsl_target *target,
                                 const json_t *header, buffers *b, void **reference,
                                 tsl_error *error) {
  for (int i = 0; i < b->count; i++) {
    if (!b->is_output[i]) continue;
    reference[i] = malloc(b->bytes[i] + 1);
    TSL_CHECK_ALLOC(reference[i]);
  }
  const json_t *load = json_object_get(header, "load_reference");
  const json_t *save = json_object_get(header, "save_reference");
  if (json_is_integer(load)) {
    if (transfer_reference((int)json_integer_value(load), false, b, reference)) return TSL_OK;
    return tsl_fail(error, TSL_ERROR_INPUT, "cannot read the default schedule's outputs: %s",
                    errno ? strerror(errno) : "the file is not as long as they are");
  }
  tsl_primfunc *func = tsl_primfunc_copy(workload);
  tsl_default_schedule(func, target);
  compiled kernel;
  tsl_status status = compile(func, target, b, &kernel, error);
  tsl_primfunc_free(func);
  if (status) {
    tsl_error_prefix(error, "the default schedule: ");
    return status;
  }
  run_once(&kernel, b);
  release_compiled(&kernel);
  for (int i = 0; i < b->count; i++) {
    if (b->is_output[i]) memcpy(reference[i], b->data[i], b->bytes[i]);
  }
  if (!json_is_integer(save) ||
      transfer_reference((int)json_integer_value(save), true, b, reference))
    return TSL_OK;
  return tsl_fail(error, TSL_ERROR_INPUT, "cannot save the default schedule's outputs: %s",
                  strerror(errno));
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
  buffers b;
  make_buffers(workload, &b);
  const json_t *constants = json_object_get(header, "constants");
  if (json_is_array(constants)) {
    for (int i = 0; i < b.count; i++) b.cold[i] = false;
    size_t index;
    const json_t *value;
    json_array_foreach(constants, index, value) {
      json_int_t param = json_integer_value(value);
      if (param >= 0 && param < b.count) b.cold[param] = true;
    }
  }
  void **reference = calloc((size_t)b.count + 1, sizeof(void *));
  TSL_CHECK_ALLOC(reference);
  int status = 0;
  if (make_reference(workload, &target, header, &b, reference, &error)) {
    fprintf(stderr, "tessel tune-worker: %s\n", error.message);
    status = 1;
  } else {
    fprintf(out, "{\"ready\": true}\n");
    fflush(out);
  }
  char *line;
  while (!status && (line = read_line(in))) {
    if (*line)
      status = serve_candidate(workload, &target, line, in, out, &b, reference, min_seconds);
    free(line);
  }
  for (int i = 0; i < b.count; i++) free(reference[i]);
  free(reference);
  free_buffers(&b);
  tsl_primfunc_free(workload);
  json_decref(header);
  return status;
}

/* ---- the parent -------------------------------------------------------------------------- */

typedef struct worker {
  pid_t pid;
  bool alive;
  FILE *to; /* its stdin */
  int from; /* its stdout */
  char buffer[1 << 16];
  size_t buffered;
  bool starting; /* started, its "ready" not read yet */
  bool waiting;  /* holds a built candidate that has not run */
  double sent;   /* when it was started, or given its candidate */
} worker;

/* A pipe whose ends a later worker does not inherit: a worker holding another's stdin open would
 * keep that one from ever reading its end. */
static bool make_pipe(int ends[2]) {
  if (pipe(ends)) return false;
  fcntl(ends[0], F_SETFD, FD_CLOEXEC);
  fcntl(ends[1], F_SETFD, FD_CLOEXEC);
  return true;
}

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
  if (!make_pipe(to_child)) {
    return tsl_fail(error, TSL_ERROR_INTERNAL, "cannot make pipes: %s", strerror(errno));
  }
  if (!make_pipe(from_child)) {
    close(to_child[0]);
    close(to_child[1]);
    return tsl_fail(error, TSL_ERROR_INTERNAL, "cannot make pipes: %s", strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
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
  w->alive = true;
  w->starting = true;
  w->waiting = false;
  w->sent = now_seconds();
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
  w->alive = false;
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

/* Waits until the worker has its reference: built the default schedule, or read its outputs. */
static tsl_status await_ready(const tsl_measure_options *options, worker *w, char *line,
                              tsl_error *error) {
  w->starting = false;
  double left = options->timeout - (now_seconds() - w->sent);
  /* One that cannot parse the workload or build its default schedule: no candidate's fault. */
  if (next_answer(w, left, line, LINE_LIMIT) != 1 || !strstr(line, "\"ready\"")) {
    return tsl_fail(error, TSL_ERROR_INTERNAL,
                    "the measuring worker could not build the workload's default schedule");
  }
  return TSL_OK;
}

/* The two first lines a worker may be given: the first one to start builds the reference and
 * saves its outputs in a file, which the others read instead of building it again. */
typedef struct headers {
  char *save, *load;
  bool saved;
} headers;

/* Starts those of the first `count` workers that are not running and waits until each has its
 * reference; the first worker ever started saves it, and then the others start at once. */
static tsl_status start_workers(const tsl_measure_options *options, headers *h, worker *workers,
                                int count, char *line, tsl_error *error) {
  for (int i = 0; i < count; i++) {
    if (workers[i].alive) continue;
    TRY(start_worker(options, h->saved ? h->load : h->save, &workers[i], error));
    if (!h->saved) {
      TRY(await_ready(options, &workers[i], line, error));
      h->saved = true;
    }
  }
  for (int i = 0; i < count; i++) {
    if (workers[i].starting) TRY(await_ready(options, &workers[i], line, error));
  }
  return TSL_OK;
}

/* The first line for a worker: the workload, the target, and the descriptor of the file the
 * reference is saved in (key "save_reference") or to be read from ("load_reference"). */
static char *worker_header(const tsl_measure_options *options, const char *workload,
                           const char *target, const bool *constants, int num_params,
                           const char *reference_key, int reference_fd) {
  json_t *json = json_pack("{s:s, s:s, s:f, s:i}", "workload", workload, "target", target,
                           "min_seconds", options->min_seconds, reference_key, reference_fd);
  TSL_CHECK_ALLOC(json);
  if (constants) {
    json_t *list = json_array();
    TSL_CHECK_ALLOC(list);
    for (int i = 0; i < num_params; i++) {
      if (constants[i]) json_array_append_new(list, json_integer(i));
    }
    json_object_set_new(json, "constants", list);
  }
  char *text = json_dumps(json, JSON_COMPACT);
  json_decref(json);
  TSL_CHECK_ALLOC(text);
  return text;
}

/* The worker's answer `line` to a candidate (to its build, or its run when `ran`) into
 * `result`; whether it was built and waits to run. A worker that answers outside the protocol
 * is stopped. */
static bool read_answer(worker *w, const char *line, bool ran, tsl_measured *result) {
  json_error_t parse_error;
  json_t *json = json_loads(line, 0, &parse_error);
  const char *error = json_string_value(json_object_get(json, "error"));
  const char *message = json_string_value(json_object_get(json, "message"));
  json_t *seconds = json_object_get(json, "seconds");
  bool built = !ran && json_is_true(json_object_get(json, "built"));
  if (!ran) result->build_seconds = json_number_value(json_object_get(json, "build_seconds"));
  if (error) {
    result->error = strcmp(error, "wrong") == 0 ? "wrong" : "build";
  } else if (ran && json_is_number(seconds)) {
    result->seconds = json_number_value(seconds);
  } else if (!built) {
    result->error = "run";
    message = json ? "the worker's answer is not one of its protocol's"
                   : "the worker's answer is not JSON";
    stop_worker(w, true);
  }
  snprintf(result->message, sizeof(result->message), "%s", message ? message : "");
  json_decref(json);
  return built;
}

/* The candidate is lost with its worker, which crashed (got 0) or ran past the time limit
 * (building it or, when `ran`, running it). */
static void lose_worker(worker *w, int got, bool ran, tsl_measured *result) {
  result->error = got < 0 ? "timeout" : "run";
  snprintf(result->message, sizeof(result->message), "%s",
           got < 0 && ran ? "ran past the time limit"
           : got < 0      ? "its build ran past the time limit"
           : ran          ? "the worker crashed running it"
                          : "the worker crashed building it");
  stop_worker(w, true);
}

static void send_line(worker *w, const char *text) {
  fprintf(w->to, "%s\n", text);
  fflush(w->to);
}

/* Gives the worker a candidate to build. */
static void send_candidate(worker *w, const char *trace, tsl_measured *result) {
  json_error_t parse_error;
  json_t *json = json_loads(trace, 0, &parse_error);
  char *compact = json ? json_dumps(json, JSON_COMPACT) : strdup("{}");
  json_decref(json);
  TSL_CHECK_ALLOC(compact);
  memset(result, 0, sizeof(*result));
  w->sent = now_seconds();
  send_line(w, compact);
  free(compact);
}

/* Waits for the worker's candidate to be built, within the time limit. */
static void await_build(const tsl_measure_options *options, worker *w, char *line,
                        tsl_measured *result) {
  int got = next_answer(w, options->timeout - (now_seconds() - w->sent), line, LINE_LIMIT);
  if (got != 1)
    lose_worker(w, got, false, result);
  else
    w->waiting = read_answer(w, line, false, result);
}

/* Lets the worker time its built candidate, in what its build left of the time limit. */
static void run_built(const tsl_measure_options *options, worker *w, const char *fault, char *line,
                      tsl_measured *result) {
  char request[64];
  snprintf(request, sizeof(request), "{\"run\": true%s%s%s}", fault ? ", \"fault\": \"" : "",
           fault ? fault : "", fault ? "\"" : "");
  w->waiting = false;
  send_line(w, request);
  int got = next_answer(w, options->timeout - result->build_seconds, line, LINE_LIMIT);
  if (got != 1)
    lose_worker(w, got, true, result);
  else
    read_answer(w, line, true, result);
}

/* TESSEL_MEASURE_FAULTS, for tests of the tuner's isolation: "crash@N,hang@N,wrong@N" makes the
 * N-th candidate this process measures (from 1) crash, hang or compute a wrong output. */
static const char *fault_at(long long candidate) {
  const char *faults = getenv("TESSEL_MEASURE_FAULTS");
  static const char *const kinds[] = {"crash", "hang", "wrong"};
  for (const char *at = faults; at && *at;) {
    for (int k = 0; k < 3; k++) {
      size_t length = strlen(kinds[k]);
      if (strncmp(at, kinds[k], length) == 0 && at[length] == '@' &&
          atoll(at + length + 1) == candidate)
        return kinds[k];
    }
    at = strchr(at, ',');
    if (at) at++;
  }
  return NULL;
}

tsl_status tsl_measure(const tsl_measure_options *options, const char *workload, const char *target,
                       const bool *constants, int num_params, int count, char *const *traces,
                       tsl_measured *results, tsl_error *error) {
  /* Candidates measured by this process before, to number them for TESSEL_MEASURE_FAULTS. */
  static long long measured_before;
  const char *folder = getenv("TMPDIR");
  char reference_path[4096];
  snprintf(reference_path, sizeof(reference_path), "%s/tessel-reference-XXXXXX",
           folder && *folder ? folder : "/tmp");
  /* Unlinked at once: the workers inherit the descriptor, and a tuner killed at any point
   * leaves no file behind. */
  int reference_file = mkstemp(reference_path);
  if (reference_file < 0) {
    return tsl_fail(error, TSL_ERROR_INTERNAL, "cannot make a file like %s: %s", reference_path,
                    strerror(errno));
  }
  unlink(reference_path);
  headers h = {
      .save = worker_header(options, workload, target, constants, num_params, "save_reference",
                            reference_file),
      .load = worker_header(options, workload, target, constants, num_params, "load_reference",
                            reference_file),
  };
  /* SIGPIPE from a worker that died must not end the tuner. */
  struct sigaction ignore = {.sa_handler = SIG_IGN}, previous;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &previous);
  int jobs = options->jobs < 1 ? 1 : options->jobs < count ? options->jobs : count;
  worker *workers = calloc((size_t)jobs + 1, sizeof(worker));
  char *line = malloc(LINE_LIMIT);
  TSL_CHECK_ALLOC(workers);
  TSL_CHECK_ALLOC(line);
  tsl_status status = TSL_OK;
  /* Rounds: every worker builds a candidate at once (a worker lost in the round before is
   * replaced first); then, with nothing building, they run one at a time. */
  for (int next = 0; next < count && !status;) {
    int round = count - next < jobs ? count - next : jobs;
    status = start_workers(options, &h, workers, round, line, error);
    for (int i = 0; i < round && !status; i++)
      send_candidate(&workers[i], traces[next + i], &results[next + i]);
    for (int i = 0; i < round && !status; i++)
      await_build(options, &workers[i], line, &results[next + i]);
    for (int i = 0; i < round && !status; i++) {
      if (workers[i].waiting)
        run_built(options, &workers[i], fault_at(measured_before + next + i + 1), line,
                  &results[next + i]);
    }
    next += round;
  }
  measured_before += count;
  for (int i = 0; i < jobs; i++) {
    if (workers[i].alive) stop_worker(&workers[i], status != TSL_OK);
  }
  sigaction(SIGPIPE, &previous, NULL);
  close(reference_file);
  free(workers);
  free(line);
  free(h.save);
  free(h.load);
  return status;
}
