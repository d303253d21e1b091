/* fuzz_capstan.c - libFuzzer: a Capstan package's meta/run.yaml through
 * the YAML reader, the package checks and the config-set resolution with
 * its bases; and the same bytes as a bootcmd to split. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/manager.h"
#include "../resolvers/capstan/capstan_cmdline.h"
#include "../resolvers/capstan/capstan_env.h"
#include "../resolvers/capstan/capstan_program.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void quiet_log(void *ctx, fern_log_level level, const char *moniker,
                      const char *fmt, ...) {
  (void)ctx, (void)level, (void)moniker, (void)fmt;
}

/* fern's own host table, its log quiet. */
static fern__manager manager;
static const fern_host_t *host_table(void) {
  if (manager.host.struct_size == 0) {
    fern__host_init(&manager);
    manager.host.log = quiet_log;
  }
  return &manager.host;
}

/* One package for the whole run: meta/package.yaml fixed, meta/run.yaml
 * rewritten with each input. */
static int package(void) {
  if (dir[0] != '\0')
    return 0;
  char path[128];
  snprintf(dir, sizeof dir, "/tmp/fern-fuzz-capstan-XXXXXX");
  if (mkdtemp(dir) == NULL)
    return -1;
  snprintf(path, sizeof path, "%s/meta", dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/meta/package.yaml", dir);
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return -1;
  fputs("name: fuzz.pkg\n", f);
  fclose(f);
  return 0;
}

/* A command alone, as a runscript runs it: its options, then its words. */
static int env_command(json_t *env, const json_t *words, json_t **argv,
                       fern_error_t *e) {
  size_t first = 0;
  *argv = NULL;
  int rc = capstan_env_options(env, words, &first, e);
  return rc == FERN_OK ? capstan_env_words(env, words, first, argv, e) : rc;
}

static void split(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL)
    return;
  memcpy(text, data, size);
  text[size] = '\0';
  json_t *commands = NULL;
  fern_error_t err = FERN_ERROR_INIT;
  if (capstan_cmdline_parse(text, &commands, &err) == FERN_OK) {
    /* Each command as a runscript runs it, expanding against an
     * environment the text itself fills. */
    json_t *env = json_object();
    size_t i;
    json_t *command;
    json_array_foreach(commands, i, command) {
      json_t *argv = NULL;
      if (env_command(env, json_object_get(command, "argv"), &argv, &err) ==
          FERN_OK)
        json_decref(argv);
    }
    json_decref(env);
    json_decref(commands);
  }
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  split(data, size);
  if (package() != 0)
    return 0;
  char path[128];
  snprintf(path, sizeof path, "%s/meta/run.yaml", dir);
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return 0;
  size_t wrote = fwrite(data, 1, size, f);
  fclose(f);
  if (wrote != size)
    return 0;
  capstan_package pkg;
  fern_error_t err = FERN_ERROR_INIT;
  if (capstan_package_open(host_table(), dir, &pkg, &err) != FERN_OK)
    return 0;
  const char *const none[] = {NULL};
  capstan_search search = {.host = host_table(), .repositories = none};
  capstan_program program;
  size_t sets = capstan_yaml_map_size(pkg.sets);
  for (size_t i = 0; i <= sets && i < 8; i++) {
    yaml_node_t *ignored;
    const char *set =
        i == sets ? NULL : capstan_yaml_pair(&pkg.run, pkg.sets, i, &ignored);
    if (capstan_program_resolve(&search, &pkg, set, 0, NULL, NULL, &program,
                                &err) == FERN_OK)
      capstan_program_free(&program);
  }
  capstan_package_close(&pkg);
  return 0;
}
