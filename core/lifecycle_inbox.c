/* lifecycle_inbox.c - inputs wait here for a turn of the loop of their
 * own, and are handled there in the order they came. Whoever posts one
 * (a runner inside its own call, a resolution answered from the cache, a
 * control request, a timer, a signal) has returned before it is handled.
 *
 * The turn is libuv's prepare phase, just before the loop polls: an input
 * posted by a timer or an idle callback (a runner's spawn) is handled in
 * the same iteration, before any output of the program it names is read,
 * and one posted by an I/O callback at the start of the next.
 * An input holds its instance: a destroyed instance is freed only once
 * nothing that names it waits (fern__lc_bury). Loop thread only. */
#include <stdlib.h>

#include "lifecycle_actions.h"
#include "log.h"
#include "log_queue.h"

static void on_inbox_turn(uv_prepare_t *prepare) {
  fern__lc_drain(prepare->data);
  fern__log_queue_wake(); /* what it logged, before the poll (log_turn.c) */
}

void fern__lc_inbox_init(fern__manager *manager) {
  manager->inbox_head = NULL;
  manager->inbox_tail = &manager->inbox_head;
  uv_prepare_init(&manager->loop, &manager->inbox_turn);
  manager->inbox_turn.data = manager;
  manager->inbox_open = 1;
}

void fern__lc_inbox_close(fern__manager *manager) {
  if (!manager->inbox_open)
    return;
  manager->inbox_open = 0;
  uv_close((uv_handle_t *)&manager->inbox_turn, NULL);
}

fern__input *fern__lc_input(fern__instance *instance, fern__input_kind kind) {
  fern__input *input = calloc(1, sizeof *input);
  if (input == NULL) {
    fern__log(FERN_LOG_ERROR, instance->moniker,
              "out of memory: input %s lost", fern__input_name(kind));
    return NULL;
  }
  input->instance = instance;
  input->kind = kind;
  input->report.exit_code = -1;
  instance->holds++;
  return input;
}

void fern__lc_post(fern__input *input) {
  fern__manager *manager = input->instance->manager;
  input->next = NULL;
  *manager->inbox_tail = input;
  manager->inbox_tail = &input->next;
  if (manager->inbox_open && !uv_is_active((uv_handle_t *)&manager->inbox_turn))
    uv_prepare_start(&manager->inbox_turn, on_inbox_turn);
}

void fern__lc_post_next(fern__input *input) {
  fern__manager *manager = input->instance->manager;
  input->next = manager->inbox_head;
  manager->inbox_head = input;
  if (input->next == NULL)
    manager->inbox_tail = &input->next;
  if (manager->inbox_open && !uv_is_active((uv_handle_t *)&manager->inbox_turn))
    uv_prepare_start(&manager->inbox_turn, on_inbox_turn);
}

void fern__lc_post_kind(fern__instance *instance, fern__input_kind kind) {
  fern__input *input = fern__lc_input(instance, kind);
  if (input != NULL)
    fern__lc_post(input);
}

static void post_with_done(fern__instance *instance, fern__input_kind kind,
                           const char *reason, fern__done_cb done, void *arg) {
  fern__input *input = fern__lc_input(instance, kind);
  if (input == NULL) {
    if (done != NULL)
      done(arg, instance, "out of memory");
    return;
  }
  input->reason = reason;
  input->done = done;
  input->done_arg = arg;
  fern__lc_post(input);
}

void fern__lc_post_start(fern__instance *instance, const char *reason,
                         fern__done_cb done, void *arg) {
  post_with_done(instance, FERN_IN_START, reason, done, arg);
}

void fern__lc_post_stop(fern__instance *instance, fern__done_cb done,
                        void *arg) {
  post_with_done(instance, FERN_IN_STOP, NULL, done, arg);
}

void fern__lc_repost(fern__input *in) {
  fern__input *again = fern__lc_input(in->instance, in->kind);
  if (again == NULL) {
    fern__lc_answer(in, "out of memory");
    return;
  }
  again->reason = in->reason;
  again->attempts = in->attempts + 1;
  again->done = in->done;
  again->done_arg = in->done_arg;
  in->done = NULL;
  fern__lc_post(again);
}

int fern__lc_inbox_busy(const fern__manager *manager) {
  return manager->inbox_head != NULL;
}

static int subtree_held(const fern__instance *instance) {
  if (instance->holds > 0)
    return 1;
  for (size_t i = 0; i < instance->child_count; i++)
    if (subtree_held(instance->children[i]))
      return 1;
  return 0;
}

/* Frees the destroyed subtrees nothing names any more. */
static void bury(fern__manager *manager) {
  fern__instance **at = &manager->graveyard;
  while (*at != NULL) {
    fern__instance *dead = *at;
    if (subtree_held(dead)) {
      at = &dead->next_dead;
      continue;
    }
    *at = dead->next_dead;
    fern__instance_free(dead);
  }
}

/* A resolution's answer was taken in, or a component left the resolving
 * states another way (its resolution could not begin, a creation was
 * stopped): starts and resolutions parked for a route through it
 * (lifecycle_routes.c) look again. */
static int answers_a_resolution(const fern__input *input) {
  return input->kind == FERN_IN_RESOLVED || input->kind == FERN_IN_UNRESOLVABLE;
}

void fern__lc_drain(fern__manager *manager) {
  while (manager->inbox_head != NULL) {
    fern__input *input = manager->inbox_head;
    manager->inbox_head = input->next;
    if (manager->inbox_head == NULL)
      manager->inbox_tail = &manager->inbox_head;
    int resolution = answers_a_resolution(input);
    fern__lc_apply(input);
    if (resolution || manager->unpark_due) {
      manager->unpark_due = 0;
      fern__lc_unpark(manager);
    }
  }
  if (manager->inbox_open)
    uv_prepare_stop(&manager->inbox_turn);
  bury(manager);
  fern__manager_check_idle(manager);
}
