#include "ir/scan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/text.h"
#include "ir/check.h"

tsl_scanner tsl_scanner_make(const char *text, size_t length) {
  return (tsl_scanner){.at = text, .end = text + length, .line = 1};
}

bool tsl_scan_more(tsl_scanner *s) {
  while (s->at < s->end) {
    char c = *s->at;
    if (c == '\n') {
      s->line++;
      s->at++;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      s->at++;
    } else if (c == '#') {
      while (s->at < s->end && *s->at != '\n') s->at++;
    } else {
      return true;
    }
  }
  return false;
}

bool tsl_scan_accept(tsl_scanner *s, const char *token) {
  size_t length = strlen(token);
  if (!tsl_scan_more(s) || (size_t)(s->end - s->at) < length) return false;
  if (memcmp(s->at, token, length) != 0) return false;
  s->at += length;
  return true;
}

static bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '/' || c == '-';
}

bool tsl_scan_word(tsl_scanner *s, const char **start, size_t *length) {
  if (!tsl_scan_more(s) || !is_word_char(*s->at)) return false;
  const char *begin = s->at;
  while (s->at < s->end && is_word_char(*s->at)) s->at++;
  *start = begin;
  *length = (size_t)(s->at - begin);
  return true;
}

bool tsl_scan_identifier(tsl_scanner *s, const char **start, size_t *length) {
  if (!tsl_scan_more(s)) return false;
  char c = *s->at;
  if ((c >= '0' && c <= '9') || c == '-' || !is_word_char(c)) return false;
  return tsl_scan_word(s, start, length);
}

/* Copies the number-like text at the cursor so strtod/strtoll never read past the end. */
static size_t number_text(const tsl_scanner *s, char *text, size_t size) {
  size_t length = 0;
  while (s->at + length < s->end && length + 1 < size) {
    char c = s->at[length];
    if (!(is_word_char(c) || c == '+')) break;
    text[length++] = c;
  }
  text[length] = '\0';
  return length;
}

bool tsl_scan_int(tsl_scanner *s, int64_t *value) {
  if (!tsl_scan_more(s)) return false;
  char text[32];
  number_text(s, text, sizeof(text));
  char *end;
  errno = 0;
  long long parsed = strtoll(text, &end, 10);
  if (end == text || errno == ERANGE) return false;
  /* A float, not an int ("1.5", "1e3"); "0..3" is an int before a range's "..". */
  if ((*end == '.' && end[1] != '.') || *end == 'e' || *end == 'E') return false;
  s->at += end - text;
  *value = parsed;
  return true;
}

bool tsl_scan_float(tsl_scanner *s, double *value) {
  if (!tsl_scan_more(s)) return false;
  char text[64];
  number_text(s, text, sizeof(text));
  char *end;
  double parsed = strtod(text, &end);
  if (end == text) return false;
  s->at += end - text;
  *value = parsed;
  return true;
}

bool tsl_scan_string(tsl_scanner *s, char **value) {
  if (!tsl_scan_more(s) || *s->at != '"') return false;
  tsl_text text = {0};
  const char *at = s->at + 1;
  while (at < s->end && *at != '"') {
    char c = *at++;
    if (c == '\n') break;
    if (c == '\\') {
      if (at >= s->end) break;
      char escaped = *at++;
      if (escaped == 'n') c = '\n';
      else if (escaped == 't') c = '\t';
      else if (escaped == '"' || escaped == '\\') c = escaped;
      else if (escaped == 'x' && s->end - at >= 2) {
        char hex[3] = {at[0], at[1], 0};
        char *end;
        long code = strtol(hex, &end, 16);
        if (end != hex + 2) break;
        c = (char)code;
        at += 2;
      } else break;
    }
    tsl_text_append(&text, &c, 1);
  }
  if (at >= s->end || *at != '"') {
    tsl_text_free(&text);
    return false;
  }
  s->at = at + 1;
  *value = tsl_text_take(&text);
  return true;
}

void tsl_print_string(tsl_text *buffer, const char *text) {
  tsl_text_puts(buffer, "\"");
  for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
    if (*c == '"' || *c == '\\') tsl_text_printf(buffer, "\\%c", *c);
    else if (*c == '\n') tsl_text_puts(buffer, "\\n");
    else if (*c == '\t') tsl_text_puts(buffer, "\\t");
    else if (*c < 0x20 || *c == 0x7f) tsl_text_printf(buffer, "\\x%02x", *c);
    else tsl_text_append(buffer, (const char *)c, 1);
  }
  tsl_text_puts(buffer, "\"");
}

void tsl_print_float(tsl_text *buffer, double value) { tsl_print_real(buffer, value, false); }

void tsl_print_real(tsl_text *buffer, double value, bool single) {
  if (isnan(value)) {
    tsl_text_puts(buffer, "nan");
    return;
  }
  if (isinf(value)) {
    tsl_text_puts(buffer, value > 0 ? "inf" : "-inf");
    return;
  }
  char text[40];
  for (int precision = 1; precision <= 17; precision++) {
    snprintf(text, sizeof(text), "%.*g", precision, value);
    if (single ? strtof(text, NULL) == (float)value : strtod(text, NULL) == value) break;
  }
  /* Keep floats recognisable as floats: "1" is written "1.0". */
  if (!strpbrk(text, ".eEn")) strcat(text, ".0");
  tsl_text_puts(buffer, text);
}
