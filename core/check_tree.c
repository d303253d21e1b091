/* check_tree.c - `fern check --tree URL|PATH`: the whole tree resolved
 * offline (nothing started), and every use of every component followed to
 * its provider (routes.c), and its runner where its environment routes
 * one (env_routes.c), as `fern run` follows them before each start.
 * Each component that cannot be resolved and each broken route is an
 * error at its file:line:col; an optional use with no route is none. */
#include <stdio.h>
#include <stdlib.h>

#include "check_tree.h"
#include "cli.h"
#include "env_routes.h"
#include "log.h"
#include "manager.h"
#include "routes.h"
#include "serve.h"

typedef struct tally_s {
  json_t *errors; /* strings, in tree order */
  size_t components, routes;
} tally;

/* Its runner can be had: registered in its environment, and where that
 * is routed, the route followed to its provider. */
static void check_runner(tally *t, fern__instance *instance,
                         const fern__decl *decl) {
  fern__capability *runner;
  fern_error_t found = FERN_ERROR_INIT, err = FERN_ERROR_INIT;
  int rc = decl->program != NULL
               ? fern__instance_runner(instance, decl->runner, &runner, &found)
               : FERN_OK;
  if (rc == FERN_OK)
    return;
  if (rc == FERN__ROUTE_PENDING)
    fern__decl_error(decl, &err, FERN_EINVAL, decl->runner_key,
                     "%s: the route of runner \"%s\" waits on a component "
                     "that never resolved",
                     instance->moniker, decl->runner);
  else
    err = found; /* placed: where the runner is named, or the broken hop */
  json_array_append_new(t->errors, json_string(err.message));
}

static void check_instance(fern__instance *instance, void *arg) {
  tally *t = arg;
  t->components++;
  const fern__decl *decl = fern__instance_decl(instance);
  if (decl == NULL) {
    char text[1200];
    snprintf(text, sizeof text, "%s cannot be resolved: %s",
             instance->moniker[0] ? instance->moniker : "/",
             instance->error ? instance->error : "unknown");
    json_array_append_new(t->errors, json_string(text));
    return;
  }
  check_runner(t, instance, decl);
  for (size_t u = 0; u < decl->use_count; u++) {
    fern_error_t err = FERN_ERROR_INIT;
    int rc = fern__serve_directory_check(instance, &decl->uses[u], &err);
    if (rc == FERN_OK)
      t->routes++;
    else if (!decl->uses[u].optional)
      json_array_append_new(t->errors, json_string(err.message));
  }
}

int fern__check_tree(fern__config *config, const char *arg, json_t *results) {
  fern_error_t err = FERN_ERROR_INIT;
  char *url = fern__cli_url_from_arg(arg, &err);
  fern__manager manager;
  tally t = {json_array(), 0, 0};
  if (url == NULL) {
    json_array_append_new(t.errors, json_string(err.message));
  } else if (fern__manager_init(&manager, config, FERN_MODE_TREE, &err) !=
             FERN_OK) {
    json_array_append_new(t.errors, json_string(err.message));
    fern__manager_free(&manager);
  } else {
    fern__manager_run(&manager, url);
    fern__instance_walk(manager.root, check_instance, &t);
    fern__manager_end_if_stuck(&manager, 1);
    fern__manager_free(&manager);
  }
  free(url);
  size_t errors = json_array_size(t.errors);
  if (results != NULL) {
    json_array_append_new(
        results, json_pack("{s:s, s:b, s:o, s:I, s:I}", "tree", arg, "ok",
                           errors == 0, "errors", t.errors, "components",
                           (json_int_t)t.components, "routes",
                           (json_int_t)t.routes));
  } else {
    size_t i;
    json_t *e;
    json_array_foreach(t.errors, i, e)
      fern__log_plain(json_string_value(e));
    if (errors == 0)
      printf("%s: ok (a tree of %zu component%s, %zu route%s followed)\n",
             arg, t.components, t.components == 1 ? "" : "s", t.routes,
             t.routes == 1 ? "" : "s");
    json_decref(t.errors);
  }
  return errors == 0 ? 0 : 1;
}
