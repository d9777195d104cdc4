/* What the compute rules share. */
#include <stdarg.h>
#include <stdio.h>

#include "ir/check.h"
#include "ir/ops/compute.h"

bool compute_fail(tsl_compute_call *call, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(call->message, call->message_size, format, args);
  va_end(args);
  return false;
}

const tsl_attr *compute_attr(const tsl_compute_call *call, const char *name) {
  int index = tsl_op_attr_index(call->op, name);
  TSL_CHECK(index >= 0);
  return &call->attrs[index];
}

tsl_te_tensor *compute_output(tsl_compute_call *call, int index) {
  char name[64];
  snprintf(name, sizeof(name), "%s%s%d", call->op->name, call->num_outputs > 1 ? "_" : "",
           call->num_outputs > 1 ? index : 0);
  if (call->num_outputs == 1) snprintf(name, sizeof(name), "%s", call->op->name);
  tsl_te_tensor *tensor = tsl_te_compute(call->program, name, &call->output_types[index]);
  call->outputs[index] = tensor;
  return tensor;
}

tsl_expr *compute_read_broadcast(tsl_compute_call *call, const tsl_te_tensor *input, int rank,
                                 tsl_expr *const *indices) {
  tsl_expr *own[TSL_MAX_RANK];
  int offset = rank - input->type.rank;
  for (int axis = 0; axis < input->type.rank; axis++) {
    own[axis] = input->type.dims[axis] == 1 ? tsl_index(call->program->func->arena, 0)
                                            : indices[axis + offset];
  }
  return tsl_te_read(call->program, input, own);
}

void compute_axes(tsl_compute_call *call, const tsl_te_tensor *tensor, tsl_expr **indices) {
  for (int axis = 0; axis < tensor->type.rank; axis++) {
    indices[axis] = tsl_te_axis(call->program, tensor, axis);
  }
}
