/* dependencies.c - which child of a realm depends on which sibling, as
 * component_manager reads it from a realm's declaration
 * (Fuchsia's src/sys/component_manager/src/model/actions/shutdown.rs and
 * the dependency graph of src/sys/lib/cm_graph): an offer from #a to #b
 * makes #b depend on #a, unless the offer is "dependency": "weak"; an
 * offer to a collection makes each of its dynamic children depend on the
 * source. Offers from the parent or from the realm itself make no
 * dependency between siblings: a realm stops after all its children in
 * any case. Loop thread only. */
#include <string.h>

#include "dependencies.h"
#include "strmap.h"

/* Below this many children a scan finds a name as fast as a map. */
#define DEPENDENCY_MAP_MIN_CHILDREN 32

typedef struct names_s {
  fern__instance *realm;
  fern__strmap map; /* static children by name, when there are many */
  int mapped;
} names;

static void names_init(names *n, fern__instance *realm) {
  n->realm = realm;
  n->mapped = 0;
  fern__strmap_init(&n->map);
  if (realm->child_count < DEPENDENCY_MAP_MIN_CHILDREN)
    return;
  n->mapped = 1;
  for (size_t i = 0; i < realm->child_count; i++)
    if (!realm->children[i]->dynamic &&
        fern__strmap_put(&n->map, realm->children[i]->name,
                         realm->children[i]) != 0)
      n->mapped = 0; /* out of memory: scan instead */
}

static fern__instance *static_child(names *n, const char *name) {
  if (n->mapped)
    return fern__strmap_get(&n->map, name);
  for (size_t i = 0; i < n->realm->child_count; i++) {
    fern__instance *c = n->realm->children[i];
    if (!c->dynamic && strcmp(c->name, name) == 0)
      return c;
  }
  return NULL;
}

/* Every child an offer reaches: the named one, or its collection's. */
static void each_target(names *n, const fern__route_decl *offer,
                        fern__instance *source, fern__dependency_cb cb,
                        void *arg) {
  fern__instance *target = static_child(n, offer->to.name);
  if (target != NULL) {
    if (target != source)
      cb(arg, target, source);
    return;
  }
  for (size_t i = 0; i < n->realm->child_count; i++) {
    fern__instance *c = n->realm->children[i];
    if (c->dynamic && c->collection != NULL && c != source &&
        strcmp(c->collection, offer->to.name) == 0)
      cb(arg, c, source);
  }
}

/* Whether a strong offer comes from `of`: most children, and every
 * dynamic one, are offered from by none, and need no look at the rest. */
static int offers_from(const fern__decl *decl, const fern__instance *of) {
  if (of->dynamic)
    return 0;
  for (size_t i = 0; i < decl->offer_count; i++) {
    const fern__route_decl *offer = &decl->offers[i];
    if (!offer->weak && offer->from.kind == FERN_REF_CHILD &&
        strcmp(offer->from.name, of->name) == 0)
      return 1;
  }
  return 0;
}

void fern__dependencies_each(fern__instance *realm, const fern__instance *of,
                             fern__dependency_cb cb, void *arg) {
  const fern__decl *decl = fern__instance_decl(realm);
  if (decl == NULL || decl->offer_count == 0 ||
      (of != NULL && !offers_from(decl, of)))
    return;
  names n;
  names_init(&n, realm);
  for (size_t i = 0; i < decl->offer_count; i++) {
    const fern__route_decl *offer = &decl->offers[i];
    if (offer->weak || offer->from.kind != FERN_REF_CHILD ||
        offer->to.kind != FERN_REF_CHILD)
      continue;
    if (of != NULL && strcmp(offer->from.name, of->name) != 0)
      continue;
    fern__instance *source = static_child(&n, offer->from.name);
    if (source != NULL)
      each_target(&n, offer, source, cb, arg);
  }
  fern__strmap_free(&n.map, NULL);
}
