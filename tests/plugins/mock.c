/* mock - a runner with no processes at all, for the conformance suite: it
 * plays the test program's behaviours (see tests/packages/progs/src/tool.c)
 * from the program's "args", on libuv timers, through the host table only.
 * It proves the suite tests the runner contract, not the ELF runner. */
#include <fern/runner.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

typedef struct mock_runner_s {
  const fern_host_t *host;
} mock_runner;

typedef struct mock_run_s {
  const fern_host_t *host;
  fern_instance_t *instance;
  char *moniker;
  json_t *args;
  uv_timer_t timer;
  int started, stopping, ignores_stop, reported;
  fern_stop_report_t report;
} mock_run;

static int mock_create(const fern_host_t *host, const json_t *config,
                       void **out, fern_error_t *err) {
  (void)config;
  mock_runner *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  *out = r;
  return FERN_OK;
}

static void mock_release(void *r) { free(r); }

static int mock_validate(const json_t *config, const json_t *program,
                         fern_error_t *err) {
  (void)config;
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)program, key, value) {
    if (strcmp(key, "runner") != 0 && strcmp(key, "binary") != 0 &&
        strcmp(key, "args") != 0) {
      char at[160];
      snprintf(at, sizeof at, "/%.100s", key);
      return fern_error_set(err, FERN_EINVAL, at,
                            "the mock runner does not know program key "
                            "\"%s\"",
                            key);
    }
  }
  if (!json_is_array(json_object_get(program, "args")))
    return fern_error_set(err, FERN_EINVAL, "", "the mock runner needs args");
  return FERN_OK;
}

static const char *arg(const mock_run *run, size_t i) {
  const char *s = json_string_value(json_array_get(run->args, i));
  return s ? s : "";
}

static void on_closed(uv_handle_t *handle) {
  mock_run *run = handle->data;
  run->host->stopped(run->host->ctx, run->instance, &run->report);
}

/* Ends the run once: the report goes out after the timer is closed. */
static void finish(mock_run *run, fern_stop_status status, int code, int sig) {
  if (run->reported)
    return;
  run->reported = 1;
  run->report = (fern_stop_report_t){sizeof run->report, status, code, sig, 0,
                                     NULL};
  uv_timer_stop(&run->timer);
  uv_close((uv_handle_t *)&run->timer, on_closed);
}

static void line(mock_run *run, int stream, const char *text) {
  run->host->output(run->host->ctx, run->moniker, stream, text, strlen(text));
}

static void play(uv_timer_t *timer) {
  mock_run *run = timer->data;
  const char *what = arg(run, 0);
  run->started = 1;
  run->host->started(run->host->ctx, run->instance, 0);
  if (strcmp(what, "print") == 0 || strcmp(what, "orphans") == 0) {
    for (size_t i = 1; i < json_array_size(run->args); i++)
      line(run, 1, arg(run, i));
    finish(run, FERN_STOP_OK, 0, 0);
  } else if (strcmp(what, "stderr") == 0) {
    line(run, 2, arg(run, 1));
    finish(run, FERN_STOP_OK, 0, 0);
  } else if (strcmp(what, "exit") == 0) {
    int code = atoi(arg(run, 1));
    finish(run, code ? FERN_STOP_INSTANCE_DIED : FERN_STOP_OK, code, 0);
  } else if (strcmp(what, "signal") == 0) {
    finish(run, FERN_STOP_INSTANCE_DIED, -1, atoi(arg(run, 1)));
  } else {
    /* sleep, orphans-wait, ignore-term: wait for a stop */
    run->ignores_stop = strcmp(what, "ignore-term") == 0;
    line(run, 1, "ready");
  }
}

static int mock_start(void *runner, const fern_start_info_t *info,
                      void **controller, fern_error_t *err) {
  mock_runner *r = runner;
  mock_run *run = calloc(1, sizeof *run);
  if (run == NULL || (run->moniker = strdup(info->moniker)) == NULL) {
    free(run);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  run->host = r->host;
  run->instance = info->instance;
  run->args = json_deep_copy(json_object_get(info->program, "args"));
  uv_timer_init(r->host->loop, &run->timer);
  run->timer.data = run;
  uv_timer_start(&run->timer, play, 1, 0); /* starting takes a moment */
  *controller = run;
  return FERN_OK;
}

static void mock_stop(void *controller) {
  mock_run *run = controller;
  if (!run->started) /* stopped while starting: it never ran */
    finish(run, FERN_STOP_NOT_STARTED, -1, 0);
  else if (!run->ignores_stop)
    finish(run, FERN_STOP_OK, -1, SIGTERM);
}

static void mock_kill(void *controller) {
  mock_run *run = controller;
  if (!run->started)
    finish(run, FERN_STOP_NOT_STARTED, -1, 0);
  else
    finish(run, FERN_STOP_INSTANCE_DIED, -1, SIGKILL);
}

static void mock_controller_release(void *controller) {
  mock_run *run = controller;
  json_decref(run->args);
  free(run->moniker);
  free(run);
}

FERN_RUNNER_PLUGIN(.name = "mock", .description = "plays programs, runs none",
                   .capabilities = FERN_RUNNER_CAP_GRACEFUL_STOP,
                   .create = mock_create, .release = mock_release,
                   .validate = mock_validate, .start = mock_start,
                   .stop = mock_stop, .kill = mock_kill,
                   .controller_release = mock_controller_release);
