/* stop_order.c - which children of a stopping realm stop next.
 *
 * The rule (lifecycle_stop.c): a child stops once every sibling that
 * depends on it (dependencies.c) has ended, and every child free to stop
 * is asked at once, each with its own stop timeout. A shutdown takes its
 * longest chain of dependencies, not the sum of its components' stops,
 * as systemd stops units in parallel unless they are ordered, and as
 * component_manager stops a realm's children in the reverse of its
 * dependency graph (Fuchsia's
 * src/sys/component_manager/src/model/actions/shutdown.rs).
 *
 * The order is a count per child of its live dependents, made once when
 * the stop begins, and lowered as each dependent's subtree ends
 * (fern__stop_order_ended, called as the end happens): a realm of N
 * children costs N, not N^2. It is made again when something it cannot
 * foresee happens (a start, a child added or removed: the manager's order
 * epoch). Loop thread only. */
#include <stdlib.h>

#include "dependencies.h"
#include "manager.h"
#include "stop_order.h"

enum { SLOT_LIVE = 1, SLOT_GIVEN = 2 };

typedef struct slot_s {
  fern__instance *child;
  size_t dependents;       /* live siblings that depend on it */
  size_t *depends_on;      /* slots it depends on */
  size_t depends_count, depends_capacity;
  unsigned flags;
} slot;

struct fern__stop_order_s {
  slot *slots;
  size_t count;
  size_t *free_to_stop; /* slots to give out, a stack */
  size_t free_count;
  size_t live;          /* slots whose subtree has not ended */
  uint64_t epoch;       /* the manager's order epoch when made */
};

static void order_free(fern__stop_order *order) {
  if (order == NULL)
    return;
  for (size_t i = 0; i < order->count; i++)
    free(order->slots[i].depends_on);
  free(order->slots);
  free(order->free_to_stop);
  free(order);
}

static int add_dependency(slot *s, size_t on) {
  if (s->depends_count == s->depends_capacity) {
    size_t capacity = s->depends_capacity ? s->depends_capacity * 2 : 2;
    size_t *grown = realloc(s->depends_on, capacity * sizeof *grown);
    if (grown == NULL)
      return -1;
    s->depends_on = grown;
    s->depends_capacity = capacity;
  }
  s->depends_on[s->depends_count++] = on;
  return 0;
}

typedef struct making_s {
  fern__stop_order *order;
  int failed;
} making;

static void note_dependency(void *arg, fern__instance *dependent,
                            fern__instance *dependency) {
  making *m = arg;
  slot *slots = m->order->slots;
  slot *from = &slots[dependent->stop_slot];
  if (!(from->flags & SLOT_LIVE) || !(slots[dependency->stop_slot].flags & SLOT_LIVE))
    return; /* an ended child holds nothing back */
  if (add_dependency(from, dependency->stop_slot) != 0)
    m->failed = 1;
  else
    slots[dependency->stop_slot].dependents++;
}

/* A child already stopping is waited for, not asked again. */
static void give_if_free(fern__stop_order *order, size_t at) {
  slot *s = &order->slots[at];
  if (s->dependents > 0 || (s->flags & SLOT_GIVEN) || !(s->flags & SLOT_LIVE))
    return;
  s->flags |= SLOT_GIVEN;
  if (!fern__state_is_stopping(s->child->state) &&
      fern__instance_is_live(s->child))
    order->free_to_stop[order->free_count++] = at;
}

static fern__stop_order *order_make(fern__instance *realm) {
  fern__stop_order *order = calloc(1, sizeof *order);
  if (order == NULL ||
      (order->slots = calloc(realm->child_count + 1, sizeof *order->slots)) == NULL ||
      (order->free_to_stop = malloc((realm->child_count + 1) * sizeof(size_t))) == NULL) {
    order_free(order);
    return NULL;
  }
  order->count = realm->child_count;
  for (size_t i = 0; i < order->count; i++) {
    fern__instance *child = realm->children[i];
    child->stop_slot = i;
    order->slots[i].child = child;
    if (fern__instance_subtree_live(child)) {
      order->slots[i].flags = SLOT_LIVE;
      order->live++;
    }
  }
  making m = {order, 0};
  fern__dependencies_each(realm, NULL, note_dependency, &m);
  if (m.failed) {
    order_free(order);
    return NULL;
  }
  for (size_t i = 0; i < order->count; i++)
    give_if_free(order, i);
  order->epoch = realm->manager->order_epoch;
  return order;
}

/* Out of memory for an order: each live child not stopping yet is given,
 * with no regard for dependencies; a stop still ends. */
static fern__instance *any_live_child(fern__instance *realm, int *any_live) {
  *any_live = 0;
  for (size_t i = 0; i < realm->child_count; i++) {
    fern__instance *child = realm->children[i];
    if (!fern__instance_subtree_live(child))
      continue;
    *any_live = 1;
    if (fern__instance_is_live(child) && !fern__state_is_stopping(child->state))
      return child;
  }
  return NULL;
}

fern__instance *fern__stop_order_next(fern__instance *realm, int *any_live) {
  fern__stop_order *order = realm->stop_order;
  if (order != NULL && order->epoch != realm->manager->order_epoch) {
    order_free(order);
    order = realm->stop_order = NULL;
  }
  if (order == NULL && (order = realm->stop_order = order_make(realm)) == NULL)
    return any_live_child(realm, any_live);
  *any_live = order->live > 0;
  while (order->free_count > 0) {
    fern__instance *child = order->slots[order->free_to_stop[--order->free_count]].child;
    if (fern__instance_is_live(child) && !fern__state_is_stopping(child->state))
      return child;
  }
  return NULL;
}

void fern__stop_order_ended(fern__instance *child) {
  fern__instance *realm = child->parent;
  fern__stop_order *order = realm != NULL ? realm->stop_order : NULL;
  if (order == NULL || order->epoch != realm->manager->order_epoch ||
      child->stop_slot >= order->count ||
      order->slots[child->stop_slot].child != child ||
      fern__instance_subtree_live(child))
    return;
  slot *s = &order->slots[child->stop_slot];
  if (!(s->flags & SLOT_LIVE))
    return;
  s->flags &= ~(unsigned)SLOT_LIVE;
  order->live--;
  for (size_t i = 0; i < s->depends_count; i++) {
    order->slots[s->depends_on[i]].dependents--;
    give_if_free(order, s->depends_on[i]);
  }
}

void fern__stop_order_changed(struct fern__manager_s *manager) {
  manager->order_epoch++;
}

void fern__stop_order_free(fern__instance *realm) {
  order_free(realm->stop_order);
  realm->stop_order = NULL;
}
