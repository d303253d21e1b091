/* route_report.c - see route_report.h. */
#include <string.h>

#include "resolve_dispatch.h"
#include "route_report.h"
#include "routes.h"

/* "parent", "self" or "#name", as a manifest says it. */
static json_t *ref_json(const fern__ref *ref) {
  switch (ref->kind) {
  case FERN_REF_PARENT:
    return json_string("parent");
  case FERN_REF_SELF:
    return json_string("self");
  case FERN_REF_CHILD:
    break;
  }
  return json_sprintf("#%s", ref->name);
}

static const char *dependency(const fern__route_decl *route) {
  return route->weak ? "weak" : "strong";
}

/* {"protocol": NAME} or {"directory": NAME}, as CML names one, with a
 * directory's rights and subdir where the route gives them. */
static json_t *named(const fern__route_decl *route) {
  json_t *obj = json_pack("{s:s}", fern__route_kind_name(route->kind),
                          route->name);
  if (route->kind == FERN_ROUTE_DIRECTORY && route->rights != 0) {
    char rights[160];
    fern__rights_format(route->rights, rights, sizeof rights);
    json_object_set_new(obj, "rights", json_string(rights));
  }
  if (route->subdir != NULL)
    json_object_set_new(obj, "subdir", json_string(route->subdir));
  return obj;
}

static json_t *use_json(const fern__route_decl *use) {
  json_t *obj = named(use);
  json_object_update_new(
      obj, json_pack("{s:o, s:s, s:s, s:s}", "from", ref_json(&use->from),
                     "path", use->path, "dependency", dependency(use),
                     "availability", use->optional ? "optional" : "required"));
  return obj;
}

static json_t *offer_json(const fern__route_decl *offer) {
  json_t *obj = named(offer);
  json_object_update_new(
      obj, json_pack("{s:o, s:o, s:s, s:s}", "from", ref_json(&offer->from),
                     "to", ref_json(&offer->to), "as", offer->target,
                     "dependency", dependency(offer)));
  return obj;
}

static json_t *expose_json(const fern__route_decl *expose) {
  json_t *obj = named(expose);
  json_object_update_new(
      obj, json_pack("{s:o, s:s, s:s}", "from", ref_json(&expose->from), "to",
                     "parent", "as", expose->target));
  return obj;
}

static json_t *list_json(const fern__route_decl *list, size_t count,
                         json_t *(*one)(const fern__route_decl *)) {
  json_t *array = json_array();
  for (size_t i = 0; i < count; i++)
    json_array_append_new(array, one(&list[i]));
  return array;
}

void fern__route_report_declared(json_t *shown, const fern__decl *decl) {
  json_object_set_new(shown, "uses",
                      list_json(decl->uses, decl->use_count, use_json));
  json_object_set_new(shown, "exposes",
                      list_json(decl->exposes, decl->expose_count,
                                expose_json));
  json_object_set_new(shown, "offers",
                      list_json(decl->offers, decl->offer_count, offer_json));
}

/* The hops of one trace, and the last one's place. */
typedef struct trace_s {
  json_t *hops;
  const fern__instance *last_at;
  fern__ref last_from;
} trace;

static void on_hop(const fern__route_hop *hop, void *arg) {
  trace *t = arg;
  json_array_append_new(
      t->hops, json_pack("{s:s, s:s, s:s, s:o, s:s}", "moniker",
                         hop->at->moniker, "verb", hop->verb,
                         fern__route_kind_name(hop->kind), hop->name, "from",
                         ref_json(&hop->from), "as", hop->target));
  t->last_at = hop->at;
  t->last_from = hop->from;
}

/* The child a pending route waits for: where its last hop points. */
static const char *waiting_for(const trace *t) {
  if (t->last_at == NULL || t->last_from.kind != FERN_REF_CHILD)
    return "?";
  for (size_t i = 0; i < t->last_at->child_count; i++)
    if (strcmp(t->last_at->children[i]->name, t->last_from.name) == 0)
      return t->last_at->children[i]->moniker;
  return "?";
}

static json_t *use_report(const fern__instance *instance,
                          const fern__route_decl *use) {
  trace t = {json_array(), NULL, {FERN_REF_SELF, NULL}};
  const fern__instance *provider = NULL;
  fern_error_t err = FERN_ERROR_INIT;
  int rc = fern__route_trace(instance, use, on_hop, &t, &provider, &err);
  json_t *report = named(use);
  json_object_update_new(report, json_pack("{s:s, s:b}", "path", use->path,
                                           "optional", use->optional));
  if (rc == FERN_OK) {
    json_object_set_new(report, "status", json_string("routed"));
    json_object_set_new(report, "provider", json_string(provider->moniker));
    json_object_set_new(report, "provider_state",
                        json_string(fern__instance_state_name(provider)));
    json_object_set_new(report, "provider_running",
                        json_boolean(fern__instance_is_live(provider)));
  } else if (rc == FERN__ROUTE_PENDING) {
    json_object_set_new(report, "status", json_string("pending"));
    json_object_set_new(report, "waiting_for", json_string(waiting_for(&t)));
  } else {
    json_object_set_new(report, "status", json_string(use->optional
                                                          ? "unavailable"
                                                          : "broken"));
    json_object_set_new(report, "error", json_string(err.message));
  }
  json_object_set_new(report, "hops", t.hops);
  return report;
}

json_t *fern__route_report_uses(const fern__instance *instance) {
  const fern__decl *decl = fern__instance_decl(instance);
  json_t *uses = json_array();
  for (size_t i = 0; decl != NULL && i < decl->use_count; i++)
    json_array_append_new(uses, use_report(instance, &decl->uses[i]));
  return uses;
}
