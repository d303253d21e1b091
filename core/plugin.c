/* plugin.c - see plugin.h. A plugin is loaded only when something needs it,
 * so a broken file in a plugin directory harms nothing that does not use it;
 * `fern plugins` loads them all to show what each is. */
#include "plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trusted_open.h"

/* The numbers every entry struct starts with (ABI 2). */
typedef struct abi_head_s {
  uint32_t abi_major, abi_minor, struct_size;
  uint32_t host_abi_major, host_abi_minor;
} abi_head;

static int is_regular_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int registry_add(fern__plugin_registry *reg, const char *name,
                        const char *path) {
  if (fern__strmap_get(&reg->by_name, name) != NULL)
    return FERN_OK; /* an earlier directory wins */
  fern__plugin *plugin = calloc(1, sizeof *plugin);
  fern__plugin **grown =
      realloc(reg->plugins, (reg->count + 1) * sizeof *reg->plugins);
  if (plugin == NULL || grown == NULL) {
    free(plugin);
    if (grown != NULL)
      reg->plugins = grown;
    return FERN_ENOMEM;
  }
  reg->plugins = grown;
  plugin->fd = -1;
  plugin->name = strdup(name);
  plugin->path = strdup(path);
  if (plugin->name == NULL || plugin->path == NULL ||
      fern__strmap_put(&reg->by_name, name, plugin) != 0) {
    free(plugin->name);
    free(plugin->path);
    free(plugin);
    return FERN_ENOMEM;
  }
  reg->plugins[reg->count++] = plugin;
  return FERN_OK;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists a directory's entries sorted, so the search order is stable. */
static char **sorted_entries(const char *dir, size_t *count) {
  DIR *d = opendir(dir);
  *count = 0;
  if (d == NULL)
    return NULL;
  char **names = NULL;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char **grown = realloc(names, (*count + 1) * sizeof *names);
    if (grown == NULL)
      break;
    names = grown;
    if ((names[*count] = strdup(e->d_name)) != NULL)
      (*count)++;
  }
  closedir(d);
  if (names != NULL)
    qsort(names, *count, sizeof *names, compare_names);
  return names;
}

static int scan_dir(fern__plugin_registry *reg, const char *dir) {
  size_t count;
  char **names = sorted_entries(dir, &count);
  int rc = FERN_OK;
  for (size_t i = 0; i < count && rc == FERN_OK; i++) {
    char path[4096];
    size_t n = strlen(names[i]);
    if (n > 3 && strcmp(names[i] + n - 3, ".so") == 0) {
      snprintf(path, sizeof path, "%s/%s", dir, names[i]);
      names[i][n - 3] = '\0';
      if (is_regular_file(path))
        rc = registry_add(reg, names[i], path);
    } else {
      snprintf(path, sizeof path, "%s/%s/%s.so", dir, names[i], names[i]);
      if (is_regular_file(path))
        rc = registry_add(reg, names[i], path);
    }
  }
  for (size_t i = 0; i < count; i++)
    free(names[i]);
  free(names);
  return rc;
}

int fern__plugins_scan(fern__plugin_registry *reg, const char *const *dirs) {
  memset(reg, 0, sizeof *reg);
  fern__strmap_init(&reg->by_name);
  for (size_t i = 0; dirs[i] != NULL; i++) {
    int rc = scan_dir(reg, dirs[i]);
    if (rc != FERN_OK)
      return rc;
  }
  return FERN_OK;
}

/* glibc's dlopen first looks for the name among the libraries already
 * loaded and hands that one back without opening anything (elf/dl-load.c
 * _dl_map_object: "Look for this name among those already loaded",
 * _dl_name_match_p). A plugin is loaded as /proc/self/fd/N, so N stays
 * open, and no other file can take that name, for as long as the library
 * stays loaded: until dlclose, or after it if something keeps it mapped. */
static void unload(fern__plugin *plugin) {
  if (plugin->handle != NULL) {
    char name[32];
    snprintf(name, sizeof name, "/proc/self/fd/%d", plugin->fd);
    dlclose(plugin->handle);
    void *still = dlopen(name, RTLD_LAZY | RTLD_NOLOAD);
    if (still != NULL) {
      dlclose(still);
      plugin->fd = -1; /* the name stays the library's: never reused */
    }
  }
  if (plugin->fd >= 0)
    close(plugin->fd);
  plugin->fd = -1;
  plugin->handle = NULL;
  plugin->runner = NULL;
  plugin->resolver = NULL;
}

void fern__plugins_free(fern__plugin_registry *reg) {
  for (size_t i = 0; i < reg->count; i++) {
    fern__plugin *plugin = reg->plugins[i];
    unload(plugin);
    free(plugin->name);
    free(plugin->path);
    free(plugin);
  }
  free(reg->plugins);
  fern__strmap_free(&reg->by_name, NULL);
  memset(reg, 0, sizeof *reg);
}

static int refuse(fern__plugin *plugin, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(fern__plugin *plugin, int code, const char *fmt, ...) {
  char reason[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  snprintf(plugin->load_error, sizeof plugin->load_error,
           "plugin %s refused: %s", plugin->path, reason);
  return plugin->load_rc = code;
}

/* Checks one entry struct's numbers, as read from the file. */
static int check_head(fern__plugin *plugin, const char *symbol,
                      const abi_head *head, long symbol_size,
                      uint32_t host_major, size_t min_size) {
  if (head->abi_major != host_major)
    return refuse(plugin, FERN_EABI,
                  "%s has ABI %u.%u, this fern speaks %u.x", symbol,
                  head->abi_major, head->abi_minor, host_major);
  if (head->struct_size < min_size || (size_t)symbol_size < min_size)
    return refuse(plugin, FERN_EABI,
                  "%s claims %u bytes (struct_size) and its symbol is %ld "
                  "bytes; ABI %u.%u needs at least %zu (is it built against "
                  "another header?)",
                  symbol, head->struct_size, symbol_size, head->abi_major,
                  head->abi_minor, min_size);
  if (head->host_abi_major != FERN_HOST_ABI_MAJOR ||
      head->host_abi_minor > FERN_HOST_ABI_MINOR)
    return refuse(plugin, FERN_EABI,
                  "%s needs host ABI %u.%u, this fern offers %u.%u (build it "
                  "against this fern's headers, or use a newer fern)",
                  symbol, head->host_abi_major, head->host_abi_minor,
                  FERN_HOST_ABI_MAJOR, FERN_HOST_ABI_MINOR);
  plugin->abi_major = head->abi_major;
  plugin->abi_minor = head->abi_minor;
  plugin->host_abi_minor = head->host_abi_minor;
  return FERN_OK;
}

/* One entry symbol: absent (*present 0, FERN_OK), present and sound, or
 * present and refused with its real reason. */
static int peek_head(fern__plugin *plugin, const char *symbol,
                     uint32_t host_major, size_t min_size, int *present) {
  abi_head head = {0};
  char why[256];
  long size = fern__plugin_peek_symbol(plugin->fd, symbol, &head, sizeof head,
                                       why, sizeof why);
  *present = size >= 0;
  if (size == FERN_ENOENT)
    return FERN_OK;
  if (size < 0)
    return refuse(plugin, (int)size, "%s", why);
  return check_head(plugin, symbol, &head, size, host_major, min_size);
}

/* No entry symbol of this ABI: one of ABI 1 gets its own word. */
static int refuse_old_abi(fern__plugin *plugin) {
  static const char *const old[] = {"fern_runner_v1", "fern_resolver_v1"};
  char byte, why[256];
  for (size_t k = 0; k < 2; k++)
    if (fern__plugin_peek_symbol(plugin->fd, old[k], &byte, 1, why,
                                 sizeof why) >= 0)
      return refuse(plugin, FERN_EABI,
                    "it exports %s, of plugin ABI 1 (fern 0.1); this fern "
                    "speaks ABI %u (%s, %s): rebuild it against this fern's "
                    "headers", old[k], FERN_RUNNER_ABI_MAJOR,
                    FERN_RUNNER_SYMBOL, FERN_RESOLVER_SYMBOL);
  return refuse(plugin, FERN_ENOENT, "missing symbol: it exports neither %s "
                "nor %s", FERN_RUNNER_SYMBOL, FERN_RESOLVER_SYMBOL);
}

static int peek_heads(fern__plugin *plugin, int *has_runner,
                      int *has_resolver) {
  if (peek_head(plugin, FERN_RUNNER_SYMBOL, FERN_RUNNER_ABI_MAJOR,
                FERN_RUNNER_PLUGIN_MIN_SIZE, has_runner) != FERN_OK ||
      peek_head(plugin, FERN_RESOLVER_SYMBOL, FERN_RESOLVER_ABI_MAJOR,
                FERN_RESOLVER_PLUGIN_MIN_SIZE, has_resolver) != FERN_OK)
    return plugin->load_rc;
  if (!*has_runner && !*has_resolver)
    return refuse_old_abi(plugin);
  return FERN_OK;
}

/* The first required call a table lacks, by name, or NULL. */
static const char *runner_lacks(const fern_runner_plugin_t *r) {
  if (!r->create) return "create";
  if (!r->release) return "release";
  if (!r->validate) return "validate";
  if (!r->start) return "start";
  if (!r->kill) return "kill";
  if (!r->controller_release) return "controller_release";
  if ((r->capabilities & FERN_RUNNER_CAP_GRACEFUL_STOP) && !r->stop)
    return "stop (it claims FERN_RUNNER_CAP_GRACEFUL_STOP)";
  return NULL;
}

static const char *resolver_lacks(const fern_resolver_plugin_t *r) {
  if (!r->create) return "create";
  if (!r->release) return "release";
  if (!r->resolve) return "resolve";
  if (!r->resolved_free) return "resolved_free";
  return NULL;
}

static int check_runner_table(fern__plugin *plugin,
                              const fern_runner_plugin_t *r) {
  if (r->name == NULL || strcmp(r->name, plugin->name) != 0)
    return refuse(plugin, FERN_EABI, "its runner calls itself \"%s\", but the "
                  "file is named %s.so", r->name ? r->name : "(null)",
                  plugin->name);
  const char *lacks = runner_lacks(r);
  if (lacks != NULL)
    return refuse(plugin, FERN_EABI, "its runner table lacks the required "
                  "call %s", lacks);
  return FERN_OK;
}

static int check_resolver_table(fern__plugin *plugin,
                                const fern_resolver_plugin_t *r) {
  if (r->name == NULL || strcmp(r->name, plugin->name) != 0)
    return refuse(plugin, FERN_EABI, "its resolver calls itself \"%s\", but "
                  "the file is named %s.so", r->name ? r->name : "(null)",
                  plugin->name);
  const char *lacks = resolver_lacks(r);
  if (lacks != NULL)
    return refuse(plugin, FERN_EABI, "its resolver table lacks the required "
                  "call %s", lacks);
  return FERN_OK;
}

int fern__plugin_open_checked(fern__plugin *plugin) {
  char why[512];
  int fd = fern__trusted_open(plugin->path, why, sizeof why);
  if (fd == FERN_EACCES)
    return refuse(plugin, fd,
                  "%s: a plugin runs inside fern, so only root and this user "
                  "may change it",
                  why);
  if (fd < 0)
    return refuse(plugin, fd, "%s", why);
  plugin->fd = fd;
  return FERN_OK;
}

/* dlerror() names the file as dlopen was given it, /proc/self/fd/N; the
 * user knows it by its path. */
static void name_the_file(const char *path, const char *proc, const char *error,
                          char *out, size_t size) {
  size_t used = 0, proc_len = strlen(proc);
  const char *at;
  out[0] = '\0';
  for (; (at = strstr(error, proc)) != NULL && used < size;
       error = at + proc_len)
    used += (size_t)snprintf(out + used, size - used, "%.*s%s",
                             (int)(at - error), error, path);
  if (used < size)
    snprintf(out + used, size - used, "%s", error);
}

int fern__plugin_load_opened(fern__plugin *plugin) {
  int has_runner = 0, has_resolver = 0;
  if (peek_heads(plugin, &has_runner, &has_resolver) != FERN_OK)
    return plugin->load_rc;
  char proc[32];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", plugin->fd);
  plugin->handle = dlopen(proc, RTLD_NOW | RTLD_LOCAL);
  if (plugin->handle == NULL) {
    char error[512];
    name_the_file(plugin->path, proc, dlerror(), error, sizeof error);
    return refuse(plugin, FERN_EIO, "%s", error);
  }
  if (has_runner)
    plugin->runner = dlsym(plugin->handle, FERN_RUNNER_SYMBOL);
  if (has_resolver)
    plugin->resolver = dlsym(plugin->handle, FERN_RESOLVER_SYMBOL);
  int rc = FERN_OK;
  if (plugin->runner != NULL)
    rc = check_runner_table(plugin, plugin->runner);
  if (rc == FERN_OK && plugin->resolver != NULL)
    rc = check_resolver_table(plugin, plugin->resolver);
  return rc;
}

int fern__plugin_load(fern__plugin *plugin) {
  if (plugin->load_tried)
    return plugin->load_rc;
  plugin->load_tried = 1;
  if (fern__plugin_open_checked(plugin) == FERN_OK &&
      fern__plugin_load_opened(plugin) == FERN_OK)
    return FERN_OK;
  unload(plugin);
  return plugin->load_rc;
}

int fern__plugins_get(fern__plugin_registry *reg, const char *name,
                      fern__plugin_kind kind, fern__plugin **out,
                      fern_error_t *err) {
  const char *what = kind == FERN_PLUGIN_RUNNER ? "runner" : "resolver";
  fern__plugin *plugin = fern__strmap_get(&reg->by_name, name);
  if (plugin == NULL)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "no %s plugin named \"%s\" is installed (no %s.so "
                          "in the plugin directories; see `fern plugins`)",
                          what, name, name);
  if (fern__plugin_load(plugin) != FERN_OK)
    return fern_error_set(err, plugin->load_rc, NULL, "%s",
                          plugin->load_error);
  if ((kind == FERN_PLUGIN_RUNNER && plugin->runner == NULL) ||
      (kind == FERN_PLUGIN_RESOLVER && plugin->resolver == NULL))
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "plugin %s is not a %s plugin", plugin->path, what);
  *out = plugin;
  return FERN_OK;
}
