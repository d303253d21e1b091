/* test_config_schema.c - structured configuration: the schema a manifest's
 * "config" declares, checked as cmc checks it, and a values file checked
 * against it, each fault at its line and column. */
#include <stdlib.h>
#include <string.h>

#include "config_resolve.h"
#include "config_values.h"
#include "decl.h"
#include "unit.h"

static fern_error_t err;

static fern__decl *schema(const char *text) {
  fern__decl *decl = NULL;
  memset(&err, 0, sizeof err);
  err.struct_size = sizeof err;
  ck_assert_msg(fern__decl_parse(text, strlen(text), "c.cml", &decl, &err) ==
                    FERN_OK,
                "%s", err.message);
  return decl;
}

static void schema_refused(const char *text, const char *what) {
  fern__decl *decl = NULL;
  memset(&err, 0, sizeof err);
  err.struct_size = sizeof err;
  ck_assert_int_ne(fern__decl_parse(text, strlen(text), "c.cml", &decl, &err),
                   FERN_OK);
  ck_assert_msg(strstr(err.message, what) != NULL, "expected \"%s\" in: %s",
                what, err.message);
}

#define SCHEMA                                                                \
  "{ config: {\n"                                                             \
  "  greeting: { type: 'string', max_size: 8 },\n"                            \
  "  delay_ms: { type: 'uint16', mutability: [ 'parent' ] },\n"              \
  "  tags: { type: 'vector', max_count: 2, element: { type: 'int8' } },\n"   \
  "  on: { type: 'bool' } } }"

START_TEST(test_the_schema_is_read_and_checked) {
  fern__decl *decl = schema(SCHEMA);
  ck_assert_uint_eq(decl->config_field_count, 4);
  ck_assert_int_eq(decl->config_fields[0].type, FERN_CONFIG_STRING);
  ck_assert_uint_eq(decl->config_fields[0].max_size, 8);
  ck_assert_int_eq(decl->config_fields[1].parent_may_override, 1);
  ck_assert_int_eq(decl->config_fields[2].element, FERN_CONFIG_INT8);
  fern__decl_free(decl);
  schema_refused("{ config: { s: { type: 'string' } } }", "max_size");
  schema_refused("{ config: { v: { type: 'vector', max_count: 1 } } }",
                 "\"element\"");
  schema_refused("{ config: { v: { type: 'vector', max_count: 1, element: "
                 "{ type: 'vector' } } } }",
                 "cannot be a vector");
  schema_refused("{ config: { Bad: { type: 'bool' } } }",
                 "no configuration key");
  schema_refused("{ config: { b: { type: 'float' } } }",
                 "no configuration type");
  schema_refused("{ config: { b: { type: 'bool', mutability: [ 'child' ] } } }",
                 "\"parent\" only");
  /* cmc's: an empty config, and a key another type has. */
  schema_refused("{ config: {} }", "c.cml:1:3: \"config\" has no fields");
  schema_refused("{ config: { b: { type: 'bool', max_size: 4 } } }",
                 "max_size");
  schema_refused("{ config: { s: { type: 'string', max_size: 4,\n"
                 "  element: { type: 'bool' } } } }",
                 "c.cml:2:3:");
}
END_TEST

static int values(const fern__decl *decl, const char *text, json_t **out) {
  memset(&err, 0, sizeof err);
  err.struct_size = sizeof err;
  return fern__config_values_check(decl, "v.json5", text, strlen(text), out,
                                   &err);
}

START_TEST(test_values_are_checked_against_the_schema) {
  fern__decl *decl = schema(SCHEMA);
  json_t *out;
  ck_assert_int_eq(values(decl,
                          "{ greeting: 'hi', delay_ms: 65535, tags: [ -1, 2 "
                          "], on: true }",
                          &out),
                   FERN_OK);
  ck_assert_int_eq(json_integer_value(json_object_get(out, "delay_ms")),
                   65535);
  json_decref(out);
  const char *bad[][2] = {
      {"{ greeting: 'far too long', delay_ms: 1, tags: [], on: true }",
       "v.json5:1:3: \"greeting\": the string is 12 bytes; max_size is 8"},
      {"{ greeting: 'x', delay_ms: 65536, tags: [], on: true }",
       "v.json5:1:18: \"delay_ms\": expected a whole number from 0 to 65535"},
      {"{ greeting: 'x', delay_ms: 1, tags: [ 1, 2, 3 ], on: true }",
       "max_count is 2"},
      {"{ greeting: 'x', delay_ms: 1, tags: [ 200 ], on: true }",
       "element 0: expected a whole number from -128 to 127"},
      {"{ greeting: 'x', delay_ms: 1, tags: [], on: 1 }", "expected a bool"},
      {"{ greeting: 'x', delay_ms: 1, tags: [] }",
       "no value for config field \"on\""},
      {"{ greeting: 'x', delay_ms: 1, tags: [], on: true, more: 1 }",
       "\"more\" is no field of the manifest's config"},
      /* A key no field could have is still placed. */
      {"{ greeting: 'x', delay_ms: 1, tags: [], on: true,\n 'a/b~': 1 }",
       "v.json5:2:2: \"a/b~\" is no field"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_int_ne(values(decl, bad[i][0], &out), FERN_OK);
    ck_assert_msg(strstr(err.message, bad[i][1]) != NULL,
                  "expected \"%s\" in: %s", bad[i][1], err.message);
  }
  fern__decl_free(decl);
}
END_TEST

/* component_manager's rules (config_encoder's ConfigFields::resolve): an
 * override names a field the parent may set, with a value that fits; it
 * replaces the package's value and nothing else. */
START_TEST(test_overrides_follow_component_managers_rules) {
  fern__decl *decl;
  const char *manifest = "{ config: { greeting: { type: 'string', max_size: "
                         "8, mutability: ['parent'] }, delay_ms: { type: "
                         "'uint16' } } }";
  ck_assert_int_eq(fern__decl_parse(manifest, strlen(manifest), "c.cml",
                                    &decl, &err),
                   FERN_OK);
  json_t *package = json_pack("{s:s, s:i}", "greeting", "pkg", "delay_ms", 5);
  json_t *out = NULL;
  json_t *list = json_pack("[{s:s, s:s}]", "key", "greeting", "value", "hi");
  fern__config_overrides overrides = {list, NULL, NULL};
  ck_assert_int_eq(fern__config_resolve(decl, package, &overrides, &out, &err),
                   FERN_OK);
  ck_assert_str_eq(json_string_value(json_object_get(out, "greeting")), "hi");
  ck_assert_int_eq(json_integer_value(json_object_get(out, "delay_ms")), 5);
  ck_assert_str_eq(json_string_value(json_object_get(package, "greeting")),
                   "pkg");
  json_decref(out);
  json_decref(list);
  const char *bad[][2] = {
      /* Every key is known to exist before any is checked further. */
      {"[{\"key\": \"delay_ms\", \"value\": 1}, "
       "{\"key\": \"colour\", \"value\": 1}]",
       "an override of config field \"colour\""},
      {"[{\"key\": \"delay_ms\", \"value\": 1}]",
       "config field \"delay_ms\" of c.cml cannot be overridden by its "
       "parent"},
      {"[{\"key\": \"colour\", \"value\": 1}]",
       "an override of config field \"colour\", which c.cml does not "
       "declare"},
      {"[{\"key\": \"greeting\", \"value\": \"far too long\"}]",
       "config override \"greeting\": the string is 12 bytes"},
      {"[{\"key\": \"greeting\", \"value\": 3}]",
       "config override \"greeting\": expected a string"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    overrides.list = list = json_loads(bad[i][0], 0, NULL);
    ck_assert_int_eq(fern__config_resolve(decl, package, &overrides, &out,
                                          &err),
                     FERN_EINVAL);
    ck_assert_ptr_null(out);
    ck_assert_msg(strstr(err.message, bad[i][1]) != NULL,
                  "expected \"%s\" in: %s", bad[i][1], err.message);
    json_decref(list);
  }
  json_decref(package);
  fern__decl_free(decl);
}
END_TEST

Suite *config_schema_suite(void) {
  Suite *s = suite_create("config_schema");
  TCase *tc = tcase_create("config_schema");
  tcase_add_test(tc, test_the_schema_is_read_and_checked);
  tcase_add_test(tc, test_values_are_checked_against_the_schema);
  tcase_add_test(tc, test_overrides_follow_component_managers_rules);
  suite_add_tcase(s, tc);
  return s;
}
