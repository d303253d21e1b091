/* capstan_sequence.c - see capstan_sequence.h. */
#include "capstan_sequence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits "TARGET@N" (N from 1); N is 1 without '@', and a fragment that
 * names a set whole is that set. -1 when N is bad. */
static int split_fragment(capstan_package *pkg, const char *fragment,
                          char **target, size_t *n) {
  const char *at = strrchr(fragment, '@');
  *n = 1;
  if (at == NULL || at[1] == '\0' ||
      strspn(at + 1, "0123456789") != strlen(at + 1) ||
      capstan_yaml_get(&pkg->run, pkg->sets, fragment) != NULL) {
    *target = strdup(fragment);
    return *target != NULL ? 0 : -1;
  }
  *n = strtoul(at + 1, NULL, 10);
  *target = strndup(fragment, (size_t)(at - fragment));
  return *target != NULL && *n >= 1 ? 0 : -1;
}

/* The commands of `set`. */
static int commands_of(const capstan_search *search, capstan_package *pkg,
                       const char *set, size_t *count, fern_error_t *err) {
  capstan_boot boot;
  int rc = capstan_boot_resolve(search, pkg, set, &boot, err);
  *count = rc == FERN_OK ? json_array_size(boot.commands) : 0;
  capstan_boot_free(&boot);
  return rc;
}

/* Finds command `n` (from 1) of `sets`, in order, and how many in all. */
static int walk(const capstan_search *search, capstan_package *pkg,
                const json_t *sets, size_t n, capstan_step *out,
                size_t *total, fern_error_t *err) {
  size_t i;
  json_t *name;
  *total = 0;
  json_array_foreach(sets, i, name) {
    size_t count;
    int rc = commands_of(search, pkg, json_string_value(name), &count, err);
    if (rc != FERN_OK)
      return rc;
    if (out->set == NULL && n <= *total + count) {
      out->set = strdup(json_string_value(name));
      out->which = n - *total - 1;
    }
    *total += count;
  }
  return FERN_OK;
}

/* The sets of `target`: config_set_default's, or the one set. */
static json_t *sets_of(capstan_package *pkg, const char *target,
                       int is_default) {
  if (is_default)
    return json_incref(pkg->default_sets);
  return json_pack("[s]", target);
}

/* The sets that share the environment: the default's, --boot's when they
 * hold this set, else this set alone. */
static json_t *booted_with(const json_t *sets, const json_t *boot_sets,
                           const char *set, int is_default) {
  size_t i;
  json_t *name;
  if (is_default)
    return json_incref((json_t *)sets);
  json_array_foreach(boot_sets, i, name) {
    if (strcmp(json_string_value(name), set) == 0)
      return json_incref((json_t *)boot_sets);
  }
  return json_pack("[s]", set);
}

static char *step_fragment(const char *target, size_t n) {
  char *text = NULL;
  if (n == 1)
    return strdup(target);
  return asprintf(&text, "%s@%zu", target, n) >= 0 ? text : NULL;
}

int capstan_step_locate(const capstan_search *search, capstan_package *pkg,
                        const char *fragment, const json_t *boot_sets,
                        capstan_step *out, fern_error_t *err) {
  memset(out, 0, sizeof *out);
  char *target = NULL;
  size_t n, total = 0;
  if (split_fragment(pkg, fragment, &target, &n) != 0) {
    free(target);
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "fragment \"%s\": expected CONFIG_SET or "
                          CAPSTAN_DEFAULT_FRAGMENT ", and @N for command N",
                          fragment);
  }
  int is_default = strcmp(target, CAPSTAN_DEFAULT_FRAGMENT) == 0;
  int rc = FERN_OK;
  if (is_default && json_array_size(pkg->default_sets) == 0) {
    capstan_boot none; /* says there is no default, and what to choose */
    rc = capstan_boot_resolve(search, pkg, NULL, &none, err);
    capstan_boot_free(&none);
  }
  json_t *sets = rc == FERN_OK ? sets_of(pkg, target, is_default) : NULL;
  if (rc == FERN_OK)
    rc = walk(search, pkg, sets, n, out, &total, err);
  if (rc == FERN_OK && out->set == NULL)
    rc = fern_error_set(err, FERN_ENOENT, NULL,
                        "fragment \"%s\": there %s %zu command%s to boot, "
                        "not %zu",
                        fragment, total == 1 ? "is" : "are", total,
                        total == 1 ? "" : "s", n);
  if (rc == FERN_OK) {
    out->booted = booted_with(sets, boot_sets, out->set, is_default);
    /* The default of one set is named by the set, as it always was. */
    int plain = is_default && n == 1 && json_array_size(sets) == 1;
    out->fragment = plain ? strdup(out->set) : step_fragment(target, n);
    if (n < total)
      out->next = step_fragment(target, n + 1);
    if (out->booted == NULL || out->fragment == NULL ||
        (n < total && out->next == NULL))
      rc = fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  json_decref(sets);
  free(target);
  if (rc != FERN_OK)
    capstan_step_free(out);
  return rc;
}

void capstan_step_free(capstan_step *step) {
  free(step->set);
  json_decref(step->booted);
  free(step->fragment);
  free(step->next);
  memset(step, 0, sizeof *step);
}
