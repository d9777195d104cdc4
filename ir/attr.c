#include "ir/attr.h"

#include <stdlib.h>
#include <string.h>

#include "ir/check.h"

const char *tsl_attr_kind_name(tsl_attr_kind kind) {
  static const char *const names[] = {
#define X(kind, name) name,
      TSL_ATTR_KINDS(X)
#undef X
  };
  return names[kind];
}

tsl_attr tsl_attr_int(int64_t value) { return (tsl_attr){.kind = TSL_ATTR_INT, .i = value}; }

tsl_attr tsl_attr_float(double value) {
  return (tsl_attr){.kind = TSL_ATTR_FLOAT, .f = (float)value};
}

tsl_attr tsl_attr_dtype(tsl_dtype value) {
  return (tsl_attr){.kind = TSL_ATTR_DTYPE, .dtype = value};
}

tsl_attr tsl_attr_ints(tsl_arena *arena, int count, const int64_t *values) {
  return (tsl_attr){.kind = TSL_ATTR_INTS,
                    .count = count,
                    .ints = tsl_arena_memdup(arena, values, sizeof(int64_t) * (size_t)count)};
}

tsl_attr tsl_attr_floats(tsl_arena *arena, int count, const double *values) {
  double *rounded = TSL_ARENA_ARRAY(arena, double, count + 1);
  for (int i = 0; i < count; i++) rounded[i] = (float)values[i];
  return (tsl_attr){.kind = TSL_ATTR_FLOATS, .count = count, .floats = rounded};
}

tsl_attr tsl_attr_string(tsl_arena *arena, const char *value) {
  return (tsl_attr){.kind = TSL_ATTR_STRING, .s = tsl_arena_strdup(arena, value)};
}

tsl_attr tsl_attr_copy(tsl_arena *arena, const tsl_attr *attr) {
  switch (attr->kind) {
  case TSL_ATTR_INTS: return tsl_attr_ints(arena, attr->count, attr->ints);
  case TSL_ATTR_FLOATS: return tsl_attr_floats(arena, attr->count, attr->floats);
  case TSL_ATTR_STRING: return tsl_attr_string(arena, attr->s);
  default: return *attr;
  }
}

bool tsl_attr_equal(const tsl_attr *a, const tsl_attr *b) {
  if (a->kind != b->kind) return false;
  switch (a->kind) {
  case TSL_ATTR_INT: return a->i == b->i;
  case TSL_ATTR_FLOAT: return memcmp(&a->f, &b->f, sizeof(double)) == 0;
  case TSL_ATTR_DTYPE: return a->dtype == b->dtype;
  case TSL_ATTR_STRING: return strcmp(a->s, b->s) == 0;
  case TSL_ATTR_INTS:
    return a->count == b->count &&
           (a->count == 0 || memcmp(a->ints, b->ints, sizeof(int64_t) * (size_t)a->count) == 0);
  case TSL_ATTR_FLOATS:
    return a->count == b->count &&
           (a->count == 0 ||
            memcmp(a->floats, b->floats, sizeof(double) * (size_t)a->count) == 0);
  }
  TSL_UNREACHABLE();
}

void tsl_attr_print(tsl_text *buffer, const tsl_attr *attr) {
  switch (attr->kind) {
  case TSL_ATTR_INT: tsl_text_printf(buffer, "%lld", (long long)attr->i); return;
  case TSL_ATTR_FLOAT: tsl_print_real(buffer, attr->f, true); return;
  case TSL_ATTR_DTYPE: tsl_text_puts(buffer, tsl_dtype_name(attr->dtype)); return;
  case TSL_ATTR_STRING: tsl_print_string(buffer, attr->s); return;
  case TSL_ATTR_INTS:
  case TSL_ATTR_FLOATS:
    tsl_text_puts(buffer, "[");
    for (int i = 0; i < attr->count; i++) {
      if (i) tsl_text_puts(buffer, ", ");
      if (attr->kind == TSL_ATTR_INTS) tsl_text_printf(buffer, "%lld", (long long)attr->ints[i]);
      else tsl_print_real(buffer, attr->floats[i], true);
    }
    tsl_text_puts(buffer, "]");
    return;
  }
  TSL_UNREACHABLE();
}

static bool parse_list(tsl_scanner *s, tsl_arena *arena, tsl_attr_kind kind, tsl_attr *out) {
  if (!tsl_scan_accept(s, "[")) return false;
  int count = 0, capacity = 0;
  int64_t *ints = NULL;
  double *floats = NULL;
  if (!tsl_scan_accept(s, "]")) {
    do {
      if (kind == TSL_ATTR_INTS) {
        int64_t value;
        if (!tsl_scan_int(s, &value)) return false;
        TSL_ARENA_PUSH(arena, ints, count, capacity, value);
      } else {
        double value;
        if (!tsl_scan_float(s, &value)) return false;
        TSL_ARENA_PUSH(arena, floats, count, capacity, (float)value);
      }
    } while (tsl_scan_accept(s, ","));
    if (!tsl_scan_accept(s, "]")) return false;
  }
  *out = (tsl_attr){.kind = kind, .count = count};
  if (kind == TSL_ATTR_INTS) out->ints = ints;
  else out->floats = floats;
  return true;
}

bool tsl_attr_parse(tsl_scanner *s, tsl_arena *arena, tsl_attr_kind kind, tsl_attr *out) {
  switch (kind) {
  case TSL_ATTR_INT: {
    int64_t value;
    if (!tsl_scan_int(s, &value)) return false;
    *out = tsl_attr_int(value);
    return true;
  }
  case TSL_ATTR_FLOAT: {
    double value;
    if (!tsl_scan_float(s, &value)) return false;
    *out = tsl_attr_float(value);
    return true;
  }
  case TSL_ATTR_DTYPE: {
    const char *name;
    size_t length;
    if (!tsl_scan_identifier(s, &name, &length)) return false;
    tsl_dtype dtype = tsl_dtype_parse(name, length);
    if (dtype == TSL_DTYPE_INVALID) return false;
    *out = tsl_attr_dtype(dtype);
    return true;
  }
  case TSL_ATTR_STRING: {
    char *text;
    if (!tsl_scan_string(s, &text)) return false;
    *out = tsl_attr_string(arena, text);
    free(text);
    return true;
  }
  case TSL_ATTR_INTS:
  case TSL_ATTR_FLOATS: return parse_list(s, arena, kind, out);
  }
  TSL_UNREACHABLE();
}

void tsl_attr_hash(const tsl_attr *attr, tsl_hash_feed feed, void *context) {
  int32_t header[2] = {(int32_t)attr->kind, attr->count};
  feed(context, header, sizeof(header));
  switch (attr->kind) {
  case TSL_ATTR_INT: feed(context, &attr->i, sizeof(attr->i)); return;
  case TSL_ATTR_FLOAT: feed(context, &attr->f, sizeof(attr->f)); return;
  case TSL_ATTR_DTYPE: {
    int32_t dtype = attr->dtype;
    feed(context, &dtype, sizeof(dtype));
    return;
  }
  case TSL_ATTR_STRING: feed(context, attr->s, strlen(attr->s) + 1); return;
  case TSL_ATTR_INTS: feed(context, attr->ints, sizeof(int64_t) * (size_t)attr->count); return;
  case TSL_ATTR_FLOATS:
    feed(context, attr->floats, sizeof(double) * (size_t)attr->count);
    return;
  }
  TSL_UNREACHABLE();
}
