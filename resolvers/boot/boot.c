/* boot.c - the "boot" resolver: boot:///name#meta/x.cm is package "name"
 * under the boot directory (config "boot_dir", which fern fills from
 * --boot-dir or its configuration). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../common/package_dir.h"

typedef struct boot_resolver_s {
  const fern_host_t *host;
  char *boot_dir; /* NULL: none configured */
} boot_resolver;

static int boot_validate_config(const json_t *config, fern_error_t *err) {
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)config, key, value) {
    char at[160];
    snprintf(at, sizeof at, "/%.100s", key);
    if (strcmp(key, "boot_dir") != 0 || !json_is_string(value))
      return fern_error_set(err, FERN_EINVAL, at,
                            "the boot resolver takes one config key, "
                            "\"boot_dir\" (a string); got \"%s\"",
                            key);
  }
  return FERN_OK;
}

static int boot_create(const fern_host_t *host, const json_t *config,
                       void **resolver, fern_error_t *err) {
  int valid = boot_validate_config(config, err);
  if (valid != FERN_OK)
    return valid;
  boot_resolver *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  const char *dir = json_string_value(json_object_get(config, "boot_dir"));
  if (dir != NULL && (r->boot_dir = strdup(dir)) == NULL) {
    free(r);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  *resolver = r;
  return FERN_OK;
}

static void boot_release(void *resolver) {
  boot_resolver *r = resolver;
  free(r->boot_dir);
  free(r);
}

static int boot_resolve(void *resolver, const fern_resolve_request_t *req,
                        fern_resolved_t *out, fern_error_t *err) {
  boot_resolver *r = resolver;
  if (req->path == NULL)
    return fern_package_dir_resolve_relative(r->host, req, out, err);
  if (r->boot_dir == NULL)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "URL \"%s\": no boot directory is configured (give "
                          "--boot-dir DIR or \"boot_dir\" in the config)",
                          req->url);
  if (req->authority[0] != '\0' || req->path[0] != '/' || req->path[1] == '\0')
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "URL \"%s\": expected boot:///<package>#<manifest>",
                          req->url);
  char dir[PATH_MAX];
  fern_error_t why = FERN_ERROR_INIT;
  int rc = r->host->package_path(r->host->ctx, r->boot_dir, req->path + 1, dir, sizeof dir,
                                 &why);
  if (rc == FERN_ENOENT)
    return fern_error_set(err, rc, NULL,
                          "no package \"%s\" in the boot directory %s",
                          req->path + 1, r->boot_dir);
  if (rc != FERN_OK)
    return fern_error_set(err, rc, NULL, "URL \"%s\": %s", req->url,
                          why.message);
  char url[PATH_MAX + 8];
  snprintf(url, sizeof url, "boot://%s", req->path);
  return fern_package_dir_load(r->host, dir, url, req->fragment, out, err);
}

static void boot_resolved_free(void *resolver, fern_resolved_t *out) {
  (void)resolver;
  fern_package_dir_free(out);
}

FERN_RESOLVER_PLUGIN(.name = "boot",
                     .description = "packages under the boot directory "
                                    "(boot://)",
                     .validate_config = boot_validate_config,
                     .create = boot_create, .release = boot_release,
                     .resolve = boot_resolve,
                     .resolved_free = boot_resolved_free);
