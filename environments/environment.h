/* environment.h - the environment model: what runners and resolvers a realm
 * offers its children, and how long a stop may take. Built from a
 * declaration and the declaring realm's own environment: "realm" inherits
 * and overrides by name, "none" starts empty. Loop thread only.
 *
 * The environment layer (this folder) needs nothing of core/: core parses
 * manifests into the declarations below, makes capabilities from plugins,
 * and asks this layer what a realm's children get. */
#ifndef FERN_ENVIRONMENTS_ENVIRONMENT_H
#define FERN_ENVIRONMENTS_ENVIRONMENT_H

#include <stdint.h>

#include "capability.h"

typedef enum { FERN_EXTENDS_REALM, FERN_EXTENDS_NONE } fern__extends;
typedef enum { FERN_FROM_PARENT, FERN_FROM_SELF, FERN_FROM_CHILD } fern__from;

/* A registration in an environment: a runner, or a resolver for a scheme. */
typedef struct fern__registration_s {
  const char *source_name; /* the name where it comes from */
  const char *as;          /* the name it gets here (runners) */
  const char *scheme;      /* resolvers only */
  fern__from from;
  const char *child;       /* FERN_FROM_CHILD: the child's name */
  unsigned index;          /* its entry in the environment's list */
} fern__registration;

typedef struct fern__env_decl_s {
  const char *name;
  fern__extends extends;
  fern__registration *runners;
  size_t runner_count;
  fern__registration *resolvers;
  size_t resolver_count;
  int has_stop_timeout;
  uint64_t stop_timeout_ms;
} fern__env_decl;


/* An entry is a capability, or a route to one that core follows once the
 * components on the way are resolved (a registration "from: #child", or
 * "from: parent" where the parent offers it): `cap` is NULL until then. */
typedef struct fern__env_entry_s {
  char *name;   /* runners: the registered name; resolvers: the scheme */
  fern__capability *cap;
  const void *route;       /* core's, while cap is NULL */
  const char *routed_name; /* the capability's name where the route starts */
} fern__env_entry;

typedef struct fern__env_s {
  int refs;
  char *label; /* "root", or "#name of /moniker" */
  fern__env_entry *runners;
  size_t runner_count;
  fern__env_entry *resolvers;
  size_t resolver_count;
  uint64_t stop_timeout_ms;
} fern__env;

/* Where a registration's capability comes from, as the declaring
 * component's routes say: the callee answers FERN_OK with a borrowed
 * capability in *cap (from "self", made on first use), or with a route of
 * its own in *route (followed later), or with neither: then the parent
 * environment's entry of that name is taken, as it always was. */
typedef int (*fern__env_source_fn)(void *ctx, fern__cap_kind kind,
                                   const fern__registration *reg,
                                   fern__capability **cap, const void **route,
                                   fern_error_t *err);

/* An empty environment (extends none). */
fern__env *fern__env_new(const char *label, uint64_t stop_timeout_ms);
fern__env *fern__env_ref(fern__env *env);
void fern__env_unref(fern__env *env);

/* Registers `cap` under `name` (a runner name, or a resolver's scheme),
 * replacing what was there. Takes a new reference. */
int fern__env_register(fern__env *env, fern__cap_kind kind, const char *name,
                       fern__capability *cap);

/* Registers a route to a capability (fern__env_source_fn) under `name`,
 * replacing what was there; `routed_name` names it where it starts. */
int fern__env_register_route(fern__env *env, fern__cap_kind kind,
                             const char *name, const void *route,
                             const char *routed_name);

/* Builds the environment `decl` declares in a realm whose own environment is
 * `parent`. `source` answers for each registration. */
int fern__env_build(const fern__env_decl *decl, const fern__env *parent,
                    const char *label, fern__env_source_fn source,
                    void *source_ctx, fern__env **out, fern_error_t *err);

/* The entry for a runner name or a resolver's scheme, or NULL. */
fern__env_entry *fern__env_entry_find(const fern__env *env,
                                      fern__cap_kind kind, const char *name);
/* The route of `entry` led to `cap`: it is the entry's from now on. */
void fern__env_entry_settle(fern__env_entry *entry, fern__capability *cap);

/* Borrowed lookups; NULL when absent or still to be routed. */
fern__capability *fern__env_runner(const fern__env *env, const char *name);
fern__capability *fern__env_resolver(const fern__env *env, const char *scheme);
fern__capability *fern__env_resolver_named(const fern__env *env,
                                           const char *name);

/* Writes the registered runner names ("elf, sandbox") or "none". */
void fern__env_runner_names(const fern__env *env, char *buf, size_t size);

#endif
