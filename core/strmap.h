/* strmap.h - a string-keyed hash map (open addressing, linear probing).
 * Keys are copied; values are borrowed. Not thread-safe: loop thread only. */
#ifndef FERN_CORE_STRMAP_H
#define FERN_CORE_STRMAP_H

#include <stddef.h>

typedef struct fern__strmap_slot_s {
  char *key;
  void *value;
} fern__strmap_slot;

typedef struct fern__strmap_s {
  fern__strmap_slot *slots;
  size_t capacity; /* a power of two, or 0 */
  size_t count;
} fern__strmap;

void fern__strmap_init(fern__strmap *map);
/* Frees the map; calls free_value on each value when it is not NULL. */
void fern__strmap_free(fern__strmap *map, void (*free_value)(void *));
void *fern__strmap_get(const fern__strmap *map, const char *key);
/* Inserts or replaces. Returns 0, or -1 when out of memory. */
int fern__strmap_put(fern__strmap *map, const char *key, void *value);
/* Removes `key`; returns its value, or NULL when absent. */
void *fern__strmap_remove(fern__strmap *map, const char *key);

#endif
