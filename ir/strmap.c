#include "ir/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir/check.h"

struct tsl_strmap_slot {
  const char *key;
  void *value;
};

static uint64_t hash_string(const char *key) {
  uint64_t hash = 1469598103934665603u; /* FNV-1a */
  for (const unsigned char *c = (const unsigned char *)key; *c; c++) {
    hash = (hash ^ *c) * 1099511628211u;
  }
  return hash;
}

static struct tsl_strmap_slot *find(const tsl_strmap *map, const char *key) {
  size_t mask = map->capacity - 1;
  for (size_t i = hash_string(key) & mask;; i = (i + 1) & mask) {
    struct tsl_strmap_slot *slot = &map->slots[i];
    if (!slot->key || strcmp(slot->key, key) == 0) return slot;
  }
}

void *tsl_strmap_get(const tsl_strmap *map, const char *key) {
  if (!map->capacity) return NULL;
  return find(map, key)->value;
}

void tsl_strmap_put(tsl_strmap *map, const char *key, void *value) {
  if ((map->count + 1) * 2 > map->capacity) {
    tsl_strmap grown = {.capacity = map->capacity ? map->capacity * 2 : 64};
    grown.slots = calloc(grown.capacity, sizeof(*grown.slots));
    TSL_CHECK_ALLOC(grown.slots);
    for (size_t i = 0; i < map->capacity; i++) {
      if (map->slots[i].key) *find(&grown, map->slots[i].key) = map->slots[i];
    }
    grown.count = map->count;
    free(map->slots);
    *map = grown;
  }
  struct tsl_strmap_slot *slot = find(map, key);
  if (!slot->key) map->count++;
  slot->key = key;
  slot->value = value;
}

void tsl_strmap_free(tsl_strmap *map) {
  free(map->slots);
  *map = (tsl_strmap){0};
}
