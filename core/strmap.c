/* strmap.c - see strmap.h. Deletion shifts the following cluster back, so
 * there are no tombstones and lookups stay short after many removals. */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t strmap_hash(const char *key) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
    h ^= *p;
    h *= 1099511628211ull;
  }
  return h;
}

void fern__strmap_init(fern__strmap *map) { memset(map, 0, sizeof *map); }

void fern__strmap_free(fern__strmap *map, void (*free_value)(void *)) {
  for (size_t i = 0; i < map->capacity; i++) {
    if (map->slots[i].key == NULL)
      continue;
    free(map->slots[i].key);
    if (free_value != NULL)
      free_value(map->slots[i].value);
  }
  free(map->slots);
  fern__strmap_init(map);
}

static size_t strmap_find(const fern__strmap *map, const char *key) {
  size_t mask = map->capacity - 1;
  size_t i = (size_t)strmap_hash(key) & mask;
  while (map->slots[i].key != NULL && strcmp(map->slots[i].key, key) != 0)
    i = (i + 1) & mask;
  return i;
}

void *fern__strmap_get(const fern__strmap *map, const char *key) {
  if (map->capacity == 0)
    return NULL;
  const fern__strmap_slot *slot = &map->slots[strmap_find(map, key)];
  return slot->key != NULL ? slot->value : NULL;
}

static int strmap_grow(fern__strmap *map) {
  fern__strmap old = *map;
  size_t capacity = old.capacity ? old.capacity * 2 : 16;
  map->slots = calloc(capacity, sizeof *map->slots);
  if (map->slots == NULL) {
    map->slots = old.slots;
    return -1;
  }
  map->capacity = capacity;
  for (size_t i = 0; i < old.capacity; i++) {
    if (old.slots[i].key != NULL)
      map->slots[strmap_find(map, old.slots[i].key)] = old.slots[i];
  }
  free(old.slots);
  return 0;
}

int fern__strmap_put(fern__strmap *map, const char *key, void *value) {
  if ((map->count + 1) * 4 > map->capacity * 3 && strmap_grow(map) != 0)
    return -1;
  fern__strmap_slot *slot = &map->slots[strmap_find(map, key)];
  if (slot->key == NULL) {
    slot->key = strdup(key);
    if (slot->key == NULL)
      return -1;
    map->count++;
  }
  slot->value = value;
  return 0;
}

void *fern__strmap_remove(fern__strmap *map, const char *key) {
  if (map->capacity == 0)
    return NULL;
  size_t mask = map->capacity - 1;
  size_t hole = strmap_find(map, key);
  if (map->slots[hole].key == NULL)
    return NULL;
  void *value = map->slots[hole].value;
  free(map->slots[hole].key);
  map->slots[hole].key = NULL;
  map->slots[hole].value = NULL;
  map->count--;
  /* Move back every entry of the cluster that the hole now cuts off from
   * its home slot. */
  for (size_t i = (hole + 1) & mask; map->slots[i].key != NULL;
       i = (i + 1) & mask) {
    size_t home = (size_t)strmap_hash(map->slots[i].key) & mask;
    int home_after_hole = ((i - home) & mask) < ((i - hole) & mask);
    if (!home_after_hole) {
      map->slots[hole] = map->slots[i];
      map->slots[i].key = NULL;
      map->slots[i].value = NULL;
      hole = i;
    }
  }
  return value;
}
