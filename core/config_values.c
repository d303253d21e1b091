/* config_values.c - see config_values.h. As Fuchsia's values files are
 * (a JSON5 object, a value per field, checked against the schema when
 * the package is built), except that fern checks them when the component
 * resolves, and says where in the file a value is wrong. */
#include "config_values.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>

#include "json5.h"
#include "json_pos.h"
#include "package_path.h"

/* An error at `pointer` of the values file. */
static int values_fail(const char *origin, const char *text, size_t len,
                       const char *pointer, fern_error_t *err,
                       const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int values_fail(const char *origin, const char *text, size_t len,
                       const char *pointer, fern_error_t *err,
                       const char *fmt, ...) {
  char message[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  int line = 0, col = 0;
  fern__json_locate(text, len, pointer, &line, &col);
  if (line > 0)
    return fern_error_set(err, FERN_EINVAL, NULL, "%s:%d:%d: %s", origin,
                          line, col, message);
  return fern_error_set(err, FERN_EINVAL, NULL, "%s: %s", origin, message);
}

const fern__config_field *fern__config_field_named(const fern__decl *decl,
                                                   const char *key) {
  for (size_t i = 0; i < decl->config_field_count; i++)
    if (strcmp(decl->config_fields[i].key, key) == 0)
      return &decl->config_fields[i];
  return NULL;
}

/* The JSON pointer (RFC 6901) of member `key`: '~' and '/' escaped, so
 * that any key of the file, even one no field has, is placed. */
static void member_pointer(const char *key, char *out, size_t size) {
  size_t n = 0;
  out[n++] = '/';
  for (; *key != '\0' && n + 3 < size; key++) {
    if (*key == '~' || *key == '/') {
      out[n++] = '~';
      out[n++] = *key == '~' ? '0' : '1';
    } else {
      out[n++] = *key;
    }
  }
  out[n] = '\0';
}

int fern__config_values_check(const fern__decl *decl, const char *origin,
                              const char *text, size_t len, json_t **out,
                              fern_error_t *err) {
  fern__json5_error jerr;
  json_t *values = fern__json5_parse(text, len, &jerr);
  *out = NULL;
  if (values == NULL)
    return fern_error_set(err, FERN_EINVAL, NULL, "%s:%d:%d: %s", origin,
                          jerr.line, jerr.column, jerr.text);
  int rc = json_is_object(values)
               ? FERN_OK
               : values_fail(origin, text, len, "", err,
                             "a values file is an object: a value per "
                             "field");
  const char *key;
  json_t *value;
  json_object_foreach(values, key, value) {
    if (rc != FERN_OK)
      break;
    char pointer[1024], why[200];
    member_pointer(key, pointer, sizeof pointer);
    const fern__config_field *field = fern__config_field_named(decl, key);
    if (field == NULL)
      rc = values_fail(origin, text, len, pointer, err,
                       "\"%s\" is no field of the manifest's config", key);
    else if (fern__config_value_fits(field, value, why, sizeof why) != 0)
      rc = values_fail(origin, text, len, pointer, err, "\"%s\": %s", key,
                       why);
  }
  for (size_t i = 0; rc == FERN_OK && i < decl->config_field_count; i++)
    if (json_object_get(values, decl->config_fields[i].key) == NULL)
      rc = values_fail(origin, text, len, "", err,
                       "no value for config field \"%s\"",
                       decl->config_fields[i].key);
  if (rc != FERN_OK) {
    json_decref(values);
    return rc;
  }
  *out = values;
  return FERN_OK;
}

/* The manifest's name in the package: the URL's fragment, as the
 * component is named (a link in meta/ stays itself), else the path the
 * resolver read relative to the package; NULL when it is no file of the
 * package. */
static const char *manifest_name(const char *package_dir, const char *url,
                                 const char *manifest_path) {
  const char *hash = url != NULL ? strchr(url, '#') : NULL;
  if (hash != NULL && hash[1] != '\0')
    return hash + 1;
  size_t n = strlen(package_dir);
  if (manifest_path == NULL || strncmp(manifest_path, package_dir, n) != 0 ||
      manifest_path[n] != '/')
    return NULL;
  return manifest_path + n + 1;
}

/* The values file's path in the package, from the manifest's name. */
static int values_name(const char *rel, char *out, size_t size) {
  size_t len = strlen(rel);
  if (len > 4 && strcmp(rel + len - 4, ".cml") == 0)
    len -= 4;
  else if (len > 3 && strcmp(rel + len - 3, ".cm") == 0)
    len -= 3;
  int w = snprintf(out, size, "%.*s.values.json5", (int)len, rel);
  return w > 0 && (size_t)w < size ? 0 : -1;
}

int fern__config_values_load(const fern__decl *decl, const char *package_dir,
                             const char *url, const char *manifest_path,
                             json_t **out, fern_error_t *err) {
  char name[PATH_MAX], found[PATH_MAX];
  *out = NULL;
  if (decl->config_field_count == 0)
    return FERN_OK;
  const char *rel = package_dir != NULL
                        ? manifest_name(package_dir, url, manifest_path)
                        : NULL;
  if (rel == NULL || values_name(rel, name, sizeof name) != 0)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s declares \"config\", whose values come from a "
                          "values file of a local package, and it has none",
                          decl->origin);
  fern_error_t why = FERN_ERROR_INIT;
  int fd = fern__package_open(package_dir, name, found, sizeof found, &why);
  if (fd == FERN_ENOENT)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "%s declares \"config\": its values file %s is "
                          "not in package %s",
                          decl->origin, name, package_dir);
  if (fd < 0)
    return fern_error_set(err, fd, NULL, "%s", why.message);
  size_t len = 0;
  char *text = fern__package_read_fd(fd, FERN__MANIFEST_MAX, &len);
  close(fd);
  int rc = text != NULL
               ? fern__config_values_check(decl, found, text, len, out, err)
               : fern_error_set(err, FERN_EIO, NULL,
                                "%s: cannot be read whole, or is larger "
                                "than %u bytes",
                                found, FERN__MANIFEST_MAX);
  free(text);
  return rc;
}
