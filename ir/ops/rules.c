/* Helpers the type rules are written with. */
#include <stdio.h>
#include <string.h>

#include "ir/check.h"
#include "ir/ops/rules.h"

bool rule_fail(tsl_type_call *call, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(call->message, call->message_size, format, args);
  va_end(args);
  return false;
}

bool rule_fail_input(tsl_type_call *call, int index, const char *format, ...) {
  char label[64], reason[512];
  va_list args;
  va_start(args, format);
  vsnprintf(reason, sizeof(reason), format, args);
  va_end(args);
  return rule_fail(call, "%s has shape %s; %s", rule_input_label(call, index, label, sizeof(label)),
                   tsl_type_shape_str(rule_input(call, index)).text, reason);
}

bool rule_same_as_input(tsl_type_call *call) {
  call->outputs[0] = *call->inputs[0];
  return true;
}

bool rule_require_choice(tsl_type_call *call, const char *name, const char *const *choices) {
  const char *value = rule_string(call, name);
  char listed[256] = "";
  for (int i = 0; choices[i]; i++) {
    if (strcmp(value, choices[i]) == 0) return true;
    size_t used = strlen(listed);
    snprintf(listed + used, sizeof(listed) - used, "%s\"%s\"", i ? ", " : "", choices[i]);
  }
  return rule_fail(call, "%s \"%s\" is not one of %s", name, value, listed);
}

int64_t rule_times(int64_t dim, int64_t factor) {
  if (dim && factor > TSL_MAX_ELEMENTS / dim) return TSL_MAX_ELEMENTS + 1;
  return dim * factor;
}

const tsl_type *rule_input(const tsl_type_call *call, int index) {
  return index < call->num_inputs ? call->inputs[index] : NULL;
}

const tsl_attr *rule_attr(const tsl_type_call *call, const char *name) {
  int index = tsl_op_attr_index(call->op, name);
  TSL_CHECK(index >= 0);
  return &call->attrs[index];
}

int64_t rule_int(const tsl_type_call *call, const char *name) {
  const tsl_attr *attr = rule_attr(call, name);
  TSL_CHECK(attr->kind == TSL_ATTR_INT);
  return attr->i;
}

double rule_float(const tsl_type_call *call, const char *name) {
  const tsl_attr *attr = rule_attr(call, name);
  TSL_CHECK(attr->kind == TSL_ATTR_FLOAT);
  return attr->f;
}

const char *rule_string(const tsl_type_call *call, const char *name) {
  const tsl_attr *attr = rule_attr(call, name);
  TSL_CHECK(attr->kind == TSL_ATTR_STRING);
  return attr->s;
}

const char *rule_input_label(const tsl_type_call *call, int index, char *label, size_t size) {
  snprintf(label, size, "input %d (%s)", index, tsl_op_input_name(call->op, index));
  return label;
}

bool rule_axis(tsl_type_call *call, const char *what, int64_t axis, int rank, int *resolved) {
  if (axis < -rank || axis >= (rank ? rank : 1) || (rank == 0 && axis != 0 && axis != -1)) {
    return rule_fail(call, "%s %lld is out of range for rank %d", what, (long long)axis, rank);
  }
  *resolved = (int)(axis < 0 ? axis + rank : axis);
  return true;
}

bool rule_broadcast(tsl_type_call *call, int count, const tsl_type *const *types, tsl_type *out) {
  int rank = 0;
  for (int i = 0; i < count; i++) {
    if (types[i]->rank > rank) rank = types[i]->rank;
  }
  out->rank = rank;
  for (int axis = 0; axis < rank; axis++) {
    int64_t dim = 1;
    for (int i = 0; i < count; i++) {
      int offset = axis - (rank - types[i]->rank);
      if (offset < 0) continue;
      int64_t d = types[i]->dims[offset];
      if (d == dim || d == 1) continue;
      if (dim != 1) {
        char shapes[4 * sizeof(tsl_type_text)] = "";
        TSL_CHECK(count <= 3);
        for (int j = 0; j < count; j++) {
          strcat(shapes, j ? " and " : "");
          strcat(shapes, tsl_shape_str(types[j]->rank, types[j]->dims).text);
        }
        return rule_fail(call, "shapes %s do not broadcast (axis %d: %lld against %lld)", shapes,
                         axis, (long long)dim, (long long)d);
      }
      dim = d;
    }
    out->dims[axis] = dim;
  }
  return true;
}

static bool require(tsl_type_call *call, int index, bool (*accepts)(tsl_dtype), const char *what) {
  const tsl_type *type = rule_input(call, index);
  TSL_CHECK(type);
  if (accepts(type->dtype)) return true;
  char label[64];
  return rule_fail(call, "%s has dtype %s; %s takes %s",
                   rule_input_label(call, index, label, sizeof(label)), tsl_dtype_name(type->dtype),
                   call->op->name, what);
}

static bool is_numeric(tsl_dtype dtype) { return dtype != TSL_DTYPE_BOOL; }

bool rule_require_float(tsl_type_call *call, int index) {
  return require(call, index, tsl_dtype_is_float, "floats");
}

bool rule_require_numeric(tsl_type_call *call, int index) {
  return require(call, index, is_numeric, "numbers (not bool)");
}

bool rule_require_integer(tsl_type_call *call, int index) {
  return require(call, index, tsl_dtype_is_integer, "integers");
}

bool rule_require_dtype(tsl_type_call *call, int index, tsl_dtype dtype) {
  const tsl_type *type = rule_input(call, index);
  TSL_CHECK(type);
  if (type->dtype == dtype) return true;
  char label[64];
  return rule_fail(call, "%s has dtype %s; %s needs %s",
                   rule_input_label(call, index, label, sizeof(label)), tsl_dtype_name(type->dtype),
                   call->op->name, tsl_dtype_name(dtype));
}

bool rule_require_same_dtype(tsl_type_call *call, int index, int other) {
  const tsl_type *a = rule_input(call, other), *b = rule_input(call, index);
  TSL_CHECK(a && b);
  if (a->dtype == b->dtype) return true;
  char label[64], other_label[64];
  return rule_fail(call, "%s has dtype %s but %s has %s",
                   rule_input_label(call, index, label, sizeof(label)), tsl_dtype_name(b->dtype),
                   rule_input_label(call, other, other_label, sizeof(other_label)),
                   tsl_dtype_name(a->dtype));
}

bool rule_require_rank(tsl_type_call *call, int index, int rank) {
  const tsl_type *type = rule_input(call, index);
  TSL_CHECK(type);
  if (type->rank == rank) return true;
  char label[64];
  return rule_fail(call, "%s has shape %s; %s needs rank %d",
                   rule_input_label(call, index, label, sizeof(label)),
                   tsl_shape_str(type->rank, type->dims).text, call->op->name, rank);
}

bool rule_require_min_rank(tsl_type_call *call, int index, int rank) {
  const tsl_type *type = rule_input(call, index);
  TSL_CHECK(type);
  if (type->rank >= rank) return true;
  char label[64];
  return rule_fail(call, "%s has shape %s; %s needs rank %d or more",
                   rule_input_label(call, index, label, sizeof(label)),
                   tsl_shape_str(type->rank, type->dims).text, call->op->name, rank);
}

bool rule_output(tsl_type_call *call, int index, tsl_dtype dtype, int rank, const int64_t *dims) {
  TSL_CHECK(index < call->num_outputs);
  if (rank < 0 || rank > TSL_MAX_RANK) {
    return rule_fail(call, "output %d would have rank %d; tessel handles up to %d", index, rank,
                     TSL_MAX_RANK);
  }
  int64_t elements;
  if (!tsl_shape_elements(rank, dims, &elements)) {
    return rule_fail(call, "output %d would have shape %s, which is negative or too large", index,
                     tsl_shape_str(rank, dims).text);
  }
  call->outputs[index] = tsl_type_make(dtype, rank, dims);
  return true;
}
