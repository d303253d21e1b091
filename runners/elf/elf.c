/* elf.c - the ELF runner's operations: native Linux programs from a
 * package. The plugin table is in elf_plugin.c; the sandbox runner reuses
 * these operations with its own table.
 *
 * Start checks the binary on the thread pool (inside the package, an ELF
 * program for this machine), then spawns it on the loop into a job of its
 * own (elf_job.c). Stop is the lifecycle "stop" message when the program
 * asked for it, else SIGTERM to its process group; kill is SIGKILL to its
 * whole job. Config keys (for the runner, not a program):
 *   "job":    "auto" (default), "cgroup", "subreaper" or "process_group"
 *   "pidfd":  false to watch exits with SIGCHLD instead of pidfds
 *   "clone3": false to spawn with fork instead of clone3 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <stdio.h>
#include <unistd.h>

#include <fern/lifecycle.h>

#include "elf_runner.h"
#include "../common/runner_common.h"

static const char *const job_kinds[] = {"auto", "cgroup", "subreaper",
                                        "process_group", NULL};

static int is_one_of(const char *value, const char *const *names) {
  for (; value != NULL && *names != NULL; names++)
    if (strcmp(value, *names) == 0)
      return 1;
  return 0;
}

/* Checks the runner's config (the plugin-level validate_config): keys, and
 * each value's type and range. Pure. */
int elf_config_validate(const json_t *config, const char *name,
                        fern_error_t *err) {
  static const char *const keys[] = {"job", "pidfd", "clone3", "exec", NULL};
  static const char *const exec_modes[] = {"auto", "descriptor", "name", NULL};
  if (config != NULL && !json_is_object(config))
    return fern_error_set(err, FERN_EINVAL, "",
                          "the %s runner's config must be an object", name);
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)config, key, value) {
    char at[128];
    snprintf(at, sizeof at, "/%s", key);
    if (!is_one_of(key, keys))
      return fern_error_set(err, FERN_EINVAL, at,
                            "the %s runner's config takes \"job\", "
                            "\"pidfd\", \"clone3\" and \"exec\"; got "
                            "\"%s\"",
                            name, key);
    if ((strcmp(key, "pidfd") == 0 || strcmp(key, "clone3") == 0) &&
        !json_is_boolean(value))
      return fern_error_set(err, FERN_EINVAL, at,
                            "%s runner config \"%s\" must be true or false",
                            name, key);
    if (strcmp(key, "job") == 0 &&
        !is_one_of(json_string_value(value), job_kinds))
      return fern_error_set(err, FERN_EINVAL, at,
                            "%s runner config \"job\" must be \"auto\", "
                            "\"cgroup\", \"subreaper\" or "
                            "\"process_group\"",
                            name);
    if (strcmp(key, "exec") == 0 &&
        !is_one_of(json_string_value(value), exec_modes))
      return fern_error_set(err, FERN_EINVAL, at,
                            "%s runner config \"exec\" must be \"auto\", "
                            "\"descriptor\" or \"name\"",
                            name);
  }
  return FERN_OK;
}

static int config_flag(const json_t *config, const char *key) {
  return !json_is_false(json_object_get(config, key));
}

/* Whether this kernel names a process run through execveat(fd, "",
 * AT_EMPTY_PATH) after its file, as it does from Linux 6.14 on
 * (fs/exec.c: bprm->comm_from_dentry); before, the name was the
 * descriptor's number, and `ps` or `pkill` would see "16". */
static int kernel_names_fd_execs(void) {
  struct utsname u;
  int major = 0, minor = 0;
  return uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
         (major > 6 || (major == 6 && minor >= 14));
}

/* "exec": "descriptor" runs the checked file through its descriptor;
 * "name" runs it by name in the directory the check found it in, held
 * open since, after the child saw the same file there; "auto" (the
 * default) takes the descriptor where the kernel keeps the program's
 * name. */
static int exec_by_descriptor(const json_t *config) {
  const char *mode = json_string_value(json_object_get(config, "exec"));
  if (mode == NULL || strcmp(mode, "auto") == 0)
    return kernel_names_fd_execs();
  return strcmp(mode, "descriptor") == 0;
}

static void on_sigchld(uv_signal_t *handle, int signum) {
  elf_runner *r = handle->data;
  (void)signum;
  /* Runs watched by a pidfd are not polled: their pidfd tells. */
  for (elf_controller *c = r->live_without_pidfd ? r->live : NULL, *next;
       c != NULL; c = next) {
    next = c->next_live;
    elf_process_poll_exit(c);
  }
  if (r->job_kind == ELF_JOB_SUBREAPER)
    elf_job_reap_orphans(r);
  elf_guardian_check(r->guardian);
}

int elf_op_create(const fern_host_t *host, const json_t *config,
                  void **runner, fern_error_t *err) {
  return elf_runner_create(host, config, "elf", runner, err);
}

int elf_runner_create(const fern_host_t *host, const json_t *config,
                      const char *name, void **runner, fern_error_t *err) {
  int rc = elf_config_validate(config, name, err);
  if (rc != FERN_OK)
    return rc;
  elf_runner *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  r->cgroup_base_fd = r->cgroup_lock_fd = r->notify_dir_fd = -1;
  elf_job_tag(r, name);
  elf_spawn_slots_open(r);
  elf_spawn_read_signals(r);
  r->child_nofile.rlim_cur = (rlim_t)host->nofile_soft;
  r->child_nofile.rlim_max = (rlim_t)host->nofile_hard;
  r->use_clone3 = config_flag(config, "clone3");
  r->exec_by_descriptor = exec_by_descriptor(config);
  const char *job = json_string_value(json_object_get(config, "job"));
  rc = elf_job_setup_runner(r, job ? job : "auto", err);
  int probe = config_flag(config, "pidfd")
                  ? (int)syscall(SYS_pidfd_open, getpid(), 0)
                  : -1;
  if (probe >= 0)
    close(probe);
  r->use_pidfd = probe >= 0; /* no pidfd_open here: SIGCHLD it is */
  if (rc != FERN_OK) {
    elf_spawn_slots_close(r);
    if (r->cgroup_base_fd >= 0)
      close(r->cgroup_base_fd);
    free(r);
    return rc;
  }
  /* SIGCHLD is watched even with pidfds: a kernel (or valgrind) without
   * pidfd_open leaves a run to it, and the subreaper reaps orphans on it. */
  uv_signal_init(host->loop, &r->sigchld);
  r->sigchld.data = r;
  elf_spawn_queue_init(r);
  elf_output_pace_init(r);
  r->open_handles = 3;
  uv_signal_start(&r->sigchld, on_sigchld, SIGCHLD);
  uv_unref((uv_handle_t *)&r->sigchld);
  /* A runner is made only to run programs (fern check and fern tree make
   * none): its guardian starts, and what a dead fern left is swept. */
  r->guardian = elf_guardian_start(r);
  elf_stale_sweep(r);
  host->log(host->ctx, FERN_LOG_INFO, NULL,
            "%s runner: job mechanism %s%s%s, exits watched with %s%s%s", name,
            elf_job_kind_name(r->job_kind),
            r->job_kind == ELF_JOB_CGROUP ? " in " : "",
            r->job_kind == ELF_JOB_CGROUP ? r->cgroup_base : "",
            r->use_pidfd ? "pidfds" : "SIGCHLD",
            r->guardian ? ", guardian running" : ", NO guardian",
            elf_job_kind_gaps(r->job_kind));
  *runner = r;
  return FERN_OK;
}

void elf_runner_unref(elf_runner *r) {
  if (--r->open_handles > 0)
    return;
  if (r->cgroup_base_fd >= 0)
    close(r->cgroup_base_fd);
  if (r->job_kind == ELF_JOB_CGROUP)
    rmdir(r->cgroup_base); /* empty now: every removal is done */
  if (r->cgroup_lock_fd >= 0)
    close(r->cgroup_lock_fd); /* after the rmdir: no sweep takes it early */
  free(r);
}

static void runner_free_on_close(uv_handle_t *handle) {
  elf_runner_unref(handle->data);
}

void elf_op_release(void *runner) {
  elf_runner *r = runner;
  if (r->ext_free != NULL)
    r->ext_free(r->ext);
  elf_guardian_stop(r->guardian);
  elf_spawn_slots_close(r);
  elf_cgroup_pool_drain(r);
  elf_notify_dir_release(r);
  uv_close((uv_handle_t *)&r->spawn_idle, runner_free_on_close);
  uv_close((uv_handle_t *)&r->pace_timer, runner_free_on_close);
  uv_close((uv_handle_t *)&r->sigchld, runner_free_on_close);
}

static void free_strv(char **v) {
  for (size_t i = 0; v != NULL && v[i] != NULL; i++)
    free(v[i]);
  free(v);
}

static void controller_free(elf_controller *c) {
  elf_spawn_queue_remove(c);
  elf_job_release(c->runner, &c->job); /* a run stopped before it started has one */
  if (c->wrapper_free != NULL)
    c->wrapper_free(c->wrapper);
  elf_wrapper_fds_close(c);
  elf_binary_fds_close(c);
  free(c->exec_path);
  free_strv(c->exec_argv);
  free_strv(c->argv);
  free_strv(c->environ);
  free_strv(c->envp);
  for (int i = 0; i < 2; i++)
    free(c->streams[i].line);
  free(c->moniker);
  free(c->package_dir);
  free(c->binary);
  free(c->binary_path);
  free(c->failure);
  free(c->check_err);
  free(c->rlimits);
  free(c->notify);
  free(c);
}

/* Copies a JSON array of strings into a NULL-terminated vector with
 * `reserve` empty slots in front. */
static char **strv_from(const json_t *array, size_t reserve) {
  size_t n = json_array_size(array);
  char **v = calloc(n + reserve + 1, sizeof *v);
  for (size_t i = 0; v != NULL && i < n; i++)
    if ((v[reserve + i] = strdup(json_string_value(json_array_get(array, i)))) ==
        NULL)
      return free_strv(v), NULL;
  return v;
}

static int forward_wanted(const json_t *program, const char *key) {
  const char *v = json_string_value(json_object_get(program, key));
  return v == NULL || strcmp(v, "log") == 0;
}

/* For an exec by name: the directory the checked binary is in, held open
 * (a later swap of a directory above for a symlink changes nothing), and
 * the file found there now being the one checked. */
static int hold_binary_directory(elf_controller *c, fern_error_t *err) {
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

/* Opens the binary the manifest names, inside the package, through a
 * descriptor that cannot block and is the very file later executed. */
static int open_binary(elf_controller *c, fern_error_t *err) {
  char path[PATH_MAX];
  fern_error_t why = FERN_ERROR_INIT;
  int fd = c->host->package_open(c->host->ctx, c->package_dir, c->binary, path, sizeof path,
                                 &why);
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
  int rc = elf_binary_check(fd, c->binary_path, c->binary, err);
  if (rc == FERN_OK && !c->runner->exec_by_descriptor)
    rc = hold_binary_directory(c, err);
  return rc;
}

static void check_work(uv_work_t *req) {
  elf_controller *c = req->data;
  if ((c->check_err = calloc(1, sizeof *c->check_err)) == NULL) {
    c->check_rc = FERN_ENOMEM;
    return;
  }
  /* A wrapped run's cgroup is made here: its wrapper needs the path now,
   * and mkdir of a cgroup is among the dearer calls of a start. */
  c->check_rc = c->job_at_spawn ? FERN_OK : elf_job_make(&c->job, c->check_err);
  if (c->check_rc != FERN_OK)
    return;
  if (c->no_binary_check) {
    c->binary_path = strdup(c->binary);
    c->check_rc = c->binary_path == NULL ? FERN_ENOMEM
                  : c->prepare_exec      ? c->prepare_exec(c, c->check_err)
                                         : 0;
    return;
  }
  c->check_rc = open_binary(c, c->check_err);
  if (c->check_rc == FERN_OK && c->prepare_exec != NULL)
    c->check_rc = c->prepare_exec(c, c->check_err);
}

static void check_finished(elf_controller *c, int status, fern_error_t *err);

static void check_done(uv_work_t *req, int status) {
  elf_controller *c = req->data;
  fern_error_t *err = c->check_err;
  c->check_err = NULL;
  check_finished(c, status, err);
  free(err);
}

static void check_finished(elf_controller *c, int status, fern_error_t *err) {
  if (c->cancelled) {
    elf_process_report_now(c); /* stopped before it started */
    return;
  }
  if (status != 0 || c->check_rc != FERN_OK) {
    c->start_failed = 1;
    snprintf(elf_failure_buf(c), ELF_FAILURE_MAX, "%s",
             status != 0           ? "the binary check was cancelled"
             : err != NULL ? err->message
                                    : "out of memory");
    elf_process_report_now(c);
    return;
  }
  free(c->argv[0]);
  c->argv[0] = strdup(c->binary_path);
  elf_spawn_queue_add(c);
}

static void read_program(elf_controller *c, const json_t *program) {
  const json_t *lifecycle = json_object_get(program, "lifecycle");
  const char *stop = json_string_value(json_object_get(lifecycle, "stop_event"));
  const char *ready =
      json_string_value(json_object_get(lifecycle, "ready_event"));
  json_t *timeout = json_object_get(lifecycle, "start_timeout_ms");
  c->stop_notify = stop != NULL && strcmp(stop, "notify") == 0;
  c->ready_notify = ready != NULL && strcmp(ready, "notify") == 0;
  c->start_timeout_ms = timeout ? (uint64_t)json_integer_value(timeout)
                                : ELF_DEFAULT_START_TIMEOUT_MS;
  c->critical = json_is_true(json_object_get(program, "main_process_critical"));
  c->forward[ELF_STDOUT] = forward_wanted(program, "forward_stdout_to");
  c->forward[ELF_STDERR] = forward_wanted(program, "forward_stderr_to");
  elf_program_rlimits(program, c);
}

int elf_op_start(void *runner, const fern_start_info_t *info,
                 void **controller, fern_error_t *err) {
  return elf_start_wrapped(runner, info, NULL, controller, err);
}

int elf_start_wrapped(void *runner, const fern_start_info_t *info,
                      const elf_wrapping *wrapping, void **controller,
                      fern_error_t *err) {
  elf_runner *r = runner;
  if (runner_refuse_uses(info, "elf", err) != FERN_OK)
    return FERN_ENOTSUP;
  if (info->package_dir == NULL)
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "the elf runner needs a package on the local disk");
  if (json_is_true(json_object_get(info->program, "main_process_critical"))) {
    int rc = r->host->policy_allows(r->host->ctx, "main_process_critical", info->moniker,
                                    err);
    if (rc != FERN_OK)
      return rc;
  }
  elf_controller *c = calloc(1, sizeof *c);
  if (c == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  c->runner = r;
  c->host = r->host;
  c->instance = info->instance;
  c->lifecycle_fd = c->notify_fd = c->pidfd = -1;
  c->binary_fd = c->binary_dir_fd = -1;
  c->job.cgroup_fd = c->job.base_fd = -1;
  c->moniker = strdup(info->moniker);
  c->package_dir = strdup(info->package_dir);
  const char *binary = json_string_value(json_object_get(info->program,
                                                         "binary"));
  c->binary = strdup(binary ? binary : ""); /* a wrapper may not need one */
  c->argv = strv_from(json_object_get(info->program, "args"), 1);
  /* argv[0] holds the manifest's name until the check finds the real path:
   * the vector must have no hole, or freeing it early would stop there. */
  if (c->argv != NULL && c->binary != NULL)
    c->argv[0] = strdup(c->binary);
  c->environ = strv_from(json_object_get(info->program, "environ"), 0);
  read_program(c, info->program);
  if (wrapping != NULL) { /* before the check is queued: it calls these */
    c->prepare_exec = wrapping->prepare_exec;
    c->before_spawn = wrapping->before_spawn;
    c->no_binary_check = wrapping->no_binary_check;
    c->send_term = wrapping->send_term;
    c->wrapper = wrapping->wrapper;
    c->wrapper_free = wrapping->wrapper_free;
  }
  c->check_work.data = c;
  /* A plain run takes its cgroup at the spawn, where an emptied one may
   * be waiting; a wrapper needs the path for its check. */
  c->job_at_spawn = c->prepare_exec == NULL;
  if (elf_job_name(r, &c->job, !c->job_at_spawn) != FERN_OK || c->moniker == NULL ||
      c->package_dir == NULL || c->binary == NULL || c->argv == NULL || c->argv[0] == NULL || c->environ == NULL ||
      uv_queue_work(r->host->loop, &c->check_work, check_work, check_done) != 0) {
    c->wrapper_free = NULL; /* on failure the caller keeps its wrapper */
    controller_free(c);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  *controller = c;
  return FERN_OK;
}

void elf_op_stop(void *controller) {
  elf_controller *c = controller;
  c->stop_sent = 1;
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
  if (c->send_term != NULL)
    c->send_term(c); /* a wrapper knows who must get it */
  else
    elf_process_signal(c, SIGTERM);
}

void elf_op_kill(void *controller) {
  elf_controller *c = controller;
  c->stop_sent = 1;
  if (!c->spawned)
    c->cancelled = 1;
  elf_process_kill_job(c);
}

void elf_op_controller_release(void *controller) {
  controller_free(controller);
}
