/* lifecycle_resolve.c - the resolving rows of the table: a component's
 * URL goes to the resolver its environment names for the scheme; the
 * answer comes back as an input. Once resolved, its static children are
 * made and each resolves in turn. Loop thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_resolve.h"
#include "env_routes.h"
#include "lifecycle_actions.h"
#include "log.h"
#include "routes.h"

static void record_error(fern__instance *i, const char *why) {
  if (i->error == why)
    return;
  char *copy = strdup(why);
  free(i->error);
  i->error = copy;
}

/* The resolution answered (at once when cached): its answer is an input,
 * handled on the inbox's turn. The resolution's hold on the instance
 * passes to the input. */
static void on_resolution(void *arg, const fern__resolution *res) {
  fern__instance *i = arg;
  fern__input *in = fern__lc_input(i, res->rc == FERN_OK
                                          ? FERN_IN_RESOLVED
                                          : FERN_IN_UNRESOLVABLE);
  i->holds--;
  if (in == NULL)
    return;
  in->resolution = res;
  fern__lc_post(in);
}

static int resolve_parent(const fern__instance *i,
                          fern__resolve_parent *parent) {
  if (i->parent == NULL || i->parent->resolution == NULL)
    return -1;
  const fern__resolution *res = i->parent->resolution;
  parent->package_url = res->package_url;
  parent->context = res->context;
  parent->scheme = res->scheme;
  return 0;
}

/* begin()'s answer while the route of its resolver waits for a
 * component on the way to be resolved. */
#define RESOLVER_PENDING 1

static int queue_resolution(fern__instance *i, const fern__url *url,
                            char *why, size_t size) {
  fern__resolve_parent parent = {NULL, NULL, NULL};
  int absolute = url->kind == FERN_URL_ABSOLUTE;
  if (!absolute && resolve_parent(i, &parent) != 0) {
    snprintf(why, size, "relative URL \"%s\" needs a parent component",
             i->url);
    return -1;
  }
  const char *scheme = absolute ? url->scheme : parent.scheme;
  fern__capability *resolver = NULL;
  fern_error_t err = FERN_ERROR_INIT;
  int found = fern__instance_resolver(i, scheme, &resolver, &err);
  if (found == FERN__ROUTE_PENDING)
    return RESOLVER_PENDING;
  if (found != FERN_OK) {
    snprintf(why, size, "%s", err.message);
    return -1;
  }
  char *key = absolute ? strdup(i->url)
                       : fern__url_relative_key(parent.package_url, i->url);
  i->holds++; /* the resolution names it until it answers */
  int rc = key ? fern__resolve_dispatch(&i->manager->dispatch, key, i->url,
                                          &parent, resolver, on_resolution, i)
               : FERN_ENOMEM;
  free(key);
  if (rc != FERN_OK) {
    i->holds--;
    snprintf(why, size, "cannot queue the resolution: %s", fern_strerror(rc));
    return -1;
  }
  return 0;
}

/* Queues its resolution: 0; RESOLVER_PENDING; -1 with the reason when it
 * cannot be. */
static int begin(fern__instance *i, char *why, size_t size) {
  if (i->error != NULL) { /* known before: its environment failed */
    snprintf(why, size, "%s", i->error);
    return -1;
  }
  fern__url url;
  fern_error_t err = FERN_ERROR_INIT;
  if (fern__url_parse(i->url, &url, &err) != FERN_OK) {
    snprintf(why, size, "%s", err.message);
    return -1;
  }
  int rc = queue_resolution(i, &url, why, size);
  fern__url_free(&url);
  return rc;
}

fern__state fern__act_resolve(fern__instance *i, fern__input *in) {
  char why[1024];
  int creating = i->state == FERN_STATE_CREATING;
  int begun = begin(i, why, sizeof why);
  if (begun == RESOLVER_PENDING) {
    fern__lc_park_resolution(i, in);
    return i->state;
  }
  if (begun != 0) {
    record_error(i, why);
    return creating ? fern__dynamic_create_fails(i, why, in)
                    : FERN_STATE_UNRESOLVED;
  }
  return creating ? FERN_STATE_CREATING : FERN_STATE_RESOLVING;
}

fern__state fern__act_resolve_to_start(fern__instance *i, fern__input *in) {
  char why[1024];
  /* A start parked while its resolver's route resolved: a stop or the
   * shutdown meanwhile is its end. */
  if (fern__lc_parked_cancelled(i, in))
    return i->state;
  if (i->manager->shutting_down) {
    fern__lc_answer(in, "fern is shutting down");
    return i->state;
  }
  i->start_reason = in->reason;
  int begun = begin(i, why, sizeof why);
  if (begun == RESOLVER_PENDING) {
    fern__lc_park_resolution(i, in);
    return i->state;
  }
  if (begun != 0) {
    record_error(i, why);
    fern__lc_set_state(i, FERN_STATE_UNRESOLVED, in);
    return fern__lc_cannot_start(i, why);
  }
  return FERN_STATE_RESOLVING_TO_START;
}

/* The tree repeats: an ancestor has this very resolution (the cache keys
 * resolutions by URL, so the same key means the same manifest, the same
 * children, and so on for ever). */
static const fern__instance *repeated_by(const fern__instance *i,
                                         const fern__resolution *res) {
  for (const fern__instance *a = i->parent; a != NULL; a = a->parent)
    if (a->resolution == res)
      return a;
  return NULL;
}

/* The values of its structured configuration: its package's, with what
 * its parent overrides (a static child's in the parent's manifest, a
 * dynamic child's from fern create). */
static int resolve_config(fern__instance *i, const fern__resolution *res,
                          char *why, size_t size) {
  char pointer[64];
  fern__config_overrides overrides = {i->config_overrides, NULL, NULL};
  if (i->child_index >= 0 && i->parent->resolution != NULL) {
    const fern__decl *parent = i->parent->resolution->decl;
    snprintf(pointer, sizeof pointer, "/children/%ld/config_overrides",
             i->child_index);
    overrides.list = parent->children[i->child_index].config_overrides;
    overrides.placed_in = parent;
    overrides.pointer = pointer;
  }
  json_t *config = NULL;
  fern_error_t err = FERN_ERROR_INIT;
  if (fern__config_resolve(res->decl, res->config_values, &overrides,
                           &config, &err) != FERN_OK) {
    snprintf(why, size, "%s", err.message);
    return -1;
  }
  json_decref(i->config);
  i->config = config;
  return 0;
}

/* A Capstan boot of several commands (capstan resolver's facets
 * "fern.capstan": {"next"}) runs the rest only as fern run's root: a
 * child runs its first, and says so. */
static void note_later_commands(const fern__instance *i) {
  const json_t *facets = json_object_get(i->resolution->decl->json, "facets");
  const char *next = json_string_value(json_object_get(
      json_object_get(facets, "fern.capstan"), "next"));
  if (next != NULL && i->parent != NULL)
    fern__log(FERN_LOG_WARN, i->moniker,
              "runs one command of its Capstan boot; %s and what follows "
              "run only when fern run boots the package itself",
              next);
}

/* Takes the declaration in and makes the static children, each asked to
 * resolve; -1 with the reason when the declaration cannot be used. */
static int adopt(fern__instance *i, const fern__resolution *res, char *why,
                 size_t size) {
  const fern__instance *ancestor = repeated_by(i, res);
  if (ancestor != NULL) {
    snprintf(why, size,
             "%s is the manifest of its ancestor %s: the tree would nest for "
             "ever",
             i->url, ancestor->moniker);
    return -1;
  }
  if (resolve_config(i, res, why, size) != 0)
    return -1;
  i->resolution = res;
  note_later_commands(i);
  fern_error_t err = FERN_ERROR_INIT;
  int rc = fern__instance_add_children(i, &err);
  for (size_t c = 0; c < i->child_count; c++)
    fern__lc_post_kind(i->children[c], FERN_IN_RESOLVE);
  if (rc != FERN_OK) {
    snprintf(why, size, "%s", err.message);
    return -1;
  }
  return 0;
}

fern__state fern__act_resolved(fern__instance *i, fern__input *in) {
  char why[1024];
  if (adopt(i, in->resolution, why, sizeof why) != 0) {
    record_error(i, why);
    return FERN_STATE_UNRESOLVED;
  }
  return FERN_STATE_RESOLVED;
}

fern__state fern__act_resolved_start(fern__instance *i, fern__input *in) {
  char why[1024];
  if (adopt(i, in->resolution, why, sizeof why) != 0) {
    record_error(i, why);
    fern__lc_set_state(i, FERN_STATE_UNRESOLVED, in);
    return fern__lc_cannot_start(i, why);
  }
  fern__lc_set_state(i, FERN_STATE_RESOLVED, in);
  /* What asked for the start may have stopped meanwhile (a shutdown, or
   * its realm's stop): then it stays resolved. */
  if (!fern__lc_may_start(i))
    return FERN_STATE_RESOLVED;
  fern_error_t route_err = FERN_ERROR_INIT;
  int routed = fern__lc_routes_ready(i, NULL, i->start_reason, &route_err);
  if (routed == FERN__ROUTE_PENDING)
    return FERN_STATE_RESOLVED; /* it starts once its routes resolve */
  if (routed != FERN_OK)
    return fern__lc_cannot_start(i, route_err.message);
  return fern__lc_start_now(i, i->start_reason);
}

fern__state fern__act_unresolvable(fern__instance *i, fern__input *in) {
  record_error(i, in->resolution->error.message);
  return FERN_STATE_UNRESOLVED;
}

fern__state fern__act_unresolvable_start(fern__instance *i, fern__input *in) {
  record_error(i, in->resolution->error.message);
  fern__lc_set_state(i, FERN_STATE_UNRESOLVED, in);
  return fern__lc_cannot_start(i, i->error);
}

fern__state fern__act_created(fern__instance *i, fern__input *in) {
  char why[1024];
  if (adopt(i, in->resolution, why, sizeof why) != 0) {
    record_error(i, why);
    return fern__dynamic_create_fails(i, why, in);
  }
  fern__lc_set_state(i, FERN_STATE_RESOLVED, in);
  return fern__dynamic_joined(i, in);
}

fern__state fern__act_create_failed(fern__instance *i, fern__input *in) {
  record_error(i, in->resolution->error.message);
  return fern__dynamic_create_fails(i, i->error, in);
}
