/* lifecycle_routes.c - a start follows the component's routes first: each
 * `use` is followed to the component that declares the protocol
 * (routes.c), and its runner, where its environment registers one routed
 * from a child or from an offer (env_routes.c), to the component that
 * declares that. A broken route is the start's failure, named at the hop
 * where it breaks; the rest of the tree runs. A route through a component
 * whose resolution has not answered yet waits: the start is parked, and
 * asked again each time a resolution answers. A resolution waits likewise
 * for the route of its resolver. Loop thread only. */
#include <stdlib.h>

#include "env_routes.h"
#include "lifecycle_actions.h"
#include "log.h"
#include "routes.h"

/* FERN_OK, FERN__ROUTE_PENDING, or the first broken required route. */
static int follow_uses(fern__instance *i, fern_error_t *err) {
  const fern__decl *decl = i->resolution->decl;
  fern__capability *runner;
  int runner_rc = decl->program != NULL
                      ? fern__instance_runner(i, decl->runner, &runner, err)
                      : FERN_OK;
  if (runner_rc != FERN_OK)
    return runner_rc;
  for (size_t u = 0; u < decl->use_count; u++) {
    const fern__instance *provider;
    fern_error_t hop = FERN_ERROR_INIT;
    int rc = fern__route_follow(i, &decl->uses[u], &provider, &hop);
    if (rc == FERN__ROUTE_PENDING)
      return rc;
    if (rc != FERN_OK && !decl->uses[u].optional) {
      *err = hop;
      return rc;
    }
  }
  return FERN_OK;
}

/* Keeps a start (or a resolution) for later; whoever asked for it is
 * answered then. */
static void park(fern__instance *i, fern__input *in, fern__input_kind kind,
                 const char *reason, const char *why) {
  if (i->manager->shutting_down) {
    if (in != NULL)
      fern__lc_answer(in, "fern is shutting down");
    return;
  }
  fern__input *later = fern__lc_input(i, kind);
  if (later == NULL) {
    if (in != NULL)
      fern__lc_answer(in, "out of memory");
    return;
  }
  later->reason = reason;
  /* Its ancestors were up when it parked: later, it does not bring them
   * back (a stop of its realm meanwhile stands). */
  later->attempts = 1;
  /* A stop of it meanwhile cancels it (fern__lc_parked_cancelled). */
  later->parked = i->stop_count + 1;
  if (in != NULL) {
    later->done = in->done;
    later->done_arg = in->done_arg;
    in->done = NULL;
  }
  later->next = i->manager->parked;
  i->manager->parked = later;
  fern__log(FERN_LOG_INFO, i->moniker, "%s", why);
}

int fern__lc_routes_ready(fern__instance *i, fern__input *in,
                          const char *reason, fern_error_t *err) {
  int rc = follow_uses(i, err);
  if (rc == FERN__ROUTE_PENDING)
    park(i, in, FERN_IN_START, reason,
         "its start waits: a component on a route it uses is still being "
         "resolved");
  return rc;
}

void fern__lc_park_resolution(fern__instance *i, fern__input *in) {
  park(i, in, in->kind, in->reason,
       "its resolution waits: a component on the route of its resolver is "
       "still being resolved");
}

int fern__lc_parked_cancelled(fern__instance *i, fern__input *in) {
  if (in->parked == 0 || in->parked == i->stop_count + 1)
    return 0;
  fern__lc_answer(in, "it was stopped while its start waited for a route "
                      "to resolve");
  return 1;
}

void fern__lc_unpark_stopped(fern__instance *i) {
  fern__input **at = &i->manager->parked;
  while (*at != NULL) {
    fern__input *in = *at;
    if (in->instance != i) {
      at = &in->next;
      continue;
    }
    *at = in->next;
    fern__lc_post(in); /* handled as cancelled: its asker is told now */
  }
}

void fern__lc_parked_discard(fern__manager *manager) {
  while (manager->parked != NULL) {
    fern__input *in = manager->parked;
    manager->parked = in->next;
    fern__lc_discard(in, "fern is shutting down");
  }
}

void fern__lc_unpark(fern__manager *manager) {
  fern__input *parked = manager->parked;
  manager->parked = NULL;
  while (parked != NULL) {
    fern__input *next = parked->next;
    fern__lc_post(parked);
    parked = next;
  }
}
