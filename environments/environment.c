/* environment.c - see environment.h. */
#include "environment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fern__env *fern__env_new(const char *label, uint64_t stop_timeout_ms) {
  fern__env *env = calloc(1, sizeof *env);
  if (env == NULL)
    return NULL;
  if ((env->label = strdup(label)) == NULL) {
    free(env);
    return NULL;
  }
  env->refs = 1;
  env->stop_timeout_ms = stop_timeout_ms;
  return env;
}

fern__env *fern__env_ref(fern__env *env) {
  env->refs++;
  return env;
}

static void entries_free(fern__env_entry *entries, size_t count) {
  for (size_t i = 0; i < count; i++) {
    free(entries[i].name);
    fern__capability_unref(entries[i].cap);
  }
  free(entries);
}

void fern__env_unref(fern__env *env) {
  if (env == NULL || --env->refs > 0)
    return;
  entries_free(env->runners, env->runner_count);
  entries_free(env->resolvers, env->resolver_count);
  free(env->label);
  free(env);
}

static fern__env_entry *entry_find(fern__env_entry *entries, size_t count,
                                   const char *name) {
  for (size_t i = 0; i < count; i++)
    if (strcmp(entries[i].name, name) == 0)
      return &entries[i];
  return NULL;
}

/* Sets the entry `name` to `from` (a capability or a route), adding it
 * if it is new. */
static int put_entry(fern__env *env, fern__cap_kind kind, const char *name,
                     const fern__env_entry *from) {
  fern__env_entry **entries =
      kind == FERN_CAP_RUNNER ? &env->runners : &env->resolvers;
  size_t *count =
      kind == FERN_CAP_RUNNER ? &env->runner_count : &env->resolver_count;
  fern__env_entry *slot = entry_find(*entries, *count, name);
  if (slot == NULL) {
    fern__env_entry *grown = realloc(*entries, (*count + 1) * sizeof **entries);
    if (grown == NULL)
      return FERN_ENOMEM;
    *entries = grown;
    slot = &grown[*count];
    if ((slot->name = strdup(name)) == NULL)
      return FERN_ENOMEM;
    slot->cap = NULL;
    (*count)++;
  }
  fern__capability_unref(slot->cap);
  slot->cap = from->cap != NULL ? fern__capability_ref(from->cap) : NULL;
  slot->route = from->route;
  slot->routed_name = from->routed_name;
  return FERN_OK;
}

int fern__env_register(fern__env *env, fern__cap_kind kind, const char *name,
                       fern__capability *cap) {
  fern__env_entry from = {NULL, cap, NULL, NULL};
  return put_entry(env, kind, name, &from);
}

int fern__env_register_route(fern__env *env, fern__cap_kind kind,
                             const char *name, const void *route,
                             const char *routed_name) {
  fern__env_entry from = {NULL, NULL, route, routed_name};
  return put_entry(env, kind, name, &from);
}

static int copy_entries(fern__env *env, fern__cap_kind kind,
                        const fern__env_entry *entries, size_t count) {
  for (size_t i = 0; i < count; i++) {
    int rc = put_entry(env, kind, entries[i].name, &entries[i]);
    if (rc != FERN_OK)
      return rc;
  }
  return FERN_OK;
}

fern__env_entry *fern__env_entry_find(const fern__env *env,
                                      fern__cap_kind kind, const char *name) {
  return kind == FERN_CAP_RUNNER
             ? entry_find(env->runners, env->runner_count, name)
             : entry_find(env->resolvers, env->resolver_count, name);
}

void fern__env_entry_settle(fern__env_entry *entry, fern__capability *cap) {
  fern__capability_unref(entry->cap);
  entry->cap = fern__capability_ref(cap);
  entry->route = NULL;
}

/* The name an entry's resolver goes by in its environment: the one its
 * registration gave (routed_name), else (fern's root environment) the
 * one it was declared under. */
static const char *entry_resolver_name(const fern__env_entry *e) {
  return e->routed_name != NULL ? e->routed_name
         : e->cap != NULL       ? e->cap->name
                                : NULL;
}

/* The parent environment's resolver of that name, routed or not. */
static const fern__env_entry *resolver_entry_named(const fern__env *env,
                                                   const char *name) {
  for (size_t i = 0; i < env->resolver_count; i++) {
    const fern__env_entry *e = &env->resolvers[i];
    const char *declared = entry_resolver_name(e);
    if (declared != NULL && strcmp(declared, name) == 0)
      return e;
  }
  return NULL;
}

static int register_one(fern__env *env, const fern__env_decl *decl,
                        const fern__env *parent, fern__cap_kind kind,
                        const fern__registration *reg,
                        fern__env_source_fn source, void *source_ctx,
                        fern_error_t *err) {
  const char *what = kind == FERN_CAP_RUNNER ? "runner" : "resolver";
  const char *as = kind == FERN_CAP_RUNNER ? reg->as : reg->scheme;
  fern__env_entry from = {NULL, NULL, NULL, reg->source_name};
  int rc = source(source_ctx, kind, reg, &from.cap, &from.route, err);
  if (rc != FERN_OK)
    return rc;
  if (from.cap != NULL || from.route != NULL)
    return put_entry(env, kind, as, &from) == FERN_OK
               ? FERN_OK
               : fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  /* Not routed to it: the parent environment's, as before routing. */
  const fern__env_entry *inherited =
      kind == FERN_CAP_RUNNER
          ? entry_find(parent->runners, parent->runner_count, reg->source_name)
          : resolver_entry_named(parent, reg->source_name);
  if (inherited == NULL) {
    char names[256], key[64];
    fern__env_runner_names(parent, names, sizeof names);
    snprintf(key, sizeof key, "/%ss/%u", what, reg->index);
    return fern_error_set(err, FERN_ENOENT, key,
                          "environment \"%s\" takes %s \"%s\" from its "
                          "parent, but its parent offers none, and the "
                          "parent environment (%s) has no such %s%s%s",
                          decl->name, what, reg->source_name, parent->label,
                          what, kind == FERN_CAP_RUNNER ? "; it has: " : "",
                          kind == FERN_CAP_RUNNER ? names : "");
  }
  return put_entry(env, kind, as, inherited) == FERN_OK
             ? FERN_OK
             : fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
}

int fern__env_build(const fern__env_decl *decl, const fern__env *parent,
                    const char *label, fern__env_source_fn source,
                    void *source_ctx, fern__env **out, fern_error_t *err) {
  int inherit = decl->extends == FERN_EXTENDS_REALM;
  uint64_t timeout = decl->has_stop_timeout ? decl->stop_timeout_ms
                                            : parent->stop_timeout_ms;
  fern__env *env = fern__env_new(label, timeout);
  if (env == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  int rc = FERN_OK;
  if (inherit)
    rc = copy_entries(env, FERN_CAP_RUNNER, parent->runners,
                      parent->runner_count);
  if (rc == FERN_OK && inherit)
    rc = copy_entries(env, FERN_CAP_RESOLVER, parent->resolvers,
                      parent->resolver_count);
  if (rc != FERN_OK)
    fern_error_set(err, rc, NULL, "out of memory");
  for (size_t i = 0; rc == FERN_OK && i < decl->runner_count; i++)
    rc = register_one(env, decl, parent, FERN_CAP_RUNNER, &decl->runners[i],
                      source, source_ctx, err);
  for (size_t i = 0; rc == FERN_OK && i < decl->resolver_count; i++)
    rc = register_one(env, decl, parent, FERN_CAP_RESOLVER,
                      &decl->resolvers[i], source, source_ctx, err);
  if (rc != FERN_OK) {
    fern__env_unref(env);
    return rc;
  }
  *out = env;
  return FERN_OK;
}

fern__capability *fern__env_runner(const fern__env *env, const char *name) {
  fern__env_entry *e = entry_find(env->runners, env->runner_count, name);
  return e ? e->cap : NULL;
}

fern__capability *fern__env_resolver(const fern__env *env,
                                     const char *scheme) {
  fern__env_entry *e = entry_find(env->resolvers, env->resolver_count, scheme);
  return e ? e->cap : NULL;
}

fern__capability *fern__env_resolver_named(const fern__env *env,
                                           const char *name) {
  const fern__env_entry *e = resolver_entry_named(env, name);
  return e != NULL ? e->cap : NULL;
}

void fern__env_runner_names(const fern__env *env, char *buf, size_t size) {
  size_t used = 0;
  snprintf(buf, size, "none");
  for (size_t i = 0; i < env->runner_count && used < size; i++) {
    int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                     env->runners[i].name);
    if (n < 0)
      break;
    used += (size_t)n;
  }
}
