/* unresolved - a runner that needs a function nothing provides, so dlopen
 * itself refuses it (RTLD_NOW): for the test that the error names the
 * plugin's file as the user knows it. */
#include <fern/runner.h>

void fern_test_nothing_provides_this(void);

static int unresolved_create(const fern_host_t *host, const json_t *config,
                             void **runner, fern_error_t *err) {
  (void)host;
  (void)config;
  (void)err;
  fern_test_nothing_provides_this();
  *runner = NULL;
  return FERN_OK;
}

FERN_RUNNER_PLUGIN(.name = "unresolved", .create = unresolved_create);
