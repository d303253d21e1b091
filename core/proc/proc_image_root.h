/* proc_image_root.h - a program whose file system root is its package
 * (FERN_SPAWN_PACKAGE_ROOT), as an OSv program's root is its image.
 *
 * The child enters a mount namespace of its own, where the package is
 * bound and becomes `/` (pivot_root), with what OSv itself provides
 * beside the image's files: a /proc, the host's /dev, a tmpfs at /tmp,
 * and, read-only, the host's copies of the libraries OSv's kernel
 * supplies (core/elf.cc's supplied_modules: the C library, its loader,
 * libm, libpthread, libdl, librt, libresolv, libcrypt, libutil,
 * libstdc++, libaio) at the paths the host keeps them, where its loader
 * looks for them. Every path
 * inside the package is resolved as the image sees it (openat2
 * RESOLVE_IN_ROOT): an absolute symlink in it never leads to the host.
 *
 * The mount points are made in the package before the spawn (thread
 * pool); the child then runs system calls only, on what was planned. */
#ifndef FERN_CORE_PROC_IMAGE_ROOT_H
#define FERN_CORE_PROC_IMAGE_ROOT_H

#include <fern/fern.h>

/* /proc, /dev, /tmp, the loader and OSv's supplied libraries. */
#define PROC_ROOT_MOUNTS_MAX 20

typedef enum proc_root_mount_kind_e {
  PROC_ROOT_PROC,    /* a proc file system */
  PROC_ROOT_TMPFS,   /* an empty tmpfs */
  PROC_ROOT_BIND,    /* the host's `source`, recursively */
  PROC_ROOT_BIND_RO, /* the host's file `source`, read-only */
} proc_root_mount_kind;

typedef struct proc_root_mount_s {
  proc_root_mount_kind kind;
  char *source; /* binds: the host's real path */
  char *target; /* inside the package, relative */
} proc_root_mount;

typedef struct proc_image_root_s {
  char *dir; /* the package's real path */
  proc_root_mount mounts[PROC_ROOT_MOUNTS_MAX];
  int count;
  char fd_path[32]; /* the child's scratch: /proc/self/fd/N */
} proc_image_root;

/* Plans the root for the package at `package_dir` into `*out` and makes
 * the mount points missing in it. Thread pool. */
int proc_image_root_plan(const char *package_dir, proc_image_root **out,
                         fern_error_t *err);
void proc_image_root_free(proc_image_root *root);

/* In the child, before exec: enters the new root, whose working
 * directory is `/`. System calls only. -1 with errno on failure. */
int proc_image_root_enter(proc_image_root *root);

#endif
