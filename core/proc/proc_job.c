/* proc_job.c - holding a component's processes together, so that when its
 * main process ends, or it is stopped or killed, nothing it started
 * survives. Strongest first: a cgroup v2 per component (cgroup.kill takes
 * the whole tree, setsid'd or not); else fern as child subreaper plus the
 * FERN_JOB mark every descendant inherits in its environment and the
 * session its main process starts (proc_job_proc.c); else the main
 * process's group. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_paths.h"
#include "proc.h"

const char *proc_job_kind_name(proc_job_kind kind) {
  switch (kind) {
  case PROC_JOB_CGROUP: return "cgroup";
  case PROC_JOB_SUBREAPER: return "subreaper";
  case PROC_JOB_PROCESS_GROUP: return "process_group";
  }
  return "?";
}

const char *proc_job_kind_gaps(proc_job_kind kind) {
  switch (kind) {
  case PROC_JOB_CGROUP: return "";
  case PROC_JOB_SUBREAPER:
    return "; without cgroups a descendant that starts a session of its own "
           "and clears its environment escapes its job";
  case PROC_JOB_PROCESS_GROUP:
    return "; without cgroups or a subreaper only the main process's group is "
           "held: a descendant that starts a session or group of its own "
           "escapes its job";
  }
  return "";
}

static int write_small(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n < 0 ? -1 : 0;
}

/* mountinfo's line: ID PARENT MAJ:MIN ROOT MOUNT_POINT ... - FSTYPE
 * SOURCE SUPER_OPTIONS (proc(5)). */
void proc_cgroup_mounts(void (*visit)(const char *mount, int v2,
                                      const char *options, void *arg),
                        void *arg) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  char line[4096], mount[PATH_MAX];
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    char *tail = strstr(line, " - cgroup2 ");
    int v2 = tail != NULL;
    if (!v2)
      tail = strstr(line, " - cgroup ");
    if (tail != NULL && sscanf(line, "%*s %*s %*s %*s %4095s", mount) == 1)
      visit(mount, v2, strrchr(tail, ' ') + 1, arg);
  }
  if (f != NULL)
    fclose(f);
}

typedef struct found_mount_s {
  char *out;
  size_t size;
  int found;
} found_mount;

static void note_cgroup2(const char *mount, int v2, const char *options,
                         void *arg) {
  found_mount *fm = arg;
  (void)options;
  if (v2 && !fm->found) {
    snprintf(fm->out, fm->size, "%s", mount);
    fm->found = 1;
  }
}

/* The cgroup2 mount point. */
static int cgroup2_mount(char *out, size_t size) {
  found_mount fm = {out, size, 0};
  proc_cgroup_mounts(note_cgroup2, &fm);
  return fm.found ? 0 : -1;
}

/* Where this process's own cgroup v2 path ends in the runners' bases:
 * parents beyond it that a fern made are removed once empty. */
static size_t own_path_end;

void proc_cgroup_parents_remove(const char *base) {
  char parent[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", base);
  char *slash = strrchr(parent, '/');
  if (own_path_end > 0 && slash != NULL) {
    *slash = '\0';
    cgroup_remove_up(parent, own_path_end);
  }
}

static int setup_cgroup(proc_service *r, char *why, size_t why_size) {
  char mount[PATH_MAX], v2[PATH_MAX], own[PATH_MAX], inside[PATH_MAX * 2];
  if (cgroup2_mount(mount, sizeof mount) != 0) {
    snprintf(why, why_size, "no cgroup2 file system is mounted");
    return -1;
  }
  /* Beneath the path that is this process's own in every hierarchy, made
   * in the unified one where it is missing (cgroup_paths.c). */
  r->cgroup_nests_v1 = cgroup_own_paths(v2, sizeof v2, own, sizeof own);
  if (r->cgroup_nests_v1 < 0) {
    snprintf(why, why_size, "this process has no cgroup v2 path");
    return -1;
  }
  snprintf(inside, sizeof inside, "%s%s", mount,
           strcmp(own, "/") == 0 ? "" : own);
  size_t own_end = strlen(mount) + (strcmp(v2, "/") == 0 ? 0 : strlen(v2));
  /* Several runners (and plugins) share the process: the first free
   * number is ours. Another fern may remove the parents it shares with
   * this one just then (its last runner closed): make them again. */
  int made = -1;
  own_path_end = own_end;
  cgroup_make_down(inside, own_end);
  for (unsigned n = 1, tries = 0; made != 0 && n < 1000; n++) {
    snprintf(r->cgroup_base, sizeof r->cgroup_base, "%s/fern-%d-%u", inside,
             (int)getpid(), n);
    made = mkdir(r->cgroup_base, 0755);
    if (made != 0 && errno == ENOENT && ++tries < 5) {
      cgroup_make_down(inside, own_end);
      n--; /* the same number, once the parents are there again */
    } else if (made != 0 && errno != EEXIST) {
      break;
    }
  }
  r->cgroup_mount_len = strlen(mount);
  if (made != 0) {
    snprintf(why, why_size, "cannot create %s: %s", r->cgroup_base,
             strerror(errno));
    return -1;
  }
  /* Jobs are made and removed relative to it: no path walk each time. */
  r->cgroup_base_fd = open(r->cgroup_base, O_PATH | O_DIRECTORY | O_CLOEXEC);
  /* The lock tells a later fern that this directory's owner lives (the
   * kernel drops it with the last descriptor, however fern ends). */
  r->cgroup_lock_fd = open(r->cgroup_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (r->cgroup_lock_fd < 0 || flock(r->cgroup_lock_fd, LOCK_EX | LOCK_NB) != 0)
    r->host->log(r->host->ctx, FERN_LOG_WARN, NULL,
                 "cannot lock %s (%s): a fern in another pid namespace could "
                 "take it for a dead fern's",
                 r->cgroup_base, strerror(errno));
  return 0;
}

int proc_job_setup_runner(proc_service *r, const char *wanted, fern_error_t *err) {
  char why[PATH_MAX + 128] = "";
  int any = strcmp(wanted, "auto") == 0;
  if (any || strcmp(wanted, "cgroup") == 0) {
    if (setup_cgroup(r, why, sizeof why) == 0) {
      r->job_kind = PROC_JOB_CGROUP;
      return FERN_OK;
    }
    if (!any)
      return fern_error_set(err, FERN_ENOTSUP, "/job", "job \"cgroup\": %s",
                            why);
  }
  if (any || strcmp(wanted, "subreaper") == 0) {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) == 0) {
      r->job_kind = PROC_JOB_SUBREAPER;
      return FERN_OK;
    }
    if (!any)
      return fern_error_set(err, FERN_ENOTSUP, "/job",
                            "job \"subreaper\": %s", strerror(errno));
  }
  if (any || strcmp(wanted, "process_group") == 0) {
    r->job_kind = PROC_JOB_PROCESS_GROUP;
    return FERN_OK;
  }
  return fern_error_set(err, FERN_EINVAL, "/job",
                        "\"job\" must be \"auto\", \"cgroup\", \"subreaper\" "
                        "or \"process_group\"");
}

/* The job's cgroup directory; "" once released, so a late look finds
 * nothing there rather than a NULL. */
static const char *cgroup_dir(const proc_job *job) {
  return job->cgroup != NULL ? job->cgroup : "";
}

void proc_job_adopt(proc_service *r, proc_job *job, char *path) {
  job->cgroup = path;
  job->name = path + strlen(r->cgroup_base) + 1;
  job->cgroup_rel = path + r->cgroup_mount_len;
  job->base_fd = r->cgroup_base_fd;
}

/* The job's own cgroup path: "c<n>", n from its id "<fern pid>.<n>". */
static int name_cgroup(proc_service *r, proc_job *job) {
  char *path;
  if (asprintf(&path, "%s/c%s", r->cgroup_base, strrchr(job->id, '.') + 1) < 0)
    return FERN_ENOMEM;
  proc_job_adopt(r, job, path);
  return FERN_OK;
}

void proc_job_tag(proc_service *r, const char *name, unsigned number) {
  /* The number makes it unique (the name is for people), and the '-'
   * keeps it apart from a name ending in digits: x1-1 is not x-11. */
  snprintf(r->job_tag, sizeof r->job_tag, "%.12s-%u", name, number);
}

/* "<fern pid>@<pid ns>.<runner tag>.<n>": the prefix is what the guardian
 * and the stale sweep read; the rest is unique among this fern's jobs. */
int proc_job_name(proc_service *r, proc_job *job, int cgroup_now) {
  memset(job, 0, sizeof *job);
  job->kind = r->job_kind;
  job->cgroup_fd = -1;
  job->base_fd = -1;
  proc_job_prefix(job->id, sizeof job->id);
  size_t used = strlen(job->id);
  snprintf(job->id + used, sizeof job->id - used, "%s.%lu", r->job_tag,
           ++r->next_id);
  if (job->kind != PROC_JOB_CGROUP || !cgroup_now)
    return FERN_OK;
  return name_cgroup(r, job);
}

/* The cgroup exists and is the job's; the clone goes into it by fd. */
static void hold(proc_job *job) {
  job->made = 1;
  job->cgroup_fd =
      openat(job->base_fd, job->name, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int proc_job_make(proc_job *job, fern_error_t *err) {
  if (job->kind != PROC_JOB_CGROUP)
    return FERN_OK;
  if (job->cgroup == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  if (mkdirat(job->base_fd, job->name, 0755) != 0)
    return fern_error_set(err, FERN_EIO, NULL, "cannot create cgroup %s: %s",
                          job->cgroup, strerror(errno));
  hold(job);
  return FERN_OK;
}

int proc_job_take(proc_service *r, proc_job *job, fern_error_t *err) {
  if (job->kind != PROC_JOB_CGROUP)
    return FERN_OK;
  char *kept = proc_cgroup_pool_take(r);
  if (kept != NULL) {
    proc_job_adopt(r, job, kept);
    hold(job);
    proc_cost_reused(job);
    return FERN_OK;
  }
  if (name_cgroup(r, job) != FERN_OK)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  return proc_job_make(job, err);
}

typedef struct others_s {
  const proc_job *job;
  const char *spare_exe;
  int signum, found;
} others;

/* Whether the process runs the program at `exe`. */
static int runs(pid_t pid, const char *exe) {
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0)
    return 0;
  target[n] = '\0';
  return strcmp(target, exe) == 0;
}

static void signal_if_other(pid_t pid, void *arg) {
  others *o = arg;
  if (pid != getpid() && !runs(pid, o->spare_exe) &&
      proc_job_owns(o->job, pid)) {
    kill(pid, o->signum);
    o->found++;
  }
}

int proc_job_signal_others(const proc_job *job, int signum,
                          const char *spare_exe) {
  others o = {job, spare_exe, signum, 0};
  if (job->kind == PROC_JOB_CGROUP) {
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/cgroup.procs", cgroup_dir(job));
    FILE *f = fopen(path, "re");
    long pid;
    while (f != NULL && fscanf(f, "%ld", &pid) == 1)
      if (!runs((pid_t)pid, spare_exe) && kill((pid_t)pid, signum) == 0)
        o.found++;
    if (f != NULL)
      fclose(f);
    return o.found;
  }
  proc_pid_each(signal_if_other, &o);
  return o.found;
}

static int cgroup_signal(proc_job *job, int signum) {
  char path[PATH_MAX + 32];
  if (signum == SIGKILL) {
    snprintf(path, sizeof path, "%s/cgroup.kill", cgroup_dir(job));
    /* A cgroup killed this way was seen to kill what is cloned into it
     * later: it never serves again (proc_cgroup_pool.c). */
    job->kill_written = 1;
    if (write_small(path, "1") == 0)
      return proc_job_populated(job);
  }
  snprintf(path, sizeof path, "%s/cgroup.procs", cgroup_dir(job));
  FILE *f = fopen(path, "re");
  int found = 0;
  long pid;
  while (f != NULL && fscanf(f, "%ld", &pid) == 1) {
    kill((pid_t)pid, signum);
    found++;
  }
  if (f != NULL)
    fclose(f);
  return found;
}

int proc_job_signal(proc_job *job, int signum) {
  int found = 0;
  if (job->pgid > 0 && kill(-job->pgid, signum) == 0)
    found = 1;
  if (job->kind == PROC_JOB_CGROUP)
    return cgroup_signal(job, signum) + found;
  if (job->kind == PROC_JOB_SUBREAPER)
    found += proc_pid_signal_job(job, signum);
  return found;
}

/* cgroup.events, read relative to the runner's directory (no walk of
 * the whole path); an empty, unfrozen cgroup may be used again. */
ssize_t proc_job_read(const proc_job *job, const char *file, char *buf,
                      size_t size) {
  char rel[PATH_MAX];
  snprintf(rel, sizeof rel, "%s/%s", job->name ? job->name : "", file);
  int fd = job->cgroup != NULL && job->base_fd >= 0
               ? openat(job->base_fd, rel, O_RDONLY | O_CLOEXEC)
               : -1;
  ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;
  if (fd >= 0)
    close(fd);
  buf[n > 0 ? n : 0] = '\0';
  return n;
}

static int cgroup_populated(proc_job *job) {
  char events[256];
  ssize_t n = proc_job_read(job, "cgroup.events", events, sizeof events);
  int populated = strstr(events, "populated 1") != NULL;
  job->reusable = n > 0 && !populated && strstr(events, "frozen 0") != NULL;
  return populated;
}

int proc_job_populated(proc_job *job) {
  if (job->kind == PROC_JOB_CGROUP)
    return cgroup_populated(job);
  if (job->kind == PROC_JOB_SUBREAPER)
    return proc_pid_job_alive(job);
  return job->pgid > 0 && kill(-job->pgid, 0) == 0;
}

/* Whether `pid`'s cgroup v2 path (its "0::" line) is the job's or one
 * beneath it: a container runtime's processes sit in a cgroup it made
 * inside the job, and cgroup.kill reaches them there too. */
static int in_cgroup_subtree(const proc_job *job, pid_t pid) {
  char path[64], line[PATH_MAX + 8];
  if (job->cgroup == NULL || job->cgroup_rel == NULL)
    return 0;
  snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
  FILE *f = fopen(path, "re");
  int owned = 0;
  size_t n = strlen(job->cgroup_rel);
  while (f != NULL && !owned && fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "0::", 3) != 0)
      continue;
    line[strcspn(line, "\n")] = '\0';
    owned = strncmp(line + 3, job->cgroup_rel, n) == 0 &&
            (line[3 + n] == '\0' || line[3 + n] == '/');
  }
  if (f != NULL)
    fclose(f);
  return owned;
}

int proc_job_owns(const proc_job *job, pid_t pid) {
  if (job->kind == PROC_JOB_CGROUP)
    return in_cgroup_subtree(job, pid);
  if (job->kind == PROC_JOB_SUBREAPER)
    return proc_pid_in_job(job, pid);
  return getpgid(pid) == job->pgid;
}

void proc_job_release(proc_service *r, proc_job *job) {
  if (job->cgroup_fd >= 0)
    close(job->cgroup_fd);
  job->cgroup_fd = -1;
  if (job->kind == PROC_JOB_CGROUP && job->made && !proc_cgroup_pool_give(r, job)) {
    proc_cgroup_remove(r, job->cgroup);
    job->cgroup = NULL;
  }
  job->made = 0;
  free(job->cgroup);
  job->cgroup = NULL;
}
