/* Remote measurement, the host's side (rpc.h). */
#define _GNU_SOURCE /* pipe2 */

#include "autotune/rpc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ir/check.h"
#include "runtime/rpc.h"

struct tsl_rpc {
  pid_t pid;
  FILE *to, *from;
  char arch[32];
  int count;
  void *const *data;
  const size_t *bytes;
  const bool *output;
  /* What the board keeps of each argument: the stable data sent there, and its size. */
  const void **kept;
  size_t *kept_bytes;
  int slots;
  bool lost; /* the connection ended */
};

/* The board's answer line (without its newline) into `line`; false when the connection ended. */
static bool read_line(tsl_rpc *rpc, char *line, size_t size) {
  if (!fgets(line, (int)size, rpc->from)) return false;
  line[strcspn(line, "\n")] = '\0';
  return true;
}

static tsl_status lost(tsl_rpc *rpc, tsl_error *error, const char *doing) {
  rpc->lost = true;
  return tsl_fail(error, TSL_ERROR_INPUT,
                  "the board closed the connection %s (its messages are above)", doing);
}

/* "ok", or the board's error. */
static tsl_status expect_ok(tsl_rpc *rpc, const char *doing, tsl_error *error) {
  if (fflush(rpc->to) != 0) return lost(rpc, error, doing);
  char line[1024];
  if (!read_line(rpc, line, sizeof(line))) return lost(rpc, error, doing);
  if (strcmp(line, "ok") == 0) return TSL_OK;
  return tsl_fail(error, TSL_ERROR_INPUT, "the board, %s: %s", doing,
                  strncmp(line, "error ", 6) == 0 ? line + 6 : line);
}

tsl_status tsl_rpc_open(const char *command, tsl_rpc **out, tsl_error *error) {
  int to_board[2], from_board[2];
  if (pipe2(to_board, O_CLOEXEC) != 0) {
    return tsl_fail(error, TSL_ERROR_INTERNAL, "cannot make pipes: %s", strerror(errno));
  }
  if (pipe2(from_board, O_CLOEXEC) != 0) {
    close(to_board[0]);
    close(to_board[1]);
    return tsl_fail(error, TSL_ERROR_INTERNAL, "cannot make pipes: %s", strerror(errno));
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    /* Only system calls until exec. The command dies with this process, so that a worker
     * killed for a hanging candidate takes its connection (and qemu, or ssh) with it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(to_board[0], STDIN_FILENO);
    dup2(from_board[1], STDOUT_FILENO);
    execl("/bin/sh", "sh", "-c", command, (char *)NULL);
    _exit(127);
  }
  close(to_board[0]);
  close(from_board[1]);
  if (pid < 0) {
    close(to_board[1]);
    close(from_board[0]);
    return tsl_fail(error, TSL_ERROR_INTERNAL, "cannot start '%s': %s", command, strerror(errno));
  }
  tsl_rpc *rpc = calloc(1, sizeof(*rpc));
  TSL_CHECK_ALLOC(rpc);
  rpc->pid = pid;
  rpc->to = fdopen(to_board[1], "w");
  rpc->from = fdopen(from_board[0], "r");
  TSL_CHECK_ALLOC(rpc->to && rpc->from);
  char line[1024] = "";
  int threads = 0;
  bool said = read_line(rpc, line, sizeof(line));
  if (!said || strncmp(line, TSL_RPC_GREETING " ", strlen(TSL_RPC_GREETING) + 1) != 0 ||
      sscanf(line + strlen(TSL_RPC_GREETING), " %31s %d", rpc->arch, &threads) != 2) {
    tsl_rpc_close(rpc);
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "the remote command '%s' did not start `tessel-runner --serve` (it should "
                    "greet with \"%s\"%s%.200s)",
                    command, TSL_RPC_GREETING, said ? "; it said: " : "", line);
  }
  *out = rpc;
  return TSL_OK;
}

void tsl_rpc_close(tsl_rpc *rpc) {
  if (!rpc) return;
  fclose(rpc->to);
  fclose(rpc->from);
  /* The server ends at the end of its input; a command that does not is ended. */
  int status;
  for (int waited = 0; waitpid(rpc->pid, &status, WNOHANG) == 0; waited++) {
    if (waited == 200) {
      kill(rpc->pid, SIGKILL);
      waitpid(rpc->pid, &status, 0);
      break;
    }
    usleep(10000);
  }
  free(rpc->kept);
  free(rpc->kept_bytes);
  free(rpc);
}

const char *tsl_rpc_arch(const tsl_rpc *rpc) { return rpc->arch; }

bool tsl_rpc_lost(const tsl_rpc *rpc) { return rpc->lost; }

tsl_status tsl_rpc_load(tsl_rpc *rpc, const char *name, const void *library, size_t size,
                        tsl_error *error) {
  fprintf(rpc->to, "load %s %zu\n", name, size);
  fwrite(library, 1, size, rpc->to);
  return expect_ok(rpc, "loading the kernel", error);
}

tsl_status tsl_rpc_set_args(tsl_rpc *rpc, int count, void *const *data, const size_t *bytes,
                            const bool *output, const bool *stable, const bool *cold,
                            tsl_error *error) {
  if (count > rpc->slots) {
    rpc->kept = realloc(rpc->kept, sizeof(void *) * (size_t)count);
    rpc->kept_bytes = realloc(rpc->kept_bytes, sizeof(size_t) * (size_t)count);
    TSL_CHECK_ALLOC(rpc->kept && rpc->kept_bytes);
    for (int i = rpc->slots; i < count; i++) rpc->kept[i] = NULL, rpc->kept_bytes[i] = 0;
    rpc->slots = count;
  }
  rpc->count = count;
  rpc->data = data;
  rpc->bytes = bytes;
  rpc->output = output;
  fprintf(rpc->to, "args %d\n", count);
  TRY(expect_ok(rpc, "taking the arguments", error));
  for (int i = 0; i < count; i++) {
    bool keep =
        !output[i] && stable[i] && rpc->kept[i] == data[i] && rpc->kept_bytes[i] == bytes[i];
    fprintf(rpc->to, "arg %d %zu %s%s\n", i, bytes[i],
            output[i] ? "o"
            : keep    ? "k"
                      : "i",
            cold[i] ? "c" : "");
    if (!output[i] && !keep) fwrite(data[i], 1, bytes[i], rpc->to);
    rpc->kept[i] = !output[i] && stable[i] ? data[i] : NULL;
    rpc->kept_bytes[i] = bytes[i];
    tsl_status status = expect_ok(rpc, "taking the arguments", error);
    if (status) {
      rpc->kept[i] = NULL;
      return status;
    }
  }
  return TSL_OK;
}

tsl_status tsl_rpc_run(tsl_rpc *rpc, double timeout, tsl_error *error) {
  fprintf(rpc->to, "run %.3f\n", timeout);
  if (fflush(rpc->to) != 0) return lost(rpc, error, "running the kernel");
  char line[1024];
  if (!read_line(rpc, line, sizeof(line))) return lost(rpc, error, "running the kernel");
  size_t total = 0, expected = 0;
  for (int i = 0; i < rpc->count; i++) expected += rpc->output[i] ? rpc->bytes[i] : 0;
  if (sscanf(line, "outputs %zu", &total) != 1 || total != expected) {
    return tsl_fail(error, TSL_ERROR_INPUT, "the board, running the kernel: %s",
                    strncmp(line, "error ", 6) == 0 ? line + 6 : line);
  }
  for (int i = 0; i < rpc->count; i++) {
    if (rpc->output[i] && fread(rpc->data[i], 1, rpc->bytes[i], rpc->from) != rpc->bytes[i])
      return lost(rpc, error, "sending the outputs");
  }
  return TSL_OK;
}

tsl_status tsl_rpc_time(tsl_rpc *rpc, double min_seconds, double timeout, double *seconds,
                        tsl_error *error) {
  fprintf(rpc->to, "time %.6f %.3f\n", min_seconds, timeout);
  if (fflush(rpc->to) != 0) return lost(rpc, error, "timing the kernel");
  char line[1024];
  if (!read_line(rpc, line, sizeof(line))) return lost(rpc, error, "timing the kernel");
  if (sscanf(line, "seconds %lf", seconds) != 1) {
    return tsl_fail(error, TSL_ERROR_INPUT, "the board, timing the kernel: %s",
                    strncmp(line, "error ", 6) == 0 ? line + 6 : line);
  }
  return TSL_OK;
}
