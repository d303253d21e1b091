/* routes.h - following used protocols through the resolved tree. */
#ifndef FERN_CORE_ROUTES_H
#define FERN_CORE_ROUTES_H

#include "decl.h"
#include "instance.h"

/* fern__route_follow's answer while a component on the way is still
 * being resolved: ask again once it is. */
#define FERN__ROUTE_PENDING 1

/* Follows `use`, one of `instance`'s, to the component that declares the
 * protocol: FERN_OK with *provider set, FERN__ROUTE_PENDING, or an error
 * that names the broken hop at its declaration's file:line:col, and the
 * nearest name there. Loop thread. */
int fern__route_follow(const fern__instance *instance,
                       const fern__route_decl *use,
                       const fern__instance **provider, fern_error_t *err);

/* Where a route ends: the provider, and the protocol's name there (an
 * offer or expose "as" renames it on the way). */
typedef struct fern__route_end_s {
  const fern__instance *provider;
  const char *name;
} fern__route_end;

/* fern__route_follow, with the name at the provider. */
int fern__route_follow_to(const fern__instance *instance,
                          const fern__route_decl *use, fern__route_end *end,
                          fern_error_t *err);

#endif
