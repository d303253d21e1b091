/* lifecycle.h - the component lifecycle, as one state machine.
 *
 * Each instance is in exactly one state. Everything that may change it is
 * an *input*: a runner's report (started, ready, status, stopped), a
 * resolution's answer, a request (start, stop, destroy), a timer, a
 * signal. Inputs from outside are queued (the inbox) and handled on a
 * later turn of the loop, never inside the call that brought them: a
 * runner that reports `stopped` from inside `stop` returns before its
 * controller is released, and a resolution answered from the cache does
 * not recurse.
 *
 * Each input is looked up in one table of (state, input) → action and the
 * states that action may lead to (lifecycle_table.c); a pair the table
 * does not list is refused there, in one place. Every change of state goes
 * through fern__lc_set_state(), which starts and cancels the state's
 * timers, keeps the manager's counters, and writes the one log line and
 * emits the one event of that transition (lifecycle_announce.c).
 *
 * The model is s6-supervise's table of states × events and systemd's
 * service_set_state(): one function through which every change passes.
 * Loop thread only. */
#ifndef FERN_CORE_LIFECYCLE_H
#define FERN_CORE_LIFECYCLE_H

#include <fern/fern.h>
#include <stdint.h>

struct fern_instance_s;
struct fern__manager_s;
struct fern__resolution_s;

typedef enum fern__state {
  FERN_STATE_DISCOVERED,         /* known by its URL only */
  FERN_STATE_RESOLVING,          /* its resolution is under way */
  FERN_STATE_RESOLVING_TO_START, /* the same, and it starts once resolved */
  FERN_STATE_CREATING,           /* a new dynamic child, resolving before it
                                    joins the tree */
  FERN_STATE_UNRESOLVED,         /* it could not be resolved */
  FERN_STATE_RESOLVED,           /* its declaration is known; never started */
  FERN_STATE_STARTING,           /* its runner is starting it */
  FERN_STATE_RUNNING,            /* up (a realm: its eager children asked) */
  FERN_STATE_READY,              /* up, and it said it is ready */
  FERN_STATE_STOPPING_CHILDREN,  /* asked to stop: its children stop first */
  FERN_STATE_STOPPING,           /* its runner was asked to stop it */
  FERN_STATE_KILLING,            /* killed; its end not yet reported */
  FERN_STATE_STOPPED,            /* it ran, and ended (or, a realm, stopped) */
  FERN_STATE_START_FAILED,       /* it could not start */
  FERN_STATE_RESTART_WAIT,       /* its run ended; a restart is due */
  FERN_STATE_FAILED,             /* its run ended; restarts gave up */
  FERN_STATE_DESTROYED,          /* out of the tree; freed once unheld */
  FERN_STATE_COUNT
} fern__state;

typedef enum fern__input_kind {
  FERN_IN_RESOLVE,      /* begin resolving */
  FERN_IN_RESOLVED,     /* the resolution answered with a declaration */
  FERN_IN_UNRESOLVABLE, /* the resolution failed */
  FERN_IN_START,        /* start it (reason: eager, request, restart...) */
  FERN_IN_STARTED,      /* runner: the program runs */
  FERN_IN_READY,        /* runner: the program is ready */
  FERN_IN_STATUS,       /* runner: the program's status text */
  FERN_IN_STOPPED,      /* runner: the run is over (a report) */
  FERN_IN_STOP,         /* stop it and its subtree */
  FERN_IN_CHILD_ENDED,  /* one of its children is no longer live */
  FERN_IN_STOP_TIMEOUT, /* its stop timeout passed */
  FERN_IN_KILL,         /* kill it now (a second signal) */
  FERN_IN_RESTART_DUE,  /* its restart delay passed */
  FERN_IN_DESTROY,      /* take it out of the tree (a dynamic child) */
  FERN_IN_EXTEND_STOP,  /* runner: the program asks more time to stop */
  FERN_IN_MAIN_PID,     /* runner: another process is now the main one */
  FERN_IN_COUNT
} fern__input_kind;

/* Answers a request once it is done: `error` NULL when it succeeded. A
 * done callback may reply and may post inputs; it never handles one. */
typedef void (*fern__done_cb)(void *arg, struct fern_instance_s *instance,
                              const char *error);

/* One input. Owned by the inbox until handled. */
typedef struct fern__input_s {
  struct fern__input_s *next;
  struct fern_instance_s *instance;
  fern__input_kind kind;
  const char *reason;                    /* START: static text */
  int attempts;                          /* START: waits for a parent */
  long pid;                              /* STARTED, MAIN_PID */
  uint64_t ms;                           /* EXTEND_STOP */
  uint64_t epoch; /* STOP_TIMEOUT, RESTART_DUE: the timer that fired */
  uint64_t parked; /* START parked for a route: its stop_count + 1 */
  char *text;                            /* STATUS; STOPPED's message */
  const struct fern__resolution_s *resolution; /* RESOLVED, UNRESOLVABLE */
  fern_stop_report_t report;             /* STOPPED (message: `text`) */
  void *controller;                      /* STOPPED: released once handled */
  fern__done_cb done;
  void *done_arg;
} fern__input;

/* Its resolution has not answered yet (discovered, resolving, creating):
 * a route through a component in such a state waits (routes.c). */
int fern__state_unresolved_yet(fern__state state);

/* The name a person reads for a state ("running", "cannot_start", ...). */
const char *fern__state_name(fern__state state);
const char *fern__input_name(fern__input_kind kind);
/* Live: its program is starting, running or stopping, or (a realm) it
 * runs. A stopping realm waits for its live children. */
int fern__state_is_live(fern__state state);
/* Stopping: a stop of it (and its subtree) is under way. */
int fern__state_is_stopping(fern__state state);

/* The inbox (lifecycle_inbox.c). */
void fern__lc_inbox_init(struct fern__manager_s *manager);
void fern__lc_inbox_close(struct fern__manager_s *manager);
/* A new input for `instance`; it holds the instance until handled.
 * NULL when out of memory. */
fern__input *fern__lc_input(struct fern_instance_s *instance,
                            fern__input_kind kind);
/* Queues it, for a later turn of the loop. */
void fern__lc_post(fern__input *input);
/* Queues it ahead of everything waiting: a consequence of the input being
 * handled, handled before what came from outside since (a child's end
 * moves its parent's stop on before more reports are taken in). */
void fern__lc_post_next(fern__input *input);
/* Its subtree has ended: its parent hears so (CHILD_ENDED) if it waits
 * for its children (a stop under way, or a stop's waiters). */
void fern__lc_tell_parent(struct fern_instance_s *instance);
/* The common posts. */
void fern__lc_post_kind(struct fern_instance_s *instance,
                        fern__input_kind kind);
void fern__lc_post_start(struct fern_instance_s *instance, const char *reason,
                         fern__done_cb done, void *arg);
void fern__lc_post_stop(struct fern_instance_s *instance, fern__done_cb done,
                        void *arg);
/* Posts every start parked for a route again (lifecycle_routes.c): a
 * resolution has answered, or fern ends. */
void fern__lc_unpark(struct fern__manager_s *manager);
/* At the end, after the last drain: whatever is still parked is answered
 * ("fern is shutting down") and freed. */
void fern__lc_parked_discard(struct fern__manager_s *manager);
/* Answers an input with `why` and frees it, unhandled. */
void fern__lc_discard(fern__input *input, const char *why);
/* Whether inputs wait (the manager is not idle while they do). */
int fern__lc_inbox_busy(const struct fern__manager_s *manager);
/* Handles every queued input now, in order (the inbox's own turn; also
 * the unit tests', which have no loop turn to wait for). */
void fern__lc_drain(struct fern__manager_s *manager);

/* The machine (lifecycle_machine.c). */
/* Handles one input now, and frees it: the action the table names, or a
 * refusal. Only the inbox, and actions cascading down the tree, call it. */
void fern__lc_apply(fern__input *input);
/* Changes the state: timers, counters, the log line and the event. */
void fern__lc_set_state(struct fern_instance_s *instance, fern__state next,
                        const fern__input *cause);
/* How many inputs were refused, for the tests. */
uint64_t fern__lc_refusals(void);

/* The table (lifecycle_table.c): whether (state, input) is legal, and the
 * states its action may lead to (a bit per state). */
typedef fern__state (*fern__lc_action)(struct fern_instance_s *instance,
                                       fern__input *input);
typedef struct fern__transition_s {
  fern__lc_action action; /* NULL: refused */
  uint32_t to;            /* FERN_TO(...) of the states it may end in */
} fern__transition;
#define FERN_TO(state) (1u << (state))
const fern__transition *fern__lc_transition(fern__state state,
                                            fern__input_kind kind);

#endif
