/* tessel compile: a model into an artifact the runtime loads. */
#include <stdio.h>
#include <string.h>

#include "driver/driver.h"
#include "tools/cli.h"

static int run(int argc, char **argv);

const tsl_command tsl_command_compile = {
    .name = "compile",
    .summary = "compile a model into an artifact (a shared library the runtime loads)",
    .usage =
        "usage: tessel compile MODEL -o ARTIFACT [--target T] [--dump-llvm FILE]\n"
        "                      [-O0..3] [--disable-pass NAME]... [--dump-after NAME]\n"
        "\n"
        "Compiles MODEL (an ONNX file) for the target (default: llvm, this machine) into\n"
        "ARTIFACT, a shared library holding the kernels, the plan and the weights, that\n"
        "libtessel_runtime loads (tsl_model_load) and `tessel run` and `tessel bench` run.\n"
        "\n"
        "  --dump-llvm FILE    write the optimised LLVM IR to FILE\n" CLI_PASS_USAGE,
    .run = run,
};

static int run(int argc, char **argv) {
  const char *model = NULL, *output = NULL, *target_text = "llvm";
  tsl_compile_options options = tsl_compile_defaults();
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    int status = 0;
    if (cli_pass_option(&tsl_command_compile, argc, argv, &i, &options, stderr, &status)) {
      if (status) return status;
    } else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--target") == 0 ||
               strcmp(arg, "--dump-llvm") == 0) {
      if (!value) return cli_usage_error(&tsl_command_compile, "%s needs a value", arg);
      i++;
      if (strcmp(arg, "-o") == 0)
        output = value;
      else if (strcmp(arg, "--target") == 0)
        target_text = value;
      else
        options.dump_llvm = value;
    } else if (arg[0] == '-' && arg[1]) {
      return cli_usage_error(&tsl_command_compile, "unknown option '%s'", arg);
    } else if (model) {
      return cli_usage_error(&tsl_command_compile, "one model at a time ('%s' and '%s')", model,
                             arg);
    } else {
      model = arg;
    }
  }
  if (!model) return cli_usage_error(&tsl_command_compile, "no model given");
  if (!output) return cli_usage_error(&tsl_command_compile, "no artifact given (-o ARTIFACT)");
  tsl_error error;
  tsl_target target;
  tsl_graph *graph = NULL;
  tsl_onnx_options import = {.note = cli_note};
  int status = 0;
  tsl_compile_summary summary = {0};
  options.summary = &summary;
  cli_default_records(&options);
  if (tsl_target_parse(target_text, &target, &error) ||
      tsl_import_onnx(model, &import, &graph, &error) ||
      tsl_compile_artifact(graph, &target, &options, output, &error)) {
    status = cli_report(&error);
  } else {
    cli_records_summary(stdout, model, &options);
    printf("%s: %d kernels -> %s\n", model, summary.kernels, output);
  }
  tsl_graph_free(graph);
  return status;
}
