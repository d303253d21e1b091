/* shim_socket.h - a Unix socket the shim binds in a /tmp directory of its
 * own, so its path is short enough for a socket address whatever the
 * state directory (the console socket, the notify relay). */
#ifndef FERN_RUNNERS_OCI_SHIM_SOCKET_H
#define FERN_RUNNERS_OCI_SHIM_SOCKET_H

#include <stddef.h>

/* A socket of `type` (SOCK_STREAM | SOCK_CLOEXEC, ...) bound at
 * /tmp/PREFIX-XXXXXX/s, that path into `path`. -1 on failure, with
 * nothing left behind. */
int shim_socket_bind(const char *prefix, int type, char *path, size_t size);

/* Removes the socket at `path` (may be "") and its directory. */
void shim_socket_remove(const char *path);

#endif
