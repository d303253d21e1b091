/* test_plugin_trust.c - a plugin runs inside fern, so every directory
 * above it counts: whoever may write one of them could swap in a directory
 * of their own between the check and the load. The test plugin marker.so
 * creates $FERN_TEST_MARK from its constructor, which shows whether any of
 * its code ran. */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

/* The other user: its own user and group, made once. */
#define OTHER "fern-plugswap"

typedef struct tree_s {
  char pkg[4096];
  char above[4200];   /* the directory whose owner and mode a test sets */
  char plugins[4300]; /* above/plugins, holding marker.so */
  char mark[4200];    /* what marker.so's constructor creates */
} tree;

/* PKG/above/plugins/marker.so, everything root's and 0755, and
 * FERN_TEST_MARK set for the fern the test starts. */
static void tree_new(tree *t) {
  e2e_package_new(t->pkg, sizeof t->pkg);
  ck_assert_int_eq(chmod(t->pkg, 0755), 0);
  snprintf(t->above, sizeof t->above, "%s/above", t->pkg);
  snprintf(t->plugins, sizeof t->plugins, "%s/plugins", t->above);
  snprintf(t->mark, sizeof t->mark, "%s/mark", t->pkg);
  ck_assert_int_eq(mkdir(t->above, 0755), 0);
  ck_assert_int_eq(mkdir(t->plugins, 0755), 0);
  char from[4200];
  snprintf(from, sizeof from, "%s/tests/plugins/marker.so", e2e_build());
  e2e_package_copy(t->plugins, from, "marker.so");
  setenv("FERN_TEST_MARK", t->mark, 1);
}

/* tree_new, and the other user's ids; -1 (the test returns) without one. */
static int tree_new_with_other(tree *t, uid_t *uid, gid_t *gid) {
  if (e2e_test_user(OTHER, uid, gid) != 0)
    return -1;
  tree_new(t);
  return 0;
}

static void tree_remove(tree *t) {
  unsetenv("FERN_TEST_MARK");
  e2e_package_remove(t->pkg);
}

/* Whether marker.so's code ran since the mark was last cleared. */
static int marker_ran(const tree *t) { return access(t->mark, F_OK) == 0; }

static void set_above(const tree *t, uid_t uid, gid_t gid, mode_t mode) {
  ck_assert_int_eq(chown(t->above, uid, gid), 0);
  ck_assert_int_eq(chmod(t->above, mode), 0);
}

/* `fern plugins` on the tree's plugin directory: marker.so listed as a
 * runner, or refused with `said` (a format taking the tree's `above`). */
static void expect_listing(const tree *t, const char *said) {
  unlink(t->mark);
  e2e_proc p;
  const char *args[] = {"plugins", "--plugin-dir", t->plugins, NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 0);
  if (said == NULL) {
    e2e_assert_has(p.out, "marker       runner           2.3");
    ck_assert_msg(marker_ran(t), "marker.so loaded but its code never ran");
  } else {
    char text[8400];
    snprintf(text, sizeof text, said, t->above);
    e2e_assert_has(p.err, "marker.so refused: ");
    e2e_assert_has(p.err, text);
    e2e_assert_has(p.out, "marker       refused");
    ck_assert_msg(!marker_ran(t), "refused, but its code ran");
  }
  e2e_free(&p);
}

/* Gives `dir` the access ACL user::rwx user:UID:rwx group::r-x mask::rwx
 * other::r-x (the xattr layout of linux/posix_acl_xattr.h). Returns -1 when
 * the file system has no ACLs. */
static int grant_user_write(const char *dir, uid_t uid) {
  struct __attribute__((packed)) {
    uint32_t version;
    struct __attribute__((packed)) {
      uint16_t tag, perm;
      uint32_t id;
    } e[5];
  } acl = {htole32(2),
           {{htole16(0x01), htole16(7), htole32(UINT32_MAX)},
            {htole16(0x02), htole16(7), htole32(uid)},
            {htole16(0x04), htole16(5), htole32(UINT32_MAX)},
            {htole16(0x10), htole16(7), htole32(UINT32_MAX)},
            {htole16(0x20), htole16(5), htole32(UINT32_MAX)}}};
  return setxattr(dir, "system.posix_acl_access", &acl, sizeof acl, 0);
}

/* A directory above the plugin's own that another user owns: they could
 * rename the plugin's directory away and their own into its place. */
START_TEST(test_plugin_under_another_users_directory_is_refused) {
  uid_t uid;
  gid_t gid;
  tree t;
  if (tree_new_with_other(&t, &uid, &gid) != 0)
    return;
  e2e_package_write(t.pkg, "meta/root.cm",
                    "{\"capabilities\": [{\"runner\": \"m\", \"plugin\": "
                    "\"marker\"}], \"environments\": [{\"name\": \"e\", "
                    "\"extends\": \"realm\", \"runners\": [{\"runner\": \"m\", "
                    "\"from\": \"self\"}]}], \"children\": [{\"name\": "
                    "\"victim\", \"url\": \"#meta/victim.cm\", \"startup\": "
                    "\"eager\", \"environment\": \"#e\"}, {\"name\": \"ok\", "
                    "\"url\": \"#meta/ok.cm\", \"startup\": \"eager\"}]}");
  e2e_package_program(t.pkg, "victim", "m", "\"args\": []");
  e2e_package_program(t.pkg, "ok", "elf", "\"args\": [\"print\", \"alive\"]");
  set_above(&t, uid, gid, 0755);
  e2e_proc p;
  const char *args[] = {"run", "--plugin-dir", t.plugins, t.pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  char said[8400];
  snprintf(said, sizeof said,
           "/victim: error: cannot_start: plugin %s/marker.so refused: the "
           "directory %s belongs to uid %u (" OTHER "), neither root nor this "
           "user",
           t.plugins, t.above, (unsigned)uid);
  e2e_assert_has(p.err, said);
  e2e_assert_has(p.err, "[/ok] alive");
  e2e_assert_end(&p, "/ok", "ok (exit 0)");
  ck_assert_msg(!marker_ran(&t), "refused, but its code ran");
  e2e_free(&p);
  /* The same tree, the directory given back to root: the plugin loads and
   * its code runs, so the mark is a real witness. */
  set_above(&t, 0, 0, 0755);
  unlink(t.mark);
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_end(&p, "/victim", "cannot_start: marker runs nothing");
  e2e_assert_end(&p, "/ok", "ok (exit 0)");
  ck_assert_msg(marker_ran(&t), "loaded, but its code never ran");
  e2e_free(&p);
  tree_remove(&t);
}
END_TEST

/* Writable above the plugin by everyone, or by a group another user is
 * in: refused like a foreign owner. */
START_TEST(test_writable_directories_above_a_plugin_are_refused) {
  uid_t uid;
  gid_t gid;
  tree t;
  if (tree_new_with_other(&t, &uid, &gid) != 0)
    return;
  set_above(&t, 0, 0, 0777);
  expect_listing(&t, "the directory %s is writable by other users (mode 0777)");
  set_above(&t, 0, gid, 0775);
  expect_listing(&t, "the directory %s is writable by its group " OTHER
                     " (mode 0775), and user " OTHER " is in that group");
  tree_remove(&t);
}
END_TEST

/* An ACL entry for a named user shows in the mode only as group write (the
 * group bits are the ACL's mask), with the group still root's: refused,
 * on the plugin file and on a directory above it. */
START_TEST(test_an_acl_that_lets_another_user_write_is_refused) {
  uid_t uid;
  gid_t gid;
  tree t;
  if (tree_new_with_other(&t, &uid, &gid) != 0)
    return;
  char file[4400];
  snprintf(file, sizeof file, "%s/marker.so", t.plugins);
  if (grant_user_write(file, uid) != 0) {
    fprintf(stderr, "skipped: %s has no POSIX ACLs\n", t.pkg);
    tree_remove(&t);
    return;
  }
  expect_listing(&t, "the file %s/plugins/marker.so has an access ACL whose "
                     "mask lets others write to it (mode 0775)");
  ck_assert_int_eq(removexattr(file, "system.posix_acl_access"), 0);
  ck_assert_int_eq(chmod(file, 0755), 0);
  ck_assert_int_eq(grant_user_write(t.above, uid), 0);
  expect_listing(&t, "the directory %s has an access ACL whose mask lets "
                     "others write to it (mode 0775)");
  tree_remove(&t);
}
END_TEST

/* Others cannot rename or remove what they do not own in a sticky
 * directory of root's (/tmp), and a group no one else is in (umask 002 with
 * root's group) lets no one else write: both are fine above a plugin. */
START_TEST(test_sticky_and_private_group_directories_above_are_fine) {
  tree t;
  tree_new(&t);
  set_above(&t, 0, 0, 01777);
  expect_listing(&t, NULL);
  set_above(&t, 0, 0, 0775);
  expect_listing(&t, NULL);
  tree_remove(&t);
}
END_TEST

Suite *plugin_trust_suite(void) {
  Suite *s = suite_create("plugin_trust");
  TCase *tc = tcase_create("plugin_trust");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_plugin_under_another_users_directory_is_refused);
  tcase_add_test(tc, test_writable_directories_above_a_plugin_are_refused);
  tcase_add_test(tc, test_an_acl_that_lets_another_user_write_is_refused);
  tcase_add_test(tc, test_sticky_and_private_group_directories_above_are_fine);
  suite_add_tcase(s, tc);
  return s;
}
