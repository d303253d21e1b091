/* root_env.c - see root_env.h. */
#include "root_env.h"

#include <string.h>

#include "log.h"

static const char default_root[] =
    "{\"runners\": [{\"runner\": \"elf\"}],"
    " \"resolvers\": [{\"resolver\": \"file\", \"scheme\": \"file\"},"
    "                 {\"resolver\": \"boot\", \"scheme\": \"boot\"},"
    "                 {\"resolver\": \"capstan\", \"scheme\": \"capstan\"}]}";

int fern__capability_from_plugin(fern__plugin_registry *plugins,
                                  fern__cap_kind kind, const char *name,
                                  const char *plugin_name,
                                  const json_t *config,
                                  const fern_host_t *host,
                                  fern__capability **out, fern_error_t *err) {
  fern__plugin *plugin;
  int rc = fern__plugins_get(
      plugins, plugin_name,
      kind == FERN_CAP_RUNNER ? FERN_PLUGIN_RUNNER : FERN_PLUGIN_RESOLVER,
      &plugin, err);
  if (rc != FERN_OK)
    return rc;
  rc = fern__capability_create(kind == FERN_CAP_RUNNER ? plugin->runner : NULL,
                               kind == FERN_CAP_RESOLVER ? plugin->resolver
                                                         : NULL,
                               name, plugin->path, config, host, out, err);
  if (rc != FERN_OK) {
    char reason[sizeof err->message], key[sizeof err->key];
    memcpy(reason, err->message, sizeof reason);
    memcpy(key, err->key, sizeof key);
    fern_error_set(err, rc, key, "plugin %s: %s config: %s", plugin->path,
                   name, reason);
  }
  return rc;
}

/* The boot resolver learns the boot directory from --boot-dir or the
 * configuration's "boot_dir", and the capstan resolver fern run's --env
 * and --boot, unless its own config says. */
static json_t *resolver_config(const fern__config *config, const char *plugin,
                               const json_t *given) {
  json_t *cfg = given ? json_deep_copy(given) : json_object();
  if (cfg != NULL && strcmp(plugin, "boot") == 0 && config->boot_dir != NULL &&
      json_object_get(cfg, "boot_dir") == NULL)
    json_object_set_new(cfg, "boot_dir", json_string(config->boot_dir));
  if (cfg != NULL && strcmp(plugin, "capstan") == 0) {
    if (config->capstan_env != NULL && json_object_get(cfg, "env") == NULL)
      json_object_set(cfg, "env", config->capstan_env);
    if (config->capstan_boot != NULL && json_object_get(cfg, "boot") == NULL)
      json_object_set(cfg, "boot", config->capstan_boot);
  }
  return cfg;
}

/* A run makes its runners at once, so that what one cannot do (no job
 * mechanism, a dead fern's leftovers to end) is said before anything
 * starts; a check or a tree makes none. */
static int make_runner(fern__capability *cap, int make, fern_error_t *err) {
  if (!make || cap->kind != FERN_CAP_RUNNER)
    return FERN_OK;
  int rc = fern__capability_make(cap, err);
  if (rc != FERN_OK) {
    char reason[sizeof err->message];
    memcpy(reason, err->message, sizeof reason);
    fern_error_set(err, rc, NULL, "plugin %s: %s", cap->plugin_path, reason);
  }
  return rc;
}

static void register_entries(fern__env *env, const fern__config *config,
                             fern__plugin_registry *plugins,
                             const fern_host_t *host, const json_t *entries,
                             fern__cap_kind kind, int make) {
  const char *field = kind == FERN_CAP_RUNNER ? "runner" : "resolver";
  size_t i;
  json_t *entry;
  json_array_foreach(entries, i, entry) {
    const char *name = json_string_value(json_object_get(entry, field));
    const char *plugin = json_string_value(json_object_get(entry, "plugin"));
    const char *scheme = json_string_value(json_object_get(entry, "scheme"));
    if (name == NULL || (kind == FERN_CAP_RESOLVER && scheme == NULL)) {
      fern__log(FERN_LOG_ERROR, NULL,
                "root environment: %s entry %zu needs \"%s\"%s", field, i,
                field, kind == FERN_CAP_RESOLVER ? " and \"scheme\"" : "");
      continue;
    }
    plugin = plugin ? plugin : name;
    json_t *cfg = kind == FERN_CAP_RESOLVER
                      ? resolver_config(config, plugin,
                                        json_object_get(entry, "config"))
                      : json_incref(json_object_get(entry, "config"));
    fern_error_t err = FERN_ERROR_INIT;
    fern__capability *cap;
    int rc = fern__capability_from_plugin(plugins, kind, name, plugin, cfg,
                                          host, &cap, &err);
    if (rc == FERN_OK && make_runner(cap, make, &err) != FERN_OK) {
      fern__capability_unref(cap);
      rc = FERN_EINVAL;
    }
    if (rc != FERN_OK) {
      fern__log(FERN_LOG_ERROR, NULL,
                "root environment: %s \"%s\" left out: %s", field, name,
                err.message);
    } else {
      fern__env_register(env, kind, kind == FERN_CAP_RUNNER ? name : scheme,
                         cap);
      fern__capability_unref(cap);
    }
    json_decref(cfg);
  }
}

int fern__root_env_build(const fern__config *config,
                         fern__plugin_registry *plugins,
                         const fern_host_t *host, int make_runners,
                         fern__env **out, fern_error_t *err) {
  json_t *defaults = json_loads(default_root, 0, NULL);
  const json_t *given = fern__config_root_environment(config);
  const json_t *runners = json_object_get(given, "runners");
  const json_t *resolvers = json_object_get(given, "resolvers");
  const json_t *timeout = json_object_get(given, "stop_timeout_ms");
  fern__env *env = fern__env_new(
      "root", timeout ? (uint64_t)json_integer_value(timeout)
                      : FERN_DEFAULT_STOP_TIMEOUT_MS);
  if (env == NULL || defaults == NULL) {
    json_decref(defaults);
    fern__env_unref(env);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  register_entries(env, config, plugins, host,
                   runners ? runners : json_object_get(defaults, "runners"),
                   FERN_CAP_RUNNER, make_runners);
  register_entries(env, config, plugins, host,
                   resolvers ? resolvers
                             : json_object_get(defaults, "resolvers"),
                   FERN_CAP_RESOLVER, 0);
  json_decref(defaults);
  *out = env;
  return FERN_OK;
}
