/* test_in_root.c - opening paths inside a directory as its root: the
 * component walk (for kernels and tools without openat2) against
 * openat2's RESOLVE_IN_ROOT, on a tree of absolute and relative links,
 * ".." past the top, a loop, and a file created through a link. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/proc/in_root.h"
#include "unit.h"

static char top[64];

/* top/{a/b/file, abs -> /a, rel -> a/b, up -> ../../.., loop -> loop,
 *      deep -> /abs/b, dangling -> /nowhere} */
static int make_tree(void) {
  snprintf(top, sizeof top, "/tmp/fern-in-root-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(top));
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "cd '%s' && mkdir -p a/b && echo in > a/b/file && "
           "ln -s /a abs && ln -s a/b rel && ln -s ../../.. up && "
           "ln -s loop loop && ln -s /abs/b deep && ln -s /nowhere dangling",
           top);
  ck_assert_int_eq(system(cmd), 0);
  int fd = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  return fd;
}

static void remove_tree(int fd) {
  close(fd);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
  ck_assert_int_eq(system(cmd), 0);
}

/* Where `fd` is, relative to the top ("" for the top), and closes it. */
static void where(int fd, char *out, size_t size) {
  char link[64], real[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, real, sizeof real - 1);
  close(fd);
  ck_assert_int_gt(n, 0);
  real[n] = '\0';
  size_t len = strlen(top);
  ck_assert_msg(strncmp(real, top, len) == 0, "%s is outside %s", real, top);
  snprintf(out, size, "%s", real[len] == '/' ? real + len + 1 : real + len);
}

START_TEST(test_the_walk_resolves_as_openat2_does) {
  int root = make_tree();
  static const struct {
    const char *path, *lands;
  } cases[] = {
      {"a/b/file", "a/b/file"},   {"abs/b/file", "a/b/file"},
      {"rel/file", "a/b/file"},   {"up/a/b/file", "a/b/file"},
      {"/../../a", "a"},          {"deep/file", "a/b/file"},
      {"a/../rel/./file", "a/b/file"}, {".", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char walked[PATH_MAX], kernel[PATH_MAX];
    int fd = in_root_walk(root, cases[i].path, O_PATH | O_CLOEXEC, 0);
    ck_assert_msg(fd >= 0, "%s: %s", cases[i].path, strerror(errno));
    where(fd, walked, sizeof walked);
    ck_assert_str_eq(walked, cases[i].lands);
    fd = in_root_open(root, cases[i].path, O_PATH | O_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    where(fd, kernel, sizeof kernel);
    ck_assert_str_eq(kernel, walked);
  }
  remove_tree(root);
}
END_TEST

/* Both fail, with the same errno. */
static void both_refuse(int root, const char *path, int flags, int error) {
  errno = 0;
  ck_assert_int_eq(in_root_walk(root, path, flags, 0644), -1);
  ck_assert_msg(errno == error, "walk %s: %s", path, strerror(errno));
  errno = 0;
  ck_assert_int_eq(in_root_open(root, path, flags, 0644), -1);
  ck_assert_msg(errno == error, "openat2 %s: %s", path, strerror(errno));
}

START_TEST(test_the_walk_refuses_what_openat2_refuses) {
  int root = make_tree();
  both_refuse(root, "loop", O_PATH | O_CLOEXEC, ELOOP);
  both_refuse(root, "dangling", O_PATH | O_CLOEXEC, ENOENT);
  both_refuse(root, "a/b/file/", O_RDONLY | O_CLOEXEC, ENOTDIR);
  both_refuse(root, "a/b/new/", O_WRONLY | O_CREAT | O_CLOEXEC, EISDIR);
  both_refuse(root, "abs", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, EEXIST);
  both_refuse(root, "", O_PATH | O_CLOEXEC, ENOENT);
  /* O_NOFOLLOW opens the last link itself, or refuses to, as open does. */
  int fd = in_root_walk(root, "abs", O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
  ck_assert_int_ge(fd, 0);
  struct stat st;
  ck_assert_int_eq(fstat(fd, &st), 0);
  ck_assert(S_ISLNK(st.st_mode));
  close(fd);
  remove_tree(root);
}
END_TEST

START_TEST(test_a_file_made_through_a_link_stays_inside) {
  int root = make_tree();
  int fd = in_root_walk(root, "abs/b/new", O_WRONLY | O_CREAT | O_CLOEXEC,
                        0644);
  ck_assert_int_ge(fd, 0);
  close(fd);
  char path[128];
  snprintf(path, sizeof path, "%s/a/b/new", top);
  ck_assert_int_eq(access(path, F_OK), 0);
  ck_assert_int_ne(access("/a/b/new", F_OK), 0);
  /* Through a dangling absolute link as the last component, as a mount
   * point is made: the file appears inside, at the link's target. */
  fd = in_root_walk(root, "dangling", O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  ck_assert_int_ge(fd, 0);
  close(fd);
  snprintf(path, sizeof path, "%s/nowhere", top);
  ck_assert_int_eq(access(path, F_OK), 0);
  ck_assert_int_ne(access("/nowhere", F_OK), 0);
  /* A trailing slash on a link to a directory follows it. */
  char walked[PATH_MAX];
  fd = in_root_walk(root, "abs/", O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
  ck_assert_int_ge(fd, 0);
  where(fd, walked, sizeof walked);
  ck_assert_str_eq(walked, "a");
  remove_tree(root);
}
END_TEST

Suite *in_root_suite(void) {
  Suite *s = suite_create("in_root");
  TCase *tc = tcase_create("in_root");
  tcase_add_test(tc, test_the_walk_resolves_as_openat2_does);
  tcase_add_test(tc, test_the_walk_refuses_what_openat2_refuses);
  tcase_add_test(tc, test_a_file_made_through_a_link_stays_inside);
  suite_add_tcase(s, tc);
  return s;
}
