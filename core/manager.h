/* manager.h - one fern process's state: the loop, the plugins, the root
 * environment, the declaration cache and the instance tree. */
#ifndef FERN_CORE_MANAGER_H
#define FERN_CORE_MANAGER_H

#include <uv.h>

#include "config.h"
#include "events.h"
#include "resolve_dispatch.h"
#include "instance.h"
#include "log_turn.h"
#include "logbook.h"
#include "plugin.h"
#include "proc/proc.h"

typedef enum fern__mode {
  FERN_MODE_RUN, /* start eager components */
  FERN_MODE_TREE /* resolve every static component, start nothing */
} fern__mode;

typedef struct fern__manager_s {
  uv_loop_t loop;
  fern__mode mode;
  fern__config *config;
  fern__plugin_registry plugins;
  fern_host_t host; /* its ctx is this manager */
  proc_registry procs; /* the process services runners opened */
  const json_t *policy; /* the configuration's security policy, or NULL */
  fern__env *root_env;
  fern__resolutions dispatch; /* resolutions, by URL (resolve_dispatch.c) */
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
  char serve_dir[32];   /* protocol sockets and namespaces (serve_dir.c) */
  int serve_dir_fd;     /* its lock while this fern lives, or -1 */
  uint64_t serve_seq;
  size_t pending_restarts;
  fern__instance *graveyard; /* destroyed subtrees, freed once unheld */
  struct fern__input_s *inbox_head, **inbox_tail; /* lifecycle_inbox.c */
  struct fern__input_s *parked; /* starts waiting for routes to resolve */
  /* A component left the resolving states: what is parked looks again
   * (a resolution's answer is not the only way out of them). */
  int unpark_due;
  uv_prepare_t inbox_turn;
  int inbox_open;
  fern__log_turn log_turn; /* fern run: log wakes once a turn */
  json_t *timed_out;         /* monikers killed after their stop timeout */
  json_t *storage_roots; /* storage root path -> "MONIKER storage NAME" */
  struct fern__control_s *control;
  int failures;   /* runs that did not end ok, starts that could not happen */
  char *critical; /* "moniker: reason" of the critical failure, if any */
  fern__events events;
  fern__logbook logbook; /* fern run: every component's lines */
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

/* The lifecycle is lifecycle.h: everything asks it by posting inputs. */
/* Kills every program now (a second signal). */
void fern__lifecycle_kill_all(fern__instance *instance);

/* Dynamic children (dynamic.c). */
typedef void (*fern__created_cb)(void *arg, fern__instance *child,
                                 const char *error);
typedef void (*fern__destroyed_cb)(void *arg, const char *error);
/* Creates a child in `collection` of `parent`: it resolves first, and
 * `cb` is called once it has joined the tree or could not.
 * `config_overrides` ([{"key", "value"}] or NULL) set fields of its
 * structured configuration; a wrong one fails the create. */
int fern__dynamic_create(fern__instance *parent, const char *collection,
                         const char *name, const char *url,
                         const json_t *config_overrides,
                         fern__created_cb cb, void *arg, fern_error_t *err);
/* Stops it, then takes it out of the tree; then `cb` (may be NULL). */
int fern__dynamic_destroy(fern__instance *instance, fern__destroyed_cb cb,
                          void *arg, fern_error_t *err);

/* Called whenever something ended: exits the loop when nothing is left. */
void fern__manager_check_idle(fern__manager *manager);

/* The host table runners and resolvers receive (host.c). */
void fern__host_init(fern__manager *manager);
/* The host table's process service calls (proc/proc_host.c). */
void fern__host_init_procs(fern_host_t *host);
/* A critical component failed: stop the tree, exit non-zero naming it. */
void fern__manager_critical_failure(fern__manager *manager,
                                    const char *moniker, const char *reason);

#endif
