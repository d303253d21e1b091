/* locked_dir.h - a private directory in /tmp that a fern holds locked
 * (flock) for as long as it lives: one a fern left behind (SIGKILL, _exit)
 * is unlocked, and the next fern's sweep removes it. The notify sockets'
 * (proc_notify_dir.c) and the protocol sockets' (serve_dir.c). */
#ifndef FERN_CORE_LOCKED_DIR_H
#define FERN_CORE_LOCKED_DIR_H

#include <stddef.h>

/* Makes PARENT/PREFIXXXXXXX (0700) into `path` and locks it: the locked
 * descriptor, kept open while the directory is in use, or -1 (errno). */
int fern__locked_dir_make(const char *parent, const char *prefix, char *path,
                          size_t size);
/* Removes every PARENT/PREFIX* of this user that no fern holds locked, and
 * what is in it: how many. */
int fern__locked_dir_sweep(const char *parent, const char *prefix);
/* Removes `dir` and everything below it (symlinks are not followed). */
void fern__remove_tree(const char *dir);

#endif
