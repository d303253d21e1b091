/* instance.c - see instance.h. */
#include "instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_routes.h"
#include "root_env.h"
#include "manager.h"
#include "serve.h"
#include "stop_order.h"

static char *make_moniker(const fern__instance *parent, const char *name) {
  if (parent == NULL)
    return strdup("/");
  size_t n = strlen(parent->moniker) + strlen(name) + 2;
  char *moniker = malloc(n);
  if (moniker != NULL)
    snprintf(moniker, n, "%s%s%s", parent->moniker,
             parent->parent == NULL ? "" : "/", name);
  return moniker;
}

fern__instance *fern__instance_new(struct fern__manager_s *manager,
                                   fern__instance *parent, const char *name,
                                   const char *url, fern__startup startup,
                                   fern__env *env) {
  fern__instance *instance = calloc(1, sizeof *instance);
  if (instance == NULL)
    return NULL;
  instance->manager = manager;
  instance->parent = parent;
  instance->depth = parent != NULL ? parent->depth + 1 : 0;
  instance->name = strdup(name);
  instance->url = strdup(url);
  instance->moniker = make_moniker(parent, name);
  instance->startup = startup;
  instance->env = fern__env_ref(env);
  instance->exit_code = -1;
  instance->child_index = -1;
  const fern__restart_decl no_restart = FERN_RESTART_DEFAULTS;
  instance->restart = no_restart;
  if (instance->name == NULL || instance->url == NULL ||
      instance->moniker == NULL) {
    fern__instance_free(instance);
    return NULL;
  }
  return instance;
}

void fern__instance_free(fern__instance *instance) {
  if (instance == NULL)
    return;
  for (size_t i = 0; i < instance->child_count; i++)
    fern__instance_free(instance->children[i]);
  free(instance->children);
  fern__stop_order_free(instance);
  fern__serve_free(instance);
  free(instance->start_capability);
  const fern__decl *decl =
      instance->resolution ? instance->resolution->decl : NULL;
  for (size_t i = 0; decl != NULL && i < decl->capability_count; i++)
    fern__capability_unref(instance->provided[i]);
  for (size_t i = 0; decl != NULL && i < decl->environment_count; i++)
    fern__env_unref(instance->declared_envs[i]);
  free(instance->provided);
  free(instance->declared_envs);
  fern__env_routes_free(instance);
  fern__env_unref(instance->env);
  free(instance->run.stop_timer);
  free(instance->restart_timer);
  free(instance->error);
  json_decref(instance->config_overrides);
  json_decref(instance->config);
  free(instance->status_text);
  free(instance->collection);
  while (instance->stop_waiters != NULL) {
    fern__stop_waiter *next = instance->stop_waiters->next;
    free(instance->stop_waiters);
    instance->stop_waiters = next;
  }
  free(instance->name);
  free(instance->url);
  free(instance->moniker);
  free(instance);
}

const fern__decl *fern__instance_decl(const fern__instance *instance) {
  return instance->resolution != NULL && instance->resolution->rc == FERN_OK
             ? instance->resolution->decl
             : NULL;
}

/* An environment's registration failed: the error at its place in the
 * manifest ("/environments/N" and the registration the key names, when
 * it names one; a plugin's own error keeps its words). */
static int env_error(const fern__decl *decl, size_t index,
                     const fern_error_t *built, int rc, fern_error_t *err) {
  if (strncmp(built->key, "/runners/", 9) != 0 &&
      strncmp(built->key, "/resolvers/", 11) != 0) {
    *err = *built;
    return rc;
  }
  fern__pointer pointer;
  snprintf(pointer, sizeof pointer, "/environments/%zu%s", index, built->key);
  return fern__decl_error(decl, err, rc, pointer, "%s", built->message);
}

int fern__instance_declared_env(fern__instance *instance, const char *name,
                                fern__env **out, fern_error_t *err) {
  const fern__decl *decl = instance->resolution->decl;
  const fern__env_decl *env_decl = fern__decl_find_env(decl, name);
  size_t index = (size_t)(env_decl - decl->environments);
  if (instance->declared_envs[index] == NULL) {
    size_t n = strlen(name) + strlen(instance->moniker) + 8;
    char *label = malloc(n);
    if (label == NULL)
      return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
    snprintf(label, n, "#%s of %s", name, instance->moniker);
    fern__env_source source = {instance, (unsigned)index};
    struct fern__env_route_s *routes_before = instance->env_routes;
    fern_error_t built = FERN_ERROR_INIT;
    int rc = fern__env_build(env_decl, instance->env, label,
                             fern__env_routes_source, &source,
                             &instance->declared_envs[index], &built);
    free(label);
    if (rc != FERN_OK) {
      /* Each try (a dynamic child's creation) would add its routes again. */
      fern__env_routes_free_since(instance, routes_before);
      return env_error(decl, index, &built, rc, err);
    }
  }
  *out = instance->declared_envs[index];
  return FERN_OK;
}

int fern__instance_add_children(fern__instance *instance, fern_error_t *err) {
  const fern__decl *decl = instance->resolution->decl;
  instance->provided = calloc(decl->capability_count + 1, sizeof(void *));
  instance->declared_envs = calloc(decl->environment_count + 1,
                                   sizeof(void *));
  instance->children = calloc(decl->child_count + 1, sizeof(void *));
  instance->child_capacity = decl->child_count + 1;
  if (instance->provided == NULL || instance->declared_envs == NULL ||
      instance->children == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  for (size_t i = 0; i < decl->child_count; i++) {
    const fern__child_decl *child = &decl->children[i];
    fern__env *env = instance->env;
    fern_error_t env_err = FERN_ERROR_INIT;
    int env_rc = FERN_OK;
    if (child->environment != NULL)
      env_rc = fern__instance_declared_env(instance, child->environment, &env,
                                           &env_err);
    /* A child whose environment cannot be built still gets its node, so
     * it is reported (cannot_start) while its siblings go on. */
    fern__instance *node =
        fern__instance_new(instance->manager, instance, child->name,
                           child->url, child->startup,
                           env_rc == FERN_OK ? env : instance->env);
    if (node == NULL)
      return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
    if (env_rc != FERN_OK)
      node->error = strdup(env_err.message);
    node->child_index = (long)i;
    node->on_terminate = child->on_terminate;
    node->restart = child->restart;
    instance->children[instance->child_count++] = node;
  }
  return FERN_OK;
}

int fern__instance_collection_env(fern__instance *instance, const char *name,
                                  fern__env **out, fern_error_t *err) {
  const fern__collection_decl *coll =
      fern__decl_find_collection(instance->resolution->decl, name);
  if (coll == NULL)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "%s has no collection \"%s\"", instance->moniker,
                          name);
  if (coll->environment == NULL) {
    *out = instance->env;
    return FERN_OK;
  }
  return fern__instance_declared_env(instance, coll->environment, out, err);
}

void fern__instance_walk(fern__instance *instance,
                         void (*visit)(fern__instance *, void *), void *arg) {
  visit(instance, arg);
  for (size_t i = 0; i < instance->child_count; i++)
    fern__instance_walk(instance->children[i], visit, arg);
}


fern__instance *fern__instance_find(fern__instance *root, const char *moniker) {
  if (moniker[0] != '/')
    return NULL;
  fern__instance *at = root;
  const char *p = moniker + 1;
  while (at != NULL && *p != '\0') {
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    fern__instance *next = NULL;
    for (size_t i = 0; i < at->child_count && next == NULL; i++) {
      fern__instance *c = at->children[i];
      if (c->state != FERN_STATE_CREATING && strlen(c->name) == len &&
          strncmp(c->name, p, len) == 0)
        next = c;
    }
    at = next;
    p += len + (slash != NULL);
  }
  return at;
}

void fern__instance_detach(fern__instance *child) {
  fern__instance *parent = child->parent;
  if (parent != NULL)
    fern__stop_order_changed(parent->manager);
  for (size_t i = 0; parent != NULL && i < parent->child_count; i++) {
    if (parent->children[i] == child) {
      memmove(&parent->children[i], &parent->children[i + 1],
              (parent->child_count - i - 1) * sizeof *parent->children);
      parent->child_count--;
      return;
    }
  }
}

int fern__instance_is_live(const fern__instance *instance) {
  return fern__state_is_live(instance->state);
}

/* Only an ended instance is looked into: a whole-tree stop of live
 * components costs one look each, as before. */
static int any_subtree_live(const fern__instance *instance) {
  for (size_t i = 0; i < instance->child_count; i++)
    if (fern__instance_subtree_live(instance->children[i]))
      return 1;
  return 0;
}

int fern__instance_subtree_live(const fern__instance *instance) {
  return fern__instance_is_live(instance) || any_subtree_live(instance);
}

const char *fern__instance_state_name(const fern__instance *instance) {
  return fern__state_name(instance->state);
}

fern__instance *fern__instance_stopping_ancestor(fern__instance *instance) {
  for (fern__instance *a = instance->parent; a != NULL; a = a->parent)
    if (fern__state_is_stopping(a->state))
      return a;
  return NULL;
}

int fern__instance_adopt(fern__instance *parent, fern__instance *child) {
  fern__stop_order_changed(parent->manager);
  if (parent->child_count == parent->child_capacity) {
    size_t capacity = parent->child_capacity ? parent->child_capacity * 2 : 4;
    fern__instance **grown =
        realloc(parent->children, capacity * sizeof *grown);
    if (grown == NULL)
      return FERN_ENOMEM;
    parent->children = grown;
    parent->child_capacity = capacity;
  }
  parent->children[parent->child_count++] = child;
  return FERN_OK;
}
