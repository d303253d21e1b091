/* in_root.c - see in_root.h. */
#include "in_root.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* `dir` is the root itself: ".." goes nowhere from there. */
static int is_root(int dir, int root_fd) {
  struct stat a, b;
  return fstat(dir, &a) == 0 && fstat(root_fd, &b) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* todo := link target + ("/" + rest, when there is a rest or the link
 * was named with a trailing slash), without a library call that might
 * allocate. -1 (ENAMETOOLONG) when it does not fit. */
static int splice_link(char *todo, size_t size, const char *target,
                       size_t target_len, const char *rest, int slash) {
  char joined[PATH_MAX * 2];
  size_t rest_len = strlen(rest), n = 0;
  if (target_len + 1 + rest_len + 1 > sizeof joined ||
      target_len + 1 + rest_len + 1 > size) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(joined, target, target_len);
  n = target_len;
  if (rest_len > 0 || slash)
    joined[n++] = '/';
  memcpy(joined + n, rest, rest_len + 1);
  memcpy(todo, joined, n + rest_len + 1);
  return 0;
}

/* Fails with `error`, closing `dir`. */
static int fail(int dir, int error) {
  close(dir);
  errno = error;
  return -1;
}

/* Opens the last component `comp` in `dir`, which is not a link to
 * follow: with a trailing slash it must be a directory, as the kernel
 * has it (EISDIR for a file to create, ENOTDIR for any other). */
static int open_last(int dir, int root_fd, const char *comp, int slash,
                     int exists, int flags, mode_t mode) {
  if (slash && !exists && (flags & O_CREAT))
    return fail(dir, EISDIR);
  if (slash)
    flags = (flags & ~(O_CREAT | O_EXCL)) | O_DIRECTORY;
  int fd = strcmp(comp, "..") == 0
               ? openat(dir, is_root(dir, root_fd) ? "." : "..", flags, mode)
               : openat(dir, comp, flags | O_NOFOLLOW, mode);
  int saved = errno;
  close(dir);
  errno = saved;
  return fd;
}

int in_root_walk(int root_fd, const char *path, int flags, mode_t mode) {
  char todo[PATH_MAX * 2], comp[NAME_MAX + 1], target[PATH_MAX];
  size_t len = strlen(path);
  if (len == 0) {
    errno = ENOENT;
    return -1;
  }
  if (len + 1 > sizeof todo) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(todo, path, len + 1);
  int dir = openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (int links = 0; dir >= 0;) {
    const char *p = todo;
    if (*p == '/') { /* absolute: from the root again */
      int again = openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
      close(dir);
      if ((dir = again) < 0)
        return -1;
    }
    while (*p == '/')
      p++;
    size_t n = strcspn(p, "/");
    const char *rest = p + n;
    int slash = *rest == '/';
    while (*rest == '/')
      rest++;
    if (n == 0 || (n == 1 && p[0] == '.' && *rest == '\0')) {
      if (flags & O_CREAT) /* the directory itself: nothing to create */
        return fail(dir, EISDIR);
      int fd = openat(dir, ".", flags, mode);
      int saved = errno;
      close(dir);
      errno = saved;
      return fd;
    }
    if (n > NAME_MAX)
      return fail(dir, ENAMETOOLONG);
    memcpy(comp, p, n);
    comp[n] = '\0';
    memmove(todo, rest, strlen(rest) + 1);
    if (strcmp(comp, ".") == 0)
      continue;
    struct stat st;
    int exists = fstatat(dir, comp, &st, AT_SYMLINK_NOFOLLOW) == 0;
    int last = todo[0] == '\0';
    /* The last link is not followed for O_NOFOLLOW (without a trailing
     * slash) nor for O_CREAT|O_EXCL, which must find nothing there. */
    int keep = last && !slash &&
               ((flags & O_NOFOLLOW) ||
                ((flags & O_CREAT) && (flags & O_EXCL)));
    if (exists && S_ISLNK(st.st_mode) && !keep) {
      if (++links > IN_ROOT_LINKS_MAX)
        return fail(dir, ELOOP);
      ssize_t t = readlinkat(dir, comp, target, sizeof target);
      if (t < 0)
        return fail(dir, errno);
      if ((size_t)t >= sizeof target ||
          splice_link(todo, sizeof todo, target, (size_t)t, todo,
                      last && slash) != 0)
        return fail(dir, ENAMETOOLONG);
      continue;
    }
    if (last)
      return open_last(dir, root_fd, comp, slash, exists, flags, mode);
    int next = strcmp(comp, "..") == 0 && is_root(dir, root_fd)
                   ? openat(dir, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)
                   : openat(dir, comp,
                            O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    close(dir);
    errno = saved;
    dir = next;
  }
  return -1;
}

int in_root_open(int root_fd, const char *path, int flags, mode_t mode) {
  struct open_how how = {.flags = (unsigned long long)flags,
                         .mode = flags & O_CREAT ? mode : 0,
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof how);
  if (fd >= 0 || errno != ENOSYS)
    return (int)fd;
  return in_root_walk(root_fd, path, flags, mode);
}
