/* plugin.h - the plugin registry: where plugin files are found, and the
 * checks a file passes before fern calls any of its code. */
#ifndef FERN_CORE_PLUGIN_H
#define FERN_CORE_PLUGIN_H

#include <fern/resolver.h>
#include <fern/runner.h>

#include "strmap.h"

typedef enum fern__plugin_kind {
  FERN_PLUGIN_RUNNER = 1,
  FERN_PLUGIN_RESOLVER = 2
} fern__plugin_kind;

typedef struct fern__plugin_s {
  char *name; /* the file name without ".so" */
  char *path;
  int fd;       /* the checked file, open while it is loaded; else -1 */
  void *handle; /* dlopen handle once loaded */
  int load_tried;
  int load_rc;            /* FERN_OK, or why it was refused */
  char load_error[640];   /* "plugin FILE refused: reason" */
  const fern_runner_plugin_t *runner;
  const fern_resolver_plugin_t *resolver;
  uint32_t abi_major, abi_minor;
  uint32_t host_abi_minor; /* the host minor it needs */
} fern__plugin;

typedef struct fern__plugin_registry_s {
  fern__plugin **plugins; /* in search order, first of a name wins */
  size_t count;
  fern__strmap by_name;
} fern__plugin_registry;

/* Scans `dirs` (NULL-terminated, in priority order) for "NAME.so" and
 * "NAME/NAME.so". Loads nothing yet. */
int fern__plugins_scan(fern__plugin_registry *reg, const char *const *dirs);
void fern__plugins_free(fern__plugin_registry *reg);

/* Loads (once) and checks the plugin of that name and kind. */
int fern__plugins_get(fern__plugin_registry *reg, const char *name,
                      fern__plugin_kind kind, fern__plugin **out,
                      fern_error_t *err);
/* Loads and checks one file, whatever directory it is in: once
 * fern__plugin_open_checked, then fern__plugin_load_opened. */
int fern__plugin_load(fern__plugin *plugin);

/* The two halves of a load, apart so that a test can change the file in
 * between. The first resolves the path, checks who may change the file and
 * every directory above it, and opens the file once into plugin->fd; it
 * reads none of its bytes. The second reads the ABI numbers through that
 * descriptor and dlopens the very same file. Each returns FERN_OK or the
 * refusal it also records in load_rc and load_error; after a failed second
 * half, fern__plugins_free still closes what the first opened. */
int fern__plugin_open_checked(fern__plugin *plugin);
int fern__plugin_load_opened(fern__plugin *plugin);

/* Reads an ELF shared object's exported data symbol from the open file `fd`
 * without running any of its code: fills `buf` with up to `size` bytes of
 * the symbol's value. Returns the symbol's size, or a negative FERN_E* code
 * with a reason. */
long fern__plugin_peek_symbol(int fd, const char *symbol, void *buf,
                              size_t size, char *why, size_t why_size);

#endif
