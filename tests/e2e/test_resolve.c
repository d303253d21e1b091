/* test_resolve.c - URL schemes, subpackages, the cache, and resolution off
 * the loop thread. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

#define PROGS "tests/packages/progs/meta/"

START_TEST(test_boot_url_resolves_in_the_boot_directory) {
  e2e_proc p;
  const char *args[] = {"run", "--boot-dir", "tests/packages",
                        PROGS "boot.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.err, "[/fromboot] printed");
  e2e_free(&p);
}
END_TEST

START_TEST(test_boot_url_without_boot_directory_says_so) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "boot.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_end(&p, "/fromboot", "cannot_start: URL "
                        "\"boot:///progs#meta/print.cm\": no boot directory is "
                        "configured");
  e2e_free(&p);
}
END_TEST

START_TEST(test_boot_url_resolves_from_the_command_line) {
  e2e_proc p;
  const char *args[] = {"run", "--boot-dir", "examples", "boot:///hello#meta/root.cm",
                        NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.err, "[/greeter] Hello from fern!");
  e2e_free(&p);
}
END_TEST

START_TEST(test_subpackage_url_runs_the_subpackage) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "sub.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.err, "[/inner] inner from /");
  e2e_assert_has(p.err, "tests/packages/progs/subpackages/inner\n");
  e2e_free(&p);
}
END_TEST

START_TEST(test_one_url_is_parsed_once_for_many_instances) {
  e2e_proc p;
  const char *args[] = {"run", "-vv", PROGS "many.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.err, "[/c10] printed");
  e2e_assert_has(p.err, "parsed 2 manifests for 11 components");
  e2e_free(&p);
}
END_TEST

/* The gated child's resolver blocks until a file appears, and the opener
 * sibling creates that file. Were resolution run on the loop thread, the
 * opener could never start and the gate would time out after 10 s. */
START_TEST(test_resolution_never_blocks_the_loop) {
  char pkg[PATH_MAX], path[PATH_MAX + 32], progs[PATH_MAX];
  e2e_package_new(pkg, sizeof pkg);
  ck_assert_ptr_nonnull(realpath("tests/packages/progs", progs));
  e2e_package_write(pkg, "meta/opener.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"touch\", \"gate-open\"]}}");
  char root[4 * PATH_MAX];
  snprintf(root, sizeof root,
           "{\"capabilities\": [{\"resolver\": \"gate\", \"config\": "
           "{\"wait_for\": \"%s/gate-open\"}}],\n"
           " \"environments\": [{\"name\": \"gated\", \"extends\": \"realm\", "
           "\"resolvers\": [{\"resolver\": \"gate\", \"scheme\": \"gate\", "
           "\"from\": \"self\"}]}],\n"
           " \"children\": [{\"name\": \"gated\", \"url\": "
           "\"gate://%s#meta/print.cm\", \"startup\": \"eager\", "
           "\"environment\": \"#gated\"},\n"
           "  {\"name\": \"opener\", \"url\": \"#meta/opener.cm\", "
           "\"startup\": \"eager\"}]}",
           pkg, progs);
  e2e_package_write(pkg, "meta/root.cm", root);
  snprintf(path, sizeof path, "%s/meta/root.cm", pkg);
  char plugins[4096];
  snprintf(plugins, sizeof plugins, "%s/tests/plugins", e2e_build());
  e2e_proc p;
  const char *args[] = {"run", "--plugin-dir", plugins, path, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, args), 0);
  e2e_assert_order(p.err, "/opener: stopped: ok", "[/gated] printed");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *resolve_suite(void) {
  Suite *s = suite_create("resolve");
  TCase *tc = tcase_create("resolve");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_boot_url_resolves_in_the_boot_directory);
  tcase_add_test(tc, test_boot_url_without_boot_directory_says_so);
  tcase_add_test(tc, test_boot_url_resolves_from_the_command_line);
  tcase_add_test(tc, test_subpackage_url_runs_the_subpackage);
  tcase_add_test(tc, test_one_url_is_parsed_once_for_many_instances);
  tcase_add_test(tc, test_resolution_never_blocks_the_loop);
  suite_add_tcase(s, tc);
  return s;
}
