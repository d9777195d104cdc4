/* The ONNX importer's insides, shared by import.c and the operator mappings (map_*.c).
 *
 * Import walks the model's nodes in order. Each ONNX node is handed to its mapping, which reads
 * the node's inputs and attributes through the helpers below and emits tessel operator calls.
 * Inputs that decide a shape must be constants: im_constant gets them, evaluating the nodes
 * that compute them (Shape → Gather → Concat → …) when needed. */
#ifndef TSL_IR_ONNX_IMPORT_H
#define TSL_IR_ONNX_IMPORT_H

#include "ir/error.h"
#include "ir/graph.h"
#include "onnx.pb-c.h"

typedef struct importer {
  const char *path;     /* the model file, for messages */
  const char *base_dir; /* where external data lives; NULL: refused */
  const tsl_onnx_options *options;
  tsl_error *error;
  const Onnx__ModelProto *model;
  int64_t opset; /* of the default domain; -1 when the model imports none */
  tsl_graph *graph;
  tsl_strmap values; /* ONNX value name → tessel value */
  /* Graph inputs that are not initializers, in the model's order (for positional bindings). */
  const char **input_names;
  int num_input_names;
  /* The node being mapped. */
  const Onnx__NodeProto *node;
  int node_index;
} importer;

/* How one ONNX operator becomes tessel operator calls. Several ONNX operators share a mapping
 * function, told apart by `op` (the tessel operator they become). Operators tessel refuses by
 * design have a `refusal` instead, which says why. */
typedef struct onnx_op {
  const char *op_type;
  tsl_status (*map)(importer *im, const struct onnx_op *entry);
  tsl_op_kind op;
  const char *refusal;
} onnx_op;

/* The entry of an ONNX operator of the default domain, or NULL when tessel does not know it. */
const onnx_op *tsl_onnx_find_op(const char *op_type);

/* ---- failing ---------------------------------------------------------------------------- */

/* Fails with `status`; the message gets the file and the node in front. */
tsl_status im_fail_with(importer *im, tsl_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
#define im_fail(im, ...) im_fail_with((im), TSL_ERROR_INPUT, __VA_ARGS__)
#define im_refuse(im, ...) im_fail_with((im), TSL_ERROR_UNSUPPORTED, __VA_ARGS__)

/* ---- reading the node ------------------------------------------------------------------- */

int im_num_inputs(const importer *im);
int im_num_outputs(const importer *im);
/* The value of input `index`, or NULL when it is absent (past the end or named ""). */
tsl_value *im_input(const importer *im, int index);
/* Whether output `index` is wanted (present and named). */
bool im_output_wanted(const importer *im, int index);
/* Input `index`, failing when it is absent. */
tsl_status im_require_input(importer *im, int index, tsl_value **value);

const Onnx__AttributeProto *im_attr(const importer *im, const char *name);
int64_t im_attr_int(const importer *im, const char *name, int64_t fallback);
double im_attr_float(const importer *im, const char *name, double fallback);
/* Copies into the graph's arena; *count is -1 when the attribute is absent. */
const int64_t *im_attr_ints(const importer *im, const char *name, int *count);
const double *im_attr_floats(const importer *im, const char *name, int *count);
const char *im_attr_string(const importer *im, const char *name, const char *fallback);

/* ---- constants -------------------------------------------------------------------------- */

/* Makes `value` a constant: evaluates its producers or binds a graph input from the user's
 * bindings; fails naming `what` when it cannot. */
tsl_status im_constant(importer *im, tsl_value *value, const char *what);

/* Input `index` as constant integers (a 0-d or 1-D tensor of any integer type). A missing
 * optional input gives *count = -1. */
tsl_status im_const_ints(importer *im, int index, const char *what, const int64_t **values,
                         int *count);
tsl_status im_const_floats(importer *im, int index, const char *what, const double **values,
                           int *count);

/* Elements above which a value is not computed at import: shape computations are tiny, and a
 * model must not make the importer allocate without bound. */
#define TSL_MAX_EVALUATED_ELEMENTS (INT64_C(1) << 24)

/* A new 0-d constant. */
tsl_value *im_scalar(importer *im, tsl_dtype dtype, double value);
/* A new 1-D i64 or other constant made from values. */
tsl_value *im_constant_from(importer *im, const char *name, tsl_tensor_data *data);

/* ---- emitting --------------------------------------------------------------------------- */

/* A call of `op` with default attributes; set attributes with im_set_*, then im_infer.
 * Outputs are named after the ONNX node's outputs when `named` is true. */
tsl_node *im_node(importer *im, tsl_op_kind op, int num_inputs, tsl_value *const *inputs,
                  int num_outputs, bool named);
void im_set_int(importer *im, tsl_node *node, const char *name, int64_t value);
void im_set_float(importer *im, tsl_node *node, const char *name, double value);
void im_set_ints(importer *im, tsl_node *node, const char *name, int count, const int64_t *values);
void im_set_floats(importer *im, tsl_node *node, const char *name, int count,
                   const double *values);
void im_set_string(importer *im, tsl_node *node, const char *name, const char *value);
void im_set_dtype(importer *im, tsl_node *node, const char *name, tsl_dtype value);
/* Copies ONNX attribute `name` onto the same-named tessel attribute when the node has it. */
void im_copy_attr(importer *im, tsl_node *node, const char *name);
tsl_status im_infer(importer *im, tsl_node *node);

/* One-output call with default attributes, inferred; NULL on failure (error set). */
tsl_value *im_call(importer *im, tsl_op_kind op, int num_inputs, tsl_value *const *inputs);
tsl_value *im_call1(importer *im, tsl_op_kind op, tsl_value *x);
tsl_value *im_call2(importer *im, tsl_op_kind op, tsl_value *a, tsl_value *b);
tsl_value *im_reshape(importer *im, tsl_value *x, int rank, const int64_t *dims);

/* Gives ONNX output `index` its value (an alias when the value already exists). */
void im_set_output(importer *im, int index, tsl_value *value);
/* Binds every ONNX output to the node's outputs in order. */
tsl_status im_finish(importer *im, tsl_node *node);

/* ---- dtypes ----------------------------------------------------------------------------- */

/* ONNX TensorProto.DataType → tessel dtype; fails for ones tessel refuses (strings, float8,
 * int4, complex …), naming `what`. */
tsl_status im_dtype(importer *im, int32_t onnx_type, const char *what, tsl_dtype *dtype);
const char *tsl_onnx_dtype_name(int32_t onnx_type);
/* The tessel dtype of an ONNX data type; false for ones tessel refuses or ONNX lacks. */
bool tsl_onnx_dtype(int32_t onnx_type, tsl_dtype *dtype);

/* A TensorProto's data, checked (size, dtype), with external data read from base_dir. */
tsl_status tsl_onnx_tensor(const Onnx__TensorProto *proto, const char *base_dir,
                           const char *what, tsl_tensor_data **data, tsl_error *error);

/* Resolved window parameters of a convolution or pooling node (auto_pad applied). */
typedef struct im_window {
  int spatial;
  int64_t kernel[TSL_MAX_RANK], strides[TSL_MAX_RANK], dilations[TSL_MAX_RANK];
  int64_t pads[2 * TSL_MAX_RANK];
} im_window;

#endif
