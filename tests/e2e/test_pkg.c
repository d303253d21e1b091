/* test_pkg.c - the pkg:// resolver against package repositories made here:
 * packages, variants, relative URLs inside a package, and each error told
 * apart (unknown repository, missing package, missing manifest, invalid
 * manifest). */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

typedef struct repo_s {
  char dir[64];
  char config[128];
} repo;

static void mkdirs(const char *base, const char *rel) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s'", base, rel);
  ck_assert_int_eq(system(cmd), 0);
}

/* A package REL in the repository, printing `text`. */
static void add_package(repo *r, const char *rel, const char *text) {
  char path[256], manifest[512];
  snprintf(path, sizeof path, "%s/meta", rel);
  mkdirs(r->dir, path);
  snprintf(path, sizeof path, "%s/bin", rel);
  mkdirs(r->dir, path);
  snprintf(path, sizeof path, "%s/bin/tool", rel);
  e2e_package_copy(r->dir, "tests/packages/progs/bin/tool", path);
  snprintf(path, sizeof path, "%s/meta/root.cm", rel);
  snprintf(manifest, sizeof manifest,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tool\", "
           "\"args\": [\"print\", \"%s\"]}}",
           text);
  e2e_package_write(r->dir, path, manifest);
}

static void make_repo(repo *r) {
  e2e_package_new(r->dir, sizeof r->dir); /* reused as the repository */
  add_package(r, "hello", "hello itself");
  e2e_package_write(r->dir, "hello/meta/parent.cm",
                    "{\"children\": [{\"name\": \"child\", \"url\": "
                    "\"#meta/root.cm\", \"startup\": \"eager\"}]}");
  add_package(r, "multi/0", "variant 0");
  add_package(r, "multi/1", "variant 1");
  mkdirs(r->dir, "broken/meta");
  e2e_package_write(r->dir, "broken/meta/root.cm", "{\n  \"program\": 7,\n}");
  char text[512];
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"resolvers\": ["
           "{\"resolver\": \"file\", \"scheme\": \"file\"},"
           "{\"resolver\": \"pkg\", \"scheme\": \"pkg\", \"config\": "
           "{\"repositories\": {\"main\": \"%s\"}}}]}}",
           r->dir);
  e2e_package_write(r->dir, "fern.json", text);
  snprintf(r->config, sizeof r->config, "%s/fern.json", r->dir);
}

static int run_url(repo *r, const char *url, e2e_proc *p) {
  const char *args[] = {"run", "--config", r->config, url, NULL};
  return e2e_run(p, 20000, args);
}

START_TEST(test_pkg_url_runs_a_package_and_its_relative_children) {
  repo r;
  make_repo(&r);
  e2e_proc p;
  ck_assert_int_eq(run_url(&r, "pkg://main/hello#meta/parent.cm", &p), 0);
  e2e_assert_has(p.err, "[/child] hello itself\n");
  e2e_free(&p);
  e2e_package_remove(r.dir);
}
END_TEST

START_TEST(test_pkg_variants) {
  repo r;
  make_repo(&r);
  e2e_proc p;
  ck_assert_int_eq(run_url(&r, "pkg://main/multi/1#meta/root.cm", &p), 0);
  e2e_assert_has(p.err, "[/] variant 1\n");
  e2e_free(&p);
  ck_assert_int_eq(run_url(&r, "pkg://main/multi#meta/root.cm", &p), 0);
  e2e_assert_has(p.err, "[/] variant 0\n");
  e2e_free(&p);
  e2e_package_remove(r.dir);
}
END_TEST

START_TEST(test_pkg_errors_are_told_apart) {
  repo r;
  make_repo(&r);
  e2e_package_write(
      r.dir, "meta/errors.cm",
      "{\"children\": ["
      "{\"name\": \"repo\", \"url\": \"pkg://nope/hello#meta/root.cm\", "
      "\"startup\": \"eager\"},"
      "{\"name\": \"package\", \"url\": \"pkg://main/none#meta/root.cm\", "
      "\"startup\": \"eager\"},"
      "{\"name\": \"manifest\", \"url\": \"pkg://main/hello#meta/none.cm\", "
      "\"startup\": \"eager\"},"
      "{\"name\": \"invalid\", \"url\": \"pkg://main/broken#meta/root.cm\", "
      "\"startup\": \"eager\"},"
      "{\"name\": \"fine\", \"url\": \"pkg://main/hello#meta/root.cm\", "
      "\"startup\": \"eager\"}]}");
  char manifest[128];
  snprintf(manifest, sizeof manifest, "%s/meta/errors.cm", r.dir);
  e2e_proc p;
  ck_assert_int_eq(run_url(&r, manifest, &p), 1);
  e2e_assert_end(&p, "/repo", "cannot_start: URL "
                        "\"pkg://nope/hello#meta/root.cm\": no package "
                        "repository \"nope\" (there are: main)");
  e2e_assert_end(&p, "/package", "cannot_start: no package \"none\" "
                        "in repository \"main\"");
  e2e_assert_end(&p, "/manifest", "cannot_start: manifest "
                        "\"meta/none.cm\" not found in package "
                        "pkg://main/hello");
  e2e_assert_end(&p, "/invalid", "cannot_start: ");
  /* JSON5 takes its trailing comma; "program" is no object. */
  e2e_assert_has(p.err, "broken/meta/root.cm:2:3: \"program\" must be an "
                        "object");
  e2e_assert_has(p.err, "[/fine] hello itself\n");
  e2e_free(&p);
  e2e_package_remove(r.dir);
}
END_TEST

/* A repository that names the variant in use by a link (app/0 -> v1), run
 * in the sandbox: the package's path passes through the link, and the
 * sandbox binds the directory it leads to and shows the link too. */
START_TEST(test_a_variant_named_by_a_link_runs_sandboxed) {
  if (access("/usr/bin/bwrap", X_OK) != 0) {
    fprintf(stderr, "skipped: bubblewrap is not installed\n");
    return;
  }
  if (e2e_skip_under_valgrind("the sandbox's seccomp calls"))
    return;
  repo r;
  make_repo(&r);
  add_package(&r, "app/v1", "variant by link");
  char link[256], text[512];
  snprintf(link, sizeof link, "%s/app/0", r.dir);
  ck_assert_int_eq(symlink("v1", link), 0);
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"runners\": [{\"runner\": "
           "\"sandbox\"}], \"resolvers\": ["
           "{\"resolver\": \"file\", \"scheme\": \"file\"},"
           "{\"resolver\": \"pkg\", \"scheme\": \"pkg\", \"config\": "
           "{\"repositories\": {\"main\": \"%s\"}}}]}}",
           r.dir);
  e2e_package_write(r.dir, "fern.json", text);
  e2e_package_write(r.dir, "app/v1/meta/root.cm",
                    "{\"program\": {\"runner\": \"sandbox\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"print\", \"in the sandbox\"]}}");
  e2e_proc p;
  ck_assert_int_eq(run_url(&r, "pkg://main/app#meta/root.cm", &p), 0);
  e2e_assert_has(p.err, "[/] in the sandbox\n");
  e2e_free(&p);
  e2e_package_remove(r.dir);
}
END_TEST

Suite *pkg_suite(void) {
  Suite *s = suite_create("pkg");
  TCase *tc = tcase_create("pkg");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_pkg_url_runs_a_package_and_its_relative_children);
  tcase_add_test(tc, test_pkg_variants);
  tcase_add_test(tc, test_pkg_errors_are_told_apart);
  tcase_add_test(tc, test_a_variant_named_by_a_link_runs_sandboxed);
  suite_add_tcase(s, tc);
  return s;
}
