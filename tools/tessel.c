/* The `tessel` command: finds the subcommand and hands it the rest of the arguments. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autotune/database.h"
#include "autotune/measure.h"
#include "tools/cli.h"

static const tsl_command *const commands[] = {
    &tsl_command_bench, &tsl_command_compile, &tsl_command_db,        &tsl_command_inspect,
    &tsl_command_ops,   &tsl_command_run,     &tsl_command_test_onnx, &tsl_command_tune,
};

static void print_help(FILE *out) {
  fprintf(out,
          "tessel %s: a deep-learning compiler\n\n"
          "usage: tessel COMMAND [ARGS]\n\n"
          "commands:\n",
          tsl_version());
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
  }
  fprintf(out,
          "\n`tessel COMMAND --help` describes a command.\n"
          "Exit status: 0 success, 2 a problem with the input or the request, 1 an internal "
          "error.\n");
}

/* Length of the UTF-8 sequence at `text`, or 0 when it is not valid UTF-8. */
static int utf8_length(const unsigned char *text) {
  int length = text[0] < 0x80             ? 1
               : (text[0] & 0xe0) == 0xc0 ? 2
               : (text[0] & 0xf0) == 0xe0 ? 3
               : (text[0] & 0xf8) == 0xf0 ? 4
                                          : 0;
  for (int i = 1; i < length; i++) {
    if ((text[i] & 0xc0) != 0x80) return 0;
  }
  return length;
}

/* Messages quote names from the model; bytes that are not printable UTF-8 are escaped, so a
 * damaged file cannot put control characters on the terminal. */
static void print_escaped(FILE *out, const char *message) {
  for (const unsigned char *at = (const unsigned char *)message; *at;) {
    int length = utf8_length(at);
    if (length == 0 || (length == 1 && (*at < 0x20 || *at == 0x7f) && *at != '\n')) {
      fprintf(out, "\\x%02x", *at++);
    } else {
      fwrite(at, 1, (size_t)length, out);
      at += length;
    }
  }
}

int cli_report(const tsl_error *error) {
  fprintf(stderr, "tessel: %s: ", error->status == TSL_ERROR_INTERNAL ? "internal error" : "error");
  print_escaped(stderr, error->message);
  fputc('\n', stderr);
  return tsl_status_exit_code(error->status);
}

int cli_usage_error(const tsl_command *command, const char *format, ...) {
  va_list args;
  va_start(args, format);
  fprintf(stderr, "tessel %s: error: ", command->name);
  vfprintf(stderr, format, args);
  va_end(args);
  fprintf(stderr, "\n(see `tessel %s --help`)\n", command->name);
  return 2;
}

static void dump_graph(void *context, const char *pass, const tsl_graph *graph) {
  char *text = tsl_graph_print(graph);
  fprintf(context, "# the graph after pass %s\n%s", pass, text);
  free(text);
}

/* --no-records was given. */
static bool no_records;

bool cli_pass_option(const tsl_command *command, int argc, char **argv, int *i,
                     tsl_compile_options *options, FILE *dump_to, int *status) {
  /* The names given to --disable-pass, for the life of the command. */
  static const char *disabled[64];
  const char *arg = argv[*i], *value = *i + 1 < argc ? argv[*i + 1] : NULL;
  if (strcmp(arg, "--no-records") == 0) {
    no_records = true;
    options->records = NULL;
    return true;
  }
  if (strcmp(arg, "--records") == 0) {
    if (!value)
      *status = cli_usage_error(command, "--records needs a database");
    else
      options->records = argv[++*i];
    return true;
  }
  if (arg[0] == '-' && arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '9' && !arg[3]) {
    options->passes.opt_level = arg[2] - '0';
    if (options->passes.opt_level > 3) {
      *status = cli_usage_error(command, "%s: the opt levels are -O0 to -O3", arg);
    }
    return true;
  }
  bool disable = strcmp(arg, "--disable-pass") == 0, dump = strcmp(arg, "--dump-after") == 0;
  if (!disable && !dump) return false;
  if (!value) {
    *status = cli_usage_error(command, "%s needs a pass name", arg);
    return true;
  }
  (*i)++;
  if (dump) {
    options->passes.dump_after = value;
    options->passes.dump = dump_graph;
    options->passes.dump_context = dump_to;
  } else if (options->passes.num_disabled == 64) {
    *status = cli_usage_error(command, "too many --disable-pass options");
  } else {
    disabled[options->passes.num_disabled++] = value;
    options->passes.disabled = disabled;
  }
  return true;
}

void cli_default_records(tsl_compile_options *options) {
  static char path[4096];
  tsl_error error;
  struct stat info;
  if (options->records || no_records) return;
  if (tsl_db_default_path(path, sizeof(path), &error) == TSL_OK && stat(path, &info) == 0)
    options->records = path;
}

void cli_records_summary(FILE *out, const char *model, const tsl_compile_options *options) {
  if (!options->records || !options->summary) return;
  fprintf(out, "%s%s: %d of %d kernels from tuning records (%s)\n",
          out == stderr ? "tessel: note: " : "", model, options->summary->from_records,
          options->summary->workloads, options->records);
}

void cli_note(void *context, const char *message) {
  (void)context;
  fprintf(stderr, "tessel: note: %s\n", message);
}

/* A crash is a bug in tessel: it is reported as an internal error, with exit status 1. Only
 * async-signal-safe calls here. */
static void report_crash(int signal_number) {
  static const char message[] =
      "tessel: internal error: the process crashed; this is a bug in tessel, please report it "
      "with the command and the model\n";
  (void)signal_number;
  ssize_t written = write(STDERR_FILENO, message, sizeof(message) - 1);
  (void)written;
  _exit(1);
}

static void report_crashes_as_internal_errors(void) {
  struct sigaction action = {.sa_handler = report_crash};
  sigemptyset(&action.sa_mask);
  int signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
  for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
    sigaction(signals[i], &action, NULL);
  }
}

int main(int argc, char **argv) {
  report_crashes_as_internal_errors();
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    print_help(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("tessel %s\n", tsl_version());
    return 0;
  }
  /* The process `tessel tune` measures candidates in (autotune/measure.h); not for users. */
  if (strcmp(argv[1], "tune-worker") == 0) return tsl_measure_worker(stdin, stdout);
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    if (strcmp(argv[1], commands[i]->name) != 0) continue;
    for (int a = 2; a < argc; a++) {
      if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
        fputs(commands[i]->usage, stdout);
        return 0;
      }
    }
    return commands[i]->run(argc - 2, argv + 2);
  }
  fprintf(stderr, "tessel: error: unknown command '%s'\n", argv[1]);
  print_help(stderr);
  return 2;
}
