#include "runtime/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/model.h"

static const struct {
  tsl_dtype dtype;
  const char *descr; /* NumPy's type string, little-endian */
} npy_dtypes[] = {
    {TSL_DTYPE_F32, "<f4"}, {TSL_DTYPE_F16, "<f2"}, {TSL_DTYPE_F64, "<f8"}, {TSL_DTYPE_I8, "|i1"},
    {TSL_DTYPE_U8, "|u1"},  {TSL_DTYPE_I16, "<i2"}, {TSL_DTYPE_U16, "<u2"}, {TSL_DTYPE_I32, "<i4"},
    {TSL_DTYPE_U32, "<u4"}, {TSL_DTYPE_I64, "<i8"}, {TSL_DTYPE_U64, "<u8"}, {TSL_DTYPE_BOOL, "|b1"},
};

tsl_status tsl_read_file(const char *path, unsigned char **bytes, size_t *size, tsl_error *error) {
  FILE *file = fopen(path, "rb");
  if (!file) {
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: cannot open: %s", path, strerror(errno));
  }
  struct stat info;
  if (fstat(fileno(file), &info) != 0 || !S_ISREG(info.st_mode)) {
    fclose(file);
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: not a regular file", path);
  }
  *size = (size_t)info.st_size;
  *bytes = malloc(*size + 1);
  if (!*bytes) {
    fclose(file);
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: too large to read", path);
  }
  bool read = fread(*bytes, 1, *size, file) == *size;
  fclose(file);
  if (!read) {
    free(*bytes);
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: cannot read", path);
  }
  return TSL_OK;
}

bool tsl_npy_magic(const unsigned char *bytes, size_t size) {
  return size >= 6 && memcmp(bytes, "\x93NUMPY", 6) == 0;
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

/* Bytes of the array the shape describes; false when the count overflows. */
static bool array_bytes(const tsl_npy_array *array, size_t *bytes) {
  size_t count = tsl_dtype_size(array->dtype);
  for (int axis = 0; axis < array->rank; axis++) {
    if (array->dims[axis] < 0 || __builtin_mul_overflow(count, (size_t)array->dims[axis], &count)) {
      return false;
    }
  }
  *bytes = count;
  return true;
}

tsl_status tsl_npy_parse(const char *path, const unsigned char *bytes, size_t size,
                         tsl_npy_array *array, tsl_error *error) {
  *array = (tsl_npy_array){0};
  if (!tsl_npy_magic(bytes, size) || size < 12 || bytes[6] < 1 || bytes[6] > 3) {
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: not a NumPy .npy file", path);
  }
  size_t header_size =
      bytes[6] == 1
          ? (size_t)(bytes[8] | bytes[9] << 8)
          : (size_t)(bytes[8] | bytes[9] << 8 | bytes[10] << 16 | (size_t)bytes[11] << 24);
  size_t header_start = bytes[6] == 1 ? 10 : 12;
  if (header_start + header_size > size || header_size > 65536) {
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: the .npy header is damaged", path);
  }
  char header[65537];
  memcpy(header, bytes + header_start, header_size);
  header[header_size] = '\0';
  char descr[16], order[16], shape[512];
  if (!header_value(header, "'descr'", descr, sizeof(descr)) ||
      !header_value(header, "'fortran_order'", order, sizeof(order)) ||
      !header_value(header, "'shape'", shape, sizeof(shape))) {
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: the .npy header is damaged", path);
  }
  if (strncmp(order, "False", 5) != 0) {
    return tsl_runtime_fail(error, TSL_ERROR_UNSUPPORTED,
                            "%s: Fortran-ordered arrays are not read; save with C order", path);
  }
  for (size_t i = 0; i < sizeof(npy_dtypes) / sizeof(npy_dtypes[0]); i++) {
    if (strcmp(npy_dtypes[i].descr, descr) == 0) array->dtype = npy_dtypes[i].dtype;
  }
  if (!array->dtype) {
    return tsl_runtime_fail(error, TSL_ERROR_UNSUPPORTED, "%s: dtype '%s' is not one tessel has",
                            path, descr);
  }
  for (const char *at = shape + 1; *at && *at != ')';) {
    while (*at == ' ' || *at == ',') at++;
    if (*at == ')' || !*at) break;
    char *end;
    long long dim = strtoll(at, &end, 10);
    if (end == at || array->rank == TSL_NPY_MAX_RANK) {
      return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: cannot read the shape %s", path, shape);
    }
    array->dims[array->rank++] = dim;
    at = end;
  }
  if (!array_bytes(array, &array->data_size)) {
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: the shape %s is too large", path, shape);
  }
  if (size - header_start - header_size != array->data_size) {
    return tsl_runtime_fail(error, TSL_ERROR_INPUT,
                            "%s: holds %zu bytes of data, its header says %s of %s", path,
                            size - header_start - header_size, shape, descr);
  }
  array->data = bytes + header_start + header_size;
  return TSL_OK;
}

tsl_status tsl_npy_write(const char *path, tsl_dtype dtype, int rank, const int64_t *dims,
                         const void *data, tsl_error *error) {
  const char *descr = NULL;
  for (size_t i = 0; i < sizeof(npy_dtypes) / sizeof(npy_dtypes[0]); i++) {
    if (npy_dtypes[i].dtype == dtype) descr = npy_dtypes[i].descr;
  }
  if (!descr) {
    return tsl_runtime_fail(error, TSL_ERROR_UNSUPPORTED, "%s: NumPy has no %s", path,
                            tsl_dtype_name(dtype));
  }
  tsl_npy_array array = {.dtype = dtype, .rank = rank};
  char shape[512] = "(";
  for (int axis = 0; axis < rank && axis < TSL_NPY_MAX_RANK; axis++) {
    array.dims[axis] = dims[axis];
    size_t used = strlen(shape);
    snprintf(shape + used, sizeof(shape) - used, "%lld,%s", (long long)dims[axis],
             axis + 1 < rank ? " " : "");
  }
  strcat(shape, ")");
  size_t data_size;
  if (rank > TSL_NPY_MAX_RANK || !array_bytes(&array, &data_size)) {
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: cannot write the shape %s", path, shape);
  }
  char header[1024];
  int length = snprintf(header, sizeof(header),
                        "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
  /* The header ends with a newline and pads the data start to 64 bytes. */
  int total = 10 + length + 1;
  int padding = (64 - total % 64) % 64;
  char temporary[4096];
  snprintf(temporary, sizeof(temporary), "%s.partial", path);
  FILE *file = fopen(temporary, "wb");
  if (!file) {
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: cannot write: %s", path, strerror(errno));
  }
  unsigned header_size = (unsigned)(length + padding + 1);
  unsigned char preamble[10] = {0x93,
                                'N',
                                'U',
                                'M',
                                'P',
                                'Y',
                                1,
                                0,
                                (unsigned char)(header_size & 0xff),
                                (unsigned char)(header_size >> 8)};
  bool ok = fwrite(preamble, 1, 10, file) == 10 &&
            fwrite(header, 1, (size_t)length, file) == (size_t)length;
  for (int i = 0; i < padding && ok; i++) ok = fputc(' ', file) != EOF;
  ok = ok && fputc('\n', file) != EOF;
  ok = ok && fwrite(data, 1, data_size, file) == data_size;
  ok = fclose(file) == 0 && ok;
  if (!ok || rename(temporary, path) != 0) {
    unlink(temporary);
    return tsl_runtime_fail(error, TSL_ERROR_INPUT, "%s: cannot write: %s", path, strerror(errno));
  }
  return TSL_OK;
}
