/* routes.c - following a used protocol or directory, hop by hop, through
 * the resolved tree to the component that declares it, as
 * component_manager's routing
 * walks use -> offer -> expose (Fuchsia's src/sys/lib/routing): a use
 * "from parent" finds its parent's offer to it (or to its collection); an
 * offer or use "from #child" finds that child's expose; an offer "from
 * parent" goes one realm up; "from self" ends at the component that
 * declares the protocol (its manifest was checked for that). A broken hop
 * is named where the route stops, at the declaration that points to what
 * is missing, with the nearest name that does exist there. One walk
 * serves both callers: fern__route_trace tells a callback of each hop it
 * takes (fern route prints them), fern__route_follow only wants the end.
 *
 * A directory's route also carries rights and subdirectories, as Fuchsia's
 * routing does (src/sys/lib/routing, rights.rs): each offer or expose
 * that names rights may give no more than what it comes from gives, the
 * use no more than what reaches it (the hop that asks for more is the
 * broken one), and each "subdir" on the way goes below the one nearer
 * the provider. */
#include <stdio.h>
#include <string.h>

#include "edit_distance.h"
#include "instance.h"
#include "manager.h"
#include "resolve_dispatch.h"
#include "routes.h"



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

int fern__route_offer_reaches(const fern__route_decl *offer,
                              const fern__instance *child) {
  return offer->to.kind == FERN_REF_CHILD &&
         (strcmp(offer->to.name, child->name) == 0 ||
          (child->dynamic && child->collection != NULL &&
           strcmp(offer->to.name, child->collection) == 0));
}

/* What a hop looks for among the routes of the next component: its kind,
 * and for an offer, the child it must reach. */
typedef struct wanted_s {
  fern__route_kind kind;
  const fern__instance *child; /* or NULL: an expose */
} wanted;

static int fits_wanted(const fern__route_decl *route, const void *arg) {
  const wanted *w = arg;
  return route->kind == w->kind &&
         (w->child == NULL || fern__route_offer_reaches(route, w->child));
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
  const fern__route_decl *route; /* the declaration followed */
} hop;

/* The longest chain of subdirectories a route gathers. */
#define SUBDIRS_MAX 32

/* One walk: where its answer goes, and who watches each hop. */
typedef struct walk_s {
  const fern__instance **provider;
  fern_error_t *err;
  fern__route_hop_cb on_hop; /* or NULL */
  void *arg;
  const fern__route_decl *use;
  const char *served_name; /* the capability's name at the provider */
  const fern__provided_decl *provided; /* its declaration there */
  /* directory: the rights the nearest hop that names them asks for, and
   * that hop (where a route that gives less is broken) */
  fern__rights demand;
  hop asker;
  const char *subdirs[SUBDIRS_MAX]; /* from the use towards the provider */
  size_t subdir_count;
  /* storage: the component that declares it, and its declaration; the
   * walk then follows the backing directory from there */
  const fern__instance *storage_at;
  const fern__provided_decl *storage;
  /* a directory that ends at fern's own namespace_capabilities */
  const json_t *namespace_dir;
  /* a runner or resolver that ends at fern's root environment */
  fern__capability *root_cap;
} walk;

static const char *kind_name(const hop *h) {
  return fern__route_kind_name(h->route->kind);
}

static int follow(hop h, walk *w, unsigned depth);

static int check_rights(const char *who, walk *w, fern__rights have,
                        const char *what);

/* Above the root is fern: a runner or resolver of its root environment
 * (its configuration), as component_manager's built-in runners and
 * resolvers are offered to the root. */
static int from_fern_environment(hop h, walk *w) {
  const fern__env *root = h.at->manager->root_env;
  int runner = h.route->kind == FERN_ROUTE_RUNNER;
  fern__capability *cap = runner ? fern__env_runner(root, h.name)
                                 : fern__env_resolver_named(root, h.name);
  if (cap == NULL)
    return fern__decl_error(h.decl, w->err, FERN_ENOENT, h.pointer,
                            "%s %s %s \"%s\" from its parent, but it is the "
                            "root, and fern's root environment has no %s "
                            "\"%s\"",
                            shown(h.at), h.what, kind_name(&h), h.name,
                            kind_name(&h), h.name);
  *w->provider = h.at;
  w->served_name = h.name;
  w->root_cap = cap;
  return FERN_OK;
}

/* Above the root is fern: a directory of its namespace_capabilities (its
 * configuration), as component_manager offers its own to the root. */
static int from_fern(hop h, walk *w) {
  if (h.route->kind == FERN_ROUTE_RUNNER ||
      h.route->kind == FERN_ROUTE_RESOLVER)
    return from_fern_environment(h, w);
  const json_t *entry =
      h.route->kind == FERN_ROUTE_DIRECTORY
          ? fern__config_namespace_dir(h.at->manager->config, h.name)
          : NULL;
  if (entry == NULL && h.route->kind != FERN_ROUTE_DIRECTORY)
    return fern__decl_error(h.decl, w->err, FERN_ENOENT, h.pointer,
                            "%s %s %s \"%s\" from its parent, but it is "
                            "the root: nothing is offered to it",
                            shown(h.at), h.what, kind_name(&h), h.name);
  if (entry == NULL)
    return fern__decl_error(h.decl, w->err, FERN_ENOENT, h.pointer,
                            "%s %s directory \"%s\" from its parent, but it "
                            "is the root, and fern's namespace_capabilities "
                            "have no directory \"%s\"",
                            shown(h.at), h.what, h.name, h.name);
  long bad;
  fern__rights have = fern__rights_parse(json_object_get(entry, "rights"),
                                         &bad);
  int rc = w->demand != 0
               ? check_rights("fern's namespace_capabilities", w, have, "give")
               : FERN_OK;
  if (rc != FERN_OK)
    return rc;
  *w->provider = h.at;
  w->served_name = h.name;
  w->namespace_dir = entry;
  return FERN_OK;
}

/* The realm one up offers `h.name` to `h.at`. */
static int from_parent(hop h, walk *w, unsigned depth) {
  const fern__instance *parent = h.at->parent;
  const fern__decl *pdecl = parent != NULL ? fern__instance_decl(parent) : NULL;
  if (parent == NULL)
    return from_fern(h, w);
  for (size_t i = 0; pdecl != NULL && i < pdecl->offer_count; i++) {
    const fern__route_decl *o = &pdecl->offers[i];
    if (o->kind == h.route->kind && fern__route_offer_reaches(o, h.at) &&
        strcmp(o->target, h.name) == 0) {
      hop next = {parent, o->from, o->name, o->target, pdecl, "", "offers", o};
      snprintf(next.pointer, sizeof next.pointer, "/offer/%u", o->index);
      return follow(next, w, depth + 1);
    }
  }
  char near[160] = "";
  wanted want = {h.route->kind, h.at};
  if (pdecl != NULL)
    nearest(pdecl->offers, pdecl->offer_count, fits_wanted, &want, h.name,
            shown(parent), "offers", near, sizeof near);
  return fern__decl_error(h.decl, w->err, FERN_ENOENT, h.pointer,
                          "%s %s %s \"%s\" from its parent, but %s "
                          "offers no \"%s\" to #%s%s",
                          shown(h.at), h.what, kind_name(&h), h.name,
                          shown(parent), h.name, h.at->name, near);
}

/* The child `h.from.name` of `h.at` exposes `h.name`. */
static int from_child(hop h, walk *w, unsigned depth) {
  const fern__instance *child = child_named(h.at, h.from.name);
  const fern__decl *cdecl = child != NULL ? fern__instance_decl(child) : NULL;
  if (cdecl == NULL && child != NULL && fern__state_unresolved_yet(child->state))
    return FERN__ROUTE_PENDING;
  if (cdecl == NULL)
    return fern__decl_error(h.decl, w->err, FERN_ENOENT, h.pointer,
                            "%s %s %s \"%s\" from #%s, which %s",
                            shown(h.at), h.what, kind_name(&h), h.name,
                            h.from.name,
                            child == NULL ? "is not in the tree"
                                          : "could not be resolved");
  for (size_t i = 0; i < cdecl->expose_count; i++) {
    const fern__route_decl *e = &cdecl->exposes[i];
    if (e->kind == h.route->kind && strcmp(e->target, h.name) == 0) {
      hop next = {child, e->from, e->name, e->target, cdecl, "", "exposes", e};
      snprintf(next.pointer, sizeof next.pointer, "/expose/%u", e->index);
      return follow(next, w, depth + 1);
    }
  }
  char near[160];
  wanted want = {h.route->kind, NULL};
  nearest(cdecl->exposes, cdecl->expose_count, fits_wanted, &want, h.name,
          shown(child), "exposes", near, sizeof near);
  return fern__decl_error(h.decl, w->err, FERN_ENOENT, h.pointer,
                          "%s %s %s \"%s\" from #%s, but %s exposes no "
                          "\"%s\"%s",
                          shown(h.at), h.what, kind_name(&h), h.name,
                          h.from.name, shown(child), h.name, near);
}

/* The rights `who` gives (`have`, as "what" says) cover what the hop
 * that asks asks for; else that hop is broken. */
static int check_rights(const char *who, walk *w, fern__rights have,
                        const char *what) {
  if (fern__rights_within(w->demand, have))
    return FERN_OK;
  char asked[160], given[160];
  fern__rights_format(w->demand, asked, sizeof asked);
  fern__rights_format(have, given, sizeof given);
  return fern__decl_error(w->asker.decl, w->err, FERN_EACCES,
                          w->asker.pointer,
                          "%s %s directory \"%s\" with rights %s, but %s %s "
                          "it with rights %s only",
                          shown(w->asker.at), w->asker.what, w->asker.name,
                          asked, who, what, given);
}

/* A directory hop: its rights against what is asked, its subdir kept. */
static int directory_hop(const hop *h, walk *w) {
  const fern__route_decl *r = h->route;
  if (r->rights != 0 && w->demand != 0) {
    int rc = check_rights(shown(h->at), w, r->rights, h->what);
    if (rc != FERN_OK)
      return rc;
  }
  if (r->rights != 0) {
    w->demand = r->rights;
    w->asker = *h;
  }
  if (r->subdir != NULL && w->subdir_count == SUBDIRS_MAX)
    return fern__decl_error(h->decl, w->err, FERN_EINVAL, h->pointer,
                            "the route of directory \"%s\" names more than "
                            "%d subdirs",
                            h->name, SUBDIRS_MAX);
  if (r->subdir != NULL)
    w->subdirs[w->subdir_count++] = r->subdir;
  return FERN_OK;
}

static int follow(hop h, walk *w, unsigned depth);

/* Storage declared at `h.at`: each user's directory is in its backing
 * directory, which is followed from there as a directory that must be
 * readable and writable (CML's storage: "backing_dir" from "from"). */
static int storage_backing(hop h, walk *w,
                           const fern__provided_decl *storage,
                           unsigned depth) {
  w->storage_at = h.at;
  w->storage = storage;
  fern__route_decl backing = {
      .kind = FERN_ROUTE_DIRECTORY, .name = storage->backing_dir,
      .target = storage->backing_dir, .from = storage->backing_from,
      .index = storage->index};
  hop next = {h.at, storage->backing_from, storage->backing_dir,
              storage->backing_dir, fern__instance_decl(h.at), "",
              "backs its storage with", &backing};
  snprintf(next.pointer, sizeof next.pointer, "/capabilities/%u",
           storage->index);
  w->demand = fern__rights_of_name("rw*");
  w->asker = next;
  return follow(next, w, depth + 1);
}

/* The route ends at `h.at`, which declares what it names. */
static int at_self(hop h, walk *w, unsigned depth) {
  const fern__decl *decl = fern__instance_decl(h.at);
  const fern__provided_decl *provided = NULL;
  for (size_t i = 0; i < decl->provided_count; i++)
    if (strcmp(decl->provided[i].name, h.name) == 0)
      provided = &decl->provided[i];
  /* Only a program can serve a protocol: a realm's socket would keep its
   * clients waiting for ever. A directory is the package's. */
  if (h.route->kind == FERN_ROUTE_PROTOCOL && decl->program == NULL)
    return fern__decl_error(h.decl, w->err, FERN_ENOENT, h.pointer,
                            "%s %s protocol \"%s\" from self, but it has "
                            "no program to serve it",
                            shown(h.at), h.what, h.name);
  if (h.route->kind == FERN_ROUTE_STORAGE && provided != NULL)
    return storage_backing(h, w, provided, depth);
  if (h.route->kind == FERN_ROUTE_DIRECTORY && provided != NULL) {
    int rc = check_rights(shown(h.at), w, provided->rights, "declares");
    if (rc != FERN_OK)
      return rc;
  }
  *w->provider = h.at;
  w->served_name = h.name;
  w->provided = provided;
  return FERN_OK;
}

static int follow(hop h, walk *w, unsigned depth) {
  if (depth > 1024) /* deeper than any tree: a loop of offers */
    return fern__decl_error(h.decl, w->err, FERN_EINVAL, h.pointer,
                            "the route of %s \"%s\" goes round in a circle",
                            kind_name(&h), h.name);
  if (w->on_hop != NULL) {
    fern__route_hop shown_hop = {h.route->kind, h.at, h.what, h.name,
                                 h.target, h.from};
    w->on_hop(&shown_hop, w->arg);
  }
  if (h.route->kind == FERN_ROUTE_DIRECTORY) {
    int rc = directory_hop(&h, w);
    if (rc != FERN_OK)
      return rc;
  }
  switch (h.from.kind) {
  case FERN_REF_SELF:
    return at_self(h, w, depth);
  case FERN_REF_PARENT:
    return from_parent(h, w, depth);
  case FERN_REF_CHILD:
    return from_child(h, w, depth);
  }
  return FERN_EINVAL;
}

/* The walk from `use` of `instance`, declared at `pointer`, its answer in
 * `w`. */
static int walk_from(const fern__instance *instance,
                     const fern__route_decl *use, const char *pointer,
                     const char *verb, walk *w) {
  const fern__decl *decl = fern__instance_decl(instance);
  if (decl == NULL)
    return fern_error_set(w->err, FERN_EINVAL, NULL, "%s is not resolved",
                          shown(instance));
  hop h = {instance, use->from, use->name, use->target, decl, "", verb, use};
  snprintf(h.pointer, sizeof h.pointer, "%s", pointer);
  w->use = use;
  return follow(h, w, 0);
}

static int walk_use(const fern__instance *instance,
                    const fern__route_decl *use, walk *w) {
  char pointer[64];
  snprintf(pointer, sizeof pointer, "/use/%u", use->index);
  return walk_from(instance, use, pointer, "uses", w);
}

int fern__route_follow_registration(const fern__instance *declarer,
                                    const fern__route_decl *registration,
                                    const char *pointer,
                                    fern__route_end *end, fern_error_t *err) {
  memset(end, 0, sizeof *end);
  walk w = {.provider = &end->provider, .err = err};
  int rc = walk_from(declarer, registration, pointer, "registers", &w);
  end->name = w.served_name;
  end->root_cap = w.root_cap;
  return rc;
}

int fern__route_trace(const fern__instance *instance,
                      const fern__route_decl *use, fern__route_hop_cb on_hop,
                      void *arg, const fern__instance **provider,
                      fern_error_t *err) {
  walk w = {.provider = provider, .err = err, .on_hop = on_hop, .arg = arg};
  return walk_use(instance, use, &w);
}

/* The subdirectories gathered, nearest the provider first: "a/b". -1
 * when they do not fit: a shortened path would be another directory. */
static int join_subdirs(const walk *w, char *out, size_t size) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = w->subdir_count; i > 0; i--) {
    int n = snprintf(out + used, size - used, "%s%s", used ? "/" : "",
                     w->subdirs[i - 1]);
    if (n < 0 || (size_t)n >= size - used)
      return -1;
    used += (size_t)n;
  }
  return 0;
}

int fern__route_follow_to(const fern__instance *instance,
                          const fern__route_decl *use, fern__route_end *end,
                          fern_error_t *err) {
  memset(end, 0, sizeof *end);
  walk w = {.provider = &end->provider, .err = err};
  int rc = walk_use(instance, use, &w);
  end->name = w.served_name;
  end->provided = w.provided;
  end->storage_at = w.storage_at;
  end->storage = w.storage;
  end->namespace_path =
      json_string_value(json_object_get(w.namespace_dir, "path"));
  if (rc == FERN_OK && join_subdirs(&w, end->subdir, sizeof end->subdir) != 0)
    rc = fern_error_set(err, FERN_EINVAL, NULL,
                        "%s uses directory \"%s\": the subdirs of its route "
                        "come to more than %zu bytes",
                        instance->moniker, use->name,
                        sizeof end->subdir - 1);
  return rc;
}

int fern__route_follow(const fern__instance *instance,
                       const fern__route_decl *use,
                       const fern__instance **provider, fern_error_t *err) {
  return fern__route_trace(instance, use, NULL, NULL, provider, err);
}
