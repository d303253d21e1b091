/* manifest_check.c - see manifest_check.h. */
#include "manifest_check.h"

#include <stdio.h>
#include <string.h>

#include "json_pos.h"

int fern__decl_error(const fern__decl *decl, fern_error_t *err, int code,
                     const char *pointer, const char *fmt, ...) {
  if (err == NULL)
    return code;
  char message[sizeof err->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  int line = 0, col = 0;
  if (decl->text != NULL)
    fern__json_locate(decl->text, decl->text_len, pointer, &line, &col);
  if (line > 0)
    return fern_error_set(err, code, pointer, "%s:%d:%d: %s", decl->origin,
                          line, col, message);
  return fern_error_set(err, code, pointer, "%s: %s", decl->origin, message);
}

int fern__mfail(fern__mcheck *mc, const char *pointer, const char *fmt, ...) {
  char message[sizeof mc->err->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  return fern__decl_error(mc->decl, mc->err, FERN_EINVAL, pointer, "%s",
                          message);
}

static void join_choices(char *buf, size_t size, const char *const *choices) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; choices[i] != NULL && used < size; i++) {
    int n = snprintf(buf + used, size - used, "%s\"%s\"", i ? ", " : "",
                     choices[i]);
    if (n < 0)
      break;
    used += (size_t)n;
  }
}

int fern__mcheck_keys(fern__mcheck *mc, const json_t *obj, const char *pointer,
                      const char *what, const char *const *allowed) {
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)obj, key, value) {
    size_t i = 0;
    while (allowed[i] != NULL && strcmp(allowed[i], key) != 0)
      i++;
    if (allowed[i] != NULL)
      continue;
    char expected[300];
    join_choices(expected, sizeof expected, allowed);
    fern__pointer at;
    snprintf(at, sizeof at, "%s/%s", pointer, key);
    return fern__mfail(mc, at, "unknown key \"%s\" in %s (expected one of %s)",
                       key, what, expected);
  }
  return FERN_OK;
}

int fern__mcheck_string(fern__mcheck *mc, const json_t *obj,
                        const char *pointer, const char *key, int required,
                        const char **out) {
  json_t *value = json_object_get(obj, key);
  *out = NULL;
  fern__pointer at;
  snprintf(at, sizeof at, "%s/%s", pointer, key);
  if (value == NULL) {
    if (!required)
      return FERN_OK;
    return fern__mfail(mc, pointer, "missing \"%s\": expected a string", key);
  }
  if (!json_is_string(value))
    return fern__mfail(mc, at, "\"%s\" must be a string", key);
  *out = json_string_value(value);
  return FERN_OK;
}

int fern__mcheck_enum(fern__mcheck *mc, const json_t *obj, const char *pointer,
                      const char *key, const char *const *choices, int *index) {
  const char *value;
  int rc = fern__mcheck_string(mc, obj, pointer, key, 0, &value);
  if (rc != FERN_OK || value == NULL)
    return rc;
  for (int i = 0; choices[i] != NULL; i++) {
    if (strcmp(choices[i], value) == 0) {
      *index = i;
      return FERN_OK;
    }
  }
  char expected[300];
  join_choices(expected, sizeof expected, choices);
  fern__pointer at;
  snprintf(at, sizeof at, "%s/%s", pointer, key);
  return fern__mfail(mc, at, "\"%s\" is \"%s\"; expected one of %s", key, value,
                     expected);
}

int fern__mcheck_name(fern__mcheck *mc, const char *name, const char *pointer,
                      const char *what) {
  size_t n = strlen(name);
  int ok = n > 0 && n <= FERN_NAME_MAX && name[0] != '.' && name[0] != '-';
  for (size_t i = 0; ok && i < n; i++) {
    char c = name[i];
    ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  }
  if (ok)
    return FERN_OK;
  return fern__mfail(mc, pointer,
                     "%s name \"%.*s%s\" is not valid: expected 1 to %d of "
                     "letters, digits, '_', '-' or '.', not starting with '.' "
                     "or '-'",
                     what, 60, name, n > 60 ? "..." : "", FERN_NAME_MAX);
}

int fern__mcheck_array(fern__mcheck *mc, const json_t *obj,
                       const char *pointer, const char *key, json_t **out) {
  *out = json_object_get(obj, key);
  if (*out == NULL || json_is_array(*out))
    return FERN_OK;
  fern__pointer at;
  snprintf(at, sizeof at, "%s/%s", pointer, key);
  return fern__mfail(mc, at, "\"%s\" must be an array", key);
}

int fern__mcheck_object_at(fern__mcheck *mc, const json_t *value,
                           const char *pointer, const char *what) {
  if (json_is_object(value))
    return FERN_OK;
  return fern__mfail(mc, pointer, "each entry of %s must be an object", what);
}
