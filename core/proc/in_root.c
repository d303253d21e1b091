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

/* todo := link target + "/" + rest, without a library call that might
 * allocate. -1 (ENAMETOOLONG) when it does not fit. */
static int splice_link(char *todo, size_t size, const char *target,
                       size_t target_len, const char *rest) {
  char joined[PATH_MAX * 2];
  size_t rest_len = strlen(rest);
  if (target_len + 1 + rest_len + 1 > sizeof joined ||
      target_len + 1 + rest_len + 1 > size) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(joined, target, target_len);
  joined[target_len] = '/';
  memcpy(joined + target_len + 1, rest, rest_len + 1);
  memcpy(todo, joined, target_len + 1 + rest_len + 1);
  return 0;
}

int in_root_walk(int root_fd, const char *path, int flags, mode_t mode) {
  char todo[PATH_MAX * 2], comp[NAME_MAX + 1], target[PATH_MAX];
  size_t len = strlen(path);
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
    while (*rest == '/')
      rest++;
    if (n == 0 || (n == 1 && p[0] == '.' && *rest == '\0')) {
      int fd = openat(dir, ".", flags & ~O_CREAT, mode);
      close(dir);
      return fd;
    }
    if (n > NAME_MAX) {
      close(dir);
      errno = ENAMETOOLONG;
      return -1;
    }
    memcpy(comp, p, n);
    comp[n] = '\0';
    memmove(todo, rest, strlen(rest) + 1);
    if (strcmp(comp, ".") == 0)
      continue;
    struct stat st;
    int exists = fstatat(dir, comp, &st, AT_SYMLINK_NOFOLLOW) == 0;
    int last = todo[0] == '\0';
    if (exists && S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
      ssize_t t = readlinkat(dir, comp, target, sizeof target);
      if (t < 0 || (size_t)t >= sizeof target || ++links > IN_ROOT_LINKS_MAX ||
          splice_link(todo, sizeof todo, target, (size_t)t, todo) != 0) {
        if (t >= 0 && errno != ENAMETOOLONG)
          errno = ELOOP;
        close(dir);
        return -1;
      }
      continue;
    }
    if (last) {
      int fd = strcmp(comp, "..") == 0
                   ? (is_root(dir, root_fd) ? openat(dir, ".", flags, mode)
                                            : openat(dir, "..", flags, mode))
                   : openat(dir, comp, flags | O_NOFOLLOW, mode);
      close(dir);
      return fd;
    }
    int next = strcmp(comp, "..") == 0 && is_root(dir, root_fd)
                   ? openat(dir, ".", O_PATH | O_DIRECTORY | O_CLOEXEC)
                   : openat(dir, comp,
                            O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(dir);
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
