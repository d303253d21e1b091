/* manager.h - one fern process's state: the loop, the plugins, the root
 * environment, the declaration cache and the instance tree. */
#ifndef FERN_CORE_MANAGER_H
#define FERN_CORE_MANAGER_H

#include <uv.h>

#include "config.h"
#include "events.h"
#include "decl_cache.h"
#include "instance.h"
#include "plugin.h"

typedef enum fern__mode {
  FERN_MODE_RUN, /* start eager components */
  FERN_MODE_TREE /* resolve every static component, start nothing */
} fern__mode;

typedef struct fern__manager_s {
  uv_loop_t loop;
  fern__mode mode;
  fern__config *config;
  fern__plugin_registry plugins;
  fern_host_t host;
  fern__env *root_env;
  fern__decl_cache cache;
  fern__instance *root;
  uv_signal_t signals[2];
  uv_timer_t kill_grace; /* after the second signal: how long ends may take */
  int signals_open;
  int shutting_down;
  int killing; /* a second signal killed every component */
  int interrupted; /* SIGINT or SIGTERM stopped the tree */
  int keep_running; /* stay when nothing runs, until a signal */
  uint64_t start_seq;
  uint64_t order_epoch; /* bumped by what a stop order cannot foresee */
  size_t pending_restarts;
  fern__instance *graveyard; /* destroyed instances, freed at the end */
  json_t *timed_out;         /* monikers killed after their stop timeout */
  struct fern__control_s *control;
  int failures;   /* runs that did not end ok, starts that could not happen */
  char *critical; /* "moniker: reason" of the critical failure, if any */
  fern__events events;
  size_t active;  /* programs starting, running or stopping */
  size_t waiting; /* resolutions instances wait on */
} fern__manager;

/* Sets up everything up to the root environment. */
int fern__manager_init(fern__manager *manager, fern__config *config,
                       fern__mode mode, fern_error_t *err);
/* Boots `url`, runs the loop until nothing is left, tears down. Returns the
 * process exit status. */
int fern__manager_run(fern__manager *manager, const char *url);
void fern__manager_free(fern__manager *manager);
/* After a run: if a resolver never answered, its worker thread cannot be
 * stopped and the loop cannot be closed under it. Every component has
 * ended by then, so fern says so and exits with `status` here, its state
 * still in reach. Returns when nothing is stuck. */
void fern__manager_end_if_stuck(fern__manager *manager, int status);
/* Ends the process now with `status`, whatever is still running or stuck:
 * logs `why` (printf-style; NULL for nothing), removes the control socket,
 * closes the events file, flushes the log within a bound, and _exits. */
void fern__manager_end_now(fern__manager *manager, int status,
                           const char *why, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/* Lifecycle entry points (lifecycle.c, lifecycle_stop.c). */
void fern__lifecycle_resolve(fern__instance *instance);
/* Starts it once resolved; `reason` is static text ("eager", ...). */
void fern__lifecycle_start(fern__instance *instance, const char *reason);
/* A start someone asked for: its ancestors start first if they must. */
int fern__lifecycle_request_start(fern__instance *instance, const char *reason,
                                  fern_error_t *err);
void fern__lifecycle_start_eager_children(fern__instance *instance);
void fern__lifecycle_cannot_start(fern__instance *instance, const char *why);
void fern__lifecycle_stop(fern__instance *instance);
/* Stops the subtree, then calls cb (at once when nothing runs). */
void fern__lifecycle_stop_then(fern__instance *instance, fern__stopped_cb cb,
                               void *arg);
void fern__lifecycle_kill_all(fern__instance *instance);
/* What runners report through the host table. */
void fern__lifecycle_on_started(fern__instance *instance, long pid);
void fern__lifecycle_on_stopped(fern__instance *instance,
                                const fern_stop_report_t *report);
void fern__lifecycle_on_ready(fern__instance *instance);
void fern__lifecycle_on_status(fern__instance *instance, const char *text);
/* Restarts (restart.c). Returns 1 when a restart was scheduled. */
int fern__restart_after_stop(fern__instance *instance);
void fern__restart_cancel(fern__instance *instance);

/* Dynamic children (dynamic.c). */
typedef void (*fern__created_cb)(void *arg, fern__instance *child,
                                 const char *error);
typedef void (*fern__destroyed_cb)(void *arg);
int fern__dynamic_create(fern__instance *parent, const char *collection,
                         const char *name, const char *url,
                         fern__created_cb cb, void *arg, fern_error_t *err);
int fern__dynamic_destroy(fern__instance *instance, fern__destroyed_cb cb,
                          void *arg, fern_error_t *err);
void fern__dynamic_on_stopped(fern__instance *instance);
void fern__dynamic_on_parent_stopped(fern__instance *parent);

/* Called whenever something ended: exits the loop when nothing is left. */
void fern__manager_check_idle(fern__manager *manager);

/* The host table runners and resolvers receive (host.c). */
void fern__host_init(fern_host_t *host, uv_loop_t *loop,
                     const json_t *policy);
/* A critical component failed: stop the tree, exit non-zero naming it. */
void fern__manager_critical_failure(fern__manager *manager,
                                    const char *moniker, const char *reason);

#endif
