/* route_report.h - routes as JSON, for the control socket: what a
 * component's manifest routes (fern show) and where each protocol it uses
 * comes from, hop by hop, with the state of its provider (fern route).
 * Loop thread. */
#ifndef FERN_CORE_ROUTE_REPORT_H
#define FERN_CORE_ROUTE_REPORT_H

#include "decl.h"
#include "instance.h"

/* Sets "uses", "exposes" and "offers" of `shown` to the protocols `decl`
 * routes, one object per protocol and target, in the manifest's words:
 * {"protocol", "from", "path", "dependency", "availability"} for a use,
 * {"protocol", "from", "to", "as", "dependency"} for an offer,
 * {"protocol", "from", "to", "as"} for an expose. */
void fern__route_report_declared(json_t *shown, const fern__decl *decl);

/* Each protocol the resolved `instance` uses, followed to its provider:
 * an array of {"protocol", "path", "optional", "status", "hops"} where
 * status is "routed" (with "provider", "provider_state" and
 * "provider_running"), "pending" (with "waiting_for", the component still
 * resolving on the way), "broken" (with "error"), or "unavailable" (an
 * optional use with no route, with "error"). Each hop is {"moniker",
 * "verb", "protocol", "from", "as"}. */
json_t *fern__route_report_uses(const fern__instance *instance);

#endif
