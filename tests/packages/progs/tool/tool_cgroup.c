/* tool_cgroup.c - part of the test program tool (src/tool.c): its
 * cgroup, printed, frozen, and cgroups nested in it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <fern/lifecycle.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

/* Its cgroup v2 directory from /proc/self/cgroup ("0::/path") and the
 * cgroup2 mount (hybrid machines have it at /sys/fs/cgroup/unified). */
static int own_cgroup(char *dir, size_t size) {
  char line[4096] = "";
  FILE *f = fopen("/proc/self/cgroup", "r");
  while (f != NULL && fgets(line, sizeof line, f) != NULL &&
         strncmp(line, "0::", 3) != 0)
    ;
  if (f != NULL)
    fclose(f);
  if (strncmp(line, "0::", 3) != 0)
    return -1;
  line[strcspn(line, "\n")] = '\0';
  const char *mounts[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
  for (int i = 0; i < 2; i++) {
    snprintf(dir, size, "%s%s/cgroup.events", mounts[i], line + 3);
    if (access(dir, F_OK) == 0) {
      snprintf(dir, size, "%s%s", mounts[i], line + 3);
      return 0;
    }
  }
  return -1;
}

/* N cgroups, each inside the one before, under `dir`; and ".x". */
static int make_deep_cgroups(const char *dir, int n) {
  char path[8192];
  snprintf(path, sizeof path, "%s/.x", dir);
  if (mkdir(path, 0755) != 0)
    return 1;
  snprintf(path, sizeof path, "%s", dir);
  for (int i = 1; i <= n; i++) {
    size_t used = strlen(path);
    snprintf(path + used, sizeof path - used, "/d%d", i);
    if (mkdir(path, 0755) != 0)
      return 1;
  }
  return 0;
}

/* The cgroup behaviours: print it, then do `what` to it (`n`: how many). */
int cgroup_behaviour(const char *what, int n, int wait) {
  char dir[4096], path[4200];
  if (own_cgroup(dir, sizeof dir) != 0) {
    printf("no cgroup v2\n");
    return 1;
  }
  printf("cgroup %s\n", dir);
  fflush(stdout);
  if (strcmp(what, "sub-cgroup") == 0 || strcmp(what, "deep-cgroups") == 0) {
    snprintf(path, sizeof path, "%s/sub", dir);
    if (strcmp(what, "sub-cgroup") == 0 ? mkdir(path, 0755) != 0
                                        : make_deep_cgroups(dir, n) != 0)
      return 1;
    if (wait)
      wait_forever();
    return 0;
  }
  if (strcmp(what, "freeze-self") == 0) {
    snprintf(path, sizeof path, "%s/cgroup.freeze", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs("1", f) < 0 || fclose(f) != 0)
      return 1;
    wait_forever(); /* frozen before it gets far */
  }
  return 0;
}
