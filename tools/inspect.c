/* tessel inspect: what is inside a model, as tessel reads it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/graph.h"
#include "codegen/llvm/llvm.h"
#include "passes/graph/graph_passes.h"
#include "passes/lower/lower.h"
#include "passes/schedule/schedule.h"
#include "autotune/database.h"
#include "ir/check.h"
#include "passes/schedule/trace.h"
#include "tools/cli.h"

static int run(int argc, char **argv);

const tsl_command tsl_command_inspect = {
    .name = "inspect",
    .summary = "print a model's graph IR, or its statistics",
    .usage =
        "usage: tessel inspect MODEL [--stats] [--json] [--ir imported|fused|tir|trace]\n"
        "                      [--bind NAME=FILE.pb]... [-O0..3] [--disable-pass NAME]...\n"
        "                      [--dump-after NAME]\n"
        "\n"
        "Reads an ONNX model and prints its graph IR (docs/ir.md) as imported.\n"
        "\n"
        "  --ir fused          print the graph after the graph passes instead: each fused\n"
        "                      kernel is a block `kernel N { ... }`\n"
        "  --ir tir            print each kernel's TIR as `compile` schedules it for this\n"
        "                      machine: by the tuning records (--records) where they have\n"
        "                      a schedule, else by the default rules (docs/tir.md)\n"
        "  --ir trace          print the trace of each kernel's schedule (JSON, docs/tir.md),\n"
        "                      after a line with the kernel's workload key and whether the\n"
        "                      schedule came from a tuning record\n"
        "  --stats             print statistics instead: nodes per operator, parameters,\n"
        "                      weight bytes, multiply-accumulates, inputs and outputs, and\n"
        "                      the kernels the model compiles to at the opt level\n"
        "  --json              print the statistics as one JSON object\n"
        "  --bind NAME=FILE    give graph input NAME the value in FILE (an ONNX TensorProto);\n"
        "                      needed when an input decides a shape (Reshape's shape, "
        "...)\n" CLI_PASS_USAGE,
    .run = run,
};

typedef struct op_count {
  const char *name;
  int64_t count;
} op_count;

/* Operators in order of first appearance, with their counts. */
static int count_ops(const tsl_graph *graph, op_count *counts) {
  int distinct = 0;
  for (int n = 0; n < graph->num_nodes; n++) {
    const char *name = tsl_op_get(graph->nodes[n]->op)->name;
    int i = 0;
    while (i < distinct && strcmp(counts[i].name, name) != 0) i++;
    if (i == distinct) counts[distinct++] = (op_count){name, 0};
    counts[i].count++;
  }
  return distinct;
}

static json_t *values_json(const tsl_value *const *values, const char *const *names, int count) {
  json_t *array = json_array();
  for (int i = 0; i < count; i++) {
    const tsl_type *type = &values[i]->type;
    json_t *shape = json_array();
    for (int axis = 0; axis < type->rank; axis++) {
      json_array_append_new(shape, json_integer(type->dims[axis]));
    }
    json_array_append_new(array, json_pack("{s:s, s:s, s:o}", "name", names[i], "dtype",
                                           tsl_dtype_name(type->dtype), "shape", shape));
  }
  return array;
}

typedef struct endpoints {
  const tsl_value **values;
  const char **names;
  int count;
} endpoints;

/* The graph's inputs (by their values' names) or outputs (by the names callers know). */
static endpoints graph_endpoints(const tsl_graph *graph, bool outputs) {
  int count = outputs ? graph->num_outputs : graph->num_inputs;
  endpoints e = {
      .values = calloc((size_t)count + 1, sizeof(tsl_value *)),
      .names = calloc((size_t)count + 1, sizeof(char *)),
      .count = count,
  };
  for (int i = 0; i < count; i++) {
    e.values[i] = outputs ? graph->outputs[i].value : graph->inputs[i];
    e.names[i] = outputs ? graph->outputs[i].name : graph->inputs[i]->name;
  }
  return e;
}

static void free_endpoints(endpoints *e) {
  free(e->values);
  free(e->names);
}

static void print_stats_json(const char *path, const tsl_graph *graph, int kernels) {
  tsl_graph_stats stats = tsl_graph_get_stats(graph);
  op_count *counts = calloc((size_t)graph->num_nodes + 1, sizeof(op_count));
  int distinct = count_ops(graph, counts);
  json_t *ops = json_object();
  for (int i = 0; i < distinct; i++)
    json_object_set_new(ops, counts[i].name, json_integer(counts[i].count));
  endpoints inputs = graph_endpoints(graph, false), outputs = graph_endpoints(graph, true);
  json_t *root = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "model", path, "nodes",
                           (json_int_t)stats.nodes, "kernels", (json_int_t)kernels, "params",
                           (json_int_t)stats.params, "weight_bytes", (json_int_t)stats.weight_bytes,
                           "macs", (json_int_t)stats.macs, "ops", ops, "inputs",
                           values_json(inputs.values, inputs.names, inputs.count), "outputs",
                           values_json(outputs.values, outputs.names, outputs.count));
  char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  puts(text);
  free(text);
  json_decref(root);
  free_endpoints(&inputs);
  free_endpoints(&outputs);
  free(counts);
}

/* 4089184256 → "4.09 G" */
static const char *human(double value, char *text, size_t size) {
  const char *units[] = {"", " K", " M", " G", " T"};
  int unit = 0;
  while (value >= 1000 && unit < 4) {
    value /= 1000;
    unit++;
  }
  snprintf(text, size, unit ? "%.2f%s" : "%.0f%s", value, units[unit]);
  return text;
}

static void print_endpoints(const char *title, endpoints e) {
  printf("%s:\n", title);
  for (int i = 0; i < e.count; i++) {
    printf("  %-24s %s\n", e.names[i], tsl_type_str(&e.values[i]->type).text);
  }
}

static void print_stats_text(const char *path, const tsl_graph *graph, int kernels, int opt_level) {
  tsl_graph_stats stats = tsl_graph_get_stats(graph);
  char params[32], bytes[32], macs[32];
  printf("model:        %s\n", path);
  printf("nodes:        %lld\n", (long long)stats.nodes);
  printf("kernels:      %d (at -O%d)\n", kernels, opt_level);
  printf("params:       %lld (%s)\n", (long long)stats.params,
         human((double)stats.params, params, sizeof(params)));
  printf("weight bytes: %lld (%sB)\n", (long long)stats.weight_bytes,
         human((double)stats.weight_bytes, bytes, sizeof(bytes)));
  printf("macs:         %lld (%s)\n", (long long)stats.macs,
         human((double)stats.macs, macs, sizeof(macs)));
  endpoints inputs = graph_endpoints(graph, false), outputs = graph_endpoints(graph, true);
  print_endpoints("inputs", inputs);
  print_endpoints("outputs", outputs);
  free_endpoints(&inputs);
  free_endpoints(&outputs);
  op_count *counts = calloc((size_t)graph->num_nodes + 1, sizeof(op_count));
  int distinct = count_ops(graph, counts);
  printf("operators:\n");
  for (int i = 0; i < distinct; i++)
    printf("  %-24s %lld\n", counts[i].name, (long long)counts[i].count);
  free(counts);
}

/* Every kernel's PrimFunc, lowered and scheduled as a compile with the same options would
 * (by the tuning records where they have a schedule, the default rules otherwise); or, with
 * `traces`, the trace of that schedule under a line naming the kernel, its workload and where
 * the schedule came from. */
static int print_kernels(const char *model, const tsl_graph *graph, const tsl_target *target,
                         tsl_compile_options *options, bool traces) {
  tsl_error error;
  tsl_lowered *lowered;
  if (tsl_lower(graph, &lowered, &error)) return cli_report(&error);
  int count = lowered->num_funcs;
  char **trace = calloc((size_t)count + 1, sizeof(char *));
  bool *from_record = calloc((size_t)count + 1, sizeof(bool));
  TSL_CHECK_ALLOC(trace && from_record);
  /* The workloads are the kernels as lowering makes them, before any schedule. */
  char(*keys)[TSL_WORKLOAD_KEY_SIZE] = calloc((size_t)count + 1, sizeof(*keys));
  TSL_CHECK_ALLOC(keys);
  for (int i = 0; i < count; i++) tsl_workload_key(lowered->funcs[i], keys[i], NULL);
  tsl_compile_summary summary = {0};
  options->summary = &summary;
  int status = 0;
  if (tsl_schedule_kernels(lowered, target, options, trace, from_record, &error)) {
    status = cli_report(&error);
  } else {
    cli_records_summary(stderr, model, options);
  }
  for (int i = 0; i < count && !status; i++) {
    if (traces) {
      printf("# %s, workload %s, %s\n", lowered->funcs[i]->name, keys[i],
             from_record[i] ? "tuning record" : "default schedule");
      fputs(trace[i], stdout);
    } else {
      char *text = tsl_primfunc_print(lowered->funcs[i]);
      fputs(text, stdout);
      free(text);
    }
  }
  for (int i = 0; i < count; i++) free(trace[i]);
  free(trace);
  free(from_record);
  free(keys);
  tsl_lowered_free(lowered);
  return status;
}

static int run(int argc, char **argv) {
  const char *path = NULL, *ir = "imported";
  bool stats = false, json = false;
  tsl_compile_options compile = tsl_compile_defaults();
  tsl_onnx_binding *bindings = calloc((size_t)argc + 1, sizeof(*bindings));
  int num_bindings = 0, status = 0;
  for (int i = 0; i < argc && !status; i++) {
    if (cli_pass_option(&tsl_command_inspect, argc, argv, &i, &compile, stdout, &status)) {
      continue;
    } else if (strcmp(argv[i], "--ir") == 0) {
      ir = i + 1 < argc ? argv[++i] : "";
      if (strcmp(ir, "imported") != 0 && strcmp(ir, "fused") != 0 && strcmp(ir, "tir") != 0 &&
          strcmp(ir, "trace") != 0) {
        status = cli_usage_error(&tsl_command_inspect,
                                 "--ir takes imported, fused, tir or trace, not '%s'", ir);
      }
    } else if (strcmp(argv[i], "--stats") == 0) {
      stats = true;
    } else if (strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (strcmp(argv[i], "--bind") == 0 || strncmp(argv[i], "--bind=", 7) == 0) {
      char *spec = argv[i][6] == '=' ? argv[i] + 7 : i + 1 < argc ? argv[++i] : NULL;
      char *equals = spec ? strchr(spec, '=') : NULL;
      if (!equals || equals == spec || !equals[1]) {
        status = cli_usage_error(&tsl_command_inspect, "--bind needs NAME=FILE");
        break;
      }
      *equals = '\0';
      bindings[num_bindings++] = (tsl_onnx_binding){.name = spec, .path = equals + 1};
    } else if (argv[i][0] == '-' && argv[i][1]) {
      status = cli_usage_error(&tsl_command_inspect, "unknown option '%s'", argv[i]);
    } else if (path) {
      status = cli_usage_error(&tsl_command_inspect, "one model at a time ('%s' and '%s')", path,
                               argv[i]);
    } else {
      path = argv[i];
    }
  }
  if (!status && !path) status = cli_usage_error(&tsl_command_inspect, "no model given");
  if (status) {
    free(bindings);
    return status;
  }
  tsl_onnx_options options = {.bindings = bindings, .num_bindings = num_bindings, .note = cli_note};
  tsl_graph *graph;
  tsl_error error;
  if (tsl_import_onnx(path, &options, &graph, &error)) {
    free(bindings);
    return cli_report(&error);
  }
  /* The passes run when their result is asked for (or a dump of them), for this machine. */
  tsl_graph *optimized = NULL;
  tsl_target host;
  bool fused = strcmp(ir, "fused") == 0, trace = strcmp(ir, "trace") == 0;
  bool tir = trace || strcmp(ir, "tir") == 0;
  if ((stats || json || fused || tir || compile.passes.dump_after || compile.passes.num_disabled) &&
      (tsl_target_parse("llvm", &host, &error) || tsl_llvm_complete_target(&host, &error) ||
       tsl_optimize(graph, &host, &compile, &optimized, &error))) {
    tsl_graph_free(graph);
    free(bindings);
    return cli_report(&error);
  }
  int kernels = optimized ? tsl_graph_count_kernels(optimized) : 0;
  if (json) {
    print_stats_json(path, graph, kernels);
  } else if (stats) {
    print_stats_text(path, graph, kernels, compile.passes.opt_level);
  } else if (tir) {
    cli_default_records(&compile);
    status = print_kernels(path, optimized, &host, &compile, trace);
  } else if (!compile.passes.dump_after || fused) {
    char *text = tsl_graph_print(fused ? optimized : graph);
    fputs(text, stdout);
    free(text);
  }
  tsl_graph_free(optimized);
  tsl_graph_free(graph);
  free(bindings);
  return status;
}
