/* dynamic.c - children created in a collection while the tree runs. A new
 * child is resolved before it joins the tree (CREATING), so a bad URL
 * creates nothing. Transient children live until destroyed or until their
 * parent stops; single_run children start on creation and are destroyed
 * when they stop. A destroyed subtree leaves the tree at once and is freed
 * as soon as no input or resolution names it (lifecycle_inbox.c).
 * Loop thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle_actions.h"
#include "storage.h"
#include "log.h"
#include "runner_call.h"
#include "manifest_check.h"

typedef struct fern__create_op_s {
  fern__created_cb cb;
  void *arg;
} create_op;

static void bury(fern__instance *instance) {
  fern__manager *manager = instance->manager;
  instance->next_dead = manager->graveyard;
  manager->graveyard = instance;
}

/* Answers the one who asked for the create, once. */
static void answer_create(fern__instance *instance, const char *error) {
  create_op *op = instance->create_op;
  if (op == NULL)
    return;
  instance->create_op = NULL;
  op->cb(op->arg, error == NULL ? instance : NULL, error);
  free(op);
}

fern__state fern__dynamic_create_fails(fern__instance *instance,
                                       const char *why,
                                       const fern__input *cause) {
  char text[1200];
  snprintf(text, sizeof text, "cannot create %s: %s", instance->moniker, why);
  fern__instance_detach(instance);
  fern__lc_set_state(instance, FERN_STATE_DESTROYED, cause);
  bury(instance);
  answer_create(instance, text);
  return FERN_STATE_DESTROYED;
}

fern__state fern__dynamic_joined(fern__instance *instance,
                                 const fern__input *cause) {
  answer_create(instance, NULL);
  if (instance->durability != FERN_DURABILITY_SINGLE_RUN)
    return FERN_STATE_RESOLVED;
  /* A realm that is not up starts first. */
  return fern__lc_start_from(instance, cause, "single_run", 0);
}

/* Depth first, children before their parent, as they are announced. A
 * program still running down there (a stop waits for the live children
 * of what it stops, not for their children's children) is killed: its
 * end is still taken in, in DESTROYED, and it holds its instance until
 * then. */
static void destroy_subtree(fern__instance *instance,
                            const fern__input *cause) {
  for (size_t c = 0; c < instance->child_count; c++)
    destroy_subtree(instance->children[c], cause);
  if (instance->run.controller != NULL)
    fern__runner_kill(instance);
  if (instance->state == FERN_STATE_CREATING)
    answer_create(instance, "its realm was destroyed");
  fern__lc_set_state(instance, FERN_STATE_DESTROYED, cause);
}

void fern__dynamic_remove(fern__instance *instance, const fern__input *cause) {
  if (instance->state == FERN_STATE_CREATING) {
    fern__dynamic_create_fails(instance, "its realm stopped", cause);
    return;
  }
  fern__instance_detach(instance);
  destroy_subtree(instance, cause);
  /* Its programs are killed: what they kept goes (a detached instance
   * still knows its parent, so its routes still lead there). */
  fern__storage_forget(instance);
  bury(instance);
}

fern__state fern__act_destroy(fern__instance *instance, fern__input *in) {
  (void)in;
  fern__instance_detach(instance);
  for (size_t c = 0; c < instance->child_count; c++)
    destroy_subtree(instance->children[c], in);
  fern__storage_forget(instance); /* as fern__dynamic_remove */
  bury(instance);
  return FERN_STATE_DESTROYED;
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
  fern__instance *stopping = fern__state_is_stopping(parent->state)
                                 ? parent
                                 : fern__instance_stopping_ancestor(parent);
  if (stopping != NULL || parent->manager->shutting_down)
    return fern_error_set(err, FERN_ESTATE, NULL, "%s is stopping",
                          stopping ? stopping->moniker : "fern");
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
                         const json_t *config_overrides,
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
  if (json_array_size(config_overrides) > 0 &&
      (child->config_overrides = json_deep_copy(config_overrides)) == NULL) {
    fern__instance_detach(child);
    fern__instance_free(child);
    free(op);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  child->durability = coll->durability;
  child->restart = coll->restart;
  op->cb = cb;
  op->arg = arg;
  child->create_op = op;
  /* Hidden from find and list until it has resolved. */
  fern__lc_set_state(child, FERN_STATE_CREATING, NULL);
  fern__lc_post_kind(child, FERN_IN_RESOLVE);
  return FERN_OK;
}

typedef struct destroy_op_s {
  fern__destroyed_cb cb;
  void *arg;
} destroy_op;

static void destroy_done(void *arg, fern__instance *instance,
                         const char *error) {
  destroy_op *op = arg;
  (void)instance;
  if (op->cb != NULL)
    op->cb(op->arg, error);
  free(op);
}

/* Its stop is done: now it leaves the tree (unless it left already, with
 * its parent's stop). */
static void destroy_after_stop(void *arg, fern__instance *instance,
                               const char *error) {
  destroy_op *op = arg;
  (void)error;
  if (instance->state == FERN_STATE_DESTROYED) {
    destroy_done(op, instance, NULL);
    return;
  }
  fern__input *in = fern__lc_input(instance, FERN_IN_DESTROY);
  if (in == NULL) {
    destroy_done(op, instance, NULL);
    return;
  }
  in->done = destroy_done;
  in->done_arg = op;
  fern__lc_post(in);
}

int fern__dynamic_destroy(fern__instance *instance, fern__destroyed_cb cb,
                          void *arg, fern_error_t *err) {
  if (!instance->dynamic)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s is declared in its parent's manifest; only "
                          "children created in a collection can be destroyed",
                          instance->moniker);
  if (instance->state == FERN_STATE_CREATING)
    return fern_error_set(err, FERN_ESTATE, NULL, "%s is still being created",
                          instance->moniker);
  destroy_op *op = calloc(1, sizeof *op);
  if (op == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  op->cb = cb;
  op->arg = arg;
  fern__lc_post_stop(instance, destroy_after_stop, op);
  return FERN_OK;
}
