/* serve_dir.c - the directory of protocol sockets and namespaces: one per
 * fern, /tmp/fern-svc-XXXXXX (0700), made on first need and locked (flock)
 * for as long as that fern lives. A fern that ended without removing it
 * (SIGKILL) leaves it unlocked, and the next fern that makes one removes
 * every abandoned one of its user first, as the notify directories are
 * swept (proc_notify_dir.c). Loop thread. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manager.h"
#include "serve.h"

#define SERVE_DIR_PARENT "/tmp"
#define SERVE_DIR_PREFIX "fern-svc-"

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

void fern__serve_remove_tree(const char *dir) {
  nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes SERVE_DIR_PARENT/name if it is this user's and no fern holds
 * its lock: 1 if it did. */
static int remove_if_abandoned(const char *name) {
  char path[256];
  struct stat st;
  snprintf(path, sizeof path, SERVE_DIR_PARENT "/%s", name);
  if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) ||
      st.st_uid != geteuid())
    return 0;
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return 0;
  int abandoned = flock(fd, LOCK_EX | LOCK_NB) == 0;
  if (abandoned)
    fern__serve_remove_tree(path);
  close(fd); /* after the removal: the lock is held until it is gone */
  return abandoned;
}

int fern__serve_dir_sweep(void) {
  DIR *d = opendir(SERVE_DIR_PARENT);
  int removed = 0;
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL)
    if (strncmp(e->d_name, SERVE_DIR_PREFIX, strlen(SERVE_DIR_PREFIX)) == 0)
      removed += remove_if_abandoned(e->d_name);
  if (d != NULL)
    closedir(d);
  return removed;
}

int fern__serve_dir(fern__manager *manager, fern_error_t *err) {
  if (manager->serve_dir[0] != '\0')
    return FERN_OK;
  fern__serve_dir_sweep();
  char dir[sizeof manager->serve_dir] =
      SERVE_DIR_PARENT "/" SERVE_DIR_PREFIX "XXXXXX";
  int fd = -1;
  /* Locked, and still there: a sweep may have taken it between mkdtemp
   * and the lock. */
  for (int tries = 0; tries < 3 && fd < 0; tries++) {
    snprintf(dir, sizeof dir, SERVE_DIR_PARENT "/" SERVE_DIR_PREFIX "XXXXXX");
    struct stat st;
    if (mkdtemp(dir) == NULL)
      break;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && (flock(fd, LOCK_EX | LOCK_NB) != 0 || fstat(fd, &st) != 0 ||
                    st.st_nlink == 0)) {
      close(fd);
      fd = -1;
    }
  }
  if (fd < 0)
    return fern_error_set(err, FERN_EIO, NULL,
                          "cannot make a directory for protocol sockets: %s",
                          strerror(errno));
  manager->serve_dir_fd = fd;
  snprintf(manager->serve_dir, sizeof manager->serve_dir, "%s", dir);
  return FERN_OK;
}

void fern__serve_dir_remove(fern__manager *manager) {
  if (manager->serve_dir[0] != '\0')
    fern__serve_remove_tree(manager->serve_dir);
  manager->serve_dir[0] = '\0';
  if (manager->serve_dir_fd >= 0)
    close(manager->serve_dir_fd); /* after the removal */
  manager->serve_dir_fd = -1;
}
