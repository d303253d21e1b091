/* in_root.h - opening a path inside a directory as if that directory
 * were the root (openat2's RESOLVE_IN_ROOT): ".." stops at it, and an
 * absolute symlink starts again from it, so nothing reached leaves it.
 * Where the kernel (before 5.6) or a tool (valgrind) has no openat2, the
 * path is walked component by component with the same rules. System
 * calls and string copies only: the spawn's child uses it. Holds no
 * state, so plugins build it in too (the capstan resolver). */
#ifndef FERN_CORE_PROC_IN_ROOT_H
#define FERN_CORE_PROC_IN_ROOT_H

#include <sys/types.h>

/* The follow-the-links budget, as the kernel's (MAXSYMLINKS). */
#define IN_ROOT_LINKS_MAX 40

/* Opens `path` inside `root_fd` with `flags` (and `mode` for O_CREAT).
 * A descriptor, or -1 with errno. */
int in_root_open(int root_fd, const char *path, int flags, mode_t mode);

/* The same by the component-by-component walk alone (what in_root_open
 * does without openat2; tests compare the two). */
int in_root_walk(int root_fd, const char *path, int flags, mode_t mode);

#endif
