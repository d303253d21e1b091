/* cgroup_paths.h - where fern's cgroups go so that they nest under
 * fern's own in every hierarchy (cgroup_paths.c). Stateless; any thread. */
#ifndef FERN_CORE_PROC_CGROUP_PATHS_H
#define FERN_CORE_PROC_CGROUP_PATHS_H

#include <stddef.h>

/* This process's cgroup v2 path into `v2`, and into `common` the path
 * beneath which its cgroups nest in every hierarchy: the deepest of its
 * paths when they form a chain (returns 1), else its v2 path (returns 0).
 * -1 without a cgroup v2 path. */
int cgroup_own_paths(char *v2, size_t v2_size, char *common,
                     size_t common_size);
/* Makes the directories of `path` beyond its first `from` bytes that are
 * missing, each marked as a fern's; returns the length of the first one it
 * made, or 0. */
size_t cgroup_make_down(const char *path, size_t from);
/* Removes `path`, then its parents, while they are empty and marked as a
 * fern's (by cgroup_make_down, in this fern or another); never the first
 * `keep_len` bytes' directory or above. */
void cgroup_remove_up(const char *path, size_t keep_len);

#endif
