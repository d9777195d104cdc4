/* The graph's text form (docs/ir.md):
 *
 *   graph "net" {
 *     input %x: f32[1, 3, 8, 8]
 *     const %w: f32[4, 3, 3, 3] = sha256:…
 *     const %eps: f32[] = [1e-05]
 *     %y: f32[1, 4, 6, 6] = conv(%x, %w) {strides=[1, 1]} @"conv_1"
 *     kernel 0 {
 *       %z: f32[1, 4, 6, 6] = conv(%y, %w) {strides=[1, 1]}
 *       %r: f32[1, 4, 6, 6] = relu(%z)
 *     }
 *     output %r
 *   }
 *
 * Attributes equal to their defaults are left out; `_` stands for an absent optional input. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"
#include "ir/graph_text.h"

static bool is_bare_name(const char *name) {
  if (!*name) return false;
  for (const char *c = name; *c; c++) {
    bool word = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                (*c >= '0' && *c <= '9') || strchr("_./-", *c);
    if (!word) return false;
  }
  return true;
}

void tsl_print_name(tsl_text *buffer, const char *name) {
  if (is_bare_name(name)) tsl_text_puts(buffer, name);
  else tsl_print_string(buffer, name);
}

const uint8_t *tsl_value_hash(const tsl_value *value) {
  return value->data ? tsl_tensor_data_hash(value->data) : value->hash;
}

static void print_value_ref(tsl_text *buffer, const tsl_value *value) {
  if (!value) {
    tsl_text_puts(buffer, "_");
    return;
  }
  tsl_text_puts(buffer, "%");
  tsl_print_name(buffer, value->name);
}

static void print_typed_name(tsl_text *buffer, const tsl_value *value) {
  print_value_ref(buffer, value);
  tsl_text_printf(buffer, ": %s", tsl_type_str(&value->type).text);
}

enum { INLINE_ELEMENTS = 8 };

/* Small constants are written by value, so that a pass's test reads as the graph it means:
 * when the graph holds their data, they have at most 8 elements and no NaN (whose bits the
 * text would not keep). */
static bool written_by_value(const tsl_value *value) {
  if (!value->data || tsl_type_elements(&value->type) > INLINE_ELEMENTS) return false;
  for (int64_t i = 0; i < tsl_type_elements(&value->type); i++) {
    if (tsl_dtype_is_float(value->type.dtype) &&
        isnan(tsl_element_get_f64(value->type.dtype, value->data->bytes, i))) {
      return false;
    }
  }
  return true;
}

static void print_values(tsl_text *buffer, const tsl_value *value) {
  tsl_dtype dtype = value->type.dtype;
  tsl_text_puts(buffer, "[");
  for (int64_t i = 0; i < tsl_type_elements(&value->type); i++) {
    if (i) tsl_text_puts(buffer, ", ");
    if (tsl_dtype_is_float(dtype)) {
      tsl_print_real(buffer, tsl_element_get_f64(dtype, value->data->bytes, i),
                     dtype != TSL_DTYPE_F64);
    } else if (dtype == TSL_DTYPE_U64) {
      tsl_text_printf(buffer, "%" PRIu64,
                      (uint64_t)tsl_element_get_i64(dtype, value->data->bytes, i));
    } else {
      tsl_text_printf(buffer, "%" PRId64, tsl_element_get_i64(dtype, value->data->bytes, i));
    }
  }
  tsl_text_puts(buffer, "]");
}

static void print_constant(tsl_text *buffer, const tsl_value *value) {
  tsl_text_puts(buffer, "  const ");
  print_typed_name(buffer, value);
  tsl_text_puts(buffer, " = ");
  if (written_by_value(value)) {
    print_values(buffer, value);
  } else {
    char hex[65];
    tsl_hash_hex(tsl_value_hash(value), hex);
    tsl_text_printf(buffer, "sha256:%s", hex);
  }
  tsl_text_puts(buffer, "\n");
}

static void print_attrs(tsl_text *buffer, const tsl_node *node) {
  const tsl_op_def *def = tsl_op_get(node->op);
  bool first = true;
  for (int i = 0; i < def->num_attrs; i++) {
    /* A required attribute is always written; an optional one when it is not the default. */
    if (def->attr_defs[i].default_text && tsl_attr_equal(&node->attrs[i], &def->defaults[i])) {
      continue;
    }
    tsl_text_puts(buffer, first ? " {" : ", ");
    tsl_text_printf(buffer, "%s=", def->attr_defs[i].name);
    tsl_attr_print(buffer, &node->attrs[i]);
    first = false;
  }
  if (!first) tsl_text_puts(buffer, "}");
}

static void print_node(tsl_text *buffer, const tsl_node *node) {
  tsl_text_puts(buffer, node->group >= 0 ? "    " : "  ");
  for (int i = 0; i < node->num_outputs; i++) {
    if (i) tsl_text_puts(buffer, ", ");
    print_typed_name(buffer, node->outputs[i]);
  }
  tsl_text_printf(buffer, " = %s(", tsl_op_get(node->op)->name);
  for (int i = 0; i < node->num_inputs; i++) {
    if (i) tsl_text_puts(buffer, ", ");
    print_value_ref(buffer, node->inputs[i]);
  }
  tsl_text_puts(buffer, ")");
  print_attrs(buffer, node);
  if (node->name) {
    tsl_text_puts(buffer, " @");
    tsl_print_name(buffer, node->name);
  }
  tsl_text_puts(buffer, "\n");
}

char *tsl_graph_print(const tsl_graph *graph) {
  tsl_text buffer = {0};
  tsl_text_puts(&buffer, "graph ");
  tsl_print_string(&buffer, graph->name);
  tsl_text_puts(&buffer, " {\n");
  for (int i = 0; i < graph->num_inputs; i++) {
    tsl_text_puts(&buffer, "  input ");
    print_typed_name(&buffer, graph->inputs[i]);
    tsl_text_puts(&buffer, "\n");
  }
  for (int i = 0; i < graph->num_constants; i++) print_constant(&buffer, graph->constants[i]);
  /* The nodes of a fused group (passes/graph/fuse.c) stand in a block: one kernel. */
  for (int i = 0; i < graph->num_nodes; i++) {
    const tsl_node *node = graph->nodes[i];
    if (node->group >= 0 && (i == 0 || graph->nodes[i - 1]->group != node->group)) {
      tsl_text_printf(&buffer, "  kernel %d {\n", node->group);
    }
    print_node(&buffer, node);
    if (node->group >= 0 && (i + 1 == graph->num_nodes || graph->nodes[i + 1]->group != node->group)) {
      tsl_text_puts(&buffer, "  }\n");
    }
  }
  for (int i = 0; i < graph->num_outputs; i++) {
    const tsl_graph_output *output = &graph->outputs[i];
    tsl_text_puts(&buffer, "  output ");
    if (strcmp(output->name, output->value->name) != 0) {
      tsl_print_name(&buffer, output->name);
      tsl_text_puts(&buffer, " = ");
    }
    print_value_ref(&buffer, output->value);
    tsl_text_puts(&buffer, "\n");
  }
  tsl_text_puts(&buffer, "}\n");
  return tsl_text_take(&buffer);
}
