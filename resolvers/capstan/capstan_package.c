/* capstan_package.c - see capstan_package.h. */
#include "capstan_package.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static const char *const run_keys[] = {"runtime", "config_set",
                                       "config_set_default", NULL};

/* Loads meta/NAME of the package, refusing a path that leads outside. */
static int load_meta(const fern_host_t *host, const char *dir,
                     const char *name, capstan_yaml *y, fern_error_t *err) {
  char rel[64], path[PATH_MAX];
  snprintf(rel, sizeof rel, "meta/%s", name);
  fern_error_t why = FERN_ERROR_INIT;
  int fd = host->package_open(host->ctx, dir, rel, path, sizeof path, &why);
  if (fd == FERN_ENOENT)
    return fern_error_set(err, fd, NULL,
                          "%s is not a Capstan package: it has no meta/%s",
                          dir, name);
  if (fd < 0)
    return fern_error_set(err, fd, NULL, "%s", why.message);
  int rc = capstan_yaml_load(fd, path, y, err);
  close(fd);
  return rc;
}

/* `require: [NAME, ...]`, the packages Capstan composes under this one
 * (core/package.go's Package.Require). */
static int read_require(capstan_yaml *y, yaml_node_t *node,
                        capstan_package *pkg, fern_error_t *err) {
  if ((pkg->require = json_array()) == NULL ||
      (pkg->package_yaml = strdup(y->shown)) == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  if (node == NULL)
    return FERN_OK;
  if (node->type != YAML_SEQUENCE_NODE)
    return capstan_yaml_error(y, node, FERN_EINVAL, err,
                              "require must be a list of package names");
  for (yaml_node_item_t *item = node->data.sequence.items.start;
       item < node->data.sequence.items.top; item++) {
    yaml_node_t *entry = yaml_document_get_node(&y->doc, *item);
    const char *name = capstan_yaml_scalar(entry);
    if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL)
      return capstan_yaml_error(y, entry ? entry : node, FERN_EINVAL, err,
                                "require: each entry names a package (a "
                                "name without '/')");
    json_array_append_new(pkg->require, json_string(name));
  }
  return FERN_OK;
}

static int read_name(const fern_host_t *host, capstan_package *pkg,
                     fern_error_t *err) {
  capstan_yaml y;
  int rc = load_meta(host, pkg->dir, "package.yaml", &y, err);
  if (rc != FERN_OK)
    return rc;
  yaml_node_t *root = capstan_yaml_root(&y);
  rc = capstan_yaml_check_map(&y, root, "package.yaml", NULL, err);
  const char *name = capstan_yaml_scalar(capstan_yaml_get(&y, root, "name"));
  if (rc == FERN_OK && (name == NULL || name[0] == '\0'))
    rc = capstan_yaml_error(&y, root, FERN_EINVAL, err,
                            "package.yaml needs \"name: PACKAGE\"");
  if (rc == FERN_OK && (pkg->name = strdup(name)) == NULL)
    rc = fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  if (rc == FERN_OK)
    rc = read_require(&y, capstan_yaml_get(&y, root, "require"), pkg, err);
  capstan_yaml_free(&y);
  return rc;
}

static int check_sets(capstan_package *pkg, fern_error_t *err) {
  capstan_yaml *y = &pkg->run;
  yaml_node_t *root = capstan_yaml_root(y);
  pkg->sets = capstan_yaml_get(y, root, "config_set");
  if (pkg->sets == NULL)
    return capstan_yaml_error(y, root, FERN_EINVAL, err,
                              "run.yaml needs a \"config_set\" mapping");
  int rc = capstan_yaml_check_map(y, pkg->sets, "config_set", NULL, err);
  size_t n = capstan_yaml_map_size(pkg->sets);
  if (rc == FERN_OK && n == 0)
    return capstan_yaml_error(y, pkg->sets, FERN_EINVAL, err,
                              "config_set is empty");
  for (size_t i = 0; i < n && rc == FERN_OK; i++) {
    yaml_node_t *set;
    char what[200];
    snprintf(what, sizeof what, "config set \"%s\"",
             capstan_yaml_pair(y, pkg->sets, i, &set));
    rc = capstan_yaml_check_map(y, set, what,
                                capstan_runtime_keys(pkg->runtime), err);
  }
  return rc;
}

static int check_run(capstan_package *pkg, fern_error_t *err) {
  capstan_yaml *y = &pkg->run;
  yaml_node_t *root = capstan_yaml_root(y);
  int rc = capstan_yaml_check_map(y, root, "run.yaml", run_keys, err);
  if (rc != FERN_OK)
    return rc;
  yaml_node_t *runtime_node = capstan_yaml_get(y, root, "runtime");
  const char *runtime = capstan_yaml_scalar(runtime_node);
  if (runtime == NULL)
    return capstan_yaml_error(y, root, FERN_EINVAL, err,
                              "run.yaml needs \"runtime: native\"");
  if ((pkg->runtime = capstan_runtime_find(runtime)) == NULL)
    return capstan_yaml_error(y, runtime_node, FERN_EINVAL, err,
                              "Unknown runtime: '%s' (Capstan's runtimes "
                              "are native, node, java and python)",
                              runtime);
  rc = check_sets(pkg, err);
  if (rc != FERN_OK)
    return rc;
  yaml_node_t *def = capstan_yaml_get(y, root, "config_set_default");
  pkg->default_set = capstan_yaml_scalar(def);
  if (def != NULL && pkg->default_set == NULL)
    return capstan_yaml_error(y, def, FERN_EINVAL, err,
                              "config_set_default must name a config set");
  if (pkg->default_set == NULL && capstan_yaml_map_size(pkg->sets) == 1) {
    yaml_node_t *only;
    pkg->default_set = capstan_yaml_pair(y, pkg->sets, 0, &only);
  }
  /* A list "a,b" boots each, as Capstan's GetCmd splits it
   * (cmd/package.go). */
  pkg->default_sets = json_array();
  if (pkg->default_sets == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  /* The only set's name is one name, whatever it holds. */
  const char *list = def != NULL ? pkg->default_set : NULL;
  if (def == NULL && pkg->default_set != NULL)
    json_array_append_new(pkg->default_sets, json_string(pkg->default_set));
  for (const char *p = list; p != NULL;) {
    size_t len = strcspn(p, ",");
    char *name = strndup(p, len);
    int known = name != NULL && capstan_yaml_get(y, pkg->sets, name) != NULL;
    if (known)
      json_array_append_new(pkg->default_sets, json_string(name));
    free(name);
    if (!known)
      return capstan_yaml_error(y, def, FERN_EINVAL, err,
                                "config_set_default \"%s\": \"%.*s\" is "
                                "not one of the config sets",
                                pkg->default_set, (int)len, p);
    p = p[len] == ',' ? p + len + 1 : NULL;
  }
  if (json_array_size(pkg->default_sets) > 0)
    pkg->default_set = json_string_value(json_array_get(pkg->default_sets, 0));
  return FERN_OK;
}

int capstan_package_open_info(const fern_host_t *host, const char *dir,
                              capstan_package *pkg, fern_error_t *err) {
  memset(pkg, 0, sizeof *pkg);
  pkg->dir = strdup(dir);
  if (pkg->dir == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  int rc = read_name(host, pkg, err);
  if (rc != FERN_OK)
    capstan_package_close(pkg);
  return rc;
}

int capstan_package_open(const fern_host_t *host, const char *dir,
                         capstan_package *pkg, fern_error_t *err) {
  int rc = capstan_package_open_info(host, dir, pkg, err);
  if (rc != FERN_OK)
    return rc;
  if (rc == FERN_OK)
    rc = load_meta(host, dir, "run.yaml", &pkg->run, err);
  if (rc == FERN_OK)
    rc = check_run(pkg, err);
  if (rc != FERN_OK)
    capstan_package_close(pkg);
  return rc;
}

void capstan_package_close(capstan_package *pkg) {
  capstan_yaml_free(&pkg->run);
  json_decref(pkg->default_sets);
  json_decref(pkg->require);
  free(pkg->package_yaml);
  free(pkg->dir);
  free(pkg->name);
  memset(pkg, 0, sizeof *pkg);
}
