/* environment.h - the environment model: what runners and resolvers a realm
 * offers its children, and how long a stop may take. Built from a
 * declaration and the declaring realm's own environment: "realm" inherits
 * and overrides by name, "none" starts empty. Loop thread only. */
#ifndef FERN_ENVIRONMENTS_ENVIRONMENT_H
#define FERN_ENVIRONMENTS_ENVIRONMENT_H

#include "../core/capability.h"
#include "../core/decl.h"

typedef struct fern__env_entry_s {
  char *name;   /* runners: the registered name; resolvers: the scheme */
  fern__capability *cap;
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

/* Finds the capability a "from: self" registration names; the callee creates
 * it on first use. Returns FERN_OK and a borrowed capability, or an error. */
typedef int (*fern__env_self_fn)(void *ctx, fern__cap_kind kind,
                                 const char *name, fern__capability **out,
                                 fern_error_t *err);

/* An empty environment (extends none). */
fern__env *fern__env_new(const char *label, uint64_t stop_timeout_ms);
fern__env *fern__env_ref(fern__env *env);
void fern__env_unref(fern__env *env);

/* Registers `cap` under `name` (a runner name, or a resolver's scheme),
 * replacing what was there. Takes a new reference. */
int fern__env_register(fern__env *env, fern__cap_kind kind, const char *name,
                       fern__capability *cap);

/* Builds the environment `decl` declares in a realm whose own environment is
 * `parent`. `self` resolves "from: self" registrations. */
int fern__env_build(const fern__env_decl *decl, const fern__env *parent,
                    const char *label, fern__env_self_fn self, void *self_ctx,
                    fern__env **out, fern_error_t *err);

/* Borrowed lookups; NULL when absent. */
fern__capability *fern__env_runner(const fern__env *env, const char *name);
fern__capability *fern__env_resolver(const fern__env *env, const char *scheme);
fern__capability *fern__env_resolver_named(const fern__env *env,
                                           const char *name);

/* Writes the registered runner names ("elf, sandbox") or "none". */
void fern__env_runner_names(const fern__env *env, char *buf, size_t size);

#endif
