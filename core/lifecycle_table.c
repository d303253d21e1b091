/* lifecycle_table.c - every (state, input) pair the lifecycle accepts, the
 * action it runs, and the states that action may end in. A pair not listed
 * is refused (lifecycle_machine.c). Read a row as: in this state, this
 * input does that, and leads there. */
#include "lifecycle_actions.h"

#define S(x) FERN_STATE_##x
#define TO(x) FERN_TO(FERN_STATE_##x)
#define ROW(state) [FERN_STATE_##state]
#define ON(input, act, to) [FERN_IN_##input] = {fern__act_##act, to}

/* The states a start may lead to. */
#define STARTS (TO(STARTING) | TO(RUNNING) | TO(START_FAILED))
/* The states a stop of a live instance may lead to. */
#define STOPS                                                                  \
  (TO(STOPPING_CHILDREN) | TO(STOPPING) | TO(KILLING) | TO(STOPPED) |          \
   TO(START_FAILED))
/* The states the end of a run by itself may lead to. */
#define ENDS (TO(STOPPED) | TO(START_FAILED) | TO(RESTART_WAIT) | TO(FAILED))
/* Where an idle instance stays, whatever the input (it is not live). */
#define STAY(x) TO(x)

static const fern__transition table[FERN_STATE_COUNT][FERN_IN_COUNT] = {
    ROW(DISCOVERED) =
        {
            /* Either stays while the route of its resolver waits. */
            ON(RESOLVE, resolve,
               TO(RESOLVING) | TO(UNRESOLVED) | STAY(DISCOVERED)),
            ON(START, resolve_to_start,
               TO(RESOLVING_TO_START) | TO(START_FAILED) | STAY(DISCOVERED)),
            ON(STOP, stop_idle, STAY(DISCOVERED)),
            ON(CHILD_ENDED, child_ended_idle, STAY(DISCOVERED)),
        },
    ROW(RESOLVING) =
        {
            ON(RESOLVED, resolved, TO(RESOLVED) | TO(UNRESOLVED)),
            ON(UNRESOLVABLE, unresolvable, TO(UNRESOLVED)),
            ON(START, start_later, TO(RESOLVING_TO_START)),
            ON(STOP, stop_idle, STAY(RESOLVING)),
            ON(CHILD_ENDED, child_ended_idle, STAY(RESOLVING)),
        },
    ROW(RESOLVING_TO_START) =
        {
            ON(RESOLVED, resolved_start, STARTS | TO(RESOLVED)),
            ON(UNRESOLVABLE, unresolvable_start, TO(START_FAILED)),
            ON(START, ignore, STAY(RESOLVING_TO_START)),
            ON(STOP, stop_idle, TO(RESOLVING)),
            ON(CHILD_ENDED, child_ended_idle, STAY(RESOLVING_TO_START)),
        },
    ROW(CREATING) =
        {
            ON(RESOLVE, resolve, TO(CREATING) | TO(DESTROYED)),
            ON(RESOLVED, created, TO(RESOLVED) | STARTS | TO(DESTROYED)),
            ON(UNRESOLVABLE, create_failed, TO(DESTROYED)),
            ON(STOP, stop_idle, TO(DESTROYED)),
        },
    ROW(UNRESOLVED) =
        {
            ON(START, start_unresolved, TO(START_FAILED) | TO(UNRESOLVED)),
            ON(STOP, stop_idle, STAY(UNRESOLVED)),
            ON(CHILD_ENDED, child_ended_idle, STAY(UNRESOLVED)),
            ON(DESTROY, destroy, TO(DESTROYED)),
        },
    ROW(RESOLVED) =
        {
            ON(START, start, STARTS | STAY(RESOLVED)),
            ON(STOP, stop_idle, STAY(RESOLVED)),
            ON(CHILD_ENDED, child_ended_idle, STAY(RESOLVED)),
            ON(DESTROY, destroy, TO(DESTROYED)),
        },
    ROW(STARTING) =
        {
            ON(STARTED, started, TO(RUNNING)),
            ON(STATUS, status, STAY(STARTING)),
            ON(MAIN_PID, main_pid, STAY(STARTING)),
            ON(STOPPED, run_ended, ENDS),
            ON(START, ignore, STAY(STARTING)),
            ON(STOP, stop, STOPS),
            ON(KILL, kill, TO(KILLING) | STAY(STARTING)),
            ON(CHILD_ENDED, child_ended_idle, STAY(STARTING)),
        },
    ROW(RUNNING) =
        {
            ON(READY, ready, TO(READY)),
            ON(STATUS, status, STAY(RUNNING)),
            ON(MAIN_PID, main_pid, STAY(RUNNING)),
            ON(STOPPED, run_ended, ENDS),
            ON(START, ignore, STAY(RUNNING)),
            ON(STOP, stop, STOPS),
            ON(KILL, kill, TO(KILLING) | STAY(RUNNING)),
            ON(CHILD_ENDED, child_ended_idle, STAY(RUNNING)),
        },
    ROW(READY) =
        {
            ON(READY, ignore, STAY(READY)),
            ON(STATUS, status, STAY(READY)),
            ON(MAIN_PID, main_pid, STAY(READY)),
            ON(STOPPED, run_ended, ENDS),
            ON(START, ignore, STAY(READY)),
            ON(STOP, stop, STOPS),
            ON(KILL, kill, TO(KILLING) | STAY(READY)),
            ON(CHILD_ENDED, child_ended_idle, STAY(READY)),
        },
    ROW(STOPPING_CHILDREN) =
        {
            ON(READY, ignore, STAY(STOPPING_CHILDREN)),
            ON(STATUS, status, STAY(STOPPING_CHILDREN)),
            ON(MAIN_PID, main_pid, STAY(STOPPING_CHILDREN)),
            ON(STOPPED, run_ended_in_stop, STAY(STOPPING_CHILDREN)),
            ON(STOP, stop_again, STAY(STOPPING_CHILDREN)),
            ON(CHILD_ENDED, child_ended, STOPS),
            ON(KILL, kill, TO(KILLING) | STAY(STOPPING_CHILDREN)),
        },
    ROW(STOPPING) =
        {
            ON(STARTED, started_late, STAY(STOPPING)),
            ON(READY, ignore, STAY(STOPPING)),
            ON(STATUS, status, STAY(STOPPING)),
            ON(MAIN_PID, main_pid, STAY(STOPPING)),
            ON(STOPPED, stopped_on_request,
               TO(STOPPED) | TO(START_FAILED) | TO(STOPPING_CHILDREN)),
            ON(STOP, stop_again, STAY(STOPPING)),
            ON(STOP_TIMEOUT, stop_timeout, TO(KILLING) | STAY(STOPPING)),
            ON(EXTEND_STOP, extend_stop, STAY(STOPPING)),
            ON(KILL, kill, TO(KILLING) | STAY(STOPPING)),
            ON(CHILD_ENDED, child_ended_idle, STAY(STOPPING)),
        },
    ROW(KILLING) =
        {
            ON(STARTED, started_late, STAY(KILLING)),
            ON(READY, ignore, STAY(KILLING)),
            ON(STATUS, status, STAY(KILLING)),
            ON(MAIN_PID, main_pid, STAY(KILLING)),
            ON(STOPPED, stopped_on_request,
               TO(STOPPED) | TO(START_FAILED) | TO(STOPPING_CHILDREN)),
            ON(STOP, stop_again, STAY(KILLING)),
            ON(KILL, ignore, STAY(KILLING)),
            /* Too late: it was killed already. */
            ON(EXTEND_STOP, ignore, STAY(KILLING)),
            ON(CHILD_ENDED, child_ended_idle, STAY(KILLING)),
        },
    ROW(STOPPED) =
        {
            ON(START, start, STARTS | STAY(STOPPED)),
            ON(STOP, stop_idle, STAY(STOPPED)),
            ON(CHILD_ENDED, child_ended_idle, STAY(STOPPED)),
            ON(DESTROY, destroy, TO(DESTROYED)),
        },
    ROW(START_FAILED) =
        {
            ON(START, start, STARTS | STAY(START_FAILED)),
            ON(STOP, stop_idle, STAY(START_FAILED)),
            ON(CHILD_ENDED, child_ended_idle, STAY(START_FAILED)),
            ON(DESTROY, destroy, TO(DESTROYED)),
        },
    ROW(RESTART_WAIT) =
        {
            ON(RESTART_DUE, restart_due,
               STARTS | TO(STOPPED) | STAY(RESTART_WAIT)),
            ON(START, start, STARTS | STAY(RESTART_WAIT)),
            ON(STOP, stop_idle, TO(STOPPED)),
            ON(CHILD_ENDED, child_ended_idle, STAY(RESTART_WAIT)),
            ON(DESTROY, destroy, TO(DESTROYED)),
        },
    ROW(FAILED) =
        {
            ON(START, start, STARTS | STAY(FAILED)),
            ON(STOP, stop_idle, STAY(FAILED)),
            ON(CHILD_ENDED, child_ended_idle, STAY(FAILED)),
            ON(DESTROY, destroy, TO(DESTROYED)),
        },
    ROW(DESTROYED) =
        {
            /* What was under way when it left the tree still answers. */
            ON(RESOLVED, ignore, STAY(DESTROYED)),
            ON(UNRESOLVABLE, ignore, STAY(DESTROYED)),
            ON(CHILD_ENDED, ignore, STAY(DESTROYED)),
            ON(STARTED, ignore, STAY(DESTROYED)),
            ON(READY, ignore, STAY(DESTROYED)),
            ON(STATUS, ignore, STAY(DESTROYED)),
            ON(MAIN_PID, ignore, STAY(DESTROYED)),
            ON(STOPPED, run_ended_destroyed, STAY(DESTROYED)),
            /* Its parent's stop took it out first: the destroy is done. */
            ON(DESTROY, ignore, STAY(DESTROYED)),
            /* Killed as it left; a resolution asked for before it did. */
            ON(EXTEND_STOP, ignore, STAY(DESTROYED)),
            ON(RESOLVE, ignore, STAY(DESTROYED)),
        },
};

const fern__transition *fern__lc_transition(fern__state state,
                                            fern__input_kind kind) {
  static const fern__transition refused = {NULL, 0};
  if ((unsigned)state >= FERN_STATE_COUNT || (unsigned)kind >= FERN_IN_COUNT)
    return &refused;
  return &table[state][kind];
}

const char *fern__state_name(fern__state state) {
  static const char *const names[FERN_STATE_COUNT] = {
      [FERN_STATE_DISCOVERED] = "discovered",
      [FERN_STATE_RESOLVING] = "resolving",
      [FERN_STATE_RESOLVING_TO_START] = "resolving",
      [FERN_STATE_CREATING] = "creating",
      [FERN_STATE_UNRESOLVED] = "unresolved",
      [FERN_STATE_RESOLVED] = "resolved",
      [FERN_STATE_STARTING] = "starting",
      [FERN_STATE_RUNNING] = "running",
      [FERN_STATE_READY] = "ready",
      [FERN_STATE_STOPPING_CHILDREN] = "stopping",
      [FERN_STATE_STOPPING] = "stopping",
      [FERN_STATE_KILLING] = "killing",
      [FERN_STATE_STOPPED] = "stopped",
      [FERN_STATE_START_FAILED] = "cannot_start",
      [FERN_STATE_RESTART_WAIT] = "restarting",
      [FERN_STATE_FAILED] = "failed",
      [FERN_STATE_DESTROYED] = "destroyed",
  };
  return (unsigned)state < FERN_STATE_COUNT ? names[state] : "?";
}

const char *fern__input_name(fern__input_kind kind) {
  static const char *const names[FERN_IN_COUNT] = {
      [FERN_IN_RESOLVE] = "resolve",
      [FERN_IN_RESOLVED] = "resolved",
      [FERN_IN_UNRESOLVABLE] = "unresolvable",
      [FERN_IN_START] = "start",
      [FERN_IN_STARTED] = "started",
      [FERN_IN_READY] = "ready",
      [FERN_IN_STATUS] = "status",
      [FERN_IN_STOPPED] = "stopped",
      [FERN_IN_STOP] = "stop",
      [FERN_IN_CHILD_ENDED] = "child_ended",
      [FERN_IN_STOP_TIMEOUT] = "stop_timeout",
      [FERN_IN_KILL] = "kill",
      [FERN_IN_RESTART_DUE] = "restart_due",
      [FERN_IN_DESTROY] = "destroy",
      [FERN_IN_EXTEND_STOP] = "extend_stop",
      [FERN_IN_MAIN_PID] = "main_pid",
  };
  return (unsigned)kind < FERN_IN_COUNT ? names[kind] : "?";
}

int fern__state_is_stopping(fern__state state) {
  return state == FERN_STATE_STOPPING_CHILDREN ||
         state == FERN_STATE_STOPPING || state == FERN_STATE_KILLING;
}

int fern__state_is_live(fern__state state) {
  switch (state) {
  case FERN_STATE_STARTING:
  case FERN_STATE_RUNNING:
  case FERN_STATE_READY:
  case FERN_STATE_STOPPING_CHILDREN:
  case FERN_STATE_STOPPING:
  case FERN_STATE_KILLING:
    return 1;
  default:
    return 0;
  }
}
