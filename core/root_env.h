/* root_env.h - the root environment: extends none; by default the "elf" runner,
 * the "file" and "boot" resolvers and a 5000 ms stop timeout; the manager's
 * configuration may say otherwise. */
#ifndef FERN_CORE_ROOT_ENV_H
#define FERN_CORE_ROOT_ENV_H

#include "../environments/environment.h"
#include "config.h"
#include "plugin.h"

/* Builds it. With `make_runners` (a run) each runner is made at once; a
 * check or a tree validates configs and makes none. A registration whose
 * plugin is missing or refused, or whose config or create fails, is logged
 * and left out, so the rest keeps working. */
int fern__root_env_build(const fern__config *config,
                         fern__plugin_registry *plugins,
                         const fern_host_t *host, int make_runners,
                         fern__env **out, fern_error_t *err);

/* Makes a runner or resolver from an installed plugin. */
int fern__capability_from_plugin(fern__plugin_registry *plugins,
                                  fern__cap_kind kind, const char *name,
                                  const char *plugin_name,
                                  const json_t *config,
                                  const fern_host_t *host,
                                  fern__capability **out, fern_error_t *err);

#endif
