/* test_directories.c - directories routed like protocols: a component
 * reads a directory of another's package through its route, subdirs on
 * the way going below one another; the sandbox runner binds a directory
 * read-only unless the route grants writing, so a write fails in the
 * component; a route that asks for more rights than its source gives is
 * an error at that hop (fern check, and the user's cannot_start), and the
 * rest of the tree runs; a directory the package lacks cannot be used. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

#define SANDBOX_CONFIG "tests/config/elf-and-sandbox.json"

/* data/config/file, data/config/sub/inner/file; and /server, a realm
 * (no program: a directory is the package's) that shares data/config as
 * "config" with the rights `rights`, exposing it as it declares it. */
static void write_provider(const char *pkg, const char *rights) {
  static const char *const dirs[] = {"data", "data/config", "data/config/sub",
                                     "data/config/sub/inner"};
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/%s", pkg, dirs[i]);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
  }
  e2e_package_write(pkg, "data/config/file", "hello from config\n");
  e2e_package_write(pkg, "data/config/sub/inner/file", "deepest\n");
  char text[512];
  snprintf(text, sizeof text,
           "{\"capabilities\": [{\"directory\": \"config\", \"path\": "
           "\"data/config\", \"rights\": [\"%s\"]}],\n"
           " \"expose\": [{\"directory\": \"config\", \"from\": \"self\"}]}\n",
           rights);
  e2e_package_write(pkg, "meta/server.cm", text);
}

/* meta/NAME.cm: `runner` running bin/tool ARGS, using `use` (a JSON
 * object, one entry of "use"). */
static void write_user(const char *pkg, const char *name, const char *runner,
                       const char *args, const char *use) {
  char path[64], text[1024];
  snprintf(path, sizeof path, "meta/%s.cm", name);
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"%s\", \"binary\": \"bin/tool\", "
           "\"args\": %s},\n \"use\": [%s]}\n",
           runner, args, use);
  e2e_package_write(pkg, path, text);
}

static int run_root(const char *pkg, const char *config, e2e_proc *p) {
  char root[4200];
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  const char *with_config[] = {"run", "--config", config, root, NULL};
  const char *plain[] = {"run", root, NULL};
  return e2e_run(p, 60000, config != NULL ? with_config : plain);
}

/* An offer's subdir and then the use's go below the declared path, in
 * that order: sub/inner. */
START_TEST(test_an_elf_component_reads_a_directory_through_its_route) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  write_provider(pkg, "r*");
  write_user(pkg, "reader", "elf", "[\"ns-cat\", \"config/file\"]",
             "{\"directory\": \"config\", \"rights\": [\"r*\"]}");
  write_user(pkg, "deep", "elf", "[\"ns-cat\", \"deep/file\"]",
             "{\"directory\": \"conf-sub\", \"rights\": [\"r*\"], "
             "\"subdir\": \"inner\", \"path\": \"/deep\"}");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"server\", \"url\": \"#meta/server.cm\"},\n"
      "  {\"name\": \"reader\", \"url\": \"#meta/reader.cm\", \"startup\": \"eager\"},\n"
      "  {\"name\": \"deep\", \"url\": \"#meta/deep.cm\", \"startup\": \"eager\"}],\n"
      " \"offer\": [{\"directory\": \"config\", \"from\": \"#server\", \"to\": \"#reader\"},\n"
      "  {\"directory\": \"config\", \"from\": \"#server\", \"to\": \"#deep\",\n"
      "   \"as\": \"conf-sub\", \"subdir\": \"sub\"}]}\n");
  e2e_proc p;
  ck_assert_int_eq(run_root(pkg, NULL, &p), 0);
  e2e_assert_has(p.err, "[/reader] hello from config\n");
  e2e_assert_has(p.err, "[/deep] deepest\n");
  e2e_assert_end(&p, "/reader", "ok (exit 0)");
  e2e_assert_end(&p, "/deep", "ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* The sandbox binds a directory read-only unless the route grants
 * writing: the same write fails with r* (EROFS) and lands with rw*. */
START_TEST(test_a_sandboxed_component_cannot_write_a_read_only_directory) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) "
                              "calls valgrind does not run"))
    return;
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  write_provider(pkg, "rw*");
  write_user(pkg, "reader", "sandbox", "[\"ns-cat\", \"config/file\"]",
             "{\"directory\": \"config\", \"rights\": [\"r*\"]}");
  write_user(pkg, "ro", "sandbox", "[\"ns-write\", \"config/by-ro\"]",
             "{\"directory\": \"config\", \"rights\": [\"r*\"]}");
  write_user(pkg, "rw", "sandbox", "[\"ns-write\", \"config/by-rw\"]",
             "{\"directory\": \"config\", \"rights\": [\"rw*\"]}");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"server\", \"url\": \"#meta/server.cm\"},\n"
      "  {\"name\": \"reader\", \"url\": \"#meta/reader.cm\", \"startup\": \"eager\"},\n"
      "  {\"name\": \"ro\", \"url\": \"#meta/ro.cm\", \"startup\": \"eager\"},\n"
      "  {\"name\": \"rw\", \"url\": \"#meta/rw.cm\", \"startup\": \"eager\"}],\n"
      " \"offer\": [{\"directory\": \"config\", \"from\": \"#server\",\n"
      "   \"to\": [\"#reader\", \"#ro\", \"#rw\"]}]}\n");
  e2e_proc p;
  ck_assert_int_eq(run_root(pkg, SANDBOX_CONFIG, &p), 1);
  e2e_assert_has(p.err, "[/reader] hello from config\n");
  e2e_assert_has(p.err,
                 "[/ro] cannot write config/by-ro: Read-only file system\n");
  e2e_assert_end(&p, "/ro", "instance_died (exit 1)");
  e2e_assert_has(p.err, "[/rw] wrote config/by-rw\n");
  e2e_assert_end(&p, "/rw", "ok (exit 0)");
  char path[4200];
  snprintf(path, sizeof path, "%s/data/config/by-rw", pkg);
  ck_assert_int_eq(access(path, F_OK), 0);
  snprintf(path, sizeof path, "%s/data/config/by-ro", pkg);
  ck_assert_int_ne(access(path, F_OK), 0);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* / offers rw* of what /server declares as r*: the offer is the broken
 * hop, for fern check and for /greedy's start; /fine, given r*, runs. */
START_TEST(test_an_offer_of_more_rights_than_its_source_is_a_route_error) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  write_provider(pkg, "r*");
  write_user(pkg, "greedy", "elf", "[\"ns-cat\", \"config/file\"]",
             "{\"directory\": \"config\", \"rights\": [\"r*\"]}");
  write_user(pkg, "fine", "elf", "[\"ns-cat\", \"config/file\"]",
             "{\"directory\": \"config\", \"rights\": [\"r*\"]}");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"server\", \"url\": \"#meta/server.cm\"},\n"
      "  {\"name\": \"greedy\", \"url\": \"#meta/greedy.cm\", \"startup\": \"eager\"},\n"
      "  {\"name\": \"fine\", \"url\": \"#meta/fine.cm\", \"startup\": \"eager\"}],\n"
      " \"offer\": [{\"directory\": \"config\", \"from\": \"#server\", \"to\": \"#greedy\",\n"
      "   \"rights\": [\"rw*\"]},\n"
      "  {\"directory\": \"config\", \"from\": \"#server\", \"to\": \"#fine\"}]}\n");
  char root[4200], want[4400];
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  snprintf(want, sizeof want,
           "%s:4:12: / offers directory \"config\" with rights rw*, but "
           "/server declares it with rights r* only",
           root);
  e2e_proc check;
  const char *args[] = {"check", "--tree", root, NULL};
  ck_assert_int_ne(e2e_run(&check, 20000, args), 0);
  e2e_assert_has(check.err, want);
  e2e_free(&check);
  e2e_proc p;
  ck_assert_int_eq(run_root(pkg, NULL, &p), 1);
  e2e_assert_end(&p, "/greedy", "cannot_start");
  e2e_assert_has(p.err, want);
  e2e_assert_end(&p, "/fine", "ok (exit 0)");
  e2e_assert_has(p.err, "[/fine] hello from config\n");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A declared directory the package does not have: the user cannot start,
 * and is told which path is missing. */
START_TEST(test_a_directory_the_package_lacks_cannot_be_used) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(
      pkg, "meta/server.cm",
      "{\"capabilities\": [{\"directory\": \"config\", \"path\": "
      "\"data/missing\", \"rights\": [\"r*\"]}],\n"
      " \"expose\": [{\"directory\": \"config\", \"from\": \"self\"}]}\n");
  write_user(pkg, "reader", "elf", "[\"ns-cat\", \"config/file\"]",
             "{\"directory\": \"config\", \"rights\": [\"r*\"]}");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"server\", \"url\": \"#meta/server.cm\"},\n"
      "  {\"name\": \"reader\", \"url\": \"#meta/reader.cm\", \"startup\": \"eager\"}],\n"
      " \"offer\": [{\"directory\": \"config\", \"from\": \"#server\", \"to\": \"#reader\"}]}\n");
  e2e_proc p;
  ck_assert_int_eq(run_root(pkg, NULL, &p), 1);
  e2e_assert_end(&p, "/reader", "cannot_start");
  e2e_assert_has(p.err, "/reader uses directory \"config\" of /server");
  e2e_assert_has(p.err, "data/missing");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* The other broken hops, for fern check --tree: a use asking more than
 * its offer gives; a use of a directory offered only as a protocol (the
 * nearest name offered is not the other kind's); a route whose subdirs
 * would not fit (a shortened path would be another directory); a
 * directory missing from the package. An optional use of a missing
 * directory is no error, and its component runs without it. */
START_TEST(test_each_broken_directory_hop_is_named) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  write_provider(pkg, "rw*");
  char longsub[300];
  memset(longsub, 'a', 250);
  longsub[250] = '\0';
  char text[2048];
  snprintf(text, sizeof text,
           "{\"children\": [{\"name\": \"server\", \"url\": \"#meta/server.cm\"},\n"
           "  {\"name\": \"greedy\", \"url\": \"#meta/greedy.cm\"},\n"
           "  {\"name\": \"mixed\", \"url\": \"#meta/mixed.cm\"},\n"
           "  {\"name\": \"deep\", \"url\": \"#meta/deep.cm\"},\n"
           "  {\"name\": \"far\", \"url\": \"#meta/far.cm\"},\n"
           "  {\"name\": \"maybe\", \"url\": \"#meta/maybe.cm\", \"startup\": \"eager\"}],\n"
           " \"capabilities\": [{\"protocol\": \"config\"}],\n"
           " \"offer\": [{\"directory\": \"config\", \"from\": \"#server\", \"to\": \"#greedy\",\n"
           "   \"rights\": [\"r*\"]},\n"
           "  {\"protocol\": \"config\", \"from\": \"self\", \"to\": \"#mixed\"},\n"
           "  {\"directory\": \"config\", \"from\": \"#far\", \"to\": \"#deep\", "
           "\"subdir\": \"%s\"},\n"
           "  {\"directory\": \"config\", \"from\": \"#server\", \"to\": \"#maybe\", "
           "\"subdir\": \"absent\"}]}\n",
           longsub);
  e2e_package_write(pkg, "meta/root.cm", text);
  write_user(pkg, "greedy", "elf", "[\"print\", \"greedy\"]",
             "{\"directory\": \"config\", \"rights\": [\"rw*\"]}");
  write_user(pkg, "mixed", "elf", "[\"print\", \"mixed\"]",
             "{\"directory\": \"config\", \"rights\": [\"r*\"]}");
  /* /far exposes a subdir of 250 bytes, / offers one more, /deep uses
   * one more: 250 + 250 + 19 and two slashes, past 511. */
  snprintf(text, sizeof text,
           "{\"capabilities\": [{\"directory\": \"config\", \"path\": "
           "\"data\", \"rights\": [\"r*\"]}],\n"
           " \"expose\": [{\"directory\": \"config\", \"from\": \"self\", "
           "\"subdir\": \"%s\"}]}\n",
           longsub);
  e2e_package_write(pkg, "meta/far.cm", text);
  write_user(pkg, "deep", "elf", "[\"print\", \"deep\"]",
             "{\"directory\": \"config\", \"rights\": [\"r*\"], "
             "\"subdir\": \"inner-and-then-some\"}");
  write_user(pkg, "maybe", "elf", "[\"print\", \"runs without it\"]",
             "{\"directory\": \"config\", \"rights\": [\"r*\"], "
             "\"availability\": \"optional\"}");
  char root[4200];
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_proc check;
  const char *args[] = {"check", "--tree", root, NULL};
  ck_assert_int_ne(e2e_run(&check, 20000, args), 0);
  e2e_assert_has(check.err, "/greedy uses directory \"config\" with rights "
                            "rw*, but / offers it with rights r* only");
  e2e_assert_has(check.err, "/mixed uses directory \"config\" from its "
                            "parent, but / offers no \"config\" to #mixed\n");
  e2e_assert_has(check.err, "/deep uses directory \"config\": the subdirs "
                            "of its route come to more than 511 bytes");
  e2e_assert_lacks(check.err, "/maybe");
  e2e_free(&check);
  e2e_proc p;
  ck_assert_int_eq(run_root(pkg, NULL, &p), 0);
  e2e_assert_has(p.err, "[/maybe] runs without it\n");
  e2e_assert_has(p.err, "optional directory \"config\" is not given");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *directories_suite(void) {
  Suite *s = suite_create("directories");
  TCase *tc = tcase_create("directories");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_an_elf_component_reads_a_directory_through_its_route);
  tcase_add_test(tc, test_a_sandboxed_component_cannot_write_a_read_only_directory);
  tcase_add_test(tc, test_an_offer_of_more_rights_than_its_source_is_a_route_error);
  tcase_add_test(tc, test_a_directory_the_package_lacks_cannot_be_used);
  tcase_add_test(tc, test_each_broken_directory_hop_is_named);
  suite_add_tcase(s, tc);
  return s;
}
