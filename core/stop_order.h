/* stop_order.h - which child of a stopping realm stops next: the live one
 * started last, one at a time. */
#ifndef FERN_CORE_STOP_ORDER_H
#define FERN_CORE_STOP_ORDER_H

#include "instance.h"

typedef struct fern__stop_order_s fern__stop_order;

/* The next child of `realm` to stop, or NULL: none is live (*any_live 0),
 * or one is stopping already and the realm waits for it (*any_live 1). */
fern__instance *fern__stop_order_next(fern__instance *realm, int *any_live);
/* Something changed that the realm's order may not know of: a start, a
 * child added or removed, a stop not asked for by the order. */
void fern__stop_order_changed(struct fern__manager_s *manager);
/* `child` came up (it has started last of all its siblings). */
void fern__stop_order_started(fern__instance *child);
/* Frees the realm's order (the realm is freed). */
void fern__stop_order_free(fern__instance *realm);

#endif
