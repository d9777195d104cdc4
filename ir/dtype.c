#include "ir/dtype.h"

#include <string.h>

tsl_dtype tsl_dtype_parse(const char *text, size_t length) {
  for (int dtype = 1; dtype < TSL_DTYPE_COUNT; dtype++) {
    const char *name = tsl_dtype_name((tsl_dtype)dtype);
    if (strlen(name) == length && memcmp(name, text, length) == 0) return (tsl_dtype)dtype;
  }
  return TSL_DTYPE_INVALID;
}
