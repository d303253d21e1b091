/* manifest_env.c - validates a manifest's "environments" and
 * "capabilities". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manifest_check.h"

/* CML's range (tools/lib/cml/src/types/environment.rs, StopTimeoutMs: an
 * unsigned 32-bit integer); 0 ends a stop at once with a kill. */
#define STOP_TIMEOUT_MAX_MS 4294967295ull

static int parse_registration(fern__mcheck *mc, fern__decl *decl,
                              json_t *entry, const char *at, fern__cap_kind kind,
                              fern__registration *reg) {
  static const char *const runner_keys[] = {"runner", "from", "as", NULL};
  static const char *const resolver_keys[] = {"resolver", "scheme", "from",
                                              NULL};
  const char *field = kind == FERN_CAP_RUNNER ? "runner" : "resolver";
  const char *from = NULL;
  int rc = fern__mcheck_object_at(mc, entry, at, "an environment's list");
  if (rc == FERN_OK)
    rc = fern__mcheck_keys(mc, entry, at, kind == FERN_CAP_RUNNER
                                              ? "a runner registration"
                                              : "a resolver registration",
                           kind == FERN_CAP_RUNNER ? runner_keys
                                                   : resolver_keys);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, field, 1, &reg->source_name);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "as", 0, &reg->as);
  if (rc == FERN_OK && kind == FERN_CAP_RESOLVER)
    rc = fern__mcheck_string(mc, entry, at, "scheme", 1, &reg->scheme);
  if (rc == FERN_OK && json_object_get(entry, "from") == NULL)
    rc = fern__mfail(mc, at, "missing \"from\": expected \"parent\", "
                             "\"self\" or \"#<child>\"");
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "from", 1, &from);
  if (rc != FERN_OK)
    return rc;
  fern__pointer from_at;
  snprintf(from_at, sizeof from_at, "%s/from", at);
  if (strcmp(from, "parent") == 0)
    reg->from = FERN_FROM_PARENT;
  else if (strcmp(from, "self") == 0)
    reg->from = FERN_FROM_SELF;
  else if (from[0] == '#' && from[1] != '\0')
    reg->from = FERN_FROM_CHILD; /* the child is checked once children are read */
  else
    return fern__mfail(mc, from_at, "expected \"parent\", \"self\" or "
                                    "\"#<child>\"; got \"%s\"",
                       from);
  reg->child = reg->from == FERN_FROM_CHILD ? from + 1 : NULL;
  if (reg->as == NULL)
    reg->as = reg->source_name;
  if (reg->from == FERN_FROM_SELF &&
      fern__decl_find_capability(decl, kind, reg->source_name) == NULL)
    return fern__mfail(mc, at,
                       "%s \"%s\" comes from \"self\", but this manifest "
                       "declares no %s capability named \"%s\"",
                       field, reg->source_name, field, reg->source_name);
  return FERN_OK;
}

/* A URL scheme as CML takes one (cm_types::UrlScheme): a lowercase
 * letter, then lowercase letters, digits, '+', '-' and '.', at most 100. */
static int scheme_ok(const char *scheme) {
  size_t n = strlen(scheme);
  if (n == 0 || n > 100 || scheme[0] < 'a' || scheme[0] > 'z')
    return 0;
  return strspn(scheme, "abcdefghijklmnopqrstuvwxyz0123456789+-.") == n;
}

/* No two runners of one environment go by one name, no two resolvers
 * serve one scheme: which would run or resolve would be a guess (cmc
 * refuses both). */
static int check_unique_registration(fern__mcheck *mc,
                                     const fern__registration *regs,
                                     size_t count, const char *at,
                                     fern__cap_kind kind) {
  const fern__registration *r = &regs[count - 1];
  const char *name = kind == FERN_CAP_RUNNER ? r->as : r->scheme;
  fern__pointer p;
  snprintf(p, sizeof p, "%s/%s/%zu", at,
           kind == FERN_CAP_RUNNER ? "runners" : "resolvers", count - 1);
  if (kind == FERN_CAP_RESOLVER && !scheme_ok(name))
    return fern__mfail(mc, p, "\"%s\" is no URL scheme: a lowercase letter, "
                              "then lowercase letters, digits, '+', '-' or "
                              "'.'",
                       name);
  for (size_t i = 0; i + 1 < count; i++) {
    const char *other = kind == FERN_CAP_RUNNER ? regs[i].as : regs[i].scheme;
    if (strcmp(other, name) == 0)
      return fern__mfail(mc, p,
                         kind == FERN_CAP_RUNNER
                             ? "runner \"%s\" is registered twice in this "
                               "environment"
                             : "scheme \"%s\" has two resolvers in this "
                               "environment",
                         name);
  }
  return FERN_OK;
}

static int parse_registrations(fern__mcheck *mc, fern__decl *decl,
                               json_t *env_json, const char *at,
                               fern__cap_kind kind, fern__registration **out,
                               size_t *count) {
  const char *key = kind == FERN_CAP_RUNNER ? "runners" : "resolvers";
  json_t *array;
  int rc = fern__mcheck_array(mc, env_json, at, key, &array);
  if (rc != FERN_OK || array == NULL)
    return rc;
  *out = calloc(json_array_size(array) + 1, sizeof **out);
  if (*out == NULL)
    return fern_error_set(mc->err, FERN_ENOMEM, NULL, "out of memory");
  size_t i;
  json_t *entry;
  json_array_foreach(array, i, entry) {
    fern__pointer entry_at;
    snprintf(entry_at, sizeof entry_at, "%s/%s/%zu", at, key, i);
    (*out)[i].index = (unsigned)i;
    rc = parse_registration(mc, decl, entry, entry_at, kind, &(*out)[i]);
    if (rc != FERN_OK)
      return rc;
    *count = i + 1;
    rc = check_unique_registration(mc, *out, *count, at, kind);
    if (rc != FERN_OK)
      return rc;
  }
  return FERN_OK;
}

static int parse_stop_timeout(fern__mcheck *mc, json_t *env_json,
                              const char *at, fern__env_decl *env) {
  json_t *value = json_object_get(env_json, "__stop_timeout_ms");
  fern__pointer value_at;
  snprintf(value_at, sizeof value_at, "%s/__stop_timeout_ms", at);
  if (value == NULL) {
    if (env->extends == FERN_EXTENDS_NONE)
      return fern__mfail(mc, at,
                         "environment \"%s\" extends \"none\" and so needs "
                         "\"__stop_timeout_ms\" (it has no parent to inherit "
                         "one from)",
                         env->name);
    return FERN_OK;
  }
  if (!json_is_integer(value) || json_integer_value(value) < 0 ||
      (uint64_t)json_integer_value(value) > STOP_TIMEOUT_MAX_MS)
    return fern__mfail(mc, value_at,
                       "\"__stop_timeout_ms\" must be a whole number of "
                       "milliseconds from 0 to %llu (CML's unsigned 32-bit "
                       "integer)",
                       (unsigned long long)STOP_TIMEOUT_MAX_MS);
  env->has_stop_timeout = 1;
  env->stop_timeout_ms = (uint64_t)json_integer_value(value);
  return FERN_OK;
}

/* CML's "debug" registrations offer protocols to `use from debug`, which
 * fern has not: they are taken as an array and left, said in verbose
 * logs. */
static int note_debug(fern__mcheck *mc, json_t *env_json, const char *at,
                      const char *name) {
  json_t *debug;
  int rc = fern__mcheck_array(mc, env_json, at, "debug", &debug);
  if (rc == FERN_OK && debug != NULL)
    fern__log(FERN_LOG_DEBUG, NULL,
              "%s: environment \"%s\": its debug registrations are left "
              "out (fern has no use from debug)",
              mc->decl->origin, name);
  return rc;
}

static int parse_environment(fern__mcheck *mc, fern__decl *decl,
                             json_t *entry, const char *at,
                             fern__env_decl *env) {
  /* "debug": CML's debug registrations (protocols for `use from debug`)
   * are read and ignored: fern has no `use from debug`. */
  static const char *const keys[] = {"name",      "extends", "runners",
                                     "resolvers", "debug",   "__stop_timeout_ms",
                                     NULL};
  static const char *const extends_choices[] = {"realm", "none", NULL};
  int extends = FERN_EXTENDS_NONE;
  fern__pointer name_at;
  snprintf(name_at, sizeof name_at, "%s/name", at);
  int rc = fern__mcheck_object_at(mc, entry, at, "\"environments\"");
  if (rc == FERN_OK)
    rc = fern__mcheck_keys(mc, entry, at, "an environment", keys);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "name", 1, &env->name);
  if (rc == FERN_OK)
    rc = fern__mcheck_name(mc, env->name, name_at, "environment");
  if (rc == FERN_OK)
    rc = fern__mcheck_enum(mc, entry, at, "extends", extends_choices, &extends);
  env->extends = (fern__extends)extends;
  if (rc == FERN_OK)
    rc = parse_stop_timeout(mc, entry, at, env);
  if (rc == FERN_OK)
    rc = parse_registrations(mc, decl, entry, at, FERN_CAP_RUNNER,
                             &env->runners, &env->runner_count);
  if (rc == FERN_OK)
    rc = parse_registrations(mc, decl, entry, at, FERN_CAP_RESOLVER,
                             &env->resolvers, &env->resolver_count);
  if (rc == FERN_OK)
    rc = note_debug(mc, entry, at, env->name);
  return rc;
}

int fern__manifest_environments(fern__mcheck *mc, fern__decl *decl) {
  json_t *array;
  int rc = fern__mcheck_array(mc, decl->json, "", "environments", &array);
  if (rc != FERN_OK || array == NULL)
    return rc;
  decl->environments =
      calloc(json_array_size(array) + 1, sizeof *decl->environments);
  if (decl->environments == NULL)
    return fern_error_set(mc->err, FERN_ENOMEM, NULL, "out of memory");
  size_t i;
  json_t *entry;
  json_array_foreach(array, i, entry) {
    fern__pointer at;
    snprintf(at, sizeof at, "/environments/%zu", i);
    fern__env_decl *env = &decl->environments[i];
    decl->environment_count = i + 1;
    rc = parse_environment(mc, decl, entry, at, env);
    if (rc != FERN_OK)
      return rc;
    for (size_t j = 0; j < i; j++) {
      if (strcmp(decl->environments[j].name, env->name) == 0) {
        snprintf(at, sizeof at, "/environments/%zu/name", i);
        return fern__mfail(mc, at, "duplicate environment name \"%s\"",
                           env->name);
      }
    }
  }
  return FERN_OK;
}

/* Each registration "from: #child" names a child of this manifest (cmc:
 * "\"#x\" is not a child"); children are read after environments. */
static int check_registration_children(fern__mcheck *mc, const fern__decl *decl,
                                       const fern__env_decl *env, size_t e,
                                       fern__cap_kind kind) {
  const char *key = kind == FERN_CAP_RUNNER ? "runners" : "resolvers";
  const fern__registration *regs =
      kind == FERN_CAP_RUNNER ? env->runners : env->resolvers;
  size_t count = kind == FERN_CAP_RUNNER ? env->runner_count
                                         : env->resolver_count;
  for (size_t r = 0; r < count; r++) {
    if (regs[r].from != FERN_FROM_CHILD)
      continue;
    int found = 0;
    for (size_t c = 0; c < decl->child_count && !found; c++)
      found = strcmp(decl->children[c].name, regs[r].child) == 0;
    if (found)
      continue;
    fern__pointer at;
    snprintf(at, sizeof at, "/environments/%zu/%s/%zu/from", e, key, r);
    return fern__mfail(mc, at, "\"#%s\": this manifest has no child named "
                               "\"%s\"",
                       regs[r].child, regs[r].child);
  }
  return FERN_OK;
}

int fern__manifest_environment_children(fern__mcheck *mc,
                                        const fern__decl *decl) {
  int rc = FERN_OK;
  for (size_t e = 0; rc == FERN_OK && e < decl->environment_count; e++) {
    rc = check_registration_children(mc, decl, &decl->environments[e], e,
                                     FERN_CAP_RUNNER);
    if (rc == FERN_OK)
      rc = check_registration_children(mc, decl, &decl->environments[e], e,
                                       FERN_CAP_RESOLVER);
  }
  return rc;
}

static int parse_capability(fern__mcheck *mc, json_t *entry, const char *at,
                            fern__capability_decl *cap) {
  static const char *const keys[] = {"runner", "resolver", "plugin", "config",
                                     NULL};
  int rc = fern__mcheck_object_at(mc, entry, at, "\"capabilities\"");
  if (rc == FERN_OK)
    rc = fern__mcheck_keys(mc, entry, at, "a capability", keys);
  if (rc != FERN_OK)
    return rc;
  int is_runner = json_object_get(entry, "runner") != NULL;
  int is_resolver = json_object_get(entry, "resolver") != NULL;
  if (is_runner == is_resolver)
    return fern__mfail(mc, at,
                       "a capability declares exactly one of \"runner\", "
                       "\"resolver\" or \"protocol\"");
  cap->kind = is_runner ? FERN_CAP_RUNNER : FERN_CAP_RESOLVER;
  const char *field = is_runner ? "runner" : "resolver";
  fern__pointer name_at;
  snprintf(name_at, sizeof name_at, "%s/%s", at, field);
  rc = fern__mcheck_string(mc, entry, at, field, 1, &cap->name);
  if (rc == FERN_OK)
    rc = fern__mcheck_name(mc, cap->name, name_at, field);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "plugin", 0, &cap->plugin);
  if (rc != FERN_OK)
    return rc;
  if (cap->plugin == NULL)
    cap->plugin = cap->name;
  cap->config = json_object_get(entry, "config");
  if (cap->config != NULL && !json_is_object(cap->config)) {
    snprintf(name_at, sizeof name_at, "%s/config", at);
    return fern__mfail(mc, name_at, "\"config\" must be an object");
  }
  return FERN_OK;
}

int fern__manifest_capabilities(fern__mcheck *mc, fern__decl *decl) {
  json_t *array;
  int rc = fern__mcheck_array(mc, decl->json, "", "capabilities", &array);
  if (rc != FERN_OK || array == NULL)
    return rc;
  decl->capabilities =
      calloc(json_array_size(array) + 1, sizeof *decl->capabilities);
  if (decl->capabilities == NULL)
    return fern_error_set(mc->err, FERN_ENOMEM, NULL, "out of memory");
  size_t i;
  json_t *entry;
  json_array_foreach(array, i, entry) {
    if (fern__decl_routed_entry(entry))
      continue; /* a protocol or directory: manifest_routes.c's */
    fern__pointer at;
    snprintf(at, sizeof at, "/capabilities/%zu", i);
    fern__capability_decl *cap = &decl->capabilities[decl->capability_count];
    rc = parse_capability(mc, entry, at, cap);
    if (rc != FERN_OK)
      return rc;
    if (fern__decl_find_capability(decl, cap->kind, cap->name) != NULL)
      return fern__mfail(mc, at, "duplicate capability name \"%s\"",
                         cap->name);
    decl->capability_count++;
  }
  return FERN_OK;
}
