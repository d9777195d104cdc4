#include "ir/tensor_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir/error.h"
#include "ir/onnx/import.h"

static const struct {
  tsl_dtype dtype;
  const char *descr; /* NumPy's type string, little-endian */
} npy_dtypes[] = {
    {TSL_DTYPE_F32, "<f4"}, {TSL_DTYPE_F16, "<f2"}, {TSL_DTYPE_F64, "<f8"},
    {TSL_DTYPE_I8, "|i1"},  {TSL_DTYPE_U8, "|u1"},  {TSL_DTYPE_I16, "<i2"},
    {TSL_DTYPE_U16, "<u2"}, {TSL_DTYPE_I32, "<i4"}, {TSL_DTYPE_U32, "<u4"},
    {TSL_DTYPE_I64, "<i8"}, {TSL_DTYPE_U64, "<u8"}, {TSL_DTYPE_BOOL, "|b1"},
};

tsl_status tsl_read_file(const char *path, unsigned char **bytes, size_t *size,
                         tsl_error *error) {
  FILE *file = fopen(path, "rb");
  if (!file) return tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot open: %s", path, strerror(errno));
  struct stat info;
  if (fstat(fileno(file), &info) != 0 || !S_ISREG(info.st_mode)) {
    fclose(file);
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: not a regular file", path);
  }
  *size = (size_t)info.st_size;
  *bytes = malloc(*size + 1);
  if (!*bytes) {
    fclose(file);
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: too large to read", path);
  }
  bool read = fread(*bytes, 1, *size, file) == *size;
  fclose(file);
  if (!read) {
    free(*bytes);
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot read", path);
  }
  return TSL_OK;
}

/* The value of `key` in the header dict: "'descr': '<f4'" → "<f4". */
static const char *header_value(const char *header, const char *key, char *value, size_t size) {
  const char *at = strstr(header, key);
  if (!at) return NULL;
  at = strchr(at + strlen(key), ':');
  if (!at) return NULL;
  at++;
  while (*at == ' ') at++;
  size_t length = 0;
  if (*at == '\'') {
    at++;
    while (at[length] && at[length] != '\'') length++;
  } else if (*at == '(') {
    while (at[length] && at[length] != ')') length++;
    length++;
  } else {
    while (at[length] && at[length] != ',' && at[length] != '}') length++;
  }
  if (length >= size) return NULL;
  memcpy(value, at, length);
  value[length] = '\0';
  return value;
}

static tsl_status parse_npy(const char *path, const unsigned char *bytes, size_t size,
                            tsl_tensor_data **out, tsl_error *error) {
  if (size < 10 || bytes[6] < 1 || bytes[6] > 3) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: not a NumPy .npy file", path);
  }
  size_t header_size = bytes[6] == 1 ? (size_t)(bytes[8] | bytes[9] << 8)
                                     : (size_t)(bytes[8] | bytes[9] << 8 | bytes[10] << 16 | (size_t)bytes[11] << 24);
  size_t header_start = bytes[6] == 1 ? 10 : 12;
  if (header_start + header_size > size || header_size > 65536) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: the .npy header is damaged", path);
  }
  char header[65537];
  memcpy(header, bytes + header_start, header_size);
  header[header_size] = '\0';
  char descr[16], order[16], shape[512];
  if (!header_value(header, "'descr'", descr, sizeof(descr)) ||
      !header_value(header, "'fortran_order'", order, sizeof(order)) ||
      !header_value(header, "'shape'", shape, sizeof(shape))) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: the .npy header is damaged", path);
  }
  if (strncmp(order, "False", 5) != 0) {
    return tsl_fail(error, TSL_ERROR_UNSUPPORTED, "%s: Fortran-ordered arrays are not read; save with C order", path);
  }
  tsl_type type = {0};
  for (size_t i = 0; i < sizeof(npy_dtypes) / sizeof(npy_dtypes[0]); i++) {
    if (strcmp(npy_dtypes[i].descr, descr) == 0) type.dtype = npy_dtypes[i].dtype;
  }
  if (!type.dtype) return tsl_fail(error, TSL_ERROR_UNSUPPORTED, "%s: dtype '%s' is not one tessel has", path, descr);
  for (const char *at = shape + 1; *at && *at != ')';) {
    while (*at == ' ' || *at == ',') at++;
    if (*at == ')' || !*at) break;
    char *end;
    long long dim = strtoll(at, &end, 10);
    if (end == at || type.rank == TSL_MAX_RANK) {
      return tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot read the shape %s", path, shape);
    }
    type.dims[type.rank++] = dim;
    at = end;
  }
  int64_t elements;
  if (!tsl_shape_elements(type.rank, type.dims, &elements)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: the shape %s is too large", path, shape);
  }
  size_t data_size = (size_t)elements * tsl_dtype_size(type.dtype);
  if (size - header_start - header_size != data_size) {
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: holds %zu bytes of data, its header says %s of %s", path,
                    size - header_start - header_size, shape, descr);
  }
  tsl_tensor_data *data = tsl_tensor_data_new(&type);
  if (!data) return tsl_fail(error, TSL_ERROR_INPUT, "%s: out of memory", path);
  if (data_size) memcpy(data->bytes, bytes + header_start + header_size, data_size);
  *out = data;
  return TSL_OK;
}

tsl_status tsl_read_tensor_file(const char *path, tsl_tensor_data **out, tsl_error *error) {
  *out = NULL;
  unsigned char *bytes = NULL;
  size_t size = 0;
  TRY(tsl_read_file(path, &bytes, &size, error));
  tsl_status status;
  if (size >= 6 && memcmp(bytes, "\x93NUMPY", 6) == 0) {
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
  const char *descr = NULL;
  for (size_t i = 0; i < sizeof(npy_dtypes) / sizeof(npy_dtypes[0]); i++) {
    if (npy_dtypes[i].dtype == type->dtype) descr = npy_dtypes[i].descr;
  }
  if (!descr) {
    return tsl_fail(error, TSL_ERROR_UNSUPPORTED, "%s: NumPy has no %s", path, tsl_dtype_name(type->dtype));
  }
  char shape[512] = "(";
  for (int axis = 0; axis < type->rank; axis++) {
    size_t used = strlen(shape);
    snprintf(shape + used, sizeof(shape) - used, "%lld,%s", (long long)type->dims[axis],
             axis + 1 < type->rank ? " " : "");
  }
  strcat(shape, ")");
  char header[1024];
  int length = snprintf(header, sizeof(header), "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
  /* The header ends with a newline and pads the data start to 64 bytes. */
  int total = 10 + length + 1;
  int padding = (64 - total % 64) % 64;
  char temporary[4096];
  snprintf(temporary, sizeof(temporary), "%s.partial", path);
  FILE *file = fopen(temporary, "wb");
  if (!file) return tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot write: %s", path, strerror(errno));
  unsigned header_size = (unsigned)(length + padding + 1);
  unsigned char preamble[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(header_size & 0xff),
                                (unsigned char)(header_size >> 8)};
  bool ok = fwrite(preamble, 1, 10, file) == 10 && fwrite(header, 1, (size_t)length, file) == (size_t)length;
  for (int i = 0; i < padding && ok; i++) ok = fputc(' ', file) != EOF;
  ok = ok && fputc('\n', file) != EOF;
  size_t data_size = (size_t)tsl_type_bytes(type);
  ok = ok && fwrite(bytes, 1, data_size, file) == data_size;
  ok = fclose(file) == 0 && ok;
  if (!ok || rename(temporary, path) != 0) {
    unlink(temporary);
    return tsl_fail(error, TSL_ERROR_INPUT, "%s: cannot write: %s", path, strerror(errno));
  }
  return TSL_OK;
}
