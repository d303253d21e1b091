/* config_resolve.c - see config_resolve.h. The rules are
 * component_manager's (ConfigFields::resolve in Fuchsia's
 * src/sys/lib/config_encoder/src/lib.rs): an override must name a field
 * of the schema (FieldDoesNotExist), one whose mutability includes
 * "parent" (FieldIsNotMutable), with a value that fits the field
 * (InvalidValue); an overridden value replaces the package's. */
#include "config_resolve.h"
#include "config_values.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* An error at override `index` (its `part`: "key" or "value"). */
static int override_fail(const fern__config_overrides *overrides,
                         size_t index, const char *part, fern_error_t *err,
                         const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int override_fail(const fern__config_overrides *overrides,
                         size_t index, const char *part, fern_error_t *err,
                         const char *fmt, ...) {
  char message[sizeof err->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  if (overrides->placed_in == NULL)
    return fern_error_set(err, FERN_EINVAL, NULL, "%s", message);
  char pointer[512];
  snprintf(pointer, sizeof pointer, "%s/%zu/%s", overrides->pointer, index,
           part);
  return fern__decl_error(overrides->placed_in, err, FERN_EINVAL, pointer,
                          "%s", message);
}

static int apply_override(const fern__decl *decl,
                          const fern__config_overrides *overrides,
                          size_t index, json_t *values, fern_error_t *err) {
  const json_t *entry = json_array_get(overrides->list, index);
  const char *key = json_string_value(json_object_get(entry, "key"));
  json_t *value = json_object_get(entry, "value");
  if (key == NULL || value == NULL)
    return override_fail(overrides, index, "key", err,
                         "a config override is {\"key\": ..., \"value\": "
                         "...}");
  const fern__config_field *field = fern__config_field_named(decl, key);
  char why[200];
  if (!field->parent_may_override)
    return override_fail(overrides, index, "key", err,
                         "config field \"%s\" of %s cannot be overridden by "
                         "its parent: its \"mutability\" lacks \"parent\"",
                         key, decl->origin);
  if (fern__config_value_fits(field, value, why, sizeof why) != 0)
    return override_fail(overrides, index, "value", err,
                         "config override \"%s\": %s", key, why);
  json_object_set(values, key, value);
  return FERN_OK;
}

int fern__config_resolve(const fern__decl *decl, const json_t *package_values,
                         const fern__config_overrides *overrides,
                         json_t **out, fern_error_t *err) {
  *out = NULL;
  size_t count = overrides ? json_array_size(overrides->list) : 0;
  if (decl->config_field_count == 0 && count == 0)
    return FERN_OK;
  json_t *values = package_values ? json_deep_copy(package_values)
                                  : json_object();
  if (values == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  /* First that every override names a field, as config_encoder checks
   * the whole list first (FieldDoesNotExist). */
  for (size_t i = 0; i < count; i++) {
    const json_t *entry = json_array_get(overrides->list, i);
    const char *key = json_string_value(json_object_get(entry, "key"));
    if (key != NULL && fern__config_field_named(decl, key) == NULL) {
      json_decref(values);
      return override_fail(overrides, i, "key", err,
                           "an override of config field \"%s\", which %s "
                           "does not declare",
                           key, decl->origin);
    }
  }
  for (size_t i = 0; i < count; i++) {
    int rc = apply_override(decl, overrides, i, values, err);
    if (rc != FERN_OK) {
      json_decref(values);
      return rc;
    }
  }
  *out = values;
  return FERN_OK;
}
