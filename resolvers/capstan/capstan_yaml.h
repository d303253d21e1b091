/* capstan_yaml.h - the little of YAML the Capstan resolver needs, on top of
 * libyaml's document loader: load a file with a size limit and a clear
 * file:line:col error, look keys up in mappings (refusing duplicates and
 * keys nobody reads), read scalars. Every error message starts with
 * "FILE:LINE:COL:" of the node it is about. */
#ifndef FERN_RESOLVERS_CAPSTAN_YAML_H
#define FERN_RESOLVERS_CAPSTAN_YAML_H

#include <fern/fern.h>
#include <yaml.h>

/* The largest meta/ YAML file read. */
#define CAPSTAN_YAML_MAX (1u << 20)

typedef struct capstan_yaml_s {
  yaml_document_t doc;
  int loaded;
  char *shown; /* the file's path, for messages */
} capstan_yaml;

/* Loads the first document of the file open at `fd` (`path` names it in
 * messages). Bad YAML is FERN_EINVAL with the parser's position. */
int capstan_yaml_load(int fd, const char *path, capstan_yaml *y,
                      fern_error_t *err);
void capstan_yaml_free(capstan_yaml *y);

/* The document's top node (NULL for an empty document). */
yaml_node_t *capstan_yaml_root(capstan_yaml *y);

/* Checks that `node` is a mapping of distinct scalar keys, each one of
 * `allowed` (a NULL-terminated list; NULL allows any key). `what` names the
 * mapping in messages ("config set \"x\""). */
int capstan_yaml_check_map(capstan_yaml *y, yaml_node_t *node,
                           const char *what, const char *const *allowed,
                           fern_error_t *err);

/* The value of `key` in mapping `map`, or NULL. */
yaml_node_t *capstan_yaml_get(capstan_yaml *y, yaml_node_t *map,
                              const char *key);

/* The text of a scalar node (NUL-terminated), or NULL if `node` is not a
 * scalar or holds a NUL byte. */
const char *capstan_yaml_scalar(yaml_node_t *node);

/* The key of the i-th pair of mapping `map` as text, and its value. */
const char *capstan_yaml_pair(capstan_yaml *y, yaml_node_t *map, size_t i,
                              yaml_node_t **value);
size_t capstan_yaml_map_size(yaml_node_t *map);

/* Fills `err` with code `code` and "FILE:LINE:COL: " + the message. */
int capstan_yaml_error(capstan_yaml *y, yaml_node_t *node, int code,
                       fern_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
