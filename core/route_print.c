/* route_print.c - see route_print.h. */
#include <stdio.h>
#include <string.h>

#include "route_print.h"

static const char *field(const json_t *obj, const char *key) {
  const char *value = json_string_value(json_object_get(obj, key));
  return value != NULL ? value : "?";
}

/* What a route or hop names: {"protocol": N}, {"directory": N} or
 * {"storage": N}. */
static const char *kind_of(const json_t *obj) {
  return json_object_get(obj, "directory") != NULL ? "directory"
         : json_object_get(obj, "storage") != NULL ? "storage"
                                                   : "protocol";
}

static const char *name_of(const json_t *obj) {
  return field(obj, kind_of(obj));
}

/* " with rights r*" for a directory route that names them. */
static void print_rights(const json_t *route) {
  if (json_object_get(route, "rights") != NULL)
    printf(" with rights %s", field(route, "rights"));
  if (json_object_get(route, "subdir") != NULL)
    printf(" (subdir %s)", field(route, "subdir"));
}

/* ` as "X"` when a route hands the protocol on under another name. */
static void print_as(const json_t *route) {
  const char *as = json_string_value(json_object_get(route, "as"));
  if (as != NULL && strcmp(as, name_of(route)) != 0)
    printf(" as \"%s\"", as);
}

static void print_hops(const json_t *hops) {
  size_t i;
  json_t *hop;
  printf("  ");
  json_array_foreach(hops, i, hop) {
    printf("%s%s %s \"%s\" from %s", i ? " -> " : "", field(hop, "moniker"),
           field(hop, "verb"), name_of(hop), field(hop, "from"));
    print_as(hop);
  }
  putchar('\n');
}

static void print_status(const json_t *use) {
  const char *status = field(use, "status");
  printf("%s \"%s\" at %s: %s", kind_of(use), name_of(use),
         field(use, "path"), status);
  if (strcmp(status, "routed") == 0 && strcmp(kind_of(use), "protocol") != 0)
    printf(" to %s's package\n", field(use, "provider"));
  else if (strcmp(status, "routed") == 0 &&
           json_is_true(json_object_get(use, "provider_running")))
    printf(" to %s, running\n", field(use, "provider"));
  else if (strcmp(status, "routed") == 0)
    printf(" to %s, not running (%s)\n", field(use, "provider"),
           field(use, "provider_state"));
  else if (strcmp(status, "pending") == 0)
    printf(": %s is still resolving\n", field(use, "waiting_for"));
  else
    printf("%s: %s\n", strcmp(status, "unavailable") == 0 ? " (optional)" : "",
           field(use, "error"));
}

void fern__print_route(const json_t *result) {
  const json_t *uses = json_object_get(result, "uses");
  if (json_array_size(uses) == 0)
    printf("%s uses no protocol, directory or storage\n",
           field(result, "moniker"));
  size_t i;
  json_t *use;
  json_array_foreach(uses, i, use) {
    print_status(use);
    print_hops(json_object_get(use, "hops"));
  }
}

/* One declared route: `protocol "echo" from #server to #client (strong)`. */
static void print_declared(const json_t *route) {
  printf("%s \"%s\" from %s", kind_of(route), name_of(route),
         field(route, "from"));
  if (json_object_get(route, "to") != NULL)
    printf(" to %s", field(route, "to"));
  print_as(route);
  print_rights(route);
  if (json_object_get(route, "path") != NULL)
    printf(" at %s", field(route, "path"));
  if (json_object_get(route, "dependency") != NULL)
    printf(" (%s%s)", field(route, "dependency"),
           strcmp(field(route, "availability"), "optional") == 0
               ? ", optional"
               : "");
  putchar('\n');
}

void fern__print_declared_routes(const json_t *shown) {
  static const char *const lists[][2] = {
      {"uses", "Uses:"}, {"exposes", "Exposes:"}, {"offers", "Offers:"}};
  for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
    const json_t *routes = json_object_get(shown, lists[l][0]);
    if (json_array_size(routes) == 0)
      printf("%-16s -\n", lists[l][1]);
    size_t i;
    json_t *route;
    json_array_foreach(routes, i, route) {
      printf("%-16s ", i == 0 ? lists[l][1] : "");
      print_declared(route);
    }
  }
}
