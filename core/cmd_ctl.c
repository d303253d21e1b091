/* cmd_ctl.c - the commands that steer a running `fern run` through its
 * control socket: list, show, route, start, stop, create, destroy, events.
 * A person gets aligned tables; --json gives a program the reply's result. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "json5.h"
#include "cli.h"
#include "cmd_logs.h"
#include "cmd_top.h"
#include "control.h"
#include "log_escape.h"
#include "route_print.h"

typedef struct ctl_spec_s {
  const char *name;
  const char *usage;
  const char *summary;
  int min_args, max_args;
  int follow, state;
  json_t *(*request)(const fern__cli *cli);
  void (*print)(const fern__cli *cli, const json_t *result);
} ctl_spec;

static void say_unreachable(const char *name, const char *path,
                            const char *why) {
  fprintf(stderr,
          "fern %s: cannot reach fern at %s: %s (is `fern run` running? "
          "give --control PATH if it has another socket)\n",
          name, path, why);
}

/* Connects to the fern at `path`, or says why not. Before a word is sent,
 * the socket's directory must be the user's own, with no other writer,
 * and the process that serves it must run as this user. */
static int ctl_connect(const char *name, const char *path) {
  char dir[108];
  fern_error_t err = FERN_ERROR_INIT;
  fern__control_dir_of(path, dir, sizeof dir);
  int rc = fern__control_check_dir(dir, 022, &err);
  if (rc == FERN_ENOENT) {
    say_unreachable(name, path, strerror(ENOENT));
    return -1;
  }
  if (rc != FERN_OK) {
    fprintf(stderr,
            "fern %s: will not use %s: %s (%s; or give --control PATH: "
            "your fern's socket, in a directory of your own)\n",
            name, path, err.message,
            rc == FERN_EACCES ? "have it removed" : "fix its mode");
    return -1;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    say_unreachable(name, path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  if (fern__control_check_server(fd, path, &err) != FERN_OK) {
    fprintf(stderr,
            "fern %s: will not talk to %s (give --control PATH: your fern's "
            "socket)\n",
            name, err.message);
    close(fd);
    return -1;
  }
  return fd;
}

static int write_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Reads one line (without its newline) into a malloc'd string. */
static char *read_line(FILE *in) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, in);
  if (n <= 0) {
    free(line);
    return NULL;
  }
  if (line[n - 1] == '\n')
    line[n - 1] = '\0';
  return line;
}

/* The first line that is a JSON object: a client cut off in the middle of
 * a reply finds the reason on a line after the part it got. */
static json_t *read_reply(FILE *in, char **line) {
  json_t *reply = NULL;
  while (reply == NULL && (*line = read_line(in)) != NULL) {
    reply = json_loads(*line, 0, NULL);
    if (!json_is_object(reply)) {
      json_decref(reply);
      reply = NULL;
      free(*line);
      *line = NULL;
    }
  }
  return reply;
}

/* Every string in `value` escaped as the log escapes it, in place: a
 * reply carries URLs, status texts and messages that came from manifests,
 * programs and clients, and a person's terminal must not obey them.
 * (--json output is escaped by JSON itself.) */
static json_t *shown(json_t *value) {
  char text[8192];
  size_t i;
  const char *key;
  json_t *item;
  if (json_is_string(value))
    json_string_set(value, fern__escape_shown(text, sizeof text,
                                              json_string_value(value)));
  json_array_foreach(value, i, item) shown(item);
  json_object_foreach(value, key, item) shown(item);
  return value;
}

static void print_json(const json_t *value) {
  json_dumpf(value, stdout, JSON_INDENT(2));
  putchar('\n');
}

/* Prints an event for a person: "12:00:01.234 started /a pid=42", or
 * what a follower lost ({"dropped": N}). */
static void print_event(const json_t *ev) {
  const json_t *dropped = json_object_get(ev, "dropped");
  if (dropped != NULL) {
    printf("(%lld events dropped: this reader was too slow)\n",
           (long long)json_integer_value(dropped));
    return;
  }
  time_t t = (time_t)json_number_value(json_object_get(ev, "time"));
  double frac = json_number_value(json_object_get(ev, "time")) - (double)t;
  struct tm tm;
  localtime_r(&t, &tm);
  printf("%02d:%02d:%02d.%03d %-10s %s", tm.tm_hour, tm.tm_min, tm.tm_sec,
         (int)(frac * 1000), json_string_value(json_object_get(ev, "event")),
         json_string_value(json_object_get(ev, "moniker")));
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)ev, key, value) {
    if (strcmp(key, "time") == 0 || strcmp(key, "event") == 0 ||
        strcmp(key, "moniker") == 0 || strcmp(key, "seq") == 0)
      continue;
    char *text = json_is_string(value) ? strdup(json_string_value(value))
                                       : json_dumps(value, JSON_ENCODE_ANY);
    printf(" %s=%s", key, text ? text : "?");
    free(text);
  }
  putchar('\n');
}

/* Prints what follows until fern closes the connection: 0, or 1 when fern
 * said why it did (a follower too slow for too long is cut off). */
static int follow_events(FILE *in, const fern__cli *cli,
                         void (*print)(const json_t *)) {
  char *line;
  int rc = 0;
  while ((line = read_line(in)) != NULL) {
    json_t *ev = json_loads(line, 0, NULL);
    const char *error = json_string_value(json_object_get(ev, "error"));
    if (error != NULL) {
      fprintf(stderr, "fern events: %s\n", error);
      rc = 1;
    } else if (cli->json) {
      printf("%s\n", line);
    } else if (ev != NULL) {
      print(shown(ev));
    }
    fflush(stdout);
    json_decref(ev);
    free(line);
  }
  return rc;
}

/* Sends `request` (taken) as COMMAND to the fern at the CLI's socket
 * (its path into `path`) and reads the reply: its result (a new
 * reference) into `*result`, or NULL after saying why. Returns the
 * connection, to read what follows (a follower) and close; NULL when none
 * was made. */
static FILE *ctl_ask(const fern__cli *cli, const char *command,
                     json_t *request, json_t **result, char path[108]) {
  *result = NULL;
  if (cli->control_path != NULL)
    snprintf(path, 108, "%s", cli->control_path);
  else
    fern__control_default_path(path, 108);
  int fd = ctl_connect(command, path);
  if (fd < 0) {
    json_decref(request);
    return NULL;
  }
  json_object_set_new(request, "fern", json_integer(FERN_CONTROL_VERSION));
  json_object_set_new(request, "id", json_integer(1));
  json_object_set_new(request, "command", json_string(command));
  char *text = json_dumps(request, JSON_COMPACT);
  json_decref(request);
  FILE *in = fdopen(fd, "r");
  /* A refusal may come before the request is taken: read it anyway. */
  if (text != NULL) {
    if (write_all(fd, text, strlen(text)) == 0)
      write_all(fd, "\n", 1);
    char *line = NULL;
    json_t *reply = read_reply(in, &line);
    if (reply == NULL) {
      fprintf(stderr, "fern %s: no answer from fern at %s\n", command, path);
    } else if (!json_is_true(json_object_get(reply, "ok"))) {
      char error[8192];
      const char *said = json_string_value(json_object_get(reply, "error"));
      fprintf(stderr, "fern %s: %s\n", command,
              fern__escape_shown(error, sizeof error, said ? said : "?"));
    } else {
      *result = json_incref(json_object_get(reply, "result"));
    }
    json_decref(reply);
    free(line);
  }
  free(text);
  return in;
}

/* The kept lines a log follower is answered with, then what follows. */
static int follow_logs(FILE *in, const fern__cli *cli, json_t *result) {
  if (cli->json) {
    size_t i;
    const json_t *kept;
    json_array_foreach(json_object_get(result, "lines"), i, kept) {
      json_dumpf(kept, stdout, JSON_COMPACT);
      putchar('\n');
    }
  } else {
    fern__logs_print(cli, shown(result));
  }
  return follow_events(in, cli, fern__logs_print_line);
}

static int call(const fern__cli *cli, const ctl_spec *spec) {
  char path[108];
  json_t *request = spec->request(cli), *result;
  if (request == NULL)
    return 2; /* said why */
  FILE *in = ctl_ask(cli, spec->name, request, &result, path);
  int rc = result != NULL ? 0 : 1;
  if (result == NULL) {
    /* said why */
  } else if (cli->follow && strcmp(spec->name, "logs") == 0) {
    rc = follow_logs(in, cli, result);
  } else if (cli->follow) {
    fprintf(stderr, "following the events of fern at %s\n", path);
    rc = follow_events(in, cli, print_event);
  } else if (cli->json) {
    print_json(result);
  } else {
    spec->print(cli, shown(result));
  }
  json_decref(result);
  if (in != NULL)
    fclose(in);
  return rc;
}

json_t *fern__ctl_fetch(const fern__cli *cli, const char *command,
                        json_t *request) {
  char path[108];
  json_t *result;
  FILE *in = ctl_ask(cli, command, request, &result, path);
  if (in != NULL)
    fclose(in);
  return result;
}

static json_t *moniker_request(const fern__cli *cli) {
  return json_pack("{s:s}", "moniker", cli->args[0]);
}

static json_t *list_request(const fern__cli *cli) {
  json_t *request = json_object();
  if (cli->arg_count > 0)
    json_object_set_new(request, "subtree", json_string(cli->args[0]));
  if (cli->state_filter != NULL)
    json_object_set_new(request, "state", json_string(cli->state_filter));
  if (cli->wide)
    json_object_set_new(request, "wide", json_true());
  return request;
}

/* --override KEY=VALUE as {"key": KEY, "value": VALUE}, split at the
 * first '=' as ffx component create's --config splits it (RawConfigOverride
 * in Fuchsia's ffx component library), which reads VALUE as JSON; fern
 * reads JSON5, its superset, so 'text' needs no double quotes. NULL after
 * saying why. */
static json_t *override_of(const char *arg) {
  const char *eq = strchr(arg, '=');
  fern__json5_error err;
  json_t *value = eq && eq != arg ? fern__json5_parse(eq + 1, strlen(eq + 1),
                                                       &err)
                                  : NULL;
  if (eq == NULL || eq == arg) {
    fprintf(stderr, "fern create: --override %s: expected KEY=VALUE\n", arg);
    return NULL;
  }
  if (value == NULL || json_is_object(value) || json_is_null(value)) {
    fprintf(stderr,
            "fern create: --override %s: the value is JSON5 (5, true, "
            "'text', [1, 2]): %s\n",
            arg, value ? "not an object or null" : err.text);
    json_decref(value);
    return NULL;
  }
  return json_pack("{s:s%, s:o}", "key", arg, (size_t)(eq - arg), "value",
                   value);
}

static json_t *create_request(const fern__cli *cli) {
  json_t *overrides = json_array();
  if (overrides == NULL)
    fprintf(stderr, "fern create: out of memory\n");
  for (int i = 0; overrides != NULL && i < cli->override_count; i++) {
    json_t *entry = override_of(cli->overrides[i]);
    if (entry == NULL) {
      json_decref(overrides);
      return NULL;
    }
    json_array_append_new(overrides, entry);
  }
  return json_pack("{s:s, s:s, s:s, s:o}", "collection", cli->args[0],
                   "name", cli->args[1], "url", cli->args[2],
                   "config_overrides", overrides);
}

static json_t *events_request(const fern__cli *cli) {
  return json_pack("{s:b}", "follow", cli->follow);
}

static int column_width(const json_t *rows, const char *key, int least) {
  int width = least;
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    int n = (int)strlen(json_string_value(json_object_get(row, key)));
    width = n > width ? n : width;
  }
  return width;
}

static void print_list(const fern__cli *cli, const json_t *rows) {
  if (cli->wide) {
    fern__print_costs(rows, NULL);
    return;
  }
  int state = column_width(rows, "state", 5);
  int moniker = column_width(rows, "moniker", 7);
  printf("%-*s  %-*s  %s\n", state, "STATE", moniker, "MONIKER", "URL");
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    printf("%-*s  %-*s  %s\n", state,
           json_string_value(json_object_get(row, "state")), moniker,
           json_string_value(json_object_get(row, "moniker")),
           json_string_value(json_object_get(row, "url")));
  }
}

/* Any value, as one line of JSON, keys sorted (as FERN_CONFIG's file). */
static void show_json(const char *label, const json_t *value) {
  char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT |
                                     JSON_SORT_KEYS);
  printf("%-16s %s\n", label, text ? text : "?");
  free(text);
}

static void show_value(const char *label, const json_t *value) {
  const json_t *ready = json_object_get(value, "ready");
  if (ready != NULL) {
    const char *status = json_string_value(json_object_get(value, "status"));
    printf("%-16s %s%s%s\n", label, json_string_value(ready),
           status ? ", status: " : "", status ? status : "");
  } else if (json_object_get(value, "status") != NULL) {
    const json_t *sig = json_object_get(value, "signal");
    const json_t *code = json_object_get(value, "exit_code");
    const char *message = json_string_value(json_object_get(value, "message"));
    printf("%-16s %s", label,
           json_string_value(json_object_get(value, "status")));
    if (sig != NULL)
      printf(" (signal %s)", json_string_value(sig));
    else if (code != NULL)
      printf(" (exit %lld)", (long long)json_integer_value(code));
    printf("%s%s\n", message ? ": " : "", message ? message : "");
  } else if (value == NULL || json_is_null(value)) {
    printf("%-16s -\n", label);
  } else if (json_is_string(value)) {
    printf("%-16s %s\n", label, json_string_value(value));
  } else {
    show_json(label, value);
  }
}

static void print_show(const fern__cli *cli, const json_t *shown) {
  (void)cli;
  static const char *const fields[][2] = {
      {"moniker", "Moniker:"},       {"url", "URL:"},
      {"resolved_url", "Resolved URL:"}, {"environment", "Environment:"},
      {"runner", "Runner:"},         {"state", "State:"},
      {"start_reason", "Start reason:"}, {"pid", "PID:"},
      {"running_since", "Running since:"}, {"last_exit", "Last exit:"},
      {"restart_count", "Restarts:"}, {"readiness", "Readiness:"},
      {"collection", "Collection:"}, {"error", "Error:"},
      {"config", "Configuration:"}};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    const json_t *value = json_object_get(shown, fields[i][0]);
    if (strcmp(fields[i][0], "running_since") == 0 && json_is_real(value)) {
      time_t t = (time_t)json_real_value(value);
      char when[64];
      strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&t));
      printf("%-16s %s\n", fields[i][1], when);
    } else if (strcmp(fields[i][0], "config") == 0 && value != NULL) {
      show_json(fields[i][1], value); /* its keys are the manifest's */
    } else if (value != NULL || i < 12) {
      show_value(fields[i][1], value);
    }
  }
  const json_t *cost = json_object_get(shown, "cost");
  if (json_is_object(cost)) {
    char text[512];
    fern__cost_text(cost, text, sizeof text);
    printf("%-16s %s\n", "Cost:", text);
  }
  fern__print_declared_routes(shown);
}

static void print_route(const fern__cli *cli, const json_t *result) {
  (void)cli;
  fern__print_route(result);
}

static void print_state(const fern__cli *cli, const json_t *result) {
  printf("%s: %s\n", json_string_value(json_object_get(result, "moniker")),
         json_string_value(json_object_get(result, "state")));
  (void)cli;
}

static void print_destroyed(const fern__cli *cli, const json_t *result) {
  (void)result;
  printf("%s: destroyed\n", cli->args[0]);
}

static void print_events(const fern__cli *cli, const json_t *events) {
  (void)cli;
  size_t i;
  json_t *ev;
  json_array_foreach(events, i, ev) {
    print_event(ev);
  }
}

static const ctl_spec specs[] = {
    {"list", "fern list [OPTIONS] [SUBTREE]",
     "Lists components: state, moniker and URL, of the whole tree or of the\n"
     "subtree at SUBTREE; with --wide, what each running one costs: CPU\n"
     "time, memory now and at its peak, processes.", 0, 1, 0, 1,
     list_request, print_list},
    {"show", "fern show [OPTIONS] MONIKER",
     "Shows one component: URLs, environment, runner, state, start reason,\n"
     "pid, running since, last exit, restarts and readiness, and the\n"
     "protocols and directories its manifest uses, exposes and offers.", 1,
     1, 0, 0,
     moniker_request, print_show},
    {"route", "fern route [OPTIONS] MONIKER",
     "Follows each protocol or directory a component uses, hop by hop\n"
     "(use, offer, expose), to the component that provides it, and says\n"
     "whether that one runs; or that the route is pending or broken, and\n"
     "where.", 1, 1, 0, 0, moniker_request, print_route},
    {"start", "fern start [OPTIONS] MONIKER",
     "Starts a component (and what it needs: its ancestors).", 1, 1, 0, 0,
     moniker_request, print_state},
    {"stop", "fern stop [OPTIONS] MONIKER",
     "Stops a component's subtree, children first, and waits until it has.",
     1, 1, 0, 0, moniker_request, print_state},
    {"restart", "fern restart [OPTIONS] MONIKER",
     "Stops a component's subtree, then starts the component again, as one\n"
     "request (like systemctl restart). A component marked failed starts\n"
     "afresh.",
     1, 1, 0, 0, moniker_request, print_state},
    {"create", "fern create [OPTIONS] COLLECTION_MONIKER NAME URL",
     "Creates a dynamic child NAME in a collection (e.g. /core/workers) from\n"
     "URL; it is resolved first, so a bad URL creates nothing.", 3, 3, 0, 0,
     create_request, print_state},
    {"destroy", "fern destroy [OPTIONS] MONIKER",
     "Stops and destroys a dynamic child.", 1, 1, 0, 0, moniker_request,
     print_destroyed},
    {"events", "fern events [OPTIONS]",
     "Prints recent events, or with --follow every event as it happens.", 0,
     0, 1, 0, events_request, print_events},
    {"logs", "fern logs [OPTIONS] [MONIKER...]",
     "Prints the lines fern kept of components and of what is below them\n"
     "(all when no MONIKER is given), in order, each with its time, moniker\n"
     "and stream: what their programs wrote on stdout and stderr, and fern's\n"
     "own records of them. Lines of runs that ended and of components since\n"
     "destroyed are kept too, as far as each one's buffer reaches, and\n"
     "further from the log directory when the configuration names one.", 0,
     1024, 1, 0, fern__logs_request, fern__logs_print},
};

int fern__cmd_ctl(const char *name, int argc, char **argv) {
  const ctl_spec *spec = NULL;
  for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
    if (strcmp(specs[i].name, name) == 0)
      spec = &specs[i];
  fern__cli cli = {.command = spec->name,
                   .usage = spec->usage,
                   .summary = spec->summary,
                   .json_allowed = 1,
                   .control_allowed = 1,
                   .follow_allowed = spec->follow,
                   .state_allowed = spec->state,
                   .logs_allowed = strcmp(spec->name, "logs") == 0,
                   .wide_allowed = strcmp(spec->name, "list") == 0,
                   .overrides_allowed = strcmp(spec->name, "create") == 0};
  int status = fern__cli_parse(&cli, argc, argv);
  if (status < 0 &&
      (cli.arg_count < spec->min_args || cli.arg_count > spec->max_args)) {
    fprintf(stderr, "usage: %s\n", spec->usage);
    status = 2;
  }
  if (status < 0)
    status = call(&cli, spec);
  fern__cli_free(&cli);
  return status;
}
