/* config_values.h - the values of a component's structured configuration
 * (config_schema.h) that its package gives. Thread-safe. */
#ifndef FERN_CORE_CONFIG_VALUES_H
#define FERN_CORE_CONFIG_VALUES_H

#include "decl.h"

/* The field of `decl`'s config named `key`, or NULL. */
const fern__config_field *fern__config_field_named(const fern__decl *decl,
                                                   const char *key);

/* Checks a values file (`text` of `len` bytes, JSON5, read from
 * `origin`) against `decl`'s "config": a value for each field, of its
 * type and within its bounds, and no other key. FERN_OK with the values
 * (an object, the caller's) in *out, or an error at the file's line and
 * column. */
int fern__config_values_check(const fern__decl *decl, const char *origin,
                              const char *text, size_t len, json_t **out,
                              fern_error_t *err);

/* The values file of the manifest `url` names (its fragment; else the
 * file at `manifest_path`) in the package at `package_dir`: beside it,
 * its name with ".values.json5" for ".cm" or ".cml" (meta/echo.cm:
 * meta/echo.values.json5), read as a package's files are, and checked.
 * FERN_OK with *out NULL when `decl` declares no config. */
int fern__config_values_load(const fern__decl *decl, const char *package_dir,
                             const char *url, const char *manifest_path,
                             json_t **out, fern_error_t *err);

#endif
