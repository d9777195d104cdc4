#include "ir/tensor_file.h"

#include <stdlib.h>
#include <string.h>

#include "ir/error.h"
#include "ir/onnx/import.h"

/* The runtime parses the file; the compiler's data is a copy, within the IR's limits. */
static tsl_status parse_npy(const char *path, const unsigned char *bytes, size_t size,
                            tsl_tensor_data **out, tsl_error *error) {
  tsl_npy_array array;
  TRY(tsl_npy_parse(path, bytes, size, &array, error));
  int64_t elements;
  if (array.rank > TSL_MAX_RANK || !tsl_shape_elements(array.rank, array.dims, &elements)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: the shape of its array is too large", path);
  }
  tsl_type type = tsl_type_make(array.dtype, array.rank, array.dims);
  tsl_tensor_data *data = tsl_tensor_data_new(&type);
  if (!data) return tsl_fail(error, TSL_ERROR_INPUT, "%s: out of memory", path);
  if (array.data_size) memcpy(data->bytes, array.data, array.data_size);
  *out = data;
  return TSL_OK;
}

tsl_status tsl_read_tensor_file(const char *path, tsl_tensor_data **out, tsl_error *error) {
  *out = NULL;
  unsigned char *bytes = NULL;
  size_t size = 0;
  TRY(tsl_read_file(path, &bytes, &size, error));
  tsl_status status;
  if (tsl_npy_magic(bytes, size)) {
    status = parse_npy(path, bytes, size, out, error);
  } else {
    Onnx__TensorProto *proto = onnx__tensor_proto__unpack(NULL, size, bytes);
    if (!proto) {
      status = tsl_fail(error, TSL_ERROR_INPUT, "%s: neither a .npy file nor an ONNX TensorProto", path);
    } else {
      status = tsl_onnx_tensor(proto, NULL, path, out, error);
      onnx__tensor_proto__free_unpacked(proto, NULL);
    }
  }
  free(bytes);
  return status;
}

tsl_status tsl_write_npy(const char *path, const tsl_type *type, const void *bytes,
                         tsl_error *error) {
  return tsl_npy_write(path, type->dtype, type->rank, type->dims, bytes, error);
}
