/* Remote measurement, the board's side (rpc.h). */
#include "runtime/rpc.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "runtime/timing.h"

enum { MAX_ARGS = 4096 };

#if defined(__aarch64__)
#define ARCH "aarch64"
#elif defined(__x86_64__)
#define ARCH "x86_64"
#elif defined(__riscv)
#define ARCH "riscv64"
#else
#define ARCH "unknown"
#endif

typedef struct server {
  FILE *in, *out;
  void *library;
  tsl_kernel_entry entry;
  int count;
  void *args[MAX_ARGS];
  size_t bytes[MAX_ARGS];
  bool output[MAX_ARGS], cold[MAX_ARGS];
} server;

static bool reply(server *s, const char *format, const char *text) {
  fprintf(s->out, format, text);
  return fflush(s->out) == 0;
}

static bool read_bytes(server *s, void *data, size_t size) {
  return fread(data, 1, size, s->in) == size;
}

/* A kernel that runs past its time ends the server, with a line on stderr for the host. */
static void on_alarm(int signal) {
  (void)signal;
  static const char message[] = "tessel-runner --serve: the kernel ran past its time limit\n";
  ssize_t written = write(STDERR_FILENO, message, sizeof(message) - 1);
  (void)written;
  _exit(1);
}

static void set_alarm(double seconds) { alarm(seconds > 0 ? (unsigned)ceil(seconds) : 0); }

static void unload(server *s) {
  if (s->library) dlclose(s->library);
  s->library = NULL;
  s->entry = NULL;
}

/* `load NAME SIZE`: the library is written to a file (dlopen needs one), opened, and the file
 * removed at once. */
static bool load(server *s, const char *name, size_t size) {
  unload(s);
  char *bytes = malloc(size + 1);
  if (!bytes) return reply(s, "error %s\n", "out of memory for the library");
  if (!read_bytes(s, bytes, size)) {
    free(bytes);
    return false;
  }
  const char *folder = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof(path), "%s/tessel-kernel-XXXXXX", folder && *folder ? folder : "/tmp");
  int fd = mkstemp(path);
  bool written = fd >= 0;
  for (size_t done = 0; written && done < size;) {
    ssize_t moved = write(fd, bytes + done, size - done);
    if (moved < 0 && errno == EINTR) continue;
    written = moved > 0;
    if (written) done += (size_t)moved;
  }
  free(bytes);
  if (fd >= 0) close(fd);
  if (!written) {
    if (fd >= 0) unlink(path);
    char message[4200];
    snprintf(message, sizeof(message), "cannot write the library to %s: %s", path, strerror(errno));
    return reply(s, "error %s\n", message);
  }
  s->library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  unlink(path);
  if (!s->library) return reply(s, "error %s\n", dlerror());
  s->entry = (tsl_kernel_entry)dlsym(s->library, name);
  if (!s->entry) {
    unload(s);
    return reply(s, "error the library has no kernel %s\n", name);
  }
  return reply(s, "%s\n", "ok");
}

/* `arg INDEX SIZE FLAGS`. */
static bool set_arg(server *s, int index, size_t size, const char *flags) {
  bool keep = strchr(flags, 'k'), output = strchr(flags, 'o');
  s->cold[index] = strchr(flags, 'c');
  s->output[index] = output;
  if (keep) {
    return reply(s, "%s\n",
                 s->args[index] && s->bytes[index] == size
                     ? "ok"
                     : "error there is no argument of that size to keep");
  }
  if (s->bytes[index] != size || !s->args[index]) {
    free(s->args[index]);
    s->args[index] = tsl_alloc_large(size + 64);
    s->bytes[index] = s->args[index] ? size : 0;
  }
  /* An input's bytes follow even when there is no memory for them. */
  char *data = s->args[index];
  for (size_t done = 0; !output && done < size;) {
    char scratch[4096];
    size_t part = size - done < sizeof(scratch) ? size - done : sizeof(scratch);
    if (!read_bytes(s, data ? data + done : scratch, part)) return false;
    done += part;
  }
  if (!data) return reply(s, "error %s\n", "out of memory for the arguments");
  if (output) memset(data, 0, size);
  return reply(s, "%s\n", "ok");
}

static bool run(server *s, double timeout) {
  if (!s->entry) return reply(s, "error %s\n", "no kernel is loaded");
  size_t total = 0;
  for (int i = 0; i < s->count; i++) {
    if (!s->args[i]) return reply(s, "error %s\n", "an argument is missing");
    if (s->output[i]) memset(s->args[i], 0, s->bytes[i]), total += s->bytes[i];
  }
  set_alarm(timeout);
  s->entry(s->args);
  set_alarm(0);
  fprintf(s->out, "outputs %zu\n", total);
  for (int i = 0; i < s->count; i++) {
    if (s->output[i]) fwrite(s->args[i], 1, s->bytes[i], s->out);
  }
  return fflush(s->out) == 0;
}

static bool time_kernel(server *s, double min_seconds, double timeout) {
  if (!s->entry) return reply(s, "error %s\n", "no kernel is loaded");
  set_alarm(timeout);
  double seconds = tsl_time_kernel(s->entry, s->count, s->args, s->bytes, s->cold, min_seconds);
  set_alarm(0);
  fprintf(s->out, "seconds %.9g\n", seconds);
  return fflush(s->out) == 0;
}

/* One request line; false when the server should end (its input ended or broke the
 * protocol: *broken). */
static bool serve_request(server *s, char *line, bool *broken) {
  char name[256], flags[8];
  unsigned long long size;
  int index;
  double first, second;
  if (sscanf(line, "load %255s %llu", name, &size) == 2) return load(s, name, (size_t)size);
  if (sscanf(line, "args %d", &index) == 1 && index >= 0 && index <= MAX_ARGS) {
    s->count = index;
    return reply(s, "%s\n", "ok");
  }
  if (sscanf(line, "arg %d %llu %7s", &index, &size, flags) == 3 && index >= 0 &&
      index < s->count && strspn(flags, "ikoc") == strlen(flags))
    return set_arg(s, index, (size_t)size, flags);
  if (sscanf(line, "run %lf", &first) == 1) return run(s, first);
  if (sscanf(line, "time %lf %lf", &first, &second) == 2) return time_kernel(s, first, second);
  *broken = true;
  line[strcspn(line, "\n")] = '\0';
  fprintf(stderr, "tessel-runner --serve: '%.40s%s' is not a request of the protocol\n", line,
          strlen(line) > 40 ? "…" : "");
  reply(s, "error %s\n", "not a request of the protocol");
  return false;
}

int tsl_rpc_serve(FILE *in, FILE *out) {
  static server s;
  s = (server){.in = in, .out = out};
  signal(SIGALRM, on_alarm);
  fprintf(out, "%s %s %d\n", TSL_RPC_GREETING, ARCH, tsl_runtime_threads());
  fflush(out);
  char line[512];
  bool broken = false;
  while (fgets(line, sizeof(line), in) && serve_request(&s, line, &broken)) {
  }
  unload(&s);
  for (int i = 0; i < MAX_ARGS; i++) free(s.args[i]);
  return broken ? 2 : 0;
}
