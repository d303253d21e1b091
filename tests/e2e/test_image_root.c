/* test_image_root.c - the ELF runner's "root": "package": the package is
 * the program's root, with a /proc, the host's /dev, a fresh /tmp and the
 * host's C library; argv[0] is the program's path in it; a symlink of the
 * package, absolute or not, is followed inside the package and never
 * leads fern to make anything on the host; and a bad "root" value is
 * refused by name. */
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"

/* A package whose program (argv_echo) is asked about `args`. */
static void image_package(char *dir, size_t size, const char *args) {
  e2e_package_new(dir, size);
  e2e_package_copy(dir, "tests/packages/progs/bin/argv_echo",
                   "bin/argv_echo");
  char fields[512];
  snprintf(fields, sizeof fields, "\"args\": %s, \"root\": \"package\"",
           args);
  e2e_package_program_of(dir, "image", "elf", "bin/argv_echo", fields);
}

START_TEST(test_the_package_is_the_programs_root) {
  if (e2e_skip_root_under_valgrind())
    return;
  char pkg[64], cmd[512], path[128];
  image_package(pkg, sizeof pkg, "[\"/dev\", \"/tmp\", \"/data/x\"]");
  /* Its own tmp/ is hidden by the fresh tmpfs, as OSv's is its own. */
  snprintf(cmd, sizeof cmd, "mkdir -p '%s/tmp' '%s/data' && "
                            "touch '%s/tmp/left-over'",
           pkg, pkg, pkg);
  ck_assert_int_eq(system(cmd), 0);
  e2e_package_write(pkg, "data/x", "the package's x\n");
  snprintf(path, sizeof path, "%s/meta/image.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", path, NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 0);
  e2e_assert_has(p.err, "[/] argv[0] /bin/argv_echo\n"); /* its own path */
  e2e_assert_has(p.err, "[/] cwd /\n");
  e2e_assert_has(p.err, "[/] file /data/x the package's x\n");
  e2e_assert_has(p.err, "[/] dir /tmp\n"); /* empty */
  e2e_assert_has(p.err, " null "); /* in /dev's listing */
  e2e_assert_has(p.err, "[/] env FERN_PACKAGE_DIR=/\n");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* lib -> /etc is the package's etc/, not the host's: the library mount
 * points fern makes land inside the package. */
START_TEST(test_links_in_the_package_never_lead_to_the_host) {
  if (e2e_skip_root_under_valgrind())
    return;
  char pkg[64], cmd[512], path[256], host[64];
  struct stat st;
  snprintf(host, sizeof host, "/etc/x86_64-linux-gnu");
  if (stat("/lib/x86_64-linux-gnu", &st) != 0 || stat(host, &st) == 0) {
    fprintf(stderr, "skipped: the host is not a Debian x86_64 layout, or "
                    "has %s already\n",
            host);
    return;
  }
  image_package(pkg, sizeof pkg, "[\"/lib\"]");
  snprintf(cmd, sizeof cmd, "mkdir -p '%s/etc' && ln -s /etc '%s/lib'", pkg,
           pkg);
  ck_assert_int_eq(system(cmd), 0);
  snprintf(path, sizeof path, "%s/meta/image.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", path, NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 0);
  e2e_assert_has(p.err, "[/] dir /lib x86_64-linux-gnu\n");
  e2e_free(&p);
  ck_assert_int_ne(stat(host, &st), 0);
  snprintf(path, sizeof path, "%s/etc/x86_64-linux-gnu/libc.so.6", pkg);
  ck_assert_int_eq(stat(path, &st), 0);
  /* A link that leads nowhere in the package is an error naming it. */
  snprintf(cmd, sizeof cmd, "rm -rf '%s/etc' '%s/lib64' && "
                            "ln -s /nowhere '%s/lib64'",
           pkg, pkg, pkg);
  ck_assert_int_eq(system(cmd), 0);
  snprintf(path, sizeof path, "%s/meta/image.cm", pkg);
  ck_assert_int_eq(e2e_run(&p, 10000, args), 1);
  e2e_assert_has(p.err, "cannot make /lib64/ld-linux-x86-64.so.2 in package");
  e2e_free(&p);
  ck_assert_int_ne(stat("/nowhere", &st), 0);
  e2e_package_remove(pkg);
}
END_TEST

START_TEST(test_a_bad_root_is_refused_by_name) {
  char pkg[64], path[128];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_program(pkg, "bad", "elf", "\"root\": \"host\"");
  snprintf(path, sizeof path, "%s/meta/bad.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", path, NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 1);
  e2e_assert_has(p.err, "\"root\" can only be \"package\"");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A use's socket is fern's, outside the package: refused by name, and
 * the rest of the tree is not harmed. */
START_TEST(test_a_root_of_its_own_cannot_use_capabilities_yet) {
  char pkg[64];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_copy(pkg, "tests/packages/progs/bin/argv_echo",
                   "bin/argv_echo");
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"server\", \"url\": "
                    "\"#meta/server.cm\"}, {\"name\": \"client\", \"url\": "
                    "\"#meta/client.cm\", \"startup\": \"eager\"}, "
                    "{\"name\": \"plain\", \"url\": \"#meta/plain.cm\", "
                    "\"startup\": \"eager\"}], \"offer\": [{\"protocol\": "
                    "\"echo\", \"from\": \"#server\", \"to\": \"#client\"}]}");
  e2e_package_write(pkg, "meta/server.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/tool\"}, \"capabilities\": [{\"protocol\": "
                    "\"echo\"}], \"expose\": [{\"protocol\": \"echo\", "
                    "\"from\": \"self\"}]}");
  e2e_package_write(pkg, "meta/client.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/argv_echo\", \"root\": \"package\"}, \"use\": "
                    "[{\"protocol\": \"echo\"}]}");
  e2e_package_write(pkg, "meta/plain.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/argv_echo\", \"args\": [\"still-here\"]}}");
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 1);
  e2e_assert_has(p.err, "/client: error: cannot_start: ");
  e2e_assert_has(p.err, "cannot use capabilities yet");
  e2e_assert_has(p.err, "[/plain] argv[1] still-here\n");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *image_root_suite(void) {
  Suite *s = suite_create("image_root");
  TCase *tc = tcase_create("image_root");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_the_package_is_the_programs_root);
  tcase_add_test(tc, test_links_in_the_package_never_lead_to_the_host);
  tcase_add_test(tc, test_a_bad_root_is_refused_by_name);
  tcase_add_test(tc, test_a_root_of_its_own_cannot_use_capabilities_yet);
  suite_add_tcase(s, tc);
  return s;
}
