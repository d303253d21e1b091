/* manifest_parts.c - see manifest_parts.h: names, references, relative
 * paths and rights, read as cmc reads them (Fuchsia's tools/lib/cml). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cml_features.h"
#include "manifest_parts.h"

/* The names of a declaration's "protocol" or "directory": one, or a
 * nonempty array of unique ones. `names` is the caller's to free. */
int fern__mr_read_names(fern__mcheck *mc, const json_t *entry, const char *at,
                      fern__route_kind kind, const char ***names,
                      size_t *count) {
  const char *key = fern__route_kind_name(kind);
  fern__pointer p;
  snprintf(p, sizeof p, "%s/%s", at, key);
  const json_t *v = json_object_get(entry, key);
  size_t n = json_is_array(v) ? json_array_size(v) : 1;
  if (!json_is_string(v) && (!json_is_array(v) || n == 0))
    return fern__mfail(mc, p, "\"%s\" must be a name or a nonempty "
                              "array of names",
                       key);
  if ((*names = calloc(n, sizeof **names)) == NULL)
    return fern_error_set(mc->err, FERN_ENOMEM, NULL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const json_t *item = json_is_array(v) ? json_array_get(v, i) : v;
    fern__pointer ip;
    snprintf(ip, sizeof ip, json_is_array(v) ? "%s/%zu" : "%s", p, i);
    (*names)[i] = json_string_value(item);
    if ((*names)[i] == NULL)
      return fern__mfail(mc, ip, "\"%s\" must hold names", key);
    int rc = fern__mcheck_name(mc, (*names)[i], ip, key);
    if (rc != FERN_OK)
      return rc;
    for (size_t j = 0; j < i; j++)
      if (strcmp((*names)[j], (*names)[i]) == 0)
        return fern__mfail(mc, ip, "\"%s\" is named twice in \"%s\"",
                           (*names)[i], key);
  }
  *count = n;
  return FERN_OK;
}

/* "as", "path" or "subdir": only where one capability is named (cml's
 * from_clause). */
int fern__mr_single_only(fern__mcheck *mc, const json_t *entry, const char *at,
                       const char *key, size_t count) {
  if (count == 1 || json_object_get(entry, key) == NULL)
    return FERN_OK;
  fern__pointer p;
  snprintf(p, sizeof p, "%s/%s", at, key);
  return fern__mfail(mc, p, "\"%s\" can only be given when one capability "
                            "is named",
                     key);
}

static int is_child(const fern__decl *decl, const char *name) {
  for (size_t i = 0; i < decl->child_count; i++)
    if (strcmp(decl->children[i].name, name) == 0)
      return 1;
  return 0;
}

/* Reads a reference: "parent", "self" or "#name" where each is allowed;
 * "#name" must be a child, or with `collections` a collection too. */
int fern__mr_read_ref(fern__mcheck *mc, const char *value, const char *p,
                    const char *allowed, int collections, fern__ref *out) {
  if (value != NULL && strcmp(value, "parent") == 0 && strstr(allowed, "parent")) {
    *out = (fern__ref){FERN_REF_PARENT, NULL};
    return FERN_OK;
  }
  if (value != NULL && strcmp(value, "self") == 0 && strstr(allowed, "self")) {
    *out = (fern__ref){FERN_REF_SELF, NULL};
    return FERN_OK;
  }
  const char *feature = fern__cml_unsupported_ref(value);
  if (feature != NULL)
    return fern__mfail(mc, p, "\"%s\" is CML's %s, which fern does not "
                              "support (expected %s)",
                       value, feature, allowed);
  if (value == NULL || value[0] != '#' || strstr(allowed, "#<") == NULL)
    return fern__mfail(mc, p, "expected %s; got \"%s\"", allowed,
                       value ? value : "(not a string)");
  const char *name = value + 1;
  if (!is_child(mc->decl, name) &&
      !(collections && fern__decl_find_collection(mc->decl, name) != NULL))
    return fern__mfail(mc, p, "\"%s\": this manifest has no child%s named "
                              "\"%s\"",
                       value, collections ? " or collection" : "", name);
  *out = (fern__ref){FERN_REF_CHILD, name};
  return FERN_OK;
}

int fern__mr_read_ref_key(fern__mcheck *mc, const json_t *entry, const char *at,
                        const char *key, const char *fallback,
                        const char *allowed, int collections, fern__ref *out) {
  fern__pointer p;
  snprintf(p, sizeof p, "%s/%s", at, key);
  const json_t *v = json_object_get(entry, key);
  if (v == NULL && fallback != NULL)
    return fern__mr_read_ref(mc, fallback, p, allowed, collections, out);
  return fern__mr_read_ref(mc, json_string_value(v), p, allowed, collections, out);
}

/* What this component declares by `name` (of any kind: cmc keeps
 * capability names unique across kinds), or NULL. */
const fern__provided_decl *fern__mr_declared(const fern__decl *decl,
                                           const char *name) {
  for (size_t i = 0; i < decl->provided_count; i++)
    if (strcmp(decl->provided[i].name, name) == 0)
      return &decl->provided[i];
  return NULL;
}

/* A path below a directory: "a/b", no empty, "." or ".." part (cml's
 * RelativePath). */
int fern__mr_check_relative(fern__mcheck *mc, const char *path, const char *p,
                          const char *key) {
  size_t len = strlen(path);
  int bad = len == 0 || path[0] == '/' || path[len - 1] == '/' ||
            strstr(path, "//") != NULL;
  for (const char *part = path; !bad && part != NULL;) {
    size_t n = strcspn(part, "/");
    bad = (n == 1 && part[0] == '.') ||
          (n == 2 && part[0] == '.' && part[1] == '.');
    part = part[n] == '/' ? part + n + 1 : NULL;
  }
  if (bad)
    return fern__mfail(mc, p, "\"%s\" must be a relative path with no "
                              "empty, \".\" or \"..\" part; got \"%s\"",
                       key, path);
  if (len > FERN_USE_PATH_MAX * 4)
    return fern__mfail(mc, p, "\"%s\" is %zu bytes; at most %d", key, len,
                       FERN_USE_PATH_MAX * 4);
  return FERN_OK;
}

/* A directory's "rights" (rights.c); 0 when absent and not required. */
int fern__mr_read_rights(fern__mcheck *mc, const json_t *entry, const char *at,
                       int required, fern__rights *out) {
  fern__pointer p;
  snprintf(p, sizeof p, "%s/rights", at);
  const json_t *list = json_object_get(entry, "rights");
  *out = 0;
  if (list == NULL)
    return required ? fern__mfail(mc, at, "a directory needs \"rights\", "
                                          "such as [\"r*\"] or [\"rw*\"]")
                    : FERN_OK;
  long bad;
  *out = fern__rights_parse(list, &bad);
  if (*out != 0)
    return FERN_OK;
  if (bad >= 0) {
    fern__pointer ip;
    snprintf(ip, sizeof ip, "%s/%ld", p, bad);
    return fern__mfail(mc, ip, "not a right, or one that repeats an "
                               "operation named before it (as cmc, \"r*\" "
                               "and \"w*\" both hold connect): rights are "
                               "\"r*\", \"w*\", \"x*\", \"rw*\", \"rx*\" "
                               "or one of connect, enumerate, execute, "
                               "get_attributes, modify_directory, read_bytes, "
                               "traverse, update_attributes, write_bytes");
  }
  return fern__mfail(mc, p, "\"rights\" must be a nonempty array of rights");
}
