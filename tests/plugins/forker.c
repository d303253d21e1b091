/* forker.c - a runner that starts its program with a plain fork() and
 * execv, and reaps it itself with waitpid(pid, WNOHANG) on a timer: the
 * child stays in fern's own session. fern's process services must leave
 * it alone even where fern is a subreaper and reaps its jobs' orphans
 * (they reap only what is outside fern's session). If someone else reaps
 * it, the runner says so in its report, with no exit code.
 * Program: {"runner": "forker", "binary": "bin/tool", "args": [...]}. */
#include <errno.h>
#include <fern/runner.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct fork_run_s {
  const fern_host_t *host;
  fern_instance_t *instance;
  uv_timer_t poll;
  pid_t pid;
  int exited;
  fern_stop_report_t report;
} fork_run;

static int fork_create(const fern_host_t *host, const json_t *config,
                       void **runner, fern_error_t *err) {
  (void)config;
  (void)err;
  *runner = (void *)host;
  return FERN_OK;
}

static void fork_release(void *runner) { (void)runner; }

static int fork_validate(const json_t *config, const json_t *program,
                         fern_error_t *err) {
  (void)config;
  return json_is_string(json_object_get(program, "binary"))
             ? FERN_OK
             : fern_error_set(err, FERN_EINVAL, "/binary",
                              "\"binary\" must be a string");
}

static void on_closed(uv_handle_t *handle) {
  fork_run *run = handle->data;
  run->host->stopped(run->host->ctx, run->instance, &run->report);
}

static void look(uv_timer_t *timer) {
  fork_run *run = timer->data;
  int status;
  pid_t got = waitpid(run->pid, &status, WNOHANG);
  if (got == 0 || (got < 0 && errno == EINTR))
    return;
  run->exited = 1;
  run->report.status = FERN_STOP_INSTANCE_DIED;
  run->report.exit_code = -1;
  if (got < 0)
    run->report.message = "its child was reaped by someone else";
  else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    run->report.status = FERN_STOP_OK;
  if (got > 0 && WIFEXITED(status))
    run->report.exit_code = WEXITSTATUS(status);
  else if (got > 0)
    run->report.term_signal = WTERMSIG(status);
  uv_timer_stop(timer);
  uv_close((uv_handle_t *)timer, on_closed);
}

static int fork_start(void *runner, const fern_start_info_t *info,
                      void **controller, fern_error_t *err) {
  const fern_host_t *host = runner;
  char path[PATH_MAX];
  const char *binary = json_string_value(json_object_get(info->program, "binary"));
  int rc = host->package_path(host->ctx, info->package_dir, binary, path,
                              sizeof path, err);
  if (rc != FERN_OK)
    return rc;
  const json_t *args = json_object_get(info->program, "args");
  char *argv[32] = {path};
  for (size_t i = 0; i < json_array_size(args) && i < 30; i++)
    argv[i + 1] = (char *)json_string_value(json_array_get(args, i));
  fork_run *run = calloc(1, sizeof *run);
  if (run == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  run->host = host;
  run->instance = info->instance;
  run->report.struct_size = sizeof run->report;
  if ((run->pid = fork()) == 0) {
    execv(path, argv);
    _exit(127);
  }
  uv_timer_init(host->loop, &run->poll);
  run->poll.data = run;
  uv_timer_start(&run->poll, look, 10, 10);
  host->started(host->ctx, info->instance, (long)run->pid);
  *controller = run;
  return FERN_OK;
}

static void fork_signal(void *controller, int signum) {
  fork_run *run = controller;
  if (!run->exited)
    kill(run->pid, signum);
}

static void fork_stop(void *controller) { fork_signal(controller, SIGTERM); }
static void fork_kill(void *controller) { fork_signal(controller, SIGKILL); }
static void fork_controller_release(void *controller) { free(controller); }

FERN_RUNNER_PLUGIN(.name = "forker",
                   .description = "forks and reaps its own (a test of reaping)",
                   .capabilities = FERN_RUNNER_CAP_GRACEFUL_STOP,
                   .create = fork_create, .release = fork_release,
                   .validate = fork_validate, .start = fork_start,
                   .stop = fork_stop, .kill = fork_kill,
                   .controller_release = fork_controller_release);
