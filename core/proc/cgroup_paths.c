/* cgroup_paths.c - where fern's cgroups go, so that they nest under
 * fern's own in every hierarchy, v1 ones too.
 *
 * A container runtime takes one cgroupsPath for all hierarchies: with the
 * cgroupfs driver an absolute path is made from each hierarchy's root
 * (runc's libcontainer/cgroups/fs/paths.go, subsysPath, joins the mount
 * point and the path). On a hybrid host this process may sit at different
 * places in different hierarchies: "0::/" in the unified one and
 * "4:memory:/process_api/X" in the v1 memory one. A job made at
 * /fern-PID-N/cJ in the unified hierarchy then had its container's memory
 * cgroup made at /fern-PID-N/cJ/ctr from the memory hierarchy's root,
 * outside the memory cgroup that bounds fern. Whenever this process's
 * paths form a chain (each a prefix of the deepest), the deepest is below
 * every one of them, and fern's cgroups go beneath it, in the unified
 * hierarchy too: then one path nests everywhere. Stateless: the OCI
 * runner builds it into its own object. */
#include "cgroup_paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../path_within.h"

/* Whether `outer` is `inner` or one of its ancestors. */
static int contains(const char *outer, const char *inner) {
  return fern__path_within(inner, outer);
}

/* Reads /proc/self/cgroup whole: "ID:CONTROLLERS:PATH" lines. */
static int read_own(char *buf, size_t size) {
  int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  return 0;
}

int cgroup_own_paths(char *v2, size_t v2_size, char *common,
                     size_t common_size) {
  char buf[8192];
  if (read_own(buf, sizeof buf) != 0)
    return -1;
  char deepest[4096] = "", unified[4096] = "";
  int chain = 1, have_v2 = 0;
  char *saved = NULL;
  for (char *line = strtok_r(buf, "\n", &saved); line != NULL;
       line = strtok_r(NULL, "\n", &saved)) {
    char *controllers = strchr(line, ':');
    char *path = controllers ? strchr(controllers + 1, ':') : NULL;
    if (path == NULL)
      continue;
    *path++ = '\0';
    *controllers++ = '\0';
    if (strcmp(line, "0") == 0 && controllers[0] == '\0') {
      snprintf(unified, sizeof unified, "%s", path);
      have_v2 = 1;
    } else if (strncmp(controllers, "name=", 5) == 0) {
      continue; /* a named hierarchy holds no controller a runtime sets */
    }
    if (deepest[0] == '\0' || contains(deepest, path))
      snprintf(deepest, sizeof deepest, "%s", path);
    else if (!contains(path, deepest))
      chain = 0;
  }
  if (!have_v2)
    return -1;
  snprintf(v2, v2_size, "%s", unified);
  snprintf(common, common_size, "%s", chain ? deepest : unified);
  return chain ? 1 : 0;
}

/* The mark a parent fern made carries: any fern may remove it once it is
 * empty, and none removes a directory without it (one the machine's own
 * tools made). cgroupfs keeps user.* attributes since Linux 5.7; without
 * them nothing is marked, and such parents stay. */
#define MADE_MARK "user.fern.made"

static int marked(const char *dir) {
  char value[4];
  return getxattr(dir, MADE_MARK, value, sizeof value) > 0;
}

void cgroup_remove_up(const char *path, size_t keep_len) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  while (strlen(dir) > keep_len && marked(dir) && rmdir(dir) == 0) {
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
      return;
    *slash = '\0';
  }
}

size_t cgroup_make_down(const char *path, size_t from) {
  char dir[4096];
  size_t made = 0, len = strlen(path);
  for (size_t at = from + 1; at <= len; at++) {
    if (path[at] != '/' && path[at] != '\0')
      continue;
    snprintf(dir, sizeof dir, "%.*s", (int)at, path);
    if (mkdir(dir, 0755) == 0) {
      setxattr(dir, MADE_MARK, "1", 1, 0);
      made = made ? made : at;
    } else if (errno != EEXIST) {
      return made; /* what is made inside it then fails, and says why */
    }
  }
  return made;
}
