/* cli.c - see cli.h. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

static void print_help(const fern__cli *cli) {
  printf("usage: %s\n\n%s\n\noptions:\n"
         "  --plugin-dir DIR   search DIR for plugins first (repeatable)\n"
         "  --includepath DIR  look for manifests' include shards in DIR, after\n"
         "                     the including file's directory and its package's\n"
         "                     meta/ (repeatable; then the configuration's\n"
         "                     include_paths)\n"
         "  --config FILE      read the manager configuration from FILE\n"
         "  --boot-dir DIR     the directory boot:// URLs resolve in\n"
         "  -v, --verbose      log more (repeat for debug)\n"
         "  -q, --quiet        log errors only\n"
         "%s%s%s%s%s%s%s%s%s%s%s%s"
         "  -h, --help         show this help\n"
         "  -V, --version      show fern's version\n\n"
         "Plugins are searched in --plugin-dir, then FERN_PLUGIN_PATH (':'-"
         "separated),\nthen the configuration's plugin_dirs, then the "
         "plugins beside this binary.\n",
         cli->usage, cli->summary,
         cli->json_allowed ? "  --json             print JSON\n" : "",
         cli->events_allowed
             ? "  --events FILE      write every event to FILE, as JSON lines\n"
             : "",
         cli->events_allowed
             ? "  --keep-running     stay when nothing runs, until SIGINT or "
               "SIGTERM\n"
               "  --boot NAME        run config set NAME of the Capstan "
               "package (repeatable:\n"
               "                     each runs after the one before, as OSv "
               "runs them)\n"
               "  --env KEY=VALUE    set KEY for the Capstan package, as "
               "capstan's --env\n"
               "                     does (its config sets' env only "
               "default it)\n"
             : "",
         cli->control_allowed
             ? "  --control PATH     the control socket (default: "
               "$XDG_RUNTIME_DIR/fern/control.sock,\n"
               "                     else /run/fern/control.sock for root, "
               "/tmp/fern-UID/control.sock\n"
               "                     for another user)\n"
             : "",
         cli->follow_allowed ? "  -f, --follow       keep printing as things "
                               "happen\n"
                             : "",
         cli->wide_allowed ? "  --wide             also what each running one "
                             "costs: CPU, memory, processes\n"
                           : "",
         cli->top_allowed
             ? "  --sort KEY         cpu (the default: its share of a CPU "
               "since the last\n"
               "                     refresh) or memory\n"
               "  -d, --delay S      seconds between refreshes (default 2)\n"
               "  -n N               refresh N times, then end (default: "
               "until interrupted)\n"
             : "",
         cli->logs_allowed
             ? "  -n, --lines N      the last N lines (default: all kept)\n"
               "  --since TIME       lines since TIME: seconds since 1970, "
               "-10s, -5m, -2h,\n"
               "                     -1d, or YYYY-MM-DD HH:MM[:SS] (local "
               "time)\n"
               "  --stream NAME      stdout, stderr, or fern (fern's own "
               "records of it)\n"
             : "",
         cli->state_allowed ? "  --state STATE      only running or stopped "
                              "components\n"
                            : "",
         cli->tree_allowed ? "  --tree             each operand is a tree (URL or "
                             "PATH): resolve it whole\n"
                             "                     and follow every route\n"
                           : "",
         cli->delete_allowed ? "  --delete MONIKER   delete the storage of "
                               "MONIKER and of what is below it\n"
                             : "",
         cli->overrides_allowed
             ? "  --override KEY=VALUE  set config field KEY of the child, "
               "one its manifest\n"
               "                     lets a parent set (\"mutability\": "
               "[\"parent\"]); VALUE is\n"
               "                     JSON5: 5, true, 'text', [1, 2] "
               "(repeatable)\n"
             : "");
}

/* The options of fern logs, fern top and fern list --wide. */
static int take_logs_option(fern__cli *cli, int opt, const char *arg) {
  int allowed = opt == 'n'   ? cli->logs_allowed || cli->top_allowed
                : opt == 'W' ? cli->wide_allowed
                : opt == 'd' || opt == 'R' ? cli->top_allowed
                             : cli->logs_allowed;
  if (!allowed) {
    fprintf(stderr, "fern %s: that option is not one of this command's (see "
                    "fern %s --help)\n", cli->command, cli->command);
    return -1;
  }
  char *end;
  if (opt == 'n') {
    cli->lines = strtol(arg, &end, 10);
    if (*end != '\0' || cli->lines <= 0) {
      fprintf(stderr, "fern %s: -n takes a number above 0\n", cli->command);
      return -1;
    }
  } else if (opt == 'W') {
    cli->wide = 1;
  } else if (opt == 'd') {
    cli->delay = strtod(arg, &end);
    if (*end != '\0' || cli->delay < 0.1 || cli->delay > 3600) {
      fprintf(stderr, "fern top: -d takes seconds, from 0.1 to 3600\n");
      return -1;
    }
  } else if (opt == 'R') {
    if (strcmp(arg, "cpu") != 0 && strcmp(arg, "memory") != 0) {
      fprintf(stderr, "fern top: --sort takes cpu or memory\n");
      return -1;
    }
    cli->sort = arg;
  } else if (opt == 'S') {
    cli->since = arg;
  } else {
    cli->stream = arg;
  }
  return 0;
}

/* Options only some commands take. */
static int take_command_option(fern__cli *cli, int opt, const char *arg) {
  int allowed = opt == 'k'   ? cli->events_allowed
                : opt == 'C' ? cli->control_allowed
                : opt == 'f' ? cli->follow_allowed
                             : cli->state_allowed;
  if (!allowed) {
    fprintf(stderr, "fern %s: that option is not one of this command's (see "
                    "fern %s --help)\n",
            cli->command, cli->command);
    return -1;
  }
  if (opt == 'k')
    cli->keep_running = 1;
  else if (opt == 'C')
    cli->control_path = arg;
  else if (opt == 'f')
    cli->follow = 1;
  else
    cli->state_filter = arg;
  return 0;
}

/* --env KEY=VALUE, as Capstan's --env reads it (util/parser.go: split at
 * the first '=', no spaces in either part), for the capstan resolver:
 * a hard --env=KEY=VALUE before the boot command (cmd/package.go). */
static int add_capstan_env(fern__config *config, const char *arg) {
  const char *eq = strchr(arg, '=');
  const char *why = NULL;
  if (eq == NULL)
    why = "missing =";
  else if (memchr(arg, ' ', (size_t)(eq - arg)) != NULL)
    why = "key must not contain spaces";
  else if (strchr(eq, ' ') != NULL)
    why = "value must not contain spaces";
  else if (eq == arg)
    why = "key must not be empty";
  if (why != NULL) {
    fprintf(stderr, "fern run: failed to parse --env argument '%s': %s\n",
            arg, why);
    return -1;
  }
  if (config->capstan_env == NULL)
    config->capstan_env = json_object();
  char *key = strndup(arg, (size_t)(eq - arg));
  int rc = key != NULL && config->capstan_env != NULL
               ? json_object_set_new(config->capstan_env, key,
                                     json_string(eq + 1))
               : -1;
  free(key);
  return rc;
}

/* Appends `item` to a list of borrowed strings. */
static int add_item(const char ***list, int *count, const char *item) {
  const char **grown = realloc(*list, (size_t)(*count + 1) * sizeof *grown);
  if (grown == NULL)
    return -1;
  *list = grown;
  grown[(*count)++] = item;
  return 0;
}

int fern__cli_parse(fern__cli *cli, int argc, char **argv) {
  static const struct option options[] = {
      {"plugin-dir", required_argument, NULL, 'P'},
      {"includepath", required_argument, NULL, 'I'},
      {"config", required_argument, NULL, 'c'},
      {"boot-dir", required_argument, NULL, 'b'},
      {"verbose", no_argument, NULL, 'v'},
      {"quiet", no_argument, NULL, 'q'},
      {"json", no_argument, NULL, 'j'},
      {"events", required_argument, NULL, 'e'},
      {"keep-running", no_argument, NULL, 'k'},
      {"control", required_argument, NULL, 'C'},
      {"follow", no_argument, NULL, 'f'},
      {"state", required_argument, NULL, 's'},
      {"boot", required_argument, NULL, 'B'},
      {"tree", no_argument, NULL, 't'},
      {"delete", required_argument, NULL, 'D'},
      {"override", required_argument, NULL, 'O'},
      {"env", required_argument, NULL, 'E'},
      {"lines", required_argument, NULL, 'n'},
      {"since", required_argument, NULL, 'S'},
      {"stream", required_argument, NULL, 'T'},
      {"wide", no_argument, NULL, 'W'},
      {"delay", required_argument, NULL, 'd'},
      {"sort", required_argument, NULL, 'R'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0}};
  const char *config_path = NULL;
  int level = FERN_LOG_INFO, opt;
  fern__config_init(&cli->config);
  optind = 1;
  while ((opt = getopt_long(argc, argv, "+vqhVfn:d:", options, NULL)) != -1) {
    switch (opt) {
    case 'P':
      fern__config_add_plugin_dir(&cli->config, optarg);
      break;
    case 'I':
      fern__config_add_include_dir(&cli->config, optarg);
      break;
    case 'c': config_path = optarg; break;
    case 'b':
      free(cli->config.boot_dir);
      cli->config.boot_dir = strdup(optarg);
      break;
    case 'v': level = level < FERN_LOG_DEBUG ? level + 1 : level; break;
    case 'q': level = FERN_LOG_ERROR; break;
    case 'j':
      if (!cli->json_allowed) {
        fprintf(stderr, "fern %s: --json is not an option of this command\n",
                cli->command);
        return 2;
      }
      cli->json = 1;
      break;
    case 'e':
      if (!cli->events_allowed) {
        fprintf(stderr, "fern %s: --events is an option of fern run\n",
                cli->command);
        return 2;
      }
      cli->events_path = optarg;
      break;
    case 'D':
      if (!cli->delete_allowed) {
        fprintf(stderr, "fern %s: --delete is an option of fern storage\n",
                cli->command);
        return 2;
      }
      cli->delete_moniker = optarg;
      break;
    case 't':
      if (!cli->tree_allowed) {
        fprintf(stderr, "fern %s: --tree is an option of fern check\n",
                cli->command);
        return 2;
      }
      cli->tree = 1;
      break;
    case 'B':
      if (!cli->events_allowed) {
        fprintf(stderr, "fern %s: --boot is an option of fern run\n",
                cli->command);
        return 2;
      }
      if (add_item(&cli->boots, &cli->boot_count, optarg) != 0)
        return 1;
      break;
    case 'E':
      if (!cli->events_allowed) {
        fprintf(stderr, "fern %s: --env is an option of fern run\n",
                cli->command);
        return 2;
      }
      if (add_capstan_env(&cli->config, optarg) != 0)
        return 2;
      break;
    case 'O':
      if (!cli->overrides_allowed) {
        fprintf(stderr, "fern %s: --override is an option of fern create\n",
                cli->command);
        return 2;
      }
      if (add_item(&cli->overrides, &cli->override_count, optarg) != 0)
        return 1;
      break;
    case 'k':
    case 'C':
    case 'f':
    case 's':
      if (take_command_option(cli, opt, optarg) != 0)
        return 2;
      break;
    case 'n':
    case 'S':
    case 'T':
    case 'W':
    case 'd':
    case 'R':
      if (take_logs_option(cli, opt, optarg) != 0)
        return 2;
      break;
    case 'h': print_help(cli); return 0;
    case 'V': printf("fern %s\n", FERN_VERSION_STRING); return 0;
    default:
      fprintf(stderr, "usage: %s (see fern %s --help)\n", cli->usage,
              cli->command);
      return 2;
    }
  }
  fern__log_set_level((fern_log_level)level);
  if (config_path != NULL) {
    fern_error_t err = FERN_ERROR_INIT;
    if (fern__config_load(&cli->config, config_path, &err) != FERN_OK) {
      fprintf(stderr, "fern: %s\n", err.message);
      return 1;
    }
  }
  fern__config_finish_plugin_dirs(&cli->config);
  cli->args = argv + optind;
  cli->arg_count = argc - optind;
  return -1;
}

void fern__cli_free(fern__cli *cli) {
  free(cli->boots);
  cli->boots = NULL;
  free(cli->overrides);
  cli->overrides = NULL;
  fern__config_free(&cli->config);
}

/* %-encodes what would change the meaning of a path inside a URL. */
static void append_path(char *out, size_t size, const char *path) {
  size_t used = strlen(out);
  for (const char *p = path; *p && used + 4 < size; p++) {
    if (*p == '%' || *p == '#' || *p == ' ')
      used += (size_t)snprintf(out + used, size - used, "%%%02X",
                               (unsigned char)*p);
    else
      out[used++] = *p;
  }
  out[used] = '\0';
}

static char *package_url(const char *scheme, const char *package,
                         const char *fragment) {
  char buf[PATH_MAX * 3 + 64];
  snprintf(buf, sizeof buf, "%s://", scheme);
  append_path(buf, sizeof buf, package);
  strcat(buf, "#");
  append_path(buf, sizeof buf, fragment);
  return strdup(buf);
}

static char *file_url(const char *package, const char *fragment) {
  return package_url("file", package, fragment);
}

static int has_file(const char *dir, const char *rel) {
  char path[PATH_MAX + 32];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A Capstan package: meta/run.yaml, and no fern manifest to prefer. */
static int is_capstan_package(const char *dir) {
  return has_file(dir, "meta/run.yaml") && !has_file(dir, "meta/root.cm");
}

char *fern__cli_url_from_arg(const char *arg, fern_error_t *err) {
  if (strstr(arg, "://") != NULL)
    return strdup(arg);
  char real[PATH_MAX];
  struct stat st;
  if (realpath(arg, real) == NULL || stat(real, &st) != 0) {
    fern_error_set(err, FERN_ENOENT, NULL, "%s: %s", arg, strerror(errno));
    return NULL;
  }
  if (S_ISDIR(st.st_mode))
    return is_capstan_package(real)
               ? package_url("capstan", real, "meta/run.yaml")
               : file_url(real, "meta/root.cm");
  char *slash = strrchr(real, '/');
  *slash = '\0';
  const char *name = slash + 1;
  char *meta = strrchr(real, '/');
  if (meta != NULL && strcmp(meta + 1, "meta") == 0) {
    char fragment[NAME_MAX + 8];
    snprintf(fragment, sizeof fragment, "meta/%s", name);
    *meta = '\0';
    if (strcmp(name, "run.yaml") == 0)
      return package_url("capstan", real[0] ? real : "/", fragment);
    return file_url(real[0] ? real : "/", fragment);
  }
  return file_url(real, name);
}

void fern__cli_free_urls(char **urls) {
  for (size_t i = 0; urls != NULL && urls[i] != NULL; i++)
    free(urls[i]);
  free(urls);
}

char **fern__cli_boot_urls(const char *url, const char *const *boots,
                           int count, fern_error_t *err) {
  if (strncmp(url, "capstan://", 10) != 0) {
    fern_error_set(err, FERN_EINVAL, NULL,
                   "--boot chooses config sets of a Capstan package; %s is "
                   "not a capstan:// URL or a Capstan package directory",
                   url);
    return NULL;
  }
  const char *hash = strchr(url, '#');
  size_t base_len = hash ? (size_t)(hash - url) : strlen(url);
  if (hash != NULL && strcmp(hash, "#meta/run.yaml") != 0) {
    fern_error_set(err, FERN_EINVAL, NULL,
                   "%s already chooses config set \"%s\"; give the package "
                   "without it when choosing with --boot",
                   url, hash + 1);
    return NULL;
  }
  char **urls = calloc((size_t)count + 1, sizeof *urls);
  for (int i = 0; urls != NULL && i < count; i++) {
    char base[PATH_MAX * 3 + 64];
    snprintf(base, sizeof base, "%.*s#", (int)base_len, url);
    append_path(base, sizeof base, boots[i]);
    if ((urls[i] = strdup(base)) == NULL) {
      fern__cli_free_urls(urls);
      urls = NULL;
    }
  }
  if (urls == NULL)
    fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  return urls;
}
