/* instance.h - the instance tree: one node per component instance, named by
 * its moniker ("/", "/core", "/core/echo"). Loop thread only. */
#ifndef FERN_CORE_INSTANCE_H
#define FERN_CORE_INSTANCE_H

#include <uv.h>

#include "../environments/environment.h"
#include "resolve_dispatch.h"
#include "lifecycle.h"

struct fern__manager_s;

/* Called once an instance's stop is done: it and its subtree have ended. */
typedef struct fern__stop_waiter_s {
  fern__done_cb cb;
  void *arg;
  struct fern__stop_waiter_s *next;
} fern__stop_waiter;

/* One run of a program: what its runner holds, and what it declared. */
typedef struct fern__run_s {
  fern__capability *runner; /* while a program runs */
  void *controller;         /* NULL once its end is reported */
  long pid;                 /* 0: none, or none local (a cluster job) */
  int awaits_ready;         /* the runner will report readiness */
  uv_timer_t *stop_timer;   /* while STOPPING */
  uint64_t stop_deadline;   /* when it fires (uv_now ms) */
} fern__run;

/* The runner-facing token (fern_instance_t) is this struct. */
typedef struct fern_instance_s {
  struct fern__manager_s *manager;
  struct fern_instance_s *parent;
  char *name;    /* "" for the root */
  unsigned depth; /* 0 for the root */
  char *moniker; /* "/core/echo" */
  char *url;     /* as declared */
  fern__startup startup;
  fern__env *env;                 /* the environment it runs in */
  const fern__resolution *resolution; /* owned by the cache; once resolved */
  fern__state state;              /* lifecycle.h; set by fern__lc_set_state */
  size_t holds; /* inputs, a resolution and a run that will still name it */
  uint64_t timer_epoch; /* bumped by each timer it starts */

  struct fern_instance_s **children;
  size_t child_count, child_capacity;
  fern__capability **provided; /* capabilities it declares, made on use */
  fern__env **declared_envs;   /* environments it declares, built on use */
  /* Their registrations that are routed (env_routes.c): from a child, or
   * from what its parent offers it. */
  struct fern__env_route_s *env_routes;

  fern__run run;
  fern_stop_status status; /* of the last run */
  int exit_code, term_signal;
  unsigned runs;      /* runs (or attempts) that have ended */
  char *status_text;  /* the last STATUS= it reported */
  fern__on_terminate on_terminate;

  const char *start_reason; /* static text: "eager", "request", ... */
  uint64_t start_seq;       /* order of starts */
  struct fern__stop_order_s *stop_order; /* its children's, while stopping */
  size_t stop_slot;         /* its place in its parent's stop order */
  int awaits_dependents;    /* stopped on its own: its dependents first */
  size_t children_awaiting; /* its children with awaits_dependents set */
  uint64_t stop_count;      /* stops asked of it: parked starts check it */
  struct fern__served_s *served; /* the protocols it serves (serve.c) */
  char *activated_by;       /* a connection to this protocol asks a start */
  char *start_capability;   /* the protocol whose connection started it */
  uint64_t activation_window_ms; /* serve_watch.c's trigger limit */
  unsigned activations;
  unsigned failed_activations; /* runs started by connections, in a row */
  int activation_off;
  uint64_t namespace_seq;   /* its namespace directory's number, or 0 */
  double started_at;        /* wall clock of the last start */
  uint64_t run_began_ms;    /* monotonic, for the restart reset */
  fern__stop_waiter *stop_waiters;

  fern__restart_decl restart;
  unsigned restart_count;   /* restarts so far */
  unsigned attempt;         /* restarts since the backoff was last reset */
  uint64_t delay_ms;        /* the last backoff */
  uint64_t burst_began_ms;  /* the restart window opened (monotonic ms) */
  uint32_t burst_len;       /* restarts in that window */
  uv_timer_t *restart_timer; /* while RESTART_WAIT */

  int dynamic; /* created in a collection */
  char *collection;
  fern__durability durability;
  struct fern__create_op_s *create_op; /* while CREATING: who asked */
  struct fern_instance_s *next_dead;   /* the manager's graveyard */
  char *error; /* why it cannot resolve or start, once known */

  /* Structured configuration (config_resolve.h). */
  long child_index; /* its place in the parent's "children", or -1 */
  json_t *config_overrides; /* a dynamic child's, from fern create */
  json_t *config; /* the values it runs with, once resolved, or NULL */
} fern__instance;

/* Makes an instance; the root has parent NULL and name "". `env` gets a
 * new reference. */
fern__instance *fern__instance_new(struct fern__manager_s *manager,
                                   fern__instance *parent, const char *name,
                                   const char *url, fern__startup startup,
                                   fern__env *env);
/* Frees the subtree. Handles must be closed already. */
void fern__instance_free(fern__instance *instance);

/* Creates the static children of a resolved instance, each in the
 * environment its declaration names (or the parent's). */
int fern__instance_add_children(fern__instance *instance, fern_error_t *err);

/* The environment the instance's declaration names `name`, built on first
 * use from the instance's own environment. */
int fern__instance_declared_env(fern__instance *instance, const char *name,
                                fern__env **out, fern_error_t *err);

/* The environment children of collection `name` get: the one the
 * collection declares, else the instance's own. */
int fern__instance_collection_env(fern__instance *instance, const char *name,
                                  fern__env **out, fern_error_t *err);

/* Its declaration, once its resolution answered with one; else NULL. */
const fern__decl *fern__instance_decl(const fern__instance *instance);
/* Finds an instance by moniker ("/a/b"), or NULL. */
fern__instance *fern__instance_find(fern__instance *root, const char *moniker);
/* Appends `child` to its parent's children. */
int fern__instance_adopt(fern__instance *parent, fern__instance *child);
/* Removes `child` from its parent's children (it stays allocated). */
void fern__instance_detach(fern__instance *child);
/* fern__state_is_live of its state. */
int fern__instance_is_live(const fern__instance *instance);
/* Live, or ended with a descendant still live (a program that ended by
 * itself while its children stop): its subtree has not ended yet, and a
 * stopping realm waits for it. */
int fern__instance_subtree_live(const fern__instance *instance);
/* The state a person reads (fern__state_name). */
const char *fern__instance_state_name(const fern__instance *instance);
/* Its nearest ancestor whose subtree is stopping, or NULL. */
fern__instance *fern__instance_stopping_ancestor(fern__instance *instance);

/* Visits the subtree, parents before children. */
void fern__instance_walk(fern__instance *instance,
                         void (*visit)(fern__instance *, void *), void *arg);

#endif
