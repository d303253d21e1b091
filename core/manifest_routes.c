/* manifest_routes.c - the capabilities a manifest routes, in CML's
 * vocabulary: "use", "offer" and "expose" (what it declares in
 * "capabilities" is manifest_provided.c's, the parts both read are
 * manifest_parts.c's). Each is checked within its own manifest as cmc checks a .cml
 * (Fuchsia's tools/lib/cml/src/lib.rs and validate.rs): a name or a list
 * of unique names; "as" and "path" only with one name; a "#name" that is
 * a child (or, as an offer's target, a collection) of this manifest; what
 * is routed from "self" declared in "capabilities"; no two routes to the
 * same name at one target; a used path absolute, within the namespace's
 * room; no cycle of strong dependencies (manifest_cycles.c); a
 * directory's rights a nonempty list of unique CML rights (rights.c), and
 * its subdir a relative path. Routes across manifests are followed once
 * the tree is resolved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decl.h"
#include "cml_features.h"
#include "log.h"
#include "manifest_parts.h"

const char *fern__route_kind_name(fern__route_kind kind) {
  switch (kind) {
  case FERN_ROUTE_DIRECTORY: return "directory";
  case FERN_ROUTE_STORAGE: return "storage";
  case FERN_ROUTE_RUNNER: return "runner";
  case FERN_ROUTE_RESOLVER: return "resolver";
  case FERN_ROUTE_PROTOCOL: break;
  }
  return "protocol";
}

int fern__decl_routed_entry(const json_t *entry) {
  return json_object_get(entry, "protocol") != NULL ||
         json_object_get(entry, "directory") != NULL ||
         json_object_get(entry, "storage") != NULL;
}

/* Not a capability fern routes: another parser's entry. */
#define NOT_ROUTED 1

/* The kind an entry routes: the one of "protocol", "directory" and
 * "storage" it has, or with `all` (offer, expose) of "runner" and
 * "resolver" too; NOT_ROUTED for none, an error for more. */
static int kind_of(fern__mcheck *mc, const json_t *entry, const char *at,
                   int all, fern__route_kind *kind) {
  static const fern__route_kind kinds[] = {
      FERN_ROUTE_PROTOCOL, FERN_ROUTE_DIRECTORY, FERN_ROUTE_STORAGE,
      FERN_ROUTE_RUNNER, FERN_ROUTE_RESOLVER};
  size_t n = all ? 5 : 3;
  int found = 0;
  for (size_t i = 0; i < n; i++)
    if (json_object_get(entry, fern__route_kind_name(kinds[i])) != NULL) {
      *kind = kinds[i];
      found++;
    }
  if (found > 1)
    return fern__mfail(mc, at, "an entry names one of \"protocol\", "
                               "\"directory\", \"storage\"%s, not more",
                       all ? ", \"runner\" and \"resolver\"" : "");
  return found == 1 ? FERN_OK : NOT_ROUTED;
}

/* Whether this component declares `name` as a capability of `kind`. */
static int declares(const fern__decl *decl, fern__route_kind kind,
                    const char *name) {
  if (kind == FERN_ROUTE_RUNNER || kind == FERN_ROUTE_RESOLVER)
    return fern__decl_find_capability(decl,
                                      kind == FERN_ROUTE_RUNNER
                                          ? FERN_CAP_RUNNER
                                          : FERN_CAP_RESOLVER,
                                      name) != NULL;
  const fern__provided_decl *d = fern__mr_declared(decl, name);
  return d != NULL && d->kind == kind;
}

/* What is routed from "self" is what this component declares it serves,
 * shares or provides, as that kind. */
static int check_self(fern__mcheck *mc, const char *at, const char *verb,
                      const fern__route_decl *route) {
  if (route->from.kind != FERN_REF_SELF ||
      declares(mc->decl, route->kind, route->name))
    return FERN_OK;
  fern__pointer p;
  snprintf(p, sizeof p, "%s/from", at);
  const char *kind = fern__route_kind_name(route->kind);
  return fern__mfail(mc, p, "%s \"%s\" is %s from self, so it must be "
                            "declared as a \"%s\" in \"capabilities\"",
                     kind, route->name, verb, kind);
}

static int add_route(fern__mcheck *mc, fern__route_decl **list, size_t *count,
                     const fern__route_decl *route) {
  fern__route_decl *grown = realloc(*list, (*count + 1) * sizeof *grown);
  if (grown == NULL)
    return fern_error_set(mc->err, FERN_ENOMEM, NULL, "out of memory");
  grown[*count] = *route;
  *list = grown;
  (*count)++;
  return FERN_OK;
}

/* Whether `inner` lies below `outer` ("/svc/a/b" below "/svc/a"): a use
 * cannot be both a socket and the directory of another (cmc refuses uses
 * whose paths overlap). */
static int path_within(const char *inner, const char *outer) {
  size_t n = strlen(outer);
  return strncmp(inner, outer, n) == 0 && inner[n] == '/';
}

/* A used path: absolute, no empty, "." or ".." part, no trailing '/',
 * within FERN_USE_PATH_MAX. */
static int check_path(fern__mcheck *mc, const char *path, const char *p) {
  size_t len = strlen(path);
  int bad = path[0] != '/' || len < 2 || path[len - 1] == '/' ||
            strstr(path, "//") != NULL || strstr(path, "/./") != NULL ||
            strstr(path, "/../") != NULL ||
            (len >= 2 && strcmp(path + len - 2, "/.") == 0) ||
            (len >= 3 && strcmp(path + len - 3, "/..") == 0);
  if (bad)
    return fern__mfail(mc, p, "\"path\" must be an absolute path with no "
                              "empty, \".\" or \"..\" part; got \"%s\"",
                       path);
  if (len > FERN_USE_PATH_MAX)
    return fern__mfail(mc, p, "\"path\" is %zu bytes; at most %d fit in a "
                              "namespace",
                       len, FERN_USE_PATH_MAX);
  return FERN_OK;
}

/* A directory route's "rights" and "subdir" (`rights_required` for a
 * use, as cmc asks); nothing for a protocol, which has neither. */
static int read_directory_route(fern__mcheck *mc, const json_t *entry,
                                const char *at, size_t count,
                                int rights_required, fern__route_decl *route) {
  if (route->kind != FERN_ROUTE_DIRECTORY)
    return FERN_OK;
  int rc = fern__mr_read_rights(mc, entry, at, rights_required, &route->rights);
  if (rc == FERN_OK)
    rc = fern__mr_single_only(mc, entry, at, "subdir", count);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "subdir", 0, &route->subdir);
  if (rc == FERN_OK && route->subdir != NULL) {
    fern__pointer p;
    snprintf(p, sizeof p, "%s/subdir", at);
    rc = fern__mr_check_relative(mc, route->subdir, p, "subdir");
  }
  return rc;
}

static int read_dependency(fern__mcheck *mc, const json_t *entry,
                           const char *at, int *weak) {
  static const char *const kinds[] = {"strong", "weak", NULL};
  int index = 0;
  int rc = fern__mcheck_enum(mc, entry, at, "dependency", kinds, &index);
  *weak = index == 1;
  return rc;
}

/* Each entry of the array `key`, as `fn` reads it. */
typedef int (*entry_fn)(fern__mcheck *mc, fern__decl *decl,
                        const json_t *entry, const char *at, unsigned index,
                        fern__route_kind kind);

/* An offer or expose of no kind fern routes: CML's kind named, if it is
 * one of CML's. */
static int unrouted_kind(fern__mcheck *mc, const json_t *entry,
                         const char *at, const char *key) {
  static const char *const cml_kinds[] = {"service", "event_stream",
                                          "dictionary", "config", NULL};
  for (size_t i = 0; cml_kinds[i] != NULL; i++)
    if (json_object_get(entry, cml_kinds[i]) != NULL) {
      fern__pointer p;
      snprintf(p, sizeof p, "%s/%s", at, cml_kinds[i]);
      return fern__mfail(mc, p, "%s of %s: CML's %s, which fern does not "
                                "support",
                         key, cml_kinds[i],
                         fern__cml_unsupported_key(cml_kinds[i], key));
    }
  return fern__mfail(mc, at, "%s routes a \"protocol\", \"directory\", "
                             "\"storage\", \"runner\" or \"resolver\", the "
                             "kinds of capability fern routes",
                     key);
}

/* Runners and resolvers are another parser's in "use" and "capabilities"
 * (manifest.c, manifest_env.c); in "offer" and "expose" they are routed
 * here, and an entry of no kind fern routes is an error. */
static int each_entry(fern__mcheck *mc, fern__decl *decl, const char *key,
                      const char *what, entry_fn fn) {
  int all_kinds = strcmp(key, "offer") == 0 || strcmp(key, "expose") == 0;
  json_t *array;
  int rc = fern__mcheck_array(mc, decl->json, "", key, &array);
  size_t i;
  json_t *entry;
  json_array_foreach(array, i, entry) {
    if (rc != FERN_OK)
      break;
    fern__pointer at;
    snprintf(at, sizeof at, "/%s/%zu", key, i);
    rc = fern__mcheck_object_at(mc, entry, at, what);
    fern__route_kind kind = FERN_ROUTE_PROTOCOL;
    int routed = rc == FERN_OK ? kind_of(mc, entry, at, all_kinds, &kind) : rc;
    if (routed == FERN_OK)
      rc = fn(mc, decl, entry, at, (unsigned)i, kind);
    else if (routed != NOT_ROUTED)
      rc = routed;
    else if (all_kinds)
      rc = unrouted_kind(mc, entry, at, key);
  }
  return rc;
}

/* No two routes end at one name at one target. */
static int check_unique_target(fern__mcheck *mc, const fern__route_decl *list,
                               size_t count, const fern__route_decl *route,
                               const char *at, const char *verb) {
  for (size_t i = 0; i < count; i++) {
    const fern__route_decl *o = &list[i];
    int same_to = o->to.kind == route->to.kind &&
                  (o->to.name == NULL || strcmp(o->to.name, route->to.name) == 0);
    if (same_to && strcmp(o->target, route->target) == 0)
      return fern__mfail(mc, at, "\"%s\" is %s %s%s twice", route->target,
                         verb,
                         route->to.kind == FERN_REF_CHILD ? "to #" : "to the ",
                         route->to.kind == FERN_REF_CHILD ? route->to.name
                                                          : "parent");
  }
  return FERN_OK;
}

/* Where a used capability appears by default: /svc/NAME for a protocol
 * (CML's default), /NAME for a directory. */
static const char *default_use_dir(fern__route_kind kind) {
  return kind == FERN_ROUTE_PROTOCOL ? "/svc/" : "/";
}

static int read_use(fern__mcheck *mc, fern__decl *decl, const json_t *entry,
                    const char *at, unsigned index, fern__route_kind kind) {
  static const char *const protocol_keys[] = {
      "protocol", "from", "path", "dependency", "availability", NULL};
  static const char *const directory_keys[] = {
      "directory", "from", "path", "dependency", "availability", "rights",
      "subdir", NULL};
  /* CML's use of storage: from the parent only, no dependency. */
  static const char *const storage_keys[] = {"storage", "path",
                                             "availability", NULL};
  static const char *const *const keys[] = {protocol_keys, directory_keys,
                                            storage_keys};
  static const char *const availabilities[] = {"required", "optional", NULL};
  fern__route_decl route = {
      .kind = kind, .to = {FERN_REF_SELF, NULL}, .index = index};
  const char **names = NULL;
  size_t count = 0;
  const char *path = NULL;
  int rc = fern__mcheck_keys(mc, entry, at, "a use declaration", keys[kind]);
  if (rc == FERN_OK)
    rc = fern__mr_read_names(mc, entry, at, kind, &names, &count);
  if (rc == FERN_OK)
    rc = read_directory_route(mc, entry, at, count, 1, &route);
  if (rc == FERN_OK)
    rc = fern__mr_single_only(mc, entry, at, "path", count);
  if (rc == FERN_OK)
    rc = fern__mr_read_ref_key(mc, entry, at, "from", "parent", "\"parent\" or "
                      "\"#<child>\"", 0, &route.from);
  if (rc == FERN_OK)
    rc = read_dependency(mc, entry, at, &route.weak);
  int availability = 0;
  if (rc == FERN_OK)
    rc = fern__mcheck_enum(mc, entry, at, "availability", availabilities,
                           &availability);
  route.optional = availability == 1;
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "path", 0, &path);
  for (size_t i = 0; rc == FERN_OK && i < count; i++) {
    fern__pointer p;
    snprintf(p, sizeof p, "%s/%s", at,
             path ? "path" : fern__route_kind_name(kind));
    route.name = route.target = names[i];
    char full[FERN_USE_PATH_MAX + FERN_NAME_MAX + 8];
    snprintf(full, sizeof full, "%s%s", path ? "" : default_use_dir(kind),
             path ? path : names[i]);
    rc = path != NULL && strlen(path) >= sizeof full
             ? fern__mfail(mc, p, "\"path\" is longer than %d bytes",
                           FERN_USE_PATH_MAX)
             : check_path(mc, full, p);
    snprintf(route.path, sizeof route.path, "%s", full);
    for (size_t j = 0; rc == FERN_OK && j < decl->use_count; j++)
      if (strcmp(decl->uses[j].path, route.path) == 0)
        rc = fern__mfail(mc, p, "two uses appear at \"%s\"", route.path);
      else if (path_within(decl->uses[j].path, route.path) ||
               path_within(route.path, decl->uses[j].path))
        rc = fern__mfail(mc, p, "\"%s\" and \"%s\" overlap: one would be "
                                "a directory holding the other",
                         route.path, decl->uses[j].path);
    if (rc == FERN_OK)
      rc = add_route(mc, &decl->uses, &decl->use_count, &route);
  }
  free(names);
  return rc;
}

/* An offer's or expose's names, and its "as" (a new name, only for one). */
static int read_names_as(fern__mcheck *mc, const json_t *entry, const char *at,
                         fern__route_kind kind, const char ***names,
                         size_t *count, const char **as) {
  int rc = fern__mr_read_names(mc, entry, at, kind, names, count);
  if (rc == FERN_OK)
    rc = fern__mr_single_only(mc, entry, at, "as", *count);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "as", 0, as);
  if (rc == FERN_OK && *as != NULL) {
    fern__pointer p;
    snprintf(p, sizeof p, "%s/as", at);
    rc = fern__mcheck_name(mc, *as, p, fern__route_kind_name(kind));
  }
  return rc;
}

/* One offer to one target. */
static int add_offer(fern__mcheck *mc, fern__decl *decl, const char *at,
                     fern__route_decl *route, const char *to, size_t to_index,
                     int to_many) {
  fern__pointer p;
  snprintf(p, sizeof p, to_many ? "%s/to/%zu" : "%s/to", at, to_index);
  int rc = fern__mr_read_ref(mc, to, p, "\"#<child>\" or \"#<collection>\"", 1,
                    &route->to);
  if (rc == FERN_OK && route->from.kind == FERN_REF_CHILD &&
      strcmp(route->from.name, route->to.name) == 0)
    rc = fern__mfail(mc, p, "#%s is offered its own %s \"%s\"",
                     route->to.name, fern__route_kind_name(route->kind),
                     route->name);
  if (rc == FERN_OK)
    rc = check_unique_target(mc, decl->offers, decl->offer_count, route, at,
                             "offered");
  return rc == FERN_OK ? add_route(mc, &decl->offers, &decl->offer_count, route)
                       : rc;
}

static int read_offer(fern__mcheck *mc, fern__decl *decl, const json_t *entry,
                      const char *at, unsigned index, fern__route_kind kind) {
  static const char *const protocol_keys[] = {"protocol", "from", "to", "as",
                                              "dependency", NULL};
  static const char *const directory_keys[] = {
      "directory", "from", "to", "as", "dependency", "rights", "subdir", NULL};
  static const char *const storage_keys[] = {"storage", "from", "to", "as",
                                             "dependency", NULL};
  /* CML's offer of a runner or resolver: no dependency (cml's
   * offer_runner, offer_resolver). */
  static const char *const runner_keys[] = {"runner", "from", "to", "as",
                                            NULL};
  static const char *const resolver_keys[] = {"resolver", "from", "to", "as",
                                              NULL};
  static const char *const *const keys[] = {protocol_keys, directory_keys,
                                            storage_keys, runner_keys,
                                            resolver_keys};
  fern__route_decl route = {.kind = kind, .index = index};
  const char **names = NULL;
  size_t count = 0;
  const char *as = NULL;
  int rc = fern__mcheck_keys(mc, entry, at, "an offer", keys[kind]);
  if (rc == FERN_OK)
    rc = read_names_as(mc, entry, at, kind, &names, &count, &as);
  if (rc == FERN_OK)
    rc = read_directory_route(mc, entry, at, count, 0, &route);
  /* Storage comes from where it is declared or from above, never from a
   * child (CML's offer of storage: "parent" or "self"). */
  if (rc == FERN_OK)
    rc = kind == FERN_ROUTE_STORAGE
             ? fern__mr_read_ref_key(mc, entry, at, "from", NULL,
                            "\"parent\" or \"self\" (storage is never "
                            "exposed)",
                            0, &route.from)
             : fern__mr_read_ref_key(mc, entry, at, "from", NULL,
                            "\"parent\", \"self\" or \"#<child>\"", 0,
                            &route.from);
  if (rc == FERN_OK)
    rc = read_dependency(mc, entry, at, &route.weak);
  const json_t *to = json_object_get(entry, "to");
  if (rc == FERN_OK && (to == NULL || (json_is_array(to) &&
                                       json_array_size(to) == 0))) {
    fern__pointer p;
    snprintf(p, sizeof p, "%s%s", at, to ? "/to" : "");
    rc = fern__mfail(mc, p, "an offer needs \"to\": \"#<child>\", "
                            "\"#<collection>\" or a list of them");
  }
  for (size_t i = 0; rc == FERN_OK && i < count; i++) {
    route.name = names[i];
    route.target = as ? as : names[i];
    rc = check_self(mc, at, "offered", &route);
    size_t n = json_is_array(to) ? json_array_size(to) : 1;
    for (size_t t = 0; rc == FERN_OK && t < n; t++)
      rc = add_offer(mc, decl, at, &route,
                     json_string_value(json_is_array(to) ? json_array_get(to, t)
                                                         : to),
                     t, json_is_array(to));
  }
  free(names);
  return rc;
}

static int read_expose(fern__mcheck *mc, fern__decl *decl, const json_t *entry,
                       const char *at, unsigned index, fern__route_kind kind) {
  static const char *const protocol_keys[] = {"protocol", "from", "as", "to",
                                              NULL};
  static const char *const directory_keys[] = {
      "directory", "from", "as", "to", "rights", "subdir", NULL};
  static const char *const runner_keys[] = {"runner", "from", "as", "to",
                                            NULL};
  static const char *const resolver_keys[] = {"resolver", "from", "as", "to",
                                              NULL};
  static const char *const *const keys[] = {protocol_keys, directory_keys,
                                            NULL, runner_keys, resolver_keys};
  fern__route_decl route = {
      .kind = kind, .to = {FERN_REF_PARENT, NULL}, .index = index};
  const char **names = NULL;
  size_t count = 0;
  const char *as = NULL, *to = NULL;
  if (kind == FERN_ROUTE_STORAGE)
    return fern__mfail(mc, at, "storage is not exposed, as in CML: a "
                               "component's storage is offered down from "
                               "where it is declared");
  int rc = fern__mcheck_keys(mc, entry, at, "an expose", keys[kind]);
  if (rc == FERN_OK)
    rc = read_names_as(mc, entry, at, kind, &names, &count, &as);
  if (rc == FERN_OK)
    rc = read_directory_route(mc, entry, at, count, 0, &route);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "to", 0, &to);
  /* An expose to the framework is for component_manager itself (the
   * inspect shard's diagnostics directory, for its archivist): fern's
   * manager reads no such capability, so the expose is checked and left
   * out, said in verbose logs. */
  int to_framework = to != NULL && strcmp(to, "framework") == 0;
  if (rc == FERN_OK && to_framework)
    fern__log(FERN_LOG_DEBUG, NULL,
              "%s: the expose at %s is to \"framework\", which reads "
              "nothing in fern: it is left out",
              decl->origin, at);
  if (rc == FERN_OK && to != NULL && strcmp(to, "parent") != 0 &&
      !to_framework) {
    fern__pointer p;
    snprintf(p, sizeof p, "%s/to", at);
    const char *feature = fern__cml_unsupported_ref(to);
    rc = feature != NULL
             ? fern__mfail(mc, p, "exposing to \"%s\" is CML's %s, which "
                                  "fern does not support",
                           to, feature)
             : fern__mfail(mc, p, "a capability is exposed to \"parent\"; "
                                  "got \"%s\"",
                           to);
  }
  if (rc == FERN_OK)
    rc = fern__mr_read_ref_key(mc, entry, at, "from", NULL,
                      "\"self\" or \"#<child>\"", 0, &route.from);
  for (size_t i = 0; rc == FERN_OK && i < count; i++) {
    route.name = names[i];
    route.target = as ? as : names[i];
    rc = check_self(mc, at, "exposed", &route);
    if (rc == FERN_OK && !to_framework)
      rc = check_unique_target(mc, decl->exposes, decl->expose_count, &route,
                               at, "exposed");
    if (rc == FERN_OK && !to_framework)
      rc = add_route(mc, &decl->exposes, &decl->expose_count, &route);
  }
  free(names);
  return rc;
}

int fern__manifest_routes(fern__mcheck *mc, fern__decl *decl) {
  int rc = each_entry(mc, decl, "capabilities", "\"capabilities\"",
                      fern__mr_read_capability);
  if (rc == FERN_OK)
    rc = fern__mr_check_backing_dirs(mc, decl);
  if (rc == FERN_OK)
    rc = each_entry(mc, decl, "use", "\"use\"", read_use);
  if (rc == FERN_OK)
    rc = each_entry(mc, decl, "offer", "\"offer\"", read_offer);
  if (rc == FERN_OK)
    rc = each_entry(mc, decl, "expose", "\"expose\"", read_expose);
  if (rc == FERN_OK)
    rc = fern__manifest_cycles(mc, decl);
  return rc;
}
