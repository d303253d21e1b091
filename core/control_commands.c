/* control_commands.c - what the control socket can be asked: list, show,
 * route, start, stop, restart, create, destroy, events. What changes a
 * component is an input to its lifecycle (lifecycle.h), answered once
 * handled: a start once it is under way (or refused), a stop once the
 * subtree has ended. */
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "control_cost.h"
#include "manager.h"
#include "route_report.h"

static const char *arg_string(const json_t *message, const char *key) {
  return json_string_value(json_object_get(message, key));
}

static fern__instance *find_or_fail(fern__manager *manager,
                                    fern__request *request,
                                    const json_t *message) {
  const char *moniker = arg_string(message, "moniker");
  fern__instance *instance =
      moniker ? fern__instance_find(manager->root, moniker) : NULL;
  if (moniker == NULL)
    fern__control_fail(request, "missing \"moniker\"");
  else if (instance == NULL)
    fern__control_fail(request, "no component %s", moniker);
  return instance;
}

/* Its manifest, once resolved; else NULL. */
static const fern__decl *decl_of(const fern__instance *instance) {
  return instance->resolution ? instance->resolution->decl : NULL;
}

static const char *runner_of(const fern__instance *instance) {
  return decl_of(instance) != NULL ? decl_of(instance)->runner : NULL;
}

static json_t *summary(const fern__instance *instance) {
  return json_pack("{s:s, s:s, s:s, s:s, s:b}", "moniker", instance->moniker,
                   "state", fern__instance_state_name(instance), "url",
                   instance->url, "startup",
                   instance->startup == FERN_STARTUP_EAGER ? "eager" : "lazy",
                   "dynamic", instance->dynamic);
}

typedef struct list_filter_s {
  const char *state; /* "running", "stopped" or NULL */
  json_t *rows;
  int wide; /* each row with its cost (fern list --wide, fern top) */
} list_filter;

static int is_running(const fern__instance *instance) {
  return fern__instance_is_live(instance);
}

static void list_one(fern__instance *instance, void *arg) {
  list_filter *filter = arg;
  if (instance->state == FERN_STATE_CREATING)
    return;
  if (filter->state != NULL &&
      (strcmp(filter->state, "running") == 0) != is_running(instance))
    return;
  json_t *row = summary(instance);
  if (filter->wide)
    json_object_set_new(row, "cost", fern__control_cost(instance));
  json_array_append_new(filter->rows, row);
}

static void cmd_list(fern__manager *manager, fern__request *request,
                     const json_t *message) {
  const char *state = arg_string(message, "state");
  const char *subtree = arg_string(message, "subtree");
  if (state != NULL && strcmp(state, "running") != 0 &&
      strcmp(state, "stopped") != 0) {
    fern__control_fail(request, "\"state\" must be \"running\" or \"stopped\"");
    return;
  }
  fern__instance *top = subtree ? fern__instance_find(manager->root, subtree)
                                : manager->root;
  if (top == NULL) {
    fern__control_fail(request, "no component %s", subtree);
    return;
  }
  list_filter filter = {state, json_array(),
                        json_is_true(json_object_get(message, "wide"))};
  fern__instance_walk(top, list_one, &filter);
  fern__control_reply(request, filter.rows);
}

static json_t *last_exit(const fern__instance *instance) {
  if (instance->runs == 0)
    return json_null();
  json_t *exit = json_pack("{s:s}", "status",
                           fern_stop_status_name(instance->status));
  if (instance->term_signal > 0)
    json_object_set_new(exit, "signal",
                        json_string(sigabbrev_np(instance->term_signal)
                                        ? sigabbrev_np(instance->term_signal)
                                        : "?"));
  else if (instance->exit_code >= 0)
    json_object_set_new(exit, "exit_code", json_integer(instance->exit_code));
  if (instance->status == FERN_STOP_CANNOT_START && instance->error)
    json_object_set_new(exit, "message", json_string(instance->error));
  return exit;
}

static json_t *readiness(const fern__instance *instance) {
  if (!instance->run.awaits_ready)
    return json_pack("{s:s, s:s?}", "ready", "not tracked", "status",
                     instance->status_text);
  int ready = instance->state == FERN_STATE_READY;
  return json_pack("{s:s, s:s?}", "ready", ready ? "yes" : "no", "status",
                   instance->status_text);
}

static void cmd_show(fern__manager *manager, fern__request *request,
                     const json_t *message) {
  fern__instance *instance = find_or_fail(manager, request, message);
  if (instance == NULL)
    return;
  int running = is_running(instance);
  json_t *shown = summary(instance);
  json_object_set_new(
      shown, "resolved_url",
      instance->resolution ? json_string(instance->resolution->resolved_url)
                           : json_null());
  json_object_set_new(shown, "environment", json_string(instance->env->label));
  json_object_set_new(shown, "runner", runner_of(instance)
                                           ? json_string(runner_of(instance))
                                           : json_null());
  json_object_set_new(shown, "start_reason",
                      instance->start_reason
                          ? json_string(instance->start_reason)
                          : json_null());
  json_object_set_new(shown, "pid", running && instance->run.pid > 0
                                        ? json_integer(instance->run.pid)
                                        : json_null());
  json_object_set_new(shown, "running_since",
                      running && instance->started_at > 0
                          ? json_real(instance->started_at)
                          : json_null());
  json_object_set_new(shown, "last_exit", last_exit(instance));
  json_object_set_new(shown, "restart_count",
                      json_integer(instance->restart_count));
  json_object_set_new(shown, "readiness", readiness(instance));
  json_object_set_new(shown, "cost", fern__control_cost(instance));
  if (instance->collection != NULL)
    json_object_set_new(shown, "collection", json_string(instance->collection));
  if (instance->error != NULL)
    json_object_set_new(shown, "error", json_string(instance->error));
  /* What ffx component show calls its Configuration. */
  if (instance->config != NULL)
    json_object_set(shown, "config", instance->config);
  if (decl_of(instance) != NULL)
    fern__route_report_declared(shown, decl_of(instance));
  fern__control_reply(request, shown);
}

/* Where each protocol the component uses comes from, now. */
static void cmd_route(fern__manager *manager, fern__request *request,
                      const json_t *message) {
  fern__instance *instance = find_or_fail(manager, request, message);
  if (instance == NULL)
    return;
  if (decl_of(instance) == NULL) {
    fern__control_fail(request,
                       "%s is %s: what it uses is known once its manifest "
                       "is resolved",
                       instance->moniker, fern__instance_state_name(instance));
    return;
  }
  fern__control_reply(request,
                      json_pack("{s:s, s:s, s:o}", "moniker",
                                instance->moniker, "state",
                                fern__instance_state_name(instance), "uses",
                                fern__route_report_uses(instance)));
}

/* Answers a start or a stop with the component as it is now. */
static void answer(void *arg, fern__instance *instance, const char *error) {
  if (error != NULL)
    fern__control_fail(arg, "%s", error);
  else
    fern__control_reply(arg, summary(instance));
}

static void post_start(fern__instance *instance, fern__request *request) {
  fern__lc_post_start(instance, "request", answer, request);
}

static void post_stop(fern__instance *instance, fern__request *request) {
  fern__lc_post_stop(instance, answer, request);
}

/* Once the stop is done, the start: one request, as systemctl restart. */
static void start_after_stop(void *arg, fern__instance *instance,
                             const char *error) {
  if (error != NULL)
    fern__control_fail(arg, "%s", error);
  else
    fern__lc_post_start(instance, "restart", answer, arg);
}

static void post_restart(fern__instance *instance, fern__request *request) {
  fern__lc_post_stop(instance, start_after_stop, request);
}

/* start, stop, restart: an input for the component the request names. */
static void on_one(fern__manager *manager, fern__request *request,
                   const json_t *message,
                   void (*post)(fern__instance *, fern__request *)) {
  fern__instance *instance = find_or_fail(manager, request, message);
  if (instance != NULL)
    post(instance, request);
}

static void cmd_start(fern__manager *manager, fern__request *request,
                      const json_t *message) {
  on_one(manager, request, message, post_start);
}

static void cmd_stop(fern__manager *manager, fern__request *request,
                     const json_t *message) {
  on_one(manager, request, message, post_stop);
}

static void cmd_restart(fern__manager *manager, fern__request *request,
                        const json_t *message) {
  on_one(manager, request, message, post_restart);
}

static void create_done(void *arg, fern__instance *child, const char *error) {
  if (child == NULL)
    fern__control_fail(arg, "%s", error);
  else
    fern__control_reply(arg, summary(child));
}

static void cmd_create(fern__manager *manager, fern__request *request,
                       const json_t *message) {
  const char *collection = arg_string(message, "collection");
  const char *name = arg_string(message, "name");
  const char *url = arg_string(message, "url");
  const json_t *overrides = json_object_get(message, "config_overrides");
  if (collection == NULL || name == NULL || url == NULL) {
    fern__control_fail(request, "create needs \"collection\" (a collection "
                                "moniker like /parent/workers), \"name\" and "
                                "\"url\"");
    return;
  }
  const char *slash = strrchr(collection, '/');
  char parent_moniker[4096];
  snprintf(parent_moniker, sizeof parent_moniker, "%.*s",
           slash && slash != collection ? (int)(slash - collection) : 1,
           slash ? collection : "/");
  fern__instance *parent = slash ? fern__instance_find(manager->root,
                                                       parent_moniker)
                                 : NULL;
  fern_error_t err = FERN_ERROR_INIT;
  if (parent == NULL)
    fern__control_fail(request, "no component %s (from collection moniker %s)",
                       parent_moniker, collection);
  else if (overrides != NULL && !json_is_array(overrides))
    fern__control_fail(request, "\"config_overrides\" is an array of "
                                "{\"key\": ..., \"value\": ...}");
  else if (fern__dynamic_create(parent, slash + 1, name, url, overrides,
                                create_done, request, &err) != FERN_OK)
    fern__control_fail(request, "%s", err.message);
}

static void destroy_done(void *arg, const char *error) {
  if (error != NULL)
    fern__control_fail(arg, "%s", error);
  else
    fern__control_reply(arg, json_pack("{s:b}", "destroyed", 1));
}

static void cmd_destroy(fern__manager *manager, fern__request *request,
                        const json_t *message) {
  fern__instance *instance = find_or_fail(manager, request, message);
  fern_error_t err = FERN_ERROR_INIT;
  if (instance != NULL &&
      fern__dynamic_destroy(instance, destroy_done, request, &err) != FERN_OK)
    fern__control_fail(request, "%s", err.message);
}

static void cmd_events(fern__manager *manager, fern__request *request,
                       const json_t *message) {
  if (json_is_true(json_object_get(message, "follow"))) {
    fern__control_follow_events(request);
    return;
  }
  json_t *history = json_array();
  const fern__events *events = &manager->events;
  for (size_t i = 0; i < events->count; i++)
    json_array_append_new(
        history, json_loads(events->history[(events->first + i) %
                                            FERN_EVENT_HISTORY],
                            0, NULL));
  fern__control_reply(request, history);
}

typedef struct command_s {
  const char *name;
  void (*run)(fern__manager *, fern__request *, const json_t *);
} command;

static const command commands[] = {
    {"list", cmd_list},       {"show", cmd_show},     {"route", cmd_route},
    {"start", cmd_start},     {"stop", cmd_stop},     {"restart", cmd_restart},
    {"create", cmd_create},   {"destroy", cmd_destroy},
    {"events", cmd_events},   {"logs", fern__control_logs},
};

void fern__control_dispatch(fern__manager *manager, fern__request *request,
                            const json_t *message) {
  const char *name = arg_string(message, "command");
  for (size_t i = 0; name != NULL && i < sizeof commands / sizeof *commands;
       i++) {
    if (strcmp(commands[i].name, name) == 0) {
      commands[i].run(manager, request, message);
      return;
    }
  }
  fern__control_fail(request,
                     "unknown command \"%s\" (expected list, show, route, "
                     "start, stop, restart, create, destroy, events or logs)",
                     name ? name : "");
}
