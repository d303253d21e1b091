/* locked_dir.c - see locked_dir.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "locked_dir.h"

#define LOCKED_DIR_TRIES 3

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

void fern__remove_tree(const char *dir) {
  nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int fern__locked_dir_make(const char *parent, const char *prefix, char *path,
                          size_t size) {
  for (int i = 0; i < LOCKED_DIR_TRIES; i++) {
    snprintf(path, size, "%s/%sXXXXXX", parent, prefix);
    if (mkdtemp(path) == NULL)
      return -1;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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

/* Removes PARENT/NAME if it is this user's and no fern holds it: 1 if it
 * did. */
static int remove_if_abandoned(const char *parent, const char *name) {
  char path[512];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", parent, name);
  if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) ||
      st.st_uid != geteuid())
    return 0;
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return 0;
  int abandoned = flock(fd, LOCK_EX | LOCK_NB) == 0;
  if (abandoned)
    fern__remove_tree(path);
  close(fd); /* after the removal: the lock is held until it is gone */
  return abandoned;
}

int fern__locked_dir_sweep(const char *parent, const char *prefix) {
  DIR *d = opendir(parent);
  int removed = 0;
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL)
    if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
      removed += remove_if_abandoned(parent, e->d_name);
  if (d != NULL)
    closedir(d);
  return removed;
}
