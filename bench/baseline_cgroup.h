/* baseline_cgroup.h - spawn_baseline's processes, each in a cgroup of its
 * own (baseline_cgroup.c). */
#ifndef FERN_BENCH_BASELINE_CGROUP_H
#define FERN_BENCH_BASELINE_CGROUP_H

#include <limits.h>
#include <sys/types.h>

typedef struct baseline_member_s {
  pid_t pid;
  long index; /* its cgroup is base/index */
} baseline_member;

typedef struct baseline_cgroups_s {
  char base[PATH_MAX]; /* spawn-baseline-PID under this process's cgroup */
  int base_fd;
  baseline_member *members;
  long count;
  int sorted; /* members by pid, once the spawns are done */
} baseline_cgroups;

/* Makes the base cgroup for n processes; -1 (and why on stderr) without
 * a writable cgroup2 tree. */
int baseline_cgroup_open(baseline_cgroups *cg, long n);
pid_t baseline_cgroup_spawn(baseline_cgroups *cg, char *const argv[]);
/* Sorts the pid table (once the spawns are done, before any timing). */
void baseline_cgroup_index(baseline_cgroups *cg);
int baseline_cgroup_remove(baseline_cgroups *cg, pid_t pid);
void baseline_cgroup_close(baseline_cgroups *cg);

#endif
