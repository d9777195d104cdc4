#include "ir/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"

enum { CHUNK_SIZE = 64 * 1024, ALIGNMENT = 16 };

typedef struct chunk {
  struct chunk *previous;
  size_t size, used;
  max_align_t data[];
} chunk;

struct tsl_arena {
  chunk *current;
};

tsl_arena *tsl_arena_new(void) {
  tsl_arena *arena = calloc(1, sizeof(*arena));
  TSL_CHECK_ALLOC(arena);
  return arena;
}

void tsl_arena_free(tsl_arena *arena) {
  if (!arena) return;
  for (chunk *c = arena->current; c;) {
    chunk *previous = c->previous;
    free(c);
    c = previous;
  }
  free(arena);
}

void *tsl_arena_alloc(tsl_arena *arena, size_t size) {
  size = (size + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1);
  chunk *c = arena->current;
  if (!c || c->size - c->used < size) {
    size_t capacity = size > CHUNK_SIZE / 4 ? size : CHUNK_SIZE;
    chunk *fresh = malloc(sizeof(chunk) + capacity);
    TSL_CHECK_ALLOC(fresh);
    fresh->size = capacity;
    fresh->used = 0;
    if (c && size > CHUNK_SIZE / 4) {
      /* A large block goes behind the current chunk, so the current one keeps filling. */
      fresh->previous = c->previous;
      c->previous = fresh;
    } else {
      fresh->previous = c;
      arena->current = fresh;
    }
    c = fresh;
  }
  void *memory = (char *)c->data + c->used;
  c->used += size;
  memset(memory, 0, size);
  return memory;
}

char *tsl_arena_strndup(tsl_arena *arena, const char *text, size_t length) {
  char *copy = tsl_arena_alloc(arena, length + 1);
  if (length) memcpy(copy, text, length);
  copy[length] = '\0';
  return copy;
}

char *tsl_arena_strdup(tsl_arena *arena, const char *text) {
  return tsl_arena_strndup(arena, text, strlen(text));
}

void *tsl_arena_memdup(tsl_arena *arena, const void *data, size_t size) {
  void *copy = tsl_arena_alloc(arena, size);
  if (size) memcpy(copy, data, size);
  return copy;
}

char *tsl_arena_printf(tsl_arena *arena, const char *format, ...) {
  va_list args;
  va_start(args, format);
  int length = vsnprintf(NULL, 0, format, args);
  va_end(args);
  TSL_CHECK(length >= 0);
  char *text = tsl_arena_alloc(arena, (size_t)length + 1);
  va_start(args, format);
  vsnprintf(text, (size_t)length + 1, format, args);
  va_end(args);
  return text;
}

void *tsl_arena_grow(tsl_arena *arena, void *items, int *capacity, int needed, size_t item_size) {
  if (needed <= *capacity) return items;
  int grown = *capacity ? *capacity : 4;
  while (grown < needed) grown *= 2;
  void *fresh = tsl_arena_alloc(arena, item_size * (size_t)grown);
  if (*capacity) memcpy(fresh, items, item_size * (size_t)*capacity);
  *capacity = grown;
  return fresh;
}
