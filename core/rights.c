/* rights.c - CML's directory rights (Fuchsia's
 * tools/lib/cml/src/types/right.rs): each name expands to the same
 * fuchsia.io operations it expands to there. */
#include <stdio.h>
#include <string.h>

#include "rights.h"

#define R_BASE (FERN_RIGHT_CONNECT | FERN_RIGHT_ENUMERATE | FERN_RIGHT_TRAVERSE)
#define R_READ (R_BASE | FERN_RIGHT_READ_BYTES | FERN_RIGHT_GET_ATTRIBUTES)
#define R_WRITE                                                                \
  (R_BASE | FERN_RIGHT_WRITE_BYTES | FERN_RIGHT_MODIFY_DIRECTORY |             \
   FERN_RIGHT_UPDATE_ATTRIBUTES)

typedef struct named_rights_s {
  const char *name;
  fern__rights rights;
} named_rights;

/* Aliases first: the formatter prefers them, widest first. */
static const named_rights names[] = {
    {"rw*", R_READ | R_WRITE},
    {"rx*", R_READ | FERN_RIGHT_EXECUTE},
    {"r*", R_READ},
    {"w*", R_WRITE},
    {"x*", R_BASE | FERN_RIGHT_EXECUTE},
    {"connect", FERN_RIGHT_CONNECT},
    {"enumerate", FERN_RIGHT_ENUMERATE},
    {"execute", FERN_RIGHT_EXECUTE},
    {"get_attributes", FERN_RIGHT_GET_ATTRIBUTES},
    {"modify_directory", FERN_RIGHT_MODIFY_DIRECTORY},
    {"read_bytes", FERN_RIGHT_READ_BYTES},
    {"traverse", FERN_RIGHT_TRAVERSE},
    {"update_attributes", FERN_RIGHT_UPDATE_ATTRIBUTES},
    {"write_bytes", FERN_RIGHT_WRITE_BYTES},
};
#define NAME_COUNT (sizeof names / sizeof *names)
#define FIRST_SINGLE 5 /* names[5...] are single operations */

fern__rights fern__rights_of_name(const char *name) {
  for (size_t i = 0; name != NULL && i < NAME_COUNT; i++)
    if (strcmp(names[i].name, name) == 0)
      return names[i].rights;
  return 0;
}

/* cml's Rights: "a nonempty array of rights, with unique elements"; and,
 * as cmc's validate_directory_rights refuses it ("is duplicated in the
 * rights clause"), no operation named twice through two names ("r*" and
 * "w*" share connect, enumerate and traverse). */
fern__rights fern__rights_parse(const json_t *list, long *bad_index) {
  *bad_index = -1;
  if (!json_is_array(list) || json_array_size(list) == 0)
    return 0;
  fern__rights all = 0;
  for (size_t i = 0; i < json_array_size(list); i++) {
    const char *name = json_string_value(json_array_get(list, i));
    fern__rights one = fern__rights_of_name(name);
    if (one & all)
      one = 0;
    if (one == 0) {
      *bad_index = (long)i;
      return 0;
    }
    all |= one;
  }
  return all;
}

void fern__rights_format(fern__rights rights, char *out, size_t size) {
  for (size_t i = 0; i < FIRST_SINGLE; i++)
    if (names[i].rights == rights) {
      snprintf(out, size, "%s", names[i].name);
      return;
    }
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = FIRST_SINGLE; i < NAME_COUNT && used < size; i++)
    if (rights & names[i].rights)
      used += (size_t)snprintf(out + used, size - used, "%s%s",
                               used ? ", " : "", names[i].name);
  if (used == 0)
    snprintf(out, size, "none");
}
