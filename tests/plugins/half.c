/* half - a plugin whose second half is broken: a valid runner beside a
 * resolver table that lacks its resolve call. fern refuses the whole
 * file, so nothing of it, not even the good runner, is registered. */
#include <fern/resolver.h>
#include <fern/runner.h>
#include <stdlib.h>

static int half_create(const fern_host_t *host, const json_t *config,
                       void **runner, fern_error_t *err) {
  (void)host, (void)config, (void)err;
  *runner = calloc(1, 1);
  return *runner ? FERN_OK : FERN_ENOMEM;
}
static void half_release(void *runner) { free(runner); }
static int half_validate(const json_t *config, const json_t *program,
                         fern_error_t *err) {
  (void)config, (void)program, (void)err;
  return FERN_OK;
}
static int half_start(void *runner, const fern_start_info_t *info,
                      void **controller, fern_error_t *err) {
  (void)runner, (void)info, (void)controller;
  return fern_error_set(err, FERN_ESPAWN, NULL, "never reached");
}
static void half_kill(void *controller) {
  (void)controller;
}
static void half_controller_release(void *controller) { (void)controller; }

FERN_RUNNER_PLUGIN(.name = "half", .description = "good half",
                   .capabilities = 0,
                   .create = half_create, .release = half_release,
                   .validate = half_validate, .start = half_start,
                   .kill = half_kill,
                   .controller_release = half_controller_release);

static int half_resolver_create(const fern_host_t *host, const json_t *config,
                                void **resolver, fern_error_t *err) {
  (void)host, (void)config, (void)err;
  *resolver = NULL;
  return FERN_OK;
}
static void half_resolver_release(void *resolver) { (void)resolver; }

FERN_RESOLVER_PLUGIN(.name = "half", .description = "broken half",
                     .create = half_resolver_create,
                     .release = half_resolver_release, .resolve = NULL,
                     .resolved_free = NULL);
