/* rights.h - a directory capability's rights, as CML writes them: a list
 * of operations and aliases that stands for a set of fuchsia.io
 * operations (Fuchsia's tools/lib/cml/src/types/right.rs). Routes narrow
 * them hop by hop; a hop that asks for more than the one before it gives
 * is a route error. */
#ifndef FERN_CORE_RIGHTS_H
#define FERN_CORE_RIGHTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* One bit per fuchsia.io operation (fio::Operations). */
typedef enum {
  FERN_RIGHT_CONNECT = 1u << 0,
  FERN_RIGHT_ENUMERATE = 1u << 1,
  FERN_RIGHT_EXECUTE = 1u << 2,
  FERN_RIGHT_GET_ATTRIBUTES = 1u << 3,
  FERN_RIGHT_MODIFY_DIRECTORY = 1u << 4,
  FERN_RIGHT_READ_BYTES = 1u << 5,
  FERN_RIGHT_TRAVERSE = 1u << 6,
  FERN_RIGHT_UPDATE_ATTRIBUTES = 1u << 7,
  FERN_RIGHT_WRITE_BYTES = 1u << 8
} fern__right;

typedef uint32_t fern__rights;

/* The operations that change what is stored: a directory given any of
 * them is bound writable. */
#define FERN_RIGHTS_WRITING                                                    \
  (FERN_RIGHT_WRITE_BYTES | FERN_RIGHT_MODIFY_DIRECTORY |                      \
   FERN_RIGHT_UPDATE_ATTRIBUTES)

/* The rights one name stands for ("r*", "read_bytes", ...); 0 if it is
 * no right CML knows. */
fern__rights fern__rights_of_name(const char *name);
/* The whole list (a nonempty array of unique names). 0 and the index of
 * the first bad element (or -1 for a list that is not one) on error. */
fern__rights fern__rights_parse(const json_t *list, long *bad_index);
/* "r*", "rw*", ... where the set is one alias, else the operations joined
 * by ", ". */
void fern__rights_format(fern__rights rights, char *out, size_t size);
/* Whether `inner` asks for nothing `outer` lacks. */
static inline int fern__rights_within(fern__rights inner,
                                      fern__rights outer) {
  return (inner & ~outer) == 0;
}

#endif
