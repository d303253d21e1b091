/* cmd_tree.c - `fern tree URL|PATH`: resolves every static component and
 * prints the tree, starting nothing, with where each used protocol comes
 * from (routes.c); a broken route is an error. */
#include <stdio.h>

#include "env_routes.h"
#include "log_escape.h"
#include "manager.h"
#include "offline_tree.h"
#include "routes.h"

typedef struct tree_row_s {
  const char *moniker, *url, *runner, *environment, *startup;
  const char *error; /* or NULL */
  int runner_missing;
} tree_row;

/* Whether the runner it names cannot be had: not registered, or its
 * route broken. */
static int runner_missing(const fern__instance *instance,
                          const fern__decl *decl) {
  fern__capability *cap;
  fern_error_t err = FERN_ERROR_INIT;
  int rc = decl != NULL && decl->runner != NULL
               ? fern__instance_runner((fern__instance *)instance,
                                       decl->runner, &cap, &err)
               : FERN_OK;
  return rc != FERN_OK && rc != FERN__ROUTE_PENDING;
}

static void row_of(const fern__instance *instance, tree_row *row) {
  const fern__decl *decl =
      instance->resolution ? instance->resolution->decl : NULL;
  row->moniker = instance->moniker;
  row->url = instance->resolution ? instance->resolution->resolved_url
                                  : instance->url;
  row->runner = decl == NULL ? "?" : decl->runner ? decl->runner : "-";
  row->runner_missing = runner_missing(instance, decl);
  row->environment = instance->env->label;
  row->startup = instance->startup == FERN_STARTUP_EAGER ? "eager" : "lazy";
  row->error = instance->error;
}

typedef struct tree_print_s {
  int json;
  json_t *array;
  int errors;
} tree_print;

/* Each protocol or directory the instance uses, followed to its provider:
 * a JSON array of {"protocol" or "directory", "provider"} or {..., "error"}.
 * An optional use
 * with no route is no error: it is simply absent. */
static json_t *routes_of(const fern__instance *instance, int *errors) {
  const fern__decl *decl = fern__instance_decl(instance);
  json_t *routes = json_array();
  for (size_t i = 0; decl != NULL && i < decl->use_count; i++) {
    const fern__route_decl *use = &decl->uses[i];
    const fern__instance *provider = NULL;
    fern_error_t err = FERN_ERROR_INIT;
    int rc = fern__route_follow(instance, use, &provider, &err);
    if (rc != FERN_OK && use->optional)
      continue;
    *errors += rc != FERN_OK;
    const char *kind = fern__route_kind_name(use->kind);
    json_array_append_new(
        routes, rc == FERN_OK
                    ? json_pack("{s:s, s:s}", kind, use->name, "provider",
                                provider->moniker[0] ? provider->moniker : "/")
                    : json_pack("{s:s, s:s}", kind, use->name, "error",
                                err.message));
  }
  return routes;
}

static void print_routes(json_t *routes) {
  size_t i;
  json_t *route;
  json_array_foreach(routes, i, route) {
    char text[4096];
    const char *error = json_string_value(json_object_get(route, "error"));
    if (error != NULL)
      printf("  error: %s\n", fern__escape_shown(text, sizeof text, error));
    else {
      const char *kind = json_object_get(route, "directory") ? "directory"
                         : json_object_get(route, "storage") ? "storage"
                                                             : "protocol";
      printf("  uses %s \"%s\" from %s\n", kind,
             json_string_value(json_object_get(route, kind)),
             json_string_value(json_object_get(route, "provider")));
    }
  }
}

static void print_instance(fern__instance *instance, void *arg) {
  tree_print *tp = arg;
  tree_row row;
  row_of(instance, &row);
  tp->errors += row.error != NULL;
  json_t *routes = routes_of(instance, &tp->errors);
  if (tp->json) {
    json_array_append_new(
        tp->array,
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:o}", "moniker",
                  row.moniker, "url", row.url, "runner", row.runner,
                  "environment", row.environment, "startup", row.startup,
                  "runner_registered", !row.runner_missing, "error",
                  row.error, "routes", routes));
    return;
  }
  /* A URL, a name or an error may carry control bytes from a manifest:
   * a person's terminal gets them escaped, as the log does. */
  char moniker[4096], url[4096], error[4096], runner[512], env[512];
  printf("%-24s %-6s %-8s%s %-22s %s\n",
         fern__escape_shown(moniker, sizeof moniker, row.moniker),
         row.startup, fern__escape_shown(runner, sizeof runner, row.runner),
         row.runner_missing ? "!" : " ",
         fern__escape_shown(env, sizeof env, row.environment),
         fern__escape_shown(url, sizeof url, row.url));
  if (row.error != NULL)
    printf("  error: %s\n", fern__escape_shown(error, sizeof error, row.error));
  print_routes(routes);
  json_decref(routes);
}

static int print_tree(const fern__cli *cli, fern__instance *root,
                      const char *url) {
  (void)url;
  tree_print tp = {cli->json, json_array(), 0};
  if (!cli->json)
    printf("%-24s %-6s %-9s %-22s %s\n", "MONIKER", "START", "RUNNER",
           "ENVIRONMENT", "URL");
  fern__instance_walk(root, print_instance, &tp);
  if (cli->json)
    json_dumpf(tp.array, stdout, JSON_INDENT(2)), putchar('\n');
  json_decref(tp.array);
  return tp.errors > 0 ? 1 : 0;
}

int fern__cmd_tree(int argc, char **argv) {
  fern__cli cli = {.command = "tree",
                   .usage = "fern tree [OPTIONS] URL|PATH",
                   .summary = "Resolves the tree at URL or PATH and prints "
                              "each component's moniker, startup, runner,\n"
                              "environment and URL, without running "
                              "anything. A '!' after the runner means the\n"
                              "component's environment has no runner of "
                              "that name.",
                   .json_allowed = 1};
  return fern__offline_tree(&cli, argc, argv, print_tree);
}
