/* proc_notify_dir.c - the directory of notify socket files (for programs
 * in a network namespace of their own, where fern's abstract names are
 * not). One per fern, made on first use as /tmp/fern-notify-XXXXXX, and
 * locked (flock) for as long as that fern lives: a fern that ended without
 * its release (SIGKILL, _exit) leaves it unlocked, and the next fern's
 * stale sweep removes it. A fern that finds its new directory locked
 * already lost it to such a sweep, and makes another. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"

#define NOTIFY_DIR_PARENT "/tmp"
#define NOTIFY_DIR_PREFIX "fern-notify-"
#define NOTIFY_DIR_TRIES 3

/* Makes and locks a new directory; -1 (errno set) if it cannot. */
static int make_locked(char *dir, size_t size) {
  for (int i = 0; i < NOTIFY_DIR_TRIES; i++) {
    snprintf(dir, size, NOTIFY_DIR_PARENT "/" NOTIFY_DIR_PREFIX "XXXXXX");
    if (mkdtemp(dir) == NULL)
      return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    /* Locked, and still there: a sweep may have taken it, removed it and
     * let go between mkdtemp and the lock. */
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 &&
        st.st_nlink > 0)
      return fd;
    if (fd >= 0)
      close(fd);
  }
  errno = EAGAIN;
  return -1;
}

int proc_notify_dir(proc_service *r, fern_error_t *err) {
  if (r->notify_dir[0] != '\0')
    return FERN_OK;
  char dir[sizeof r->notify_dir];
  int fd = make_locked(dir, sizeof dir);
  if (fd < 0)
    return fern_error_set(err, FERN_EIO, NULL,
                          "cannot make a directory for notify sockets: %s",
                          strerror(errno));
  r->notify_dir_fd = fd;
  snprintf(r->notify_dir, sizeof r->notify_dir, "%s", dir);
  return FERN_OK;
}

void proc_notify_dir_release(proc_service *r) {
  if (r->notify_dir[0] != '\0')
    rmdir(r->notify_dir); /* each run's socket file went with its run */
  if (r->notify_dir_fd >= 0)
    close(r->notify_dir_fd); /* after the rmdir: no sweep takes it early */
  r->notify_dir_fd = -1;
  r->notify_dir[0] = '\0';
}

/* Removes the directory `name` of NOTIFY_DIR_PARENT (open as `parent`) if
 * it is ours to remove and no fern holds it: 1 if it did. */
static int remove_if_abandoned(int parent, const char *name) {
  struct stat st;
  if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
    return 0;
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                    O_CLOEXEC);
  if (fd < 0)
    return 0;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd); /* its fern lives */
    return 0;
  }
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return 0;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      unlinkat(dirfd(d), e->d_name, 0); /* socket files */
  int removed = unlinkat(parent, name, AT_REMOVEDIR) == 0;
  closedir(d); /* after the removal: the lock is held until it is gone */
  return removed;
}

int proc_notify_dir_sweep(void) {
  int parent = open(NOTIFY_DIR_PARENT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = parent >= 0 ? fdopendir(dup(parent)) : NULL;
  int removed = 0;
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL)
    if (strncmp(e->d_name, NOTIFY_DIR_PREFIX, strlen(NOTIFY_DIR_PREFIX)) == 0)
      removed += remove_if_abandoned(parent, e->d_name);
  if (d != NULL)
    closedir(d);
  if (parent >= 0)
    close(parent);
  return removed;
}
