/* NumPy .npy files (little-endian, C order, a dtype tessel has), and reading whole files: what
 * the runner reads and writes, and what the compiler's tensor files (ir/tensor_file.h) build
 * on, so that there is one .npy reader. */
#ifndef TSL_RUNTIME_NPY_H
#define TSL_RUNTIME_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "tessel/runtime.h"

#define TSL_NPY_MAX_RANK 16

typedef struct tsl_npy_array {
  tsl_dtype dtype;
  int rank;
  int64_t dims[TSL_NPY_MAX_RANK];
  const void *data; /* row-major, inside the bytes that were parsed */
  size_t data_size;
} tsl_npy_array;

/* The whole of a regular file (malloc'd, with a byte to spare after it); errors name the file. */
tsl_status tsl_read_file(const char *path, unsigned char **bytes, size_t *size, tsl_error *error);

/* Whether the bytes start as a .npy file does. */
bool tsl_npy_magic(const unsigned char *bytes, size_t size);

/* Parses the .npy file `path` held in `bytes`: its header, dtype, shape, and that the data is
 * as large as they say. Errors name `path`. */
tsl_status tsl_npy_parse(const char *path, const unsigned char *bytes, size_t size,
                         tsl_npy_array *array, tsl_error *error);

/* Writes row-major data as .npy (to a temporary name, then renamed: no partial file is left). */
tsl_status tsl_npy_write(const char *path, tsl_dtype dtype, int rank, const int64_t *dims,
                         const void *data, tsl_error *error);

#endif
