/* good - a minimal, valid runner plugin for the loader's tests: it "runs" a
 * program by reporting it started and, on stop or kill, stopped ok. */
#include <fern/runner.h>
#include <stdlib.h>

#ifndef GOOD_NAME /* tls.c, new_host.c, witness.c: this plugin renamed */
#define GOOD_NAME "good"
#endif
#ifndef GOOD_ON_CREATE /* witness.c: what its create does besides */
#define GOOD_ON_CREATE()
#endif
#ifndef GOOD_VALIDATE_CONFIG /* witness.c: its config check */
#define GOOD_VALIDATE_CONFIG NULL
#endif

typedef struct { const fern_host_t *host; } good_runner;
typedef struct { const fern_host_t *host; fern_instance_t *instance; } good_run;

static int good_create(const fern_host_t *host, const json_t *config,
                       void **runner, fern_error_t *err) {
  (void)config;
  GOOD_ON_CREATE();
  good_runner *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  *runner = r;
  return FERN_OK;
}
static void good_release(void *runner) { free(runner); }
static int good_validate(const json_t *config, const json_t *program,
                         fern_error_t *err) {
  (void)config;
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
  r->host->started(r->host->ctx, info->instance, 0);
  return FERN_OK;
}
static void good_kill(void *controller) {
  good_run *run = controller;
  fern_stop_report_t report = {sizeof report, FERN_STOP_OK, 0, 0, 0, NULL};
  run->host->stopped(run->host->ctx, run->instance, &report);
}
static void good_controller_release(void *controller) { free(controller); }

#define GOOD_TABLE                                                             \
  .name = GOOD_NAME, .description = "test runner", .capabilities = 0,          \
  .validate_config = GOOD_VALIDATE_CONFIG,                                     \
  .create = good_create, .release = good_release, .validate = good_validate,   \
  .start = good_start, .kill = good_kill,                                      \
  .controller_release = good_controller_release

#if defined(GOOD_HOST_ABI_MINOR) || defined(GOOD_RUNNER_ABI_MINOR)
/* As FERN_RUNNER_PLUGIN, needing that host minor, or built for that
 * runner minor (runner_2_1.c). */
#ifndef GOOD_HOST_ABI_MINOR
#define GOOD_HOST_ABI_MINOR FERN_HOST_ABI_MINOR
#endif
#ifndef GOOD_RUNNER_ABI_MINOR
#define GOOD_RUNNER_ABI_MINOR FERN_RUNNER_ABI_MINOR
#endif
FERN_EXPORT const fern_runner_plugin_t fern_runner_v2 = {
    .abi_major = FERN_RUNNER_ABI_MAJOR, .abi_minor = GOOD_RUNNER_ABI_MINOR,
    .struct_size = sizeof(fern_runner_plugin_t),
    .host_abi_major = FERN_HOST_ABI_MAJOR,
    .host_abi_minor = GOOD_HOST_ABI_MINOR, GOOD_TABLE};
#else
FERN_RUNNER_PLUGIN(GOOD_TABLE);
#endif
