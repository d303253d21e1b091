/* capability.h - runners and resolvers: named, configured uses of a plugin,
 * shared by reference between the environments that register them. Part
 * of the environment layer: it needs nothing of core/. */
#ifndef FERN_ENVIRONMENTS_CAPABILITY_H
#define FERN_ENVIRONMENTS_CAPABILITY_H

#include <fern/resolver.h>
#include <fern/runner.h>

typedef enum { FERN_CAP_RUNNER, FERN_CAP_RESOLVER } fern__cap_kind;

typedef struct fern__capability_s {
  int refs;
  fern__cap_kind kind;
  char *name;        /* the name it was declared under */
  char *plugin_path; /* for messages */
  const fern_runner_plugin_t *runner;     /* FERN_CAP_RUNNER */
  const fern_resolver_plugin_t *resolver; /* FERN_CAP_RESOLVER */
  void *state; /* what the plugin's create returned */
} fern__capability;

/* Makes a runner (`runner` set) or a resolver (`resolver` set) through the
 * plugin's create with `config` (may be NULL). Loop thread. */
int fern__capability_create(const fern_runner_plugin_t *runner,
                            const fern_resolver_plugin_t *resolver,
                            const char *name, const char *plugin_path,
                            const json_t *config, const fern_host_t *host,
                            fern__capability **out, fern_error_t *err);
fern__capability *fern__capability_ref(fern__capability *cap);
void fern__capability_unref(fern__capability *cap);

#endif
