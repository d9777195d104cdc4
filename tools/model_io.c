#include "tools/model_io.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "runtime/dtype.h"

void tsl_fill_pattern(tsl_dtype dtype, void *bytes, int64_t elements) {
  for (int64_t i = 0; i < elements; i++) {
    if (tsl_dtype_is_float(dtype))
      tsl_element_set_f64(dtype, bytes, i, (double)(i % 97 - 48) / 64);
    else if (dtype == TSL_DTYPE_BOOL)
      tsl_element_set_i64(dtype, bytes, i, i % 2);
    else
      tsl_element_set_i64(dtype, bytes, i, i % 7);
  }
}

void tsl_output_path(const char *dir, const char *name, char *path, size_t size) {
  char safe[1024];
  size_t length = 0;
  for (const char *c = name; *c && length + 1 < sizeof(safe); c++) {
    bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-';
    safe[length++] = ok ? *c : '_';
  }
  safe[length] = '\0';
  snprintf(path, size, "%s/%s.npy", dir, length ? safe : "_");
}

bool tsl_known_input(const char *program, const char *path, tsl_model *model, const char *name) {
  for (int i = 0; i < tsl_model_num_inputs(model); i++) {
    if (strcmp(name, tsl_model_input(model, i).name) == 0) return true;
  }
  fprintf(stderr, "%s: error: %s has no input '%s' (its inputs:", program, path, name);
  for (int i = 0; i < tsl_model_num_inputs(model); i++) {
    fprintf(stderr, "%s '%s'", i ? "," : "", tsl_model_input(model, i).name);
  }
  fprintf(stderr, ")\n");
  return false;
}
