/* proc_stale.c - what a dead fern left behind. The guardian ends a killed
 * fern's components; if the guardian died with it (both SIGKILLed, the
 * OOM killer), they run on. So a fern that runs programs looks, once, for
 * what such a fern left and ends it:
 *  - cgroups "fern-PID-N" beside its own runner directory whose owner is
 *    gone: nobody holds the directory's lock (proc_job.c takes it when it
 *    makes the directory) and no process PID exists. The whole subtree is
 *    killed and removed.
 *  - processes whose FERN_JOB mark names a fern PID that no longer exists,
 *    in this pid namespace (the mark names its fern's namespace: a nested
 *    fern's pids mean nothing here), and that could only be such a fern's:
 *    its real, effective and saved uid are this fern's, and it is neither
 *    an ancestor of this fern nor a child of it.
 * The mark is an environment variable anyone can set; these rules are why
 * a forged one can get no process killed that its forger could not kill
 * itself. A fern whose pid was given to another process since is left
 * alone: the sweep never guesses.
 *
 * The sweep runs on the thread pool (it reads every process's environment
 * and may wait for a killed tree to empty), once per runner plugin and
 * fern: a runner made later in the same fern has nothing left to find. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "proc.h"

#define ANCESTORS_MAX 64

static int process_gone(pid_t pid) {
  return kill(pid, 0) != 0 && errno == ESRCH;
}

/* "fern-PID-N": the PID, or 0 for any other name. */
static pid_t runner_dir_owner(const char *name) {
  int pid, end = 0;
  unsigned n;
  if (sscanf(name, "fern-%d-%u%n", &pid, &n, &end) != 2 ||
      name[end] != '\0' || pid <= 0)
    return 0;
  return (pid_t)pid;
}

/* Nobody holds its lock, and its fern is gone. */
static int runner_dir_abandoned(const char *path, pid_t owner) {
  if (owner == getpid() || !process_gone(owner))
    return 0;
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int free_lock = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0;
  if (fd >= 0)
    close(fd);
  return free_lock;
}

typedef struct sweep_s {
  uv_work_t work;
  proc_service *runner;
  char parent[PATH_MAX]; /* where runner directories are, or "" */
  char names[1024];      /* the trees ended */
  int cgroups, processes, notify_dirs;
  pid_t ancestors[ANCESTORS_MAX];
  int ancestor_count;
  unsigned long pid_namespace; /* this fern's, as marks name it */
} sweep;

/* Ends the cgroup trees dead ferns left beside ours. */
static void sweep_cgroups(sweep *s) {
  DIR *d = s->parent[0] != '\0' ? opendir(s->parent) : NULL;
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL) {
    char path[PATH_MAX + 256];
    pid_t owner = runner_dir_owner(e->d_name);
    snprintf(path, sizeof path, "%s/%s", s->parent, e->d_name);
    if (owner == 0 || !runner_dir_abandoned(path, owner))
      continue;
    proc_cgroup_kill_tree(path);
    proc_cgroup_parents_remove(path); /* those a fern made, once empty */
    size_t used = strlen(s->names);
    snprintf(s->names + used, sizeof s->names - used, "%s%s",
             s->cgroups ? ", " : "", path);
    s->cgroups++;
  }
  if (d != NULL)
    closedir(d);
}

/* The fern pid in the process's FERN_JOB mark, or 0 (no mark, or one a
 * fern of another pid namespace gave: its pid means nothing here). */
static pid_t mark_owner(pid_t pid, unsigned long our_ns) {
  char path[64], env[4096];
  snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
  ssize_t n = proc_read_small(path, env, sizeof env);
  for (ssize_t i = 0; i < n; i += (ssize_t)strlen(env + i) + 1) {
    pid_t owner;
    unsigned long ns;
    if (strncmp(env + i, "FERN_JOB=", 9) == 0 &&
        proc_job_prefix_parse(env + i + 9, &owner, &ns))
      return ns == our_ns ? owner : 0;
  }
  return 0;
}

/* Its real, effective and saved uid are all ours ("Uid:" in status). */
static int runs_as_us(pid_t pid) {
  char path[64], status[4096];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  if (proc_read_small(path, status, sizeof status) <= 0)
    return 0;
  const char *line = strstr(status, "\nUid:");
  unsigned long real, effective, saved, me = (unsigned long)geteuid();
  return line != NULL &&
         sscanf(line + 5, "%lu %lu %lu", &real, &effective, &saved) == 3 &&
         real == me && effective == me && saved == me;
}

static int is_ancestor(const sweep *s, pid_t pid) {
  for (int i = 0; i < s->ancestor_count; i++)
    if (s->ancestors[i] == pid)
      return 1;
  return 0;
}

/* Could the process only be a dead fern's? (See the file comment.) */
static int abandoned(const sweep *s, pid_t pid) {
  proc_pid_info info;
  pid_t owner = pid == getpid() ? 0 : mark_owner(pid, s->pid_namespace);
  return owner != 0 && owner != getpid() && process_gone(owner) &&
         proc_pid_stat(pid, &info) == 0 && info.state != 'Z' &&
         info.ppid != getpid() && !is_ancestor(s, pid) && runs_as_us(pid);
}

static void kill_if_abandoned(pid_t pid, void *arg) {
  sweep *s = arg;
  if (abandoned(s, pid) && kill(pid, SIGKILL) == 0)
    s->processes++;
}

/* Kills what dead ferns' jobs left. A few rounds: one may fork between
 * the scan and its kill. */
static void sweep_marked(sweep *s) {
  for (int round = 0; round < 10; round++) {
    int before = s->processes;
    proc_pid_each(kill_if_abandoned, s);
    if (s->processes == before)
      break;
  }
}

/* This fern's ancestors, up to init: never taken for leftovers, whatever
 * their environment says. */
static void note_ancestors(sweep *s) {
  proc_pid_info info;
  for (pid_t pid = getppid();
       pid > 1 && s->ancestor_count < ANCESTORS_MAX &&
       proc_pid_stat(pid, &info) == 0;
       pid = info.ppid)
    s->ancestors[s->ancestor_count++] = pid;
}

static void sweep_work(uv_work_t *work) {
  sweep *s = work->data;
  char prefix[64];
  pid_t self;
  proc_job_prefix(prefix, sizeof prefix);
  proc_job_prefix_parse(prefix, &self, &s->pid_namespace);
  note_ancestors(s);
  sweep_cgroups(s);
  sweep_marked(s);
  s->notify_dirs = proc_notify_dir_sweep();
}

static void sweep_done(uv_work_t *work, int status) {
  sweep *s = work->data;
  proc_service *r = s->runner;
  (void)status;
  if (s->cgroups > 0)
    r->host->log(r->host->ctx, FERN_LOG_WARN, NULL,
                 "ended what a dead fern left: its cgroup tree%s %s",
                 s->cgroups == 1 ? "" : "s", s->names);
  if (s->processes > 0)
    r->host->log(r->host->ctx, FERN_LOG_WARN, NULL,
                 "ended what a dead fern left: %d process%s marked as its "
                 "components'",
                 s->processes, s->processes == 1 ? "" : "es");
  if (s->notify_dirs > 0)
    r->host->log(r->host->ctx, FERN_LOG_INFO, NULL,
                 "removed %d notify director%s a dead fern left in /tmp",
                 s->notify_dirs, s->notify_dirs == 1 ? "y" : "ies");
  free(s);
  proc_service_unref(r);
}

void proc_stale_sweep(proc_service *r) {
  /* Once per plugin in this process (the one state the runner keeps
   * beyond a runner): later runners would find nothing left. */
  static int swept;
  if (swept)
    return;
  swept = 1;
  sweep *s = calloc(1, sizeof *s);
  if (s == NULL)
    return;
  s->runner = r;
  s->work.data = s;
  if (r->job_kind == PROC_JOB_CGROUP) {
    snprintf(s->parent, sizeof s->parent, "%s", r->cgroup_base);
    char *slash = strrchr(s->parent, '/');
    if (slash != NULL)
      *slash = '\0';
  }
  if (uv_queue_work(r->host->loop, &s->work, sweep_work, sweep_done) != 0) {
    free(s);
    return;
  }
  r->open_handles++;
}
