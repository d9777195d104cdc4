/* The scanner shared by the parsers of tessel's text forms: whitespace and `#` comments are
 * skipped, and every read reports the line it happened on for error messages. */
#ifndef TSL_IR_SCAN_H
#define TSL_IR_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tsl_scanner {
  const char *at, *end;
  int line;
} tsl_scanner;

tsl_scanner tsl_scanner_make(const char *text, size_t length);

/* Skips blanks and comments; true when something is left. */
bool tsl_scan_more(tsl_scanner *scanner);

/* Consumes `token` (after blanks) when the text continues with it. */
bool tsl_scan_accept(tsl_scanner *scanner, const char *token);

/* An identifier: letters, digits and `_ . / -`, not starting with a digit or '-'. */
bool tsl_scan_identifier(tsl_scanner *scanner, const char **start, size_t *length);

/* A word of identifier characters that may start with a digit (a name after '%'). */
bool tsl_scan_word(tsl_scanner *scanner, const char **start, size_t *length);

bool tsl_scan_int(tsl_scanner *scanner, int64_t *value);
bool tsl_scan_float(tsl_scanner *scanner, double *value); /* also inf, -inf, nan */

/* A double-quoted string with \" \\ \n \t and \xNN escapes; the result is malloc()ed. */
bool tsl_scan_string(tsl_scanner *scanner, char **value);

/* Writes `text` quoted and escaped, as tsl_scan_string reads it. */
struct tsl_text;
void tsl_print_string(struct tsl_text *buffer, const char *text);

/* A float in the shortest form that reads back to the same double. */
void tsl_print_float(struct tsl_text *buffer, double value);
/* The same, to the same float when `single` (for values of f32, f16 and bf16 tensors). */
void tsl_print_real(struct tsl_text *buffer, double value, bool single);

#endif
