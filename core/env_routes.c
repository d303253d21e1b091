/* env_routes.c - see env_routes.h. An environment's registration is
 * routed as component_manager routes one (Fuchsia's
 * src/sys/lib/routing/src/environment.rs and its RegistrationDecl: a
 * runner or resolver registered "from: child" is found through that
 * child's exposes, "from: parent" through the offers to the declaring
 * component, "from: self" in its own capabilities). fern's root
 * environment, from its configuration, stands where component_manager's
 * built-in runners and resolvers are. */
#include "env_routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "manager.h"
#include "root_env.h"
#include "routes.h"

/* A routed registration of an environment a component declares. */
typedef struct fern__env_route_s {
  fern__instance *declarer;
  fern__cap_kind kind;
  const fern__registration *reg;
  unsigned env_index;
  struct fern__env_route_s *next;
} fern__env_route;

static fern__route_kind route_kind(fern__cap_kind kind) {
  return kind == FERN_CAP_RUNNER ? FERN_ROUTE_RUNNER : FERN_ROUTE_RESOLVER;
}

int fern__instance_provide(fern__instance *instance, fern__cap_kind kind,
                           const char *name, fern__capability **out,
                           fern_error_t *err) {
  const fern__decl *decl = instance->resolution->decl;
  const fern__capability_decl *cap =
      fern__decl_find_capability(decl, kind, name);
  if (cap == NULL)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "%s declares no %s \"%s\"", instance->moniker,
                          kind == FERN_CAP_RUNNER ? "runner" : "resolver",
                          name);
  size_t index = (size_t)(cap - decl->capabilities);
  if (instance->provided[index] == NULL) {
    fern__manager *manager = instance->manager;
    int rc = fern__capability_from_plugin(
        &manager->plugins, kind, cap->name, cap->plugin, cap->config,
        &manager->host, &instance->provided[index], err);
    if (rc != FERN_OK)
      return rc;
  }
  *out = instance->provided[index];
  return FERN_OK;
}

/* Whether the parent of `instance` offers it the runner or resolver
 * `name` (to it, or to its collection). */
static int parent_offers(const fern__instance *instance, fern__cap_kind kind,
                         const char *name) {
  const fern__decl *pdecl =
      instance->parent ? fern__instance_decl(instance->parent) : NULL;
  for (size_t i = 0; pdecl != NULL && i < pdecl->offer_count; i++) {
    const fern__route_decl *o = &pdecl->offers[i];
    if (o->kind == route_kind(kind) && fern__route_offer_reaches(o, instance) &&
        strcmp(o->target, name) == 0)
      return 1;
  }
  return 0;
}

int fern__env_routes_source(void *source, fern__cap_kind kind,
                            const fern__registration *reg,
                            fern__capability **cap, const void **route,
                            fern_error_t *err) {
  const fern__env_source *s = source;
  fern__instance *declarer = s->declarer;
  if (reg->from == FERN_FROM_SELF)
    return fern__instance_provide(declarer, kind, reg->source_name, cap, err);
  /* From the parent: only what it offers is routed; else the parent
   * environment's entry stands (the caller takes it). */
  if (reg->from == FERN_FROM_PARENT &&
      !parent_offers(declarer, kind, reg->source_name))
    return FERN_OK;
  fern__env_route *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  *r = (fern__env_route){declarer, kind, reg, s->env_index,
                         declarer->env_routes};
  declarer->env_routes = r;
  *route = r;
  return FERN_OK;
}

/* Follows a routed registration to its capability. */
static int follow(const fern__env_route *r, fern__capability **cap,
                  fern_error_t *err) {
  const fern__registration *reg = r->reg;
  fern__route_decl registration = {
      .kind = route_kind(r->kind),
      .name = reg->source_name,
      .target = reg->source_name,
      .from = reg->from == FERN_FROM_CHILD
                  ? (fern__ref){FERN_REF_CHILD, reg->child}
                  : (fern__ref){FERN_REF_PARENT, NULL},
      .to = {FERN_REF_SELF, NULL},
      .index = reg->index};
  char pointer[64];
  snprintf(pointer, sizeof pointer, "/environments/%u/%s/%u", r->env_index,
           r->kind == FERN_CAP_RUNNER ? "runners" : "resolvers", reg->index);
  fern__route_end end;
  int rc = fern__route_follow_registration(r->declarer, &registration,
                                           pointer, &end, err);
  if (rc != FERN_OK)
    return rc;
  if (end.root_cap != NULL) {
    *cap = end.root_cap;
    return FERN_OK;
  }
  /* The provider is a component of the tree, which the manager owns: the
   * capability it makes is cached there. */
  return fern__instance_provide((fern__instance *)end.provider, r->kind,
                                end.name, cap, err);
}

/* entry_capability's answer when the environment has no such entry. */
#define NOT_REGISTERED 2

static int entry_capability(fern__instance *instance, fern__cap_kind kind,
                            const char *name, fern__capability **cap,
                            fern_error_t *err) {
  fern__env_entry *entry = fern__env_entry_find(instance->env, kind, name);
  if (entry == NULL)
    return NOT_REGISTERED; /* the caller says what there is */
  if (entry->cap == NULL) {
    fern__capability *found = NULL;
    int rc = follow(entry->route, &found, err);
    if (rc != FERN_OK)
      return rc;
    fern__env_entry_settle(entry, found);
  }
  *cap = entry->cap;
  return FERN_OK;
}

int fern__instance_runner(fern__instance *instance, const char *name,
                          fern__capability **cap, fern_error_t *err) {
  int rc = entry_capability(instance, FERN_CAP_RUNNER, name, cap, err);
  if (rc == NOT_REGISTERED) {
    char names[512];
    fern__env_runner_names(instance->env, names, sizeof names);
    const fern__decl *decl = fern__instance_decl(instance);
    rc = fern__decl_error(decl, err, FERN_ENOENT, decl->runner_key,
                          "runner \"%s\" is not registered in environment "
                          "%s (it has: %s)",
                          name, instance->env->label, names);
  }
  return rc;
}

/* The scheme fern's configuration maps `scheme` to ("scheme_aliases"),
 * or NULL. */
static const char *scheme_alias(const fern__instance *instance,
                                const char *scheme) {
  const fern__manager *manager = instance->manager;
  const json_t *config = manager && manager->config ? manager->config->json
                                                    : NULL;
  return json_string_value(
      json_object_get(json_object_get(config, "scheme_aliases"), scheme));
}

/* For Fuchsia's own schemes: which of fern's resolvers stands for it. */
static const char *fuchsia_hint(const char *scheme) {
  if (strcmp(scheme, "fuchsia-pkg") == 0)
    return "; fuchsia-pkg is Fuchsia's package resolver's scheme: fern's "
           "pkg resolver (pkg://REPOSITORY/PACKAGE#meta/NAME.cm) stands for "
           "it, given \"scheme_aliases\": {\"fuchsia-pkg\": \"pkg\"} in "
           "fern's configuration";
  if (strcmp(scheme, "fuchsia-boot") == 0)
    return "; fuchsia-boot is Fuchsia's boot resolver's scheme: fern's boot "
           "resolver (boot:///PACKAGE#meta/NAME.cm) stands for it, given "
           "\"scheme_aliases\": {\"fuchsia-boot\": \"boot\"} in fern's "
           "configuration";
  return "";
}

int fern__instance_resolver(fern__instance *instance, const char *scheme,
                            fern__capability **cap, fern_error_t *err) {
  int rc = entry_capability(instance, FERN_CAP_RESOLVER, scheme, cap, err);
  const char *alias = rc == NOT_REGISTERED ? scheme_alias(instance, scheme)
                                           : NULL;
  if (alias != NULL)
    rc = entry_capability(instance, FERN_CAP_RESOLVER, alias, cap, err);
  if (rc == NOT_REGISTERED)
    rc = fern_error_set(err, FERN_ENOENT, NULL,
                        "no resolver for scheme \"%s\"%s%s (URL \"%s\") in "
                        "environment %s%s",
                        scheme, alias ? ", nor for its alias " : "",
                        alias ? alias : "", instance->url,
                        instance->env->label, alias ? "" : fuchsia_hint(scheme));
  return rc;
}

void fern__env_routes_free_since(fern__instance *instance,
                                 struct fern__env_route_s *head) {
  while (instance->env_routes != head) {
    fern__env_route *next = instance->env_routes->next;
    free(instance->env_routes);
    instance->env_routes = next;
  }
}

void fern__env_routes_free(fern__instance *instance) {
  while (instance->env_routes != NULL) {
    fern__env_route *next = instance->env_routes->next;
    free(instance->env_routes);
    instance->env_routes = next;
  }
}
