/* config_schema.h - structured configuration, as Fuchsia's CML declares
 * it: a manifest's "config" names each field and its type (bool, the
 * integers uint8 ... int64, string with max_size, vector with max_count
 * and an element type), and whether a parent may override it
 * ("mutability": ["parent"]). Values come from a values file of the
 * package and, for fields a parent may override, from the parent. */
#ifndef FERN_CORE_CONFIG_SCHEMA_H
#define FERN_CORE_CONFIG_SCHEMA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  FERN_CONFIG_BOOL,
  FERN_CONFIG_UINT8,
  FERN_CONFIG_UINT16,
  FERN_CONFIG_UINT32,
  FERN_CONFIG_UINT64,
  FERN_CONFIG_INT8,
  FERN_CONFIG_INT16,
  FERN_CONFIG_INT32,
  FERN_CONFIG_INT64,
  FERN_CONFIG_STRING,
  FERN_CONFIG_VECTOR
} fern__config_type;

typedef struct fern__config_field_s {
  const char *key;
  fern__config_type type;
  uint32_t max_size;          /* a string's (or a vector's strings') bytes */
  uint32_t max_count;         /* a vector's elements */
  fern__config_type element;  /* a vector's element type */
  int parent_may_override;    /* "mutability": ["parent"] */
} fern__config_field;

/* The type named `name`, or -1. */
int fern__config_type_parse(const char *name);
const char *fern__config_type_name(fern__config_type type);

/* Whether `value` fits `field`: 0, or -1 with why in `why` (no place:
 * the caller knows where the value stands). */
int fern__config_value_fits(const fern__config_field *field,
                            const json_t *value, char *why, size_t size);

#endif
