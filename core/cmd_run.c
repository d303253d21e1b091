/* cmd_run.c - `fern run URL|PATH`, and `fern run --boot A --boot B PKG`,
 * which boots the Capstan package's config sets one after another. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <stdlib.h>

#include "cli.h"
#include "control.h"
#include "log.h"
#include "logbook_disk.h"
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

/* How a boot ended, for the next one. */
typedef struct boot_end_s {
  int interrupted;   /* a signal stopped fern: no later boot runs */
  int program_exit;  /* it failed only by its program's exit code */
  char *next;        /* the command its package runs after it, or NULL */
  int last_failed_hard; /* the last run ended as OSv would not go on */
} boot_end;

/* The URL of the command a Capstan boot runs next, if its root says
 * (the capstan resolver's facets "fern.capstan": {"next"}): only from a
 * root the capstan resolver made, and only of that same package, so that
 * no other manifest can make fern run on. */
static char *next_command(const fern__manager *manager) {
  const fern__instance *root = manager->root;
  if (root == NULL || root->resolution == NULL ||
      root->resolution->decl == NULL || root->resolution->package_url == NULL ||
      strncmp(root->resolution->resolved_url, "capstan://", 10) != 0)
    return NULL;
  const json_t *facets = json_object_get(root->resolution->decl->json,
                                         "facets");
  const char *next = json_string_value(json_object_get(
      json_object_get(facets, "fern.capstan"), "next"));
  size_t n = strlen(root->resolution->package_url);
  if (next == NULL || strncmp(next, root->resolution->package_url, n) != 0 ||
      next[n] != '#' || strcmp(next, root->resolution->resolved_url) == 0)
    return NULL;
  return strdup(next);
}

/* Whether the one failure of the tree is its root program's exit with a
 * code, as a program returning from main is in OSv. */
static int failed_by_exit(const fern__manager *manager) {
  const fern__instance *root = manager->root;
  return manager->failures == 1 && root != NULL &&
         root->status == FERN_STOP_INSTANCE_DIED && root->term_signal == 0 &&
         root->exit_code > 0;
}

/* Every component's lines, kept for fern logs (logbook.h), and written
 * to the configuration's log directory too when it names one. A directory
 * that cannot be used is said, and the lines stay in memory. */
static int open_logbook(fern__manager *manager, const fern__config *config,
                        fern_error_t *err) {
  const fern__logs_config *logs = &config->logs;
  if (fern__logbook_open(&manager->logbook, &manager->loop,
                         logs->buffer_bytes, logs->budget_bytes) != 0)
    return fern_error_set(err, FERN_ENOMEM, NULL,
                          "cannot keep the components' lines");
  if (logs->dir == NULL)
    return FERN_OK;
  fern_error_t disk_err = FERN_ERROR_INIT;
  mkdir(logs->dir, 0750); /* one level: its parent is the user's choice */
  manager->logbook.disk = fern__logdisk_open(logs->dir, logs->file_bytes,
                                             logs->files, &disk_err);
  if (manager->logbook.disk == NULL)
    fern__log(FERN_LOG_WARN, NULL, "%s; lines stay in memory only",
              disk_err.message);
  return FERN_OK;
}

/* Boots one tree to its end. */
static int run_tree(fern__cli *cli, const char *url, int append,
                    uint64_t *event_seq, boot_end *end) {
  fern_error_t err = FERN_ERROR_INIT;
  fern__manager manager;
  end->interrupted = end->program_exit = 0;
  end->next = NULL;
  int rc = fern__manager_init(&manager, &cli->config, FERN_MODE_RUN, &err);
  if (rc == FERN_OK)
    rc = fern__events_open(&manager.events, cli->events_path, append, &err);
  if (rc == FERN_OK)
    rc = open_logbook(&manager, &cli->config, &err);
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
  end->interrupted = manager.interrupted;
  end->program_exit = status != 0 && failed_by_exit(&manager);
  end->next = next_command(&manager);
  *event_seq = manager.events.seq;
  if (status != 0)
    fern__log(FERN_LOG_ERROR, NULL, "%d component run%s did not end ok",
              manager.failures, manager.failures == 1 ? "" : "s");
  fern__manager_end_if_stuck(&manager, status);
  fern__manager_free(&manager);
  return status;
}

/* Runs each URL after the one before. As OSv's loader (loader.cc) goes
 * on to the next command when a program returns from main with a code
 * (core/app.cc logs it), a boot whose program exited non-zero does not
 * stop the rest; one that could not start (OSv powers off when it cannot
 * load a program), died of a signal or was interrupted does. */
/* The most commands one boot runs in turn. */
#define CAPSTAN_STEPS_MAX 100000u

/* Whether the boots go on after one that ended with `status`. */
static int goes_on(const boot_end *end, int status) {
  return !end->interrupted && (status == 0 || end->program_exit);
}

/* Runs one boot: its URL, then each command its package runs after it,
 * as long as each ends as OSv would go on after. `end` says how the last
 * ended; the worst status is returned. */
static int run_boot(fern__cli *cli, const char *url, int *append,
                    uint64_t *event_seq, boot_end *end) {
  int worst = 0;
  char *current = strdup(url);
  if (current == NULL) {
    fern__log(FERN_LOG_ERROR, NULL, "out of memory");
    end->interrupted = end->last_failed_hard = 1; /* nothing more runs */
    return 1;
  }
  /* Each next is a later command of the package (capstan_sequence.h);
   * a bound stops any chain that would not end all the same. */
  for (unsigned steps = 0; current != NULL; steps++) {
    if (steps == CAPSTAN_STEPS_MAX) {
      fern__log(FERN_LOG_ERROR, NULL,
                "more than %u commands in one boot: not booting %s",
                CAPSTAN_STEPS_MAX, current);
      free(current);
      end->last_failed_hard = 1;
      return 1;
    }
    int status = run_tree(cli, current, (*append)++ > 0, event_seq, end);
    worst = status != 0 ? status : worst;
    free(current);
    current = NULL;
    end->last_failed_hard = !goes_on(end, status);
    if (end->next != NULL && !end->last_failed_hard) {
      fern__log(FERN_LOG_INFO, NULL, "%s: next, as OSv runs it: %s",
                status == 0 ? "ended ok" : "exited with a code", end->next);
      current = end->next;
      end->next = NULL;
    }
  }
  free(end->next);
  end->next = NULL;
  return worst;
}

static int run_in_turn(fern__cli *cli, char **urls, int count) {
  int worst = 0, i = 0, append = 0;
  uint64_t event_seq = 0;
  boot_end end = {0, 0, NULL, 0};
  while (i < count) {
    if (count > 1)
      fern__log(FERN_LOG_INFO, NULL, "boot %d of %d: config set \"%s\"",
                i + 1, count, cli->boots[i]);
    int status = run_boot(cli, urls[i], &append, &event_seq, &end);
    worst = status != 0 ? status : worst;
    i++;
    if (end.last_failed_hard)
      break;
    if (status != 0 && i < count)
      fern__log(FERN_LOG_WARN, NULL,
                "config set \"%s\" exited with a code; OSv goes on to the "
                "next command, and so does fern: booting \"%s\"",
                cli->boots[i - 1], cli->boots[i]);
  }
  if (i < count)
    fern__log(FERN_LOG_ERROR, NULL,
              "config set \"%s\" %s; not booted: %d config set%s from \"%s\"",
              cli->boots[i - 1],
              end.interrupted ? "was interrupted" : "did not end ok", count - i,
              count - i == 1 ? "" : "s", cli->boots[i]);
  return worst != 0 ? worst : (i < count ? 1 : 0);
}

/* `len` bytes of a URL's path, %-escapes decoded; malloc'd. */
static char *url_path_decoded(const char *path, size_t len) {
  char *out = malloc(len + 1);
  size_t n = 0;
  for (size_t i = 0; out != NULL && i < len; i++) {
    unsigned int byte;
    if (path[i] == '%' && i + 2 < len && isxdigit((unsigned char)path[i + 1]) &&
        isxdigit((unsigned char)path[i + 2]) &&
        sscanf(path + i + 1, "%2x", &byte) == 1) {
      out[n++] = (char)byte;
      i += 2;
    } else {
      out[n++] = path[i];
    }
  }
  if (out != NULL)
    out[n] = '\0';
  return out;
}

/* fern run --boot tells the capstan resolver which sets of which package
 * boot together: they share one environment, as OSv's runscripts do. */
static int note_boots(fern__cli *cli, const char *url) {
  const char *path = url + strlen("capstan://");
  size_t len = strcspn(path, "#");
  char *dir = url_path_decoded(path, len);
  json_t *sets = json_array();
  for (int i = 0; sets != NULL && i < cli->boot_count; i++)
    json_array_append_new(sets, json_string(cli->boots[i]));
  if (dir != NULL && sets != NULL)
    cli->config.capstan_boot = json_pack("{s:s, s:O}", "package", dir,
                                         "sets", sets);
  free(dir);
  json_decref(sets);
  return 0;
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
    if (cli.boot_count > 0)
      note_boots(&cli, url);
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
