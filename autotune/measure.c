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
#include "autotune/rpc.h"
#include "codegen/llvm/llvm.h"
#include "ir/check.h"
#include "passes/schedule/trace.h"
#include "passes/tir/tir_passes.h"
#include "runtime/internal.h"
#include "runtime/npy.h"
#include "runtime/timing.h"

extern char **environ;

enum { LINE_LIMIT = 1 << 24 };

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
  void *arena; /* every buffer, in huge pages as a model's workspace is (tsl_alloc_large) */
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
  /* Aligned to cache lines, as the runtime's buffers are: a vector load that straddles two
   * lines would time a different kernel. */
  size_t total = 0;
  for (int i = 0; i < b->count; i++) {
    b->bytes[i] = buffer_bytes(func->params[i]);
    total += (b->bytes[i] + 64 + 63) / 64 * 64;
  }
  b->arena = tsl_alloc_large(total + 64);
  TSL_CHECK_ALLOC(b->arena);
  memset(b->arena, 0, total);
  uint64_t state = 0x9e3779b97f4a7c15ull;
  size_t offset = 0;
  for (int i = 0; i < b->count; i++) {
    const tsl_buffer *buffer = func->params[i];
    b->cold[i] = i > 0;
    b->data[i] = (char *)b->arena + offset;
    offset += (b->bytes[i] + 64 + 63) / 64 * 64;
    if (func->is_output[i] || buffer->dtype != TSL_DTYPE_F32) continue;
    float *values = b->data[i];
    for (size_t e = 0; e < b->bytes[i] / 4; e++) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      values[e] = (float)((state >> 40) % 2001) / 1000.0f - 1.0f;
    }
  }
}

static void free_buffers(buffers *b) {
  free(b->arena);
  free(b->data);
  free(b->bytes);
  free(b->cold);
}

/* A kernel compiled into this process, or loaded on the board (`rpc`), and the arguments it
 * runs on: the buffers of `buffers`, but for the parameters its schedule packed
 * (transform_layout), which get a copy of their buffer packed so, as the compiler packs a
 * weight. */
typedef struct compiled {
  tsl_jit *jit;
  tsl_kernel_entry entry;
  tsl_rpc *rpc; /* the board's connection, not owned; NULL: the kernel runs here */
  int count;
  void **args;
  size_t *arg_bytes;
  void *packed;   /* the packed copies, in huge pages (tsl_alloc_large) */
  bool *unpacked; /* per param: args[i] is the buffer's, the same for every candidate, not a
                   * packed copy */
} compiled;

static void bind_arguments(const tsl_primfunc *func, const buffers *b, compiled *out) {
  out->count = b->count;
  out->args = calloc((size_t)b->count + 1, sizeof(void *));
  out->arg_bytes = calloc((size_t)b->count + 1, sizeof(size_t));
  out->unpacked = calloc((size_t)b->count + 1, sizeof(bool));
  TSL_CHECK_ALLOC(out->args && out->arg_bytes && out->unpacked);
  size_t total = 0;
  for (int i = 0; i < b->count; i++) {
    if (func->packing[i]) total += (buffer_bytes(func->params[i]) + 64 + 63) / 64 * 64;
  }
  out->packed = total ? tsl_alloc_large(total) : NULL;
  TSL_CHECK_ALLOC(out->packed || !total);
  size_t offset = 0;
  for (int i = 0; i < b->count; i++) {
    out->args[i] = b->data[i];
    out->arg_bytes[i] = b->bytes[i];
    out->unpacked[i] = !func->packing[i];
    if (!func->packing[i]) continue;
    out->arg_bytes[i] = buffer_bytes(func->params[i]);
    out->args[i] = (char *)out->packed + offset;
    offset += (out->arg_bytes[i] + 64 + 63) / 64 * 64;
    tsl_packing_apply(func->packing[i], tsl_dtype_size(func->params[i]->dtype), b->data[i],
                      out->args[i]);
  }
}

static void release_compiled(compiled *kernel) {
  free(kernel->args);
  free(kernel->arg_bytes);
  free(kernel->packed);
  free(kernel->unpacked);
  tsl_jit_free(kernel->jit);
}

/* A new file TMPDIR/tessel-STEM-XXXXXX (path: 4096 bytes), open as *fd. */
static tsl_status temporary_file(const char *stem, char *path, int *fd, tsl_error *error) {
  const char *folder = getenv("TMPDIR");
  snprintf(path, 4096, "%s/tessel-%s-XXXXXX", folder && *folder ? folder : "/tmp", stem);
  *fd = mkstemp(path);
  if (*fd >= 0) return TSL_OK;
  return tsl_fail(error, TSL_ERROR_INTERNAL, "cannot make a file like %s: %s", path,
                  strerror(errno));
}

/* The module as a shared library for the board: its bytes (malloc'd), through an object file
 * and a library in TMPDIR that are removed at once. */
static tsl_status shared_library(tsl_llvm *llvm, const tsl_target *target, unsigned char **bytes,
                                 size_t *size, tsl_error *error) {
  char object[4096], library[4096 + 8];
  int fd;
  TRY(temporary_file("candidate", object, &fd, error));
  close(fd);
  snprintf(library, sizeof(library), "%s.so", object);
  tsl_status status = tsl_llvm_emit_object(llvm, object, error);
  if (!status) status = tsl_link_shared(target, object, library, error);
  if (!status) status = tsl_read_file(library, bytes, size, error);
  unlink(object);
  unlink(library);
  return status;
}

/* Builds the module for the board, loads it there and gives it the kernel's arguments. */
static tsl_status load_on_board(tsl_llvm *llvm, const tsl_primfunc *func, const tsl_target *target,
                                const buffers *b, compiled *out, tsl_error *error) {
  unsigned char *library;
  size_t size;
  tsl_status status = shared_library(llvm, target, &library, &size, error);
  tsl_llvm_free(llvm);
  if (status) return status;
  status = tsl_rpc_load(out->rpc, func->name, library, size, error);
  free(library);
  if (status) return status;
  bind_arguments(func, b, out);
  status = tsl_rpc_set_args(out->rpc, out->count, out->args, out->arg_bytes, b->is_output,
                            out->unpacked, b->cold, error);
  if (status) release_compiled(out);
  return status;
}

/* Lowers the scheduled function (tsl_tir_lower) and compiles it to run on `b`: into this
 * process, or, with a board's connection, for the board and loaded there. */
static tsl_status compile(tsl_primfunc *func, const tsl_target *target, tsl_rpc *rpc,
                          const buffers *b, compiled *out, tsl_error *error) {
  *out = (compiled){.rpc = rpc};
  tsl_tir_lower(func);
  tsl_llvm *llvm;
  TRY(tsl_llvm_new(target, "candidate", &llvm, error));
  tsl_status status = tsl_llvm_add_function(llvm, func, error);
  if (!status) status = tsl_llvm_optimize(llvm, error);
  if (status) {
    tsl_llvm_free(llvm);
    return status;
  }
  if (rpc) return load_on_board(llvm, func, target, b, out, error);
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

/* Runs the kernel once, its outputs cleared before, into `b`'s outputs. */
static tsl_status run_once(const compiled *kernel, buffers *b, double timeout, tsl_error *error) {
  if (kernel->rpc) return tsl_rpc_run(kernel->rpc, timeout, error);
  for (int i = 0; i < b->count; i++) {
    if (b->is_output[i]) memset(b->data[i], 0, b->bytes[i]);
  }
  kernel->entry(kernel->args);
  return TSL_OK;
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

/* The median time of the kernel (tsl_time_kernel), here or on the board. The outputs are not
 * cleared between runs: run_once checked the candidate already. */
static tsl_status time_runs(const compiled *kernel, const bool *cold, double min_seconds,
                            double timeout, double *seconds, tsl_error *error) {
  if (kernel->rpc) return tsl_rpc_time(kernel->rpc, min_seconds, timeout, seconds, error);
  *seconds = tsl_time_kernel(kernel->entry, kernel->count, kernel->args, kernel->arg_bytes, cold,
                             min_seconds);
  return TSL_OK;
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

/* What a worker measures with: the workload on its target, the buffers its candidates run on,
 * the reference their outputs are checked against, and the board's connection when they run
 * there. */
typedef struct session {
  const tsl_primfunc *workload;
  tsl_target target;
  tsl_rpc *rpc;
  buffers b;
  void **reference;
  compiled anchor; /* the default schedule, which each candidate is timed beside; here only */
  bool anchored;
  double min_seconds, timeout;
} session;

static json_t *failure(const char *kind, const char *message, double build_seconds) {
  return json_pack("{s:s, s:s, s:f}", "error", kind, "message", message, "build_seconds",
                   build_seconds);
}

/* A candidate replayed on the workload and compiled into `kernel`; NULL, or the answer that
 * says why it does not build. */
static json_t *build_candidate(session *s, const char *line, compiled *kernel,
                               double *build_seconds) {
  tsl_trace *trace;
  tsl_error error;
  double started = tsl_now_seconds();
  *build_seconds = 0;
  if (tsl_trace_from_json(line, strlen(line), "candidate", &trace, &error))
    return failure("build", error.message, 0);
  tsl_primfunc *func = tsl_primfunc_copy(s->workload);
  tsl_schedule sch;
  tsl_schedule_init(&sch, func);
  sch.target = &s->target;
  tsl_status status = tsl_trace_replay(trace, &sch, &error);
  tsl_schedule_release(&sch);
  tsl_trace_free(trace);
  if (!status) status = compile(func, &s->target, s->rpc, &s->b, kernel, &error);
  tsl_primfunc_free(func);
  *build_seconds = tsl_now_seconds() - started;
  if (!status) return NULL;
  /* The board's connection lost while loading: the candidate did not run. */
  return failure(s->rpc && tsl_rpc_lost(s->rpc) ? "run" : "build", error.message, *build_seconds);
}

/* The "slow" fault: each run of the candidate and of the default schedule takes twice its
 * time, as on a machine twice as slow (the second half spent waiting). */
static tsl_kernel_entry slowed_entries[2];
static void run_slowly(int which, void *const *args) {
  double started = tsl_now_seconds();
  slowed_entries[which](args);
  double spent = tsl_now_seconds() - started;
  while (tsl_now_seconds() - started < 2 * spent) continue;
}
static void run_first_slowly(void *const *args) { run_slowly(0, args); }
static void run_second_slowly(void *const *args) { run_slowly(1, args); }

/* A built candidate checked against the reference and timed; `fault` (tests: NULL, "crash",
 * "hang", "wrong" or "slow") makes it fail or slows it. */
static json_t *time_candidate(session *s, const compiled *kernel, const char *fault) {
  if (fault && strcmp(fault, "crash") == 0) raise(SIGKILL);
  while (fault && strcmp(fault, "hang") == 0) sleep(1);
  tsl_error error;
  if (run_once(kernel, &s->b, s->timeout, &error)) return failure("run", error.message, 0);
  for (int i = 0; fault && strcmp(fault, "wrong") == 0 && i < s->b.count; i++) {
    if (s->b.is_output[i]) ((float *)s->b.data[i])[0] += 1.0f;
  }
  char message[256];
  if (!same_outputs(&s->b, s->reference, message, sizeof(message)))
    return json_pack("{s:s, s:s}", "error", "wrong", "message", message);
  if (s->anchored) {
    /* Beside the default schedule, run for run: what slows this machine slows both. */
    double medians[2];
    tsl_timed_kernel pair[2] = {
        {kernel->entry, kernel->count, kernel->args, kernel->arg_bytes, s->b.cold},
        {s->anchor.entry, s->anchor.count, s->anchor.args, s->anchor.arg_bytes, s->b.cold}};
    if (fault && strcmp(fault, "slow") == 0) {
      slowed_entries[0] = pair[0].entry, slowed_entries[1] = pair[1].entry;
      pair[0].entry = run_first_slowly, pair[1].entry = run_second_slowly;
    }
    tsl_time_kernels(pair, 2, s->min_seconds, medians);
    return json_pack("{s:f, s:f}", "seconds", medians[0], "default_seconds", medians[1]);
  }
  double seconds;
  if (time_runs(kernel, s->b.cold, s->min_seconds, s->timeout, &seconds, &error))
    return failure("run", error.message, 0);
  return json_pack("{s:f}", "seconds", seconds);
}

/* One candidate line: built and answered, then, once the parent's next line asks for it,
 * timed. Returns the worker's exit status when the parent broke the protocol or the board's
 * connection was lost, else 0. */
static int serve_candidate(session *s, const char *line, FILE *in, FILE *out) {
  compiled kernel;
  double build_seconds;
  json_t *refused = build_candidate(s, line, &kernel, &build_seconds);
  if (refused) {
    answer(out, refused);
    return s->rpc && tsl_rpc_lost(s->rpc);
  }
  answer(out, json_pack("{s:b, s:f}", "built", 1, "build_seconds", build_seconds));
  char *request = read_line(in);
  json_error_t parse_error;
  json_t *run = request ? json_loads(request, 0, &parse_error) : NULL;
  int status = 0;
  if (json_is_true(json_object_get(run, "run"))) {
    const char *fault = json_string_value(json_object_get(run, "fault"));
    answer(out, time_candidate(s, &kernel, fault));
    status = s->rpc && tsl_rpc_lost(s->rpc);
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
 * the file open as "save_reference" when the header names one). Candidates that run here are
 * timed beside the default schedule, which is built here for that in any case. */
static tsl_status make_reference(session *s, const json_t *header, tsl_error *error) {
  buffers *b = &s->b;
  for (int i = 0; i < b->count; i++) {
    if (!b->is_output[i]) continue;
    s->reference[i] = malloc(b->bytes[i] + 1);
    TSL_CHECK_ALLOC(s->reference[i]);
  }
  const json_t *load = json_object_get(header, "load_reference");
  const json_t *save = json_object_get(header, "save_reference");
  bool loaded = json_is_integer(load);
  if (loaded && !transfer_reference((int)json_integer_value(load), false, b, s->reference)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "cannot read the default schedule's outputs: %s",
                    errno ? strerror(errno) : "the file is not as long as they are");
  }
  if (loaded && s->rpc) return TSL_OK;
  tsl_primfunc *func = tsl_primfunc_copy(s->workload);
  tsl_default_schedule(func, &s->target);
  compiled kernel;
  tsl_status status = compile(func, &s->target, s->rpc, b, &kernel, error);
  tsl_primfunc_free(func);
  if (!status) {
    if (!loaded) status = run_once(&kernel, b, s->timeout, error);
    if (!status && !s->rpc) {
      s->anchor = kernel;
      s->anchored = true;
    } else {
      release_compiled(&kernel);
    }
  }
  if (loaded && !status) return TSL_OK;
  if (status) {
    tsl_error_prefix(error, "the default schedule: ");
    return status;
  }
  for (int i = 0; i < b->count; i++) {
    if (b->is_output[i]) memcpy(s->reference[i], b->data[i], b->bytes[i]);
  }
  if (!json_is_integer(save) ||
      transfer_reference((int)json_integer_value(save), true, b, s->reference))
    return TSL_OK;
  return tsl_fail(error, TSL_ERROR_INPUT, "cannot save the default schedule's outputs: %s",
                  strerror(errno));
}

/* The session the header describes; the board's connection is opened first, before LLVM is
 * started in this process (tsl_rpc_open forks). */
static tsl_status open_session(const json_t *header, session *s, tsl_error *error) {
  const char *text = json_string_value(json_object_get(header, "workload"));
  const char *target_text = json_string_value(json_object_get(header, "target"));
  const char *remote = json_string_value(json_object_get(header, "remote"));
  s->min_seconds = json_number_value(json_object_get(header, "min_seconds"));
  s->timeout = json_number_value(json_object_get(header, "timeout"));
  if (!text || !target_text)
    return tsl_fail(error, TSL_ERROR_INPUT, "the first line names no workload and target");
  if (remote) TRY(tsl_rpc_open(remote, &s->rpc, error));
  tsl_primfunc *workload;
  TRY(tsl_primfunc_parse(text, strlen(text), "workload", &workload, error));
  s->workload = workload;
  TRY(tsl_target_parse(target_text, &s->target, error));
  TRY(tsl_llvm_complete_target(&s->target, error));
  if (s->rpc && strncmp(s->target.triple, tsl_rpc_arch(s->rpc), strlen(tsl_rpc_arch(s->rpc))) != 0)
    return tsl_fail(error, TSL_ERROR_INPUT, "the board is %s, and the target %s is not",
                    tsl_rpc_arch(s->rpc), s->target.triple);
  tsl_stmt_walk(workload->body, infer_regions, workload->arena);
  make_buffers(workload, &s->b);
  const json_t *constants = json_object_get(header, "constants");
  if (json_is_array(constants)) {
    for (int i = 0; i < s->b.count; i++) s->b.cold[i] = false;
    size_t index;
    const json_t *value;
    json_array_foreach(constants, index, value) {
      json_int_t param = json_integer_value(value);
      if (param >= 0 && param < s->b.count) s->b.cold[param] = true;
    }
  }
  s->reference = calloc((size_t)s->b.count + 1, sizeof(void *));
  TSL_CHECK_ALLOC(s->reference);
  return make_reference(s, header, error);
}

static void close_session(session *s) {
  for (int i = 0; s->reference && i < s->b.count; i++) free(s->reference[i]);
  free(s->reference);
  if (s->anchored) release_compiled(&s->anchor);
  free_buffers(&s->b);
  tsl_primfunc_free((tsl_primfunc *)s->workload);
  tsl_rpc_close(s->rpc);
}

int tsl_measure_worker(FILE *in, FILE *out) {
  /* A board that goes away must not end the worker before it says so. */
  signal(SIGPIPE, SIG_IGN);
  char *first = read_line(in);
  json_error_t parse_error;
  json_t *header = first ? json_loads(first, 0, &parse_error) : NULL;
  free(first);
  session s = {0};
  tsl_error error;
  int status = 0;
  if (open_session(header, &s, &error)) {
    answer(out, json_pack("{s:s, s:s, s:i}", "error", "start", "message", error.message, "status",
                          (int)error.status));
    status = tsl_status_exit_code(error.status);
  } else {
    fprintf(out, "{\"ready\": true}\n");
    fflush(out);
  }
  json_decref(header);
  char *line;
  while (!status && (line = read_line(in))) {
    if (*line) status = serve_candidate(&s, line, in, out);
    free(line);
  }
  close_session(&s);
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
  w->sent = tsl_now_seconds();
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
  double deadline = tsl_now_seconds() + timeout;
  for (;;) {
    char *newline = memchr(w->buffer, '\n', w->buffered);
    if (newline) {
      size_t length = (size_t)(newline - w->buffer);
      snprintf(line, size, "%.*s", (int)length, w->buffer);
      memmove(w->buffer, newline + 1, w->buffered - length - 1);
      w->buffered -= length + 1;
      return 1;
    }
    double left = deadline - tsl_now_seconds();
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
  double left = options->timeout - (tsl_now_seconds() - w->sent);
  /* One that cannot parse the workload, reach its board or build the default schedule: no
   * candidate's fault. */
  int got = next_answer(w, left, line, LINE_LIMIT);
  if (got == 1 && strstr(line, "\"ready\"")) return TSL_OK;
  if (got != 1) line[0] = '\0';
  json_error_t parse_error;
  json_t *answer = json_loads(line, 0, &parse_error);
  const char *message = json_string_value(json_object_get(answer, "message"));
  json_int_t status = json_integer_value(json_object_get(answer, "status"));
  tsl_fail(error, status == TSL_ERROR_INPUT ? TSL_ERROR_INPUT : TSL_ERROR_INTERNAL,
           "the measuring worker could not start: %s",
           message ? message : "it ended before it had built the default schedule");
  json_decref(answer);
  return error->status;
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
  json_t *json =
      json_pack("{s:s, s:s, s:f, s:f, s:i}", "workload", workload, "target", target, "min_seconds",
                options->min_seconds, "timeout", options->timeout, reference_key, reference_fd);
  TSL_CHECK_ALLOC(json);
  if (options->remote) json_object_set_new(json, "remote", json_string(options->remote));
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
    result->error = strcmp(error, "wrong") == 0 ? "wrong"
                    : strcmp(error, "run") == 0 ? "run"
                                                : "build";
  } else if (ran && json_is_number(seconds)) {
    result->seconds = json_number_value(seconds);
    result->default_seconds = json_number_value(json_object_get(json, "default_seconds"));
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
  w->sent = tsl_now_seconds();
  send_line(w, compact);
  free(compact);
}

/* Waits for the worker's candidate to be built, within the time limit. */
static void await_build(const tsl_measure_options *options, worker *w, char *line,
                        tsl_measured *result) {
  int got = next_answer(w, options->timeout - (tsl_now_seconds() - w->sent), line, LINE_LIMIT);
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

/* TESSEL_MEASURE_FAULTS, for tests of the tuner's isolation: "crash@N,hang@N,wrong@N,slow@N"
 * makes the N-th candidate this process measures (from 1) crash, hang, compute a wrong output
 * or be timed as on a machine twice as slow. */
static const char *fault_at(long long candidate) {
  const char *faults = getenv("TESSEL_MEASURE_FAULTS");
  static const char *const kinds[] = {"crash", "hang", "wrong", "slow"};
  for (const char *at = faults; at && *at;) {
    for (int k = 0; k < 4; k++) {
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
  char reference_path[4096];
  int reference_file;
  TRY(temporary_file("reference", reference_path, &reference_file, error));
  /* Unlinked at once: the workers inherit the descriptor, and a tuner killed at any point
   * leaves no file behind. */
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
