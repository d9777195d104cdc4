/* Growable text: what printers write into. */
#ifndef TSL_IR_TEXT_H
#define TSL_IR_TEXT_H

#include <stddef.h>

typedef struct tsl_text {
  char *data; /* always zero-terminated once anything was written */
  size_t length, capacity;
} tsl_text;

void tsl_text_append(tsl_text *buffer, const char *text, size_t length);
void tsl_text_puts(tsl_text *buffer, const char *text);
void tsl_text_printf(tsl_text *buffer, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the text to the caller (free() it); the buffer is empty afterwards. */
char *tsl_text_take(tsl_text *buffer);
void tsl_text_free(tsl_text *buffer);

#endif
