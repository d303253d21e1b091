/* capstan_yaml.c - see capstan_yaml.h. */
#include "capstan_yaml.h"

#include "../common/package_dir.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

int capstan_yaml_error(capstan_yaml *y, yaml_node_t *node, int code,
                       fern_error_t *err, const char *fmt, ...) {
  char text[sizeof err->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (node == NULL)
    return fern_error_set(err, code, NULL, "%s: %s", y->shown, text);
  return fern_error_set(err, code, NULL, "%s:%zu:%zu: %s", y->shown,
                        node->start_mark.line + 1,
                        node->start_mark.column + 1, text);
}

static int parse(capstan_yaml *y, const unsigned char *text, size_t len,
                 fern_error_t *err) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser))
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  yaml_parser_set_input_string(&parser, text, len);
  int rc = FERN_OK;
  if (!yaml_parser_load(&parser, &y->doc)) {
    const yaml_mark_t *mark = parser.problem_mark.line || parser.problem_mark.column
                                  ? &parser.problem_mark
                                  : &parser.context_mark;
    rc = fern_error_set(err, FERN_EINVAL, NULL, "%s:%zu:%zu: invalid YAML: %s%s%s",
                        y->shown, mark->line + 1, mark->column + 1,
                        parser.problem ? parser.problem : "unreadable",
                        parser.context ? " " : "",
                        parser.context ? parser.context : "");
  } else {
    y->loaded = 1;
  }
  yaml_parser_delete(&parser);
  return rc;
}

int capstan_yaml_load(int fd, const char *path, capstan_yaml *y,
                      fern_error_t *err) {
  memset(y, 0, sizeof *y);
  y->shown = strdup(path);
  if (y->shown == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  char *text = NULL;
  size_t len = 0;
  int rc = fern_package_read(fd, path, CAPSTAN_YAML_MAX, &text, &len, err);
  if (rc == FERN_OK)
    rc = parse(y, (const unsigned char *)text, len, err);
  free(text);
  if (rc != FERN_OK)
    capstan_yaml_free(y);
  return rc;
}

void capstan_yaml_free(capstan_yaml *y) {
  if (y->loaded)
    yaml_document_delete(&y->doc);
  free(y->shown);
  memset(y, 0, sizeof *y);
}

yaml_node_t *capstan_yaml_root(capstan_yaml *y) {
  return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

const char *capstan_yaml_scalar(yaml_node_t *node) {
  if (node == NULL || node->type != YAML_SCALAR_NODE)
    return NULL;
  const char *text = (const char *)node->data.scalar.value;
  return strlen(text) == node->data.scalar.length ? text : NULL;
}

size_t capstan_yaml_map_size(yaml_node_t *map) {
  if (map == NULL || map->type != YAML_MAPPING_NODE)
    return 0;
  return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

const char *capstan_yaml_pair(capstan_yaml *y, yaml_node_t *map, size_t i,
                              yaml_node_t **value) {
  yaml_node_pair_t *pair = map->data.mapping.pairs.start + i;
  *value = yaml_document_get_node(&y->doc, pair->value);
  return capstan_yaml_scalar(yaml_document_get_node(&y->doc, pair->key));
}

static int allowed_key(const char *key, const char *const *allowed) {
  if (allowed == NULL)
    return 1;
  for (; *allowed != NULL; allowed++)
    if (strcmp(key, *allowed) == 0)
      return 1;
  return 0;
}

int capstan_yaml_check_map(capstan_yaml *y, yaml_node_t *node,
                           const char *what, const char *const *allowed,
                           fern_error_t *err) {
  if (node == NULL || node->type != YAML_MAPPING_NODE)
    return capstan_yaml_error(y, node, FERN_EINVAL, err,
                              "%s must be a mapping", what);
  json_t *seen = json_object(); /* a set: keeps the check linear */
  if (seen == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  int rc = FERN_OK;
  size_t n = capstan_yaml_map_size(node);
  for (size_t i = 0; i < n && rc == FERN_OK; i++) {
    yaml_node_t *value;
    yaml_node_t *key_node = yaml_document_get_node(
        &y->doc, node->data.mapping.pairs.start[i].key);
    const char *key = capstan_yaml_pair(y, node, i, &value);
    if (key == NULL)
      rc = capstan_yaml_error(y, key_node, FERN_EINVAL, err,
                              "%s: keys must be plain text", what);
    else if (!allowed_key(key, allowed))
      rc = capstan_yaml_error(y, key_node, FERN_EINVAL, err,
                              "%s: unknown key \"%s\"", what, key);
    else if (json_object_get(seen, key) != NULL)
      rc = capstan_yaml_error(y, key_node, FERN_EINVAL, err,
                              "%s: duplicate key \"%s\"", what, key);
    else if (json_object_set_new(seen, key, json_true()) != 0)
      rc = capstan_yaml_error(y, key_node, FERN_EINVAL, err,
                              "%s: key \"%s\" is not valid UTF-8", what, key);
  }
  json_decref(seen);
  return rc;
}

yaml_node_t *capstan_yaml_get(capstan_yaml *y, yaml_node_t *map,
                              const char *key) {
  size_t n = capstan_yaml_map_size(map);
  for (size_t i = 0; i < n; i++) {
    yaml_node_t *value;
    const char *k = capstan_yaml_pair(y, map, i, &value);
    if (k != NULL && strcmp(k, key) == 0)
      return value;
  }
  return NULL;
}
