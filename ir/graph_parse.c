/* Reads the graph's text form (as graph_print.c writes it) back into a graph. The types written
 * for node outputs are checked against the type rules once the whole graph is read. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"
#include "ir/error.h"
#include "ir/graph_text.h"
#include "ir/weights.h"

typedef struct parser {
  tsl_scanner scanner;
  const char *name; /* of the text, for messages */
  tsl_graph *graph;
  tsl_error *error;
} parser;

static bool fail(parser *p, const char *format, ...) __attribute__((format(printf, 2, 3)));

static bool fail(parser *p, const char *format, ...) {
  char message[sizeof(p->error->message)];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  tsl_fail(p->error, TSL_ERROR_INPUT, "%s:%d: %s", p->name, p->scanner.line, message);
  return false;
}

static bool expect(parser *p, const char *token) {
  return tsl_scan_accept(&p->scanner, token) || fail(p, "expected '%s'", token);
}

/* A name after '%' or '@': bare or quoted; the result lives in the graph's arena. */
static bool parse_name(parser *p, const char **name) {
  tsl_scan_more(&p->scanner);
  if (p->scanner.at < p->scanner.end && *p->scanner.at == '"') {
    char *text;
    if (!tsl_scan_string(&p->scanner, &text)) return fail(p, "unterminated name");
    *name = tsl_arena_strdup(p->graph->arena, text);
    free(text);
    return true;
  }
  const char *start;
  size_t length;
  if (!tsl_scan_word(&p->scanner, &start, &length)) return fail(p, "expected a name");
  *name = tsl_arena_strndup(p->graph->arena, start, length);
  return true;
}

static bool parse_type(parser *p, tsl_type *type) {
  const char *start;
  size_t length;
  if (!tsl_scan_identifier(&p->scanner, &start, &length)) return fail(p, "expected a dtype");
  *type = (tsl_type){.dtype = tsl_dtype_parse(start, length)};
  if (type->dtype == TSL_DTYPE_INVALID) {
    return fail(p, "unknown dtype '%.*s'", (int)length, start);
  }
  if (!expect(p, "[")) return false;
  if (tsl_scan_accept(&p->scanner, "]")) return true;
  do {
    if (type->rank == TSL_MAX_RANK) return fail(p, "rank above %d", TSL_MAX_RANK);
    if (!tsl_scan_int(&p->scanner, &type->dims[type->rank++])) {
      return fail(p, "expected a dimension");
    }
  } while (tsl_scan_accept(&p->scanner, ","));
  int64_t elements;
  if (!expect(p, "]")) return false;
  if (!tsl_shape_elements(type->rank, type->dims, &elements)) {
    return fail(p, "shape %s is negative or too large", tsl_shape_str(type->rank, type->dims).text);
  }
  return true;
}

/* "%name: type", declaring a new value; the name must be new. */
static bool parse_declaration(parser *p, const char **name, tsl_type *type) {
  if (!expect(p, "%") || !parse_name(p, name)) return false;
  if (tsl_graph_find(p->graph, *name)) return fail(p, "'%%%s' is defined twice", *name);
  return expect(p, ":") && parse_type(p, type);
}

static bool parse_reference(parser *p, tsl_value **value) {
  if (tsl_scan_accept(&p->scanner, "_")) {
    *value = NULL;
    return true;
  }
  const char *name;
  if (!expect(p, "%") || !parse_name(p, &name)) return false;
  *value = tsl_graph_find(p->graph, name);
  return *value || fail(p, "'%%%s' is not defined", name);
}

static bool parse_input(parser *p) {
  const char *name;
  tsl_type type;
  if (!parse_declaration(p, &name, &type)) return false;
  tsl_graph_add_input(p->graph, name, &type);
  return true;
}

/* `[1.5, -2.0]`: the values of a small constant, as many as its type holds. */
static bool parse_values(parser *p, const char *name, const tsl_type *type) {
  if (tsl_type_elements(type) > 65536) {
    return fail(p, "'%%%s' has %" PRId64 " elements: too many to write by value", name,
                tsl_type_elements(type));
  }
  tsl_tensor_data *data = tsl_tensor_data_new(type);
  int64_t count = tsl_type_elements(type), read = 0;
  bool ok = true;
  if (!tsl_scan_accept(&p->scanner, "]")) {
    do {
      double real;
      int64_t integer;
      if (read == count) {
        ok = fail(p, "'%%%s' holds %" PRId64 " values; more are written", name, count);
      } else if (tsl_dtype_is_float(type->dtype) ? tsl_scan_float(&p->scanner, &real)
                                                 : tsl_scan_int(&p->scanner, &integer)) {
        if (tsl_dtype_is_float(type->dtype)) tsl_element_set_f64(type->dtype, data->bytes, read, real);
        else tsl_element_set_i64(type->dtype, data->bytes, read, integer);
        read++;
      } else {
        ok = fail(p, "expected a value of '%%%s' (%s)", name, tsl_dtype_name(type->dtype));
      }
    } while (ok && tsl_scan_accept(&p->scanner, ","));
    if (ok) ok = expect(p, "]");
  }
  if (ok && read != count) {
    ok = fail(p, "'%%%s' holds %" PRId64 " values; %" PRId64 " are written", name, count, read);
  }
  if (ok) tsl_graph_add_constant(p->graph, name, data);
  else tsl_tensor_data_release(data);
  return ok;
}

static bool parse_constant(parser *p) {
  const char *name, *word;
  size_t length;
  tsl_type type;
  uint8_t hash[32];
  if (!parse_declaration(p, &name, &type) || !expect(p, "=")) return false;
  if (tsl_scan_accept(&p->scanner, "[")) return parse_values(p, name, &type);
  if (!tsl_scan_accept(&p->scanner, "sha256:") || !tsl_scan_word(&p->scanner, &word, &length) ||
      length != 64 || !tsl_hash_parse(word, hash)) {
    return fail(p, "expected [values] or sha256: and 64 hex digits");
  }
  tsl_graph_add_constant_ref(p->graph, name, &type, hash);
  return true;
}

static bool parse_attrs(parser *p, tsl_node *node) {
  const tsl_op_def *def = tsl_op_get(node->op);
  bool given[def->num_attrs + 1];
  memset(given, 0, sizeof(given));
  if (tsl_scan_accept(&p->scanner, "{")) {
    do {
      const char *start;
      size_t length;
      if (!tsl_scan_identifier(&p->scanner, &start, &length)) {
        return fail(p, "expected an attribute name");
      }
      char *attr_name = tsl_arena_strndup(p->graph->arena, start, length);
      int index = tsl_op_attr_index(def, attr_name);
      if (index < 0) return fail(p, "%s has no attribute '%s'", def->name, attr_name);
      if (given[index]) return fail(p, "attribute '%s' is given twice", attr_name);
      given[index] = true;
      if (!expect(p, "=")) return false;
      if (!tsl_attr_parse(&p->scanner, p->graph->arena, def->attr_defs[index].kind,
                          &node->attrs[index])) {
        return fail(p, "attribute '%s' needs a value of kind %s", attr_name,
                    tsl_attr_kind_name(def->attr_defs[index].kind));
      }
    } while (tsl_scan_accept(&p->scanner, ","));
    if (!expect(p, "}")) return false;
  }
  for (int i = 0; i < def->num_attrs; i++) {
    if (!given[i] && !def->attr_defs[i].default_text) {
      return fail(p, "%s needs attribute '%s'", def->name, def->attr_defs[i].name);
    }
  }
  return true;
}

typedef struct declaration {
  const char *name;
  tsl_type type;
} declaration;

static bool parse_node(parser *p) {
  tsl_arena *arena = p->graph->arena;
  declaration *outputs = NULL;
  int num_outputs = 0, outputs_capacity = 0;
  do {
    declaration output;
    if (!parse_declaration(p, &output.name, &output.type)) return false;
    for (int i = 0; i < num_outputs; i++) {
      if (strcmp(outputs[i].name, output.name) == 0) {
        return fail(p, "'%%%s' is defined twice", output.name);
      }
    }
    TSL_ARENA_PUSH(arena, outputs, num_outputs, outputs_capacity, output);
  } while (tsl_scan_accept(&p->scanner, ","));
  const char *start;
  size_t length;
  if (!expect(p, "=")) return false;
  if (!tsl_scan_identifier(&p->scanner, &start, &length)) return fail(p, "expected an operator");
  tsl_op_kind op = tsl_op_lookup(start, length);
  if (op == TSL_OP_COUNT) return fail(p, "unknown operator '%.*s'", (int)length, start);
  tsl_value **inputs = NULL;
  int num_inputs = 0, inputs_capacity = 0;
  if (!expect(p, "(")) return false;
  if (!tsl_scan_accept(&p->scanner, ")")) {
    do {
      tsl_value *input;
      if (!parse_reference(p, &input)) return false;
      TSL_ARENA_PUSH(arena, inputs, num_inputs, inputs_capacity, input);
    } while (tsl_scan_accept(&p->scanner, ","));
    if (!expect(p, ")")) return false;
  }
  const char **names = TSL_ARENA_ARRAY(arena, const char *, num_outputs);
  for (int i = 0; i < num_outputs; i++) names[i] = outputs[i].name;
  tsl_node *node = tsl_graph_add_node(p->graph, op, NULL, num_inputs, inputs, num_outputs, names);
  for (int i = 0; i < num_outputs; i++) node->outputs[i]->type = outputs[i].type;
  if (!parse_attrs(p, node)) return false;
  if (tsl_scan_accept(&p->scanner, "@")) {
    const char *node_name;
    if (!parse_name(p, &node_name)) return false;
    node->name = node_name;
  }
  return true;
}

static bool parse_output(parser *p) {
  const char *name = NULL;
  tsl_value *value;
  if (!tsl_scan_more(&p->scanner)) return fail(p, "expected an output");
  if (*p->scanner.at != '%') {
    if (!parse_name(p, &name) || !expect(p, "=")) return false;
  }
  if (!parse_reference(p, &value)) return false;
  if (!value) return fail(p, "an output cannot be absent");
  tsl_graph_add_output(p->graph, name, value);
  return true;
}

/* `kernel N { nodes }`: the nodes of one fused group. */
static bool parse_kernel(parser *p) {
  int64_t group;
  if (!tsl_scan_int(&p->scanner, &group) || group < 0 || group > INT32_MAX) {
    return fail(p, "expected the kernel's number");
  }
  for (int n = 0; n < p->graph->num_nodes; n++) {
    if (p->graph->nodes[n]->group == group) return fail(p, "kernel %" PRId64 " is written twice", group);
  }
  if (!expect(p, "{")) return false;
  while (!tsl_scan_accept(&p->scanner, "}")) {
    if (!tsl_scan_more(&p->scanner)) return fail(p, "expected '}' before the end");
    if (!parse_node(p)) return false;
    p->graph->nodes[p->graph->num_nodes - 1]->group = (int)group;
  }
  return true;
}

static bool parse_graph(parser *p) {
  char *graph_name;
  if (!tsl_scan_accept(&p->scanner, "graph")) return fail(p, "expected 'graph'");
  if (!tsl_scan_string(&p->scanner, &graph_name)) return fail(p, "expected the graph's name");
  p->graph = tsl_graph_new(graph_name);
  free(graph_name);
  if (!expect(p, "{")) return false;
  while (!tsl_scan_accept(&p->scanner, "}")) {
    if (!tsl_scan_more(&p->scanner)) return fail(p, "expected '}' before the end");
    bool parsed;
    if (tsl_scan_accept(&p->scanner, "input ")) parsed = parse_input(p);
    else if (tsl_scan_accept(&p->scanner, "const ")) parsed = parse_constant(p);
    else if (tsl_scan_accept(&p->scanner, "output ")) parsed = parse_output(p);
    else if (tsl_scan_accept(&p->scanner, "kernel ")) parsed = parse_kernel(p);
    else parsed = parse_node(p);
    if (!parsed) return false;
  }
  if (tsl_scan_more(&p->scanner)) return fail(p, "unexpected text after the graph");
  return true;
}

/* Gives each constant its data from the weights file, checked against its declared type. */
static tsl_status attach_weights(parser *p, const char *weights_path) {
  tsl_weights *weights;
  tsl_status status = tsl_weights_read(weights_path, &weights, p->error);
  if (status) return status;
  for (int i = 0; i < p->graph->num_constants && !status; i++) {
    tsl_value *constant = p->graph->constants[i];
    if (constant->data) continue; /* written by value */
    tsl_tensor_data *data = tsl_weights_find(weights, constant->hash, &constant->type);
    if (!data) {
      char hex[65];
      tsl_hash_hex(constant->hash, hex);
      status = tsl_fail(p->error, TSL_ERROR_INPUT, "%s: no data for constant %%%s (%s, sha256:%s)",
                        weights_path, constant->name, tsl_type_str(&constant->type).text, hex);
    } else {
      constant->data = tsl_tensor_data_retain(data);
    }
  }
  tsl_weights_free(weights);
  return status;
}

tsl_status tsl_graph_parse(const char *text, size_t length, const char *name,
                           const char *weights_path, tsl_graph **graph, tsl_error *error) {
  parser p = {.scanner = tsl_scanner_make(text, length), .name = name, .error = error};
  *graph = NULL;
  tsl_status status = parse_graph(&p) ? TSL_OK : error->status;
  if (!status && weights_path) status = attach_weights(&p, weights_path);
  if (!status) {
    status = tsl_graph_verify(p.graph, error);
    if (status) tsl_error_prefix(error, "%s: ", name);
  }
  if (status) {
    tsl_graph_free(p.graph);
    return status;
  }
  *graph = p.graph;
  return TSL_OK;
}
