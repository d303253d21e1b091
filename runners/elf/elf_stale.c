/* elf_stale.c - what a dead fern left behind. The guardian ends a killed
 * fern's components; if the guardian died with it (both SIGKILLed, the
 * OOM killer), they run on. So each fern, as its runner is made, looks
 * for what such a fern left and ends it:
 *  - cgroups "fern-PID-N" beside its own runner directory, whose owner is
 *    gone: nobody holds the directory's lock (elf_job.c takes it when it
 *    makes the directory) and no process PID exists. The whole subtree is
 *    killed and removed.
 *  - processes whose FERN_JOB mark names a fern PID that no longer exists,
 *    in this pid namespace (a process in a nested one carries a mark in
 *    that namespace's numbers, which mean nothing here).
 * A fern whose pid was given to another process since is left alone: the
 * sweep never guesses. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "elf_runner.h"

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

/* Ends the cgroup trees dead ferns left beside ours; returns how many. */
static int sweep_cgroups(elf_runner *r, char *names, size_t size) {
  char parent[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", r->cgroup_base);
  char *slash = strrchr(parent, '/');
  if (slash == NULL)
    return 0;
  *slash = '\0';
  DIR *d = opendir(parent);
  struct dirent *e;
  int swept = 0;
  while (d != NULL && (e = readdir(d)) != NULL) {
    char path[PATH_MAX + 256];
    pid_t owner = runner_dir_owner(e->d_name);
    snprintf(path, sizeof path, "%s/%s", parent, e->d_name);
    if (owner == 0 || !runner_dir_abandoned(path, owner))
      continue;
    elf_cgroup_kill_tree(path);
    size_t used = strlen(names);
    snprintf(names + used, size - used, "%s%s", swept ? ", " : "", path);
    swept++;
  }
  if (d != NULL)
    closedir(d);
  return swept;
}

/* The fern pid in the process's FERN_JOB mark, or 0. */
static pid_t mark_owner(pid_t pid) {
  char path[64], env[4096];
  snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
  ssize_t n = elf_read_small(path, env, sizeof env);
  for (ssize_t i = 0; i < n; i += (ssize_t)strlen(env + i) + 1) {
    int owner;
    if (strncmp(env + i, "FERN_JOB=", 9) == 0 &&
        sscanf(env + i + 9, "%d.", &owner) == 1 && owner > 0)
      return (pid_t)owner;
  }
  return 0;
}

/* Whether the process lives in this pid namespace (its NSpid line names
 * one pid: in a nested namespace it would name one for each level). */
static int in_our_pid_namespace(pid_t pid) {
  char path[64], status[4096];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  if (elf_read_small(path, status, sizeof status) <= 0)
    return 0;
  const char *line = strstr(status, "\nNSpid:");
  if (line == NULL)
    return 1; /* a kernel without pid namespaces in /proc */
  line += 7;
  size_t len = strcspn(line, "\n");
  int fields = 0;
  for (size_t i = 0; i < len; i++)
    if (line[i] != ' ' && line[i] != '\t' &&
        (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t'))
      fields++;
  return fields == 1;
}

static void kill_if_abandoned(pid_t pid, void *arg) {
  int *killed = arg;
  pid_t owner = pid == getpid() ? 0 : mark_owner(pid);
  elf_proc_info info;
  if (owner == 0 || owner == getpid() || !process_gone(owner) ||
      elf_proc_stat(pid, &info) != 0 || info.state == 'Z' ||
      !in_our_pid_namespace(pid))
    return;
  if (kill(pid, SIGKILL) == 0)
    ++*killed;
}

/* Kills the processes dead ferns' jobs left; returns how many. A few
 * rounds: one may fork between the scan and its kill. */
static int sweep_marked(void) {
  int total = 0;
  for (int round = 0; round < 10; round++) {
    int killed = 0;
    elf_proc_each(kill_if_abandoned, &killed);
    total += killed;
    if (killed == 0)
      break;
  }
  return total;
}

void elf_stale_sweep(elf_runner *r) {
  char names[1024] = "";
  int cgroups = r->job_kind == ELF_JOB_CGROUP
                    ? sweep_cgroups(r, names, sizeof names)
                    : 0;
  int processes = sweep_marked();
  if (cgroups > 0)
    r->host->log(FERN_LOG_WARN, NULL,
                 "ended what a dead fern left: its cgroup tree%s %s",
                 cgroups == 1 ? "" : "s", names);
  if (processes > 0)
    r->host->log(FERN_LOG_WARN, NULL,
                 "ended what a dead fern left: %d process%s marked as its "
                 "components'",
                 processes, processes == 1 ? "" : "es");
}
