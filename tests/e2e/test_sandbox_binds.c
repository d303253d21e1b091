/* test_sandbox_binds.c - the sandbox shows its package and the files its
 * program loads as fern checked them, whatever their paths lead to by the
 * time bubblewrap mounts them: a library outside the package that another
 * user could change is refused, one replaced after its check is refused,
 * and a package swapped for a link after its check is not followed. The
 * swaps are made certain with fanotify (swap_at_open.c); the files and
 * users are real. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"
#include "elf_patch.h"

#define LIB_OWNER "fern-libowner"

/* A package with lib/ (empty), and beside it <pkg>-libs: alib/libtool.so,
 * the library; trigger/libtrigger.so, another; stage/libtool.so, a copy
 * for the swap to move into the package; and <pkg>-secret/libtool.so, a
 * file of the host no sandbox may show. */
typedef struct lib_tree_s {
  char pkg[256], libs[300], alib[320], lib[340], trigger[360], secret[300];
} lib_tree;

static void lib_tree_new(lib_tree *t) {
  char path[4200];
  e2e_package_new(t->pkg, sizeof t->pkg);
  snprintf(path, sizeof path, "%s/lib", t->pkg);
  ck_assert_int_eq(mkdir(path, 0755), 0);
  snprintf(t->libs, sizeof t->libs, "%s-libs", t->pkg);
  snprintf(t->alib, sizeof t->alib, "%s/alib", t->libs);
  snprintf(t->lib, sizeof t->lib, "%s/libtool.so", t->alib);
  snprintf(t->trigger, sizeof t->trigger, "%s/trigger/libtrigger.so", t->libs);
  snprintf(t->secret, sizeof t->secret, "%s-secret", t->pkg);
  const char *dirs[] = {t->libs, t->alib, t->secret, NULL};
  for (size_t i = 0; dirs[i] != NULL; i++)
    ck_assert_int_eq(mkdir(dirs[i], 0755), 0);
  const char *subs[] = {"/trigger", "/stage", NULL};
  for (size_t i = 0; subs[i] != NULL; i++) {
    snprintf(path, sizeof path, "%s%s", t->libs, subs[i]);
    ck_assert_int_eq(mkdir(path, 0755), 0);
  }
  e2e_package_copy(t->alib, ELF_PATCH_LIBTOOL, "libtool.so");
  e2e_package_copy(t->libs, ELF_PATCH_LIBTOOL, "stage/libtool.so");
  e2e_package_copy(t->libs, ELF_PATCH_LIBTOOL, "trigger/libtrigger.so");
  e2e_package_write(t->secret, "libtool.so", "a secret of the host\n");
}

static void lib_tree_remove(lib_tree *t) {
  e2e_package_remove(t->pkg);
  e2e_package_remove(t->libs);
  e2e_package_remove(t->secret);
}

/* meta/root.cm with the one sandboxed child /c, bin/NAME with `fields`. */
static void only_child(const char *pkg, const char *name, const char *fields) {
  char binary[64];
  snprintf(binary, sizeof binary, "bin/%s", name);
  e2e_package_program_of(pkg, "c", "sandbox", binary, fields);
  const char *names[] = {"c", NULL};
  e2e_package_root(pkg, names, 0);
}

static int cannot_sandbox(void) {
  if (access("/usr/bin/bwrap", X_OK) != 0) {
    fprintf(stderr, "skipped: bubblewrap is not installed\n");
    return 1;
  }
  return e2e_skip_under_valgrind("libseccomp probes the kernel with "
                                 "seccomp(2) calls valgrind does not run");
}

/* The reviewer's program, bin/needs: it needs libtool.so, then
 * libtrigger.so, found by DT_RPATH in the package's lib/ first, then in
 * alib, then in trigger; it prints the first line of alib/libtool.so. */
static void needs_libtool(const lib_tree *t) {
  char rpath[1000], fields[700];
  snprintf(rpath, sizeof rpath, "$ORIGIN/../lib:%s:%s/trigger", t->alib,
           t->libs);
  const elf_patch_entry needs[] = {{DT_NEEDED, "libtool.so"},
                                   {DT_NEEDED, "libtrigger.so"},
                                   {DT_RPATH, rpath}};
  elf_patch_tool(t->pkg, "needs", elf_patch_prepend_dynamic, needs, 3);
  snprintf(fields, sizeof fields, "\"args\": [\"cat\", \"%s\"]", t->lib);
  only_child(t->pkg, "needs", fields);
}

static const char *const run_args[] = {"run", "--config",
                                       "tests/config/sandbox.json", NULL, NULL};

/* The fern command line that runs the package at `pkg` sandboxed. */
static void args_for(const char *pkg, const char **args) {
  for (size_t i = 0; i < 5; i++)
    args[i] = run_args[i];
  args[3] = pkg;
}

/* The refusal of a library another user can change: it names the library
 * and the owner of its directory. */
static void assert_refused_for_owner(const e2e_proc *p, const lib_tree *t,
                                     uid_t uid) {
  char said[2048];
  snprintf(said, sizeof said,
           "%s/bin/needs loads %s, outside its package, and the sandbox binds "
           "a file from outside only if no one but root and this user can "
           "change it: its directory %s belongs to uid %u (" LIB_OWNER
           "), neither root nor this user",
           t->pkg, t->lib, t->alib, (unsigned)uid);
  e2e_assert_end(p, "/c", "cannot_start: ");
  e2e_assert_has(p->err, said);
}

/* The reviewer's tree with alib given to another user, LIB_OWNER, and
 * the command line that runs it. */
typedef struct owned_tree_s {
  lib_tree t;
  uid_t uid;
  const char *args[5];
} owned_tree;

/* 0, or -1 where the test does not apply (the reason printed). */
static int tree_of_another_user(owned_tree *o) {
  gid_t gid;
  if (cannot_sandbox() || e2e_test_user(LIB_OWNER, &o->uid, &gid) != 0)
    return -1;
  lib_tree_new(&o->t);
  needs_libtool(&o->t);
  ck_assert_int_eq(chown(o->t.alib, o->uid, gid), 0);
  args_for(o->t.pkg, o->args);
  return 0;
}

/* A library in a directory another user owns: that user could put
 * anything at its path before bubblewrap binds it, so the start is
 * refused, naming the library and its directory's owner. The same tree
 * with the directory given back to root runs: the refusal is the owner's
 * doing. */
START_TEST(test_sandbox_refuses_a_library_another_user_can_change) {
  owned_tree o;
  if (tree_of_another_user(&o) != 0)
    return;
  e2e_proc p;
  e2e_run(&p, 30000, o.args);
  assert_refused_for_owner(&p, &o.t, o.uid);
  e2e_assert_lacks(p.err, "[/c] ");
  e2e_free(&p);
  ck_assert_int_eq(chown(o.t.alib, 0, 0), 0);
  e2e_run(&p, 30000, o.args);
  e2e_assert_has(p.err, "[/c] \\x7fELF");
  e2e_assert_end(&p, "/c", "ok (exit 0)");
  e2e_free(&p);
  lib_tree_remove(&o.t);
}
END_TEST

/* The swap: the library staged beforehand moves into the package's lib/
 * (so the program still loads), alib is renamed away and a link to the
 * host's secret directory takes its place. Nothing here opens a library:
 * fern's open of one is being held. */
static void swap_library_directory(void *arg) {
  const lib_tree *t = arg;
  char staged[400], into[400];
  snprintf(staged, sizeof staged, "%s/stage/libtool.so", t->libs);
  snprintf(into, sizeof into, "%s/lib/libtool.so", t->pkg);
  ck_assert_int_eq(rename(staged, into), 0);
  e2e_replace_by_link(t->alib, t->secret);
}

/* The reviewer's reproduction: alib belongs to another user, who swaps it
 * for a link to a host directory once fern has checked alib/libtool.so
 * (here: when fern opens the next library). bubblewrap, binding the
 * library by its path, showed the host's file in its place; the sandbox
 * binds nothing the user could change, so the start is refused. */
START_TEST(test_sandbox_shows_no_host_file_through_a_swapped_library_path) {
  owned_tree o;
  if (tree_of_another_user(&o) != 0)
    return;
  e2e_proc p;
  if (e2e_run_swapping_at_open(&p, o.args, o.t.trigger, swap_library_directory,
                               &o.t) >= 0) {
    e2e_assert_lacks(p.err, "a secret of the host");
    assert_refused_for_owner(&p, &o.t, o.uid);
  }
  e2e_free(&p);
  lib_tree_remove(&o.t);
}
END_TEST

/* A library whose path is swapped while the search reads it (its open
 * held): the path the trusted check then resolves leads to another file,
 * which is not bound in its place; the start is refused. */
START_TEST(test_sandbox_refuses_a_library_replaced_while_it_is_checked) {
  if (cannot_sandbox())
    return;
  lib_tree t;
  lib_tree_new(&t);
  needs_libtool(&t);
  const char *args[5];
  args_for(t.pkg, args);
  e2e_proc p;
  int swapped =
      e2e_run_swapping_at_open(&p, args, t.lib, swap_library_directory, &t);
  if (swapped >= 0) {
    ck_assert_int_eq(swapped, 1);
    e2e_assert_lacks(p.err, "a secret of the host");
    e2e_assert_end(&p, "/c", "cannot_start: ");
    char said[1024];
    snprintf(said, sizeof said,
             "loads %s, which was replaced while it was checked", t.lib);
    e2e_assert_has(p.err, said);
  }
  e2e_free(&p);
  lib_tree_remove(&t);
}
END_TEST

/* The swap: the package is renamed away, and a link to a host directory
 * laid out as the package takes its place. */
static void swap_package(void *arg) {
  char decoy[400];
  snprintf(decoy, sizeof decoy, "%s-decoy", (const char *)arg);
  e2e_replace_by_link(arg, decoy);
}

/* <pkg>-decoy: a host directory laid out as the package, with a marker. */
static void make_decoy(const char *pkg, char *decoy, size_t size) {
  char bin[400];
  snprintf(decoy, size, "%s-decoy", pkg);
  snprintf(bin, sizeof bin, "%s/bin", decoy);
  ck_assert_int_eq(mkdir(decoy, 0755), 0);
  ck_assert_int_eq(mkdir(bin, 0755), 0);
  e2e_package_write(decoy, "bin/needs", "a program's place\n");
  e2e_package_write(decoy, "marker", "a directory of the host\n");
}

/* The reviewer's second reproduction: a library by absolute path outside
 * the package gives the time; once fern has read it, the package becomes
 * a link to a directory of the host. bubblewrap, binding the package by
 * its path, showed that directory as the package; the sandbox shows the
 * directory fern checked, bound through its descriptor. */
START_TEST(test_sandbox_binds_the_package_it_checked_not_a_link_in_its_place) {
  if (cannot_sandbox())
    return;
  lib_tree t;
  lib_tree_new(&t);
  char decoy[400], path[400], fields[600];
  const elf_patch_entry needs[] = {{DT_NEEDED, t.lib}};
  elf_patch_tool(t.pkg, "needs", elf_patch_prepend_dynamic, needs, 1);
  e2e_package_write(t.pkg, "marker", "the package\n");
  snprintf(fields, sizeof fields, "\"args\": [\"cat\", \"%s/marker\"]", t.pkg);
  only_child(t.pkg, "needs", fields);
  make_decoy(t.pkg, decoy, sizeof decoy);
  const char *args[5];
  args_for(t.pkg, args);
  e2e_proc p;
  int swapped = e2e_run_swapping_at_open(&p, args, t.lib, swap_package, t.pkg);
  if (swapped >= 0) {
    ck_assert_int_eq(swapped, 1);
    e2e_assert_lacks(p.err, "a directory of the host");
    e2e_assert_has(p.err, "[/c] the package\n");
    e2e_assert_end(&p, "/c", "ok (exit 0)");
  }
  e2e_free(&p);
  lib_tree_remove(&t);
  snprintf(path, sizeof path, "%s.checked", t.pkg);
  e2e_package_remove(path);
  e2e_package_remove(decoy);
}
END_TEST

/* The swap: the package is renamed away, and a link to the directory
 * holding it takes its place. */
static void swap_to_parent(void *arg) { e2e_replace_by_link(arg, "."); }

/* fern__package_open holds the file it checked from the moment it finds
 * it (a path descriptor, checked against the package as its path check
 * resolved it) and opens that very file for reading. Here the package
 * (box/pkg) is swapped, while its binary opens, for a link to box, whose
 * own bin/tool is another program (/bin/echo): resolved again, the
 * package would be box and its binary that one. The binary the check
 * found runs, and nothing else. */
START_TEST(test_a_file_opened_while_its_package_is_swapped_is_the_one_checked) {
  char box[256], pkg[300], binary[400];
  e2e_package_new(box, sizeof box);
  snprintf(binary, sizeof binary, "%s/bin/tool", box);
  ck_assert_int_eq(unlink(binary), 0);
  e2e_package_copy(box, "/bin/echo", "bin/tool");
  snprintf(pkg, sizeof pkg, "%s/pkg", box);
  const char *dirs[] = {"", "/meta", "/bin", NULL};
  for (size_t i = 0; dirs[i] != NULL; i++) {
    snprintf(binary, sizeof binary, "%s%s", pkg, dirs[i]);
    ck_assert_int_eq(mkdir(binary, 0755), 0);
  }
  e2e_package_copy(pkg, "tests/packages/progs/bin/tool", "bin/tool");
  e2e_package_program(pkg, "c", "elf", "\"args\": [\"print\", \"ran\"]");
  const char *names[] = {"c", NULL};
  e2e_package_root(pkg, names, 0);
  snprintf(binary, sizeof binary, "%s/bin/tool", pkg);
  const char *args[] = {"run", pkg, NULL};
  e2e_proc p;
  int swapped = e2e_run_swapping_at_open(&p, args, binary, swap_to_parent, pkg);
  if (swapped >= 0) {
    ck_assert_int_eq(swapped, 1);
    e2e_assert_has(p.err, "[/c] ran\n");
    e2e_assert_lacks(p.err, "[/c] print ran");
    e2e_assert_end(&p, "/c", "ok (exit 0)");
  }
  e2e_free(&p);
  e2e_package_remove(box);
}
END_TEST

Suite *sandbox_binds_suite(void) {
  Suite *s = suite_create("sandbox_binds");
  TCase *tc = tcase_create("sandbox_binds");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_sandbox_refuses_a_library_another_user_can_change);
  tcase_add_test(
      tc, test_sandbox_shows_no_host_file_through_a_swapped_library_path);
  tcase_add_test(tc,
                 test_sandbox_refuses_a_library_replaced_while_it_is_checked);
  tcase_add_test(
      tc, test_sandbox_binds_the_package_it_checked_not_a_link_in_its_place);
  tcase_add_test(tc,
                 test_a_file_opened_while_its_package_is_swapped_is_the_one_checked);
  suite_add_tcase(s, tc);
  return s;
}
