/* edit_distance.h - how far apart two short names are, for "did you
 * mean": the nearest binary in a package, the nearest routed name. */
#ifndef FERN_CORE_EDIT_DISTANCE_H
#define FERN_CORE_EDIT_DISTANCE_H

#include <stddef.h>

/* Levenshtein distance; (size_t)-1 when `b` is 256 bytes or longer. */
size_t fern__edit_distance(const char *a, const char *b);

#endif
