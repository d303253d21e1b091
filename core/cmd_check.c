/* cmd_check.c - `fern check MANIFEST...`: every error with file:line:col. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_path.h"
#include "root_env.h"
#include "check_tree.h"
#include "cli.h"
#include "log.h"
#include "log_escape.h"
#include "manager.h"
#include "url.h"

static char *read_file(const char *path, size_t *len, fern_error_t *err) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fern_error_set(err, FERN_ENOENT, NULL, "%s: cannot open", path);
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *text = malloc(cap);
  size_t got;
  /* One byte past the parser's limit is enough for it to say so. */
  while (text != NULL && n <= FERN__MANIFEST_MAX &&
         (got = fread(text + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *grown = realloc(text, cap *= 2);
      if (grown == NULL)
        free(text);
      text = grown;
    }
  }
  fclose(f);
  if (text == NULL)
    fern_error_set(err, FERN_ENOMEM, NULL, "%s: out of memory", path);
  *len = n;
  return text;
}

static int check_child_urls(const fern__decl *decl, fern_error_t *err) {
  for (size_t i = 0; i < decl->child_count; i++) {
    fern__url url;
    fern_error_t why = FERN_ERROR_INIT;
    if (fern__url_parse(decl->children[i].url, &url, &why) != FERN_OK) {
      fern__pointer at;
      snprintf(at, sizeof at, "/children/%zu/url", i);
      return fern__decl_error(decl, err, FERN_EINVAL, at, "%s", why.message);
    }
    fern__url_free(&url);
  }
  return FERN_OK;
}

/* The runner a check validates the program with: one the manifest itself
 * declares, else the root environment's. */
static int check_program(fern__manager *manager, const fern__decl *decl,
                         fern_error_t *err, const char **note) {
  if (decl->program == NULL)
    return FERN_OK;
  const fern__capability_decl *own =
      fern__decl_find_capability(decl, FERN_CAP_RUNNER, decl->runner);
  fern__capability *runner = NULL;
  int rc = FERN_OK;
  if (own != NULL)
    rc = fern__capability_from_plugin(&manager->plugins, FERN_CAP_RUNNER,
                                      own->name, own->plugin, own->config,
                                      &manager->host, &runner, err);
  else if ((runner = fern__env_runner(manager->root_env, decl->runner)))
    fern__capability_ref(runner);
  if (rc != FERN_OK) {
    /* A fault in its config is named where it is in the manifest. */
    fern__pointer at;
    snprintf(at, sizeof at, "/capabilities/%zu%s%s",
             (size_t)(own - decl->capabilities), err->key[0] ? "/config" : "",
             err->key);
    return fern__decl_error(decl, err, rc, at, "%s", err->message);
  }
  if (runner == NULL) {
    *note = "its program block was not checked: the root environment has "
            "no runner of that name";
    return FERN_OK;
  }
  fern_error_t why = FERN_ERROR_INIT;
  rc = fern__capability_validate(runner, decl->program, &why);
  fern__capability_unref(runner);
  if (rc == FERN_OK)
    return FERN_OK;
  fern__pointer at;
  snprintf(at, sizeof at, "/program%s", why.key);
  return fern__decl_error(decl, err, rc < 0 ? rc : FERN_EINVAL, at, "%s",
                          why.message);
}

/* "FILE: ok (runner "NAME")": the path, the note and the runner's name
 * come from the command line and the manifest, escaped as the log is. */
static void print_ok(const char *path, const char *note, const char *runner) {
  char shown[3][4096];
  printf("%s: ok%s%s (runner \"%s\")\n",
         fern__escape_shown(shown[0], sizeof shown[0], path),
         note ? "; " : "",
         fern__escape_shown(shown[1], sizeof shown[1], note ? note : ""),
         fern__escape_shown(shown[2], sizeof shown[2], runner ? runner : "none"));
}

/* Whether `path` is a Capstan package (its directory, or its
 * meta/run.yaml): YAML, which its resolver reads and checks. */
static int is_capstan(const char *path) {
  fern_error_t err = FERN_ERROR_INIT;
  char *url = fern__cli_url_from_arg(path, &err);
  int capstan = url != NULL && strncmp(url, "capstan://", 10) == 0;
  free(url);
  return capstan;
}

static int check_one(fern__manager *manager, const char *path, int json,
                     json_t *results) {
  fern_error_t err = FERN_ERROR_INIT;
  size_t len = 0;
  const char *note = NULL;
  fern__decl *decl = NULL;
  char *text = read_file(path, &len, &err);
  const fern__config *config = manager->config;
  /* Shards are looked for beside the file first. */
  char beside[PATH_MAX];
  fern__control_dir_of(path, beside, sizeof beside);
  fern__include_dirs dirs = {beside, NULL,
                             (const char *const *)config->include_dirs,
                             config->include_dir_count};
  int rc = text ? fern__decl_parse_in(text, len, path, &dirs, &decl, &err)
                : FERN_ENOENT;
  if (rc == FERN_OK)
    rc = check_child_urls(decl, &err);
  if (rc == FERN_OK)
    rc = check_program(manager, decl, &err, &note);
  if (json)
    json_array_append_new(results,
                          json_pack("{s:s, s:b, s:s?, s:s?}", "file", path,
                                    "ok", rc == FERN_OK, "error",
                                    rc == FERN_OK ? NULL : err.message, "note",
                                    note));
  else if (rc != FERN_OK)
    fern__log_plain(err.message); /* escaped: it quotes the manifest */
  else
    print_ok(path, note, decl->runner);
  fern__decl_free(decl);
  free(text);
  return rc == FERN_OK ? 0 : 1;
}

int fern__cmd_check(int argc, char **argv) {
  fern__cli cli = {.command = "check",
                   .usage = "fern check [OPTIONS] MANIFEST...\n"
                            "       fern check --tree [OPTIONS] URL|PATH...",
                   .summary = "Validates each manifest: its JSON, its keys "
                              "and types, names, environments, child\n"
                              "URLs, and its program block (by the runner "
                              "that will run it). Each error names\n"
                              "file:line:col. Exits 1 if any manifest is "
                              "invalid.\nA Capstan package (its directory "
                              "or its meta/run.yaml) is checked as its\n"
                              "resolver reads it, YAML errors at "
                              "file:line:col.\nWith --tree, resolves each whole "
                              "tree (starting nothing) and follows every\n"
                              "route, as fern run does before each start.",
                   .json_allowed = 1,
                   .tree_allowed = 1};
  int status = fern__cli_parse(&cli, argc, argv);
  if (status >= 0 || cli.arg_count < 1) {
    if (status < 0)
      fprintf(stderr, "usage: %s\n", cli.usage);
    fern__cli_free(&cli);
    return status >= 0 ? status : 2;
  }
  if (cli.tree) {
    json_t *results = cli.json ? json_array() : NULL;
    status = 0;
    for (int i = 0; i < cli.arg_count; i++)
      status |= fern__check_tree(&cli.config, cli.args[i], results);
    if (results != NULL)
      json_dumpf(results, stdout, JSON_INDENT(2)), putchar('\n');
    json_decref(results);
    fern__cli_free(&cli);
    return status;
  }
  fern__manager manager;
  fern_error_t err = FERN_ERROR_INIT;
  status = 0;
  if (fern__manager_init(&manager, &cli.config, FERN_MODE_TREE, &err) !=
      FERN_OK) {
    fern__log(FERN_LOG_ERROR, NULL, "%s", err.message);
    status = 1;
  } else {
    json_t *results = json_array();
    /* A Capstan package is checked as fern run reads it: its YAML, and
     * its default config set resolved with its bases (fern check
     * --tree's check of a tree of one). */
    for (int i = 0; i < cli.arg_count; i++)
      status |= is_capstan(cli.args[i])
                    ? fern__check_tree(&cli.config, cli.args[i],
                                       cli.json ? results : NULL)
                    : check_one(&manager, cli.args[i], cli.json, results);
    if (cli.json)
      json_dumpf(results, stdout, JSON_INDENT(2)), putchar('\n');
    json_decref(results);
  }
  fern__manager_free(&manager);
  fern__cli_free(&cli);
  return status;
}
