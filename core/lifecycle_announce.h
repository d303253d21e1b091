/* lifecycle_announce.h - what a person and a subscriber are told of the
 * lifecycle: the one log line and the one event of each transition, with
 * one schema per event type (docs/lifecycle.md, Events). Loop thread only. */
#ifndef FERN_CORE_LIFECYCLE_ANNOUNCE_H
#define FERN_CORE_LIFECYCLE_ANNOUNCE_H

#include "instance.h"

/* Announces the change from `from` to `next`; `cause` is the input that
 * led to it (NULL for none). */
void fern__lc_announce(fern__instance *instance, fern__state from,
                       fern__state next, const fern__input *cause);
/* "started": said on the way to RUNNING, and for a program whose start
 * is reported after its stop was asked (it did run). */
void fern__lc_announce_started(fern__instance *instance);
/* Why `kind` is refused in the instance's state, for whoever asked. */
void fern__lc_refusal_reason(const fern__instance *instance,
                             fern__input_kind kind, char *why, size_t size);

#endif
