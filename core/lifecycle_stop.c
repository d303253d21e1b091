/* lifecycle_stop.c - the stopping rows of the table: a component stops its
 * children before itself, each once the siblings that depend on it have
 * ended and all those free to stop at once (stop_order.c); a component
 * stopped on its own stops the siblings that depend on it first. Then its
 * program gets its runner's graceful stop, and a kill once its
 * environment's stop timeout has passed. Whoever asked is answered once
 * it and its whole subtree have ended. Loop thread only. */
#include <stdlib.h>

#include "dependencies.h"
#include "lifecycle_actions.h"
#include "log.h"
#include "runner_call.h"
#include "stop_order.h"

static void add_waiter(fern__instance *i, fern__input *in) {
  if (in->done == NULL)
    return;
  fern__stop_waiter *waiter = calloc(1, sizeof *waiter);
  if (waiter == NULL) {
    fern__lc_answer(in, "out of memory");
    return;
  }
  waiter->cb = in->done;
  waiter->arg = in->done_arg;
  waiter->next = i->stop_waiters;
  i->stop_waiters = waiter;
  in->done = NULL;
}

/* Its stop is done: it and every descendant have ended. Its dynamic
 * children leave with it; whoever waited is answered, first asker first. */
static void stop_finished(fern__instance *i, const fern__input *cause) {
  for (size_t c = i->child_count; c-- > 0;)
    if (i->children[c]->dynamic)
      fern__dynamic_remove(i->children[c], cause);
  fern__stop_order_free(i);
  fern__stop_waiter *reversed = NULL;
  while (i->stop_waiters != NULL) {
    fern__stop_waiter *next = i->stop_waiters->next;
    i->stop_waiters->next = reversed;
    reversed = i->stop_waiters;
    i->stop_waiters = next;
  }
  while (reversed != NULL) {
    fern__stop_waiter *next = reversed->next;
    reversed->cb(reversed->arg, i, NULL);
    free(reversed);
    reversed = next;
  }
}

void fern__lc_stop_child(fern__instance *child) {
  fern__input *in = fern__lc_input(child, FERN_IN_STOP);
  if (in != NULL)
    fern__lc_apply(in);
}

/* Asks each child free to stop to stop, and the next as each has ended;
 * returns whether any is still live. */
static int stop_children(fern__instance *i) {
  int any_live = 0;
  fern__instance *next;
  while ((next = fern__stop_order_next(i, &any_live)) != NULL)
    fern__lc_stop_child(next);
  return any_live;
}

typedef struct dependents_s {
  fern__instance *of;
  int live;
} dependents;

/* Asks a live dependent to stop (unless its realm's stop order does), and
 * notes whether it is still live once asked: a dependent may end inside
 * the ask (a realm with nothing running). */
static void stop_dependent(void *arg, fern__instance *dependent,
                           fern__instance *dependency) {
  dependents *d = arg;
  if (fern__instance_is_live(dependent) &&
      !fern__state_is_stopping(dependent->state) &&
      !fern__state_is_stopping(dependency->parent->state)) {
    fern__log(FERN_LOG_INFO, d->of->moniker,
              "stopping %s first: it depends on %s", dependent->moniker,
              d->of->moniker);
    fern__lc_stop_child(dependent);
  }
  d->live |= fern__instance_subtree_live(dependent);
}

/* A component waits for the live siblings that depend on it: stopped on
 * its own, it asks them to stop; under a stopping realm, whose order asks
 * them, it was asked after them, unless its own stop began first. Returns
 * whether one is still live. */
static int stop_dependents(fern__instance *i) {
  fern__instance *parent = i->parent;
  if (parent == NULL)
    return 0;
  dependents d = {i, 0};
  fern__dependencies_each(parent, i, stop_dependent, &d);
  if (d.live != i->awaits_dependents)
    parent->children_awaiting += d.live ? 1 : (size_t)-1;
  return i->awaits_dependents = d.live;
}

void fern__lc_wake_dependencies(fern__instance *ended) {
  fern__instance *parent = ended->parent;
  /* Most ends wake nobody: a look at every sibling on each end made a
   * realm of N children cost N^2 to stop. */
  if (parent == NULL || parent->children_awaiting == 0)
    return;
  for (size_t c = 0; c < parent->child_count; c++) {
    fern__instance *sibling = parent->children[c];
    if (sibling != ended && sibling->awaits_dependents &&
        sibling->state == FERN_STATE_STOPPING_CHILDREN)
      fern__lc_post_kind(sibling, FERN_IN_CHILD_ENDED);
  }
}

static fern__state send_stop(fern__instance *i) {
  fern__runner_stop(i);
  return FERN_STATE_STOPPING;
}

fern__state fern__lc_stop_advance(fern__instance *i, const fern__input *cause) {
  int waits = stop_children(i);
  waits |= stop_dependents(i);
  if (waits)
    return FERN_STATE_STOPPING_CHILDREN;
  if (i->run.controller != NULL)
    return send_stop(i);
  /* Its end is reported and waits in the inbox: that input ends the stop
   * (its controller went with it, and nothing more is asked of it). */
  if (i->run.runner != NULL)
    return FERN_STATE_STOPPING;
  /* Nothing waits to restart under a stopped component. */
  for (size_t c = 0; c < i->child_count; c++)
    if (i->children[c]->state == FERN_STATE_RESTART_WAIT)
      fern__lc_stop_child(i->children[c]);
  fern__lc_set_state(i, FERN_STATE_STOPPED, cause);
  stop_finished(i, cause);
  return FERN_STATE_STOPPED;
}

/* A stop a signal asked for says so as it begins. */
static void say_why(const fern__input *in) {
  if (in->reason != NULL)
    fern__log(FERN_LOG_INFO, NULL, "%s: stopping the tree", in->reason);
}

fern__state fern__act_stop(fern__instance *i, fern__input *in) {
  i->stop_count++; /* a start parked for a route is off */
  fern__lc_unpark_stopped(i);
  say_why(in);
  add_waiter(i, in);
  return fern__lc_stop_advance(i, in);
}

fern__state fern__act_stop_idle(fern__instance *i, fern__input *in) {
  fern__state next = i->state;
  i->stop_count++; /* a start parked for a route is off */
  fern__lc_unpark_stopped(i);
  say_why(in);
  if (i->state == FERN_STATE_CREATING)
    return fern__dynamic_create_fails(i, "its realm is stopping", in);
  if (i->state == FERN_STATE_RESOLVING_TO_START)
    next = FERN_STATE_RESOLVING; /* the start it waited for is off */
  else if (i->state == FERN_STATE_RESTART_WAIT)
    next = FERN_STATE_STOPPED; /* its restart is off */
  add_waiter(i, in);
  fern__lc_set_state(i, next, in);
  if (!stop_children(i))
    stop_finished(i, in);
  return next;
}

fern__state fern__act_stop_again(fern__instance *i, fern__input *in) {
  say_why(in);
  add_waiter(i, in);
  return i->state;
}

fern__state fern__act_child_ended(fern__instance *i, fern__input *in) {
  return fern__lc_stop_advance(i, in);
}

fern__state fern__act_child_ended_idle(fern__instance *i, fern__input *in) {
  if (fern__instance_subtree_live(i))
    return i->state;
  if (i->stop_waiters != NULL)
    stop_finished(i, in);
  /* It had ended, and now its subtree has too: a stopping ancestor that
   * waits for it hears so. */
  fern__lc_tell_parent(i);
  return i->state;
}

fern__state fern__act_stop_timeout(fern__instance *i, fern__input *in) {
  if (in->epoch != i->timer_epoch || i->run.controller == NULL)
    return i->state; /* a timer of before, or its end is reported */
  fern__runner_kill(i);
  return FERN_STATE_KILLING;
}

fern__state fern__act_kill(fern__instance *i, fern__input *in) {
  (void)in;
  if (i->run.controller == NULL)
    return i->state; /* a realm, or a program whose end is reported */
  fern__runner_kill(i);
  return FERN_STATE_KILLING;
}
