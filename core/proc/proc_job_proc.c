/* proc_job_proc.c - jobs seen through /proc, where there is no cgroup to
 * hold them: the FERN_JOB mark every process of a component inherits in
 * its environment, and the session its main process starts at the spawn.
 * The subreaper kind finds a job's processes this way, the guardian finds
 * a killed fern's, and a new fern finds a dead one's (proc_stale.c).
 *
 * A descendant that clears its environment is still found by its session;
 * one that also starts a session of its own (setsid, then execve with an
 * empty environment) is found by neither: only a cgroup holds such a one,
 * and the runner's log line says so when it runs without cgroups. The
 * guardian runs these after a fork of a threaded process: they allocate
 * nothing and take no lock (system calls and stack buffers, with libc's
 * snprintf, sscanf and strtol on them). */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

ssize_t proc_read_small(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    buf[0] = '\0';
    return -1;
  }
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  buf[n > 0 ? n : 0] = '\0';
  return n;
}

void proc_pid_each(void (*visit)(pid_t, void *), void *arg) {
  int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return;
  char buf[8192];
  long n;
  while ((n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
    for (long off = 0; off < n;) {
      struct dirent64 *d = (struct dirent64 *)(buf + off);
      off += d->d_reclen;
      char *end;
      long pid = strtol(d->d_name, &end, 10);
      if (*end == '\0' && pid > 0)
        visit((pid_t)pid, arg);
    }
  }
  close(dir);
}

int proc_pid_stat(pid_t pid, proc_pid_info *info) {
  char path[64], stat[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if (proc_read_small(path, stat, sizeof stat) <= 0)
    return -1;
  /* The command name may hold spaces and parentheses: fields resume after
   * the last ')'. */
  const char *close_paren = strrchr(stat, ')');
  long ppid, pgrp, session;
  info->utime = info->stime = 0;
  /* Fields 3-6, then 14 and 15 (utime, stime) past those between. */
  if (close_paren == NULL ||
      sscanf(close_paren + 2,
             "%c %ld %ld %ld %*d %*d %*u %*u %*u %*u %*u %llu %llu",
             &info->state, &ppid, &pgrp, &session, &info->utime,
             &info->stime) < 4)
    return -1;
  info->ppid = (pid_t)ppid;
  info->session = (pid_t)session;
  return 0;
}

/* The pid namespace a process lives in, as /proc/PID/ns/pid's inode. */
static int pid_namespace_of(const char *proc, struct stat *st) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/ns/pid", proc);
  return stat(path, st);
}

void proc_job_prefix(char *out, size_t size) {
  struct stat ns;
  snprintf(out, size, "%d@%lu.", (int)getpid(),
           pid_namespace_of("self", &ns) == 0 ? (unsigned long)ns.st_ino : 0UL);
}

int proc_job_prefix_parse(const char *value, pid_t *pid, unsigned long *ns) {
  int p, end = 0;
  if (sscanf(value, "%d@%lu.%n", &p, ns, &end) != 2 || end == 0 || p <= 0)
    return 0;
  *pid = (pid_t)p;
  return 1;
}

int proc_pid_marked(pid_t pid, const char *mark) {
  char path[64], env[4096];
  snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
  ssize_t n = proc_read_small(path, env, sizeof env);
  size_t len = strlen(mark);
  /* A mark ending in '.' is a fern's prefix (every job of that fern);
   * any other names one job, whose id must not match job 12 for 1. */
  int prefix = len > 0 && mark[len - 1] == '.';
  for (ssize_t i = 0; i + (ssize_t)len <= n; i += (ssize_t)strlen(env + i) + 1)
    if (prefix ? strncmp(env + i, mark, len) == 0 : strcmp(env + i, mark) == 0)
      return 1;
  return 0;
}

int proc_pid_in_job(const proc_job *job, pid_t pid) {
  char mark[96];
  snprintf(mark, sizeof mark, "FERN_JOB=%s", job->id);
  if (proc_pid_marked(pid, mark))
    return 1;
  /* The main process started a session whose id is its pid; while any
   * process is in it that number cannot be given to a new process, so a
   * process other than the main one with that session is the job's. */
  proc_pid_info info;
  return job->pgid > 0 && pid != job->pgid && proc_pid_stat(pid, &info) == 0 &&
         info.session == job->pgid;
}

typedef struct job_scan_s {
  const proc_job *job;
  const char *mark; /* a fern's prefix instead of a job */
  int signum;       /* 0: only count the live ones */
  int found;
} job_scan;

/* A mark names its fern's pid namespace, so a job's descendant in a
 * nested namespace is still found by it, and a nested fern's marks (their
 * own numbers) are never taken for ours. */
static int scanned(const job_scan *scan, pid_t pid) {
  return pid != getpid() && (scan->job != NULL
                                 ? proc_pid_in_job(scan->job, pid)
                                 : proc_pid_marked(pid, scan->mark));
}

static void visit_member(pid_t pid, void *arg) {
  job_scan *scan = arg;
  if (!scanned(scan, pid))
    return;
  proc_pid_info info;
  if (scan->signum != 0) {
    kill(pid, scan->signum);
    scan->found++;
  } else if (proc_pid_stat(pid, &info) == 0 && info.state != 'Z') {
    scan->found++; /* a zombie waiting to be reaped is gone already */
  }
}

int proc_pid_signal_job(const proc_job *job, int signum) {
  job_scan scan = {job, NULL, signum, 0};
  proc_pid_each(visit_member, &scan);
  return scan.found;
}

int proc_pid_job_alive(const proc_job *job) {
  job_scan scan = {job, NULL, 0, 0};
  proc_pid_each(visit_member, &scan);
  return scan.found > 0;
}

int proc_job_kill_marked(const char *prefix, int rounds) {
  char mark[96];
  snprintf(mark, sizeof mark, "FERN_JOB=%s", prefix);
  int total = 0;
  for (int i = 0; i < rounds; i++) {
    job_scan scan = {NULL, mark, SIGKILL, 0};
    proc_pid_each(visit_member, &scan);
    total += scan.found;
    if (scan.found == 0)
      break;
  }
  return total;
}

typedef struct orphan_scan_s {
  proc_service *runner;
  pid_t self;
  pid_t session; /* fern's */
  pid_t *waited; /* sorted: what runs and guardians wait for */
  size_t waited_count;
} orphan_scan;

static int by_pid(const void *a, const void *b) {
  pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
  return (x > y) - (x < y);
}

static int add_waited(orphan_scan *scan, size_t *capacity, pid_t pid) {
  if (pid <= 0)
    return 0;
  if (scan->waited_count == *capacity) {
    size_t grown = *capacity ? *capacity * 2 : 64;
    pid_t *more = realloc(scan->waited, grown * sizeof *more);
    if (more == NULL)
      return -1;
    scan->waited = more;
    *capacity = grown;
  }
  scan->waited[scan->waited_count++] = pid;
  return 0;
}

/* What a run of any service of this manager waits for (its spawned or its
 * main process) and the guardians, sorted once per scan: a scan that
 * looked each zombie up in every run cost N^2 when N components stopped
 * at once. -1 when out of memory (then nothing is reaped this time). */
static int collect_waited(orphan_scan *scan) {
  size_t capacity = 0;
  for (const proc_service *s = scan->runner->registry->head; s != NULL;
       s = s->next_in_registry) {
    for (const proc_run *c = s->live; c != NULL; c = c->next_live)
      if (!c->exited && (add_waited(scan, &capacity, proc_spawned_pid(c)) ||
                         add_waited(scan, &capacity, proc_main_pid(c))))
        return -1;
    if (s->guardian != NULL &&
        add_waited(scan, &capacity, proc_guardian_pid(s->guardian)))
      return -1;
  }
  qsort(scan->waited, scan->waited_count, sizeof *scan->waited, by_pid);
  return 0;
}

static int waited_for(const orphan_scan *scan, pid_t pid) {
  return bsearch(&pid, scan->waited, scan->waited_count,
                 sizeof *scan->waited, by_pid) != NULL;
}

typedef struct libuv_child_s {
  pid_t pid;
  int found;
} libuv_child;

static void find_process_handle(uv_handle_t *handle, void *arg) {
  libuv_child *child = arg;
  if (handle->type == UV_PROCESS &&
      ((uv_process_t *)handle)->pid == child->pid)
    child->found = 1;
}

/* Whether libuv spawned it on fern's loop (another runner's uv_spawn):
 * libuv reaps it and tells that runner. Asked only of a zombie child no
 * run of ours waits for, which is rare; the walk visits every handle. */
static int spawned_by_libuv(const proc_service *r, pid_t pid) {
  libuv_child child = {pid, 0};
  uv_walk(r->host->loop, find_process_handle, &child);
  return child.found;
}

/* A zombie child of fern is reaped here only if it came from a job: every
 * job starts a session of its own (the spawn's setsid), so what is in
 * fern's own session is no job's; a plugin's own fork() child is, and is
 * that plugin's to reap. */
static void reap_if_orphan(pid_t pid, void *arg) {
  orphan_scan *scan = arg;
  proc_pid_info info;
  if (proc_pid_stat(pid, &info) == 0 && info.ppid == scan->self &&
      info.state == 'Z' && info.session != scan->session &&
      !waited_for(scan, pid) &&
      !spawned_by_libuv(scan->runner, pid))
    waitpid(pid, NULL, WNOHANG);
}

/* Visits fern's own children (every thread's, from /proc/self/task/T/
 * children): a look at every process of the machine per SIGCHLD cost as
 * much as the machine had processes. 0, or -1 where the kernel does not
 * list children (then the caller scans /proc). */
static int children_each(void (*visit)(pid_t, void *), void *arg) {
  DIR *tasks = opendir("/proc/self/task");
  if (tasks == NULL)
    return -1;
  struct dirent *t;
  int listed = 0;
  while ((t = readdir(tasks)) != NULL) {
    char path[96];
    if (t->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "/proc/self/task/%s/children", t->d_name);
    FILE *f = fopen(path, "re");
    if (f == NULL)
      continue;
    listed = 1;
    long pid;
    while (fscanf(f, "%ld", &pid) == 1)
      visit((pid_t)pid, arg);
    fclose(f);
  }
  closedir(tasks);
  return listed ? 0 : -1;
}

void proc_job_reap_orphans(proc_service *r) {
  orphan_scan scan = {r, getpid(), getsid(0), NULL, 0};
  if (collect_waited(&scan) == 0 && children_each(reap_if_orphan, &scan) != 0)
    proc_pid_each(reap_if_orphan, &scan);
  free(scan.waited);
}
