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

int fern__env_register(fern__env *env, fern__cap_kind kind, const char *name,
                       fern__capability *cap) {
  fern__env_entry **entries =
      kind == FERN_CAP_RUNNER ? &env->runners : &env->resolvers;
  size_t *count =
      kind == FERN_CAP_RUNNER ? &env->runner_count : &env->resolver_count;
  fern__env_entry *existing = entry_find(*entries, *count, name);
  if (existing != NULL) {
    fern__capability_unref(existing->cap);
    existing->cap = fern__capability_ref(cap);
    return FERN_OK;
  }
  fern__env_entry *grown = realloc(*entries, (*count + 1) * sizeof **entries);
  if (grown == NULL)
    return FERN_ENOMEM;
  *entries = grown;
  if ((grown[*count].name = strdup(name)) == NULL)
    return FERN_ENOMEM;
  grown[*count].cap = fern__capability_ref(cap);
  (*count)++;
  return FERN_OK;
}

static int copy_entries(fern__env *env, fern__cap_kind kind,
                        const fern__env_entry *entries, size_t count) {
  for (size_t i = 0; i < count; i++) {
    int rc = fern__env_register(env, kind, entries[i].name, entries[i].cap);
    if (rc != FERN_OK)
      return rc;
  }
  return FERN_OK;
}

static int register_one(fern__env *env, const fern__env_decl *decl,
                        const fern__env *parent, fern__cap_kind kind,
                        const fern__registration *reg, fern__env_self_fn self,
                        void *self_ctx, fern_error_t *err) {
  const char *what = kind == FERN_CAP_RUNNER ? "runner" : "resolver";
  fern__capability *cap = NULL;
  if (reg->from == FERN_FROM_SELF) {
    int rc = self(self_ctx, kind, reg->source_name, &cap, err);
    if (rc != FERN_OK)
      return rc;
  } else {
    cap = kind == FERN_CAP_RUNNER
              ? fern__env_runner(parent, reg->source_name)
              : fern__env_resolver_named(parent, reg->source_name);
    if (cap == NULL) {
      char names[256];
      fern__env_runner_names(parent, names, sizeof names);
      return fern_error_set(err, FERN_ENOENT, NULL,
                            "environment \"%s\" takes %s \"%s\" from its "
                            "parent, but the parent environment (%s) has no "
                            "such %s%s%s",
                            decl->name, what, reg->source_name, parent->label,
                            what, kind == FERN_CAP_RUNNER ? "; it has: " : "",
                            kind == FERN_CAP_RUNNER ? names : "");
    }
  }
  const char *as = kind == FERN_CAP_RUNNER ? reg->as : reg->scheme;
  return fern__env_register(env, kind, as, cap);
}

int fern__env_build(const fern__env_decl *decl, const fern__env *parent,
                    const char *label, fern__env_self_fn self, void *self_ctx,
                    fern__env **out, fern_error_t *err) {
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
                      self, self_ctx, err);
  for (size_t i = 0; rc == FERN_OK && i < decl->resolver_count; i++)
    rc = register_one(env, decl, parent, FERN_CAP_RESOLVER,
                      &decl->resolvers[i], self, self_ctx, err);
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
  for (size_t i = 0; i < env->resolver_count; i++)
    if (strcmp(env->resolvers[i].cap->name, name) == 0)
      return env->resolvers[i].cap;
  return NULL;
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
