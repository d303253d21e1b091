/* cmd_run.c - `fern run URL|PATH`. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "log.h"
#include "manager.h"

int fern__cmd_run(int argc, char **argv) {
  fern__cli cli = {.command = "run",
                   .usage = "fern run [OPTIONS] URL|PATH",
                   .summary = "Boots the component tree at URL (or the "
                              "manifest or package at PATH), starts its\n"
                              "eager components, and runs until none is "
                              "left running. SIGINT or SIGTERM stop the\n"
                              "tree, children before parents. Exits 0 when "
                              "every component ended ok.",
                   .events_allowed = 1};
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
  } else {
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
