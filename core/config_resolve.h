/* config_resolve.h - the values of its structured configuration
 * (config_schema.h) a component runs with: its package's, with those its
 * parent overrides in their place. Thread-safe. */
#ifndef FERN_CORE_CONFIG_RESOLVE_H
#define FERN_CORE_CONFIG_RESOLVE_H

#include "decl.h"

/* What a parent sets of a child's config. */
typedef struct fern__config_overrides_s {
  const json_t *list;          /* [{"key": K, "value": V}], or NULL */
  const fern__decl *placed_in; /* the parent's manifest that says so, to
                                * place an error; NULL for `fern create` */
  const char *pointer;         /* the list's place in it */
} fern__config_overrides;

/* The values `decl`'s component runs with: `package_values` (checked
 * against the schema already, config_values.h) with `overrides` in their
 * place. FERN_OK with a new object in *out (NULL when `decl` declares no
 * config and nothing is overridden), or FERN_EINVAL: an override of a
 * field the schema lacks, of a field the parent may not override, or of
 * a value that does not fit, at the override's file:line:col. */
int fern__config_resolve(const fern__decl *decl, const json_t *package_values,
                         const fern__config_overrides *overrides,
                         json_t **out, fern_error_t *err);

#endif
