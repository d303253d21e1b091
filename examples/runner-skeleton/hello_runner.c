/* hello_runner.c - the smallest complete fern runner: copy it to start your
 * own. It "runs" a program by printing its "greeting" lines to fern's log,
 * then reports the run over. A real runner would start something here
 * (a process, a container, a remote job) and report when it ends.
 *
 * Build it against an installed fern:
 *   cc -shared -fPIC $(pkg-config --cflags fern) hello_runner.c -o hello_runner.so
 * Put hello_runner.so in a plugin directory (--plugin-dir DIR), and give a
 * component  "program": {"runner": "hello_runner", "greeting": ["hi"]}
 * in an environment that registers it, e.g. the root environment's config:
 *   {"root_environment": {"runners": [{"runner": "hello_runner"}]}}
 * Once yours runs real programs, put it through fern's conformance suite:
 *   make conformance RUNNER=your_runner.so  (in fern's source tree). */
#include <fern/runner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One configured runner: what create returns. */
typedef struct hello_runner_s {
  const fern_host_t *host; /* valid until release */
} hello_runner;

/* One run. Runner calls come on fern's loop thread and must not block, so
 * the work happens on a libuv timer, and so does the report. */
typedef struct hello_run_s {
  const fern_host_t *host;
  fern_instance_t *instance; /* fern's token for this run */
  char *moniker;
  json_t *greeting;
  uv_timer_t timer;
  int greeted; /* started was reported */
  int reported;
} hello_run;

static int hello_create(const fern_host_t *host, const json_t *config,
                        void **runner, fern_error_t *err) {
  (void)config; /* this runner takes no config */
  hello_runner *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  *runner = r;
  return FERN_OK;
}

static void hello_release(void *runner) { free(runner); }

/* Every key of the program block is the runner's to check. Say where a
 * fault is (err->key, a JSON pointer) and fern names file:line:col. This
 * runner takes no config (so it needs no validate_config: fern then
 * refuses any config it is given). `fern check` calls this with no runner
 * made: check, make nothing. */
static int hello_validate(const json_t *config, const json_t *program,
                          fern_error_t *err) {
  (void)config;
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)program, key, value) {
    char at[160];
    snprintf(at, sizeof at, "/%.100s", key); /* names the key's line */
    if (strcmp(key, "runner") != 0 && strcmp(key, "greeting") != 0)
      return fern_error_set(err, FERN_EINVAL, at,
                            "hello_runner knows \"greeting\" only, not \"%s\"",
                            key);
  }
  if (!json_is_array(json_object_get(program, "greeting")))
    return fern_error_set(err, FERN_EINVAL, "/greeting",
                          "\"greeting\" must be an array of strings");
  return FERN_OK;
}

/* Exactly once per start, and the last thing the run does. Stopped before
 * it greeted, it never ran: not_started, not a failure. */
static void on_closed(uv_handle_t *handle) {
  hello_run *run = handle->data;
  fern_stop_report_t report = {sizeof report, FERN_STOP_OK, 0, 0, 0, NULL};
  if (!run->greeted)
    report.status = FERN_STOP_NOT_STARTED;
  run->host->stopped(run->host->ctx, run->instance, &report);
}

static void finish(hello_run *run) {
  if (run->reported)
    return;
  run->reported = 1;
  uv_close((uv_handle_t *)&run->timer, on_closed);
}

static void greet(uv_timer_t *timer) {
  hello_run *run = timer->data;
  run->host->started(run->host->ctx, run->instance, 0);
  run->greeted = 1;
  size_t i;
  json_t *line;
  json_array_foreach(run->greeting, i, line) {
    const char *text = json_string_value(line);
    if (text != NULL)
      run->host->output(run->host->ctx, run->moniker, 1, text, strlen(text));
  }
  finish(run);
}

static int hello_start(void *runner, const fern_start_info_t *info,
                       void **controller, fern_error_t *err) {
  hello_runner *r = runner;
  /* What the component uses (routed capabilities) this runner cannot
   * give: say so rather than start a program that will not find it. */
  if (info->use_count > 0)
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "hello_runner cannot give a component \"%s\"",
                          info->uses[0].name);
  hello_run *run = calloc(1, sizeof *run);
  if (run == NULL || (run->moniker = strdup(info->moniker)) == NULL) {
    free(run);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  run->host = r->host;
  run->instance = info->instance;
  /* Borrowed data lives only for the call: keep a copy. */
  run->greeting = json_deep_copy(json_object_get(info->program, "greeting"));
  uv_timer_init(r->host->loop, &run->timer);
  run->timer.data = run;
  uv_timer_start(&run->timer, greet, 0, 0);
  *controller = run;
  return FERN_OK;
}

/* Stop and kill may come at any time, even before "started", and twice. */
static void hello_stop(void *controller) {
  finish(controller);
}

static void hello_controller_release(void *controller) {
  hello_run *run = controller;
  json_decref(run->greeting);
  free(run->moniker);
  free(run);
}

FERN_RUNNER_PLUGIN(.name = "hello_runner",
                   .description = "prints greetings: a skeleton to copy",
                   .capabilities = FERN_RUNNER_CAP_GRACEFUL_STOP,
                   .create = hello_create, .release = hello_release,
                   .validate = hello_validate, .start = hello_start,
                   .stop = hello_stop, .kill = hello_stop,
                   .controller_release = hello_controller_release);
