/* What the subcommands of `tessel` share. Each subcommand lives in its own file and has one
 * entry point taking the arguments after its name. */
#ifndef TSL_TOOLS_CLI_H
#define TSL_TOOLS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "driver/driver.h"
#include "tessel/tessel.h"

typedef struct tsl_command {
  const char *name;
  const char *summary; /* one line, for `tessel --help` */
  const char *usage;   /* the full help text of the subcommand */
  int (*run)(int argc, char **argv);
} tsl_command;

extern const tsl_command tsl_command_bench;
extern const tsl_command tsl_command_compile;
extern const tsl_command tsl_command_db;
extern const tsl_command tsl_command_inspect;
extern const tsl_command tsl_command_ops;
extern const tsl_command tsl_command_run;
extern const tsl_command tsl_command_test_onnx;
extern const tsl_command tsl_command_tune;

/* Prints "tessel: error: message" and returns the exit status for it. */
int cli_report(const tsl_error *error);

/* Prints "tessel: error: …" for a bad command line, the usage hint, and returns 2. */
int cli_usage_error(const tsl_command *command, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* The options of every command that compiles: opt level, passes left out, dumps, tuning
 * records. */
#define CLI_PASS_USAGE                                                                        \
  "  -O0, -O1, -O2, -O3  how much the graph passes do (default -O3; docs/passes.md)\n"         \
  "  --disable-pass NAME leave out graph pass NAME (repeatable)\n"                            \
  "  --dump-after NAME   print the graph IR after pass NAME (or after all) to stderr\n"        \
  "  --records DB        schedule kernels by the tuning records in DB (default: the user's\n"  \
  "                      database, $TESSEL_RECORDS or ~/.local/share/tessel/records.db,\n"    \
  "                      when it exists; docs/tuning.md)\n"                                   \
  "  --no-records        default schedules only\n"

/* When argv[*i] is one of CLI_PASS_USAGE's options, takes it (and its value) into `options`,
 * advances *i past it and returns true; *status becomes 2 after a usage error. Graph dumps go
 * to `dump_to`. */
bool cli_pass_option(const tsl_command *command, int argc, char **argv, int *i,
                     tsl_compile_options *options, FILE *dump_to, int *status);

/* After the options: the user's default tuning records, when no --records or --no-records was
 * given and that database exists. */
void cli_default_records(tsl_compile_options *options);

/* "MODEL: N of M kernels from tuning records (DB)", when records were used (to stderr as a
 * note). */
void cli_records_summary(FILE *out, const char *model, const tsl_compile_options *options);

/* Whether the file is an ELF shared object (an artifact, `tessel compile`'s) rather than a
 * model: by content. */
bool cli_is_artifact(const char *path);

/* A runnable model from a path: an artifact (`tessel compile`'s, told by its content) is
 * loaded, an ONNX model imported (with the bindings) and compiled for the target with the
 * options. Returns the exit status of the failure it reported, or 0. */
int cli_open_model(const char *path, const char *target, const tsl_onnx_binding *bindings,
                   int num_bindings, const tsl_compile_options *options, tsl_model **model);

/* Notes from the library, printed as "tessel: note: …". */
void cli_note(void *context, const char *message);

#endif
