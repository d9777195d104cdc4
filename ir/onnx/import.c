/* The ONNX importer: decodes the model with protobuf-c, turns initializers into constants and
 * graph inputs into inputs, maps every node through its operator's mapping (map_*.c), and
 * drops what the outputs do not need. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ir/check.h"
#include "ir/onnx/import.h"
#include "ir/tensor_file.h"
#include "ir/ops/eval.h"

/* The newest default-domain opset whose operators tessel knows. */
enum { NEWEST_OPSET = 28, OLDEST_OPSET = 1 };

/* Protobuf caps a message at 2 GiB; larger files are external-data models gone wrong. */
#define MAX_MODEL_BYTES (INT64_C(2) << 30)

/* ---- failing ---------------------------------------------------------------------------- */

static bool default_domain(const char *domain) {
  return !domain || !*domain || strcmp(domain, "ai.onnx") == 0;
}

/* The version the model imports of a domain's operator set; -1 when it imports none. */
static int64_t domain_opset(const importer *im, const char *domain) {
  if (default_domain(domain)) return im->opset;
  for (size_t i = 0; i < im->model->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *opset = im->model->opset_import[i];
    if (opset->domain && strcmp(opset->domain, domain) == 0) return opset->version;
  }
  return -1;
}

/* "node 'conv_3' (Conv, ai.onnx opset 13)", or "node #17 (Conv → 'y', ai.onnx opset 13)". */
static const char *node_place(const importer *im, char *text, size_t size) {
  const Onnx__NodeProto *node = im->node;
  const char *op = node->op_type ? node->op_type : "?";
  const char *domain = default_domain(node->domain) ? "ai.onnx" : node->domain;
  char version[64];
  int64_t opset = domain_opset(im, node->domain);
  if (opset < 0) snprintf(version, sizeof(version), "%s, not imported", domain);
  else snprintf(version, sizeof(version), "%s opset %lld", domain, (long long)opset);
  if (node->name && *node->name) {
    snprintf(text, size, "node '%s' (%s, %s)", node->name, op, version);
  } else {
    const char *output = node->n_output && node->output[0] ? node->output[0] : "";
    snprintf(text, size, "node #%d (%s → '%s', %s)", im->node_index, op, output, version);
  }
  return text;
}

tsl_status im_fail_with(importer *im, tsl_status status, const char *format, ...) {
  char message[sizeof(im->error->message)];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  if (im->node) {
    char place[512];
    return tsl_fail(im->error, status, "%s: %s: %s", im->path,
                    node_place(im, place, sizeof(place)), message);
  }
  return tsl_fail(im->error, status, "%s: %s", im->path, message);
}

/* ---- reading the node ------------------------------------------------------------------- */

int im_num_inputs(const importer *im) { return (int)im->node->n_input; }
int im_num_outputs(const importer *im) { return (int)im->node->n_output; }

tsl_value *im_input(const importer *im, int index) {
  if (index < 0 || index >= im_num_inputs(im)) return NULL;
  const char *name = im->node->input[index];
  if (!name || !*name) return NULL;
  return tsl_strmap_get(&im->values, name);
}

bool im_output_wanted(const importer *im, int index) {
  return index < im_num_outputs(im) && im->node->output[index] && *im->node->output[index];
}

tsl_status im_require_input(importer *im, int index, tsl_value **value) {
  *value = im_input(im, index);
  if (*value) return TSL_OK;
  return im_fail(im, "input %d is required", index);
}

const Onnx__AttributeProto *im_attr(const importer *im, const char *name) {
  for (size_t i = 0; i < im->node->n_attribute; i++) {
    const Onnx__AttributeProto *attr = im->node->attribute[i];
    if (attr->name && strcmp(attr->name, name) == 0) return attr;
  }
  return NULL;
}

int64_t im_attr_int(const importer *im, const char *name, int64_t fallback) {
  const Onnx__AttributeProto *attr = im_attr(im, name);
  if (!attr) return fallback;
  if (attr->has_i) return attr->i;
  if (attr->has_f) return (int64_t)attr->f; /* some exporters write floats (LpPool's p) */
  return fallback;
}

double im_attr_float(const importer *im, const char *name, double fallback) {
  const Onnx__AttributeProto *attr = im_attr(im, name);
  if (!attr) return fallback;
  if (attr->has_f) return attr->f;
  if (attr->has_i) return (double)attr->i;
  return fallback;
}

const int64_t *im_attr_ints(const importer *im, const char *name, int *count) {
  const Onnx__AttributeProto *attr = im_attr(im, name);
  *count = -1;
  if (!attr) return NULL;
  *count = (int)attr->n_ints;
  return tsl_arena_memdup(im->graph->arena, attr->ints, sizeof(int64_t) * attr->n_ints);
}

const double *im_attr_floats(const importer *im, const char *name, int *count) {
  const Onnx__AttributeProto *attr = im_attr(im, name);
  *count = -1;
  if (!attr) return NULL;
  double *values = TSL_ARENA_ARRAY(im->graph->arena, double, attr->n_floats + 1);
  for (size_t i = 0; i < attr->n_floats; i++) values[i] = attr->floats[i];
  *count = (int)attr->n_floats;
  return values;
}

const char *im_attr_string(const importer *im, const char *name, const char *fallback) {
  const Onnx__AttributeProto *attr = im_attr(im, name);
  if (!attr || !attr->has_s) return fallback;
  return tsl_arena_strndup(im->graph->arena, (const char *)attr->s.data, attr->s.len);
}

/* ---- emitting --------------------------------------------------------------------------- */

tsl_node *im_node(importer *im, tsl_op_kind op, int num_inputs, tsl_value *const *inputs,
                  int num_outputs, bool named) {
  const char **names = TSL_ARENA_ARRAY(im->graph->arena, const char *, num_outputs + 1);
  for (int i = 0; named && i < num_outputs && i < im_num_outputs(im); i++) {
    names[i] = im->node->output[i];
  }
  if (!named && im_num_outputs(im) > 0 && im->node->output[0]) {
    /* Steps of an expansion are named after the node's first output. */
    const char *base = im->node->output[0];
    for (int i = 0; i < num_outputs; i++) {
      names[i] = tsl_arena_printf(im->graph->arena, "%s/%s", base, tsl_op_get(op)->name);
    }
  }
  return tsl_graph_add_node(im->graph, op, im->node->name, num_inputs, inputs, num_outputs,
                            names);
}

void im_set_int(importer *im, tsl_node *node, const char *name, int64_t value) {
  tsl_node_set_attr(im->graph, node, name, tsl_attr_int(value));
}

void im_set_float(importer *im, tsl_node *node, const char *name, double value) {
  tsl_node_set_attr(im->graph, node, name, tsl_attr_float(value));
}

void im_set_ints(importer *im, tsl_node *node, const char *name, int count, const int64_t *values) {
  tsl_node_set_attr(im->graph, node, name, tsl_attr_ints(im->graph->arena, count, values));
}

void im_set_floats(importer *im, tsl_node *node, const char *name, int count,
                   const double *values) {
  tsl_node_set_attr(im->graph, node, name, tsl_attr_floats(im->graph->arena, count, values));
}

void im_set_string(importer *im, tsl_node *node, const char *name, const char *value) {
  tsl_node_set_attr(im->graph, node, name, tsl_attr_string(im->graph->arena, value));
}

void im_set_dtype(importer *im, tsl_node *node, const char *name, tsl_dtype value) {
  tsl_node_set_attr(im->graph, node, name, tsl_attr_dtype(value));
}

void im_copy_attr(importer *im, tsl_node *node, const char *name) {
  const Onnx__AttributeProto *attr = im_attr(im, name);
  const tsl_op_def *def = tsl_op_get(node->op);
  int index = tsl_op_attr_index(def, name);
  if (!attr || index < 0) return;
  switch (def->attr_defs[index].kind) {
  case TSL_ATTR_INT: im_set_int(im, node, name, im_attr_int(im, name, 0)); break;
  case TSL_ATTR_FLOAT: im_set_float(im, node, name, im_attr_float(im, name, 0)); break;
  case TSL_ATTR_STRING: im_set_string(im, node, name, im_attr_string(im, name, "")); break;
  case TSL_ATTR_INTS: {
    int count;
    const int64_t *values = im_attr_ints(im, name, &count);
    im_set_ints(im, node, name, count, values);
    break;
  }
  case TSL_ATTR_FLOATS: {
    int count;
    const double *values = im_attr_floats(im, name, &count);
    im_set_floats(im, node, name, count, values);
    break;
  }
  case TSL_ATTR_DTYPE: TSL_UNREACHABLE();
  }
}

tsl_status im_infer(importer *im, tsl_node *node) {
  tsl_status status = tsl_node_infer(node, im->error);
  if (status) return im_fail_with(im, status, "%s", im->error->message);
  return TSL_OK;
}

tsl_value *im_call(importer *im, tsl_op_kind op, int num_inputs, tsl_value *const *inputs) {
  tsl_node *node = im_node(im, op, num_inputs, inputs, 1, false);
  return im_infer(im, node) ? NULL : node->outputs[0];
}

tsl_value *im_call1(importer *im, tsl_op_kind op, tsl_value *x) { return im_call(im, op, 1, &x); }

tsl_value *im_call2(importer *im, tsl_op_kind op, tsl_value *a, tsl_value *b) {
  tsl_value *inputs[2] = {a, b};
  return im_call(im, op, 2, inputs);
}

tsl_value *im_reshape(importer *im, tsl_value *x, int rank, const int64_t *dims) {
  tsl_type target = tsl_type_make(x->type.dtype, rank, dims);
  if (tsl_type_equal(&target, &x->type)) return x;
  tsl_node *node = im_node(im, TSL_OP_reshape, 1, &x, 1, false);
  im_set_ints(im, node, "shape", rank, dims);
  return im_infer(im, node) ? NULL : node->outputs[0];
}

void im_set_output(importer *im, int index, tsl_value *value) {
  if (!im_output_wanted(im, index)) return;
  /* Keys are the model's own strings, which outlive the map. */
  tsl_strmap_put(&im->values, im->node->output[index], value);
}

tsl_status im_finish(importer *im, tsl_node *node) {
  TRY(im_infer(im, node));
  for (int i = 0; i < node->num_outputs; i++) im_set_output(im, i, node->outputs[i]);
  return TSL_OK;
}

/* ---- constants -------------------------------------------------------------------------- */

tsl_value *im_constant_from(importer *im, const char *name, tsl_tensor_data *data) {
  return tsl_graph_add_constant(im->graph, name, data);
}

tsl_value *im_scalar(importer *im, tsl_dtype dtype, double value) {
  tsl_type type = tsl_type_scalar(dtype);
  tsl_tensor_data *data = tsl_tensor_data_new(&type);
  TSL_CHECK_ALLOC(data);
  tsl_element_set_f64(dtype, data->bytes, 0, value);
  const char *base = im->node && im_num_outputs(im) ? im->node->output[0] : "const";
  return tsl_graph_add_constant(im->graph, tsl_arena_printf(im->graph->arena, "%s/const", base),
                                data);
}

static tsl_status read_binding_file(importer *im, const char *path, const char *input,
                                    tsl_tensor_data **data) {
  tsl_status status = tsl_read_tensor_file(path, data, im->error);
  if (status) {
    return im_fail_with(im, status, "%s (the value for input '%s')", im->error->message, input);
  }
  return TSL_OK;
}

static const tsl_onnx_binding *find_binding(const importer *im, const char *name) {
  const tsl_onnx_options *options = im->options;
  for (int i = 0; options && i < options->num_bindings; i++) {
    const tsl_onnx_binding *binding = &options->bindings[i];
    if (binding->name && strcmp(binding->name, name) == 0) return binding;
    if (!binding->name && binding->position >= 0 && binding->position < im->num_input_names &&
        strcmp(im->input_names[binding->position], name) == 0) {
      return binding;
    }
  }
  return NULL;
}

static void note(importer *im, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void note(importer *im, const char *format, ...) {
  if (!im->options || !im->options->note) return;
  char message[1024];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  im->options->note(im->options->note_context, message);
}

static tsl_status bind_input(importer *im, tsl_value *input, const char *what) {
  const tsl_onnx_binding *binding = find_binding(im, input->name);
  if (!binding) {
    return im_refuse(im,
                     "%s must be a constant, but it is the graph input '%s'; tessel compiles "
                     "static shapes: give its value with --bind %s=FILE.pb",
                     what, input->name, input->name);
  }
  tsl_tensor_data *data;
  TRY(read_binding_file(im, binding->path, input->name, &data));
  if (!tsl_type_equal(&data->type, &input->type)) {
    tsl_status status = im_fail(im, "%s holds %s but input '%s' is declared %s", binding->path,
                                tsl_type_str(&data->type).text, input->name,
                                tsl_type_str(&input->type).text);
    tsl_tensor_data_release(data);
    return status;
  }
  tsl_value_make_constant(im->graph, input, data);
  note(im, "%s: input '%s' decides a shape, so it is bound to the value in %s", im->path,
       input->name, binding->path);
  return TSL_OK;
}

static tsl_status evaluate(importer *im, tsl_node *node, const char *what, int depth) {
  char place[256];
  tsl_node_describe(node, place, sizeof(place));
  if (!tsl_op_can_eval(node->op)) {
    return im_refuse(im, "%s must be a constant, but it is computed by %s, which tessel does "
                     "not evaluate ahead of time", what, place);
  }
  if (depth > 1000) return im_fail(im, "%s: constant computation nests too deep", what);
  for (int i = 0; i < node->num_inputs; i++) {
    tsl_value *input = node->inputs[i];
    if (input && input->kind != TSL_VALUE_CONSTANT) {
      if (input->kind == TSL_VALUE_INPUT) TRY(bind_input(im, input, what));
      else TRY(evaluate(im, input->node, what, depth + 1));
    }
  }
  tsl_tensor_data *outputs[node->num_outputs + 1];
  for (int i = 0; i < node->num_outputs; i++) {
    if (tsl_type_elements(&node->outputs[i]->type) > TSL_MAX_EVALUATED_ELEMENTS) {
      return im_refuse(im, "%s must be a constant, but computing it at import would take a "
                       "tensor of %s", what, tsl_type_str(&node->outputs[i]->type).text);
    }
  }
  char message[512];
  if (!tsl_op_eval(node, outputs, message, sizeof(message))) {
    return im_fail(im, "%s: evaluating %s: %s", what, place, message);
  }
  for (int i = 0; i < node->num_outputs; i++) {
    tsl_value_make_constant(im->graph, node->outputs[i], outputs[i]);
  }
  return TSL_OK;
}

tsl_status im_constant(importer *im, tsl_value *value, const char *what) {
  switch (value->kind) {
  case TSL_VALUE_CONSTANT: return TSL_OK;
  case TSL_VALUE_INPUT: return bind_input(im, value, what);
  case TSL_VALUE_NODE: return evaluate(im, value->node, what, 0);
  }
  TSL_UNREACHABLE();
}

static tsl_status const_values(importer *im, int index, const char *what, bool integer,
                               const void **values, int *count) {
  tsl_value *value = im_input(im, index);
  *count = -1;
  *values = NULL;
  if (!value) return TSL_OK;
  TRY(im_constant(im, value, what));
  if (value->type.rank > 1) {
    return im_fail(im, "%s must be a scalar or a list, not of shape %s", what,
                   tsl_shape_str(value->type.rank, value->type.dims).text);
  }
  if (integer && !tsl_dtype_is_integer(value->type.dtype)) {
    return im_fail(im, "%s must hold integers, not %s", what, tsl_dtype_name(value->type.dtype));
  }
  int64_t elements = tsl_type_elements(&value->type);
  if (elements > INT32_MAX / 16) return im_fail(im, "%s is too long", what);
  const void *bytes = value->data->bytes;
  if (integer) {
    int64_t *ints = TSL_ARENA_ARRAY(im->graph->arena, int64_t, elements + 1);
    for (int64_t i = 0; i < elements; i++) ints[i] = tsl_element_get_i64(value->type.dtype, bytes, i);
    *values = ints;
  } else {
    double *floats = TSL_ARENA_ARRAY(im->graph->arena, double, elements + 1);
    for (int64_t i = 0; i < elements; i++) floats[i] = tsl_element_get_f64(value->type.dtype, bytes, i);
    *values = floats;
  }
  *count = (int)elements;
  return TSL_OK;
}

tsl_status im_const_ints(importer *im, int index, const char *what, const int64_t **values,
                         int *count) {
  return const_values(im, index, what, true, (const void **)values, count);
}

tsl_status im_const_floats(importer *im, int index, const char *what, const double **values,
                           int *count) {
  return const_values(im, index, what, false, (const void **)values, count);
}

/* ---- the model -------------------------------------------------------------------------- */

/* The default domain's opset; -1 when the model imports none (it may use other domains only,
 * which are refused node by node). */
static tsl_status find_opset(importer *im, const Onnx__ModelProto *model) {
  im->opset = model->n_opset_import == 0 ? 1 : -1; /* IR version 1 models mean opset 1 */
  for (size_t i = 0; i < model->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *opset = model->opset_import[i];
    if (!opset->domain || !*opset->domain || strcmp(opset->domain, "ai.onnx") == 0) {
      im->opset = opset->version;
    }
  }
  if (im->opset != -1 && (im->opset < OLDEST_OPSET || im->opset > NEWEST_OPSET)) {
    return im_refuse(im, "the model uses ONNX opset %lld; tessel reads opsets %d to %d",
                     (long long)im->opset, OLDEST_OPSET, NEWEST_OPSET);
  }
  return TSL_OK;
}

static tsl_status add_initializers(importer *im, const Onnx__GraphProto *graph) {
  for (size_t i = 0; i < graph->n_initializer; i++) {
    const Onnx__TensorProto *proto = graph->initializer[i];
    if (!proto->name || !*proto->name) return im_fail(im, "initializer %zu has no name", i);
    char what[512];
    snprintf(what, sizeof(what), "initializer '%s'", proto->name);
    tsl_tensor_data *data;
    tsl_status status = tsl_onnx_tensor(proto, im->base_dir, what, &data, im->error);
    if (status) return im_fail_with(im, status, "%s", im->error->message);
    tsl_value *value = tsl_graph_add_constant(im->graph, proto->name, data);
    tsl_strmap_put(&im->values, proto->name, value);
  }
  if (graph->n_sparse_initializer) {
    return im_refuse(im, "sparse initializers are not supported");
  }
  return TSL_OK;
}

static tsl_status value_info_type(importer *im, const Onnx__ValueInfoProto *info,
                                  const char *role, tsl_type *type) {
  const Onnx__TypeProto *proto = info->type;
  const char *name = info->name ? info->name : "";
  if (!proto || proto->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
    return im_refuse(im, "%s '%s' is not a tensor (sequences, maps and optionals are not "
                     "supported)", role, name);
  }
  const Onnx__TypeProto__Tensor *tensor = proto->tensor_type;
  char what[512];
  snprintf(what, sizeof(what), "%s '%s'", role, name);
  *type = (tsl_type){0};
  TRY(im_dtype(im, tensor->has_elem_type ? tensor->elem_type : 0, what, &type->dtype));
  if (!tensor->shape) {
    return im_refuse(im, "%s has no shape; tessel compiles static shapes", what);
  }
  if (tensor->shape->n_dim > TSL_MAX_RANK) {
    return im_refuse(im, "%s has rank %zu; tessel handles up to %d", what, tensor->shape->n_dim,
                     TSL_MAX_RANK);
  }
  type->rank = (int)tensor->shape->n_dim;
  for (int axis = 0; axis < type->rank; axis++) {
    const Onnx__TensorShapeProto__Dimension *dim = tensor->shape->dim[axis];
    if (dim->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      const char *param = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                              ? dim->dim_param : "?";
      return im_refuse(im, "%s has dimension %d without a size ('%s'); tessel compiles static "
                       "shapes", what, axis, param);
    }
    type->dims[axis] = dim->dim_value;
  }
  int64_t elements;
  if (!tsl_shape_elements(type->rank, type->dims, &elements)) {
    return im_fail(im, "%s has shape %s, which is negative or too large", what,
                   tsl_shape_str(type->rank, type->dims).text);
  }
  return TSL_OK;
}

static tsl_status add_inputs(importer *im, const Onnx__GraphProto *graph) {
  im->input_names = TSL_ARENA_ARRAY(im->graph->arena, const char *, graph->n_input + 1);
  for (size_t i = 0; i < graph->n_input; i++) {
    const Onnx__ValueInfoProto *info = graph->input[i];
    if (!info->name || !*info->name) return im_fail(im, "graph input %zu has no name", i);
    /* Old models list initializers as inputs too; the initializer is the value. */
    if (tsl_strmap_get(&im->values, info->name)) continue;
    tsl_type type;
    TRY(value_info_type(im, info, "graph input", &type));
    tsl_value *value = tsl_graph_add_input(im->graph, info->name, &type);
    tsl_strmap_put(&im->values, info->name, value);
    im->input_names[im->num_input_names++] = value->name;
  }
  /* A value given for an input the model does not have is a mistake worth stopping for. */
  const tsl_onnx_options *options = im->options;
  for (int i = 0; options && i < options->num_bindings; i++) {
    const char *name = options->bindings[i].name;
    bool known = !name;
    for (int j = 0; j < im->num_input_names && !known; j++) known = strcmp(im->input_names[j], name) == 0;
    if (known) continue;
    char names[512] = "";
    for (int j = 0; j < im->num_input_names; j++) {
      size_t used = strlen(names);
      snprintf(names + used, sizeof(names) - used, "%s'%s'", j ? ", " : "", im->input_names[j]);
    }
    tsl_fail(im->error, TSL_ERROR_INPUT, "%s: the model has no input '%s' (its inputs: %s)", im->path,
             name, im->num_input_names ? names : "none");
    return TSL_ERROR_INPUT;
  }
  return TSL_OK;
}

static tsl_status map_node(importer *im) {
  const Onnx__NodeProto *node = im->node;
  if (!node->op_type || !*node->op_type) return im_fail(im, "the node has no operator type");
  if (node->n_output == 0) return im_fail(im, "the node has no outputs");
  for (size_t i = 0; i < node->n_input; i++) {
    const char *name = node->input[i];
    if (name && *name && !tsl_strmap_get(&im->values, name)) {
      return im_fail(im, "input %zu '%s' is not produced by any earlier node, initializer or "
                     "graph input", i, name);
    }
  }
  if (default_domain(node->domain) && im->opset < 0) {
    return im_fail(im, "the model imports no version of the default ONNX operator set");
  }
  const onnx_op *entry = default_domain(node->domain) ? tsl_onnx_find_op(node->op_type) : NULL;
  if (!entry) {
    if (!default_domain(node->domain)) {
      return im_refuse(im, "operators of domain '%s' are not supported (tessel reads the "
                       "default ONNX domain, ai.onnx)", node->domain);
    }
    return im_fail_with(im, TSL_ERROR_NOT_IMPLEMENTED, "operator %s is not implemented in "
                        "tessel yet", node->op_type);
  }
  if (entry->refusal) {
    return im_refuse(im, "%s is not supported: %s", node->op_type, entry->refusal);
  }
  return entry->map(im, entry);
}

static tsl_status add_outputs(importer *im, const Onnx__GraphProto *graph) {
  if (graph->n_output == 0) return im_fail(im, "the graph has no outputs");
  for (size_t i = 0; i < graph->n_output; i++) {
    const Onnx__ValueInfoProto *info = graph->output[i];
    const char *name = info->name ? info->name : "";
    tsl_value *value = tsl_strmap_get(&im->values, name);
    if (!value) return im_fail(im, "graph output '%s' is not produced by any node", name);
    tsl_graph_add_output(im->graph, name, value);
  }
  return TSL_OK;
}

static tsl_status import_model(importer *im, const Onnx__ModelProto *model) {
  if (!model->graph) return im_fail(im, "the model has no graph");
  TRY(find_opset(im, model));
  const Onnx__GraphProto *graph = model->graph;
  im->graph = tsl_graph_new(graph->name && *graph->name ? graph->name : "main");
  TRY(add_initializers(im, graph));
  TRY(add_inputs(im, graph));
  for (size_t n = 0; n < graph->n_node; n++) {
    im->node = graph->node[n];
    im->node_index = (int)n;
    TRY(map_node(im));
  }
  im->node = NULL;
  TRY(add_outputs(im, graph));
  tsl_graph_remove_unused(im->graph);
  tsl_status status = tsl_graph_verify(im->graph, im->error);
  if (status) {
    return tsl_fail(im->error, TSL_ERROR_INTERNAL, "%s: the imported graph does not verify: %s",
                    im->path, im->error->message);
  }
  return TSL_OK;
}

static tsl_status decode(const void *bytes, size_t size, const char *name,
                         Onnx__ModelProto **model, tsl_error *error) {
  tsl_error_clear(error);
  *model = onnx__model_proto__unpack(NULL, size, bytes);
  if (*model) return TSL_OK;
  return tsl_fail(error, TSL_ERROR_INPUT,
                  "%s: not an ONNX model (its bytes do not decode as a ModelProto; is the file "
                  "truncated or corrupt?)", name);
}

/* Imports a decoded model, then frees it. */
static tsl_status import_decoded(Onnx__ModelProto *model, const char *name,
                                 const char *base_dir, const tsl_onnx_options *options,
                                 tsl_graph **out, tsl_error *error) {
  importer im = {.path = name, .base_dir = base_dir, .options = options, .error = error,
                 .model = model};
  tsl_status status = import_model(&im, model);
  onnx__model_proto__free_unpacked(model, NULL);
  tsl_strmap_free(&im.values);
  if (status) {
    tsl_graph_free(im.graph);
    return status;
  }
  *out = im.graph;
  return TSL_OK;
}

tsl_status tsl_import_onnx_memory(const void *bytes, size_t size, const char *name,
                                  const tsl_onnx_options *options, tsl_graph **graph,
                                  tsl_error *error) {
  *graph = NULL;
  name = name ? name : "<memory>";
  Onnx__ModelProto *model;
  TRY(decode(bytes, size, name, &model, error));
  return import_decoded(model, name, NULL, options, graph, error);
}

tsl_status tsl_import_onnx(const char *path, const tsl_onnx_options *options, tsl_graph **graph,
                           tsl_error *error) {
  *graph = NULL;
  FILE *file = fopen(path, "rb");
  if (!file) return tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot open: %s", path, strerror(errno));
  struct stat info;
  if (fstat(fileno(file), &info) != 0 || !S_ISREG(info.st_mode)) {
    fclose(file);
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: not a regular file", path);
  }
  if (info.st_size > MAX_MODEL_BYTES) {
    fclose(file);
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "%s: %lld bytes is more than an ONNX file can hold (2 GiB); large weights "
                    "belong in external data files", path, (long long)info.st_size);
  }
  uint8_t *bytes = malloc((size_t)info.st_size + 1);
  TSL_CHECK_ALLOC(bytes);
  bool read = fread(bytes, 1, (size_t)info.st_size, file) == (size_t)info.st_size;
  fclose(file);
  if (!read) {
    free(bytes);
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot read: %s", path, strerror(errno));
  }
  /* The file's bytes go as soon as they are decoded: a large model is held twice, not three
   * times (bytes, decoded message, tessel's constants). */
  Onnx__ModelProto *model;
  tsl_status status = decode(bytes, (size_t)info.st_size, path, &model, error);
  free(bytes);
  if (status) return status;
  char *directory = strdup(path);
  TSL_CHECK_ALLOC(directory);
  char *slash = strrchr(directory, '/');
  if (slash) *slash = '\0';
  else strcpy(directory, ".");
  status = import_decoded(model, path, directory, options, graph, error);
  free(directory);
  return status;
}
