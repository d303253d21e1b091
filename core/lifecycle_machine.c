/* lifecycle_machine.c - the one place an input is handled, and the one
 * function through which every state changes. See lifecycle.h. */
#include <stdio.h>
#include <stdlib.h>

#include "lifecycle_actions.h"
#include "lifecycle_announce.h"
#include "log.h"
#include "serve.h"
#include "stop_order.h"

static uint64_t refusals;

uint64_t fern__lc_refusals(void) { return refusals; }

static int resolving(fern__state state) {
  return state == FERN_STATE_RESOLVING ||
         state == FERN_STATE_RESOLVING_TO_START ||
         state == FERN_STATE_CREATING;
}

static void timer_free(uv_handle_t *handle) { free(handle); }

static void close_timer(uv_timer_t **timer) {
  if (*timer == NULL)
    return;
  uv_close((uv_handle_t *)*timer, timer_free);
  *timer = NULL;
}

/* A timer's input names the timer: one handled after its timer was
 * replaced (a later stop, a later restart) is of no account. */
static void on_timer(uv_timer_t *timer) {
  fern__instance *instance = timer->data;
  fern__input_kind kind = instance->state == FERN_STATE_STOPPING
                              ? FERN_IN_STOP_TIMEOUT
                              : FERN_IN_RESTART_DUE;
  fern__input *in = fern__lc_input(instance, kind);
  if (in == NULL)
    return;
  in->epoch = instance->timer_epoch;
  fern__lc_post(in);
}

static uv_timer_t *start_timer(fern__instance *instance, uint64_t ms) {
  uv_timer_t *timer = malloc(sizeof *timer);
  if (timer == NULL)
    return NULL;
  instance->timer_epoch++;
  uv_timer_init(&instance->manager->loop, timer);
  timer->data = instance;
  uv_timer_start(timer, on_timer, ms, 0);
  return timer;
}

static int stops_gracefully(const fern__instance *instance) {
  return instance->run.runner != NULL &&
         (instance->run.runner->runner->capabilities &
          FERN_RUNNER_CAP_GRACEFUL_STOP);
}

static void leave(fern__instance *instance, fern__state from,
                  fern__state next) {
  fern__manager *manager = instance->manager;
  if (from == FERN_STATE_STOPPING)
    close_timer(&instance->run.stop_timer);
  if (from == FERN_STATE_RESTART_WAIT) {
    close_timer(&instance->restart_timer);
    manager->pending_restarts--;
  }
  if (resolving(from) && !resolving(next))
    manager->waiting--;
}

static void enter(fern__instance *instance, fern__state from,
                  fern__state next) {
  fern__manager *manager = instance->manager;
  if (next == FERN_STATE_STOPPING && stops_gracefully(instance)) {
    instance->run.stop_timer =
        start_timer(instance, instance->env->stop_timeout_ms);
    instance->run.stop_deadline =
        uv_now(&manager->loop) + instance->env->stop_timeout_ms;
  }
  if (next == FERN_STATE_RESTART_WAIT) {
    instance->restart_timer = start_timer(instance, instance->delay_ms);
    manager->pending_restarts++;
  }
  if (resolving(next) && !resolving(from))
    manager->waiting++;
}

/* A parent waits on its live children when it stops, or when someone
 * waits for its stop: tell it one has ended (or one's subtree has). */
void fern__lc_tell_parent(fern__instance *instance) {
  fern__instance *parent = instance->parent;
  fern__stop_order_ended(instance);
  fern__lc_wake_dependencies(instance);
  /* A parent that ended while its children stop passes it on: a
   * stopping realm above may wait for its subtree. */
  if (parent == NULL || (parent->state != FERN_STATE_STOPPING_CHILDREN &&
                         parent->stop_waiters == NULL &&
                         fern__state_is_live(parent->state)))
    return;
  fern__input *in = fern__lc_input(parent, FERN_IN_CHILD_ENDED);
  if (in != NULL)
    fern__lc_post_next(in);
}

int fern__state_unresolved_yet(fern__state state) {
  return state == FERN_STATE_DISCOVERED || resolving(state);
}

void fern__lc_set_state(fern__instance *instance, fern__state next,
                        const fern__input *cause) {
  fern__state from = instance->state;
  if (from == next)
    return;
  if (fern__state_unresolved_yet(from) && !fern__state_unresolved_yet(next) &&
      instance->manager != NULL)
    instance->manager->unpark_due = 1;
  leave(instance, from, next);
  instance->state = next;
  enter(instance, from, next);
  fern__lc_announce(instance, from, next, cause);
  if (instance->served != NULL)
    fern__serve_follow_state(instance, from);
  if (fern__state_is_live(from) && !fern__state_is_live(next))
    fern__lc_tell_parent(instance);
}

static void refuse(fern__input *input) {
  fern__instance *instance = input->instance;
  char why[512];
  refusals++;
  fern__lc_refusal_reason(instance, input->kind, why, sizeof why);
  fern__log(FERN_LOG_DEBUG, instance->moniker, "refused input %s in state "
            "%s: %s", fern__input_name(input->kind),
            fern__state_name(instance->state), why);
  fern__lc_answer(input, why);
}

static void input_free(fern__input *input) {
  fern__instance *instance = input->instance;
  if (input->controller != NULL) /* a report never handled: release it */
    fern__lc_release_controller(instance, input->controller);
  instance->holds--;
  free(input->text);
  free(input);
}

void fern__lc_discard(fern__input *input, const char *why) {
  fern__lc_answer(input, why);
  input_free(input);
}

void fern__lc_apply(fern__input *input) {
  fern__instance *instance = input->instance;
  fern__state from = instance->state;
  const fern__transition *t = fern__lc_transition(from, input->kind);
  if (t->action == NULL) {
    refuse(input);
  } else {
    fern__state next = t->action(instance, input);
    if (!(t->to & FERN_TO(next)))
      fern__log(FERN_LOG_ERROR, instance->moniker,
                "lifecycle: input %s in state %s led to %s, which the table "
                "does not allow",
                fern__input_name(input->kind), fern__state_name(from),
                fern__state_name(next));
    fern__lc_set_state(instance, next, input);
    fern__lc_answer(input, NULL);
  }
  input_free(input);
}

void fern__lc_answer(fern__input *input, const char *error) {
  fern__done_cb done = input->done;
  if (done == NULL)
    return;
  input->done = NULL;
  done(input->done_arg, input->instance, error);
}

/* systemd's EXTEND_TIMEOUT_USEC= while stopping (service_extend_timeout,
 * src/core/service.c): the timeout ends no sooner than the time asked from
 * now, and never sooner than it would have. */
fern__state fern__act_extend_stop(fern__instance *i, fern__input *in) {
  uv_timer_t *timer = i->run.stop_timer;
  uint64_t now = uv_now(&i->manager->loop);
  if (timer == NULL || now + in->ms <= i->run.stop_deadline)
    return i->state;
  i->run.stop_deadline = now + in->ms;
  i->timer_epoch++; /* a timeout of the old deadline, queued, is stale */
  uv_timer_start(timer, on_timer, in->ms, 0);
  fern__log(FERN_LOG_INFO, i->moniker,
            "asks for %llu ms more to stop; its stop timeout is extended",
            (unsigned long long)in->ms);
  return i->state;
}

fern__state fern__act_ignore(fern__instance *i, fern__input *in) {
  (void)in;
  return i->state;
}
