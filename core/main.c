/* main.c - `fern COMMAND ...`: finds the command and hands over. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nofile.h"

typedef struct command_s {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

#define CTL(name)                                                              \
  static int cmd_##name(int argc, char **argv) {                               \
    return fern__cmd_ctl(#name, argc, argv);                                   \
  }
CTL(list)
CTL(show)
CTL(route)
CTL(start)
CTL(stop)
CTL(create)
CTL(destroy)
CTL(restart)
CTL(events)
CTL(logs)

static const command commands[] = {
    {"run", fern__cmd_run, "boot a component tree and supervise it"},
    {"check", fern__cmd_check, "validate manifests"},
    {"tree", fern__cmd_tree, "print the static component tree"},
    {"graph", fern__cmd_graph, "draw the static tree and its routes (DOT)"},
    {"plugins", fern__cmd_plugins, "list the plugins fern can load"},
    {"storage", fern__cmd_storage, "list or delete the storage of a tree"},
    {"list", cmd_list, "list the components of a running fern"},
    {"show", cmd_show, "show one component of a running fern"},
    {"route", cmd_route, "where each protocol a component uses comes from"},
    {"start", cmd_start, "start a component"},
    {"stop", cmd_stop, "stop a component's subtree"},
    {"restart", cmd_restart, "stop a component's subtree, then start it"},
    {"create", cmd_create, "create a child in a collection"},
    {"destroy", cmd_destroy, "destroy a dynamic child"},
    {"events", cmd_events, "print the event stream"},
    {"logs", cmd_logs, "print the lines components wrote, and follow them"},
    {"top", fern__cmd_top, "the running components by CPU or memory, refreshed"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: fern COMMAND [OPTIONS] ...\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n`fern COMMAND --help` tells more.\n");
}

int main(int argc, char **argv) {
  /* A peer that goes away (a control client, a component's pipe) is an
   * error to handle where it happens, not a reason for fern to die. */
  signal(SIGPIPE, SIG_IGN);
  /* An ignored SIGCHLD (or SA_NOCLDWAIT) survives exec: started so, fern's
   * children would be reaped by the kernel, their status lost to waitid.
   * Nothing may handle SIGCHLD while pidfds tell every end
   * (proc_service.c), so its default is set here, not by a handler. */
  signal(SIGCHLD, SIG_DFL);
  fern__nofile_raise();
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
    printf("fern %s\n", FERN_VERSION_STRING);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "fern: unknown command \"%s\"\n", argv[1]);
  usage(stderr);
  return 2;
}
