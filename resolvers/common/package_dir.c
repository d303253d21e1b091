/* package_dir.c - see package_dir.h. */
#include "package_dir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *concat(const char *a, const char *b, const char *c) {
  size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
  char *s = malloc(n);
  if (s != NULL)
    snprintf(s, n, "%s%s%s", a, b, c);
  return s;
}

int fern_package_read(int fd, const char *shown, size_t max, char **text,
                      size_t *len, fern_error_t *err) {
  struct stat st;
  *text = NULL;
  if (fstat(fd, &st) != 0)
    return fern_error_set(err, FERN_EIO, NULL, "%s: %s", shown,
                          strerror(errno));
  if ((unsigned long long)st.st_size > max)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s is %lld bytes; the limit is %zu", shown,
                          (long long)st.st_size, max);
  if ((*text = malloc((size_t)st.st_size + 1)) == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t n = read(fd, *text + got, (size_t)st.st_size - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  if (got != (size_t)st.st_size) {
    free(*text);
    *text = NULL;
    return fern_error_set(err, FERN_EIO, NULL, "%s: short read", shown);
  }
  (*text)[got] = '\0';
  *len = got;
  return FERN_OK;
}

/* The manifest the fragment names, read through a descriptor that cannot
 * block (a FIFO there is refused, not waited on). */
static int read_manifest(const fern_host_t *host, const char *dir,
                         const char *fragment, const char *package_url,
                         char *path, size_t path_size, char **text,
                         size_t *len, fern_error_t *err) {
  fern_error_t why = FERN_ERROR_INIT;
  int fd = host->package_open(host->ctx, dir, fragment, path, path_size, &why);
  /* "#meta/x.cm" names what Fuchsia's build compiles from meta/x.cml;
   * fern reads CML itself, so a package of sources serves as well. */
  size_t n = strlen(fragment);
  char source[PATH_MAX];
  if (fd == FERN_ENOENT && n > 3 && strcmp(fragment + n - 3, ".cm") == 0 &&
      n + 2 < sizeof source) {
    snprintf(source, sizeof source, "%sl", fragment);
    fd = host->package_open(host->ctx, dir, source, path, path_size, &why);
  }
  if (fd == FERN_ENOENT)
    return fern_error_set(err, fd, NULL,
                          "manifest \"%s\" not found in package %s%s",
                          fragment, package_url,
                          strcmp(fragment + (n > 3 ? n - 3 : 0), ".cm") == 0
                              ? " (nor its CML source, the same name in "
                                ".cml)"
                              : "");
  if (fd < 0)
    return fern_error_set(err, fd, NULL, "%s", why.message);
  int rc = fern_package_read(fd, path, FERN_MANIFEST_MAX, text, len, &why);
  close(fd);
  return rc == FERN_OK ? rc
                       : fern_error_set(err, rc, NULL, "manifest %s",
                                        why.message);
}

int fern_package_dir_load(const fern_host_t *host, const char *dir,
                          const char *package_url, const char *fragment,
                          fern_resolved_t *out, fern_error_t *err) {
  char manifest_path[PATH_MAX];
  char *text = NULL;
  size_t len = 0;
  int rc = read_manifest(host, dir, fragment, package_url, manifest_path,
                         sizeof manifest_path, &text, &len, err);
  if (rc != FERN_OK)
    return rc;
  out->manifest = text;
  out->manifest_len = len;
  out->package_dir = strdup(dir);
  out->package_url = strdup(package_url);
  out->resolved_url = concat(package_url, "#", fragment);
  out->manifest_origin = strdup(manifest_path);
  out->context = strdup(dir);
  if (out->package_dir == NULL || out->package_url == NULL ||
      out->resolved_url == NULL || out->manifest_origin == NULL ||
      out->context == NULL) {
    fern_package_dir_free(out);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  return FERN_OK;
}

int fern_package_dir_resolve_relative(const fern_host_t *host,
                                      const fern_resolve_request_t *req,
                                      fern_resolved_t *out, fern_error_t *err) {
  if (req->subpackage == NULL)
    return fern_package_dir_load(host, req->parent_context,
                                 req->parent_package_url, req->fragment, out,
                                 err);
  char sub_rel[NAME_MAX + 16];
  snprintf(sub_rel, sizeof sub_rel, "subpackages/%s", req->subpackage);
  char sub_dir[PATH_MAX];
  fern_error_t why = FERN_ERROR_INIT;
  int rc = host->package_path(host->ctx, req->parent_context, sub_rel, sub_dir,
                              sizeof sub_dir, &why);
  if (rc == FERN_ENOENT)
    return fern_error_set(err, rc, NULL,
                          "package %s has no subpackage \"%s\" (no directory "
                          "subpackages/%s)",
                          req->parent_package_url, req->subpackage,
                          req->subpackage);
  if (rc != FERN_OK)
    return fern_error_set(err, rc, NULL, "%s", why.message);
  char *sub_url = concat(req->parent_package_url, "/", sub_rel);
  if (sub_url == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  rc = fern_package_dir_load(host, sub_dir, sub_url, req->fragment, out, err);
  free(sub_url);
  return rc;
}

void fern_package_dir_free(fern_resolved_t *out) {
  free(out->resolved_url);
  free(out->package_url);
  free(out->package_dir);
  free(out->manifest);
  free(out->manifest_origin);
  free(out->context);
  memset(out, 0, sizeof *out);
}
