/* proc_cost.c - what a job costs: CPU time, memory now and at its
 * highest, processes. From its cgroup where it has one: cgroup v2's
 * cpu.stat usage_usec is always there; memory.current, memory.peak and
 * pids.current only where those controllers are enabled for it (not in
 * the unified hierarchy of a hybrid host, whose controllers are v1's:
 * there memory comes from the job's v1 memory cgroup when a container
 * runtime made one at its path). What the cgroups do not say comes from
 * /proc: the processes its
 * cgroup.procs lists (or the main process, without a cgroup), their
 * VmRSS summed, the largest VmHWM as the peak (a lower bound: no file
 * keeps the peak of their sum). At the end, a run's CPU time and peak are
 * the cgroup's where it says them, else the main process's rusage from
 * its reaping (which counts its children it waited for; its peak only
 * where it is above fern's own, own_peak_kib). Loop thread. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

/* The number after `key` in the cgroup file `name` of the job, or -1. */
static long long cgroup_value(const proc_job *job, const char *name,
                              const char *key) {
  char buf[4096];
  if (proc_job_read(job, name, buf, sizeof buf) <= 0)
    return -1;
  if (key == NULL)
    return strtoll(buf, NULL, 10);
  for (char *at = strstr(buf, key); at != NULL; at = strstr(at + 1, key))
    if ((at == buf || at[-1] == '\n') && at[strlen(key)] == ' ')
      return strtoll(at + strlen(key) + 1, NULL, 10);
  return -1;
}

static long long run_cpu(const proc_job *job, long long cpu);

/* VmRSS and VmHWM of `pid`, in bytes; 0 when it is gone. */
static void pid_memory(pid_t pid, uint64_t *rss, uint64_t *hwm) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  *rss = *hwm = 0;
  if (proc_read_small(path, buf, sizeof buf) <= 0)
    return;
  const char *at = strstr(buf, "\nVmRSS:");
  if (at != NULL)
    *rss = strtoull(at + 7, NULL, 10) * 1024;
  at = strstr(buf, "\nVmHWM:");
  if (at != NULL)
    *hwm = strtoull(at + 7, NULL, 10) * 1024;
}

/* User and system CPU time of `pid`, in microseconds. */
static uint64_t pid_cpu_usec(pid_t pid) {
  proc_pid_info info;
  if (proc_pid_stat(pid, &info) != 0)
    return 0;
  return (info.utime + info.stime) * 1000000ull /
         (uint64_t)sysconf(_SC_CLK_TCK);
}

/* Sums the memory of the processes the cgroup at `dir` and those inside
 * it list (a container runtime's are in one it made inside the job's);
 * their count. */
static uint64_t cgroup_processes(const char *dir, int depth,
                                 fern_cost_t *cost) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/cgroup.procs", dir);
  FILE *f = fopen(path, "re");
  long pid;
  uint64_t count = 0;
  while (f != NULL && fscanf(f, "%ld", &pid) == 1) {
    uint64_t rss, hwm;
    pid_memory((pid_t)pid, &rss, &hwm);
    cost->memory_bytes += rss;
    cost->peak_memory_bytes = hwm > cost->peak_memory_bytes
                                  ? hwm
                                  : cost->peak_memory_bytes;
    count++;
  }
  if (f != NULL)
    fclose(f);
  DIR *d = depth < 8 ? opendir(dir) : NULL;
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL)
    if (e->d_type == DT_DIR && e->d_name[0] != '.') {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      count += cgroup_processes(path, depth + 1, cost);
    }
  if (d != NULL)
    closedir(d);
  return count;
}

/* The v1 memory hierarchy's mount point ("" without one): on a hybrid
 * host memory is v1's, and a container runtime makes the job's path
 * there too (cgroup_paths.c). */
static void note_v1_memory(const char *mount, int v2, const char *options,
                           void *arg) {
  char *out = arg, words[512];
  snprintf(words, sizeof words, ",%s,", options); /* "rw,memory" */
  if (!v2 && out[0] == '\0' && strstr(words, ",memory,") != NULL)
    snprintf(out, PATH_MAX, "%s", mount);
}

static const char *v1_memory_mount(void) {
  static char mount[PATH_MAX];
  static int looked;
  if (!looked) {
    looked = 1;
    proc_cgroup_mounts(note_v1_memory, mount);
  }
  return mount;
}

/* A number of the job's v1 memory cgroup, or -1 when it has none. */
static long long v1_memory_value(const proc_job *job, const char *name) {
  char path[PATH_MAX * 2], buf[64];
  if (v1_memory_mount()[0] == '\0' || job->cgroup_rel == NULL)
    return -1;
  snprintf(path, sizeof path, "%s%s/%s", v1_memory_mount(), job->cgroup_rel,
           name);
  if (proc_read_small(path, buf, sizeof buf) <= 0)
    return -1;
  return strtoll(buf, NULL, 10);
}

static void cost_from_cgroup(const proc_job *job, fern_cost_t *cost) {
  long long cpu = run_cpu(job, cgroup_value(job, "cpu.stat", "usage_usec"));
  long long now = cgroup_value(job, "memory.current", NULL);
  /* A reused cgroup's peak may be an earlier run's. */
  long long peak = job->reused ? -1 : cgroup_value(job, "memory.peak", NULL);
  long long pids = cgroup_value(job, "pids.current", NULL);
  cost->source = now >= 0 ? "cgroup" : "cgroup and /proc";
  if (now < 0 && (now = v1_memory_value(job, "memory.usage_in_bytes")) >= 0) {
    peak = v1_memory_value(job, "memory.max_usage_in_bytes");
    cost->source = "cgroup (memory: v1's)";
  }
  fern_cost_t from_proc = {0};
  uint64_t procs =
      now < 0 || pids < 0 ? cgroup_processes(job->cgroup, 0, &from_proc) : 0;
  if (now < 0) {
    /* The sum now is a lower bound of the sum's peak as well. */
    cost->memory_bytes = from_proc.memory_bytes;
    cost->peak_memory_bytes =
        from_proc.peak_memory_bytes > from_proc.memory_bytes
            ? from_proc.peak_memory_bytes
            : from_proc.memory_bytes;
  }
  if (cpu >= 0) {
    cost->cpu_usec = (uint64_t)cpu;
    cost->known |= FERN_COST_CPU;
  }
  if (now >= 0) {
    cost->memory_bytes = (uint64_t)now;
    cost->peak_memory_bytes = peak >= 0 ? (uint64_t)peak : (uint64_t)now;
  }
  cost->processes = pids >= 0 ? (uint64_t)pids : procs;
  cost->known |= FERN_COST_MEMORY | FERN_COST_PEAK_MEMORY | FERN_COST_PROCESSES;
}

void proc_cost_reused(proc_job *job) {
  job->reused = 1;
  job->cpu_base_usec = cgroup_value(job, "cpu.stat", "usage_usec");
}

/* The run's share of the cgroup's CPU time: a reused cgroup counts the
 * runs before it too. */
static long long run_cpu(const proc_job *job, long long cpu) {
  return cpu >= 0 && job->reused && job->cpu_base_usec > 0 &&
                 cpu >= job->cpu_base_usec
             ? cpu - job->cpu_base_usec
             : cpu;
}

int proc_run_cost(proc_run *c, fern_cost_t *cost) {
  *cost = (fern_cost_t){.struct_size = sizeof *cost};
  if (c->job.kind == PROC_JOB_CGROUP && c->job.cgroup != NULL) {
    cost_from_cgroup(&c->job, cost);
  } else if (c->spawned && !c->exited) {
    cost->source = "/proc (its main process)";
    cost->cpu_usec = pid_cpu_usec(c->pid);
    pid_memory(c->pid, &cost->memory_bytes, &cost->peak_memory_bytes);
    cost->processes = 1;
    cost->known = FERN_COST_CPU | FERN_COST_MEMORY | FERN_COST_PEAK_MEMORY |
                  FERN_COST_PROCESSES;
  }
  /* What was seen counts at the end: the main process's rusage misses
   * what a wrapper's own children used. */
  if ((cost->known & FERN_COST_PEAK_MEMORY) &&
      cost->peak_memory_bytes > c->seen_peak_bytes)
    c->seen_peak_bytes = cost->peak_memory_bytes;
  return FERN_OK;
}

/* Reading cpu.stat makes the kernel flush the cgroup's statistics under
 * a lock of its own; thousands of runs ending at once (a tree stopping, a
 * boot of short programs) each reading it took a stop of 10,000 from 1.3 s
 * to 2.2 s. Past this many ends in a window, a run's end takes its figures
 * from its rusage instead. */
#define END_READS_MAX 32
#define END_READS_WINDOW_MS 100

static int may_read_at_end(proc_service *r) {
  uint64_t now = uv_now(r->host->loop);
  if (now >= r->cost_window_start + END_READS_WINDOW_MS) {
    r->cost_window_start = now;
    r->cost_window_reads = 0;
  }
  return r->cost_window_reads++ < END_READS_MAX;
}

void proc_cost_at_end(proc_run *c) {
  if (c->job.kind != PROC_JOB_CGROUP || c->job.cgroup == NULL ||
      !may_read_at_end(c->runner))
    return;
  long long cpu =
      run_cpu(&c->job, cgroup_value(&c->job, "cpu.stat", "usage_usec"));
  long long peak = c->job.reused ? -1
                                 : cgroup_value(&c->job, "memory.peak", NULL);
  if (peak < 0 && !c->job.reused)
    peak = v1_memory_value(&c->job, "memory.max_usage_in_bytes");
  if (cpu >= 0) {
    c->end_cpu_usec = (uint64_t)cpu;
    c->end_costs |= FERN_COST_CPU;
  }
  if (peak >= 0) {
    c->end_peak_bytes = (uint64_t)peak;
    c->end_costs |= FERN_COST_PEAK_MEMORY;
  }
}

void proc_cost_spawned(proc_run *c) {
  proc_service *r = c->runner;
  c->spawner_peak_kib = LONG_MAX; /* until the turn is over */
  if (r->turn_spawned_count < PROC_SPAWN_BATCH)
    r->turn_spawned[r->turn_spawned_count++] = c;
}

/* fern's memory's own peak (VmHWM), which a child spawned sharing it
 * takes with it through its exec; not getrusage's, which also keeps the
 * peak of whatever ran fern, before fern's own exec. Read once after a
 * turn's spawns: the peak only grows, so it bounds every one of them. */
void proc_cost_turn_over(proc_service *r) {
  if (r->turn_spawned_count == 0)
    return;
  uint64_t rss, hwm;
  pid_memory(getpid(), &rss, &hwm);
  for (size_t i = 0; i < r->turn_spawned_count; i++)
    r->turn_spawned[i]->spawner_peak_kib = hwm > 0 ? (long)(hwm / 1024)
                                                   : LONG_MAX;
  r->turn_spawned_count = 0;
}

void proc_cost_forget(proc_run *c) {
  proc_service *r = c->runner;
  for (size_t i = 0; i < r->turn_spawned_count; i++)
    if (r->turn_spawned[i] == c)
      r->turn_spawned[i] = r->turn_spawned[--r->turn_spawned_count];
}

/* The main process's peak from its rusage, when it is its own; else 0.
 * An exec keeps the peak of the memory the process leaves (Linux's
 * fs/exec.c, exec_mmap: setmax_mm_hiwater_rss(&tsk->signal->maxrss,
 * old_mm)), and a spawned child leaves fern's memory (clone3 with
 * CLONE_VM) or a copy of it (fork): a tiny program started by a fern of
 * 10,000 components read "40.7 MiB peak", fern's. A figure no higher
 * than fern's own peak at the spawn may be that. */
static uint64_t own_peak_kib(const proc_run *c) {
  return c->usage.ru_maxrss > c->spawner_peak_kib
             ? (uint64_t)c->usage.ru_maxrss
             : 0;
}

void proc_cost_report(const proc_run *c, fern_stop_report_t *r) {
  r->costs = c->end_costs;
  r->cpu_usec = c->end_cpu_usec;
  r->peak_memory_bytes = c->end_peak_bytes;
  if (!c->have_usage)
    return;
  if (!(r->costs & FERN_COST_CPU)) {
    r->cpu_usec = (uint64_t)(c->usage.ru_utime.tv_sec + c->usage.ru_stime.tv_sec) *
                      1000000u +
                  (uint64_t)(c->usage.ru_utime.tv_usec + c->usage.ru_stime.tv_usec);
    r->costs |= FERN_COST_CPU;
  }
  uint64_t peak = own_peak_kib(c) * 1024;
  if (c->seen_peak_bytes > peak)
    peak = c->seen_peak_bytes;
  if (!(r->costs & FERN_COST_PEAK_MEMORY) && peak > 0) {
    r->peak_memory_bytes = peak;
    r->costs |= FERN_COST_PEAK_MEMORY;
  }
}
