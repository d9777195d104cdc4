#include "ir/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/error.h"

static bool copy_value(const char *value, char *out, size_t size) {
  if (strlen(value) >= size) return false;
  strcpy(out, value);
  return true;
}

tsl_status tsl_target_parse(const char *text, tsl_target *target, tsl_error *error) {
  *target = (tsl_target){.kind = TSL_TARGET_LLVM, .host = true};
  char copy[1024];
  if (!text || strlen(text) >= sizeof(copy)) {
    return tsl_fail(error, TSL_ERROR_INPUT, "target string is missing or too long");
  }
  strcpy(copy, text);
  char *save, *word = strtok_r(copy, " \t", &save);
  if (!word || strcmp(word, "llvm") != 0) {
    return tsl_fail(error, TSL_ERROR_UNSUPPORTED,
                    "target '%s': tessel generates code for 'llvm' (CPUs) so far", text);
  }
  while ((word = strtok_r(NULL, " \t", &save))) {
    char *equals = strchr(word, '=');
    const char *value = equals ? equals + 1 : "";
    if (equals) *equals = '\0';
    bool ok = equals != NULL;
    if (strcmp(word, "-mtriple") == 0) {
      ok = ok && copy_value(value, target->triple, sizeof(target->triple));
      target->host = false;
    } else if (strcmp(word, "-mcpu") == 0) {
      ok = ok && copy_value(value, target->cpu, sizeof(target->cpu));
    } else if (strcmp(word, "-mattr") == 0) {
      ok = ok && copy_value(value, target->features, sizeof(target->features));
    } else if (strcmp(word, "-num-cores") == 0) {
      char *end;
      long cores = strtol(value, &end, 10);
      ok = ok && *end == '\0' && cores > 0 && cores <= 4096;
      target->cores = (int)cores;
    } else {
      return tsl_fail(error, TSL_ERROR_INPUT,
                      "target '%s': unknown option '%s' (known: -mtriple, -mcpu, -mattr, "
                      "-num-cores)", text, word);
    }
    if (!ok) {
      return tsl_fail(error, TSL_ERROR_INPUT, "target '%s': option %s needs a valid value", text,
                      word);
    }
  }
  return TSL_OK;
}

void tsl_target_string(const tsl_target *target, char *text, size_t size) {
  snprintf(text, size, "llvm -mtriple=%s -mcpu=%s", target->triple, target->cpu);
  if (target->cores) {
    size_t used = strlen(text);
    snprintf(text + used, size - used, " -num-cores=%d", target->cores);
  }
}

bool tsl_target_has_feature(const tsl_target *target, const char *feature) {
  size_t length = strlen(feature);
  for (const char *at = target->features; *at;) {
    size_t item = strcspn(at, ",");
    if (item == length + 1 && at[0] == '+' && memcmp(at + 1, feature, length) == 0) return true;
    at += item;
    at += *at == ',';
  }
  return false;
}
