/* package_path.c - see package_path.h. The path is checked twice: lexically
 * first (so ".." is refused even when it would happen to land inside), then
 * by realpath, which is what catches a symlink that leads out. */
#include "package_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path_within.h"

int fern__relative_path_ok(const char *relative, fern_error_t *err) {
  if (relative == NULL || relative[0] == '\0')
    return fern_error_set(err, FERN_EINVAL, NULL, "the path is empty");
  if (relative[0] == '/')
    return fern_error_set(err, FERN_EACCES, NULL,
                          "\"%s\" is an absolute path; paths are relative to "
                          "the package",
                          relative);
  const char *segment = relative;
  for (;;) {
    const char *end = strchr(segment, '/');
    size_t len = end ? (size_t)(end - segment) : strlen(segment);
    if (len == 0)
      return fern_error_set(err, FERN_EINVAL, NULL,
                            "\"%s\" has an empty path segment", relative);
    if ((len == 1 && segment[0] == '.') ||
        (len == 2 && segment[0] == '.' && segment[1] == '.'))
      return fern_error_set(err, FERN_EACCES, NULL,
                            "\"%s\" has a \"%.*s\" segment; nothing may reach "
                            "outside its package",
                            relative, (int)len, segment);
    if (end == NULL)
      return FERN_OK;
    segment = end + 1;
  }
}

/* fern__package_path, with the package's real path as it was resolved for
 * the check in `root` (PATH_MAX bytes). */
static int resolve_in_package(const char *package_dir, const char *relative,
                              char *root, char *out, size_t out_size,
                              fern_error_t *err) {
  int rc = fern__relative_path_ok(relative, err);
  if (rc != FERN_OK)
    return rc;
  if (realpath(package_dir, root) == NULL)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "package directory %s: %s", package_dir,
                          strerror(errno));
  char joined[PATH_MAX * 2];
  snprintf(joined, sizeof joined, "%s/%s", root, relative);
  char real[PATH_MAX];
  if (realpath(joined, real) == NULL)
    return fern_error_set(err, errno == ENOENT ? FERN_ENOENT : FERN_EIO, NULL,
                          "\"%s\" in package %s: %s", relative, root,
                          strerror(errno));
  if (!fern__path_within(real, root))
    return fern_error_set(err, FERN_EACCES, NULL,
                          "\"%s\" in package %s leads outside the package "
                          "(through a symlink, to %s)",
                          relative, root, real);
  if (strlen(real) + 1 > out_size)
    return fern_error_set(err, FERN_EINVAL, NULL, "path too long: %s", real);
  memcpy(out, real, strlen(real) + 1);
  return FERN_OK;
}

int fern__package_path(const char *package_dir, const char *relative,
                       char *out, size_t out_size, fern_error_t *err) {
  char root[PATH_MAX];
  return resolve_in_package(package_dir, relative, root, out, out_size, err);
}

static const char *file_kind(mode_t mode) {
  if (S_ISFIFO(mode))
    return "a FIFO (named pipe)";
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISCHR(mode) || S_ISBLK(mode))
    return "a device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

/* Where the open file really is, and that it is a regular file (or, with
 * `directory`, a directory): whatever the path did between its check and
 * the open, this is what was opened. */
static int check_opened_as(int fd, const char *relative, const char *root,
                           int directory, fern_error_t *err) {
  struct stat st;
  char link[64], where[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, where, sizeof where - 1);
  if (fstat(fd, &st) != 0 || n <= 0)
    return fern_error_set(err, FERN_EIO, NULL, "\"%s\" in package %s: %s",
                          relative, root, strerror(errno));
  where[n] = '\0';
  if (!fern__path_within(where, root))
    return fern_error_set(err, FERN_EACCES, NULL,
                          "\"%s\" in package %s leads outside the package "
                          "(it was changed while it was opened, to %s)",
                          relative, root, where);
  if (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "\"%s\" in package %s is %s, not a %s", relative,
                          root,
                          S_ISDIR(st.st_mode) ? "a directory"
                                              : file_kind(st.st_mode),
                          directory ? "directory" : "regular file");
  return FERN_OK;
}

static int check_opened(int fd, const char *relative, const char *root,
                        fern_error_t *err) {
  return check_opened_as(fd, relative, root, 0, err);
}

/* The very file `path_fd` holds, opened for reading. O_NONBLOCK: a file
 * another process holds a lease on would wait for the lease to break. */
static int reopen_for_reading(int path_fd, const char *relative,
                              const char *out, fern_error_t *err) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", path_fd);
  int fd = open(link, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return fern_error_set(err, errno == EWOULDBLOCK ? FERN_EACCES : FERN_EIO,
                          NULL, "\"%s\" in package %s: %s", relative, out,
                          errno == EWOULDBLOCK
                              ? "another process holds a lease on it"
                              : strerror(errno));
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    int saved = errno;
    close(fd);
    return fern_error_set(err, FERN_EIO, NULL, "\"%s\": %s", relative,
                          strerror(saved));
  }
  return fd;
}

int fern__package_open(const char *package_dir, const char *relative,
                       char *out, size_t out_size, fern_error_t *err) {
  char root[PATH_MAX];
  int rc =
      resolve_in_package(package_dir, relative, root, out, out_size, err);
  if (rc != FERN_OK)
    return rc;
  /* First a path descriptor, which opens nothing (a device's open may
   * act, a FIFO's waits for a writer): checked for what and where it is
   * against the package as the path check resolved it (resolving it again
   * would follow a package swapped meanwhile for a link, pkg -> ..).
   * O_NOFOLLOW: `out` has no symlink left in it. */
  int path_fd = open(out, O_PATH | O_CLOEXEC | O_NOFOLLOW);
  if (path_fd < 0)
    return fern_error_set(err, FERN_EIO, NULL, "\"%s\" in package %s: %s",
                          relative, out, strerror(errno));
  rc = check_opened(path_fd, relative, root, err);
  int fd = rc == FERN_OK ? reopen_for_reading(path_fd, relative, out, err) : rc;
  close(path_fd);
  return fd;
}

int fern__package_open_dir(const char *package_dir, const char *relative,
                           char *out, size_t out_size, fern_error_t *err) {
  char root[PATH_MAX];
  int rc = FERN_OK;
  if (relative[0] != '\0')
    rc = resolve_in_package(package_dir, relative, root, out, out_size, err);
  else if (realpath(package_dir, root) == NULL)
    rc = fern_error_set(err, FERN_ENOENT, NULL, "package directory %s: %s",
                        package_dir, strerror(errno));
  else if (strlen(root) + 1 > out_size)
    rc = fern_error_set(err, FERN_EINVAL, NULL, "path too long: %s", root);
  else
    memcpy(out, root, strlen(root) + 1);
  if (rc != FERN_OK)
    return rc;
  int fd = open(out, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return fern_error_set(err, errno == ENOTDIR ? FERN_EINVAL : FERN_EIO, NULL,
                          "\"%s\" in package %s: %s", relative, out,
                          strerror(errno));
  rc = check_opened_as(fd, relative, root, 1, err);
  if (rc != FERN_OK) {
    close(fd);
    return rc;
  }
  return fd;
}

char *fern__package_read_fd(int fd, size_t room, size_t *len) {
  size_t cap = 4096, used = 0;
  char *text = malloc(cap);
  ssize_t n = 1;
  while (text != NULL && n > 0) {
    if (used + 1 == cap) {
      char *grown = used > room ? NULL : realloc(text, cap * 2);
      if (grown == NULL)
        break;
      text = grown;
      cap *= 2;
    }
    n = read(fd, text + used, cap - used - 1);
    used += n > 0 ? (size_t)n : 0;
  }
  *len = used;
  if (text == NULL || n != 0 || used > room) {
    free(text);
    return NULL;
  }
  text[used] = '\0';
  return text;
}
