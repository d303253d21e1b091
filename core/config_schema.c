/* config_schema.c - see config_schema.h. The types and their bounds are
 * CML's (Fuchsia's tools/lib/cml/src/types: ConfigValueType and its
 * nested types; cm_rust's ConfigValueType). */
#include "config_schema.h"

#include <stdio.h>
#include <string.h>

static const char *const type_names[] = {
    "bool",  "uint8", "uint16", "uint32", "uint64", "int8",
    "int16", "int32", "int64",  "string", "vector"};

int fern__config_type_parse(const char *name) {
  for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++)
    if (name != NULL && strcmp(type_names[i], name) == 0)
      return (int)i;
  return -1;
}

const char *fern__config_type_name(fern__config_type type) {
  return type_names[type];
}

/* The range of an integer type (uint64 is bounded by what JSON numbers
 * hold here, int64's upper end). */
static void int_range(fern__config_type type, long long *lo, long long *hi) {
  static const long long bounds[][2] = {
      [FERN_CONFIG_UINT8] = {0, 255},
      [FERN_CONFIG_UINT16] = {0, 65535},
      [FERN_CONFIG_UINT32] = {0, 4294967295LL},
      [FERN_CONFIG_UINT64] = {0, 9223372036854775807LL},
      [FERN_CONFIG_INT8] = {-128, 127},
      [FERN_CONFIG_INT16] = {-32768, 32767},
      [FERN_CONFIG_INT32] = {-2147483648LL, 2147483647LL},
      [FERN_CONFIG_INT64] = {-9223372036854775807LL - 1,
                             9223372036854775807LL},
  };
  *lo = bounds[type][0];
  *hi = bounds[type][1];
}

/* One scalar of `type` (a vector's element, or a field's value). */
static int scalar_fits(fern__config_type type, uint32_t max_size,
                       const json_t *value, char *why, size_t size) {
  if (type == FERN_CONFIG_BOOL) {
    if (json_is_boolean(value))
      return 0;
    snprintf(why, size, "expected a bool (true or false)");
    return -1;
  }
  if (type == FERN_CONFIG_STRING) {
    if (!json_is_string(value)) {
      snprintf(why, size, "expected a string");
      return -1;
    }
    if (json_string_length(value) <= max_size)
      return 0;
    snprintf(why, size, "the string is %zu bytes; max_size is %u",
             json_string_length(value), max_size);
    return -1;
  }
  long long lo, hi;
  int_range(type, &lo, &hi);
  if (!json_is_integer(value) || json_integer_value(value) < lo ||
      json_integer_value(value) > hi) {
    snprintf(why, size, "expected a whole number from %lld to %lld (%s)", lo,
             hi, type_names[type]);
    return -1;
  }
  return 0;
}

int fern__config_value_fits(const fern__config_field *field,
                            const json_t *value, char *why, size_t size) {
  if (field->type != FERN_CONFIG_VECTOR)
    return scalar_fits(field->type, field->max_size, value, why, size);
  if (!json_is_array(value)) {
    snprintf(why, size, "expected an array of %s",
             type_names[field->element]);
    return -1;
  }
  if (json_array_size(value) > field->max_count) {
    snprintf(why, size, "the array has %zu elements; max_count is %u",
             json_array_size(value), field->max_count);
    return -1;
  }
  size_t i;
  json_t *element;
  json_array_foreach(value, i, element) {
    char inner[160];
    if (scalar_fits(field->element, field->max_size, element, inner,
                    sizeof inner) != 0) {
      snprintf(why, size, "element %zu: %s", i, inner);
      return -1;
    }
  }
  return 0;
}
