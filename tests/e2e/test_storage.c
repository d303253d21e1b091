/* test_storage.c - storage as Fuchsia's storage capability: each component
 * that uses it gets a directory of its own in the backing directory,
 * keyed by its moniker (b:0/children/c:0/data) or by the instance id the
 * component id index pins; it survives the component's and fern's
 * restarts; two components never share one; a destroyed dynamic child's
 * is deleted, a static child's stays; the backing directory may be fern's
 * own (namespace_capabilities); a storage that cannot be given is the
 * user's cannot_start, named. */
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control_run.h"
#include "e2e.h"
#include "event_asserts.h"

#define SANDBOX_CONFIG "tests/config/elf-and-sandbox.json"

/* meta/NAME.cm: `runner` running bin/tool to count its runs in
 * data/count of the storage "data" it uses at /data. */
static void write_counter(const char *pkg, const char *name,
                          const char *runner) {
  char path[64], text[512];
  snprintf(path, sizeof path, "meta/%s.cm", name);
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"%s\", \"binary\": \"bin/tool\", "
           "\"args\": [\"ns-count\", \"data/count\"]},\n"
           " \"use\": [{\"storage\": \"data\", \"path\": \"/data\"}]}\n",
           runner);
  e2e_package_write(pkg, path, text);
}

/* The root shares var/ of its package as "state" and declares storage
 * "data" on it, offered to `to` (a JSON list); it has `children` and the
 * collection "workers"; meta/app.cm (ELF) and meta/boxed.cm (sandboxed) count runs
 * in data/count. */
static void write_storage_tree_root_only(const char *pkg, const char *children,
                                         const char *to) {
  char text[2048];
  snprintf(text, sizeof text,
           "{\"capabilities\": [\n"
           "   {\"directory\": \"state\", \"path\": \"var\", \"rights\": [\"rw*\"]},\n"
           "   {\"storage\": \"data\", \"from\": \"self\", \"backing_dir\": \"state\"}],\n"
           " \"children\": %s,\n"
           " \"collections\": [{\"name\": \"workers\", \"durability\": \"transient\"}],\n"
           " \"offer\": [{\"storage\": \"data\", \"from\": \"self\",\n"
           "   \"to\": %s}]}\n",
           children, to);
  e2e_package_write(pkg, "meta/root.cm", text);
}

static void write_storage_tree(const char *pkg, const char *children,
                               const char *to) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/var", pkg);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  write_storage_tree_root_only(pkg, children, to);
  write_counter(pkg, "app", "elf");
  write_counter(pkg, "boxed", "sandbox");
}

#define TWO_CHILDREN                                                           \
  "[{\"name\": \"app\", \"url\": \"#meta/app.cm\", \"startup\": \"eager\"},\n" \
  "  {\"name\": \"boxed\", \"url\": \"#meta/boxed.cm\", \"startup\": "       \
  "\"eager\"}]"

/* The number in the file `rel` of the package, or -1. */
static long count_in(const char *pkg, const char *rel) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", pkg, rel);
  FILE *f = fopen(path, "r");
  long n = -1;
  if (f != NULL) {
    if (fscanf(f, "%ld", &n) != 1)
      n = -1;
    fclose(f);
  }
  return n;
}

START_TEST(test_storage_is_each_components_own_and_outlives_fern) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) "
                              "calls valgrind does not run"))
    return;
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  write_storage_tree(pkg, TWO_CHILDREN, "[\"#app\", \"#boxed\"]");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  const char *args[] = {"run", "--config", SANDBOX_CONFIG, root, NULL};
  for (int run = 1; run <= 2; run++) {
    e2e_proc p;
    ck_assert_int_eq(e2e_run(&p, 60000, args), 0);
    char want[64];
    snprintf(want, sizeof want, "[/app] count %d\n", run);
    e2e_assert_has(p.err, want);
    snprintf(want, sizeof want, "[/boxed] count %d\n", run);
    e2e_assert_has(p.err, want);
    e2e_free(&p);
  }
  /* Fuchsia's layout: each its own, keyed by moniker. */
  ck_assert_int_eq(count_in(pkg, "var/app:0/data/count"), 2);
  ck_assert_int_eq(count_in(pkg, "var/boxed:0/data/count"), 2);
  e2e_package_remove(pkg);
}
END_TEST

/* A dynamic child's storage goes with the child; a static one's stays. */
START_TEST(test_a_destroyed_dynamic_childs_storage_is_deleted) {
  char pkg[4096], root[4200], dir[4200];
  e2e_package_new(pkg, sizeof pkg);
  write_storage_tree(
      pkg,
      "[{\"name\": \"app\", \"url\": \"#meta/app.cm\", \"startup\": "
      "\"eager\"}]",
      "[\"#app\", \"#workers\"]");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_running r;
  e2e_ctl_serve(&r, root);
  e2e_proc p;
  e2e_ctl_create_started(&r, "/workers", "w1", "#meta/app.cm");
  e2e_wait_end(&r.fern, "/workers:w1", "ok (exit 0)", 20000);
  ck_assert_int_eq(count_in(pkg, "var/workers:w1:0/data/count"), 1);
  ck_assert_int_eq(e2e_ctl(&r, &p, "destroy", "/workers:w1", NULL, NULL), 0);
  e2e_free(&p);
  /* The deletion runs on fern's thread pool; it says when it is done. */
  e2e_wait_for(&r.fern, "/workers:w1: destroyed: its storage", 20000);
  snprintf(dir, sizeof dir, "%s/var/workers:w1:0", pkg);
  ck_assert_int_ne(access(dir, F_OK), 0);
  e2e_ctl_finish(&r, 0);
  e2e_ctl_cleanup(&r);
  ck_assert_int_eq(count_in(pkg, "var/app:0/data/count"), 1);
  e2e_package_remove(pkg);
}
END_TEST

/* The backing directory may be fern's own (namespace_capabilities, as
 * component_manager's); a component the component id index names keeps
 * its storage under its instance id, so a move in the tree keeps it. */
START_TEST(test_root_storage_from_fern_keyed_by_instance_id) {
  char pkg[4096], root[4200], backing[4200], text[8192];
  e2e_package_new(pkg, sizeof pkg);
  snprintf(backing, sizeof backing, "%s/outside", pkg);
  ck_assert_int_eq(mkdir(backing, 0755), 0);
  static const char id[] =
      "8c90d44863ff67586cf6961081feba1f4e44b9e1cb6e6c3d30b10b2b0d8f1a01";
  snprintf(text, sizeof text,
           "{\"instances\": [{\"instance_id\": \"%s\", \"moniker\": "
           "\"/moved\"}]}\n",
           id);
  e2e_package_write(pkg, "index.json", text);
  snprintf(text, sizeof text,
           "{\"namespace_capabilities\": [{\"directory\": \"var\", \"path\": "
           "\"%s\", \"rights\": [\"rw*\"]}],\n"
           " \"component_id_index\": \"%s/index.json\"}\n",
           backing, pkg);
  e2e_package_write(pkg, "fern.json", text);
  write_counter(pkg, "app", "elf");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"capabilities\": [{\"storage\": \"data\", \"from\": \"parent\", "
      "\"backing_dir\": \"var\", \"subdir\": \"fern\"}],\n"
      " \"children\": [{\"name\": \"moved\", \"url\": \"#meta/app.cm\", "
      "\"startup\": \"eager\"},\n"
      "  {\"name\": \"plain\", \"url\": \"#meta/app.cm\", \"startup\": \"eager\"}],\n"
      " \"offer\": [{\"storage\": \"data\", \"from\": \"self\", \"to\": "
      "[\"#moved\", \"#plain\"]}]}\n");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  char config[4200];
  snprintf(config, sizeof config, "%s/fern.json", pkg);
  const char *args[] = {"run", "--config", config, root, NULL};
  e2e_proc p;
  ck_assert_int_eq(e2e_run(&p, 30000, args), 0);
  e2e_assert_has(p.err, "[/moved] count 1\n");
  e2e_assert_has(p.err, "[/plain] count 1\n");
  e2e_free(&p);
  char rel[256];
  snprintf(rel, sizeof rel, "outside/fern/%s/count", id);
  ck_assert_int_eq(count_in(pkg, rel), 1);
  ck_assert_int_eq(count_in(pkg, "outside/fern/plain:0/data/count"), 1);
  e2e_package_remove(pkg);
}
END_TEST

/* Storage that cannot be given: keyed by instance id only, for a component
 * the index does not name; backed by a directory given read-only. Each
 * user cannot start, and is told why; the rest runs. */
START_TEST(test_storage_that_cannot_be_given_is_named) {
  char pkg[4096], root[4200], dir[4200];
  e2e_package_new(pkg, sizeof pkg);
  snprintf(dir, sizeof dir, "%s/var", pkg);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  write_counter(pkg, "app", "elf");
  e2e_package_write(pkg, "meta/fine.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"print\", \"fine\"]}}\n");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"capabilities\": [\n"
      "   {\"directory\": \"state\", \"path\": \"var\", \"rights\": [\"rw*\"]},\n"
      "   {\"directory\": \"frozen\", \"path\": \"var\", \"rights\": [\"r*\"]},\n"
      "   {\"storage\": \"by-id\", \"from\": \"self\", \"backing_dir\": \"state\",\n"
      "    \"storage_id\": \"static_instance_id\"},\n"
      "   {\"storage\": \"cold\", \"from\": \"self\", \"backing_dir\": \"frozen\"}],\n"
      " \"children\": [{\"name\": \"nameless\", \"url\": \"#meta/app.cm\", \"startup\": \"eager\"},\n"
      "  {\"name\": \"chilled\", \"url\": \"#meta/app.cm\", \"startup\": \"eager\"},\n"
      "  {\"name\": \"fine\", \"url\": \"#meta/fine.cm\", \"startup\": \"eager\"}],\n"
      " \"offer\": [{\"storage\": \"by-id\", \"from\": \"self\", \"to\": \"#nameless\", \"as\": \"data\"},\n"
      "  {\"storage\": \"cold\", \"from\": \"self\", \"to\": \"#chilled\", \"as\": \"data\"}]}\n");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  const char *args[] = {"run", root, NULL};
  e2e_proc p;
  ck_assert_int_eq(e2e_run(&p, 30000, args), 1);
  e2e_assert_end(&p, "/nameless", "cannot_start");
  e2e_assert_has(p.err, "/nameless uses storage \"data\", which / keys by "
                        "instance id only");
  e2e_assert_end(&p, "/chilled", "cannot_start");
  e2e_assert_has(p.err, "/ backs its storage with directory \"frozen\" with "
                        "rights rw*, but / declares it with rights r* only");
  e2e_assert_end(&p, "/fine", "ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* fern storage lists whose storage is where and how big, and what no
 * component of the tree has any more (here /other, taken out of the
 * tree); --delete takes one away, and an unknown moniker is an error. */
START_TEST(test_fern_storage_lists_and_deletes) {
  char pkg[4096], root[4200], dir[4200];
  e2e_package_new(pkg, sizeof pkg);
  write_storage_tree(
      pkg,
      "[{\"name\": \"app\", \"url\": \"#meta/app.cm\", \"startup\": "
      "\"eager\"},\n  {\"name\": \"other\", \"url\": \"#meta/app.cm\", "
      "\"startup\": \"eager\"}]",
      "[\"#app\", \"#other\"]");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *run[] = {"run", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, run), 0);
  e2e_free(&p);
  const char *list[] = {"storage", "--json", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, list), 0);
  json_t *entries = json_loads(p.out, 0, NULL);
  ck_assert_uint_eq(json_array_size(entries), 2);
  size_t i;
  json_t *e;
  json_array_foreach(entries, i, e) {
    ck_assert(json_is_true(json_object_get(e, "in_tree")));
    ck_assert_int_eq(json_integer_value(json_object_get(e, "bytes")), 2);
  }
  json_decref(entries);
  e2e_free(&p);
  /* /other leaves the tree; its storage stays, and is listed as no one's. */
  write_storage_tree_root_only(
      pkg,
      "[{\"name\": \"app\", \"url\": \"#meta/app.cm\", \"startup\": "
      "\"eager\"}]",
      "[\"#app\"]");
  const char *plain[] = {"storage", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, plain), 0);
  e2e_assert_has(p.out, "/other ");
  e2e_assert_has(p.out, "var/other:0 (no such component in this tree)\n");
  e2e_free(&p);
  const char *del[] = {"storage", "--delete", "/other", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, del), 0);
  e2e_free(&p);
  snprintf(dir, sizeof dir, "%s/var/other:0", pkg);
  ck_assert_int_ne(access(dir, F_OK), 0);
  ck_assert_int_eq(count_in(pkg, "var/app:0/data/count"), 1);
  const char *none[] = {"storage", "--delete", "/nobody", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, none), 1);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* What a review found, each a case: fern check --tree passes a tree whose
 * storage is not made yet; two storages kept in one root would give two
 * components one directory, so the second is refused; a symlink planted
 * where a component's directory goes is not followed (that component
 * cannot start, and fern storage --delete does not reach through it); a file in the root that is no component's is never listed;
 * --delete of "/" is refused. */
START_TEST(test_storage_is_never_shared_nor_followed_out) {
  char pkg[4096], root[4200], path[4200], target[4200];
  e2e_package_new(pkg, sizeof pkg);
  snprintf(path, sizeof path, "%s/var", pkg);
  ck_assert_int_eq(mkdir(path, 0755), 0);
  snprintf(target, sizeof target, "%s/elsewhere", pkg);
  ck_assert_int_eq(mkdir(target, 0755), 0);
  e2e_package_write(pkg, "elsewhere/precious", "keep\n");
  e2e_package_write(pkg, "var/notes.txt", "not a component's\n");
  write_counter(pkg, "app", "elf");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"capabilities\": [\n"
      "   {\"directory\": \"state\", \"path\": \"var\", \"rights\": [\"rw*\"]},\n"
      "   {\"storage\": \"one\", \"from\": \"self\", \"backing_dir\": \"state\"},\n"
      "   {\"storage\": \"two\", \"from\": \"self\", \"backing_dir\": \"state\"}],\n"
      " \"children\": [{\"name\": \"a\", \"url\": \"#meta/app.cm\", \"startup\": \"eager\"},\n"
      "  {\"name\": \"b\", \"url\": \"#meta/app.cm\", \"startup\": \"eager\"},\n"
      "  {\"name\": \"linked\", \"url\": \"#meta/app.cm\", \"startup\": \"eager\"}],\n"
      " \"offer\": [{\"storage\": \"one\", \"from\": \"self\", \"to\": [\"#a\", \"#linked\"],\n"
      "   \"as\": \"data\"},\n"
      "  {\"storage\": \"two\", \"from\": \"self\", \"to\": \"#b\", \"as\": \"data\"}]}\n");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *check[] = {"check", "--tree", root, NULL};
  ck_assert_int_ne(e2e_run(&p, 30000, check), 0);
  e2e_assert_has(p.err, "give one a \"subdir\" of its own");
  e2e_assert_lacks(p.err, "No such file");
  e2e_free(&p);
  snprintf(path, sizeof path, "%s/var/linked:0", pkg);
  ck_assert_int_eq(symlink(target, path), 0);
  const char *run[] = {"run", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, run), 1);
  /* One of /a and /b came first; the other was refused. */
  ck_assert_int_eq(e2e_count(p.err, "give one a \"subdir\" of its own"), 1);
  e2e_assert_end(&p, "/linked", "cannot_start");
  e2e_assert_has(p.err, "a part of it is a symlink or no directory");
  e2e_free(&p);
  snprintf(path, sizeof path, "%s/elsewhere/data", pkg);
  ck_assert_int_ne(access(path, F_OK), 0);
  const char *list[] = {"storage", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, list), 0);
  e2e_assert_lacks(p.out, "notes.txt");
  e2e_free(&p);
  const char *del[] = {"storage", "--delete", "/linked", root, NULL};
  e2e_run(&p, 30000, del);
  e2e_free(&p);
  snprintf(path, sizeof path, "%s/elsewhere/precious", pkg);
  ck_assert_int_eq(access(path, F_OK), 0);
  const char *all[] = {"storage", "--delete", "/", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, all), 2);
  e2e_free(&p);
  snprintf(path, sizeof path, "%s/var/notes.txt", pkg);
  ck_assert_int_eq(access(path, F_OK), 0);
  e2e_package_remove(pkg);
}
END_TEST

Suite *storage_suite(void) {
  Suite *s = suite_create("storage");
  TCase *tc = tcase_create("storage");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_storage_is_each_components_own_and_outlives_fern);
  tcase_add_test(tc, test_a_destroyed_dynamic_childs_storage_is_deleted);
  tcase_add_test(tc, test_root_storage_from_fern_keyed_by_instance_id);
  tcase_add_test(tc, test_storage_that_cannot_be_given_is_named);
  tcase_add_test(tc, test_fern_storage_lists_and_deletes);
  tcase_add_test(tc, test_storage_is_never_shared_nor_followed_out);
  suite_add_tcase(s, tc);
  return s;
}
