/* tessel run: compiles a model (or loads an artifact), runs it once on the given inputs, and
 * writes every output as a .npy file. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "driver/driver.h"
#include "ir/tensor_file.h"
#include "tools/cli.h"
#include "tools/model_io.h"

static int run(int argc, char **argv);

const tsl_command tsl_command_run = {
    .name = "run",
    .summary = "compile a model for this machine and run it once",
    .usage =
        "usage: tessel run MODEL|ARTIFACT [--input NAME=FILE]... [--output-dir DIR]\n"
        "                  [--target T] [--threads N] [-O0..3] [--disable-pass NAME]...\n"
        "                  [--dump-after NAME]\n"
        "\n"
        "Compiles MODEL (an ONNX file) for this machine, or loads ARTIFACT (from `tessel\n"
        "compile`; told apart by content), runs it once and writes each output\n"
        "as DIR/NAME.npy (default DIR: .), NAME with every character other than letters,\n"
        "digits, '.', '_' and '-' replaced by '_'.\n"
        "\n"
        "  --input NAME=FILE   the value of input NAME: a .npy or an ONNX TensorProto .pb;\n"
        "                      inputs that decide a shape become constants of the model\n"
        "  --output-dir DIR    where the outputs go (created when missing)\n"
        "  --target T          what to compile for (default: llvm, this machine)\n"
        "  --threads N         threads for parallel loops (default: TESSEL_NUM_THREADS, else\n"
        "                      one per core)\n" CLI_PASS_USAGE
        "\n"
        "Inputs not given are filled with a fixed pattern: element i of a float input is\n"
        "((i mod 97) - 48) / 64, of an integer input i mod 7, of a bool input i mod 2.\n",
    .run = run,
};

typedef struct run_options {
  const char *model_path, *output_dir, *target;
  tsl_onnx_binding *inputs;
  int num_inputs, threads;
  tsl_compile_options compile;
} run_options;

static int parse_arguments(int argc, char **argv, run_options *options) {
  *options = (run_options){.output_dir = ".", .target = "llvm", .compile = tsl_compile_defaults()};
  options->inputs = calloc((size_t)argc + 1, sizeof(tsl_onnx_binding));
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    int status = 0;
    if (cli_pass_option(&tsl_command_run, argc, argv, &i, &options->compile, stderr, &status)) {
      if (status) return status;
    } else if (strcmp(arg, "--input") == 0 || strcmp(arg, "--output-dir") == 0 ||
               strcmp(arg, "--target") == 0 || strcmp(arg, "--threads") == 0) {
      if (!value) return cli_usage_error(&tsl_command_run, "%s needs a value", arg);
      i++;
      if (strcmp(arg, "--output-dir") == 0)
        options->output_dir = value;
      else if (strcmp(arg, "--target") == 0)
        options->target = value;
      else if (strcmp(arg, "--threads") == 0) {
        options->threads = atoi(value);
        if (options->threads < 1)
          return cli_usage_error(&tsl_command_run, "--threads needs a positive number");
      } else {
        char *spec = argv[i], *equals = strchr(spec, '=');
        if (!equals || equals == spec || !equals[1]) {
          return cli_usage_error(&tsl_command_run, "--input needs NAME=FILE, not '%s'", spec);
        }
        *equals = '\0';
        options->inputs[options->num_inputs++] =
            (tsl_onnx_binding){.name = spec, .path = equals + 1};
      }
    } else if (arg[0] == '-' && arg[1]) {
      return cli_usage_error(&tsl_command_run, "unknown option '%s'", arg);
    } else if (options->model_path) {
      return cli_usage_error(&tsl_command_run, "one model at a time ('%s' and '%s')",
                             options->model_path, arg);
    } else {
      options->model_path = arg;
    }
  }
  if (!options->model_path) return cli_usage_error(&tsl_command_run, "no model given");
  return 0;
}

/* Input data for every model input: from the user's file, else the pattern. */
static int prepare_inputs(const run_options *options, tsl_model *model, void **inputs,
                          tsl_tensor_data **owned) {
  tsl_error error;
  /* The importer checked the names against the model (some became constants); an artifact's
   * inputs are all there is. */
  for (int j = 0; j < options->num_inputs && cli_is_artifact(options->model_path); j++) {
    if (!tsl_known_input("tessel", options->model_path, model, options->inputs[j].name)) return 2;
  }
  for (int i = 0; i < tsl_model_num_inputs(model); i++) {
    tsl_tensor_info info = tsl_model_input(model, i);
    tsl_type type = tsl_type_make(info.dtype, info.rank, info.dims);
    const char *file = NULL;
    for (int j = 0; j < options->num_inputs; j++) {
      if (strcmp(options->inputs[j].name, info.name) == 0) file = options->inputs[j].path;
    }
    if (file) {
      if (tsl_read_tensor_file(file, &owned[i], &error)) return cli_report(&error);
      if (!tsl_type_equal(&owned[i]->type, &type)) {
        fprintf(stderr, "tessel: error: %s holds %s, but input '%s' of %s is %s\n", file,
                tsl_type_str(&owned[i]->type).text, info.name, options->model_path,
                tsl_type_str(&type).text);
        return 2;
      }
    } else {
      owned[i] = tsl_tensor_data_new(&type);
      tsl_fill_pattern(info.dtype, owned[i]->bytes, tsl_type_elements(&type));
    }
    inputs[i] = owned[i]->bytes;
  }
  return 0;
}

int tsl_run_outputs(const char *dir, tsl_model *model, void **outputs) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "tessel: error: cannot make the output folder %s: %s\n", dir, strerror(errno));
    return 2;
  }
  for (int i = 0; i < tsl_model_num_outputs(model); i++) {
    tsl_tensor_info info = tsl_model_output(model, i);
    tsl_type type = tsl_type_make(info.dtype, info.rank, info.dims);
    char path[4096];
    tsl_output_path(dir, info.name, path, sizeof(path));
    tsl_error error;
    if (tsl_write_npy(path, &type, outputs[i], &error)) return cli_report(&error);
    printf("%s: %s -> %s\n", info.name, tsl_type_str(&type).text, path);
  }
  return 0;
}

bool cli_is_artifact(const char *path) {
  FILE *file = fopen(path, "rb");
  if (!file) return false;
  unsigned char magic[4] = {0};
  bool elf = fread(magic, 1, 4, file) == 4 && memcmp(magic,
                                                     "\x7f"
                                                     "ELF",
                                                     4) == 0;
  fclose(file);
  return elf;
}

int cli_open_model(const char *path, const char *target_text, const tsl_onnx_binding *bindings,
                   int num_bindings, const tsl_compile_options *options, tsl_model **model) {
  tsl_error error;
  *model = NULL;
  if (cli_is_artifact(path)) return tsl_model_load(path, model, &error) ? cli_report(&error) : 0;
  tsl_target target;
  tsl_graph *graph = NULL;
  tsl_onnx_options import = {.bindings = bindings, .num_bindings = num_bindings, .note = cli_note};
  tsl_compile_options compile = options ? *options : tsl_compile_defaults();
  tsl_compile_summary summary = {0};
  compile.summary = &summary;
  cli_default_records(&compile);
  int status = 0;
  if (tsl_target_parse(target_text, &target, &error) ||
      tsl_import_onnx(path, &import, &graph, &error) ||
      tsl_compile_jit(graph, &target, &compile, model, &error)) {
    status = cli_report(&error);
  } else {
    cli_records_summary(stderr, path, &compile);
  }
  tsl_graph_free(graph);
  return status;
}

static int run(int argc, char **argv) {
  run_options options;
  int status = parse_arguments(argc, argv, &options);
  if (status) {
    free(options.inputs);
    return status;
  }
  tsl_error error;
  tsl_model *model = NULL;
  if (options.threads) tsl_set_num_threads(options.threads);
  status = cli_open_model(options.model_path, options.target, options.inputs, options.num_inputs,
                          &options.compile, &model);
  if (status) {
    free(options.inputs);
    return status;
  }
  int inputs_count = tsl_model_num_inputs(model), outputs_count = tsl_model_num_outputs(model);
  void **inputs = calloc((size_t)inputs_count + 1, sizeof(void *));
  void **outputs = calloc((size_t)outputs_count + 1, sizeof(void *));
  tsl_tensor_data **owned = calloc((size_t)inputs_count + 1, sizeof(tsl_tensor_data *));
  status = prepare_inputs(&options, model, inputs, owned);
  for (int i = 0; i < outputs_count && !status; i++) {
    outputs[i] = calloc(tsl_tensor_info_bytes(tsl_model_output(model, i)) + 1, 1);
  }
  if (!status && tsl_model_run(model, (const void *const *)inputs, outputs, &error))
    status = cli_report(&error);
  if (!status) status = tsl_run_outputs(options.output_dir, model, outputs);
  for (int i = 0; i < inputs_count; i++) tsl_tensor_data_release(owned[i]);
  for (int i = 0; i < outputs_count; i++) free(outputs[i]);
  free(owned);
  free(inputs);
  free(outputs);
  tsl_model_free(model);
  free(options.inputs);
  return status;
}
