/* Tensors in files: NumPy .npy and ONNX TensorProto .pb (what users give as inputs and
 * bindings, and what `tessel run` writes). The .npy format itself, and reading whole files, are
 * the runtime's (runtime/npy.h). */
#ifndef TSL_IR_TENSOR_FILE_H
#define TSL_IR_TENSOR_FILE_H

#include "ir/tensor_data.h"
#include "runtime/npy.h"
#include "tessel/tessel.h"

/* Reads a .npy (little-endian, C order, a dtype tessel has) or a .pb TensorProto, told apart by
 * their content. */
tsl_status tsl_read_tensor_file(const char *path, tsl_tensor_data **data, tsl_error *error);

/* Writes data as .npy (to a temporary name, then renamed: no partial file is left). */
tsl_status tsl_write_npy(const char *path, const tsl_type *type, const void *bytes,
                         tsl_error *error);

#endif
