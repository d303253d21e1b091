/* cmd_plugins.c - `fern plugins`: what is installed, what each is, and why
 * a file was refused. */
#include <stdio.h>

#include "cli.h"
#include "plugin.h"

static const char *kind_of(const fern__plugin *p) {
  if (p->runner && p->resolver)
    return "runner+resolver";
  return p->runner ? "runner" : p->resolver ? "resolver" : "refused";
}

static void print_plugin(const fern__plugin *p, json_t *array) {
  char abi[32], host_abi[32];
  snprintf(abi, sizeof abi, "%u.%u", p->abi_major, p->abi_minor);
  snprintf(host_abi, sizeof host_abi, "%u.%u", FERN_HOST_ABI_MAJOR,
           p->host_abi_minor);
  if (array != NULL) {
    json_array_append_new(
        array, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?}", "name", p->name,
                         "kind", kind_of(p), "abi", p->load_rc ? "" : abi,
                         "host_abi", p->load_rc ? "" : host_abi, "file",
                         p->path, "error",
                         p->load_rc ? p->load_error : NULL));
    return;
  }
  printf("%-12s %-16s %-6s %s\n", p->name, kind_of(p), p->load_rc ? "-" : abi,
         p->path);
  if (p->load_rc != FERN_OK)
    fprintf(stderr, "fern: %s\n", p->load_error);
}

int fern__cmd_plugins(int argc, char **argv) {
  fern__cli cli = {.command = "plugins",
                   .usage = "fern plugins [OPTIONS]",
                   .summary = "Loads every plugin in the plugin directories "
                              "and lists its name, kind, ABI version and\n"
                              "file. A file that is refused is listed as "
                              "such, with the reason on stderr.",
                   .json_allowed = 1};
  int status = fern__cli_parse(&cli, argc, argv);
  if (status >= 0) {
    fern__cli_free(&cli);
    return status;
  }
  fern__plugin_registry reg;
  fern__plugins_scan(&reg, (const char *const *)cli.config.plugin_dirs);
  json_t *array = cli.json ? json_array() : NULL;
  if (!cli.json)
    printf("%-12s %-16s %-6s %s\n", "NAME", "KIND", "ABI", "FILE");
  for (size_t i = 0; i < reg.count; i++) {
    fern__plugin_load(reg.plugins[i]);
    print_plugin(reg.plugins[i], array);
  }
  if (array != NULL) {
    json_dumpf(array, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(array);
  }
  fern__plugins_free(&reg);
  fern__cli_free(&cli);
  return 0;
}
