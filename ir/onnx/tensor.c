/* ONNX tensors: element types and TensorProto data (inline, raw or external). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ir/check.h"
#include "ir/onnx/import.h"

static const struct {
  const char *name;
  tsl_dtype dtype; /* TSL_DTYPE_INVALID: refused */
} onnx_dtypes[] = {
    [0] = {"UNDEFINED", TSL_DTYPE_INVALID},  [1] = {"FLOAT", TSL_DTYPE_F32},
    [2] = {"UINT8", TSL_DTYPE_U8},           [3] = {"INT8", TSL_DTYPE_I8},
    [4] = {"UINT16", TSL_DTYPE_U16},         [5] = {"INT16", TSL_DTYPE_I16},
    [6] = {"INT32", TSL_DTYPE_I32},          [7] = {"INT64", TSL_DTYPE_I64},
    [8] = {"STRING", TSL_DTYPE_INVALID},     [9] = {"BOOL", TSL_DTYPE_BOOL},
    [10] = {"FLOAT16", TSL_DTYPE_F16},       [11] = {"DOUBLE", TSL_DTYPE_F64},
    [12] = {"UINT32", TSL_DTYPE_U32},        [13] = {"UINT64", TSL_DTYPE_U64},
    [14] = {"COMPLEX64", TSL_DTYPE_INVALID}, [15] = {"COMPLEX128", TSL_DTYPE_INVALID},
    [16] = {"BFLOAT16", TSL_DTYPE_BF16},     [17] = {"FLOAT8E4M3FN", TSL_DTYPE_INVALID},
    [18] = {"FLOAT8E4M3FNUZ", TSL_DTYPE_INVALID}, [19] = {"FLOAT8E5M2", TSL_DTYPE_INVALID},
    [20] = {"FLOAT8E5M2FNUZ", TSL_DTYPE_INVALID}, [21] = {"UINT4", TSL_DTYPE_INVALID},
    [22] = {"INT4", TSL_DTYPE_INVALID},      [23] = {"FLOAT4E2M1", TSL_DTYPE_INVALID},
    [24] = {"FLOAT8E8M0", TSL_DTYPE_INVALID}, [25] = {"UINT2", TSL_DTYPE_INVALID},
    [26] = {"INT2", TSL_DTYPE_INVALID},
};

const char *tsl_onnx_dtype_name(int32_t onnx_type) {
  if (onnx_type < 0 || onnx_type >= TSL_ARRAY_SIZE(onnx_dtypes)) return "an unknown data type";
  return onnx_dtypes[onnx_type].name;
}

bool tsl_onnx_dtype(int32_t onnx_type, tsl_dtype *dtype) {
  if (onnx_type <= 0 || onnx_type >= TSL_ARRAY_SIZE(onnx_dtypes)) return false;
  *dtype = onnx_dtypes[onnx_type].dtype;
  return *dtype != TSL_DTYPE_INVALID;
}

static tsl_status map_dtype(int32_t onnx_type, const char *what, tsl_dtype *dtype,
                            tsl_error *error) {
  if (tsl_onnx_dtype(onnx_type, dtype)) return TSL_OK;
  if (onnx_type <= 0 || onnx_type >= TSL_ARRAY_SIZE(onnx_dtypes)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s has data type %d, which ONNX does not define",
                    what, (int)onnx_type);
  }
  return tsl_fail(error, TSL_ERROR_UNSUPPORTED, "%s has dtype %s, which tessel does not support",
                  what, onnx_dtypes[onnx_type].name);
}

tsl_status im_dtype(importer *im, int32_t onnx_type, const char *what, tsl_dtype *dtype) {
  tsl_status status = map_dtype(onnx_type, what, dtype, im->error);
  if (status) return im_fail_with(im, status, "%s", im->error->message);
  return TSL_OK;
}

/* Only plain relative paths below the model's folder are read. */
static bool safe_location(const char *location) {
  if (!*location || location[0] == '/') return false;
  for (const char *at = location; *at;) {
    const char *end = strchr(at, '/');
    size_t length = end ? (size_t)(end - at) : strlen(at);
    if (length == 2 && at[0] == '.' && at[1] == '.') return false;
    at += length + (end ? 1 : 0);
  }
  return true;
}

/* Opens the external data of a tensor of `size` bytes, checked to be there in full, and leaves
 * the file positioned at its start. */
static tsl_status open_external(const Onnx__TensorProto *proto, const char *base_dir,
                                const char *what, const tsl_type *type, int64_t size,
                                FILE **out, tsl_error *error) {
  const char *location = NULL;
  int64_t offset = 0, length = -1;
  for (size_t i = 0; i < proto->n_external_data; i++) {
    const Onnx__StringStringEntryProto *entry = proto->external_data[i];
    if (!entry->key || !entry->value) continue;
    if (strcmp(entry->key, "location") == 0) location = entry->value;
    else if (strcmp(entry->key, "offset") == 0) offset = strtoll(entry->value, NULL, 10);
    else if (strcmp(entry->key, "length") == 0) length = strtoll(entry->value, NULL, 10);
  }
  if (!base_dir) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s is stored as external data, which needs a model "
                    "file (not bytes in memory)", what);
  }
  if (!location || !safe_location(location)) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "%s has external data at '%s', which is not a relative path inside the "
                    "model's folder", what, location ? location : "(no location)");
  }
  if (offset < 0 || (length >= 0 && length != size)) {
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "%s: external data of %lld bytes at offset %lld, but %s needs %lld", what,
                    (long long)length, (long long)offset, tsl_type_str(type).text,
                    (long long)size);
  }
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", base_dir, location);
  FILE *file = fopen(path, "rb");
  if (!file) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot open external data %s: %s", what, path,
                    strerror(errno));
  }
  struct stat info;
  if (fstat(fileno(file), &info) != 0 || info.st_size < offset || info.st_size - offset < size ||
      fseek(file, offset, SEEK_SET) != 0) {
    fclose(file);
    return tsl_fail(error, TSL_ERROR_INPUT,
                    "%s: external data file %s is shorter than offset %lld + %lld bytes", what,
                    path, (long long)offset, (long long)size);
  }
  *out = file;
  return TSL_OK;
}

/* Elements stored in the typed repeated fields rather than raw bytes. */
static size_t typed_count(const Onnx__TensorProto *proto, tsl_dtype dtype) {
  switch (dtype) {
  case TSL_DTYPE_F32: return proto->n_float_data;
  case TSL_DTYPE_F64: return proto->n_double_data;
  case TSL_DTYPE_I64: return proto->n_int64_data;
  case TSL_DTYPE_U32:
  case TSL_DTYPE_U64: return proto->n_uint64_data;
  default: return proto->n_int32_data;
  }
}

static void read_typed(const Onnx__TensorProto *proto, tsl_tensor_data *data) {
  int64_t elements = tsl_type_elements(&data->type);
  tsl_dtype dtype = data->type.dtype;
  void *bytes = data->bytes;
  for (int64_t i = 0; i < elements; i++) {
    switch (dtype) {
    case TSL_DTYPE_F32: ((float *)bytes)[i] = proto->float_data[i]; break;
    case TSL_DTYPE_F64: ((double *)bytes)[i] = proto->double_data[i]; break;
    case TSL_DTYPE_I64: ((int64_t *)bytes)[i] = proto->int64_data[i]; break;
    case TSL_DTYPE_U32: ((uint32_t *)bytes)[i] = (uint32_t)proto->uint64_data[i]; break;
    case TSL_DTYPE_U64: ((uint64_t *)bytes)[i] = proto->uint64_data[i]; break;
    case TSL_DTYPE_F16:
    case TSL_DTYPE_BF16: /* the 16 bits of each value, in an int32 */
      ((uint16_t *)bytes)[i] = (uint16_t)proto->int32_data[i];
      break;
    default: tsl_element_set_i64(dtype, bytes, i, proto->int32_data[i]); break;
    }
  }
}

tsl_status tsl_onnx_tensor(const Onnx__TensorProto *proto, const char *base_dir,
                           const char *what, tsl_tensor_data **out, tsl_error *error) {
  *out = NULL;
  tsl_type type = {0};
  TRY(map_dtype(proto->data_type, what, &type.dtype, error));
  if (proto->n_dims > TSL_MAX_RANK) {
    return tsl_fail(error, TSL_ERROR_UNSUPPORTED, "%s has rank %zu; tessel handles up to %d",
                    what, proto->n_dims, TSL_MAX_RANK);
  }
  type.rank = (int)proto->n_dims;
  for (int axis = 0; axis < type.rank; axis++) type.dims[axis] = proto->dims[axis];
  int64_t elements;
  if (!tsl_shape_elements(type.rank, type.dims, &elements)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s has shape %s, which is negative or too large",
                    what, tsl_shape_str(type.rank, type.dims).text);
  }
  if (proto->segment) {
    return tsl_fail(error, TSL_ERROR_UNSUPPORTED, "%s is a segment of a tensor", what);
  }
  bool external = proto->has_data_location &&
                  proto->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  int64_t size = elements * (int64_t)tsl_dtype_size(type.dtype);
  /* Sizes are checked against what the file really holds before anything is allocated. */
  FILE *file = NULL;
  if (external) {
    TRY(open_external(proto, base_dir, what, &type, size, &file, error));
  } else if (proto->has_raw_data && (int64_t)proto->raw_data.len != size) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s has shape %s of %s, %lld bytes, but holds %zu",
                    what, tsl_shape_str(type.rank, type.dims).text, tsl_dtype_name(type.dtype),
                    (long long)size, proto->raw_data.len);
  } else if (!proto->has_raw_data && (int64_t)typed_count(proto, type.dtype) != elements) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s has shape %s (%lld elements) but holds %zu",
                    what, tsl_shape_str(type.rank, type.dims).text, (long long)elements,
                    typed_count(proto, type.dtype));
  }
  tsl_tensor_data *data = tsl_tensor_data_new(&type);
  if (!data) {
    if (file) fclose(file);
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot allocate %lld bytes", what,
                    (long long)size);
  }
  if (file) {
    bool read = fread(data->bytes, 1, (size_t)size, file) == (size_t)size;
    fclose(file);
    if (!read) {
      tsl_tensor_data_release(data);
      return tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot read its external data", what);
    }
  } else if (proto->has_raw_data) {
    if (size) memcpy(data->bytes, proto->raw_data.data, (size_t)size);
  } else {
    read_typed(proto, data);
  }
  *out = data;
  return TSL_OK;
}
