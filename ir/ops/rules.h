/* What the type rules in ir/ops share: their declarations (one per rule named in
 * op_table.h) and the helpers they are written with. Internal to ir/ops. */
#ifndef TSL_IR_OPS_RULES_H
#define TSL_IR_OPS_RULES_H

#include <stdarg.h>

#include "ir/ops/op.h"

#define X(name, pattern, inputs, outputs, rule, compute, attrs, doc) \
  bool tsl_rule_##rule(tsl_type_call *call);
TSL_OP_TABLE(X)
#undef X

/* Writes the reason into call->message and returns false. */
bool rule_fail(tsl_type_call *call, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* The input's type, or NULL when an optional input is absent. */
const tsl_type *rule_input(const tsl_type_call *call, int index);

const tsl_attr *rule_attr(const tsl_type_call *call, const char *name);
int64_t rule_int(const tsl_type_call *call, const char *name);
double rule_float(const tsl_type_call *call, const char *name);
const char *rule_string(const tsl_type_call *call, const char *name);

/* Fails with "input 1 (w) has shape [4, 3, 3, 3]; " and the reason. */
bool rule_fail_input(tsl_type_call *call, int index, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Output 0 has input 0's type. */
bool rule_same_as_input(tsl_type_call *call);

/* The string attribute must be one of `choices` (NULL-terminated). */
bool rule_require_choice(tsl_type_call *call, const char *name, const char *const *choices);

/* dim · factor for non-negative operands, saturated just above TSL_MAX_ELEMENTS so that
 * rule_output refuses the shape instead of the product overflowing. */
int64_t rule_times(int64_t dim, int64_t factor);

/* Input name for messages: "input 1 (w)". */
const char *rule_input_label(const tsl_type_call *call, int index, char *label, size_t size);

/* Resolves a possibly negative axis against a rank; fails with a message naming `what`. */
bool rule_axis(tsl_type_call *call, const char *what, int64_t axis, int rank, int *resolved);

/* The numpy broadcast of `count` shapes into out (dtype untouched). */
bool rule_broadcast(tsl_type_call *call, int count, const tsl_type *const *types, tsl_type *out);

/* Input `index` must be present and of one of the dtype classes. */
bool rule_require_float(tsl_type_call *call, int index);
bool rule_require_numeric(tsl_type_call *call, int index);
bool rule_require_integer(tsl_type_call *call, int index);
bool rule_require_dtype(tsl_type_call *call, int index, tsl_dtype dtype);
bool rule_require_same_dtype(tsl_type_call *call, int index, int other);
bool rule_require_rank(tsl_type_call *call, int index, int rank);
bool rule_require_min_rank(tsl_type_call *call, int index, int rank);

/* Sets output `index` from a dtype and shape, refusing ranks above TSL_MAX_RANK and sizes
 * that overflow. */
bool rule_output(tsl_type_call *call, int index, tsl_dtype dtype, int rank, const int64_t *dims);

#endif
