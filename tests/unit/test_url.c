/* test_url.c - URL parsing, decoding, the safety rules, relative keys. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "url.h"

static fern__url url;
static fern_error_t err;

static int parse(const char *text) {
  memset(&err, 0, sizeof err);
  return fern__url_parse(text, &url, &err);
}

START_TEST(test_absolute_url_splits_into_parts) {
  ck_assert_int_eq(parse("file:///srv/pkg#meta/x.cm"), FERN_OK);
  ck_assert_int_eq(url.kind, FERN_URL_ABSOLUTE);
  ck_assert_str_eq(url.scheme, "file");
  ck_assert_str_eq(url.authority, "");
  ck_assert_str_eq(url.path, "/srv/pkg");
  ck_assert_str_eq(url.fragment, "meta/x.cm");
  fern__url_free(&url);
}
END_TEST

START_TEST(test_authority_is_kept) {
  ck_assert_int_eq(parse("pkg://repo/name#meta/x.cm"), FERN_OK);
  ck_assert_str_eq(url.authority, "repo");
  ck_assert_str_eq(url.path, "/name");
  fern__url_free(&url);
}
END_TEST

START_TEST(test_relative_fragment_url) {
  ck_assert_int_eq(parse("#meta/child.cm"), FERN_OK);
  ck_assert_int_eq(url.kind, FERN_URL_RELATIVE);
  ck_assert_ptr_null(url.scheme);
  ck_assert_str_eq(url.fragment, "meta/child.cm");
  fern__url_free(&url);
}
END_TEST

START_TEST(test_subpackage_url) {
  ck_assert_int_eq(parse("tools#meta/t.cm"), FERN_OK);
  ck_assert_int_eq(url.kind, FERN_URL_SUBPACKAGE);
  ck_assert_str_eq(url.subpackage, "tools");
  ck_assert_str_eq(url.fragment, "meta/t.cm");
  fern__url_free(&url);
}
END_TEST

START_TEST(test_percent_escapes_are_decoded) {
  ck_assert_int_eq(parse("file:///a%20b#meta/x%2Ecm"), FERN_OK);
  ck_assert_str_eq(url.path, "/a b");
  ck_assert_str_eq(url.fragment, "meta/x.cm");
  fern__url_free(&url);
}
END_TEST

START_TEST(test_dotdot_fragment_is_refused) {
  ck_assert_int_eq(parse("#meta/../../etc/x.cm"), FERN_EACCES);
  ck_assert_ptr_nonnull(strstr(err.message, "\"..\""));
}
END_TEST

START_TEST(test_encoded_dotdot_is_refused) {
  ck_assert_int_eq(parse("#meta/%2e%2e/x.cm"), FERN_EACCES);
  ck_assert_int_eq(parse("file:///pkg/%2E%2E/up#meta/x.cm"), FERN_EACCES);
}
END_TEST

START_TEST(test_absolute_fragment_is_refused) {
  ck_assert_int_eq(parse("file:///pkg#/etc/passwd"), FERN_EACCES);
  ck_assert_ptr_nonnull(strstr(err.message, "absolute"));
}
END_TEST

START_TEST(test_subpackage_must_be_one_segment) {
  ck_assert_int_eq(parse("..#meta/x.cm"), FERN_EACCES);
  ck_assert_int_eq(parse("a%2Fb#meta/x.cm"), FERN_EACCES);
}
END_TEST

START_TEST(test_missing_fragment_says_what_is_expected) {
  ck_assert_int_eq(parse("file:///pkg"), FERN_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "#meta/<name>.cm"));
}
END_TEST

START_TEST(test_bad_scheme_is_refused) {
  ck_assert_int_eq(parse("FILE:///pkg#meta/x.cm"), FERN_EINVAL);
  ck_assert_int_eq(parse("1x:///pkg#meta/x.cm"), FERN_EINVAL);
  ck_assert_int_eq(parse("mailto:x#y"), FERN_EINVAL);
}
END_TEST

START_TEST(test_encoded_nul_is_refused) {
  ck_assert_int_eq(parse("#meta/x%00.cm"), FERN_EINVAL);
}
END_TEST

START_TEST(test_relative_key_joins_parent_package) {
  char *key = fern__url_relative_key("file:///p", "#meta/a.cm");
  ck_assert_str_eq(key, "file:///p#meta/a.cm");
  free(key);
  key = fern__url_relative_key("file:///p", "sub#meta/a.cm");
  ck_assert_str_eq(key, "file:///p sub#meta/a.cm");
  free(key);
}
END_TEST

Suite *url_suite(void) {
  Suite *s = suite_create("url");
  TCase *tc = tcase_create("parse");
  tcase_add_test(tc, test_absolute_url_splits_into_parts);
  tcase_add_test(tc, test_authority_is_kept);
  tcase_add_test(tc, test_relative_fragment_url);
  tcase_add_test(tc, test_subpackage_url);
  tcase_add_test(tc, test_percent_escapes_are_decoded);
  tcase_add_test(tc, test_dotdot_fragment_is_refused);
  tcase_add_test(tc, test_encoded_dotdot_is_refused);
  tcase_add_test(tc, test_absolute_fragment_is_refused);
  tcase_add_test(tc, test_subpackage_must_be_one_segment);
  tcase_add_test(tc, test_missing_fragment_says_what_is_expected);
  tcase_add_test(tc, test_bad_scheme_is_refused);
  tcase_add_test(tc, test_encoded_nul_is_refused);
  tcase_add_test(tc, test_relative_key_joins_parent_package);
  suite_add_tcase(s, tc);
  return s;
}
