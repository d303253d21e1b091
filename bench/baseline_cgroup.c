/* baseline_cgroup.c - spawn_baseline's cgroup mode: the same processes,
 * each in a cgroup v2 of its own, made before it starts and removed after
 * it is reaped. This is the kernel work that fern's ELF runner adds to the
 * raw baseline by design (a component's processes are held, killed and
 * counted by its cgroup, as systemd holds a unit's), so the stop of fern
 * can be put beside the cheapest stop that holds the same guarantee. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "baseline_cgroup.h"

extern char **environ;

static int read_small(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "re");
  if (f == NULL)
    return -1;
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
  return 0;
}

/* The cgroup2 mount (mountinfo's fifth field where the type is cgroup2). */
static int cgroup2_mount(char *out, size_t size) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  char line[4096], mount[4096];
  int found = 0;
  while (f != NULL && !found && fgets(line, sizeof line, f) != NULL) {
    const char *dash = strstr(line, " - cgroup2 ");
    found = dash != NULL &&
            sscanf(line, "%*s %*s %*s %*s %4095s", mount) == 1 &&
            snprintf(out, size, "%s", mount) < (int)size;
  }
  if (f != NULL)
    fclose(f);
  return found ? 0 : -1;
}

int baseline_cgroup_open(baseline_cgroups *cg, long n) {
  char mount[4096], own[8192];
  if (cgroup2_mount(mount, sizeof mount) != 0 ||
      read_small("/proc/self/cgroup", own, sizeof own) != 0) {
    fprintf(stderr, "spawn_baseline: no cgroup2 mount\n");
    return -1;
  }
  char *path = strstr(own, "0::");
  if (path == NULL || (path != own && path[-1] != '\n'))
    return -1;
  path += 3;
  path[strcspn(path, "\n")] = '\0';
  snprintf(cg->base, sizeof cg->base, "%s%s/spawn-baseline-%d", mount,
           strcmp(path, "/") == 0 ? "" : path, (int)getpid());
  if (mkdir(cg->base, 0755) != 0) {
    fprintf(stderr, "spawn_baseline: %s: %s\n", cg->base, strerror(errno));
    return -1;
  }
  cg->base_fd = open(cg->base, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cg->members = calloc((size_t)n, sizeof *cg->members);
  cg->count = 0;
  cg->sorted = 0;
  if (cg->base_fd >= 0 && cg->members != NULL)
    return 0;
  baseline_cgroup_close(cg);
  return -1;
}

/* fork semantics (no CLONE_VM), the parent waiting until the child has
 * executed (CLONE_VFORK), as posix_spawn and fern's ELF runner wait: no
 * child is signalled before it runs the program. */
pid_t baseline_cgroup_spawn(baseline_cgroups *cg, char *const argv[]) {
  char name[32];
  snprintf(name, sizeof name, "%ld", cg->count);
  if (mkdirat(cg->base_fd, name, 0755) != 0)
    return -1;
  int fd = openat(cg->base_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    unlinkat(cg->base_fd, name, AT_REMOVEDIR);
    return -1;
  }
  struct clone_args args = {.flags = CLONE_INTO_CGROUP | CLONE_VFORK,
                            .exit_signal = SIGCHLD,
                            .cgroup = (uint64_t)fd};
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) {
    execve(argv[0], argv, environ);
    _exit(127);
  }
  close(fd);
  if (pid < 0)
    unlinkat(cg->base_fd, name, AT_REMOVEDIR);
  if (pid > 0) {
    cg->members[cg->count].pid = (pid_t)pid;
    cg->members[cg->count].index = cg->count;
    cg->count++;
  }
  return (pid_t)pid;
}

static int by_pid(const void *a, const void *b) {
  pid_t x = ((const baseline_member *)a)->pid;
  pid_t y = ((const baseline_member *)b)->pid;
  return (x > y) - (x < y);
}

void baseline_cgroup_index(baseline_cgroups *cg) {
  qsort(cg->members, (size_t)cg->count, sizeof *cg->members, by_pid);
  cg->sorted = 1;
}

/* After the reap of `pid`: its cgroup goes, as a supervisor's would. The
 * lookup is a binary search, so that the baseline pays nothing a
 * supervisor with a pid table would not. */
int baseline_cgroup_remove(baseline_cgroups *cg, pid_t pid) {
  if (!cg->sorted)
    baseline_cgroup_index(cg);
  baseline_member key = {.pid = pid};
  baseline_member *m = bsearch(&key, cg->members, (size_t)cg->count,
                               sizeof *cg->members, by_pid);
  if (m == NULL) {
    errno = ESRCH;
    return -1;
  }
  char name[32];
  snprintf(name, sizeof name, "%ld", m->index);
  return unlinkat(cg->base_fd, name, AT_REMOVEDIR);
}

void baseline_cgroup_close(baseline_cgroups *cg) {
  if (cg->base_fd >= 0)
    close(cg->base_fd);
  if (rmdir(cg->base) != 0)
    fprintf(stderr, "spawn_baseline: %s: %s\n", cg->base, strerror(errno));
  free(cg->members);
}
