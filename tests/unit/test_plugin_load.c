/* test_plugin_load.c - what fern loads is the very file it checked: it
 * opens the plugin once and loads it through that descriptor, as
 * /proc/self/fd/N. Uses the fixture plugins built into
 * FERN_BUILD/tests/plugins; marker.so creates $FERN_TEST_MARK from its
 * constructor, which shows whether any of its code ran. */
#include <fcntl.h>
#include <pwd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin.h"
#include "trusted_open.h"
#include "unit.h"

static char tmp[64], mark[128];

/* A fresh directory under /tmp (root's and sticky: fine above a plugin),
 * with FERN_TEST_MARK pointing into it. */
static void tmp_new(void) {
  snprintf(tmp, sizeof tmp, "/tmp/fern-load-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmp));
  snprintf(mark, sizeof mark, "%s/mark", tmp);
  setenv("FERN_TEST_MARK", mark, 1);
}

static void tmp_remove(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  ck_assert_int_eq(system(cmd), 0);
  unsetenv("FERN_TEST_MARK");
}

/* Copies fixture NAME.so to `to` (inside tmp) by a rename, as an
 * installer would replace a file. */
static void put_fixture(const char *name, const char *to) {
  char cmd[8400], staged[200];
  snprintf(staged, sizeof staged, "%s/staged", tmp);
  snprintf(cmd, sizeof cmd, "cp '%s/tests/plugins/%s.so' '%s'",
           unit_build_dir(), name, staged);
  ck_assert_int_eq(system(cmd), 0);
  ck_assert_int_eq(rename(staged, to), 0);
}

static fern__plugin *scanned(fern__plugin_registry *reg, const char *dir,
                             const char *name) {
  const char *dirs[] = {dir, NULL};
  ck_assert_int_eq(fern__plugins_scan(reg, dirs), FERN_OK);
  fern__plugin *p = fern__strmap_get(&reg->by_name, name);
  ck_assert_msg(p != NULL, "%s.so not found in %s", name, dir);
  return p;
}

/* Fixture NAME.so as the build left it. */
static fern__plugin *fixture(fern__plugin_registry *reg, const char *name) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/tests/plugins", unit_build_dir());
  return scanned(reg, dir, name);
}

/* The file at the path is replaced after the check and before the load:
 * what loads is the file that was checked, and the replacement's code
 * never runs. */
START_TEST(test_the_checked_file_is_the_one_loaded) {
  tmp_new();
  char path[128];
  snprintf(path, sizeof path, "%s/good.so", tmp);
  put_fixture("good", path);
  fern__plugin_registry reg;
  fern__plugin *p = scanned(&reg, tmp, "good");
  ck_assert_msg(fern__plugin_open_checked(p) == FERN_OK, "%s", p->load_error);
  put_fixture("marker", path);
  ck_assert_msg(fern__plugin_load_opened(p) == FERN_OK, "%s", p->load_error);
  ck_assert_ptr_nonnull(p->runner);
  ck_assert_str_eq(p->runner->name, "good");
  ck_assert_msg(access(mark, F_OK) != 0, "the replacement's code ran");
  fern__plugins_free(&reg);
  tmp_remove();
}
END_TEST

/* Each load is dlopen("/proc/self/fd/N"), and glibc hands back a library
 * already loaded under the same name: two plugins must never share N. */
START_TEST(test_two_plugins_load_one_after_the_other) {
  fern__plugin_registry reg;
  fern__plugin *good = fixture(&reg, "good");
  fern__plugin *marker = fern__strmap_get(&reg.by_name, "marker");
  ck_assert_msg(fern__plugin_load(good) == FERN_OK, "%s", good->load_error);
  ck_assert_msg(fern__plugin_load(marker) == FERN_OK, "%s", marker->load_error);
  ck_assert_str_eq(good->runner->name, "good");
  ck_assert_str_eq(marker->runner->name, "marker");
  ck_assert_ptr_ne(good->handle, marker->handle);
  fern__plugins_free(&reg);
}
END_TEST

/* Once a plugin is unloaded its descriptor's number is free again, and the
 * next plugin opened may get it: that one loads, not the old one. */
START_TEST(test_a_plugin_loads_after_another_was_unloaded) {
  tmp_new();
  fern__plugin_registry reg;
  fern__plugin *p = fixture(&reg, "good");
  ck_assert_int_eq(fern__plugin_load(p), FERN_OK);
  int fd = p->fd;
  fern__plugins_free(&reg);
  p = fixture(&reg, "marker");
  ck_assert_int_eq(fern__plugin_load(p), FERN_OK);
  ck_assert_int_eq(p->fd, fd);
  ck_assert_str_eq(p->runner->name, "marker");
  ck_assert_msg(access(mark, F_OK) == 0, "marker.so's code never ran");
  fern__plugins_free(&reg);
  tmp_remove();
}
END_TEST

START_TEST(test_dlopen_errors_name_the_plugin_file) {
  fern__plugin_registry reg;
  fern__plugin *p = fixture(&reg, "unresolved");
  ck_assert_int_eq(fern__plugin_load(p), FERN_EIO);
  char said[4400];
  snprintf(said, sizeof said, "%s: undefined symbol: ", p->path);
  ck_assert_msg(strstr(p->load_error, said) != NULL, "expected \"%s\" in %s",
                said, p->load_error);
  ck_assert_msg(strstr(p->load_error, "/proc/self/fd") == NULL,
                "names the descriptor, not the file: %s", p->load_error);
  ck_assert_int_eq(p->fd, -1);
  fern__plugins_free(&reg);
}
END_TEST

/* Opening a FIFO for reading waits for a writer: it is refused unopened. */
START_TEST(test_a_fifo_is_refused_unopened) {
  tmp_new();
  char path[128], why[512];
  snprintf(path, sizeof path, "%s/fifo.so", tmp);
  ck_assert_int_eq(mkfifo(path, 0644), 0);
  ck_assert_int_eq(fern__trusted_open(path, why, sizeof why), FERN_ENOEXEC);
  ck_assert_ptr_nonnull(strstr(why, "is not a regular file"));
  tmp_remove();
}
END_TEST

/* The check walks the user database (is a group someone's primary
 * group?), whose reading position the whole process shares: from several
 * threads at once (the sandbox checks libraries on worker threads) no
 * walk may cut another short and let a group-writable directory pass. */
#define CHECKERS 4
#define CHECKS 5000

static void *check_often(void *path) {
  char why[512];
  long passed = 0;
  for (int i = 0; i < CHECKS; i++) {
    int fd = fern__trusted_open(path, why, sizeof why);
    if (fd >= 0) {
      close(fd);
      passed++;
    }
  }
  return (void *)passed;
}

/* A user of its own group, made for the test: the last entry of the user
 * database, where a walk cut short never gets to. */
static struct passwd *walk_user(void) {
  if (getuid() != 0) {
    fprintf(stderr, "skipped: needs root to make a user\n");
    return NULL;
  }
  struct passwd *pw = getpwnam("fern-unit-walk");
  if (pw == NULL)
    ck_assert_int_eq(system("useradd --system --no-create-home --user-group "
                            "--shell /usr/sbin/nologin fern-unit-walk"),
                     0);
  pw = getpwnam("fern-unit-walk");
  ck_assert_ptr_nonnull(pw);
  return pw;
}

START_TEST(test_the_check_holds_on_many_threads_at_once) {
  struct passwd *owner = walk_user();
  if (owner == NULL)
    return;
  gid_t group = owner->pw_gid;
  tmp_new();
  char dir[128], path[160];
  snprintf(dir, sizeof dir, "%s/shared", tmp);
  ck_assert_int_eq(mkdir(dir, 0775), 0);
  ck_assert_int_eq(chown(dir, 0, group), 0);
  ck_assert_int_eq(chmod(dir, 0775), 0);
  snprintf(path, sizeof path, "%s/lib.so", dir);
  put_fixture("good", path);
  pthread_t threads[CHECKERS];
  for (int i = 0; i < CHECKERS; i++)
    ck_assert_int_eq(pthread_create(&threads[i], NULL, check_often, path), 0);
  long passed = 0;
  for (int i = 0; i < CHECKERS; i++) {
    void *n;
    pthread_join(threads[i], &n);
    passed += (long)n;
  }
  ck_assert_msg(passed == 0, "%ld of %d checks let %s pass", passed,
                CHECKERS * CHECKS, dir);
  tmp_remove();
}
END_TEST

Suite *plugin_load_suite(void) {
  Suite *s = suite_create("plugin_load");
  TCase *tc = tcase_create("plugin_load");
  /* 20,000 trust checks on four threads: under ASan on a loaded two-CPU
   * machine they outran Check's default 4 s. Nothing here is timed. */
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_the_checked_file_is_the_one_loaded);
  tcase_add_test(tc, test_two_plugins_load_one_after_the_other);
  tcase_add_test(tc, test_a_plugin_loads_after_another_was_unloaded);
  tcase_add_test(tc, test_dlopen_errors_name_the_plugin_file);
  tcase_add_test(tc, test_a_fifo_is_refused_unopened);
  tcase_add_test(tc, test_the_check_holds_on_many_threads_at_once);
  suite_add_tcase(s, tc);
  return s;
}
