/* env_routes.h - the runners and resolvers an environment registers, as
 * Fuchsia routes them: "from: self" is the declaring component's own
 * capability, "from: #child" what that child exposes, and "from: parent"
 * what the declaring component's parent offers it (or, where it offers
 * none, the parent environment's, as fern always had it). A routed
 * registration is followed when the environment is first asked for it,
 * once the components on the way are resolved. Loop thread only. */
#ifndef FERN_CORE_ENV_ROUTES_H
#define FERN_CORE_ENV_ROUTES_H

#include "instance.h"

/* The context fern__env_routes_source is given: the component that
 * declares the environment, and the environment's index in its
 * "environments". */
typedef struct fern__env_source_s {
  fern__instance *declarer;
  unsigned env_index;
} fern__env_source;

/* fern__env_source_fn for an environment a component declares. */
int fern__env_routes_source(void *source, fern__cap_kind kind,
                            const fern__registration *reg,
                            fern__capability **cap, const void **route,
                            fern_error_t *err);

/* The runner `name` of `instance`'s environment, or the resolver for
 * `scheme`: FERN_OK with a borrowed *cap, FERN__ROUTE_PENDING while a
 * component on its route is still being resolved, or an error (not
 * registered; a broken hop of its route, at its file:line:col). */
int fern__instance_runner(fern__instance *instance, const char *name,
                          fern__capability **cap, fern_error_t *err);
int fern__instance_resolver(fern__instance *instance, const char *scheme,
                            fern__capability **cap, fern_error_t *err);

/* Makes (once) the runner or resolver `instance` declares as `name`. */
int fern__instance_provide(fern__instance *instance, fern__cap_kind kind,
                           const char *name, fern__capability **out,
                           fern_error_t *err);

/* Frees the routes of the environments `instance` declares; after every
 * environment that may hold them (its descendants') is gone. */
void fern__env_routes_free(fern__instance *instance);
/* Frees those made since the list's head was `head` (an environment that
 * could not be built). */
void fern__env_routes_free_since(fern__instance *instance,
                                 struct fern__env_route_s *head);

#endif
