/* instance.h - the instance tree: one node per component instance, named by
 * its moniker ("/", "/core", "/core/echo"). Loop thread only. */
#ifndef FERN_CORE_INSTANCE_H
#define FERN_CORE_INSTANCE_H

#include <uv.h>

#include "../environments/environment.h"
#include "decl_cache.h"

struct fern__manager_s;

/* The deepest a tree may nest. Resolution of a cached manifest completes
 * at once, so a manifest that includes itself would otherwise recurse
 * until the stack ends. */
#define FERN__DEPTH_MAX 100

typedef enum fern__state {
  FERN_STATE_DISCOVERED, /* known by URL only */
  FERN_STATE_RESOLVING,
  FERN_STATE_RESOLVED, /* declaration known; not running */
  FERN_STATE_STARTING, /* the runner is starting it */
  FERN_STATE_RUNNING,  /* running (a realm: its eager children started) */
  FERN_STATE_STOPPING,
  FERN_STATE_STOPPED /* ran and ended, or could not start */
} fern__state;

const char *fern__state_name(fern__state state);

/* Called once an instance (and its subtree) has fully stopped. */
typedef void (*fern__stopped_cb)(void *arg, struct fern_instance_s *instance);

typedef struct fern__stop_waiter_s {
  fern__stopped_cb cb;
  void *arg;
  struct fern__stop_waiter_s *next;
} fern__stop_waiter;

/* Called once a new dynamic child is resolved, or could not be. */
typedef void (*fern__resolved_hook)(void *arg, struct fern_instance_s *instance);

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
  fern__state state;

  struct fern_instance_s **children;
  size_t child_count, child_capacity;
  fern__capability **provided; /* capabilities it declares, made on use */
  fern__env **declared_envs;   /* environments it declares, built on use */

  int start_requested; /* start once resolved */
  int stop_requested;  /* a stop of this subtree is under way */
  int stop_sent;       /* the runner was asked to stop */
  int killed;          /* the host killed it after the stop timeout */
  fern__capability *runner; /* while a program runs */
  void *controller;
  uv_timer_t *stop_timer;
  long pid;
  fern_stop_status status; /* of the last run */
  int exit_code, term_signal;
  int ran;     /* a run (or an attempt) has ended */
  int awaiting_ready; /* the runner will report readiness */
  int ready;
  char *status_text;  /* the last STATUS= it reported */
  fern__on_terminate on_terminate;

  const char *start_reason; /* static text: "eager", "request", ... */
  uint64_t start_seq;       /* order of starts, for reverse-order stops */
  struct fern__stop_order_s *stop_order; /* its children's, while stopping */
  double started_at;        /* wall clock of the last start */
  uint64_t run_began_ms;    /* monotonic, for the restart reset */
  fern__stop_waiter *stop_waiters;

  fern__restart_decl restart;
  unsigned restart_count; /* restarts so far */
  unsigned attempt;       /* restarts since the backoff was last reset */
  uint64_t delay_ms;      /* the last backoff */
  uint64_t *burst;        /* times of recent restarts (monotonic ms) */
  size_t burst_len;
  uv_timer_t *restart_timer;
  int failed; /* gave up restarting */

  int dynamic; /* created in a collection */
  char *collection;
  fern__durability durability;
  int pending_create; /* resolving before it joins the tree */
  int destroyed;      /* detached; freed when the manager ends */
  fern__resolved_hook on_resolved;
  void *on_resolved_arg;
  struct fern_instance_s *next_dead; /* the manager's graveyard */
  char *error; /* why it cannot resolve or start, once known */
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

/* Finds an instance by moniker ("/a/b"), or NULL. */
fern__instance *fern__instance_find(fern__instance *root, const char *moniker);
/* Appends `child` to its parent's children. */
int fern__instance_adopt(fern__instance *parent, fern__instance *child);
/* Removes `child` from its parent's children (it stays allocated). */
void fern__instance_detach(fern__instance *child);
/* Live: its program is starting, running or stopping, or (a realm) it
 * runs. A stopping realm waits for its live children. */
int fern__instance_is_live(const fern__instance *instance);
/* The state a person reads: "ready" when running and ready, "failed" when
 * restarts gave up. */
const char *fern__instance_state_name(const fern__instance *instance);

/* Visits the subtree, parents before children. */
void fern__instance_walk(fern__instance *instance,
                         void (*visit)(fern__instance *, void *), void *arg);

#endif
