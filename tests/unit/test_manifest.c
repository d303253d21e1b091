/* test_manifest.c - manifest validation: each error, with its position. */
#include <string.h>

#include "decl.h"
#include "unit.h"

static fern_error_t err;

static int parse(const char *text, fern__decl **decl) {
  memset(&err, 0, sizeof err);
  *decl = NULL;
  return fern__decl_parse(text, strlen(text), "t.cm", decl, &err);
}

/* Expects `text` to be refused with a message that starts with `where` and
 * contains `what`. */
static void expect_error(const char *text, const char *where,
                         const char *what) {
  fern__decl *decl;
  int rc = parse(text, &decl);
  ck_assert_int_lt(rc, 0);
  ck_assert_ptr_null(decl);
  ck_assert_msg(strncmp(err.message, where, strlen(where)) == 0,
                "expected position %s in: %s", where, err.message);
  ck_assert_msg(strstr(err.message, what) != NULL, "expected \"%s\" in: %s",
                what, err.message);
}

START_TEST(test_valid_manifest_becomes_a_declaration) {
  fern__decl *decl;
  int rc = parse("{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/x\"},\n"
                 " \"children\": [{\"name\": \"a\", \"url\": \"#meta/a.cm\",\n"
                 "   \"startup\": \"eager\", \"environment\": \"#e\"}],\n"
                 " \"collections\": [{\"name\": \"c\", \"durability\": "
                 "\"single_run\"}],\n"
                 " \"environments\": [{\"name\": \"e\", \"extends\": "
                 "\"realm\"}]}",
                 &decl);
  ck_assert_int_eq(rc, FERN_OK);
  ck_assert_str_eq(decl->runner, "elf");
  ck_assert_uint_eq(decl->child_count, 1);
  ck_assert_str_eq(decl->children[0].environment, "e");
  ck_assert_int_eq(decl->children[0].startup, FERN_STARTUP_EAGER);
  ck_assert_int_eq(decl->collections[0].durability, FERN_DURABILITY_SINGLE_RUN);
  ck_assert_int_eq(decl->environments[0].extends, FERN_EXTENDS_REALM);
  fern__decl_free(decl);
}
END_TEST

START_TEST(test_syntax_error_names_line_and_column) {
  expect_error("{\n  \"children\": [,]\n}", "t.cm:2:", "");
}
END_TEST

START_TEST(test_duplicate_json_keys_are_refused) {
  expect_error("{\"children\": [],\n \"children\": []}", "t.cm:2:", "duplicate");
}
END_TEST

START_TEST(test_unknown_top_level_key_is_an_error) {
  expect_error("{\n  \"childs\": []\n}", "t.cm:2:3:", "unknown key \"childs\"");
}
END_TEST

START_TEST(test_unknown_child_key_is_an_error) {
  expect_error("{\"children\": [\n  {\"name\": \"a\", \"url\": \"#meta/a.cm\","
               " \"startp\": \"eager\"}]}",
               "t.cm:2:", "unknown key \"startp\" in a child");
}
END_TEST

START_TEST(test_wrong_type_is_an_error) {
  expect_error("{\"children\": [{\"name\": 7, \"url\": \"#x\"}]}", "t.cm:1:",
               "\"name\" must be a string");
  expect_error("{\"children\": {}}", "t.cm:1:2:", "must be an array");
}
END_TEST

START_TEST(test_bad_enum_value_names_the_choices) {
  expect_error("{\"children\": [{\"name\": \"a\", \"url\": \"#meta/a.cm\",\n"
               "  \"startup\": \"soon\"}]}",
               "t.cm:2:3:", "expected one of \"lazy\", \"eager\"");
}
END_TEST

START_TEST(test_duplicate_child_names_are_refused) {
  expect_error("{\"children\": [{\"name\": \"a\", \"url\": \"#meta/a.cm\"},\n"
               "  {\"name\": \"a\", \"url\": \"#meta/b.cm\"}]}",
               "t.cm:2:4:", "duplicate child name \"a\"");
}
END_TEST

START_TEST(test_child_and_collection_share_a_namespace) {
  expect_error("{\"collections\": [{\"name\": \"a\", \"durability\": "
               "\"transient\"}],\n \"children\": [{\"name\": \"a\", \"url\": "
               "\"#x.cm\"}]}",
               "t.cm:2:", "duplicate child name");
}
END_TEST

START_TEST(test_missing_environment_is_refused) {
  expect_error("{\"children\": [{\"name\": \"a\", \"url\": \"#meta/a.cm\",\n"
               "  \"environment\": \"#nowhere\"}]}",
               "t.cm:2:3:", "environment \"#nowhere\" does not exist");
}
END_TEST

START_TEST(test_collection_environment_must_exist) {
  expect_error("{\"collections\": [{\"name\": \"c\", \"durability\": "
               "\"transient\", \"environment\": \"#x\"}]}",
               "t.cm:1:", "does not exist");
}
END_TEST

START_TEST(test_environment_reference_needs_a_hash) {
  expect_error("{\"environments\": [{\"name\": \"e\", \"extends\": \"realm\"}],"
               " \"children\": [{\"name\": \"a\", \"url\": \"#a.cm\", "
               "\"environment\": \"e\"}]}",
               "t.cm:1:", "expected \"#<name>\"");
}
END_TEST

START_TEST(test_extends_none_needs_a_stop_timeout) {
  expect_error("{\"environments\": [\n  {\"name\": \"bare\", \"extends\": "
               "\"none\"}]}",
               "t.cm:2:3:", "needs \"__stop_timeout_ms\"");
}
END_TEST

START_TEST(test_extends_none_with_stop_timeout_is_fine) {
  fern__decl *decl;
  ck_assert_int_eq(parse("{\"environments\": [{\"name\": \"bare\", \"extends\":"
                         " \"none\", \"__stop_timeout_ms\": 250}]}",
                         &decl),
                   FERN_OK);
  ck_assert_uint_eq(decl->environments[0].stop_timeout_ms, 250);
  fern__decl_free(decl);
}
END_TEST

START_TEST(test_stop_timeout_must_be_positive) {
  expect_error("{\"environments\": [{\"name\": \"e\", \"extends\": \"realm\","
               " \"__stop_timeout_ms\": -5}]}",
               "t.cm:1:", "__stop_timeout_ms");
}
END_TEST

START_TEST(test_program_without_runner_is_an_error) {
  expect_error("{\n \"program\": {\"binary\": \"bin/x\"}\n}", "t.cm:2:2:",
               "names no runner");
}
END_TEST

START_TEST(test_used_runner_counts_as_the_runner) {
  fern__decl *decl;
  ck_assert_int_eq(parse("{\"use\": [{\"runner\": \"elf\"}], \"program\": "
                         "{\"binary\": \"bin/x\"}}",
                         &decl),
                   FERN_OK);
  ck_assert_str_eq(decl->runner, "elf");
  fern__decl_free(decl);
}
END_TEST

START_TEST(test_self_registration_needs_a_capability) {
  expect_error("{\"environments\": [{\"name\": \"e\", \"extends\": \"realm\",\n"
               "  \"runners\": [{\"runner\": \"crun\", \"from\": \"self\"}]}]}",
               "t.cm:2:", "declares no runner capability named \"crun\"");
}
END_TEST

START_TEST(test_registration_needs_from) {
  expect_error("{\"environments\": [{\"name\": \"e\", \"extends\": \"realm\","
               " \"runners\": [{\"runner\": \"elf\"}]}]}",
               "t.cm:1:", "missing \"from\"");
}
END_TEST

START_TEST(test_invalid_child_name_is_refused) {
  expect_error("{\"children\": [{\"name\": \"a/b\", \"url\": \"#a.cm\"}]}",
               "t.cm:1:", "child name \"a/b\" is not valid");
}
END_TEST

START_TEST(test_manifest_must_be_an_object) {
  expect_error("[1, 2]", "t.cm:1:1:", "must be a JSON object");
}
END_TEST

/* CML's rules for an environment: one runner per name, one resolver per
 * scheme, a scheme as a URL scheme, the stop timeout a u32 (0 too), and
 * "debug" registrations taken and left. */
START_TEST(test_environments_follow_cmls_rules) {
  expect_error("{environments: [{name: 'e', extends: 'realm', runners: [\n"
               "  {runner: 'elf', from: 'parent'},\n"
               "  {runner: 'x', from: 'parent', as: 'elf'}]}]}",
               "t.cm:3:", "runner \"elf\" is registered twice");
  expect_error("{environments: [{name: 'e', extends: 'realm', resolvers: [\n"
               "  {resolver: 'a', scheme: 'pkg', from: 'parent'},\n"
               "  {resolver: 'b', scheme: 'pkg', from: 'parent'}]}]}",
               "t.cm:3:", "scheme \"pkg\" has two resolvers");
  expect_error("{environments: [{name: 'e', extends: 'realm', resolvers: [\n"
               "  {resolver: 'a', scheme: 'Pkg', from: 'parent'}]}]}",
               "t.cm:2:", "\"Pkg\" is no URL scheme");
  expect_error("{environments: [{name: 'e', extends: 'none', "
               "__stop_timeout_ms: 4294967296}]}",
               "t.cm:1:", "from 0 to 4294967295");
  fern__decl *decl;
  ck_assert_int_eq(parse("{environments: [{name: 'e', extends: 'none', "
                         "__stop_timeout_ms: 0, debug: [{protocol: 'p', "
                         "from: 'parent'}]}, {name: 'f', extends: 'none', "
                         "__stop_timeout_ms: 4294967295}]}",
                         &decl),
                   FERN_OK);
  ck_assert_uint_eq(decl->environments[0].stop_timeout_ms, 0);
  ck_assert_uint_eq(decl->environments[1].stop_timeout_ms, 4294967295u);
  fern__decl_free(decl);
}
END_TEST

/* Each CML feature fern lacks is refused by its name, where it stands;
 * facets are read past. */
START_TEST(test_cml_features_fern_lacks_are_named) {
  expect_error("{use: [{event_stream: 'started'}]}", "t.cm:1:9:",
               "CML's event streams, which fern does not support");
  expect_error("{children: [{name: 'a', url: '#meta/a.cm'}],\n"
               " offer: [{service: 's', from: 'self', to: '#a'}]}",
               "t.cm:2:", "offer of service: CML's service capabilities");
  expect_error("{use: [{protocol: 'p', from: 'framework'}]}", "t.cm:1:",
               "\"framework\" is CML's capabilities of the framework");
  expect_error("{children: [{name: 'a', url: '#meta/a.cm'}],\n"
               " offer: [{protocol: 'p', from: 'void', to: '#a'}]}",
               "t.cm:2:", "\"void\" is CML's offers from void");
  expect_error("{children: [{name: 'a', url: '#meta/a.cm'}],\n"
               " offer: [{protocol: 'p', from: 'parent', to: 'all'}]}",
               "t.cm:2:", "CML's offers to all children");
  expect_error("{use: [{protocol: 'p', from: 'parent/diagnostics'}]}",
               "t.cm:1:", "CML's dictionaries");
  expect_error("{collections: [{name: 'c', durability: 'transient', "
               "allowed_offers: 'static_only'}]}",
               "t.cm:1:", "CML's collections' allowed offers");
  fern__decl *decl;
  ck_assert_int_eq(parse("{facets: {'fuchsia.test': {type: 'system'}}}",
                         &decl),
                   FERN_OK);
  fern__decl_free(decl);
}
END_TEST

/* An expose to the framework (the inspect shard's) is checked, then left
 * out: nothing in fern reads it. Its source must still be declared. */
START_TEST(test_an_expose_to_the_framework_is_left_out) {
  fern__decl *decl;
  ck_assert_int_eq(parse("{capabilities: [{directory: 'diagnostics', "
                         "rights: ['r*'], path: '/diagnostics'}],\n"
                         " expose: [{directory: 'diagnostics', from: 'self', "
                         "to: 'framework'}]}",
                         &decl),
                   FERN_OK);
  ck_assert_uint_eq(decl->expose_count, 0);
  fern__decl_free(decl);
  expect_error("{expose: [{directory: 'diagnostics', from: 'self', "
               "to: 'framework'}]}",
               "t.cm:1:", "diagnostics");
}
END_TEST

/* A child's config_overrides, shaped as fuchsia.component.decl's
 * Child.config_overrides; whether each fits the child is known later. */
START_TEST(test_child_config_overrides_are_checked_for_shape) {
  fern__decl *decl;
  ck_assert_int_eq(parse("{children: [{name: 'a', url: '#meta/a.cm', "
                         "config_overrides: [{key: 'n', value: 5}, "
                         "{key: 'v', value: ['x', 'y']}]}]}",
                         &decl),
                   FERN_OK);
  ck_assert_uint_eq(json_array_size(decl->children[0].config_overrides), 2);
  fern__decl_free(decl);
  expect_error("{children: [{name: 'a', url: '#meta/a.cm', "
               "config_overrides: {n: 5}}]}",
               "t.cm:1:", "must be an array");
  expect_error("{children: [{name: 'a', url: '#meta/a.cm',\n"
               " config_overrides: [{key: 'Bad', value: 5}]}]}",
               "t.cm:2:", "\"Bad\" is no configuration key");
  expect_error("{children: [{name: 'a', url: '#meta/a.cm',\n"
               " config_overrides: [{key: 'n', value: 5}, "
               "{key: 'n', value: 6}]}]}",
               "t.cm:2:", "\"n\" is overridden twice");
  expect_error("{children: [{name: 'a', url: '#meta/a.cm',\n"
               " config_overrides: [{key: 'n', value: {x: 1}}]}]}",
               "t.cm:2:", "must be a bool, a whole number, a string");
  expect_error("{children: [{name: 'a', url: '#meta/a.cm',\n"
               " config_overrides: [{key: 'n'}]}]}",
               "t.cm:2:", "needs \"value\"");
}
END_TEST

Suite *manifest_suite(void) {
  Suite *s = suite_create("manifest");
  TCase *tc = tcase_create("validation");
  tcase_add_test(tc, test_environments_follow_cmls_rules);
  tcase_add_test(tc, test_cml_features_fern_lacks_are_named);
  tcase_add_test(tc, test_an_expose_to_the_framework_is_left_out);
  tcase_add_test(tc, test_child_config_overrides_are_checked_for_shape);
  tcase_add_test(tc, test_valid_manifest_becomes_a_declaration);
  tcase_add_test(tc, test_syntax_error_names_line_and_column);
  tcase_add_test(tc, test_duplicate_json_keys_are_refused);
  tcase_add_test(tc, test_unknown_top_level_key_is_an_error);
  tcase_add_test(tc, test_unknown_child_key_is_an_error);
  tcase_add_test(tc, test_wrong_type_is_an_error);
  tcase_add_test(tc, test_bad_enum_value_names_the_choices);
  tcase_add_test(tc, test_duplicate_child_names_are_refused);
  tcase_add_test(tc, test_child_and_collection_share_a_namespace);
  tcase_add_test(tc, test_missing_environment_is_refused);
  tcase_add_test(tc, test_collection_environment_must_exist);
  tcase_add_test(tc, test_environment_reference_needs_a_hash);
  tcase_add_test(tc, test_extends_none_needs_a_stop_timeout);
  tcase_add_test(tc, test_extends_none_with_stop_timeout_is_fine);
  tcase_add_test(tc, test_stop_timeout_must_be_positive);
  tcase_add_test(tc, test_program_without_runner_is_an_error);
  tcase_add_test(tc, test_used_runner_counts_as_the_runner);
  tcase_add_test(tc, test_self_registration_needs_a_capability);
  tcase_add_test(tc, test_registration_needs_from);
  tcase_add_test(tc, test_invalid_child_name_is_refused);
  tcase_add_test(tc, test_manifest_must_be_an_object);
  suite_add_tcase(s, tc);
  return s;
}
