/* capability.c - see capability.h. */
#include "capability.h"

#include <stdlib.h>
#include <string.h>

static void capability_free(fern__capability *cap) {
  free(cap->plugin_path);
  free(cap->name);
  free(cap);
}

int fern__capability_create(const fern_runner_plugin_t *runner,
                            const fern_resolver_plugin_t *resolver,
                            const char *name, const char *plugin_path,
                            const json_t *config, const fern_host_t *host,
                            fern__capability **out, fern_error_t *err) {
  fern__capability *cap = calloc(1, sizeof *cap);
  if (cap == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  cap->name = strdup(name);
  cap->plugin_path = strdup(plugin_path);
  if (cap->name == NULL || cap->plugin_path == NULL) {
    capability_free(cap);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  cap->refs = 1;
  cap->kind = runner != NULL ? FERN_CAP_RUNNER : FERN_CAP_RESOLVER;
  cap->runner = runner;
  cap->resolver = resolver;
  int rc = runner != NULL ? runner->create(host, config, &cap->state, err)
                          : resolver->create(host, config, &cap->state, err);
  if (rc != FERN_OK) {
    capability_free(cap);
    return rc < 0 ? rc : FERN_EINVAL;
  }
  *out = cap;
  return FERN_OK;
}

fern__capability *fern__capability_ref(fern__capability *cap) {
  cap->refs++;
  return cap;
}

void fern__capability_unref(fern__capability *cap) {
  if (cap == NULL || --cap->refs > 0)
    return;
  if (cap->runner != NULL)
    cap->runner->release(cap->state);
  else
    cap->resolver->release(cap->state);
  capability_free(cap);
}
