/* A growable text buffer: what printers write into. */
#ifndef TSL_IR_BUFFER_H
#define TSL_IR_BUFFER_H

#include <stddef.h>

typedef struct tsl_buffer {
  char *data; /* always zero-terminated once anything was written */
  size_t length, capacity;
} tsl_buffer;

void tsl_buffer_append(tsl_buffer *buffer, const char *text, size_t length);
void tsl_buffer_puts(tsl_buffer *buffer, const char *text);
void tsl_buffer_printf(tsl_buffer *buffer, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the text to the caller (free() it); the buffer is empty afterwards. */
char *tsl_buffer_take(tsl_buffer *buffer);
void tsl_buffer_free(tsl_buffer *buffer);

#endif
