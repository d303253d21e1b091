/* stop_order.h - which children of a stopping realm stop next: every live
 * child no live sibling depends on, all at once (dependencies.h). */
#ifndef FERN_CORE_STOP_ORDER_H
#define FERN_CORE_STOP_ORDER_H

#include "instance.h"

typedef struct fern__stop_order_s fern__stop_order;

/* A child of `realm` to ask to stop now, or NULL: none is live (*any_live
 * 0), or each live one is stopping already or waits for a dependent
 * (*any_live 1). Called again until NULL, each child is given once. */
fern__instance *fern__stop_order_next(fern__instance *realm, int *any_live);
/* Something changed that the realm's order may not know of: a start, a
 * child added or removed. */
void fern__stop_order_changed(struct fern__manager_s *manager);
/* `child`'s subtree has ended: what it depended on may stop now. */
void fern__stop_order_ended(fern__instance *child);
/* Frees the realm's order (the realm is freed, or its stop is done). */
void fern__stop_order_free(fern__instance *realm);

#endif
