/* config.c - see config.h. */
#include "config.h"

#include "policy.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FERN_PLUGINDIR
#define FERN_PLUGINDIR "/usr/local/lib/fern/plugins"
#endif

void fern__config_init(fern__config *config) {
  memset(config, 0, sizeof *config);
  config->resolve_timeout_ms = FERN__RESOLVE_TIMEOUT_MS;
}

void fern__config_free(fern__config *config) {
  for (size_t i = 0; i < config->plugin_dir_count; i++)
    free(config->plugin_dirs[i]);
  free(config->plugin_dirs);
  for (size_t i = 0; i < config->include_dir_count; i++)
    free(config->include_dirs[i]);
  free(config->include_dirs);
  free(config->boot_dir);
  json_decref(config->capstan_env);
  json_decref(config->capstan_boot);
  free(config->path);
  json_decref(config->json);
  json_decref(config->id_index);
  free(config->logs.dir);
  fern__config_init(config);
}

static int add_dir(char ***dirs, size_t *count, const char *dir) {
  char **grown = realloc(*dirs, (*count + 2) * sizeof *grown);
  if (grown == NULL)
    return FERN_ENOMEM;
  *dirs = grown;
  if ((grown[*count] = strdup(dir)) == NULL)
    return FERN_ENOMEM;
  grown[++*count] = NULL;
  return FERN_OK;
}

int fern__config_add_include_dir(fern__config *config, const char *dir) {
  return add_dir(&config->include_dirs, &config->include_dir_count, dir);
}

int fern__config_add_plugin_dir(fern__config *config, const char *dir) {
  return add_dir(&config->plugin_dirs, &config->plugin_dir_count, dir);
}

static int config_fail(fern__config *config, fern_error_t *err,
                       const char *what) {
  return fern_error_set(err, FERN_EINVAL, NULL, "%s: %s", config->path, what);
}

static int check_root_environment(fern__config *config, json_t *root_env,
                                  fern_error_t *err) {
  if (!json_is_object(root_env))
    return config_fail(config, err, "\"root_environment\" must be an object");
  const char *key;
  json_t *value;
  json_object_foreach(root_env, key, value) {
    if (strcmp(key, "runners") == 0 || strcmp(key, "resolvers") == 0) {
      if (!json_is_array(value))
        return config_fail(config, err,
                           "\"root_environment\": runners and resolvers must "
                           "be arrays");
    } else if (strcmp(key, "stop_timeout_ms") == 0) {
      if (!json_is_integer(value) || json_integer_value(value) <= 0)
        return config_fail(config, err,
                           "\"stop_timeout_ms\" must be a positive integer");
    } else {
      return fern_error_set(err, FERN_EINVAL, NULL,
                            "%s: unknown key \"%s\" in \"root_environment\" "
                            "(expected \"runners\", \"resolvers\" or "
                            "\"stop_timeout_ms\")",
                            config->path, key);
    }
  }
  return FERN_OK;
}

/* The file's neighbour, for a relative name in it. */
static void beside_file(const fern__config *config, const char *name,
                        char *out, size_t size) {
  const char *slash = config->path ? strrchr(config->path, '/') : NULL;
  if (name[0] != '/' && slash != NULL)
    snprintf(out, size, "%.*s/%s", (int)(slash - config->path), config->path,
             name);
  else
    snprintf(out, size, "%s", name);
}

/* "include_paths": directories of include shards, after --includepath. */
static int take_include_paths(fern__config *config, const json_t *value,
                              fern_error_t *err) {
  size_t i;
  json_t *dir;
  if (!json_is_array(value))
    return config_fail(config, err, "\"include_paths\" must be an array");
  json_array_foreach(value, i, dir) {
    if (!json_is_string(dir))
      return config_fail(config, err, "\"include_paths\" must hold strings");
    char path[PATH_MAX * 2];
    beside_file(config, json_string_value(dir), path, sizeof path);
    if (fern__config_add_include_dir(config, path) != FERN_OK)
      return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  return FERN_OK;
}

/* "scheme_aliases": {"fuchsia-pkg": "pkg"}: a URL of the first scheme
 * goes to the resolver of the second where nothing resolves the first
 * (Fuchsia's manifests name fuchsia-pkg:// and fuchsia-boot:/// URLs). */
static int check_scheme_aliases(fern__config *config, const json_t *value,
                                fern_error_t *err) {
  const char *key;
  json_t *to;
  if (!json_is_object(value))
    return config_fail(config, err,
                       "\"scheme_aliases\" must map schemes to schemes");
  json_object_foreach((json_t *)value, key, to) {
    if (!json_is_string(to) || strchr(key, ':') != NULL)
      return config_fail(config, err,
                         "\"scheme_aliases\" must map schemes to schemes");
  }
  return FERN_OK;
}

static int check_config(fern__config *config, fern_error_t *err) {
  const char *key;
  json_t *value;
  json_object_foreach(config->json, key, value) {
    if (strcmp(key, "plugin_dirs") == 0) {
      size_t i;
      json_t *dir;
      if (!json_is_array(value))
        return config_fail(config, err, "\"plugin_dirs\" must be an array");
      json_array_foreach(value, i, dir) {
        if (!json_is_string(dir))
          return config_fail(config, err, "\"plugin_dirs\" must hold strings");
      }
    } else if (strcmp(key, "scheme_aliases") == 0) {
      int rc = check_scheme_aliases(config, value, err);
      if (rc != FERN_OK)
        return rc;
    } else if (strcmp(key, "include_paths") == 0) {
      int rc = take_include_paths(config, value, err);
      if (rc != FERN_OK)
        return rc;
    } else if (strcmp(key, "boot_dir") == 0) {
      if (!json_is_string(value))
        return config_fail(config, err, "\"boot_dir\" must be a string");
      if (config->boot_dir == NULL)
        config->boot_dir = strdup(json_string_value(value));
    } else if (strcmp(key, "resolve_timeout_ms") == 0) {
      if (!json_is_integer(value) || json_integer_value(value) <= 0)
        return config_fail(config, err,
                           "\"resolve_timeout_ms\" must be a positive integer");
      config->resolve_timeout_ms = (uint64_t)json_integer_value(value);
    } else if (strcmp(key, "security_policy") == 0) {
      int rc = fern__policy_check(value, config->path, err);
      if (rc != FERN_OK)
        return rc;
    } else if (strcmp(key, "root_environment") == 0) {
      int rc = check_root_environment(config, value, err);
      if (rc != FERN_OK)
        return rc;
    } else if (strcmp(key, "namespace_capabilities") == 0) {
      int rc = fern__config_check_namespace(config, value, err);
      if (rc != FERN_OK)
        return rc;
    } else if (strcmp(key, "logs") == 0) {
      int rc = fern__config_take_logs(config, value, err);
      if (rc != FERN_OK)
        return rc;
    } else if (strcmp(key, "component_id_index") == 0) {
      if (!json_is_string(value))
        return config_fail(config, err,
                           "\"component_id_index\" must be a file name");
      /* A relative name is the configuration file's neighbour. */
      char path[PATH_MAX * 2];
      beside_file(config, json_string_value(value), path, sizeof path);
      int rc = fern__config_load_id_index(config, path, err);
      if (rc != FERN_OK)
        return rc;
    } else {
      return fern_error_set(err, FERN_EINVAL, NULL,
                            "%s: unknown key \"%s\" (expected \"plugin_dirs\", "
                            "\"include_paths\", \"scheme_aliases\", \"boot_dir\", "
                            "\"resolve_timeout_ms\", "
                            "\"root_environment\", \"security_policy\", "
                            "\"namespace_capabilities\", \"logs\" or "
                            "\"component_id_index\")",
                            config->path, key);
    }
  }
  return FERN_OK;
}

int fern__config_load(fern__config *config, const char *path,
                      fern_error_t *err) {
  json_error_t jerr;
  config->path = strdup(path);
  config->json = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  if (config->json == NULL)
    return fern_error_set(err, FERN_EINVAL, NULL, "%s:%d:%d: %s", path,
                          jerr.line, jerr.column, jerr.text);
  if (!json_is_object(config->json))
    return config_fail(config, err, "the configuration must be a JSON object");
  return check_config(config, err);
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The plugins built beside this binary (a build tree), else the ones
 * installed beside it (PREFIX/bin/fern -> PREFIX/lib/fern/plugins), else the
 * directory compiled in. */
static int add_default_dirs(fern__config *config) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash != NULL)
      *slash = '\0';
    char runners[PATH_MAX + 32], resolvers[PATH_MAX + 32],
        installed[PATH_MAX + 32];
    snprintf(runners, sizeof runners, "%s/runners", exe);
    snprintf(resolvers, sizeof resolvers, "%s/resolvers", exe);
    snprintf(installed, sizeof installed, "%s/../lib/fern/plugins", exe);
    if (is_dir(runners) && is_dir(resolvers))
      return fern__config_add_plugin_dir(config, runners) ||
             fern__config_add_plugin_dir(config, resolvers);
    if (is_dir(installed))
      return fern__config_add_plugin_dir(config, installed);
  }
  return fern__config_add_plugin_dir(config, FERN_PLUGINDIR);
}

int fern__config_finish_plugin_dirs(fern__config *config) {
  const char *env = getenv("FERN_PLUGIN_PATH");
  if (env != NULL && env[0] != '\0') {
    char *copy = strdup(env), *save = NULL;
    if (copy == NULL)
      return FERN_ENOMEM;
    for (char *dir = strtok_r(copy, ":", &save); dir != NULL;
         dir = strtok_r(NULL, ":", &save))
      if (fern__config_add_plugin_dir(config, dir) != FERN_OK) {
        free(copy);
        return FERN_ENOMEM;
      }
    free(copy);
  }
  json_t *dirs = config->json ? json_object_get(config->json, "plugin_dirs")
                              : NULL;
  size_t i;
  json_t *dir;
  json_array_foreach(dirs, i, dir) {
    if (fern__config_add_plugin_dir(config, json_string_value(dir)) != FERN_OK)
      return FERN_ENOMEM;
  }
  return add_default_dirs(config) ? FERN_ENOMEM : FERN_OK;
}

const json_t *fern__config_root_environment(const fern__config *config) {
  return config->json ? json_object_get(config->json, "root_environment")
                      : NULL;
}

const json_t *fern__config_security_policy(const fern__config *config) {
  return config->json ? json_object_get(config->json, "security_policy")
                      : NULL;
}
