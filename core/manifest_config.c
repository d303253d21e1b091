/* manifest_config.c - a manifest's "config", the schema of its structured
 * configuration, checked as cmc checks it (Fuchsia's tools/lib/cml: a
 * ConfigKey is a lowercase letter, then lowercase letters, digits and
 * '_', not ending in '_', at most 64; a string needs max_size, a vector
 * max_count and an element, which is no vector); and a child's
 * "config_overrides", the values a parent sets for it. CML has no such
 * key: it is fuchsia.component.decl's Child.config_overrides
 * (sdk/fidl/fuchsia.component.decl/component.fidl, RFC-0215), a list of
 * {key, value}, written in the manifest in that shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_check.h"

#define CONFIG_KEY_MAX 64

static int key_ok(const char *key) {
  size_t n = strlen(key);
  return n > 0 && n <= CONFIG_KEY_MAX && key[0] >= 'a' && key[0] <= 'z' &&
         key[n - 1] != '_' &&
         strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* A positive u32 bound, `name` of the object at `at`; required. */
static int read_bound(fern__mcheck *mc, const json_t *obj, const char *at,
                      const char *name, uint32_t *out) {
  const json_t *v = json_object_get(obj, name);
  fern__pointer p;
  snprintf(p, sizeof p, "%s/%s", at, name);
  if (v == NULL)
    return fern__mfail(mc, at, "missing \"%s\": a whole number from 1 to "
                               "4294967295",
                       name);
  if (!json_is_integer(v) || json_integer_value(v) < 1 ||
      json_integer_value(v) > 4294967295LL)
    return fern__mfail(mc, p, "\"%s\" must be a whole number from 1 to "
                              "4294967295",
                       name);
  *out = (uint32_t)json_integer_value(v);
  return FERN_OK;
}

static int read_type(fern__mcheck *mc, const json_t *obj, const char *at,
                     fern__config_type *out) {
  const char *name;
  int rc = fern__mcheck_string(mc, obj, at, "type", 1, &name);
  if (rc != FERN_OK)
    return rc;
  int type = fern__config_type_parse(name);
  fern__pointer p;
  snprintf(p, sizeof p, "%s/type", at);
  if (type < 0)
    return fern__mfail(mc, p, "\"%s\" is no configuration type: bool, uint8, "
                              "uint16, uint32, uint64, int8, int16, int32, "
                              "int64, string or vector",
                       name);
  *out = (fern__config_type)type;
  return FERN_OK;
}

/* A vector's "element": a type (not a vector) and, for strings, max_size. */
static int read_element(fern__mcheck *mc, const json_t *field, const char *at,
                        fern__config_field *out) {
  static const char *const keys[] = {"type", "max_size", NULL};
  const json_t *element = json_object_get(field, "element");
  fern__pointer p;
  snprintf(p, sizeof p, "%s/element", at);
  if (!json_is_object(element))
    return fern__mfail(mc, element ? p : at, "a vector needs \"element\": "
                                             "{\"type\": ...}");
  int rc = fern__mcheck_keys(mc, element, p, "a vector's element", keys);
  if (rc == FERN_OK)
    rc = read_type(mc, element, p, &out->element);
  if (rc == FERN_OK && out->element == FERN_CONFIG_VECTOR) {
    fern__pointer t;
    snprintf(t, sizeof t, "%s/type", p);
    return fern__mfail(mc, t, "a vector's element cannot be a vector");
  }
  if (rc == FERN_OK && out->element == FERN_CONFIG_STRING)
    rc = read_bound(mc, element, p, "max_size", &out->max_size);
  return rc;
}

/* "mutability": ["parent"] (the one CML has), or absent. */
static int read_mutability(fern__mcheck *mc, const json_t *field,
                           const char *at, int *parent) {
  const json_t *list = json_object_get(field, "mutability");
  fern__pointer p;
  snprintf(p, sizeof p, "%s/mutability", at);
  *parent = 0;
  if (list == NULL)
    return FERN_OK;
  size_t i;
  const json_t *who;
  if (!json_is_array(list))
    return fern__mfail(mc, p, "\"mutability\" must be an array: "
                              "[\"parent\"]");
  json_array_foreach(list, i, who) {
    if (!json_is_string(who) || strcmp(json_string_value(who), "parent") != 0)
      return fern__mfail(mc, p, "\"mutability\" holds \"parent\" only");
    *parent = 1;
  }
  return FERN_OK;
}

/* The keys a field of `type` may have: cmc's ConfigValueType is a
 * tagged enum of types that each deny unknown fields, so max_size
 * belongs to a string and max_count and element to a vector. */
static const char *const *field_keys(fern__config_type type) {
  static const char *const plain[] = {"type", "mutability", NULL};
  static const char *const string[] = {"type", "max_size", "mutability",
                                       NULL};
  static const char *const vector[] = {"type", "max_count", "element",
                                       "mutability", NULL};
  return type == FERN_CONFIG_STRING   ? string
         : type == FERN_CONFIG_VECTOR ? vector
                                      : plain;
}

static int read_field(fern__mcheck *mc, const char *key, const json_t *field,
                      fern__config_field *out) {
  fern__pointer at;
  snprintf(at, sizeof at, "/config/%s", key);
  if (!key_ok(key))
    return fern__mfail(mc, at, "\"%s\" is no configuration key: a lowercase "
                               "letter, then lowercase letters, digits and "
                               "'_', not ending in '_', at most %d",
                       key, CONFIG_KEY_MAX);
  if (!json_is_object(field))
    return fern__mfail(mc, at, "a configuration field is an object: "
                               "{\"type\": ...}");
  out->key = key;
  int rc = read_type(mc, field, at, &out->type);
  if (rc == FERN_OK)
    rc = fern__mcheck_keys(mc, field, at,
                           out->type == FERN_CONFIG_STRING   ? "a string field"
                           : out->type == FERN_CONFIG_VECTOR ? "a vector field"
                                                             : "a field of "
                                                               "that type",
                           field_keys(out->type));
  if (rc == FERN_OK && out->type == FERN_CONFIG_STRING)
    rc = read_bound(mc, field, at, "max_size", &out->max_size);
  if (rc == FERN_OK && out->type == FERN_CONFIG_VECTOR)
    rc = read_bound(mc, field, at, "max_count", &out->max_count);
  if (rc == FERN_OK && out->type == FERN_CONFIG_VECTOR)
    rc = read_element(mc, field, at, out);
  if (rc == FERN_OK)
    rc = read_mutability(mc, field, at, &out->parent_may_override);
  return rc;
}

int fern__manifest_config(fern__mcheck *mc, fern__decl *decl) {
  const json_t *config = json_object_get(decl->json, "config");
  if (config == NULL)
    return FERN_OK;
  if (!json_is_object(config))
    return fern__mfail(mc, "/config", "\"config\" must be an object of "
                                      "fields");
  if (json_object_size(config) == 0) /* as cmc refuses it */
    return fern__mfail(mc, "/config", "\"config\" has no fields: leave it "
                                      "out, or declare one");
  decl->config_fields =
      calloc(json_object_size(config) + 1, sizeof *decl->config_fields);
  if (decl->config_fields == NULL)
    return fern_error_set(mc->err, FERN_ENOMEM, NULL, "out of memory");
  const char *key;
  json_t *field;
  json_object_foreach((json_t *)config, key, field) {
    int rc = read_field(mc, key, field,
                        &decl->config_fields[decl->config_field_count]);
    if (rc != FERN_OK)
      return rc;
    decl->config_field_count++;
  }
  return FERN_OK;
}

/* An override's value: what a field of some type could hold (a bool, a
 * whole number, a string, or a list of one of these); whether it fits
 * the child's field is known only once the child resolves. */
static int override_value_ok(const json_t *value) {
  if (json_is_boolean(value) || json_is_integer(value) ||
      json_is_string(value))
    return 1;
  if (!json_is_array(value))
    return 0;
  size_t i;
  const json_t *element;
  json_array_foreach(value, i, element) {
    if (!json_is_boolean(element) && !json_is_integer(element) &&
        !json_is_string(element))
      return 0;
  }
  return 1;
}

static int read_override(fern__mcheck *mc, const json_t *entry,
                         const char *at, json_t *seen) {
  static const char *const keys[] = {"key", "value", NULL};
  const char *key;
  fern__pointer p;
  int rc = fern__mcheck_object_at(mc, entry, at, "\"config_overrides\"");
  if (rc == FERN_OK)
    rc = fern__mcheck_keys(mc, entry, at, "a config override", keys);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "key", 1, &key);
  if (rc != FERN_OK)
    return rc;
  snprintf(p, sizeof p, "%s/key", at);
  if (!key_ok(key))
    return fern__mfail(mc, p, "\"%s\" is no configuration key", key);
  if (json_object_get(seen, key) != NULL)
    return fern__mfail(mc, p, "\"%s\" is overridden twice", key);
  json_object_set_new(seen, key, json_true());
  const json_t *value = json_object_get(entry, "value");
  snprintf(p, sizeof p, "%s/value", at);
  if (value == NULL)
    return fern__mfail(mc, at, "a config override needs \"value\"");
  if (!override_value_ok(value))
    return fern__mfail(mc, p, "the value of \"%s\" must be a bool, a whole "
                              "number, a string, or a list of these",
                       key);
  return FERN_OK;
}

int fern__manifest_child_overrides(fern__mcheck *mc, const json_t *child,
                                   const char *at, const json_t **out) {
  const json_t *list = json_object_get(child, "config_overrides");
  fern__pointer p;
  snprintf(p, sizeof p, "%s/config_overrides", at);
  *out = NULL;
  if (list == NULL)
    return FERN_OK;
  if (!json_is_array(list))
    return fern__mfail(mc, p, "\"config_overrides\" must be an array of "
                              "{\"key\": ..., \"value\": ...}");
  json_t *seen = json_object();
  int rc = seen != NULL ? FERN_OK
                        : fern_error_set(mc->err, FERN_ENOMEM, NULL,
                                         "out of memory");
  size_t i;
  const json_t *entry;
  json_array_foreach(list, i, entry) {
    if (rc != FERN_OK)
      break;
    fern__pointer e;
    snprintf(e, sizeof e, "%s/%zu", p, i);
    rc = read_override(mc, entry, e, seen);
  }
  json_decref(seen);
  if (rc == FERN_OK)
    *out = list;
  return rc;
}
