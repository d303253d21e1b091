/* proc_run.c - one run of the process service (the host's job_start,
 * job_stop, job_kill and job_release): the spawn request copied, the
 * program checked on the thread pool (inside the package; an ELF program
 * for this machine with FERN_SPAWN_ELF), a wrapper's hooks given their
 * plan, then the spawn queued (proc_spawn_queue.c). A stop is the
 * lifecycle "stop" message when the program asked for it, else SIGTERM to
 * the job (or as the wrapper's plan says); a kill is SIGKILL to the whole
 * job. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fern/lifecycle.h>

#include "proc.h"
#include "proc_image_root.h"

static void free_strv(char **v) {
  for (size_t i = 0; v != NULL && v[i] != NULL; i++)
    free(v[i]);
  free(v);
}

static void run_free(proc_run *c) {
  proc_spawn_queue_remove(c);
  proc_cost_forget(c);
  proc_job_release(c->runner, &c->job); /* a run stopped before it started has one */
  proc_run_stop_over(c);
  if (c->hook_arg_free != NULL)
    c->hook_arg_free(c->hook_arg);
  proc_wrapper_fds_close(c);
  proc_listen_fds_close(c);
  free(c->listen_names);
  proc_binary_fds_close(c);
  free(c->exec_path);
  free_strv(c->exec_argv);
  free(c->term_spares);
  free_strv(c->argv);
  free_strv(c->environ);
  free_strv(c->envp);
  for (int i = 0; i < 2; i++)
    free(c->streams[i].line);
  free(c->moniker);
  free(c->package_dir);
  free(c->binary);
  free(c->argv0);
  proc_image_root_free(c->root);
  free(c->binary_path);
  free(c->failure);
  free(c->check_err);
  free(c->rlimits);
  free(c->notify);
  free(c);
}

/* Copies a NULL-terminated vector (or none) with `reserve` empty slots in
 * front. */
static char **strv_copy(const char *const *from, size_t reserve) {
  size_t n = 0;
  while (from != NULL && from[n] != NULL)
    n++;
  char **v = calloc(n + reserve + 1, sizeof *v);
  for (size_t i = 0; v != NULL && i < n; i++)
    if ((v[reserve + i] = strdup(from[i])) == NULL)
      return free_strv(v), NULL;
  return v;
}

/* For an exec by name: the directory the checked binary is in, held open
 * (a later swap of a directory above for a symlink changes nothing), and
 * the file found there now being the one checked. */
static int hold_binary_directory(proc_run *c, fern_error_t *err) {
  char *slash = strrchr(c->binary_path, '/');
  struct stat checked, there;
  *slash = '\0';
  c->binary_dir_fd = open(slash == c->binary_path ? "/" : c->binary_path,
                          O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  *slash = '/';
  c->binary_name = slash + 1;
  if (c->binary_dir_fd < 0 || fstat(c->binary_fd, &checked) != 0 ||
      fstatat(c->binary_dir_fd, c->binary_name, &there,
              AT_SYMLINK_NOFOLLOW) != 0 ||
      there.st_dev != checked.st_dev || there.st_ino != checked.st_ino)
    return fern_error_set(err, FERN_EACCES, "/binary",
                          "binary \"%s\" (%s) changed while it was checked",
                          c->binary, c->binary_path);
  c->binary_dev = checked.st_dev;
  c->binary_ino = checked.st_ino;
  return FERN_OK;
}

/* Opens the program the run names, inside the package, through a
 * descriptor that cannot block and is the very file later executed. */
static int open_binary(proc_run *c, fern_error_t *err) {
  char path[PATH_MAX];
  fern_error_t why = FERN_ERROR_INIT;
  int fd = c->host->package_open(c->host->ctx, c->package_dir, c->binary,
                                 path, sizeof path, &why);
  if (fd == FERN_ENOENT) {
    char suggestion[256];
    elf_binary_suggest(c->package_dir, c->binary, suggestion,
                        sizeof suggestion);
    return fern_error_set(err, FERN_ENOENT, "/binary",
                          "binary \"%s\" not found in package %s%s%s%s",
                          c->binary, c->package_dir,
                          suggestion[0] ? " (did you mean \"" : "", suggestion,
                          suggestion[0] ? "\"?)" : "");
  }
  if (fd < 0)
    return fern_error_set(err, fd, "/binary", "binary %s", why.message);
  c->binary_fd = fd;
  if ((c->binary_path = strdup(path)) == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  int rc = c->check_elf ? elf_binary_check(fd, c->binary_path, c->binary, err)
                        : FERN_OK;
  if (rc == FERN_OK && !c->runner->exec_by_descriptor)
    rc = hold_binary_directory(c, err);
  return rc;
}

/* What a hook sees of the run. */
static void plan_fill(proc_run *c, fern_spawn_plan_t *plan, char *notify_file,
                      size_t size) {
  memset(plan, 0, sizeof *plan);
  plan->struct_size = sizeof *plan;
  plan->package_dir = c->package_dir;
  plan->args = (const char *const *)c->argv + 1;
  plan->environ = (const char *const *)c->environ;
  plan->job_id = c->job.id;
  plan->cgroup = c->job.kind == PROC_JOB_CGROUP ? c->job.cgroup_rel : NULL;
  plan->exec_path = c->no_binary_check ? NULL : c->binary_path;
  plan->exec_fd = c->binary_fd;
  if (c->notify_by_file) {
    proc_notify_file(c, notify_file, size);
    plan->notify_file = notify_file;
  }
  plan->notify_inside = PROC_NOTIFY_INSIDE;
  /* After the listening sockets, the lifecycle channel, and what an
   * earlier hook gave. */
  plan->first_wrapper_fd =
      3 + c->listen_count + (c->stop_notify ? 1 : 0) + c->wrapper_fd_count;
  for (int i = 0; i < FERN_SPAWN_WRAPPER_FDS; i++)
    plan->wrapper_fds[i] = -1;
}

/* Takes what the hook filled into the run (even when it failed: its
 * memory and descriptors are the run's to free). */
static void plan_take(proc_run *c, fern_spawn_plan_t *plan) {
  if (plan->wrapper_path != NULL) {
    free(c->exec_path);
    c->exec_path = plan->wrapper_path;
  }
  if (plan->wrapper_argv != NULL) {
    free_strv(c->exec_argv);
    c->exec_argv = plan->wrapper_argv;
  }
  /* Three in all, over both hooks: one past them is closed, and the
   * spawn refused (run_hook). */
  for (int i = 0; i < plan->wrapper_fd_count && i < FERN_SPAWN_WRAPPER_FDS;
       i++) {
    if (c->wrapper_fd_count < PROC_WRAPPER_FDS)
      c->wrapper_fds[c->wrapper_fd_count++] = plan->wrapper_fds[i];
    else if (plan->wrapper_fds[i] >= 0) {
      close(plan->wrapper_fds[i]);
      c->wrapper_fds_lost = 1;
    }
  }
  c->exit_codes_as_signals |= plan->exit_codes_as_signals;
  if (plan->term_spares != NULL && c->term_spares == NULL)
    c->term_spares = strdup(plan->term_spares);
  c->term_wrapper_only |= plan->term_wrapper_only;
}

static int run_hook(proc_run *c,
                    int (*hook)(void *, fern_spawn_plan_t *, fern_error_t *),
                    fern_error_t *err) {
  if (hook == NULL)
    return FERN_OK;
  fern_spawn_plan_t plan;
  char notify_file[108];
  plan_fill(c, &plan, notify_file, sizeof notify_file);
  int rc = hook(c->hook_arg, &plan, err);
  plan_take(c, &plan);
  if (rc == FERN_OK && c->wrapper_fds_lost)
    rc = fern_error_set(err, FERN_EINVAL, NULL,
                        "the %s runner handed its wrapper more than %d "
                        "descriptors",
                        c->runner->name, FERN_SPAWN_WRAPPER_FDS);
  return rc;
}

/* What the hooks left is a whole command: a wrapper with its arguments,
 * or none; and none only where the program is the package's. */
static int wrapper_complete(const proc_run *c, fern_error_t *err) {
  if ((c->exec_path == NULL) != (c->exec_argv == NULL))
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "the %s runner named a wrapper%s", c->runner->name,
                          c->exec_path ? " with no arguments"
                                       : "'s arguments but no wrapper");
  if (c->no_binary_check && c->exec_path == NULL)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "the %s runner asked to execute nothing of the "
                          "package (FERN_SPAWN_NO_EXEC) but named no wrapper",
                          c->runner->name);
  return FERN_OK;
}

int proc_run_before_spawn(proc_run *c, fern_error_t *err) {
  int rc = run_hook(c, c->before_spawn, err);
  return rc == FERN_OK ? wrapper_complete(c, err) : rc;
}

static void check_work(uv_work_t *req) {
  proc_run *c = req->data;
  if ((c->check_err = calloc(1, sizeof *c->check_err)) == NULL) {
    c->check_rc = FERN_ENOMEM;
    return;
  }
  c->check_err->struct_size = sizeof *c->check_err;
  /* A wrapped run's cgroup is made here: its wrapper needs the path now,
   * and mkdir of a cgroup is among the dearer calls of a start. */
  c->check_rc = c->job_at_spawn ? FERN_OK : proc_job_make(&c->job, c->check_err);
  if (c->check_rc != FERN_OK)
    return;
  if (c->no_binary_check)
    c->check_rc = (c->binary_path = strdup(c->binary)) == NULL ? FERN_ENOMEM
                                                               : FERN_OK;
  else
    c->check_rc = open_binary(c, c->check_err);
  if (c->check_rc == FERN_OK && c->package_root)
    c->check_rc = proc_image_root_plan(c->package_dir, &c->root,
                                       c->check_err);
  if (c->check_rc == FERN_OK)
    c->check_rc = run_hook(c, c->prepare, c->check_err);
}

static void check_done(uv_work_t *req, int status) {
  proc_run *c = req->data;
  fern_error_t *err = c->check_err;
  c->check_err = NULL;
  if (c->cancelled) {
    proc_process_report_now(c); /* stopped before it started */
  } else if (status != 0 || c->check_rc != FERN_OK) {
    c->start_failed = 1;
    snprintf(proc_failure_buf(c), PROC_FAILURE_MAX, "%s",
             status != 0   ? "the binary check was cancelled"
             : err != NULL ? err->message
                           : "out of memory");
    proc_process_report_now(c);
  } else {
    free(c->argv[0]);
    /* In its own root the program's path is the package's, from "/". */
    if (c->argv0 == NULL && c->root != NULL &&
        asprintf(&c->argv[0], "/%s", c->binary) < 0)
      c->argv[0] = NULL;
    else if (c->argv0 != NULL || c->root == NULL)
      c->argv[0] = strdup(c->argv0 != NULL ? c->argv0 : c->binary_path);
    proc_spawn_queue_add(c);
  }
  free(err);
}

static int copy_rlimits(proc_run *c, const fern_spawn_t *spawn) {
  if (spawn->rlimit_count == 0)
    return 0;
  size_t n = spawn->rlimit_count < PROC_RLIMITS_MAX ? spawn->rlimit_count
                                                   : PROC_RLIMITS_MAX;
  if ((c->rlimits = calloc(n, sizeof *c->rlimits)) == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    c->rlimits[i].resource = spawn->rlimits[i].resource;
    c->rlimits[i].limit.rlim_cur = (rlim_t)spawn->rlimits[i].soft;
    c->rlimits[i].limit.rlim_max = (rlim_t)spawn->rlimits[i].hard;
  }
  c->rlimit_count = (int)n;
  return 0;
}

/* The listening sockets it serves (host ABI 2.2), copied. */
static int read_listen_fds(proc_run *c, const fern_spawn_t *spawn) {
  if (spawn->listen_count == 0)
    return FERN_OK;
  if (spawn->listen_count > PROC_LISTEN_FDS || spawn->listen_fds == NULL)
    return FERN_EINVAL;
  size_t names = 1;
  for (size_t i = 0; i < spawn->listen_count; i++)
    names += strlen(spawn->listen_names && spawn->listen_names[i]
                        ? spawn->listen_names[i]
                        : "unknown") + 1;
  if ((c->listen_names = calloc(1, names)) == NULL)
    return FERN_ENOMEM;
  for (size_t i = 0; i < spawn->listen_count; i++) {
    int fd = fcntl(spawn->listen_fds[i], F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
      return FERN_EINVAL;
    c->listen_fds[c->listen_count++] = fd;
    if (i > 0)
      strcat(c->listen_names, ":");
    strcat(c->listen_names, spawn->listen_names && spawn->listen_names[i]
                                ? spawn->listen_names[i]
                                : "unknown");
  }
  return FERN_OK;
}

/* The request's flags, hooks and strings, copied into a new run. */
static int read_spawn(proc_run *c, const fern_spawn_t *spawn) {
  uint32_t f = spawn->flags;
  c->stop_notify = (f & FERN_SPAWN_LIFECYCLE) != 0;
  c->ready_notify = (f & FERN_SPAWN_NOTIFY) != 0;
  c->notify_by_file = c->ready_notify && (f & FERN_SPAWN_NOTIFY_FILE) != 0;
  c->critical = (f & FERN_SPAWN_CRITICAL) != 0;
  c->forward[PROC_STDOUT] = (f & FERN_SPAWN_DISCARD_STDOUT) == 0;
  c->forward[PROC_STDERR] = (f & FERN_SPAWN_DISCARD_STDERR) == 0;
  c->no_binary_check = (f & FERN_SPAWN_NO_EXEC) != 0;
  c->check_elf = (f & FERN_SPAWN_ELF) != 0;
  c->package_root = (f & FERN_SPAWN_PACKAGE_ROOT) != 0;
  c->start_timeout_ms = spawn->start_timeout_ms ? spawn->start_timeout_ms
                                                : PROC_DEFAULT_START_TIMEOUT_MS;
  c->prepare = spawn->prepare;
  c->before_spawn = spawn->before_spawn;
  c->hook_arg = spawn->hook_arg;
  c->hook_arg_free = spawn->hook_arg_free;
  c->moniker = strdup(spawn->moniker ? spawn->moniker : "");
  c->package_dir = spawn->package_dir ? strdup(spawn->package_dir) : NULL;
  c->binary = strdup(spawn->exec ? spawn->exec : "");
  c->argv = strv_copy(spawn->args, 1);
  /* argv[0] holds the request's name until the check finds the real
   * path: the vector must have no hole, or freeing it early would stop
   * there. */
  if (c->argv != NULL && c->binary != NULL)
    c->argv[0] = strdup(c->binary);
  c->environ = strv_copy(spawn->environ, 0);
  if (spawn->struct_size >= offsetof(fern_spawn_t, argv0) +
                                sizeof spawn->argv0 &&
      spawn->argv0 != NULL && (c->argv0 = strdup(spawn->argv0)) == NULL)
    return FERN_ENOMEM;
  if (read_listen_fds(c, spawn) != FERN_OK)
    return FERN_ENOMEM;
  return c->moniker && (c->package_dir || !spawn->package_dir) && c->binary &&
                 c->argv && c->argv[0] && c->environ &&
                 copy_rlimits(c, spawn) == 0
             ? FERN_OK
             : FERN_ENOMEM;
}

int proc_run_start(proc_service *r, fern_instance_t *instance,
                   const fern_spawn_t *given, proc_run **out,
                   fern_error_t *err) {
  fern_spawn_t spawn = {0};
  if (given == NULL ||
      given->struct_size < offsetof(fern_spawn_t, hook_arg_free) +
                               sizeof given->hook_arg_free)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "job_start needs a spawn of ABI 2.1 or later");
  memcpy(&spawn, given,
         given->struct_size < sizeof spawn ? given->struct_size : sizeof spawn);
  proc_run *c = calloc(1, sizeof *c);
  if (c == NULL) {
    if (spawn.hook_arg_free != NULL)
      spawn.hook_arg_free(spawn.hook_arg);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  c->runner = r;
  c->host = r->host;
  c->instance = instance;
  c->lifecycle_fd = c->notify_fd = c->pidfd = -1;
  c->binary_fd = c->binary_dir_fd = -1;
  c->job.cgroup_fd = c->job.base_fd = -1;
  int rc = read_spawn(c, &spawn);
  if (rc != FERN_OK) {
    run_free(c);
    return fern_error_set(err, rc, NULL, "out of memory");
  }
  if (spawn.package_dir == NULL) {
    run_free(c);
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "the %s runner needs a package on the local disk",
                          r->name);
  }
  if (c->critical &&
      (rc = r->host->policy_allows(r->host->ctx, "main_process_critical",
                                   c->moniker, err)) != FERN_OK) {
    run_free(c);
    return rc;
  }
  /* The socket file a sandbox binds is made in the service's directory. */
  if (c->notify_by_file && proc_notify_dir(r, err) != FERN_OK) {
    run_free(c);
    return FERN_EIO;
  }
  c->check_work.data = c;
  /* A plain run takes its cgroup at the spawn, where an emptied one may
   * be waiting; a wrapper needs the path for its check. */
  c->job_at_spawn = c->prepare == NULL && c->before_spawn == NULL;
  if (proc_job_name(r, &c->job, !c->job_at_spawn) != FERN_OK ||
      uv_queue_work(r->host->loop, &c->check_work, check_work, check_done) != 0) {
    run_free(c);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  *out = c;
  return FERN_OK;
}

/* The graceful stop's SIGTERM, where the wrapper's plan says: a wrapper
 * that must outlive its program to report on it is spared (if nothing
 * else is found, it gets it and takes the rest with it), and a shim that
 * forwards it gets it alone. */
static void send_term(proc_run *c) {
  if (c->term_wrapper_only)
    kill(c->pid, SIGTERM);
  else if (c->term_spares == NULL ||
           proc_job_signal_others(&c->job, SIGTERM, c->term_spares) == 0)
    proc_process_signal(c, SIGTERM);
}

/* A stop of a running program holds the runner's cgroup removals back
 * until it ends (proc_cgroup_removal.c). */
static void stop_begins(proc_run *c) {
  if (c->stop_counted || !c->spawned || c->exited)
    return;
  c->stop_counted = 1;
  proc_cgroup_removal_stop_begins(c->runner);
}

void proc_run_stop_over(proc_run *c) {
  if (!c->stop_counted)
    return;
  c->stop_counted = 0;
  proc_cgroup_removal_stop_ends(c->runner);
}

void proc_run_stop(proc_run *c) {
  c->stop_sent = 1;
  stop_begins(c);
  if (!c->spawned) {
    c->cancelled = 1;
    return;
  }
  if (c->exited)
    return;
  if (c->stop_notify && c->lifecycle_fd >= 0 &&
      send(c->lifecycle_fd, FERN_LIFECYCLE_STOP, strlen(FERN_LIFECYCLE_STOP),
           MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
    return;
  c->term_sent = 1;
  send_term(c);
}

void proc_run_kill(proc_run *c) {
  c->stop_sent = 1;
  stop_begins(c);
  if (!c->spawned)
    c->cancelled = 1;
  proc_process_kill_job(c);
}

void proc_run_release(proc_run *c) { run_free(c); }
