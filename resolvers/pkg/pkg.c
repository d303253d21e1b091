/* pkg.c - the "pkg" resolver: pkg://REPO/NAME[/VARIANT]#meta/x.cm is
 * package NAME in the package repository REPO, a directory configured by
 * name:
 *   {"resolver": "pkg", "scheme": "pkg",
 *    "config": {"repositories": {"main": "/srv/fern/main"}}}
 * A package is the directory REPO/NAME, or REPO/NAME/VARIANT when the URL
 * names a variant; a package kept only in variants is found at variant "0"
 * when the URL names none. Relative and subpackage URLs resolve inside the
 * package, as with file://. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/package_dir.h"

typedef struct pkg_resolver_s {
  const fern_host_t *host;
  json_t *repositories; /* name -> directory; read-only after create */
} pkg_resolver;

static int pkg_validate_config(const json_t *config, fern_error_t *err) {
  json_t *repos = json_object_get(config, "repositories");
  if (!json_is_object(repos))
    return fern_error_set(err, FERN_EINVAL, "/repositories",
                          "the pkg resolver needs \"repositories\": "
                          "{\"name\": \"/directory\", ...}");
  const char *name;
  json_t *dir;
  json_object_foreach(repos, name, dir) {
    if (!json_is_string(dir) || json_string_value(dir)[0] != '/')
      return fern_error_set(err, FERN_EINVAL, "/repositories",
                            "repository \"%s\" must be an absolute directory",
                            name);
  }
  return FERN_OK;
}

static int pkg_create(const fern_host_t *host, const json_t *config,
                      void **resolver, fern_error_t *err) {
  int valid = pkg_validate_config(config, err);
  if (valid != FERN_OK)
    return valid;
  json_t *repos = json_object_get(config, "repositories");
  pkg_resolver *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  r->repositories = json_deep_copy(repos);
  *resolver = r;
  return FERN_OK;
}

static void pkg_release(void *resolver) {
  pkg_resolver *r = resolver;
  json_decref(r->repositories);
  free(r);
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void repository_names(const pkg_resolver *r, char *buf, size_t size) {
  size_t used = 0;
  const char *name;
  json_t *dir;
  buf[0] = '\0';
  json_object_foreach(r->repositories, name, dir) {
    int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", name);
    if (n < 0 || (size_t)n >= size - used)
      break;
    used += (size_t)n;
  }
}

/* The package's directory: REPO/NAME[/VARIANT], checked to stay inside
 * the repository. */
static int find_package(pkg_resolver *r, const fern_resolve_request_t *req,
                        const char *repo_dir, char *out, size_t size,
                        fern_error_t *err) {
  const char *rel = req->path + 1; /* "name" or "name/variant" */
  fern_error_t why = FERN_ERROR_INIT;
  int rc = r->host->package_path(r->host->ctx, repo_dir, rel, out, size, &why);
  if (rc == FERN_ENOENT)
    return fern_error_set(err, rc, NULL,
                          "no package \"%s\" in repository \"%s\" (%s)", rel,
                          req->authority, repo_dir);
  if (rc != FERN_OK)
    return fern_error_set(err, rc, NULL, "URL \"%s\": %s", req->url,
                          why.message);
  if (strchr(rel, '/') == NULL) {
    char meta[PATH_MAX + 8], variant[PATH_MAX + 8];
    snprintf(meta, sizeof meta, "%s/meta", out);
    snprintf(variant, sizeof variant, "%s/0", out);
    if (!is_dir(meta) && is_dir(variant))
      snprintf(out, size, "%s", variant); /* kept only in variants */
  }
  return FERN_OK;
}

static int pkg_resolve(void *resolver, const fern_resolve_request_t *req,
                       fern_resolved_t *out, fern_error_t *err) {
  pkg_resolver *r = resolver;
  if (req->path == NULL)
    return fern_package_dir_resolve_relative(r->host, req, out, err);
  const char *repo_dir =
      json_string_value(json_object_get(r->repositories, req->authority));
  if (repo_dir == NULL) {
    char names[512];
    repository_names(r, names, sizeof names);
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "URL \"%s\": no package repository \"%s\" (there "
                          "are: %s)",
                          req->url, req->authority,
                          names[0] ? names : "none");
  }
  if (req->path[0] != '/' || req->path[1] == '\0')
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "URL \"%s\": expected pkg://REPO/NAME[/VARIANT]#...",
                          req->url);
  char dir[PATH_MAX];
  int rc = find_package(r, req, repo_dir, dir, sizeof dir, err);
  if (rc != FERN_OK)
    return rc;
  char url[PATH_MAX + 300];
  snprintf(url, sizeof url, "pkg://%s%s", req->authority, req->path);
  return fern_package_dir_load(r->host, dir, url, req->fragment, out, err);
}

static void pkg_resolved_free(void *resolver, fern_resolved_t *out) {
  (void)resolver;
  fern_package_dir_free(out);
}

FERN_RESOLVER_PLUGIN(.name = "pkg",
                     .description = "packages in named repositories (pkg://)",
                     .validate_config = pkg_validate_config,
                     .create = pkg_create, .release = pkg_release,
                     .resolve = pkg_resolve,
                     .resolved_free = pkg_resolved_free);
