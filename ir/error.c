#include "ir/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runtime/model.h"

tsl_status tsl_fail(tsl_error *error, tsl_status status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  tsl_runtime_vfail(error, status, format, args);
  va_end(args);
  return status;
}

void tsl_error_prefix(tsl_error *error, const char *format, ...) {
  if (!error) return;
  char prefix[sizeof(error->message)];
  va_list args;
  va_start(args, format);
  vsnprintf(prefix, sizeof(prefix), format, args);
  va_end(args);
  /* The prefix goes in front; whatever does not fit is cut from the end. */
  size_t prefix_length = strlen(prefix), capacity = sizeof(error->message) - 1;
  size_t kept = strlen(error->message);
  if (prefix_length > capacity) prefix_length = capacity;
  if (kept > capacity - prefix_length) kept = capacity - prefix_length;
  memmove(error->message + prefix_length, error->message, kept);
  memcpy(error->message, prefix, prefix_length);
  error->message[prefix_length + kept] = '\0';
}

void tsl_error_clear(tsl_error *error) {
  if (!error) return;
  error->status = TSL_OK;
  error->message[0] = '\0';
}
