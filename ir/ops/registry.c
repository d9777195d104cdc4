/* Builds the operator definitions from op_table.h: port names from the specs, attribute
 * defaults parsed from their literals. Done once, on first use. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>

#include "ir/check.h"
#include "ir/ops/compute.h"
#include "ir/ops/rules.h"

/* Operators without a compute rule yet. */
#define tsl_compute_none NULL

static const char *const pattern_names[] = {
#define X(kind, name) name,
    TSL_PATTERNS(X)
#undef X
};

const char *tsl_pattern_name(tsl_pattern pattern) { return pattern_names[pattern]; }

static struct {
  const char *name;
  tsl_pattern pattern;
  const char *inputs, *outputs;
  tsl_type_rule rule;
  tsl_compute_rule compute;
  const tsl_attr_def *attrs;
  const char *doc;
} const table[TSL_OP_COUNT] = {
#define X(name, pattern, inputs, outputs, rule, compute, attrs, doc) \
  {#name, TSL_PATTERN_##pattern, inputs, outputs, tsl_rule_##rule, tsl_compute_##compute, attrs, doc},
    TSL_OP_TABLE(X)
#undef X
};

static tsl_op_def definitions[TSL_OP_COUNT];
static tsl_arena *registry_arena;
static once_flag registry_once = ONCE_FLAG_INIT;

/* Splits "x w b?" into names and counts; returns the number of names. */
static int parse_ports(const char *spec, const char **names, int *min, int *max) {
  int count = 0;
  *min = *max = 0;
  const char *at = spec;
  while (*at) {
    while (*at == ' ') at++;
    if (!*at) break;
    const char *start = at;
    while (*at && *at != ' ') at++;
    size_t length = (size_t)(at - start);
    bool optional = start[length - 1] == '?';
    bool variadic = length > 3 && memcmp(start + length - 3, "...", 3) == 0;
    size_t name_length = length - (optional ? 1 : variadic ? 3 : 0);
    TSL_CHECK(count < TSL_MAX_PORTS);
    names[count++] = tsl_arena_strndup(registry_arena, start, name_length);
    if (variadic) {
      *min += 1;
      *max = -1;
    } else {
      if (!optional) *min += 1;
      if (*max >= 0) *max += 1;
    }
  }
  return count;
}

static void build_registry(void) {
  registry_arena = tsl_arena_new();
  for (int kind = 0; kind < TSL_OP_COUNT; kind++) {
    tsl_op_def *op = &definitions[kind];
    op->kind = (tsl_op_kind)kind;
    op->name = table[kind].name;
    op->pattern = table[kind].pattern;
    op->type_rule = table[kind].rule;
    op->compute_rule = table[kind].compute;
    op->attr_defs = table[kind].attrs;
    op->doc = table[kind].doc;
    op->num_input_names =
        parse_ports(table[kind].inputs, op->input_names, &op->min_inputs, &op->max_inputs);
    op->num_output_names =
        parse_ports(table[kind].outputs, op->output_names, &op->min_outputs, &op->max_outputs);
    while (op->attr_defs[op->num_attrs].name) op->num_attrs++;
    tsl_attr *defaults = TSL_ARENA_ARRAY(registry_arena, tsl_attr, op->num_attrs + 1);
    for (int i = 0; i < op->num_attrs; i++) {
      const tsl_attr_def *def = &op->attr_defs[i];
      if (!def->default_text) {
        defaults[i] = (tsl_attr){.kind = def->kind};
        continue;
      }
      tsl_scanner scanner = tsl_scanner_make(def->default_text, strlen(def->default_text));
      bool parsed = tsl_attr_parse(&scanner, registry_arena, def->kind, &defaults[i]);
      TSL_CHECK(parsed && !tsl_scan_more(&scanner));
    }
    op->defaults = defaults;
  }
}

const tsl_op_def *tsl_op_get(tsl_op_kind kind) {
  TSL_CHECK(kind >= 0 && kind < TSL_OP_COUNT);
  call_once(&registry_once, build_registry);
  return &definitions[kind];
}

tsl_op_kind tsl_op_lookup(const char *name, size_t length) {
  for (int kind = 0; kind < TSL_OP_COUNT; kind++) {
    if (strlen(table[kind].name) == length && memcmp(table[kind].name, name, length) == 0)
      return (tsl_op_kind)kind;
  }
  return TSL_OP_COUNT;
}

int tsl_op_attr_index(const tsl_op_def *op, const char *name) {
  for (int i = 0; i < op->num_attrs; i++) {
    if (strcmp(op->attr_defs[i].name, name) == 0) return i;
  }
  return -1;
}

static const char *port_name(const char *const *names, int count, int max, int index) {
  if (max < 0 && index >= count - 1) return names[count - 1];
  return index < count ? names[index] : "?";
}

const char *tsl_op_input_name(const tsl_op_def *op, int index) {
  return port_name(op->input_names, op->num_input_names, op->max_inputs, index);
}

const char *tsl_op_output_name(const tsl_op_def *op, int index) {
  return port_name(op->output_names, op->num_output_names, op->max_outputs, index);
}

static bool count_fits(int count, int min, int max) {
  return count >= min && (max < 0 || count <= max);
}

static const char *describe_count(char *text, size_t size, int min, int max) {
  if (max < 0) snprintf(text, size, "%d or more", min);
  else if (max == min) snprintf(text, size, "%d", min);
  else snprintf(text, size, "%d to %d", min, max);
  return text;
}

bool tsl_op_infer(tsl_type_call *call) {
  const tsl_op_def *op = call->op;
  char expected[32];
  if (!count_fits(call->num_inputs, op->min_inputs, op->max_inputs)) {
    return rule_fail(call, "%s takes %s inputs, not %d", op->name,
                     describe_count(expected, sizeof(expected), op->min_inputs, op->max_inputs),
                     call->num_inputs);
  }
  if (!count_fits(call->num_outputs, op->min_outputs, op->max_outputs)) {
    return rule_fail(call, "%s has %s outputs, not %d", op->name,
                     describe_count(expected, sizeof(expected), op->min_outputs, op->max_outputs),
                     call->num_outputs);
  }
  /* Every input before the first optional one is required, and every one of a list. */
  for (int i = 0; i < call->num_inputs && (i < op->min_inputs || op->max_inputs < 0); i++) {
    if (!call->inputs[i]) {
      char label[64];
      return rule_fail(call, "%s is required", rule_input_label(call, i, label, sizeof(label)));
    }
  }
  return op->type_rule(call);
}
