/* package_path.c - see package_path.h. The path is checked twice: lexically
 * first (so ".." is refused even when it would happen to land inside), then
 * by realpath, which is what catches a symlink that leads out. */
#include "package_path.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int fern__relative_path_ok(const char *relative, fern_error_t *err) {
  if (relative == NULL || relative[0] == '\0')
    return fern_error_set(err, FERN_EINVAL, NULL, "the path is empty");
  if (relative[0] == '/')
    return fern_error_set(err, FERN_EACCES, NULL,
                          "\"%s\" is an absolute path; paths are relative to "
                          "the package",
                          relative);
  const char *segment = relative;
  for (;;) {
    const char *end = strchr(segment, '/');
    size_t len = end ? (size_t)(end - segment) : strlen(segment);
    if (len == 0)
      return fern_error_set(err, FERN_EINVAL, NULL,
                            "\"%s\" has an empty path segment", relative);
    if ((len == 1 && segment[0] == '.') ||
        (len == 2 && segment[0] == '.' && segment[1] == '.'))
      return fern_error_set(err, FERN_EACCES, NULL,
                            "\"%s\" has a \"%.*s\" segment; nothing may reach "
                            "outside its package",
                            relative, (int)len, segment);
    if (end == NULL)
      return FERN_OK;
    segment = end + 1;
  }
}

static int path_is_within(const char *path, const char *root) {
  size_t n = strlen(root);
  if (strcmp(root, "/") == 0)
    return 1;
  return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int fern__package_path(const char *package_dir, const char *relative,
                       char *out, size_t out_size, fern_error_t *err) {
  int rc = fern__relative_path_ok(relative, err);
  if (rc != FERN_OK)
    return rc;
  char root[PATH_MAX];
  if (realpath(package_dir, root) == NULL)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "package directory %s: %s", package_dir,
                          strerror(errno));
  char joined[PATH_MAX * 2];
  snprintf(joined, sizeof joined, "%s/%s", root, relative);
  char real[PATH_MAX];
  if (realpath(joined, real) == NULL)
    return fern_error_set(err, errno == ENOENT ? FERN_ENOENT : FERN_EIO, NULL,
                          "\"%s\" in package %s: %s", relative, root,
                          strerror(errno));
  if (!path_is_within(real, root))
    return fern_error_set(err, FERN_EACCES, NULL,
                          "\"%s\" in package %s leads outside the package "
                          "(through a symlink, to %s)",
                          relative, root, real);
  if (strlen(real) + 1 > out_size)
    return fern_error_set(err, FERN_EINVAL, NULL, "path too long: %s", real);
  memcpy(out, real, strlen(real) + 1);
  return FERN_OK;
}
