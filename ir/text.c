#include "ir/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"

static void reserve(tsl_text *buffer, size_t extra) {
  if (buffer->length + extra + 1 <= buffer->capacity) return;
  size_t capacity = buffer->capacity ? buffer->capacity : 256;
  while (capacity < buffer->length + extra + 1) capacity *= 2;
  buffer->data = realloc(buffer->data, capacity);
  TSL_CHECK_ALLOC(buffer->data);
  buffer->capacity = capacity;
}

void tsl_text_append(tsl_text *buffer, const char *text, size_t length) {
  reserve(buffer, length);
  memcpy(buffer->data + buffer->length, text, length);
  buffer->length += length;
  buffer->data[buffer->length] = '\0';
}

void tsl_text_puts(tsl_text *buffer, const char *text) {
  tsl_text_append(buffer, text, strlen(text));
}

void tsl_text_printf(tsl_text *buffer, const char *format, ...) {
  va_list args;
  va_start(args, format);
  int length = vsnprintf(NULL, 0, format, args);
  va_end(args);
  TSL_CHECK(length >= 0);
  reserve(buffer, (size_t)length);
  va_start(args, format);
  vsnprintf(buffer->data + buffer->length, (size_t)length + 1, format, args);
  va_end(args);
  buffer->length += (size_t)length;
}

char *tsl_text_take(tsl_text *buffer) {
  if (!buffer->data) tsl_text_append(buffer, "", 0);
  char *text = buffer->data;
  *buffer = (tsl_text){0};
  return text;
}

void tsl_text_free(tsl_text *buffer) {
  free(buffer->data);
  *buffer = (tsl_text){0};
}
