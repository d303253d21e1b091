/* manifest.c - parses manifest text into a fern__decl and validates the
 * component-level parts (program, use, children, collections). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decl.h"
#include "json5.h"
#include "manifest_check.h"

/* "facets" is CML's too: metadata for others' tools, which fern reads
 * past (docs/cml.md). */
static const char *const top_keys[] = {
    "program",      "use",          "children", "collections",
    "environments", "capabilities", "offer",    "expose",
    "facets",       "config",       NULL};

static int check_env_reference(fern__mcheck *mc, fern__decl *decl,
                               const char *value, const char *pointer,
                               const char **out) {
  if (value == NULL)
    return FERN_OK;
  if (value[0] != '#')
    return fern__mfail(mc, pointer,
                       "\"environment\" is \"%s\"; expected \"#<name>\" of an "
                       "environment declared in this manifest",
                       value);
  if (fern__decl_find_env(decl, value + 1) == NULL)
    return fern__mfail(mc, pointer,
                       "environment \"%s\" does not exist: this manifest "
                       "declares no environment named \"%s\"",
                       value, value + 1);
  *out = value + 1;
  return FERN_OK;
}

/* Whether a child or collection already has `name`; records it if not.
 * A set, not a scan: a manifest may have 100,000 children. */
static int name_taken(fern__mcheck *mc, const char *name) {
  if (json_object_get(mc->names, name) != NULL)
    return 1;
  json_object_set_new(mc->names, name, json_true());
  return 0;
}

static int parse_child(fern__mcheck *mc, fern__decl *decl, json_t *entry,
                       const char *at, fern__child_decl *child) {
  static const char *const keys[] = {"name", "url", "startup", "environment",
                                     "on_terminate", "restart",
                                     "config_overrides", NULL};
  static const char *const startups[] = {"lazy", "eager", NULL};
  static const char *const on_terminates[] = {"none", "reboot", NULL};
  const char *env = NULL;
  int startup = FERN_STARTUP_LAZY, on_terminate = FERN_ON_TERMINATE_NONE;
  fern__pointer name_at, env_at;
  snprintf(name_at, sizeof name_at, "%s/name", at);
  snprintf(env_at, sizeof env_at, "%s/environment", at);
  int rc = fern__mcheck_object_at(mc, entry, at, "\"children\"");
  if (rc == FERN_OK)
    rc = fern__mcheck_keys(mc, entry, at, "a child", keys);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "name", 1, &child->name);
  if (rc == FERN_OK)
    rc = fern__mcheck_name(mc, child->name, name_at, "child");
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "url", 1, &child->url);
  if (rc == FERN_OK)
    rc = fern__mcheck_enum(mc, entry, at, "startup", startups, &startup);
  if (rc == FERN_OK)
    rc = fern__mcheck_enum(mc, entry, at, "on_terminate", on_terminates,
                           &on_terminate);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "environment", 0, &env);
  if (rc == FERN_OK)
    rc = check_env_reference(mc, decl, env, env_at, &child->environment);
  if (rc == FERN_OK)
    rc = fern__mcheck_restart(mc, entry, at, &child->restart);
  if (rc == FERN_OK)
    rc = fern__manifest_child_overrides(mc, entry, at,
                                        &child->config_overrides);
  child->startup = (fern__startup)startup;
  child->on_terminate = (fern__on_terminate)on_terminate;
  return rc;
}

static int parse_children(fern__mcheck *mc, fern__decl *decl) {
  json_t *array;
  int rc = fern__mcheck_array(mc, decl->json, "", "children", &array);
  if (rc != FERN_OK || array == NULL)
    return rc;
  decl->children = calloc(json_array_size(array) + 1, sizeof *decl->children);
  if (decl->children == NULL)
    return fern_error_set(mc->err, FERN_ENOMEM, NULL, "out of memory");
  size_t i;
  json_t *entry;
  json_array_foreach(array, i, entry) {
    fern__pointer at;
    snprintf(at, sizeof at, "/children/%zu", i);
    fern__child_decl *child = &decl->children[i];
    rc = parse_child(mc, decl, entry, at, child);
    if (rc != FERN_OK)
      return rc;
    if (name_taken(mc, child->name)) {
      snprintf(at, sizeof at, "/children/%zu/name", i);
      return fern__mfail(mc, at,
                         "duplicate child name \"%s\": children and "
                         "collections need distinct names",
                         child->name);
    }
    decl->child_count = i + 1;
  }
  return FERN_OK;
}

static int parse_collection(fern__mcheck *mc, fern__decl *decl, json_t *entry,
                            const char *at, fern__collection_decl *coll) {
  static const char *const keys[] = {"name", "durability", "environment",
                                     "restart", NULL};
  static const char *const durabilities[] = {"transient", "single_run", NULL};
  int durability = FERN_DURABILITY_TRANSIENT;
  const char *env = NULL;
  fern__pointer name_at, env_at;
  snprintf(name_at, sizeof name_at, "%s/name", at);
  snprintf(env_at, sizeof env_at, "%s/environment", at);
  int rc = fern__mcheck_object_at(mc, entry, at, "\"collections\"");
  if (rc == FERN_OK)
    rc = fern__mcheck_keys(mc, entry, at, "a collection", keys);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "name", 1, &coll->name);
  if (rc == FERN_OK)
    rc = fern__mcheck_name(mc, coll->name, name_at, "collection");
  if (rc == FERN_OK && json_object_get(entry, "durability") == NULL)
    rc = fern__mfail(mc, at,
                     "missing \"durability\": expected \"transient\" or "
                     "\"single_run\"");
  if (rc == FERN_OK)
    rc = fern__mcheck_enum(mc, entry, at, "durability", durabilities,
                           &durability);
  if (rc == FERN_OK)
    rc = fern__mcheck_string(mc, entry, at, "environment", 0, &env);
  if (rc == FERN_OK)
    rc = check_env_reference(mc, decl, env, env_at, &coll->environment);
  if (rc == FERN_OK)
    rc = fern__mcheck_restart(mc, entry, at, &coll->restart);
  coll->durability = (fern__durability)durability;
  return rc;
}

static int parse_collections(fern__mcheck *mc, fern__decl *decl) {
  json_t *array;
  int rc = fern__mcheck_array(mc, decl->json, "", "collections", &array);
  if (rc != FERN_OK || array == NULL)
    return rc;
  decl->collections =
      calloc(json_array_size(array) + 1, sizeof *decl->collections);
  if (decl->collections == NULL)
    return fern_error_set(mc->err, FERN_ENOMEM, NULL, "out of memory");
  size_t i;
  json_t *entry;
  json_array_foreach(array, i, entry) {
    fern__pointer at;
    snprintf(at, sizeof at, "/collections/%zu", i);
    fern__collection_decl *coll = &decl->collections[i];
    rc = parse_collection(mc, decl, entry, at, coll);
    if (rc != FERN_OK)
      return rc;
    if (name_taken(mc, coll->name)) {
      snprintf(at, sizeof at, "/collections/%zu/name", i);
      return fern__mfail(mc, at,
                         "duplicate name \"%s\": children and collections "
                         "need distinct names",
                         coll->name);
    }
    decl->collection_count = i + 1;
  }
  return FERN_OK;
}

static int parse_use(fern__mcheck *mc, fern__decl *decl,
                     const char **used_runner) {
  static const char *const keys[] = {"runner", NULL};
  json_t *array;
  int rc = fern__mcheck_array(mc, decl->json, "", "use", &array);
  if (rc != FERN_OK || array == NULL)
    return rc;
  size_t i;
  json_t *entry;
  json_array_foreach(array, i, entry) {
    if (fern__decl_routed_entry(entry))
      continue; /* a protocol or directory: manifest_routes.c's */
    fern__pointer at;
    snprintf(at, sizeof at, "/use/%zu", i);
    const char *runner;
    rc = fern__mcheck_object_at(mc, entry, at, "\"use\"");
    if (rc == FERN_OK)
      rc = fern__mcheck_keys(mc, entry, at, "a use declaration", keys);
    if (rc == FERN_OK)
      rc = fern__mcheck_string(mc, entry, at, "runner", 1, &runner);
    if (rc != FERN_OK)
      return rc;
    if (*used_runner != NULL)
      return fern__mfail(mc, at, "a component uses at most one runner");
    *used_runner = runner;
  }
  return FERN_OK;
}

static int parse_program(fern__mcheck *mc, fern__decl *decl) {
  const char *used_runner = NULL, *program_runner = NULL;
  int rc = parse_use(mc, decl, &used_runner);
  if (rc != FERN_OK)
    return rc;
  decl->program = json_object_get(decl->json, "program");
  if (decl->program == NULL)
    return FERN_OK;
  if (!json_is_object(decl->program))
    return fern__mfail(mc, "/program", "\"program\" must be an object");
  rc = fern__mcheck_string(mc, decl->program, "/program", "runner", 0,
                           &program_runner);
  if (rc != FERN_OK)
    return rc;
  decl->runner = program_runner ? program_runner : used_runner;
  decl->runner_key = program_runner ? "/program/runner" : "/use";
  if (decl->runner == NULL)
    return fern__mfail(mc, "/program",
                       "the component has a program but names no runner: "
                       "expected \"runner\" in \"program\" or {\"runner\": "
                       "\"...\"} in \"use\"");
  return FERN_OK;
}

/* JSON5, as CML is (strict JSON reads the same). */
static int parse_json(const char *text, size_t len, fern__decl *decl,
                      fern_error_t *err) {
  fern__json5_error jerr;
  decl->json = fern__json5_parse(text, len, &jerr);
  if (decl->json == NULL)
    return fern_error_set(err, FERN_EINVAL, NULL, "%s:%d:%d: %s", decl->origin,
                          jerr.line, jerr.column, jerr.text);
  if (!json_is_object(decl->json))
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s:1:1: a manifest must be a JSON object",
                          decl->origin);
  return FERN_OK;
}

int fern__decl_parse(const char *text, size_t len, const char *origin,
                     fern__decl **out, fern_error_t *err) {
  return fern__decl_parse_in(text, len, origin, NULL, out, err);
}

int fern__decl_parse_in(const char *text, size_t len, const char *origin,
                        const fern__include_dirs *dirs, fern__decl **out,
                        fern_error_t *err) {
  if (len > FERN__MANIFEST_MAX)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s: the manifest is larger than %u bytes, the "
                          "limit",
                          origin, FERN__MANIFEST_MAX);
  fern__decl *decl = calloc(1, sizeof *decl);
  if (decl == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  decl->origin = strdup(origin);
  decl->text = malloc(len + 1);
  if (decl->origin == NULL || decl->text == NULL) {
    fern__decl_free(decl);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  memcpy(decl->text, text, len);
  decl->text[len] = '\0';
  decl->text_len = len;
  fern__mcheck mc = {decl, err, json_object()};
  int rc = mc.names != NULL ? parse_json(text, len, decl, err)
                            : fern_error_set(err, FERN_ENOMEM, NULL,
                                             "out of memory");
  if (rc == FERN_OK)
    rc = fern__include_merge(decl->json, decl->origin, decl->text,
                             decl->text_len, dirs, &decl->included, err);
  if (rc == FERN_OK)
    rc = fern__mcheck_keys(&mc, decl->json, "", "a manifest", top_keys);
  if (rc == FERN_OK)
    rc = fern__manifest_config(&mc, decl);
  if (rc == FERN_OK)
    rc = fern__manifest_capabilities(&mc, decl);
  if (rc == FERN_OK)
    rc = fern__manifest_environments(&mc, decl);
  if (rc == FERN_OK)
    rc = parse_program(&mc, decl);
  if (rc == FERN_OK)
    rc = parse_collections(&mc, decl);
  if (rc == FERN_OK)
    rc = parse_children(&mc, decl);
  if (rc == FERN_OK)
    rc = fern__manifest_environment_children(&mc, decl);
  if (rc == FERN_OK)
    rc = fern__manifest_routes(&mc, decl);
  json_decref(mc.names);
  if (rc != FERN_OK) {
    fern__decl_free(decl);
    return rc;
  }
  *out = decl;
  return FERN_OK;
}

void fern__decl_free(fern__decl *decl) {
  if (decl == NULL)
    return;
  for (size_t i = 0; i < decl->environment_count; i++) {
    free(decl->environments[i].runners);
    free(decl->environments[i].resolvers);
  }
  free(decl->environments);
  free(decl->capabilities);
  free(decl->provided);
  free(decl->uses);
  free(decl->offers);
  free(decl->exposes);
  free(decl->collections);
  free(decl->children);
  json_decref(decl->json);
  fern__included_free(&decl->included);
  free(decl->config_fields);
  free(decl->text);
  free(decl->origin);
  free(decl);
}

const fern__env_decl *fern__decl_find_env(const fern__decl *decl,
                                          const char *name) {
  for (size_t i = 0; i < decl->environment_count; i++)
    if (strcmp(decl->environments[i].name, name) == 0)
      return &decl->environments[i];
  return NULL;
}

const fern__capability_decl *fern__decl_find_capability(
    const fern__decl *decl, fern__cap_kind kind, const char *name) {
  for (size_t i = 0; i < decl->capability_count; i++)
    if (decl->capabilities[i].kind == kind &&
        strcmp(decl->capabilities[i].name, name) == 0)
      return &decl->capabilities[i];
  return NULL;
}

const fern__collection_decl *fern__decl_find_collection(const fern__decl *decl,
                                                        const char *name) {
  for (size_t i = 0; i < decl->collection_count; i++)
    if (strcmp(decl->collections[i].name, name) == 0)
      return &decl->collections[i];
  return NULL;
}
