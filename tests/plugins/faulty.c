/* faulty - a runner that fails the ways a real one can, for the fault
 * tests: "fail": "now" refuses the start at once, "fail": "later" reports
 * cannot_start from the loop after returning; with config
 * {"fail_create": true} creating the runner itself fails. */
#include <fern/runner.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const fern_host_t *host; } faulty_runner;
typedef struct {
  const fern_host_t *host;
  fern_instance_t *instance;
  uv_timer_t timer;
} faulty_run;

static int faulty_create(const fern_host_t *host, const json_t *config,
                         void **runner, fern_error_t *err) {
  if (json_is_true(json_object_get(config, "fail_create")))
    return fern_error_set(err, FERN_EIO, NULL,
                          "the faulty runner was told to fail its create");
  faulty_runner *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  *runner = r;
  return FERN_OK;
}

static void faulty_release(void *runner) { free(runner); }

static int faulty_validate_config(const json_t *config, fern_error_t *err) {
  json_t *fail = json_object_get(config, "fail_create");
  if (json_object_size(config) > (fail != NULL) ||
      (fail != NULL && !json_is_boolean(fail)))
    return fern_error_set(err, FERN_EINVAL, "",
                          "the faulty runner takes \"fail_create\" only");
  return FERN_OK;
}

static int faulty_validate(const json_t *config, const json_t *program,
                           fern_error_t *err) {
  (void)config;
  const char *fail = json_string_value(json_object_get(program, "fail"));
  if (fail == NULL || (strcmp(fail, "now") && strcmp(fail, "later")))
    return fern_error_set(err, FERN_EINVAL, "/fail",
                          "\"fail\" must be \"now\" or \"later\"");
  return FERN_OK;
}

static void on_closed(uv_handle_t *handle) {
  faulty_run *run = handle->data;
  fern_stop_report_t report = {sizeof report, FERN_STOP_CANNOT_START, -1, 0,
                               0, "the faulty runner failed it later"};
  run->host->stopped(run->host->ctx, run->instance, &report); /* releases the run */
}

static void fail_later(uv_timer_t *timer) {
  uv_close((uv_handle_t *)timer, on_closed);
}

static int faulty_start(void *runner, const fern_start_info_t *info,
                        void **controller, fern_error_t *err) {
  faulty_runner *r = runner;
  if (strcmp(json_string_value(json_object_get(info->program, "fail")),
             "now") == 0)
    return fern_error_set(err, FERN_ESPAWN, NULL,
                          "the faulty runner failed it at once");
  faulty_run *run = calloc(1, sizeof *run);
  if (run == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  run->host = r->host;
  run->instance = info->instance;
  uv_timer_init(r->host->loop, &run->timer);
  run->timer.data = run;
  uv_timer_start(&run->timer, fail_later, 0, 0);
  *controller = run;
  return FERN_OK;
}

static void faulty_kill(void *controller) {
  (void)controller; /* it fails on its own, soon */
}

static void faulty_controller_release(void *controller) { free(controller); }

FERN_RUNNER_PLUGIN(.name = "faulty", .description = "fails, for tests",
                   .capabilities = 0,
                   .validate_config = faulty_validate_config,
                   .create = faulty_create, .release = faulty_release,
                   .validate = faulty_validate, .start = faulty_start,
                   .kill = faulty_kill,
                   .controller_release = faulty_controller_release);
