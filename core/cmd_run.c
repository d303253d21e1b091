/* cmd_run.c - `fern run URL|PATH`, and `fern run --boot A --boot B PKG`,
 * which boots the Capstan package's config sets one after another. */
#include <stdint.h>
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
    /* The default place may be unusable here; the tree runs anyway. One
     * that another user owns is worse than unusable: a fern client that
     * looks there finds that user's socket, so say it loudly. */
    if (rc == FERN_EACCES)
      fern__log(FERN_LOG_ERROR, NULL,
                "no control socket: %s. This fern runs without one: give "
                "--control PATH (in a directory of your own) or set "
                "XDG_RUNTIME_DIR, and have that directory removed",
                err->message);
    else
      fern__log(FERN_LOG_WARN, NULL,
                "no control socket: %s (give --control PATH)", err->message);
    return FERN_OK;
  }
  return rc;
}

/* Boots one tree to its end. `*interrupted` tells whether a signal stopped
 * it (so no later boot should run). */
static int run_tree(fern__cli *cli, const char *url, int append,
                    uint64_t *event_seq, int *interrupted) {
  fern_error_t err = FERN_ERROR_INIT;
  fern__manager manager;
  int rc = fern__manager_init(&manager, &cli->config, FERN_MODE_RUN, &err);
  if (rc == FERN_OK)
    rc = fern__events_open(&manager.events, cli->events_path, append, &err);
  if (rc == FERN_OK)
    rc = open_control(&manager, cli, &err);
  if (rc != FERN_OK) {
    fern__log(FERN_LOG_ERROR, NULL, "%s", err.message);
    fern__manager_free(&manager);
    return 1;
  }
  manager.keep_running = cli->keep_running;
  manager.events.seq = *event_seq; /* one numbering across boots */
  int status = fern__manager_run(&manager, url);
  *interrupted = manager.interrupted;
  *event_seq = manager.events.seq;
  if (status != 0)
    fern__log(FERN_LOG_ERROR, NULL, "%d component run%s did not end ok",
              manager.failures, manager.failures == 1 ? "" : "s");
  fern__manager_end_if_stuck(&manager, status);
  fern__manager_free(&manager);
  return status;
}

/* Runs each URL after the one before ended ok. */
static int run_in_turn(fern__cli *cli, char **urls, int count) {
  int status = 0, interrupted = 0, i;
  uint64_t event_seq = 0;
  for (i = 0; i < count && status == 0 && !interrupted; i++) {
    if (count > 1)
      fern__log(FERN_LOG_INFO, NULL, "boot %d of %d: config set \"%s\"",
                i + 1, count, cli->boots[i]);
    status = run_tree(cli, urls[i], i > 0, &event_seq, &interrupted);
  }
  if (i < count)
    fern__log(FERN_LOG_ERROR, NULL,
              "config set \"%s\" %s; not booted: %d config set%s from \"%s\"",
              cli->boots[i - 1],
              interrupted ? "was interrupted" : "did not end ok", count - i,
              count - i == 1 ? "" : "s", cli->boots[i]);
  return status != 0 || i == count ? status : 1;
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
  fern_error_t err = FERN_ERROR_INIT;
  char *url = fern__cli_url_from_arg(cli.args[0], &err);
  char *single[2] = {url, NULL};
  char **urls = url == NULL || cli.boot_count == 0
                    ? NULL
                    : fern__cli_boot_urls(url, cli.boots, cli.boot_count, &err);
  if (url == NULL || (cli.boot_count > 0 && urls == NULL)) {
    fern__log(FERN_LOG_ERROR, NULL, "%s", err.message);
    status = 1;
  } else {
    /* From here the loop runs: its log must never wait on stderr. */
    if (fern__log_queue_start() != FERN_OK)
      fern__log(FERN_LOG_WARN, NULL, "no thread for the log: it is written "
                "at once, and a stderr nobody reads stops fern");
    status = run_in_turn(&cli, urls ? urls : single,
                         cli.boot_count ? cli.boot_count : 1);
  }
  fern__cli_free_urls(urls);
  free(url);
  fern__cli_free(&cli);
  return status;
}
