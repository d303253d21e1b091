/* config.h - the manager's configuration: a JSON file (--config) and flags.
 *
 * {
 *   "plugin_dirs": ["/opt/fern/plugins"],
 *   "boot_dir": "/boot",
 *   "namespace_capabilities": [ {"directory": "data", "path": "/var/lib/fern",
 *                                "rights": ["rw*"]} ],
 *   "component_id_index": "/etc/fern/component_id_index.json",
 *   "root_environment": {
 *     "runners":   [ { "runner": "elf", "plugin": "elf", "config": {} } ],
 *     "resolvers": [ { "resolver": "file", "scheme": "file" } ],
 *     "stop_timeout_ms": 5000
 *   }
 * }
 */
#ifndef FERN_CORE_CONFIG_H
#define FERN_CORE_CONFIG_H

#include <stdint.h>
#include <fern/fern.h>

#define FERN_DEFAULT_STOP_TIMEOUT_MS 5000

/* How long a resolver may take over one URL by default. */
#define FERN__RESOLVE_TIMEOUT_MS 30000

/* The "logs" object (config_logs.c); 0 and NULL: the defaults. */
typedef struct fern__logs_config_s {
  size_t buffer_bytes, budget_bytes, file_bytes;
  int files;
  char *dir;
} fern__logs_config;

typedef struct fern__config_s {
  char **plugin_dirs; /* NULL-terminated, in search order */
  size_t plugin_dir_count;
  /* Where manifests' include shards are looked for, after the including
   * file's directory and its package's meta/: --includepath, then the
   * file's include_paths (relative to the file). NULL-terminated. */
  char **include_dirs;
  size_t include_dir_count;
  char *boot_dir;     /* or NULL */
  /* What fern run's --env and --boot tell the capstan resolver, unless
   * its own config says ("env", "boot"); or NULL. */
  json_t *capstan_env;
  json_t *capstan_boot;
  uint64_t resolve_timeout_ms; /* a resolution unanswered by then fails */
  char *path;         /* the config file, or NULL */
  json_t *json;       /* its contents, or NULL */
  json_t *id_index;   /* component id index: moniker -> instance id */
  fern__logs_config logs;
} fern__config;

/* Takes the configuration's "logs" object (config_logs.c). */
int fern__config_take_logs(fern__config *config, const json_t *logs,
                           fern_error_t *err);

void fern__config_init(fern__config *config);
void fern__config_free(fern__config *config);
/* Reads and checks a config file. */
int fern__config_load(fern__config *config, const char *path,
                      fern_error_t *err);
int fern__config_add_plugin_dir(fern__config *config, const char *dir);
int fern__config_add_include_dir(fern__config *config, const char *dir);
/* Appends FERN_PLUGIN_PATH, the file's plugin_dirs, and the default
 * directories: the plugins built beside this fern binary, else the
 * installed plugin directory. Call after the flags' directories. */
int fern__config_finish_plugin_dirs(fern__config *config);
/* The "security_policy" block of the file, or NULL. */
const json_t *fern__config_security_policy(const fern__config *config);
/* The root environment block of the file, or NULL. */
const json_t *fern__config_root_environment(const fern__config *config);

/* Storage and the root's capabilities (config_storage.c). */
int fern__config_check_namespace(const fern__config *config,
                                 const json_t *list, fern_error_t *err);
/* The namespace capability {"directory": name, "path", "rights"}, or
 * NULL. */
const json_t *fern__config_namespace_dir(const fern__config *config,
                                         const char *name);
/* Reads a component id index file into config->id_index. */
int fern__config_load_id_index(fern__config *config, const char *path,
                               fern_error_t *err);
/* Whether `id` is an instance id: 64 lowercase hex digits (Fuchsia's
 * component id index). */
int fern__config_is_instance_id(const char *id);
/* The instance id the index pins for `moniker`, or NULL. */
const char *fern__config_instance_id(const fern__config *config,
                                     const char *moniker);

#endif
