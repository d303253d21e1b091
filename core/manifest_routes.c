/* manifest_routes.c - the protocols a manifest declares and routes, in
 * CML's vocabulary: "capabilities" ({"protocol": ...}), "use", "offer" and
 * "expose". Each is checked within its own manifest as cmc checks a .cml
 * (Fuchsia's tools/lib/cml/src/lib.rs and validate.rs): a name or a list
 * of unique names; "as" and "path" only with one name; a "#name" that is
 * a child (or, as an offer's target, a collection) of this manifest; what
 * is routed from "self" declared in "capabilities"; no two routes to the
 * same name at one target; a used path absolute, within the namespace's
 * room; no cycle of strong dependencies (manifest_cycles.c). Routes
 * across manifests are followed once the tree is resolved. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decl.h"
#include "manifest_check.h"

/* The names of a declaration's "protocol": one, or a nonempty array of
 * unique ones. `names` is the caller's to free. */
static int read_names(fern__mcheck *mc, const json_t *entry, const char *at,
                      const char ***names, size_t *count) {
  fern__pointer p;
  snprintf(p, sizeof p, "%s/protocol", at);
  const json_t *v = json_object_get(entry, "protocol");
  size_t n = json_is_array(v) ? json_array_size(v) : 1;
  if (!json_is_string(v) && (!json_is_array(v) || n == 0))
    return fern__mfail(mc, p, "\"protocol\" must be a name or a nonempty "
                              "array of names");
  if ((*names = calloc(n, sizeof **names)) == NULL)
    return fern_error_set(mc->err, FERN_ENOMEM, NULL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const json_t *item = json_is_array(v) ? json_array_get(v, i) : v;
    fern__pointer ip;
    snprintf(ip, sizeof ip, json_is_array(v) ? "%s/%zu" : "%s", p, i);
    (*names)[i] = json_string_value(item);
    if ((*names)[i] == NULL)
      return fern__mfail(mc, ip, "\"protocol\" must hold names");
    int rc = fern__mcheck_name(mc, (*names)[i], ip, "protocol");
    if (rc != FERN_OK)
      return rc;
    for (size_t j = 0; j < i; j++)
      if (strcmp((*names)[j], (*names)[i]) == 0)
        return fern__mfail(mc, ip, "\"%s\" is named twice in \"protocol\"",
                           (*names)[i]);
  }
  *count = n;
  return FERN_OK;
}

/* "as" or "path": only where one protocol is named (cml's from_clause). */
static int single_only(fern__mcheck *mc, const json_t *entry, const char *at,
                       const char *key, size_t count) {
  if (count == 1 || json_object_get(entry, key) == NULL)
    return FERN_OK;
  fern__pointer p;
  snprintf(p, sizeof p, "%s/%s", at, key);
  return fern__mfail(mc, p, "\"%s\" can only be given when one protocol is "
                            "named",
                     key);
}

static int is_child(const fern__decl *decl, const char *name) {
  for (size_t i = 0; i < decl->child_count; i++)
    if (strcmp(decl->children[i].name, name) == 0)
      return 1;
  return 0;
}

/* Reads a reference: "parent", "self" or "#name" where each is allowed;
 * "#name" must be a child, or with `collections` a collection too. */
static int read_ref(fern__mcheck *mc, const char *value, const char *p,
                    const char *allowed, int collections, fern__ref *out) {
  if (value != NULL && strcmp(value, "parent") == 0 && strstr(allowed, "parent")) {
    *out = (fern__ref){FERN_REF_PARENT, NULL};
    return FERN_OK;
  }
  if (value != NULL && strcmp(value, "self") == 0 && strstr(allowed, "self")) {
    *out = (fern__ref){FERN_REF_SELF, NULL};
    return FERN_OK;
  }
  if (value == NULL || value[0] != '#')
    return fern__mfail(mc, p, "expected %s; got \"%s\"", allowed,
                       value ? value : "(not a string)");
  const char *name = value + 1;
  if (!is_child(mc->decl, name) &&
      !(collections && fern__decl_find_collection(mc->decl, name) != NULL))
    return fern__mfail(mc, p, "\"%s\": this manifest has no child%s named "
                              "\"%s\"",
                       value, collections ? " or collection" : "", name);
  *out = (fern__ref){FERN_REF_CHILD, name};
  return FERN_OK;
}

static int read_ref_key(fern__mcheck *mc, const json_t *entry, const char *at,
                        const char *key, const char *fallback,
                        const char *allowed, int collections, fern__ref *out) {
  fern__pointer p;
  snprintf(p, sizeof p, "%s/%s", at, key);
  const json_t *v = json_object_get(entry, key);
  if (v == NULL && fallback != NULL)
    return read_ref(mc, fallback, p, allowed, collections, out);
  return read_ref(mc, json_string_value(v), p, allowed, collections, out);
}

static int declared(const fern__decl *decl, const char *name) {
  for (size_t i = 0; i < decl->protocol_count; i++)
    if (strcmp(decl->protocols[i].name, name) == 0)
      return 1;
  return 0;
}

/* What is routed from "self" is what this component declares it serves. */
static int check_self(fern__mcheck *mc, const char *at, const char *verb,
                      const fern__ref *from, const char *name) {
  if (from->kind != FERN_REF_SELF || declared(mc->decl, name))
    return FERN_OK;
  fern__pointer p;
  snprintf(p, sizeof p, "%s/from", at);
  return fern__mfail(mc, p, "protocol \"%s\" is %s from self, so it must be "
                            "declared as a \"protocol\" in \"capabilities\"",
                     name, verb);
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
                        const json_t *entry, const char *at, unsigned index);

/* Entries without "protocol" are another parser's in "use" and
 * "capabilities" (runners, resolvers); in "offer" and "expose" they are
 * errors: a protocol is the one kind fern routes. */
static int each_entry(fern__mcheck *mc, fern__decl *decl, const char *key,
                      const char *what, entry_fn fn) {
  int protocols_only = strcmp(key, "offer") == 0 || strcmp(key, "expose") == 0;
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
    if (rc == FERN_OK && json_object_get(entry, "protocol") != NULL)
      rc = fn(mc, decl, entry, at, (unsigned)i);
    else if (rc == FERN_OK && protocols_only)
      rc = fern__mfail(mc, at, "%s routes a \"protocol\", the one kind of "
                               "capability fern routes",
                       key);
  }
  return rc;
}

static int read_capability(fern__mcheck *mc, fern__decl *decl,
                           const json_t *entry, const char *at,
                           unsigned index) {
  static const char *const keys[] = {"protocol", "path", NULL};
  const char **names = NULL;
  size_t count = 0;
  const char *path = NULL;
  int rc = fern__mcheck_keys(mc, entry, at, "a protocol capability", keys);
  (void)index;
  if (rc == FERN_OK)
    rc = read_names(mc, entry, at, &names, &count);
  if (rc == FERN_OK)
    rc = single_only(mc, entry, at, "path", count);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "path", 0, &path);
  for (size_t i = 0; rc == FERN_OK && i < count; i++) {
    if (declared(decl, names[i])) {
      rc = fern__mfail(mc, at, "protocol \"%s\" is declared twice", names[i]);
      break;
    }
    fern__protocol_decl *grown =
        realloc(decl->protocols, (decl->protocol_count + 1) * sizeof *grown);
    if (grown == NULL) {
      rc = fern_error_set(mc->err, FERN_ENOMEM, NULL, "out of memory");
      break;
    }
    decl->protocols = grown;
    decl->protocols[decl->protocol_count++] =
        (fern__protocol_decl){names[i], path};
  }
  free(names);
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
      return fern__mfail(mc, at, "protocol \"%s\" is %s %s%s twice",
                         route->target, verb,
                         route->to.kind == FERN_REF_CHILD ? "to #" : "to the ",
                         route->to.kind == FERN_REF_CHILD ? route->to.name
                                                          : "parent");
  }
  return FERN_OK;
}

static int read_use(fern__mcheck *mc, fern__decl *decl, const json_t *entry,
                    const char *at, unsigned index) {
  static const char *const keys[] = {"protocol", "from", "path", "dependency",
                                     "availability", NULL};
  static const char *const availabilities[] = {"required", "optional", NULL};
  fern__route_decl route = {.to = {FERN_REF_SELF, NULL}, .index = index};
  const char **names = NULL;
  size_t count = 0;
  const char *path = NULL;
  int rc = fern__mcheck_keys(mc, entry, at, "a use declaration", keys);
  if (rc == FERN_OK)
    rc = read_names(mc, entry, at, &names, &count);
  if (rc == FERN_OK)
    rc = single_only(mc, entry, at, "path", count);
  if (rc == FERN_OK)
    rc = read_ref_key(mc, entry, at, "from", "parent", "\"parent\" or "
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
    snprintf(p, sizeof p, "%s/%s", at, path ? "path" : "protocol");
    route.name = route.target = names[i];
    char full[FERN_USE_PATH_MAX + FERN_NAME_MAX + 8]; /* CML's default */
    snprintf(full, sizeof full, "%s%s", path ? "" : "/svc/",
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
                         const char ***names, size_t *count, const char **as) {
  int rc = read_names(mc, entry, at, names, count);
  if (rc == FERN_OK)
    rc = single_only(mc, entry, at, "as", *count);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "as", 0, as);
  if (rc == FERN_OK && *as != NULL) {
    fern__pointer p;
    snprintf(p, sizeof p, "%s/as", at);
    rc = fern__mcheck_name(mc, *as, p, "protocol");
  }
  return rc;
}

/* One offer to one target. */
static int add_offer(fern__mcheck *mc, fern__decl *decl, const char *at,
                     fern__route_decl *route, const char *to, size_t to_index,
                     int to_many) {
  fern__pointer p;
  snprintf(p, sizeof p, to_many ? "%s/to/%zu" : "%s/to", at, to_index);
  int rc = read_ref(mc, to, p, "\"#<child>\" or \"#<collection>\"", 1,
                    &route->to);
  if (rc == FERN_OK && route->from.kind == FERN_REF_CHILD &&
      strcmp(route->from.name, route->to.name) == 0)
    rc = fern__mfail(mc, p, "#%s is offered its own protocol \"%s\"",
                     route->to.name, route->name);
  if (rc == FERN_OK)
    rc = check_unique_target(mc, decl->offers, decl->offer_count, route, at,
                             "offered");
  return rc == FERN_OK ? add_route(mc, &decl->offers, &decl->offer_count, route)
                       : rc;
}

static int read_offer(fern__mcheck *mc, fern__decl *decl, const json_t *entry,
                      const char *at, unsigned index) {
  static const char *const keys[] = {"protocol", "from", "to", "as",
                                     "dependency", NULL};
  fern__route_decl route = {.index = index};
  const char **names = NULL;
  size_t count = 0;
  const char *as = NULL;
  int rc = fern__mcheck_keys(mc, entry, at, "an offer", keys);
  if (rc == FERN_OK)
    rc = read_names_as(mc, entry, at, &names, &count, &as);
  if (rc == FERN_OK)
    rc = read_ref_key(mc, entry, at, "from", NULL,
                      "\"parent\", \"self\" or \"#<child>\"", 0, &route.from);
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
    rc = check_self(mc, at, "offered", &route.from, route.name);
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
                       const char *at, unsigned index) {
  static const char *const keys[] = {"protocol", "from", "as", "to", NULL};
  fern__route_decl route = {.to = {FERN_REF_PARENT, NULL}, .index = index};
  const char **names = NULL;
  size_t count = 0;
  const char *as = NULL, *to = NULL;
  int rc = fern__mcheck_keys(mc, entry, at, "an expose", keys);
  if (rc == FERN_OK)
    rc = read_names_as(mc, entry, at, &names, &count, &as);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "to", 0, &to);
  if (rc == FERN_OK && to != NULL && strcmp(to, "parent") != 0) {
    fern__pointer p;
    snprintf(p, sizeof p, "%s/to", at);
    rc = fern__mfail(mc, p, "a protocol is exposed to \"parent\"; got \"%s\"",
                     to);
  }
  if (rc == FERN_OK)
    rc = read_ref_key(mc, entry, at, "from", NULL,
                      "\"self\" or \"#<child>\"", 0, &route.from);
  for (size_t i = 0; rc == FERN_OK && i < count; i++) {
    route.name = names[i];
    route.target = as ? as : names[i];
    rc = check_self(mc, at, "exposed", &route.from, route.name);
    if (rc == FERN_OK)
      rc = check_unique_target(mc, decl->exposes, decl->expose_count, &route,
                               at, "exposed");
    if (rc == FERN_OK)
      rc = add_route(mc, &decl->exposes, &decl->expose_count, &route);
  }
  free(names);
  return rc;
}

int fern__manifest_routes(fern__mcheck *mc, fern__decl *decl) {
  int rc = each_entry(mc, decl, "capabilities", "\"capabilities\"",
                      read_capability);
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
