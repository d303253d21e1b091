/* test_support.c - the small pieces: JSON positions, the string map, the
 * package path check. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_pos.h"
#include "package_path.h"
#include "policy.h"
#include "strmap.h"
#include "unit.h"

START_TEST(test_locate_finds_member_keys_and_elements) {
  const char *text = "{\n  \"a\": [1,\n    {\"b\": \"x\"}],\n  \"c\": 2\n}";
  int line, col;
  ck_assert_int_eq(fern__json_locate(text, strlen(text), "/c", &line, &col), 0);
  ck_assert_int_eq(line, 4);
  ck_assert_int_eq(col, 3);
  ck_assert_int_eq(fern__json_locate(text, strlen(text), "/a/1/b", &line, &col),
                   0);
  ck_assert_int_eq(line, 3);
  ck_assert_int_eq(col, 6);
  ck_assert_int_eq(fern__json_locate(text, strlen(text), "/zz", &line, &col),
                   -1);
}
END_TEST

START_TEST(test_locate_skips_strings_with_brackets) {
  const char *text = "{\"s\": \"]}{[\", \"t\": 1}";
  int line, col;
  ck_assert_int_eq(fern__json_locate(text, strlen(text), "/t", &line, &col), 0);
  ck_assert_int_eq(col, 15);
}
END_TEST

START_TEST(test_strmap_puts_gets_and_removes_many) {
  fern__strmap map;
  fern__strmap_init(&map);
  char key[32];
  for (long i = 0; i < 5000; i++) {
    snprintf(key, sizeof key, "k%ld", i);
    ck_assert_int_eq(fern__strmap_put(&map, key, (void *)(i + 1)), 0);
  }
  for (long i = 0; i < 5000; i += 2) {
    snprintf(key, sizeof key, "k%ld", i);
    ck_assert_ptr_eq(fern__strmap_remove(&map, key), (void *)(i + 1));
  }
  for (long i = 0; i < 5000; i++) {
    snprintf(key, sizeof key, "k%ld", i);
    ck_assert_ptr_eq(fern__strmap_get(&map, key),
                     (i % 2 ? (void *)(i + 1) : NULL));
  }
  ck_assert_uint_eq(map.count, 2500);
  fern__strmap_free(&map, NULL);
}
END_TEST

static char pkg[PATH_MAX];

static void remove_package(void) {
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", pkg);
  ck_assert_int_eq(system(cmd), 0);
}

static void make_package(void) {
  snprintf(pkg, sizeof pkg, "/tmp/fern-unit-pkg-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(pkg));
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/bin", pkg);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/bin/ok", pkg);
  fclose(fopen(path, "w"));
  snprintf(path, sizeof path, "%s/bin/out", pkg);
  ck_assert_int_eq(symlink("/etc/passwd", path), 0);
  snprintf(path, sizeof path, "%s/bin/in", pkg);
  ck_assert_int_eq(symlink("ok", path), 0);
}

START_TEST(test_package_path_accepts_a_path_inside) {
  make_package();
  char out[PATH_MAX];
  fern_error_t err = FERN_ERROR_INIT;
  ck_assert_int_eq(fern__package_path(pkg, "bin/ok", out, sizeof out, &err),
                   FERN_OK);
  ck_assert_int_eq(fern__package_path(pkg, "bin/in", out, sizeof out, &err),
                   FERN_OK);
  ck_assert_ptr_nonnull(strstr(out, "/bin/ok"));
  remove_package();
}
END_TEST

START_TEST(test_package_path_refuses_an_escaping_symlink) {
  make_package();
  char out[PATH_MAX];
  fern_error_t err = FERN_ERROR_INIT;
  ck_assert_int_eq(fern__package_path(pkg, "bin/out", out, sizeof out, &err),
                   FERN_EACCES);
  ck_assert_ptr_nonnull(strstr(err.message, "leads outside the package"));
  remove_package();
}
END_TEST

START_TEST(test_package_path_refuses_dotdot_and_absolute) {
  make_package();
  char out[PATH_MAX];
  fern_error_t err = FERN_ERROR_INIT;
  ck_assert_int_eq(
      fern__package_path(pkg, "bin/../bin/ok", out, sizeof out, &err),
      FERN_EACCES);
  ck_assert_int_eq(fern__package_path(pkg, "/etc/passwd", out, sizeof out,
                                      &err),
                   FERN_EACCES);
  ck_assert_int_eq(fern__package_path(pkg, "bin/none", out, sizeof out, &err),
                   FERN_ENOENT);
  remove_package();
}
END_TEST

START_TEST(test_moniker_patterns) {
  ck_assert(fern__moniker_matches("/core/**", "/core/echo"));
  ck_assert(fern__moniker_matches("/core/**", "/core/a/b/c"));
  ck_assert(!fern__moniker_matches("/core/**", "/core"));
  ck_assert(!fern__moniker_matches("/core/**", "/corex/a"));
  ck_assert(fern__moniker_matches("/*/shell", "/core/shell"));
  ck_assert(!fern__moniker_matches("/*/shell", "/core/x/shell"));
  ck_assert(fern__moniker_matches("/crit", "/crit"));
  ck_assert(!fern__moniker_matches("/crit", "/crit/child"));
  ck_assert(!fern__moniker_matches("/crit", "/critical"));
}
END_TEST

START_TEST(test_policy_names_itself_when_it_refuses) {
  json_t *policy = json_loads("{\"main_process_critical\": [\"/core/**\"]}",
                              0, NULL);
  fern_error_t err = FERN_ERROR_INIT;
  ck_assert_int_eq(fern__policy_allows(policy, "main_process_critical",
                                       "/core/a", &err),
                   FERN_OK);
  ck_assert_int_eq(fern__policy_allows(policy, "main_process_critical",
                                       "/apps/a", &err),
                   FERN_EACCES);
  ck_assert_ptr_nonnull(strstr(err.message, "security_policy"));
  ck_assert_int_eq(fern__policy_check(policy, "c.json", &err), FERN_OK);
  json_t *bad = json_loads("{\"root\": [\"/x\"]}", 0, NULL);
  ck_assert_int_eq(fern__policy_check(bad, "c.json", &err), FERN_EINVAL);
  ck_assert_ptr_nonnull(strstr(err.message, "unknown privilege \"root\""));
  json_decref(bad);
  json_decref(policy);
}
END_TEST

Suite *support_suite(void) {
  Suite *s = suite_create("support");
  TCase *tc = tcase_create("support");
  tcase_add_test(tc, test_locate_finds_member_keys_and_elements);
  tcase_add_test(tc, test_locate_skips_strings_with_brackets);
  tcase_add_test(tc, test_strmap_puts_gets_and_removes_many);
  tcase_add_test(tc, test_package_path_accepts_a_path_inside);
  tcase_add_test(tc, test_package_path_refuses_an_escaping_symlink);
  tcase_add_test(tc, test_package_path_refuses_dotdot_and_absolute);
  tcase_add_test(tc, test_moniker_patterns);
  tcase_add_test(tc, test_policy_names_itself_when_it_refuses);
  suite_add_tcase(s, tc);
  return s;
}
