/* capability.h - runners and resolvers: named, configured uses of a plugin,
 * shared by reference between the environments that register them. Part
 * of the environment layer: it needs nothing of core/.
 *
 * A runner is made (its plugin's create called) only when something is to
 * run: `fern check` and `fern tree` validate configs and program blocks
 * through the plugin-level calls and start nothing. */
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
  json_t *config;          /* validated; NULL when none was given */
  const fern_host_t *host; /* what create is given */
  void *state; /* what the plugin's create returned, once made */
  int made;
} fern__capability;

/* Takes a runner (`runner` set) or a resolver (`resolver` set) with its
 * `config` (may be NULL), checked by the plugin's validate_config. A
 * resolver is made at once; a runner when fern__capability_make asks.
 * Loop thread. */
int fern__capability_create(const fern_runner_plugin_t *runner,
                            const fern_resolver_plugin_t *resolver,
                            const char *name, const char *plugin_path,
                            const json_t *config, const fern_host_t *host,
                            fern__capability **out, fern_error_t *err);
/* Makes the runner, once (the plugin's create). Loop thread. */
int fern__capability_make(fern__capability *cap, fern_error_t *err);
/* Checks a program block for this runner (the plugin's validate): needs
 * no runner made. Any thread. */
int fern__capability_validate(const fern__capability *cap,
                              const json_t *program, fern_error_t *err);
fern__capability *fern__capability_ref(fern__capability *cap);
void fern__capability_unref(fern__capability *cap);

#endif
