/* config.h - the manager's configuration: a JSON file (--config) and flags.
 *
 * {
 *   "plugin_dirs": ["/opt/fern/plugins"],
 *   "boot_dir": "/boot",
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

typedef struct fern__config_s {
  char **plugin_dirs; /* NULL-terminated, in search order */
  size_t plugin_dir_count;
  char *boot_dir;     /* or NULL */
  uint64_t resolve_timeout_ms; /* a resolution unanswered by then fails */
  char *path;         /* the config file, or NULL */
  json_t *json;       /* its contents, or NULL */
} fern__config;

void fern__config_init(fern__config *config);
void fern__config_free(fern__config *config);
/* Reads and checks a config file. */
int fern__config_load(fern__config *config, const char *path,
                      fern_error_t *err);
int fern__config_add_plugin_dir(fern__config *config, const char *dir);
/* Appends FERN_PLUGIN_PATH, the file's plugin_dirs, and the default
 * directories: the plugins built beside this fern binary, else the
 * installed plugin directory. Call after the flags' directories. */
int fern__config_finish_plugin_dirs(fern__config *config);
/* The "security_policy" block of the file, or NULL. */
const json_t *fern__config_security_policy(const fern__config *config);
/* The root environment block of the file, or NULL. */
const json_t *fern__config_root_environment(const fern__config *config);

#endif
