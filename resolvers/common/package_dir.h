/* package_dir.h - what the file and boot resolvers share: a package is a
 * directory; its manifests are files under it; a subpackage NAME is the
 * directory "subpackages/NAME" inside it; the resolution context handed to
 * children is the package's real directory. Compiled into each plugin (a
 * plugin links nothing of the manager). */
#ifndef FERN_RESOLVERS_PACKAGE_DIR_H
#define FERN_RESOLVERS_PACKAGE_DIR_H

#include <fern/resolver.h>

/* The largest manifest a resolver reads. */
#define FERN_MANIFEST_MAX (16u << 20)

/* Resolves a relative or subpackage request against its parent's context
 * (the parent package's directory) and package URL. Worker thread. */
int fern_package_dir_resolve_relative(const fern_host_t *host,
                                      const fern_resolve_request_t *req,
                                      fern_resolved_t *out, fern_error_t *err);

/* Fills `out` for the package at `dir` (already checked to be inside
 * whatever it must be inside), known as `package_url`: reads the manifest
 * the fragment names. Worker thread. */
int fern_package_dir_load(const fern_host_t *host, const char *dir,
                          const char *package_url, const char *fragment,
                          fern_resolved_t *out, fern_error_t *err);

/* Reads the whole regular file open at `fd` (at most `max` bytes, else
 * FERN_EINVAL saying its size) into a NUL-terminated `text`. `shown` names
 * it in messages. Worker thread. */
int fern_package_read(int fd, const char *shown, size_t max, char **text,
                      size_t *len, fern_error_t *err);

/* Frees what fern_package_dir_load put into `out`. */
void fern_package_dir_free(fern_resolved_t *out);

#endif
