/* package_path.h - the one check that keeps a path inside its package. */
#ifndef FERN_CORE_PACKAGE_PATH_H
#define FERN_CORE_PACKAGE_PATH_H

#include <fern/fern.h>

/* True when `relative` is a plain relative path: not empty, not absolute,
 * no "." or ".." segment, no empty segment. Says why in `err` otherwise. */
int fern__relative_path_ok(const char *relative, fern_error_t *err);

/* See fern_host_t.package_path. Any thread. */
int fern__package_path(const char *package_dir, const char *relative,
                       char *out, size_t out_size, fern_error_t *err);

/* See fern_host_t.package_open. Any thread. */
int fern__package_open(const char *package_dir, const char *relative,
                       char *out, size_t out_size, fern_error_t *err);

/* The directory `relative` of the package ("" for the package itself),
 * checked as fern__package_path checks a path: an O_PATH descriptor of
 * the very directory that was checked (the caller's to close), its real
 * path in `out`; or a negative code. Any thread. */
int fern__package_open_dir(const char *package_dir, const char *relative,
                           char *out, size_t out_size, fern_error_t *err);

/* Reads the whole file open at `fd`, up to `room` bytes, NUL-terminated;
 * NULL (and *len past `room`) when it is larger or cannot be read. */
char *fern__package_read_fd(int fd, size_t room, size_t *len);

#endif
