/* file.c - the "file" resolver: file:///abs/dir#meta/x.cm is the package at
 * that directory of the local disk. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/package_dir.h"

typedef struct file_resolver_s {
  const fern_host_t *host;
} file_resolver;

static int file_create(const fern_host_t *host, const json_t *config,
                       void **resolver, fern_error_t *err) {
  if (config != NULL && json_object_size(config) > 0)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "the file resolver takes no config keys");
  file_resolver *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  *resolver = r;
  return FERN_OK;
}

static void file_release(void *resolver) { free(resolver); }

static int file_resolve_absolute(file_resolver *r,
                                 const fern_resolve_request_t *req,
                                 fern_resolved_t *out, fern_error_t *err) {
  if (req->authority[0] != '\0' && strcmp(req->authority, "localhost") != 0)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "URL \"%s\": a file URL names a local directory "
                          "(file:///dir#...), not host \"%s\"",
                          req->url, req->authority);
  if (req->path[0] != '/')
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "URL \"%s\": expected an absolute directory path",
                          req->url);
  char dir[PATH_MAX];
  struct stat st;
  if (realpath(req->path, dir) == NULL || stat(dir, &st) != 0)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "package directory %s: %s", req->path,
                          strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "package %s is not a directory", req->path);
  char url[PATH_MAX + 8];
  snprintf(url, sizeof url, "file://%s", dir);
  return fern_package_dir_load(r->host, dir, url, req->fragment, out, err);
}

static int file_resolve(void *resolver, const fern_resolve_request_t *req,
                        fern_resolved_t *out, fern_error_t *err) {
  file_resolver *r = resolver;
  if (req->path == NULL)
    return fern_package_dir_resolve_relative(r->host, req, out, err);
  return file_resolve_absolute(r, req, out, err);
}

static void file_resolved_free(void *resolver, fern_resolved_t *out) {
  (void)resolver;
  fern_package_dir_free(out);
}

FERN_RESOLVER_PLUGIN(.name = "file",
                     .description = "packages in local directories (file://)",
                     .create = file_create, .release = file_release,
                     .resolve = file_resolve,
                     .resolved_free = file_resolved_free);
