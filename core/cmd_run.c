/* cmd_run.c - `fern run URL|PATH`. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "control.h"
#include "log.h"
#include "manager.h"

static int open_control(fern__manager *manager, const fern__cli *cli,
                        fern_error_t *err) {
  char path[108];
  if (cli->control_path != NULL)
    snprintf(path, sizeof path, "%s", cli->control_path);
  else if (fern__control_default_path(path, sizeof path) != FERN_OK)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "no default control socket path; give --control");
  int asked_for = cli->control_path != NULL;
  int rc = fern__control_open(manager, path, asked_for, &manager->control,
                              err);
  if (rc != FERN_OK && !asked_for) {
    /* The default place may be unusable here; the tree runs anyway. */
    fern__log(FERN_LOG_WARN, NULL, "no control socket: %s (give --control "
              "PATH)", err->message);
    return FERN_OK;
  }
  return rc;
}

int fern__cmd_run(int argc, char **argv) {
  fern__cli cli = {.command = "run",
                   .usage = "fern run [OPTIONS] URL|PATH",
                   .summary = "Boots the component tree at URL (or the "
                              "manifest or package at PATH), starts its\n"
                              "eager components, and runs until none is "
                              "left running. SIGINT or SIGTERM stop the\n"
                              "tree, children before parents. Exits 0 when "
                              "every component ended ok. While it runs, "
                              "fern list/show/start/stop/create/\n"
                              "destroy/events steer it through its control "
                              "socket.",
                   .events_allowed = 1,
                   .control_allowed = 1};
  int status = fern__cli_parse(&cli, argc, argv);
  if (status >= 0) {
    fern__cli_free(&cli);
    return status;
  }
  if (cli.arg_count != 1) {
    fprintf(stderr, "usage: %s\n", cli.usage);
    fern__cli_free(&cli);
    return 2;
  }
  fern_error_t err;
  char *url = fern__cli_url_from_arg(cli.args[0], &err);
  fern__manager manager;
  if (url == NULL) {
    fern__log(FERN_LOG_ERROR, NULL, "%s", err.message);
    status = 1;
  } else if (fern__manager_init(&manager, &cli.config, FERN_MODE_RUN, &err) !=
             FERN_OK) {
    fern__log(FERN_LOG_ERROR, NULL, "%s", err.message);
    fern__manager_free(&manager);
    status = 1;
  } else if (fern__events_open(&manager.events, cli.events_path, &err) !=
             FERN_OK) {
    fern__log(FERN_LOG_ERROR, NULL, "%s", err.message);
    fern__manager_free(&manager);
    status = 1;
  } else if (open_control(&manager, &cli, &err) != FERN_OK) {
    fern__log(FERN_LOG_ERROR, NULL, "%s", err.message);
    fern__manager_free(&manager);
    status = 1;
  } else {
    manager.keep_running = cli.keep_running;
    status = fern__manager_run(&manager, url);
    if (status != 0)
      fern__log(FERN_LOG_ERROR, NULL,
                "%d component run%s did not end ok", manager.failures,
                manager.failures == 1 ? "" : "s");
    fern__manager_free(&manager);
  }
  free(url);
  fern__cli_free(&cli);
  return status;
}
