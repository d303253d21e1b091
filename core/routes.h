/* routes.h - following used protocols and directories through the
 * resolved tree. */
#ifndef FERN_CORE_ROUTES_H
#define FERN_CORE_ROUTES_H

#include "decl.h"
#include "instance.h"

/* fern__route_follow's answer while a component on the way is still
 * being resolved: ask again once it is. */
#define FERN__ROUTE_PENDING 1

/* Whether `offer` reaches `child`: names it, or its collection. */
int fern__route_offer_reaches(const fern__route_decl *offer,
                              const fern__instance *child);

/* Follows `use`, one of `instance`'s, to the component that declares the
 * protocol: FERN_OK with *provider set, FERN__ROUTE_PENDING, or an error
 * that names the broken hop at its declaration's file:line:col, and the
 * nearest name there. Loop thread. */
int fern__route_follow(const fern__instance *instance,
                       const fern__route_decl *use,
                       const fern__instance **provider, fern_error_t *err);

/* One hop of a route as fern__route_trace walks it: `at` `verb`s the
 * protocol or directory `name` from `from`, handing it on as `target` (its "as", else
 * `name`). Borrowed for the length of the callback. */
typedef struct fern__route_hop_s {
  fern__route_kind kind;
  const fern__instance *at;
  const char *verb; /* "uses", "offers" or "exposes" */
  const char *name;
  const char *target;
  fern__ref from;
} fern__route_hop;

typedef void (*fern__route_hop_cb)(const fern__route_hop *hop, void *arg);

/* fern__route_follow, telling `on_hop` (with `arg`) of each hop it takes,
 * the use first, before it looks for the next: on an error or
 * FERN__ROUTE_PENDING the last hop told is the one where the route stops.
 * Loop thread. */
int fern__route_trace(const fern__instance *instance,
                      const fern__route_decl *use, fern__route_hop_cb on_hop,
                      void *arg, const fern__instance **provider,
                      fern_error_t *err);

/* Where a route ends: the provider, and the capability's name there (an
 * offer or expose "as" renames it on the way); for a directory, its
 * declaration there and the subdirectories the route goes into, nearest
 * the provider first ("" for none). */
typedef struct fern__route_end_s {
  const fern__instance *provider;
  const char *name;
  const fern__provided_decl *provided;
  char subdir[512];
  /* storage: where it is declared (the route then went on to its backing
   * directory, which provider/provided/subdir describe) */
  const fern__instance *storage_at;
  const fern__provided_decl *storage;
  /* a directory of fern's namespace_capabilities: its path (provider is
   * then the root, provided NULL) */
  const char *namespace_path;
  /* a runner or resolver of fern's root environment (provider is then
   * the root) */
  fern__capability *root_cap;
} fern__route_end;

/* fern__route_follow, with the name at the provider. */
int fern__route_follow_to(const fern__instance *instance,
                          const fern__route_decl *use, fern__route_end *end,
                          fern_error_t *err);

/* Follows a runner or resolver that an environment of `declarer`
 * registers (`registration`: its kind, name and "from", declared at JSON
 * pointer `pointer`) to the component that declares it, or to fern's
 * root environment: FERN_OK, FERN__ROUTE_PENDING, or an error naming the
 * broken hop, as fern__route_follow. Loop thread. */
int fern__route_follow_registration(const fern__instance *declarer,
                                    const fern__route_decl *registration,
                                    const char *pointer,
                                    fern__route_end *end, fern_error_t *err);

#endif
