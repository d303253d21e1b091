/* manifest_check.c - see manifest_check.h. */
#include "manifest_check.h"

#include <stdio.h>
#include <string.h>

#include "cml_features.h"
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
  /* What a shard brought is placed in the shard's own file. */
  char local[256];
  const char *text = decl->text, *origin = decl->origin;
  size_t len = decl->text_len;
  const char *shard = fern__included_place(&decl->included, pointer, local,
                                           sizeof local, &text, &len);
  if (shard != NULL)
    origin = shard;
  int line = 0, col = 0;
  if (text != NULL)
    fern__json_locate(text, len, shard ? local : pointer, &line, &col);
  if (line > 0)
    return fern_error_set(err, code, pointer, "%s:%d:%d: %s", origin, line,
                          col, message);
  return fern_error_set(err, code, pointer, "%s: %s", origin, message);
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
    const char *feature = fern__cml_unsupported_key(key, what);
    if (feature != NULL)
      return fern__mfail(mc, at, "\"%s\" in %s is CML's %s, which fern does "
                                 "not support",
                         key, what, feature);
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

static int restart_number(fern__mcheck *mc, const json_t *block,
                          const char *pointer, const char *key, uint64_t max,
                          uint64_t *out) {
  json_t *v = json_object_get(block, key);
  if (v == NULL)
    return FERN_OK;
  if (!json_is_integer(v) || json_integer_value(v) < 0 ||
      (uint64_t)json_integer_value(v) > max) {
    fern__pointer at;
    snprintf(at, sizeof at, "%s/%s", pointer, key);
    return fern__mfail(mc, at, "\"%s\" must be a whole number from 0 to %llu",
                       key, (unsigned long long)max);
  }
  *out = (uint64_t)json_integer_value(v);
  return FERN_OK;
}

int fern__mcheck_restart(fern__mcheck *mc, const json_t *obj,
                         const char *pointer, fern__restart_decl *out) {
  static const char *const keys[] = {"policy", "initial_delay_ms",
                                     "multiplier", "max_delay_ms",
                                     "burst_count", "burst_window_ms",
                                     "reset_after_ms", NULL};
  static const char *const policies[] = {"never", "on-failure", "always",
                                         NULL};
  const fern__restart_decl defaults = FERN_RESTART_DEFAULTS;
  *out = defaults;
  json_t *block = json_object_get(obj, "restart");
  if (block == NULL)
    return FERN_OK;
  fern__pointer at;
  snprintf(at, sizeof at, "%s/restart", pointer);
  if (!json_is_object(block))
    return fern__mfail(mc, at, "\"restart\" must be an object");
  int policy = FERN_RESTART_NEVER;
  uint64_t burst = out->burst_count;
  int rc = fern__mcheck_keys(mc, block, at, "a restart policy", keys);
  if (rc == FERN_OK && json_object_get(block, "policy") == NULL)
    rc = fern__mfail(mc, at, "missing \"policy\": expected \"never\", "
                             "\"on-failure\" or \"always\"");
  if (rc == FERN_OK)
    rc = fern__mcheck_enum(mc, block, at, "policy", policies, &policy);
  if (rc == FERN_OK)
    rc = restart_number(mc, block, at, "initial_delay_ms", 86400000,
                        &out->initial_delay_ms);
  if (rc == FERN_OK)
    rc = restart_number(mc, block, at, "max_delay_ms", 86400000,
                        &out->max_delay_ms);
  if (rc == FERN_OK)
    rc = restart_number(mc, block, at, "burst_count", 1000000, &burst);
  if (rc == FERN_OK)
    rc = restart_number(mc, block, at, "burst_window_ms", 86400000,
                        &out->burst_window_ms);
  if (rc == FERN_OK)
    rc = restart_number(mc, block, at, "reset_after_ms", 86400000,
                        &out->reset_after_ms);
  json_t *mult = json_object_get(block, "multiplier");
  if (rc == FERN_OK && mult != NULL) {
    if (!json_is_number(mult) || json_number_value(mult) < 1.0 ||
        json_number_value(mult) > 100.0) {
      fern__pointer mult_at;
      snprintf(mult_at, sizeof mult_at, "%s/multiplier", at);
      return fern__mfail(mc, mult_at,
                         "\"multiplier\" must be a number from 1 to 100");
    }
    out->multiplier = json_number_value(mult);
  }
  out->policy = (fern__restart_policy)policy;
  out->burst_count = (uint32_t)burst;
  return rc;
}
