/* capstan_boot.c - a config set with its bases applied, as Capstan's
 * runtime.go GetBootCmd does: a set with a base takes the base's boot
 * command whole (its own bootcmd is ignored), and prefixes its own env to
 * it as soft --env=KEY?=VALUE options, so its values come first and win
 * over its bases'. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capstan_cmdline.h"
#include "capstan_package.h"
#include "capstan_repo.h"

/* The sets being applied, outermost first, and the packages opened for
 * bases (closed at the end). */
typedef struct chain_s {
  const capstan_search *search;
  capstan_package *pkg[CAPSTAN_BASE_DEPTH_MAX];
  const char *set[CAPSTAN_BASE_DEPTH_MAX];
  size_t depth;
  capstan_package opened[CAPSTAN_BASE_DEPTH_MAX];
  size_t opened_count;
} chain;

static int apply_set(chain *c, capstan_package *pkg, const char *set,
                     capstan_boot *out, fern_error_t *err);

static void set_names(capstan_package *pkg, char *buf, size_t size) {
  size_t used = 0, n = capstan_yaml_map_size(pkg->sets);
  buf[0] = '\0';
  for (size_t i = 0; i < n && used < size; i++) {
    yaml_node_t *ignored;
    const char *name = capstan_yaml_pair(&pkg->run, pkg->sets, i, &ignored);
    used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                             name);
  }
}

static int cycle_error(chain *c, capstan_package *pkg, const char *set,
                       fern_error_t *err) {
  char path[400] = "";
  size_t used = 0;
  for (size_t i = 0; i < c->depth && used < sizeof path; i++)
    used += (size_t)snprintf(path + used, sizeof path - used, "%s:%s -> ",
                             c->pkg[i]->name, c->set[i]);
  return fern_error_set(err, FERN_EINVAL, NULL,
                        "config sets form a cycle of bases: %s%s:%s", path,
                        pkg->name, set);
}

/* Opens the package found at `dir`, which must carry `name`. */
static int open_found(chain *c, const char *dir, const char *name,
                      capstan_package **out, fern_error_t *err) {
  capstan_package *pkg = &c->opened[c->opened_count];
  int rc = capstan_package_open(c->search->host, dir, pkg, err);
  if (rc != FERN_OK)
    return rc == FERN_ENOENT ? FERN_EINVAL : rc; /* found, but broken */
  c->opened_count++;
  if (strcmp(pkg->name, name) != 0)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s holds package \"%s\", not \"%s\"", dir,
                          pkg->name, name);
  *out = pkg;
  return FERN_OK;
}

/* Finds package `name` beside `from`, then in each repository
 * (capstan_repo.h). */
static int open_by_name(chain *c, capstan_package *from, const char *name,
                        capstan_package **out, fern_error_t *err) {
  if (c->opened_count == CAPSTAN_BASE_DEPTH_MAX)
    return fern_error_set(err, FERN_EINVAL, NULL, "too many base packages");
  char dir[PATH_MAX];
  int rc = capstan_repo_find(c->search, from->dir, name, dir, sizeof dir, err);
  if (rc == FERN_ENOENT)
    return fern_error_set(err, rc, NULL,
                          "no package \"%s\" beside %s or in the "
                          "repositories",
                          name, from->dir);
  return rc == FERN_OK ? open_found(c, dir, name, out, err) : rc;
}

/* A set the booted package does not declare but a package composed under
 * it does: Capstan writes every set of every composed package to
 * /run/SET, the last package's winning (runtime/parser.go's Persist).
 * Each is opened where the composition found it; one without a run.yaml
 * has no sets. */
static int apply_composed_set(chain *c, const char *set, capstan_boot *out,
                              fern_error_t *err) {
  const json_t *required = c->search->required;
  for (size_t i = json_array_size(required); i-- > 0;) {
    const json_t *entry = json_array_get(required, i);
    const char *dir = json_string_value(json_object_get(entry, "dir"));
    const char *name = json_string_value(json_object_get(entry, "name"));
    capstan_package other;
    int rc = capstan_package_open(c->search->host, dir, &other, err);
    if (rc == FERN_ENOENT)
      continue;
    if (rc != FERN_OK)
      return rc;
    if (capstan_yaml_get(&other.run, other.sets, set) == NULL ||
        strcmp(other.name, name) != 0) {
      capstan_package_close(&other);
      continue;
    }
    if (c->opened_count == CAPSTAN_BASE_DEPTH_MAX) {
      capstan_package_close(&other);
      return fern_error_set(err, FERN_EINVAL, NULL, "too many base packages");
    }
    c->opened[c->opened_count] = other;
    return apply_set(c, &c->opened[c->opened_count++], set, out, err);
  }
  return FERN_ENOENT;
}

/* Applies the set named by `base` ("PACKAGE:SET") of set `set`. */
static int apply_base_text(chain *c, capstan_package *pkg, const char *base,
                           yaml_node_t *base_node, capstan_boot *out,
                           fern_error_t *err) {
  const char *colon = base ? strchr(base, ':') : NULL;
  if (colon == NULL || colon == base || colon[1] == '\0' ||
      memchr(base, '/', (size_t)(colon - base)) != NULL)
    return capstan_yaml_error(&pkg->run, base_node, FERN_EINVAL, err,
                              "base \"%s\" is not \"package:config_set\"",
                              base ? base : "(not text)");
  char name[NAME_MAX + 1];
  snprintf(name, sizeof name, "%.*s", (int)(colon - base), base);
  capstan_package *base_pkg = pkg;
  int rc = FERN_OK;
  if (strcmp(name, pkg->name) != 0)
    rc = open_by_name(c, pkg, name, &base_pkg, err);
  if (rc != FERN_OK) {
    char why[sizeof err->message];
    memcpy(why, err->message, sizeof why);
    return capstan_yaml_error(&pkg->run, base_node, rc, err, "base \"%s\": %s",
                              base, why);
  }
  return apply_set(c, base_pkg, colon + 1, out, err);
}

static int apply_base(chain *c, capstan_package *pkg, yaml_node_t *base_node,
                      capstan_boot *out, fern_error_t *err) {
  return apply_base_text(c, pkg, capstan_yaml_scalar(base_node), base_node,
                         out, err);
}

static int env_name_ok(const char *name) {
  return name != NULL && name[0] != '\0' && strchr(name, '=') == NULL;
}

/* A set's env as Capstan prefixes it to the boot command: --env=KEY?=VALUE
 * each, refused as runtime.go refuses it when a key or value holds a
 * space. */
static int apply_env(capstan_package *pkg, const char *set, yaml_node_t *env,
                     capstan_boot *out, fern_error_t *err) {
  char what[200];
  snprintf(what, sizeof what, "config set \"%s\": env", set);
  int rc = capstan_yaml_check_map(&pkg->run, env, what, NULL, err);
  size_t n = capstan_yaml_map_size(env);
  for (size_t i = 0; i < n && rc == FERN_OK; i++) {
    yaml_node_t *value_node;
    const char *name = capstan_yaml_pair(&pkg->run, env, i, &value_node);
    const char *value = capstan_yaml_scalar(value_node);
    char *option = NULL;
    if (!env_name_ok(name))
      rc = capstan_yaml_error(&pkg->run, env, FERN_EINVAL, err,
                              "%s: \"%s\" is not a variable name", what, name);
    else if (value == NULL)
      rc = capstan_yaml_error(&pkg->run, value_node, FERN_EINVAL, err,
                              "%s: %s must be text", what, name);
    else if (strchr(name, ' ') != NULL || strchr(value, ' ') != NULL)
      rc = capstan_yaml_error(&pkg->run, value_node, FERN_EINVAL, err,
                              "%s: spaces not allowed in env key/value: "
                              "'%s':'%s' (as Capstan refuses them)",
                              what, name, value);
    else if (asprintf(&option, "%s?=%s", name, value) < 0 ||
             json_array_append_new(out->options, json_string(option)) != 0)
      rc = capstan_yaml_error(&pkg->run, value_node, FERN_EINVAL, err,
                              "%s: %s is not valid text", what, name);
    free(option);
  }
  return rc;
}

/* The set's own bootcmd, parsed, when it has no base. */
static int take_bootcmd(capstan_package *pkg, const char *set,
                        yaml_node_t *cmd_node, capstan_boot *out,
                        fern_error_t *err) {
  const char *cmd = capstan_yaml_scalar(cmd_node);
  json_t *commands = NULL;
  int rc = cmd ? capstan_cmdline_parse(cmd, &commands, err)
               : fern_error_set(err, FERN_EINVAL, NULL,
                                "bootcmd must be text");
  if (rc != FERN_OK) {
    char why[sizeof err->message];
    memcpy(why, err->message, sizeof why);
    return capstan_yaml_error(&pkg->run, cmd_node, rc, err,
                              "config set \"%s\": %s", set, why);
  }
  out->commands = commands;
  return FERN_OK;
}

/* Drops this set's own "NAME?=..." options from `from` on: GetBootCmd
 * assigns NAME outright (python's shell MAIN). */
static void drop_options(capstan_boot *out, size_t from, const char *name) {
  size_t len = strlen(name);
  for (size_t i = json_array_size(out->options); i-- > from;) {
    const char *option = json_string_value(json_array_get(out->options, i));
    if (strncmp(option, name, len) == 0 && strncmp(option + len, "?=", 2) == 0)
      json_array_remove(out->options, i);
  }
}

/* Appends NAME?=VALUE; a value with a space is refused: Capstan writes
 * it unquoted into the boot command (--env=ARGS?=a b), where OSv's
 * runscript would end the option at the space and take "b" for the
 * program (core/commands.cc). */
static int add_option(capstan_package *pkg, yaml_node_t *at, const char *name,
                      const char *value, capstan_boot *out,
                      fern_error_t *err) {
  char *option = NULL;
  if (strchr(value, ' ') != NULL)
    return capstan_yaml_error(&pkg->run, at, FERN_EINVAL, err,
                              "%s would be \"%s\": Capstan writes it into "
                              "the boot command as --env=%s?=%s, and OSv "
                              "would split the command at the space; give "
                              "one word, or set %s in env",
                              name, value, name, value, name);
  int rc = asprintf(&option, "%s?=%s", name, value) < 0 ||
                   json_array_append_new(out->options, json_string(option)) != 0
               ? fern_error_set(err, FERN_ENOMEM, NULL, "out of memory")
               : FERN_OK;
  free(option);
  return rc;
}

/* A set of runtime node, python or java: its runtime's variables, as
 * soft options after the set's own env (which they never replace, but
 * for the ones GetBootCmd assigns outright), then the base the runtime
 * boots (capstan_runtime.h). `env_from` is where the set's own env
 * options begin. */
static int apply_runtime(chain *c, capstan_package *pkg, const char *set,
                         yaml_node_t *node, yaml_node_t *env, size_t env_from,
                         capstan_boot *out, fern_error_t *err) {
  json_t *defaults = json_object(), *forced = json_object();
  const char *base = NULL;
  int rc = defaults && forced
               ? capstan_runtime_apply(pkg->runtime, &pkg->run, node, &base,
                                       defaults, forced, err)
               : fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  const char *name;
  json_t *value;
  json_object_foreach(rc == FERN_OK ? forced : NULL, name, value) {
    drop_options(out, env_from, name);
    if (rc == FERN_OK)
      rc = add_option(pkg, node, name, json_string_value(value), out, err);
  }
  json_object_foreach(rc == FERN_OK ? defaults : NULL, name, value) {
    if (capstan_yaml_get(&pkg->run, env, name) != NULL)
      continue; /* setDefaultEnv: the set's own stays */
    if (rc == FERN_OK)
      rc = add_option(pkg, node, name, json_string_value(value), out, err);
  }
  json_decref(defaults);
  json_decref(forced);
  if (rc != FERN_OK || base == NULL)
    return rc;
  c->pkg[c->depth] = pkg;
  c->set[c->depth++] = set;
  yaml_node_t *at = capstan_yaml_get(&pkg->run, node, "base");
  rc = apply_base_text(c, pkg, base, at ? at : node, out, err);
  c->depth--;
  return rc;
}

static int apply_set(chain *c, capstan_package *pkg, const char *set,
                     capstan_boot *out, fern_error_t *err) {
  for (size_t i = 0; i < c->depth; i++)
    if (strcmp(c->pkg[i]->name, pkg->name) == 0 &&
        strcmp(c->set[i], set) == 0)
      return cycle_error(c, pkg, set, err);
  if (c->depth == CAPSTAN_BASE_DEPTH_MAX)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "config set \"%s\" of %s: bases nest deeper than %d",
                          set, pkg->name, CAPSTAN_BASE_DEPTH_MAX);
  yaml_node_t *node = capstan_yaml_get(&pkg->run, pkg->sets, set);
  if (node == NULL && c->depth == 0 && c->search->required != NULL) {
    int rc = apply_composed_set(c, set, out, err);
    if (rc != FERN_ENOENT)
      return rc;
  }
  if (node == NULL) {
    char names[300];
    set_names(pkg, names, sizeof names);
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "package %s (%s) has no config set \"%s\" (it has: "
                          "%s)",
                          pkg->name, pkg->dir, set, names);
  }
  yaml_node_t *env = capstan_yaml_get(&pkg->run, node, "env");
  size_t env_from = json_array_size(out->options);
  int rc = env != NULL ? apply_env(pkg, set, env, out, err) : FERN_OK;
  if (rc == FERN_OK && capstan_runtime_dependency(pkg->runtime) != NULL)
    return apply_runtime(c, pkg, set, node, env, env_from, out, err);
  yaml_node_t *base = capstan_yaml_get(&pkg->run, node, "base");
  yaml_node_t *cmd = capstan_yaml_get(&pkg->run, node, "bootcmd");
  if (rc != FERN_OK || base == NULL)
    return rc == FERN_OK && cmd != NULL ? take_bootcmd(pkg, set, cmd, out, err)
                                        : rc;
  if (cmd != NULL && out->overridden == NULL)
    out->overridden = strdup(set);
  c->pkg[c->depth] = pkg;
  c->set[c->depth++] = set;
  rc = apply_base(c, pkg, base, out, err);
  c->depth--;
  return rc;
}

static int chosen_set(capstan_package *pkg, const char *set, const char **out,
                      fern_error_t *err) {
  *out = set != NULL ? set : pkg->default_set;
  if (*out != NULL)
    return FERN_OK;
  char names[300];
  set_names(pkg, names, sizeof names);
  return fern_error_set(err, FERN_EINVAL, NULL,
                        "package %s (%s) has several config sets and no "
                        "config_set_default: choose one of %s (--boot NAME, "
                        "or the URL's #NAME)",
                        pkg->name, pkg->dir, names);
}

int capstan_boot_resolve(const capstan_search *search, capstan_package *pkg,
                         const char *set, capstan_boot *out,
                         fern_error_t *err) {
  memset(out, 0, sizeof *out);
  int rc = chosen_set(pkg, set, &set, err);
  if (rc != FERN_OK)
    return rc;
  chain c = {.search = search};
  out->options = json_array();
  out->set = strdup(set);
  rc = out->options && out->set ? apply_set(&c, pkg, set, out, err)
                                : fern_error_set(err, FERN_ENOMEM, NULL,
                                                 "out of memory");
  if (rc == FERN_OK && out->commands == NULL)
    rc = fern_error_set(err, FERN_EINVAL, NULL,
                        "config set \"%s\" of package %s has no bootcmd, and "
                        "neither has any base it inherits from",
                        set, pkg->name);
  for (size_t i = 0; i < c.opened_count; i++)
    capstan_package_close(&c.opened[i]);
  if (rc != FERN_OK)
    capstan_boot_free(out);
  return rc;
}

void capstan_boot_free(capstan_boot *boot) {
  free(boot->set);
  free(boot->overridden);
  json_decref(boot->options);
  json_decref(boot->commands);
  memset(boot, 0, sizeof *boot);
}
