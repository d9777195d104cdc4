/* A map from strings to pointers (open addressing). Keys are not copied: they must outlive the
 * map, which they do when both live in the same arena. */
#ifndef TSL_IR_STRMAP_H
#define TSL_IR_STRMAP_H

#include <stddef.h>

typedef struct tsl_strmap {
  struct tsl_strmap_slot *slots;
  size_t count, capacity;
} tsl_strmap;

void *tsl_strmap_get(const tsl_strmap *map, const char *key);
/* Inserts or replaces. */
void tsl_strmap_put(tsl_strmap *map, const char *key, void *value);
void tsl_strmap_free(tsl_strmap *map);

#endif
