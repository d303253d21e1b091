/* cli.h - what every command shares: the common options, the manager
 * configuration they produce, and turning a path into a file URL. */
#ifndef FERN_CORE_CLI_H
#define FERN_CORE_CLI_H

#include "config.h"

typedef struct fern__cli_s {
  const char *command; /* "run" */
  const char *usage;   /* "fern run [OPTIONS] URL|PATH" */
  const char *summary; /* one line */
  int json;
  int json_allowed;
  int events_allowed;       /* fern run's own options */
  const char *events_path;  /* run --events FILE */
  int keep_running;         /* run --keep-running */
  int control_allowed;      /* --control for run and the control commands */
  const char *control_path; /* --control PATH */
  int follow;               /* events --follow */
  int follow_allowed;
  int logs_allowed;         /* fern logs: -n, --since, --stream */
  int top_allowed;          /* fern top: -n, -d, --sort */
  int wide, wide_allowed;   /* list --wide */
  const char *sort;         /* top --sort cpu|memory */
  double delay;             /* top -d SECONDS */
  long lines;               /* logs -n N (0: all kept) */
  const char *since;        /* logs --since TIME */
  const char *stream;       /* logs --stream NAME */
  const char *state_filter; /* list --state */
  int state_allowed;
  int tree;                 /* check --tree */
  int tree_allowed;
  const char *delete_moniker; /* storage --delete MONIKER */
  int delete_allowed;
  const char **boots; /* run --boot NAME..., in order */
  int boot_count;
  const char **overrides; /* create --override KEY=VALUE..., in order */
  int override_count;
  int overrides_allowed;
  fern__config config;
  char **args; /* the operands left after the options */
  int arg_count;
} fern__cli;

/* Parses the common options. Returns -1 on success (go on), else the exit
 * status to return at once (after --help, --version, or a usage error). */
int fern__cli_parse(fern__cli *cli, int argc, char **argv);
void fern__cli_free(fern__cli *cli);

/* A URL stays as it is; a path to a manifest becomes
 * file:///abs/package#meta/x.cm (the package is the directory above
 * "meta/", else the manifest's own directory); a package directory becomes
 * its "#meta/root.cm", or, when it is a Capstan package (meta/run.yaml and
 * no meta/root.cm), capstan:///abs/package#meta/run.yaml, as does a path to
 * such a run.yaml. Returns a malloc'd URL, or NULL with `err` set. */
char *fern__cli_url_from_arg(const char *arg, fern_error_t *err);

/* The URLs `fern run --boot A --boot B URL` runs in turn: URL with each
 * config set as its fragment. URL must be a capstan:// URL whose fragment
 * chooses no set. Returns a NULL-terminated malloc'd list of malloc'd
 * URLs, or NULL with `err` set. */
char **fern__cli_boot_urls(const char *url, const char *const *boots,
                           int count, fern_error_t *err);
void fern__cli_free_urls(char **urls);

/* The commands. */
int fern__cmd_run(int argc, char **argv);
int fern__cmd_check(int argc, char **argv);
int fern__cmd_top(int argc, char **argv);
int fern__cmd_tree(int argc, char **argv);
int fern__cmd_graph(int argc, char **argv);
int fern__cmd_plugins(int argc, char **argv);
int fern__cmd_storage(int argc, char **argv);
/* list, show, route, start, stop, create, destroy, events (cmd_ctl.c). */
int fern__cmd_ctl(const char *name, int argc, char **argv);

#endif
