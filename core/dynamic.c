/* dynamic.c - children created in a collection while the tree runs. A new
 * child is resolved before it joins the tree, so a bad URL creates
 * nothing. Transient children live until destroyed or until their parent
 * stops; single_run children start on creation and are destroyed when they
 * stop. A destroyed instance leaves the tree at once and is freed when the
 * manager ends (a resolution in flight may still hold it). */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manager.h"
#include "manifest_check.h"

typedef struct create_op_s {
  fern__created_cb cb;
  void *arg;
} create_op;

static void bury(fern__instance *instance, void *arg) {
  (void)arg;
  fern__restart_cancel(instance);
  instance->destroyed = 1;
}

static void emit_destroyed(fern__instance *instance) {
  for (size_t i = 0; i < instance->child_count; i++)
    emit_destroyed(instance->children[i]);
  fern__event(&instance->manager->events, "destroyed", instance->moniker,
              NULL);
}

/* Takes a (stopped) dynamic child out of the tree. */
static void remove_child(fern__instance *instance) {
  fern__manager *manager = instance->manager;
  fern__instance_detach(instance);
  fern__instance_walk(instance, bury, NULL);
  emit_destroyed(instance);
  fern__log(FERN_LOG_INFO, instance->moniker, "destroyed");
  instance->next_dead = manager->graveyard;
  manager->graveyard = instance;
}

static void on_created(void *arg, fern__instance *instance) {
  create_op *op = arg;
  fern__manager *manager = instance->manager;
  if (instance->resolution == NULL) {
    char why[1024];
    snprintf(why, sizeof why, "cannot create %s: %s", instance->moniker,
             instance->error ? instance->error : "not resolved");
    fern__instance_detach(instance);
    instance->destroyed = 1;
    instance->next_dead = manager->graveyard;
    manager->graveyard = instance;
    op->cb(op->arg, NULL, why);
  } else {
    instance->pending_create = 0;
    fern__log(FERN_LOG_INFO, instance->moniker, "created in collection %s",
              instance->collection);
    fern__event(&manager->events, "created", instance->moniker,
                json_pack("{s:s, s:s}", "url", instance->url, "collection",
                          instance->collection));
    if (instance->durability == FERN_DURABILITY_SINGLE_RUN)
      fern__lifecycle_start(instance, "single_run");
    op->cb(op->arg, instance, NULL);
  }
  free(op);
}

static int name_in_use(const fern__instance *parent, const char *name) {
  for (size_t i = 0; i < parent->child_count; i++)
    if (strcmp(parent->children[i]->name, name) == 0)
      return 1;
  return 0;
}

static int check_create(fern__instance *parent, const char *collection,
                        const char *name, const char *full_name,
                        fern_error_t *err) {
  if (parent->resolution == NULL)
    return fern_error_set(err, FERN_ESTATE, NULL, "%s is not resolved",
                          parent->moniker);
  if (fern__decl_find_collection(parent->resolution->decl, collection) == NULL)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "%s has no collection \"%s\"", parent->moniker,
                          collection);
  fern__decl probe = {.origin = "name"};
  fern__mcheck mc = {&probe, err};
  if (fern__mcheck_name(&mc, name, "", "child") != FERN_OK)
    return FERN_EINVAL;
  if (name_in_use(parent, full_name))
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "collection %s of %s already has a child named "
                          "\"%s\"",
                          collection, parent->moniker, name);
  return FERN_OK;
}

int fern__dynamic_create(fern__instance *parent, const char *collection,
                         const char *name, const char *url,
                         fern__created_cb cb, void *arg, fern_error_t *err) {
  /* Like Fuchsia's monikers: a dynamic child is "collection:name". */
  char full_name[2 * FERN_NAME_MAX + 2];
  snprintf(full_name, sizeof full_name, "%.*s:%.*s", FERN_NAME_MAX,
           collection, FERN_NAME_MAX, name);
  int rc = check_create(parent, collection, name, full_name, err);
  fern__env *env = NULL;
  if (rc == FERN_OK)
    rc = fern__instance_collection_env(parent, collection, &env, err);
  if (rc != FERN_OK)
    return rc;
  const fern__collection_decl *coll =
      fern__decl_find_collection(parent->resolution->decl, collection);
  fern__instance *child = fern__instance_new(parent->manager, parent,
                                             full_name, url, FERN_STARTUP_LAZY,
                                             env);
  create_op *op = calloc(1, sizeof *op);
  if (child == NULL || op == NULL ||
      (child->collection = strdup(collection)) == NULL ||
      fern__instance_adopt(parent, child) != FERN_OK) {
    fern__instance_free(child);
    free(op);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  child->dynamic = 1;
  child->pending_create = 1;
  child->durability = coll->durability;
  child->restart = coll->restart;
  op->cb = cb;
  op->arg = arg;
  child->on_resolved = on_created;
  child->on_resolved_arg = op;
  fern__lifecycle_resolve(child);
  return FERN_OK;
}

typedef struct destroy_op_s {
  fern__destroyed_cb cb;
  void *arg;
} destroy_op;

static void destroy_after_stop(void *arg, fern__instance *instance) {
  destroy_op *op = arg;
  if (!instance->destroyed)
    remove_child(instance);
  if (op->cb != NULL)
    op->cb(op->arg);
  free(op);
  fern__manager_check_idle(instance->manager);
}

int fern__dynamic_destroy(fern__instance *instance, fern__destroyed_cb cb,
                          void *arg, fern_error_t *err) {
  if (!instance->dynamic)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s is declared in its parent's manifest; only "
                          "children created in a collection can be destroyed",
                          instance->moniker);
  if (instance->pending_create)
    return fern_error_set(err, FERN_ESTATE, NULL, "%s is still being created",
                          instance->moniker);
  destroy_op *op = calloc(1, sizeof *op);
  if (op == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  op->cb = cb;
  op->arg = arg;
  fern__lifecycle_stop_then(instance, destroy_after_stop, op);
  return FERN_OK;
}

void fern__dynamic_on_stopped(fern__instance *instance) {
  if (instance->dynamic && !instance->destroyed &&
      instance->durability == FERN_DURABILITY_SINGLE_RUN &&
      instance->restart_timer == NULL)
    fern__dynamic_destroy(instance, NULL, NULL, NULL);
}

void fern__dynamic_on_parent_stopped(fern__instance *parent) {
  for (size_t i = parent->child_count; i-- > 0;) {
    fern__instance *child = parent->children[i];
    if (child->dynamic && !child->pending_create && !child->destroyed)
      remove_child(child); /* already stopped: its parent stops last */
  }
}
