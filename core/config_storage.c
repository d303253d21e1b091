/* config_storage.c - what fern's configuration gives the root of the tree
 * and its storage, as component_manager's configuration does:
 *
 *   "namespace_capabilities": [ { "directory": "data",
 *       "path": "/var/lib/fern", "rights": [ "rw*" ] } ]
 *     directories of fern's own file system, offered to the root as if
 *     by its parent (component_manager's namespace_capabilities);
 *   "component_id_index": "/etc/fern/component_id_index.json"
 *     Fuchsia's component ID index: { "instances": [ { "instance_id":
 *     "<64 hex digits>", "moniker": "/core/app" } ] }, so that a
 *     component keeps its storage when it moves in the tree
 *     (src/sys/lib/component_id_index). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "rights.h"

int fern__config_check_namespace(const fern__config *config,
                                 const json_t *list, fern_error_t *err) {
  if (!json_is_array(list))
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s: \"namespace_capabilities\" must be an array",
                          config->path);
  size_t i;
  json_t *entry;
  json_array_foreach(list, i, entry) {
    const char *name = json_string_value(json_object_get(entry, "directory"));
    const char *path = json_string_value(json_object_get(entry, "path"));
    long bad;
    if (name == NULL || name[0] == '\0' || path == NULL || path[0] != '/' ||
        json_object_size(entry) != 3 ||
        fern__rights_parse(json_object_get(entry, "rights"), &bad) == 0)
      return fern_error_set(err, FERN_EINVAL, NULL,
                            "%s: \"namespace_capabilities\" entry %zu must "
                            "be {\"directory\": NAME, \"path\": an absolute "
                            "path, \"rights\": [rights]}",
                            config->path, i);
  }
  return FERN_OK;
}

const json_t *fern__config_namespace_dir(const fern__config *config,
                                         const char *name) {
  const json_t *list = json_object_get(config->json, "namespace_capabilities");
  size_t i;
  json_t *entry;
  json_array_foreach(list, i, entry) {
    if (strcmp(json_string_value(json_object_get(entry, "directory")), name) ==
        0)
      return entry;
  }
  return NULL;
}

/* "/a/b" or "/a/coll:b": no empty part, no "." or ".." (a moniker as fern
 * writes one, so that it matches). */
static int is_moniker(const char *moniker) {
  if (moniker == NULL || moniker[0] != '/' || moniker[1] == '\0')
    return 0;
  for (const char *part = moniker + 1; part != NULL;) {
    size_t n = strcspn(part, "/");
    if (n == 0 || (n == 1 && part[0] == '.') ||
        (n == 2 && part[0] == '.' && part[1] == '.'))
      return 0;
    part = part[n] == '/' ? part + n + 1 : NULL;
  }
  return 1;
}

int fern__config_is_instance_id(const char *id) {
  size_t n = id != NULL ? strlen(id) : 0;
  for (size_t i = 0; i < n; i++)
    if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i]))
      return 0;
  return n == 64;
}

int fern__config_load_id_index(fern__config *config, const char *path,
                               fern_error_t *err) {
  json_error_t jerr;
  json_t *index = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  if (index == NULL)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "component id index %s:%d:%d: %s", path, jerr.line,
                          jerr.column, jerr.text);
  json_t *instances = json_object_get(index, "instances");
  json_t *seen = json_object();
  size_t i;
  json_t *entry;
  int rc = json_is_array(instances) ? FERN_OK : FERN_EINVAL;
  json_array_foreach(instances, i, entry) {
    const char *id = json_string_value(json_object_get(entry, "instance_id"));
    const char *moniker = json_string_value(json_object_get(entry, "moniker"));
    char key[80];
    snprintf(key, sizeof key, "id:%s", id ? id : "");
    if (!fern__config_is_instance_id(id) || !is_moniker(moniker) ||
        json_object_get(seen, key) != NULL ||
        json_object_get(seen, moniker) != NULL) {
      rc = fern_error_set(err, FERN_EINVAL, NULL,
                          "component id index %s: instance %zu must have a "
                          "unique \"instance_id\" of 64 lowercase hex digits "
                          "and a unique \"moniker\" such as \"/a/b\"",
                          path, i);
      break;
    }
    json_object_set_new(seen, key, json_true());
    json_object_set_new(seen, moniker, json_string(id));
  }
  if (rc == FERN_EINVAL && !json_is_array(instances))
    fern_error_set(err, FERN_EINVAL, NULL,
                   "component id index %s: it needs \"instances\": [...]",
                   path);
  json_decref(index);
  if (rc != FERN_OK) {
    json_decref(seen);
    return rc;
  }
  /* Only the moniker -> id entries are kept. */
  json_t *by_moniker = json_object();
  const char *key;
  json_t *value;
  json_object_foreach(seen, key, value) {
    if (key[0] == '/')
      json_object_set(by_moniker, key, value);
  }
  json_decref(seen);
  json_decref(config->id_index);
  config->id_index = by_moniker;
  return FERN_OK;
}

const char *fern__config_instance_id(const fern__config *config,
                                     const char *moniker) {
  return json_string_value(
      json_object_get(config->id_index, moniker[0] ? moniker : "/"));
}
