/* capability.c - see capability.h. */
#include "capability.h"

#include <stdlib.h>
#include <string.h>

static void capability_free(fern__capability *cap) {
  json_decref(cap->config);
  free(cap->plugin_path);
  free(cap->name);
  free(cap);
}

/* A plugin without validate_config takes no config: none, or {}. */
static int validate_config(const fern__capability *cap, fern_error_t *err) {
  int (*check)(const json_t *, fern_error_t *) =
      cap->runner != NULL ? cap->runner->validate_config
                          : cap->resolver->validate_config;
  if (check != NULL) {
    int rc = check(cap->config, err);
    return rc > 0 ? FERN_EINVAL : rc;
  }
  if (cap->config == NULL ||
      (json_is_object(cap->config) && json_object_size(cap->config) == 0))
    return FERN_OK;
  return fern_error_set(err, FERN_EINVAL, "", "the plugin takes no config");
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
  cap->config = config != NULL ? json_deep_copy(config) : NULL;
  if (cap->name == NULL || cap->plugin_path == NULL ||
      (config != NULL && cap->config == NULL)) {
    capability_free(cap);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  cap->refs = 1;
  cap->kind = runner != NULL ? FERN_CAP_RUNNER : FERN_CAP_RESOLVER;
  cap->runner = runner;
  cap->resolver = resolver;
  cap->host = host;
  int rc = validate_config(cap, err);
  if (rc == FERN_OK && resolver != NULL)
    rc = fern__capability_make(cap, err);
  if (rc != FERN_OK) {
    capability_free(cap);
    return rc;
  }
  *out = cap;
  return FERN_OK;
}

int fern__capability_make(fern__capability *cap, fern_error_t *err) {
  if (cap->made)
    return FERN_OK;
  int rc = cap->runner != NULL
               ? cap->runner->create(cap->host, cap->config, &cap->state, err)
               : cap->resolver->create(cap->host, cap->config, &cap->state,
                                       err);
  if (rc != FERN_OK)
    return rc < 0 ? rc : FERN_EINVAL;
  cap->made = 1;
  return FERN_OK;
}

int fern__capability_validate(const fern__capability *cap,
                              const json_t *program, fern_error_t *err) {
  int rc = cap->runner->validate(cap->config, program, err);
  return rc > 0 ? FERN_EINVAL : rc;
}

fern__capability *fern__capability_ref(fern__capability *cap) {
  cap->refs++;
  return cap;
}

void fern__capability_unref(fern__capability *cap) {
  if (cap == NULL || --cap->refs > 0)
    return;
  if (cap->made && cap->runner != NULL)
    cap->runner->release(cap->state);
  else if (cap->made)
    cap->resolver->release(cap->state);
  capability_free(cap);
}
