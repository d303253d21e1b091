/* trusted_open.h - opening a file that only root and the user fern runs as
 * can change: the file and every directory from its own up to "/". For the
 * plugins, which run inside fern, and what plugins take from outside any
 * package (host->open_trusted). */
#ifndef FERN_CORE_TRUSTED_OPEN_H
#define FERN_CORE_TRUSTED_OPEN_H

#include <stddef.h>

/* Resolves `path` once (realpath), checks who may change each directory
 * from the file's own up to "/", opens the file once (O_RDONLY, O_CLOEXEC,
 * O_NOFOLLOW) and checks it through the descriptor: the same inode the
 * path check saw, a regular file, owned by root or this user and writable
 * by no one else. Reads no byte of it. Returns the descriptor (the
 * caller's to close), or a negative FERN_E* code with the reason in `why`,
 * which names the file or directory and its owner or mode. Any thread. */
int fern__trusted_open(const char *path, char *why, size_t why_size);

#endif
