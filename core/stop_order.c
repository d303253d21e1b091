/* stop_order.c - which child of a stopping realm stops next.
 *
 * The rule (lifecycle_stop.c): the live child started last stops first,
 * and the next only once it has ended. Finding that child by a scan of
 * all children made a realm of N children cost N^2 / 2 looks to stop:
 * 10,000 children, 22% of fern's time while stopping. A realm with many
 * children sorts its live ones once by start order and walks them.
 *
 * The sorted order stays right only while no start is asked for, no child
 * is added or removed, and no child's stop is asked for from outside the
 * order: each of those bumps the manager's order epoch
 * (fern__stop_order_changed) and the next look sorts again. A child that
 * was starting when the order was sorted and comes up later has started
 * last of all: it goes to the front (fern__stop_order_started). A
 * whole-tree shutdown sorts each realm once. Loop thread only. */
#include <stdlib.h>

#include "manager.h"
#include "stop_order.h"

/* Below this many children a scan is as cheap as keeping an order. */
#define STOP_ORDER_MIN_CHILDREN 64

struct fern__stop_order_s {
  fern__instance **children; /* live when sorted, last started first */
  size_t count, at;          /* before `at`: ended */
  fern__instance *asked;     /* the child it last asked to stop */
  uint64_t epoch;            /* the manager's order epoch when sorted */
};

static void order_free(fern__stop_order *order) {
  if (order != NULL)
    free(order->children);
  free(order);
}

/* A child whose stop is under way: stopping, or ended by itself while
 * its own children stop. The next waits for it. */
static int ending(const fern__instance *child) {
  return fern__state_is_stopping(child->state) ||
         !fern__instance_is_live(child);
}

/* The scan: the live child started last, unless one is ending. */
static fern__instance *scan(fern__instance *realm, int *any_live) {
  fern__instance *last = NULL;
  *any_live = 0;
  for (size_t i = 0; i < realm->child_count; i++) {
    fern__instance *child = realm->children[i];
    if (!fern__instance_subtree_live(child))
      continue;
    *any_live = 1;
    if (ending(child))
      return NULL;
    if (last == NULL || child->start_seq > last->start_seq)
      last = child;
  }
  return last;
}

static int started_later_first(const void *a, const void *b) {
  const fern__instance *x = *(fern__instance *const *)a;
  const fern__instance *y = *(fern__instance *const *)b;
  return (x->start_seq < y->start_seq) - (x->start_seq > y->start_seq);
}

/* Sorts the live children; fails (NULL) when one is stopping already,
 * which only a stop from outside the order can do: then the scan waits
 * for it, and the order is sorted again once it has ended. */
static fern__stop_order *sort_live(fern__instance *realm) {
  fern__stop_order *order = calloc(1, sizeof *order);
  if (order != NULL)
    order->children = malloc(realm->child_count * sizeof *order->children);
  if (order == NULL || order->children == NULL) {
    free(order);
    return NULL;
  }
  for (size_t i = 0; i < realm->child_count; i++) {
    fern__instance *child = realm->children[i];
    if (!fern__instance_subtree_live(child))
      continue;
    if (ending(child)) {
      order_free(order);
      return NULL;
    }
    order->children[order->count++] = child;
  }
  qsort(order->children, order->count, sizeof *order->children,
        started_later_first);
  order->epoch = realm->manager->order_epoch;
  return order;
}

fern__instance *fern__stop_order_next(fern__instance *realm, int *any_live) {
  if (realm->child_count < STOP_ORDER_MIN_CHILDREN)
    return scan(realm, any_live);
  fern__stop_order *order = realm->stop_order;
  if (order != NULL && order->epoch != realm->manager->order_epoch) {
    order_free(order);
    order = realm->stop_order = NULL;
  }
  if (order == NULL && (order = realm->stop_order = sort_live(realm)) == NULL)
    return scan(realm, any_live);
  if (order->asked != NULL && fern__instance_subtree_live(order->asked)) {
    *any_live = 1; /* one at a time: it has not ended yet */
    return NULL;
  }
  while (order->at < order->count &&
         !fern__instance_subtree_live(order->children[order->at]))
    order->at++;
  *any_live = order->at < order->count;
  if (!*any_live)
    return NULL;
  order->asked = order->children[order->at];
  return order->asked;
}

void fern__stop_order_started(fern__instance *child) {
  fern__stop_order *order = child->parent ? child->parent->stop_order : NULL;
  if (order == NULL)
    return;
  if (order->at > 0)
    order->children[--order->at] = child; /* its old place: ended by then */
  else
    fern__stop_order_changed(child->manager);
}

void fern__stop_order_changed(struct fern__manager_s *manager) {
  manager->order_epoch++;
}

void fern__stop_order_free(fern__instance *realm) {
  order_free(realm->stop_order);
  realm->stop_order = NULL;
}
