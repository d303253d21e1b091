/* proc_image_root.c - see proc_image_root.h. */
#include "proc_image_root.h"

#include "in_root.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define HOST_TRIPLET "x86_64-linux-gnu"
#define HOST_LOADER "lib64/ld-linux-x86-64.so.2"
#elif defined(__aarch64__)
#define HOST_TRIPLET "aarch64-linux-gnu"
#define HOST_LOADER "lib/ld-linux-aarch64.so.1"
#else
#error "the image root knows x86_64 and aarch64 hosts"
#endif

/* OSv's core/elf.cc, program::program: "Our kernel already supplies the
 * features of a bunch of traditional shared libraries" (its loader,
 * linux_dl_soname, comes from HOST_LOADER). The musl and Xen names have
 * no host copy here and are skipped when absent, as any other is. */
static const char *const supplied_modules[] = {
    "libresolv.so.2", "libc.so.6",    "libm.so.6",      "libpthread.so.0",
    "libdl.so.2",     "librt.so.1",   "libstdc++.so.6", "libaio.so.1",
    "libxenstore.so.3.0", "libcrypt.so.1", "libutil.so.1", NULL};

/* Where the host keeps them; the first found wins. */
static const char *const host_library_dirs[] = {
    "/lib/" HOST_TRIPLET, "/usr/lib/" HOST_TRIPLET, "/lib64", "/usr/lib64",
    "/usr/lib", "/lib", NULL};

/* Makes directory `path` ("a/b/c") inside the root, its parent resolved
 * as the image sees it; one there already is fine. */
static int make_dir_in_root(int root_fd, char *path) {
  char *name = strrchr(path, '/');
  if (name != NULL)
    *name = '\0';
  int parent = in_root_open(root_fd, name ? path : ".",
                                 O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (name != NULL)
    *name++ = '/';
  else
    name = path;
  if (parent < 0)
    return -1;
  int rc = mkdirat(parent, name, 0755);
  int saved = errno;
  close(parent);
  errno = saved;
  return rc == 0 || saved == EEXIST ? 0 : -1;
}

/* Makes directory `rel` and those above it inside the root. */
static int make_dirs_in_root(int root_fd, const char *rel) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s", rel);
  for (size_t end = 0;; end++) {
    char c = path[end];
    if (c != '/' && c != '\0')
      continue;
    path[end] = '\0';
    int rc = make_dir_in_root(root_fd, path);
    path[end] = c;
    if (rc != 0 || c == '\0')
      return rc;
  }
}

/* Makes the mount point of `m` inside the root: a directory, or an
 * empty file for a file bound. */
static int make_mount_point(int root_fd, const proc_root_mount *m) {
  if (m->kind != PROC_ROOT_BIND_RO)
    return make_dirs_in_root(root_fd, m->target);
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", m->target);
  char *slash = strrchr(dir, '/');
  if (slash != NULL) {
    *slash = '\0';
    if (make_dirs_in_root(root_fd, dir) != 0)
      return -1;
  }
  int fd = in_root_open(root_fd, m->target,
                         O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  close(fd);
  return 0;
}

/* What the mount point turned out to be, as the image resolves it (a
 * symlink of the image's own followed inside it): a directory, or for a
 * file bound a regular file. */
static int check_mount_point(int root_fd, const proc_root_mount *m) {
  int fd = in_root_open(root_fd, m->target, O_PATH | O_CLOEXEC, 0);
  struct stat st;
  int ok = fd >= 0 && fstat((int)fd, &st) == 0;
  int saved = errno;
  if (fd >= 0)
    close(fd);
  if (!ok) {
    errno = saved;
    return -1;
  }
  if (m->kind == PROC_ROOT_BIND_RO ? S_ISREG(st.st_mode) : S_ISDIR(st.st_mode))
    return 0;
  errno = m->kind == PROC_ROOT_BIND_RO ? EISDIR : ENOTDIR;
  return -1;
}

static int add(proc_image_root *root, proc_root_mount_kind kind,
               const char *source, const char *target) {
  if (root->count >= PROC_ROOT_MOUNTS_MAX)
    return 0;
  proc_root_mount *m = &root->mounts[root->count];
  m->kind = kind;
  m->source = source ? strdup(source) : NULL;
  m->target = strdup(target);
  root->count++; /* freed with the root, whole or not */
  return m->target == NULL || (source != NULL && m->source == NULL) ? -1 : 0;
}

/* The host's real path of library `name` into `out`, "" when it has
 * none, and the directory it was found in: it is bound there in the
 * image too, where the host's loader looks for it (Debian's in
 * lib/TRIPLET, others' in lib64). */
static const char *host_library(const char *name, char *out) {
  for (int i = 0; host_library_dirs[i] != NULL; i++) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", host_library_dirs[i], name);
    if (realpath(path, out) != NULL)
      return host_library_dirs[i];
  }
  out[0] = '\0';
  return NULL;
}

static int plan_mounts(proc_image_root *root) {
  char real[PATH_MAX];
  if (add(root, PROC_ROOT_PROC, NULL, "proc") != 0 ||
      add(root, PROC_ROOT_BIND, "/dev", "dev") != 0 ||
      add(root, PROC_ROOT_TMPFS, NULL, "tmp") != 0)
    return -1;
  if (realpath("/" HOST_LOADER, real) != NULL &&
      add(root, PROC_ROOT_BIND_RO, real, HOST_LOADER) != 0)
    return -1;
  for (int i = 0; supplied_modules[i] != NULL; i++) {
    char target[128];
    const char *dir = host_library(supplied_modules[i], real);
    snprintf(target, sizeof target, "%s/%s", dir ? dir + 1 : "",
             supplied_modules[i]);
    if (dir != NULL && add(root, PROC_ROOT_BIND_RO, real, target) != 0)
      return -1;
  }
  return 0;
}

void proc_image_root_free(proc_image_root *root) {
  if (root == NULL)
    return;
  for (int i = 0; i < root->count; i++) {
    free(root->mounts[i].source);
    free(root->mounts[i].target);
  }
  free(root->dir);
  free(root);
}

int proc_image_root_plan(const char *package_dir, proc_image_root **out,
                         fern_error_t *err) {
  if (geteuid() != 0)
    return fern_error_set(err, FERN_EACCES, "/root",
                          "a package as the program's root needs fern to run "
                          "as root: it makes a mount namespace");
  proc_image_root *root = calloc(1, sizeof *root);
  char real[PATH_MAX];
  if (root == NULL || realpath(package_dir, real) == NULL ||
      (root->dir = strdup(real)) == NULL || plan_mounts(root) != 0) {
    int rc = fern_error_set(err, root ? FERN_EIO : FERN_ENOMEM, "/root",
                            "package %s as the program's root: %s",
                            package_dir, strerror(errno));
    proc_image_root_free(root);
    return rc;
  }
  int root_fd = open(root->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    int rc = fern_error_set(err, FERN_EIO, "/root", "package %s: %s",
                            root->dir, strerror(errno));
    proc_image_root_free(root);
    return rc;
  }
  for (int i = 0; i < root->count; i++)
    if (make_mount_point(root_fd, &root->mounts[i]) != 0 ||
        check_mount_point(root_fd, &root->mounts[i]) != 0) {
      int rc = fern_error_set(err, FERN_EIO, "/root",
                              "cannot make /%s in package %s, where the "
                              "program's root needs it: %s",
                              root->mounts[i].target, root->dir,
                              strerror(errno));
      close(root_fd);
      proc_image_root_free(root);
      return rc;
    }
  close(root_fd);
  *out = root;
  return FERN_OK;
}

/* "/proc/self/fd/N" for `fd`, with no library call. */
static const char *fd_path(proc_image_root *root, int fd) {
  static const char prefix[] = "/proc/self/fd/";
  char digits[12];
  int n = 0;
  do {
    digits[n++] = (char)('0' + fd % 10);
    fd /= 10;
  } while (fd > 0 && n < 11);
  memcpy(root->fd_path, prefix, sizeof prefix - 1);
  for (int i = 0; i < n; i++)
    root->fd_path[sizeof prefix - 1 + i] = digits[n - 1 - i];
  root->fd_path[sizeof prefix - 1 + n] = '\0';
  return root->fd_path;
}

static int mount_one(proc_image_root *root, int root_fd,
                     const proc_root_mount *m) {
  int target = in_root_open(root_fd, m->target, O_PATH | O_CLOEXEC, 0);
  if (target < 0)
    return -1;
  const char *at = fd_path(root, target);
  int rc;
  switch (m->kind) {
  case PROC_ROOT_PROC:
    /* A container's masked /proc refuses a new one: bind it instead. */
    rc = mount("proc", at, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    if (rc != 0 && errno == EPERM)
      rc = mount("/proc", at, "none", MS_BIND | MS_REC, NULL);
    break;
  case PROC_ROOT_TMPFS:
    rc = mount("tmpfs", at, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    break;
  default:
    rc = mount(m->source, at, "none",
               MS_BIND | (m->kind == PROC_ROOT_BIND ? MS_REC : 0), NULL);
  }
  close(target);
  if (rc != 0 || m->kind != PROC_ROOT_BIND_RO)
    return rc;
  /* The bind's own mount, now on top there, made read-only. */
  if ((target = in_root_open(root_fd, m->target, O_PATH | O_CLOEXEC,
                                  0)) < 0)
    return -1;
  rc = mount("none", fd_path(root, target), "none",
             MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
  close(target);
  return rc;
}

int proc_image_root_enter(proc_image_root *root) {
  if (unshare(CLONE_NEWNS) != 0 ||
      mount("none", "/", "none", MS_REC | MS_SLAVE, NULL) != 0 ||
      mount(root->dir, root->dir, "none", MS_BIND | MS_REC, NULL) != 0)
    return -1;
  int root_fd = open(root->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return -1;
  for (int i = 0; i < root->count; i++)
    if (mount_one(root, root_fd, &root->mounts[i]) != 0)
      return -1;
  /* The old root goes under the new one and is detached from it. */
  if (fchdir(root_fd) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
      umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
    return -1;
  close(root_fd);
  return 0;
}
