/* good - a minimal, valid runner plugin for the loader's tests: it "runs" a
 * program by reporting it started and, on stop or kill, stopped ok. */
#include <fern/runner.h>
#include <stdlib.h>

#ifndef GOOD_NAME /* tls.c is this plugin under another name */
#define GOOD_NAME "good"
#endif

typedef struct { const fern_host_t *host; } good_runner;
typedef struct { const fern_host_t *host; fern_instance_t *instance; } good_run;

static int good_create(const fern_host_t *host, const json_t *config,
                       void **runner, fern_error_t *err) {
  (void)config;
  good_runner *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  *runner = r;
  return FERN_OK;
}
static void good_release(void *runner) { free(runner); }
static int good_validate(void *runner, const json_t *program,
                         fern_error_t *err) {
  (void)runner;
  if (json_object_get(program, "bad") != NULL)
    return fern_error_set(err, FERN_EINVAL, "/bad", "\"bad\" is refused");
  return FERN_OK;
}
static int good_start(void *runner, const fern_start_info_t *info,
                      void **controller, fern_error_t *err) {
  good_runner *r = runner;
  good_run *run = calloc(1, sizeof *run);
  if (run == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  run->host = r->host;
  run->instance = info->instance;
  *controller = run;
  r->host->started(info->instance, 0);
  return FERN_OK;
}
static int good_kill(void *controller) {
  good_run *run = controller;
  fern_stop_report_t report = {sizeof report, FERN_STOP_OK, 0, 0, 0, NULL};
  run->host->stopped(run->instance, &report);
  return FERN_OK;
}
static void good_controller_release(void *controller) { free(controller); }

FERN_RUNNER_PLUGIN(.name = GOOD_NAME, .description = "test runner",
                   .capabilities = FERN_RUNNER_CAP_KILL,
                   .create = good_create, .release = good_release,
                   .validate = good_validate, .start = good_start,
                   .kill = good_kill,
                   .controller_release = good_controller_release);
