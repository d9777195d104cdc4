/* The operator registry. Every tessel operator is defined once, in op_table.h: its inputs and
 * outputs, attributes with defaults, type rule and fusion pattern kind. Everything else (the
 * printer, parser, hash, verifier, importer) reads this registry. */
#ifndef TSL_IR_OPS_OP_H
#define TSL_IR_OPS_OP_H

#include <stdbool.h>

#include "ir/attr.h"
#include "ir/type.h"

/* How an operator's loops combine with its neighbours' when kernels are fused. */
#define TSL_PATTERNS(X)                                                                  \
  X(ELEMWISE, "elemwise")      /* output element i reads input element i */              \
  X(BROADCAST, "broadcast")    /* elementwise after broadcasting the inputs */           \
  X(INJECTIVE, "injective")    /* each output element reads some input elements */       \
  X(REDUCE, "reduce")          /* output elements combine many input elements */         \
  X(OUT_ELEMWISE_FUSABLE, "out_elemwise_fusable") /* compute-heavy; elementwise ops may follow it */ \
  X(OPAQUE, "opaque")          /* fuses with nothing */

typedef enum tsl_pattern {
#define X(kind, name) TSL_PATTERN_##kind,
  TSL_PATTERNS(X)
#undef X
} tsl_pattern;

const char *tsl_pattern_name(tsl_pattern pattern);

typedef struct tsl_attr_def {
  const char *name;
  tsl_attr_kind kind;
  const char *default_text; /* in the IR's literal syntax; NULL: the attribute is required */
} tsl_attr_def;

struct tsl_op_def;

/* What a type rule sees: the operator, its attributes (in the order of its definitions), the
 * types of its inputs (NULL for an absent optional input). It fills `outputs` (num_outputs of
 * them) or explains in `message` why the inputs do not fit. */
typedef struct tsl_type_call {
  const struct tsl_op_def *op;
  const tsl_attr *attrs;
  const tsl_type *const *inputs;
  int num_inputs;
  tsl_type *outputs;
  int num_outputs;
  char *message;
  size_t message_size;
} tsl_type_call;

typedef bool (*tsl_type_rule)(tsl_type_call *call);

struct tsl_compute_call;
/* Builds the tensor expressions of a call (ir/ops/compute.h). */
typedef bool (*tsl_compute_rule)(struct tsl_compute_call *call);

#include "ir/ops/op_table.h"

typedef enum tsl_op_kind {
#define X(name, ...) TSL_OP_##name,
  TSL_OP_TABLE(X)
#undef X
  TSL_OP_COUNT
} tsl_op_kind;

#define TSL_MAX_PORTS 16 /* named inputs or outputs of one operator */

typedef struct tsl_op_def {
  tsl_op_kind kind;
  const char *name;
  const char *doc; /* one line: what it computes */
  tsl_pattern pattern;
  tsl_type_rule type_rule;
  tsl_compute_rule compute_rule; /* NULL: tessel cannot compile this operator yet */
  const tsl_attr_def *attr_defs;
  int num_attrs;
  const tsl_attr *defaults; /* parsed default of each attribute; kind INT 0 where required */
  /* Ports, from the specs of op_table.h: "x w b?" names three inputs, the last optional;
   * "inputs..." one or more. */
  int min_inputs, max_inputs; /* max_inputs -1: variadic */
  int min_outputs, max_outputs;
  int num_input_names, num_output_names;
  const char *input_names[TSL_MAX_PORTS];
  const char *output_names[TSL_MAX_PORTS];
} tsl_op_def;

const tsl_op_def *tsl_op_get(tsl_op_kind kind);

/* TSL_OP_COUNT when no operator has this name. */
tsl_op_kind tsl_op_lookup(const char *name, size_t length);

/* Index of the attribute in op->attr_defs, or -1. */
int tsl_op_attr_index(const tsl_op_def *op, const char *name);

/* The name of input / output `index` ("inputs" for every input of a variadic list). */
const char *tsl_op_input_name(const tsl_op_def *op, int index);
const char *tsl_op_output_name(const tsl_op_def *op, int index);

/* Runs the type rule after checking the number of inputs and outputs and the presence of
 * required inputs. */
bool tsl_op_infer(tsl_type_call *call);

#endif
