/* greedy.c - a badly written runner: a thread of its own reaps any child
 * of fern the moment it ends (waitid(P_ALL)), its own or not; its
 * component runs no program. The host's process service must not hang
 * when such a plugin takes the exit of a run watched by SIGCHLD: that run
 * ends, its status unknown.
 * Program: {"runner": "greedy"}. */
#include <fern/runner.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <errno.h>
#include <string.h>

typedef struct greedy_run_s {
  const fern_host_t *host;
  fern_instance_t *instance;
  uv_timer_t timer;
  pthread_t thread;
} greedy_run;

static int greedy_create(const fern_host_t *host, const json_t *config,
                         void **runner, fern_error_t *err) {
  (void)config;
  (void)err;
  *runner = (void *)host;
  return FERN_OK;
}

static void greedy_release(void *runner) { (void)runner; }

static int greedy_validate(const json_t *config, const json_t *program,
                           fern_error_t *err) {
  (void)config;
  (void)program;
  (void)err;
  return FERN_OK;
}

/* Blocks until any child ends and reaps it at once, before fern's loop
 * has even seen the SIGCHLD. fern always has a child while a runner lives
 * (its guardians); with none at all there is nothing to take, and the
 * thread ends. Ends too when cancelled (waitid is a cancellation point). */
static void *reap_anything(void *arg) {
  (void)arg;
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &chld, NULL); /* not this thread's to run */
  siginfo_t info;
  while (memset(&info, 0, sizeof info),
         waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) == 0 || errno == EINTR)
    if (info.si_pid > 0)
      waitpid(info.si_pid, NULL, WNOHANG);
  return NULL;
}

static int greedy_start(void *runner, const fern_start_info_t *info,
                        void **controller, fern_error_t *err) {
  const fern_host_t *host = runner;
  greedy_run *run = calloc(1, sizeof *run);
  if (run == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  run->host = host;
  run->instance = info->instance;
  uv_timer_init(host->loop, &run->timer);
  run->timer.data = run;
  if (pthread_create(&run->thread, NULL, reap_anything, run) != 0) {
    uv_close((uv_handle_t *)&run->timer, (uv_close_cb)free);
    return fern_error_set(err, FERN_EIO, NULL, "no thread");
  }
  host->started(host->ctx, info->instance, 0);
  *controller = run;
  return FERN_OK;
}

static void on_closed(uv_handle_t *handle) {
  greedy_run *run = handle->data;
  fern_stop_report_t report = {.struct_size = sizeof report,
                               .status = FERN_STOP_OK,
                               .exit_code = -1};
  run->host->stopped(run->host->ctx, run->instance, &report);
}

static void greedy_stop(void *controller) {
  greedy_run *run = controller;
  if (uv_is_closing((uv_handle_t *)&run->timer))
    return;
  pthread_cancel(run->thread);
  pthread_join(run->thread, NULL);
  uv_close((uv_handle_t *)&run->timer, on_closed);
}

static void greedy_controller_release(void *controller) { free(controller); }

FERN_RUNNER_PLUGIN(.name = "greedy",
                   .description = "reaps any child of fern (a test of a bad "
                                  "plugin)",
                   .capabilities = FERN_RUNNER_CAP_GRACEFUL_STOP,
                   .create = greedy_create, .release = greedy_release,
                   .validate = greedy_validate, .start = greedy_start,
                   .stop = greedy_stop, .kill = greedy_stop,
                   .controller_release = greedy_controller_release);
