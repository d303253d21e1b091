/* path_within.h - whether a slash-separated name (a path, a moniker, a
 * cgroup) is `top` or lies below it: "/a" holds "/a" and "/a/b", not
 * "/ab"; "/" holds everything. Header-only, so that pieces built into
 * other programs (core/proc/cgroup_paths.c) take it too. */
#ifndef FERN_CORE_PATH_WITHIN_H
#define FERN_CORE_PATH_WITHIN_H

#include <string.h>

static inline int fern__path_within(const char *path, const char *top) {
  size_t n = strlen(top);
  if (strcmp(top, "/") == 0)
    return 1;
  return strncmp(path, top, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

#endif
