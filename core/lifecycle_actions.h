/* lifecycle_actions.h - the actions the lifecycle table names, and what
 * they share. Each takes the instance and the input, does the work, and
 * returns the state it ends in (one the table allows). Loop thread only. */
#ifndef FERN_CORE_LIFECYCLE_ACTIONS_H
#define FERN_CORE_LIFECYCLE_ACTIONS_H

#include "manager.h"

/* lifecycle_resolve.c */
fern__state fern__act_resolve(fern__instance *i, fern__input *in);
fern__state fern__act_resolve_to_start(fern__instance *i, fern__input *in);
fern__state fern__act_resolved(fern__instance *i, fern__input *in);
fern__state fern__act_resolved_start(fern__instance *i, fern__input *in);
fern__state fern__act_created(fern__instance *i, fern__input *in);
fern__state fern__act_unresolvable(fern__instance *i, fern__input *in);
fern__state fern__act_unresolvable_start(fern__instance *i, fern__input *in);
fern__state fern__act_create_failed(fern__instance *i, fern__input *in);

/* lifecycle_start.c */
fern__state fern__act_start(fern__instance *i, fern__input *in);
fern__state fern__act_start_later(fern__instance *i, fern__input *in);
fern__state fern__act_start_unresolved(fern__instance *i, fern__input *in);
fern__state fern__act_started(fern__instance *i, fern__input *in);
fern__state fern__act_started_late(fern__instance *i, fern__input *in);
fern__state fern__act_ready(fern__instance *i, fern__input *in);
fern__state fern__act_status(fern__instance *i, fern__input *in);
fern__state fern__act_main_pid(fern__instance *i, fern__input *in);
/* Starts it now (its checks passed): STARTING, RUNNING (a realm) or
 * START_FAILED. */
fern__state fern__lc_start_now(fern__instance *i, const char *reason);
/* Whether a start waited for may go on now: fern is not shutting down,
 * no ancestor stops, and its parent is up. */
int fern__lc_may_start(fern__instance *i);
/* The start action, run by the machine itself as a consequence of `cause`
 * (a restart due, a child created): `attempts` 1 starts no parent. */
fern__state fern__lc_start_from(fern__instance *i, const fern__input *cause,
                                const char *reason, int attempts);
/* It cannot start: records why, counts the failure; START_FAILED. */
fern__state fern__lc_cannot_start(fern__instance *i, const char *why);

/* lifecycle_stop.c */
fern__state fern__act_stop(fern__instance *i, fern__input *in);
fern__state fern__act_stop_idle(fern__instance *i, fern__input *in);
fern__state fern__act_stop_again(fern__instance *i, fern__input *in);
fern__state fern__act_child_ended(fern__instance *i, fern__input *in);
fern__state fern__act_child_ended_idle(fern__instance *i, fern__input *in);
fern__state fern__act_stop_timeout(fern__instance *i, fern__input *in);
fern__state fern__act_kill(fern__instance *i, fern__input *in);
fern__state fern__act_extend_stop(fern__instance *i, fern__input *in);
/* The next step of a stop under way: its children, then its program,
 * then done (STOPPED, its waiters answered). */
fern__state fern__lc_stop_advance(fern__instance *i, const fern__input *cause);

/* lifecycle_end.c */
fern__state fern__act_run_ended(fern__instance *i, fern__input *in);
fern__state fern__act_stopped_on_request(fern__instance *i, fern__input *in);
fern__state fern__act_run_ended_in_stop(fern__instance *i, fern__input *in);
fern__state fern__act_run_ended_destroyed(fern__instance *i, fern__input *in);
fern__state fern__act_restart_due(fern__instance *i, fern__input *in);
/* The one "stopped" event and its log line, for any end of a run or
 * attempt: a runner's report, or fern's own cannot_start. */
void fern__lc_announce_end(fern__instance *i, const fern_stop_report_t *report);

/* restart.c: after a run ended by itself, RESTART_WAIT (its delay set),
 * FAILED (restarts gave up), or FERN_STATE_COUNT: no restart. */
fern__state fern__restart_decide(fern__instance *i);
/* The clock restart windows and the reset are measured on (monotonic ms). */
uint64_t fern__restart_clock_ms(void);

/* dynamic.c */
fern__state fern__act_destroy(fern__instance *i, fern__input *in);
/* Takes a dynamic child (not live) and its subtree out of the tree. */
void fern__dynamic_remove(fern__instance *i, const fern__input *cause);
/* A new child has resolved: it joins the tree, its creator is answered,
 * and a single_run child starts. */
fern__state fern__dynamic_joined(fern__instance *i, const fern__input *cause);
/* A child still being created: its create fails with `why`. */
fern__state fern__dynamic_create_fails(fern__instance *i, const char *why,
                                       const fern__input *cause);

/* Releases a run's controller (its end was reported) and its runner. */
void fern__lc_release_controller(fern__instance *i, void *controller);

/* Shared. */
/* No action: the input is legal and changes nothing. */
fern__state fern__act_ignore(fern__instance *i, fern__input *in);
/* Starts were asked of its eager children. */
void fern__lc_start_eager_children(fern__instance *i);
/* Applies STOP to `child` now: a stop cascading down the tree. */
void fern__lc_stop_child(fern__instance *child);
/* `ended`'s subtree has ended: siblings stopped on their own that wait
 * for their dependents look again. */
void fern__lc_wake_dependencies(fern__instance *ended);
/* Follows each of its uses (lifecycle_routes.c): FERN_OK; or
 * FERN__ROUTE_PENDING while a component on a route is still resolving,
 * and its start (`in`, which may be NULL, with `reason`) is parked until
 * a resolution answers; or an error in `err` naming the broken hop. */
/* Parks `in` (a resolution, or a start that must resolve first) until a
 * resolution answers: the route of its resolver waits for one. */
void fern__lc_park_resolution(fern__instance *i, fern__input *in);
int fern__lc_routes_ready(fern__instance *i, fern__input *in,
                          const char *reason, fern_error_t *err);
/* It was stopped: its parked starts are handled now, as cancelled. */
void fern__lc_unpark_stopped(fern__instance *i);
/* A parked start whose instance was stopped since: answered, and dropped
 * (returns 1). */
int fern__lc_parked_cancelled(fern__instance *i, fern__input *in);
/* Posts a copy of `in` again, its done callback moved to the copy. */
void fern__lc_repost(fern__input *in);
/* Answers the input's done callback now (once). */
void fern__lc_answer(fern__input *in, const char *error);

#endif
