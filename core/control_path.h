/* control_path.h - where a control socket lives, and whether what is found
 * there can be trusted. Both ends check: the fern that serves a socket
 * checks its directory before it binds; a client checks the directory
 * before it connects and, once connected, that the process serving the
 * socket runs as its own user. Another local user can make a directory
 * under a world-writable /tmp first and serve a socket there; neither end
 * may then believe it. */
#ifndef FERN_CORE_CONTROL_PATH_H
#define FERN_CORE_CONTROL_PATH_H

#include <fern/fern.h>
#include <sys/types.h>

/* $XDG_RUNTIME_DIR/fern/control.sock; without it, root's
 * /run/fern/control.sock and another user's /tmp/fern-UID/control.sock. */
int fern__control_default_path(char *out, size_t size);

/* The directory that holds the socket at `path` ("." for a bare name). */
void fern__control_dir_of(const char *path, char *dir, size_t size);

/* Checks that `dir` is a directory (not a symlink) that belongs to this
 * process's user and has none of the mode bits `forbidden` (077 for the
 * fern that serves it, 022 for a client). Returns FERN_ENOENT when it does
 * not exist, FERN_EACCES when another user owns it (the message names the
 * owner: the directory may be squatted), FERN_EINVAL for a wrong type or
 * mode. */
int fern__control_check_dir(const char *dir, mode_t forbidden,
                            fern_error_t *err);

/* After a client connected `fd` to `path`: checks (SO_PEERCRED) that the
 * process serving it runs as this process's user. */
int fern__control_check_server(int fd, const char *path, fern_error_t *err);

#endif
