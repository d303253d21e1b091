/* routes.c - following a used protocol, hop by hop, through the resolved
 * tree to the component that declares it, as component_manager's routing
 * walks use -> offer -> expose (Fuchsia's src/sys/lib/routing): a use
 * "from parent" finds its parent's offer to it (or to its collection); an
 * offer or use "from #child" finds that child's expose; an offer "from
 * parent" goes one realm up; "from self" ends at the component that
 * declares the protocol (its manifest was checked for that). A broken hop
 * is named where the route stops, at the declaration that points to what
 * is missing, with the nearest name that does exist there. One walk
 * serves both callers: fern__route_trace tells a callback of each hop it
 * takes (fern route prints them), fern__route_follow only wants the end. */
#include <stdio.h>
#include <string.h>

#include "edit_distance.h"
#include "instance.h"
#include "resolve_dispatch.h"
#include "routes.h"

static const fern__decl *decl_of(const fern__instance *instance) {
  return instance->resolution != NULL && instance->resolution->rc == FERN_OK
             ? instance->resolution->decl
             : NULL;
}

/* Its resolution has not answered yet: a route through it waits. */
static int resolving(const fern__instance *instance) {
  return instance->state == FERN_STATE_DISCOVERED ||
         instance->state == FERN_STATE_RESOLVING ||
         instance->state == FERN_STATE_RESOLVING_TO_START ||
         instance->state == FERN_STATE_CREATING;
}

static const char *shown(const fern__instance *instance) {
  return instance->moniker[0] ? instance->moniker : "/";
}

static const fern__instance *child_named(const fern__instance *instance,
                                         const char *name) {
  for (size_t i = 0; i < instance->child_count; i++)
    if (strcmp(instance->children[i]->name, name) == 0)
      return instance->children[i];
  return NULL;
}

/* The route of `list` whose target is nearest `name` among those `fits`
 * accepts, as "; X offers \"NAME\"", or "". */
typedef int (*route_fits)(const fern__route_decl *route, const void *arg);

static void nearest(const fern__route_decl *list, size_t count,
                    route_fits fits, const void *arg, const char *name,
                    const char *who, const char *verb, char *out,
                    size_t size) {
  const char *best = NULL;
  size_t best_d = (size_t)-1;
  for (size_t i = 0; i < count; i++) {
    size_t d = fits(&list[i], arg) ? fern__edit_distance(list[i].target, name) : best_d;
    if (d < best_d) {
      best_d = d;
      best = list[i].target;
    }
  }
  if (best != NULL)
    snprintf(out, size, "; %s %s \"%s\"", who, verb, best);
  else
    out[0] = '\0';
}

/* An offer to `child` (by name, or to its collection). */
static int offer_reaches(const fern__route_decl *offer, const void *arg) {
  const fern__instance *child = arg;
  return offer->to.kind == FERN_REF_CHILD &&
         (strcmp(offer->to.name, child->name) == 0 ||
          (child->dynamic && child->collection != NULL &&
           strcmp(offer->to.name, child->collection) == 0));
}

static int any_route(const fern__route_decl *route, const void *arg) {
  (void)route;
  (void)arg;
  return 1;
}

/* Where a route goes next: `from` of the realm `at`, for protocol `name`
 * (`target` where the declaration hands it on); `decl` and `pointer` are
 * the declaration that points there. */
typedef struct hop_s {
  const fern__instance *at;
  fern__ref from;
  const char *name;
  const char *target;
  const fern__decl *decl;
  char pointer[64];
  const char *what; /* "uses", "offers", "exposes": for messages */
} hop;

/* One walk: where its answer goes, and who watches each hop. */
typedef struct walk_s {
  const fern__instance **provider;
  fern_error_t *err;
  fern__route_hop_cb on_hop; /* or NULL */
  void *arg;
  const char *served_name; /* the protocol's name at the provider */
} walk;

static int follow(hop h, walk *w, unsigned depth);

/* The realm one up offers `h.name` to `h.at`. */
static int from_parent(hop h, walk *w, unsigned depth) {
  const fern__instance *parent = h.at->parent;
  const fern__decl *pdecl = parent != NULL ? decl_of(parent) : NULL;
  if (parent == NULL)
    return fern__decl_error(h.decl, w->err, FERN_ENOENT, h.pointer,
                            "%s %s protocol \"%s\" from its parent, but it is "
                            "the root: nothing is offered to it",
                            shown(h.at), h.what, h.name);
  for (size_t i = 0; pdecl != NULL && i < pdecl->offer_count; i++) {
    const fern__route_decl *o = &pdecl->offers[i];
    if (offer_reaches(o, h.at) && strcmp(o->target, h.name) == 0) {
      hop next = {parent, o->from, o->name, o->target, pdecl, "", "offers"};
      snprintf(next.pointer, sizeof next.pointer, "/offer/%u", o->index);
      return follow(next, w, depth + 1);
    }
  }
  char near[160] = "";
  if (pdecl != NULL)
    nearest(pdecl->offers, pdecl->offer_count, offer_reaches, h.at, h.name,
            shown(parent), "offers", near, sizeof near);
  return fern__decl_error(h.decl, w->err, FERN_ENOENT, h.pointer,
                          "%s %s protocol \"%s\" from its parent, but %s "
                          "offers no \"%s\" to #%s%s",
                          shown(h.at), h.what, h.name, shown(parent), h.name,
                          h.at->name, near);
}

/* The child `h.from.name` of `h.at` exposes `h.name`. */
static int from_child(hop h, walk *w, unsigned depth) {
  const fern__instance *child = child_named(h.at, h.from.name);
  const fern__decl *cdecl = child != NULL ? decl_of(child) : NULL;
  if (cdecl == NULL && child != NULL && resolving(child))
    return FERN__ROUTE_PENDING;
  if (cdecl == NULL)
    return fern__decl_error(h.decl, w->err, FERN_ENOENT, h.pointer,
                            "%s %s protocol \"%s\" from #%s, which %s",
                            shown(h.at), h.what, h.name, h.from.name,
                            child == NULL ? "is not in the tree"
                                          : "could not be resolved");
  for (size_t i = 0; i < cdecl->expose_count; i++) {
    const fern__route_decl *e = &cdecl->exposes[i];
    if (strcmp(e->target, h.name) == 0) {
      hop next = {child, e->from, e->name, e->target, cdecl, "", "exposes"};
      snprintf(next.pointer, sizeof next.pointer, "/expose/%u", e->index);
      return follow(next, w, depth + 1);
    }
  }
  char near[160];
  nearest(cdecl->exposes, cdecl->expose_count, any_route, NULL, h.name,
          shown(child), "exposes", near, sizeof near);
  return fern__decl_error(h.decl, w->err, FERN_ENOENT, h.pointer,
                          "%s %s protocol \"%s\" from #%s, but %s exposes no "
                          "\"%s\"%s",
                          shown(h.at), h.what, h.name, h.from.name,
                          shown(child), h.name, near);
}

static int follow(hop h, walk *w, unsigned depth) {
  if (depth > 1024) /* deeper than any tree: a loop of offers */
    return fern__decl_error(h.decl, w->err, FERN_EINVAL, h.pointer,
                            "the route of protocol \"%s\" goes round in a "
                            "circle",
                            h.name);
  if (w->on_hop != NULL) {
    fern__route_hop shown_hop = {h.at, h.what, h.name, h.target, h.from};
    w->on_hop(&shown_hop, w->arg);
  }
  switch (h.from.kind) {
  case FERN_REF_SELF:
    /* Only a program can serve: a realm's socket would keep its clients
     * waiting for ever. */
    if (decl_of(h.at)->program == NULL)
      return fern__decl_error(h.decl, w->err, FERN_ENOENT, h.pointer,
                              "%s %s protocol \"%s\" from self, but it has "
                              "no program to serve it",
                              shown(h.at), h.what, h.name);
    *w->provider = h.at;
    w->served_name = h.name;
    return FERN_OK;
  case FERN_REF_PARENT:
    return from_parent(h, w, depth);
  case FERN_REF_CHILD:
    return from_child(h, w, depth);
  }
  return FERN_EINVAL;
}

/* The walk from `use` of `instance`, its answer in `w`. */
static int walk_use(const fern__instance *instance,
                    const fern__route_decl *use, walk *w) {
  const fern__decl *decl = decl_of(instance);
  if (decl == NULL)
    return fern_error_set(w->err, FERN_EINVAL, NULL, "%s is not resolved",
                          shown(instance));
  hop h = {instance, use->from, use->name, use->target, decl, "", "uses"};
  snprintf(h.pointer, sizeof h.pointer, "/use/%u", use->index);
  return follow(h, w, 0);
}

int fern__route_trace(const fern__instance *instance,
                      const fern__route_decl *use, fern__route_hop_cb on_hop,
                      void *arg, const fern__instance **provider,
                      fern_error_t *err) {
  walk w = {provider, err, on_hop, arg, NULL};
  return walk_use(instance, use, &w);
}

int fern__route_follow_to(const fern__instance *instance,
                          const fern__route_decl *use, fern__route_end *end,
                          fern_error_t *err) {
  walk w = {&end->provider, err, NULL, NULL, NULL};
  int rc = walk_use(instance, use, &w);
  end->name = w.served_name;
  return rc;
}

int fern__route_follow(const fern__instance *instance,
                       const fern__route_decl *use,
                       const fern__instance **provider, fern_error_t *err) {
  return fern__route_trace(instance, use, NULL, NULL, provider, err);
}
