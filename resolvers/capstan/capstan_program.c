/* capstan_program.c - see capstan_program.h. The boot command of a set is
 * Capstan's GetBootCmd (runtime/runtime.go); what OSv does with the
 * runscript line is core/commands.cc's runscript_process_options and
 * expand_environ_vars; the loader's own --env and OSV_* come first
 * (loader.cc). */
#include "capstan_program.h"

#include <stdlib.h>
#include <string.h>

#include "capstan_env.h"

static int set_error(const char *set, int rc, fern_error_t *err) {
  char why[sizeof err->message];
  memcpy(why, err->message, sizeof why);
  return fern_error_set(err, rc, NULL, "config set \"%s\": %s", set, why);
}

/* Runs set `boot`'s runscript line against `env` as OSv's runscript
 * does: the set's options and every command's leading --env options
 * first, then each command's words expanded; command `which`'s into
 * *argv when wanted (a set booted twice gives its last). */
static int run_line(const capstan_boot *boot, json_t *env, size_t which,
                    json_t **argv, fern_error_t *err) {
  size_t i, *first_word = calloc(json_array_size(boot->commands) + 1,
                                 sizeof *first_word);
  json_t *option, *command;
  int rc = first_word != NULL ? FERN_OK
                              : fern_error_set(err, FERN_ENOMEM, NULL,
                                               "out of memory");
  json_array_foreach(boot->options, i, option) {
    if (rc == FERN_OK)
      rc = capstan_env_option(env, json_string_value(option), err);
  }
  json_array_foreach(boot->commands, i, command) {
    if (rc == FERN_OK)
      rc = capstan_env_options(env, json_object_get(command, "argv"),
                               &first_word[i], err);
  }
  json_array_foreach(boot->commands, i, command) {
    json_t *expanded = NULL;
    if (rc == FERN_OK)
      rc = capstan_env_words(env, json_object_get(command, "argv"),
                             first_word[i], &expanded, err);
    if (rc == FERN_OK && i == which && argv != NULL) {
      json_decref(*argv);
      *argv = expanded;
    } else {
      json_decref(expanded);
    }
  }
  free(first_word);
  return rc == FERN_OK ? FERN_OK : set_error(boot->set, rc, err);
}

/* The sets booted together, as names; `set` alone when `booted` lacks it. */
static json_t *boot_list(const json_t *booted, const char *set) {
  size_t i;
  json_t *name;
  json_array_foreach(booted, i, name) {
    if (strcmp(json_string_value(name), set) == 0)
      return json_incref((json_t *)booted);
  }
  return json_pack("[s]", set);
}

/* Command `which` of the set: one there is, run in the foreground. ';'
 * and '!' run it before the next (OSv's '!' also ends the threads it
 * left, which a process's end does); '&' and "&!" would run it beside
 * the next, which fern does not do. */
static int pick_command(const capstan_boot *boot, size_t which,
                        fern_error_t *err) {
  size_t n = json_array_size(boot->commands);
  if (which >= n)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "config set \"%s\" has %zu command%s, not %zu",
                          boot->set, n, n == 1 ? "" : "s", which + 1);
  const char *then = json_string_value(json_object_get(
      json_array_get(boot->commands, which), "then"));
  if (then[0] == '&')
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "config set \"%s\": command %zu ends with '%s', "
                          "which OSv runs in the background beside the next; "
                          "fern runs a set's commands one after another only",
                          boot->set, which + 1, then);
  return FERN_OK;
}

static int run_others(const capstan_search *search, capstan_package *pkg,
                      const capstan_boot *own, size_t which,
                      const json_t *list, json_t *env, json_t **argv,
                      fern_error_t *err) {
  size_t i;
  json_t *name;
  json_array_foreach(list, i, name) {
    const char *set = json_string_value(name);
    int rc;
    if (strcmp(set, own->set) == 0) {
      rc = run_line(own, env, which, argv, err);
    } else {
      capstan_boot other;
      rc = capstan_boot_resolve(search, pkg, set, &other, err);
      if (rc == FERN_OK)
        rc = run_line(&other, env, 0, NULL, err);
      capstan_boot_free(&other);
    }
    if (rc != FERN_OK)
      return rc;
  }
  return FERN_OK;
}

int capstan_program_resolve(const capstan_search *search,
                            capstan_package *pkg, const char *set,
                            size_t which, const json_t *hard_env,
                            const json_t *booted, capstan_program *out,
                            fern_error_t *err) {
  memset(out, 0, sizeof *out);
  capstan_boot own;
  int rc = capstan_boot_resolve(search, pkg, set, &own, err);
  if (rc != FERN_OK)
    return rc;
  rc = pick_command(&own, which, err);
  out->command_count = json_array_size(own.commands);
  json_t *list = rc == FERN_OK ? boot_list(booted, own.set) : NULL;
  out->env = hard_env != NULL ? json_deep_copy(hard_env) : json_object();
  if (rc == FERN_OK && (list == NULL || out->env == NULL))
    rc = fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  if (rc == FERN_OK) {
    capstan_env_osv(out->env);
    rc = run_others(search, pkg, &own, which, list, out->env, &out->argv,
                    err);
  }
  json_decref(list);
  out->set = own.set;
  out->overridden = own.overridden;
  own.set = own.overridden = NULL;
  capstan_boot_free(&own);
  if (rc != FERN_OK)
    capstan_program_free(out);
  return rc;
}

void capstan_program_free(capstan_program *program) {
  free(program->set);
  free(program->overridden);
  json_decref(program->argv);
  json_decref(program->env);
  memset(program, 0, sizeof *program);
}
