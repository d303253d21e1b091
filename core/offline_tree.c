/* offline_tree.c - see offline_tree.h. */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "manager.h"
#include "offline_tree.h"

int fern__offline_tree(fern__cli *cli, int argc, char **argv,
                       fern__offline_print print) {
  int status = fern__cli_parse(cli, argc, argv);
  if (status >= 0 || cli->arg_count != 1) {
    if (status < 0)
      fprintf(stderr, "usage: %s\n", cli->usage);
    fern__cli_free(cli);
    return status >= 0 ? status : 2;
  }
  fern_error_t err = FERN_ERROR_INIT;
  fern__manager manager;
  char *url = fern__cli_url_from_arg(cli->args[0], &err);
  status = 1;
  if (url == NULL) {
    fern__log(FERN_LOG_ERROR, NULL, "%s", err.message);
  } else if (fern__manager_init(&manager, &cli->config, FERN_MODE_TREE,
                                &err) != FERN_OK) {
    fern__log(FERN_LOG_ERROR, NULL, "%s", err.message);
    fern__manager_free(&manager);
  } else {
    fern__manager_run(&manager, url);
    status = print(cli, manager.root, url);
    fern__manager_end_if_stuck(&manager, status);
    fern__manager_free(&manager);
  }
  free(url);
  fern__cli_free(cli);
  return status;
}
