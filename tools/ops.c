/* tessel ops: the operator registry, as text or as the Markdown of docs/operators.md. */
#include <stdio.h>
#include <string.h>

#include "ir/ops/op.h"
#include "tools/cli.h"

static int run(int argc, char **argv);

const tsl_command tsl_command_ops = {
    .name = "ops",
    .summary = "list tessel's operators: ports, attributes, fusion pattern",
    .usage =
        "usage: tessel ops [--markdown]\n"
        "\n"
        "Lists every operator of the graph IR with its inputs, outputs, attributes (with\n"
        "their defaults) and fusion pattern kind. --markdown writes docs/operators.md.\n",
    .run = run,
};

static void print_ports(const tsl_op_def *op, bool inputs) {
  int count = inputs ? op->num_input_names : op->num_output_names;
  int min = inputs ? op->min_inputs : op->min_outputs;
  int max = inputs ? op->max_inputs : op->max_outputs;
  for (int i = 0; i < count; i++) {
    const char *name = inputs ? op->input_names[i] : op->output_names[i];
    const char *mark = max < 0 ? "..." : i >= min ? "?" : "";
    printf("%s%s%s", i ? " " : "", name, mark);
  }
}

static void print_attrs(const tsl_op_def *op) {
  for (int i = 0; i < op->num_attrs; i++) {
    const tsl_attr_def *def = &op->attr_defs[i];
    printf("%s%s: %s", i ? ", " : "", def->name, tsl_attr_kind_name(def->kind));
    printf(def->default_text ? " = %s" : " (required)", def->default_text);
  }
}

/* Table cells may not hold '|': it is escaped. */
static void print_markdown_text(const char *text) {
  for (const char *c = text; *c; c++) {
    if (*c == '|')
      fputs("\\|", stdout);
    else
      putchar(*c);
  }
}

static int run(int argc, char **argv) {
  bool markdown = argc == 1 && strcmp(argv[0], "--markdown") == 0;
  if (argc > 0 && !markdown)
    return cli_usage_error(&tsl_command_ops, "unknown argument '%s'", argv[0]);
  if (markdown) {
    printf(
        "# Operators\n\n"
        "Every operator of tessel's graph IR, as `tessel ops --markdown` prints it from the\n"
        "registry (`ir/ops/op_table.h`). Inputs marked `?` are optional, `...` a list of one\n"
        "or more. Attributes without a default are required. The pattern says how the\n"
        "operator fuses with its neighbours.\n\n"
        "| operator | computes | inputs -> outputs | attributes | pattern |\n"
        "|---|---|---|---|---|\n");
  }
  for (int kind = 0; kind < TSL_OP_COUNT; kind++) {
    const tsl_op_def *op = tsl_op_get((tsl_op_kind)kind);
    if (markdown) {
      printf("| `%s` | ", op->name);
      print_markdown_text(op->doc);
      printf(" | ");
    } else {
      printf("%s  (%s)\n    %s\n    ", op->name, tsl_pattern_name(op->pattern), op->doc);
    }
    print_ports(op, true);
    printf(" -> ");
    print_ports(op, false);
    if (op->num_attrs)
      printf(markdown ? " | " : "\n    ");
    else if (markdown)
      printf(" | ");
    print_attrs(op);
    if (markdown)
      printf(" | %s |\n", tsl_pattern_name(op->pattern));
    else
      printf("\n");
  }
  return 0;
}
