/* An arena: the memory of one IR container. Nodes are carved out of it and released all at
 * once when the container dies; nothing allocated here is freed on its own. */
#ifndef TSL_IR_ARENA_H
#define TSL_IR_ARENA_H

#include <stddef.h>

typedef struct tsl_arena tsl_arena;

tsl_arena *tsl_arena_new(void);
void tsl_arena_free(tsl_arena *arena);

/* Zeroed memory, aligned for any type. Aborts on allocation failure: IR sizes are bounded by
 * the checks that come before them, so running out here is not a user error. */
void *tsl_arena_alloc(tsl_arena *arena, size_t size);
char *tsl_arena_strdup(tsl_arena *arena, const char *text);
char *tsl_arena_strndup(tsl_arena *arena, const char *text, size_t length);
void *tsl_arena_memdup(tsl_arena *arena, const void *data, size_t size);
char *tsl_arena_printf(tsl_arena *arena, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Grows an array kept in the arena to hold at least `needed` items, doubling its capacity;
 * returns the (possibly moved) array. The old space is left to the arena. */
void *tsl_arena_grow(tsl_arena *arena, void *items, int *capacity, int needed, size_t item_size);

#define TSL_ARENA_NEW(arena, type) ((type *)tsl_arena_alloc((arena), sizeof(type)))
#define TSL_ARENA_ARRAY(arena, type, count) \
  ((type *)tsl_arena_alloc((arena), sizeof(type) * (size_t)(count)))

/* Appends to an arena-kept dynamic array described by (items, count, capacity). */
#define TSL_ARENA_PUSH(arena, items, count, capacity, value)                               \
  do {                                                                                     \
    (items) = tsl_arena_grow((arena), (items), &(capacity), (count) + 1, sizeof(*(items))); \
    (items)[(count)++] = (value);                                                          \
  } while (0)

#endif
