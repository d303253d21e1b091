/* capstan_env.h - the environment OSv gives a program, built as its
 * loader builds it before any program runs: the loader's --env options
 * (fern run --env), OSv's own OSV_* variables, then each runscript's
 * --env options in order, soft (KEY?=VALUE, set only when unset) or hard
 * (KEY=VALUE); and the $VARIABLE expansion of each command's words
 * against it. One environment serves every program, as OSv's environ is
 * one for all its applications. Thread-safe. */
#ifndef FERN_RESOLVERS_CAPSTAN_ENV_H
#define FERN_RESOLVERS_CAPSTAN_ENV_H

#include <fern/fern.h>
#include <jansson.h>

/* OSV_VERSION, OSV_CPUS and OSV_IP into `env` (name -> value), as OSv's
 * loader.cc sets them: the CPUs this process may run on, and the address
 * of the one network interface besides loopback when there is exactly
 * one. OSV_VERSION is fern's own version, prefixed "fern-". */
void capstan_env_osv(json_t *env);

/* Applies a runscript's --env option, `text` being what follows
 * "--env=": "KEY=VALUE" or "KEY?=VALUE", VALUE expanded first
 * (commands.cc's runscript_process_options). */
int capstan_env_option(json_t *env, const char *text, fern_error_t *err);

/* A word with its $VARIABLE expanded as commands.cc's
 * expand_environ_vars does: the text before the first '$' stays, all
 * after it is the name, an unset one is "" (so "${X}" names "{X}", and a
 * word holds one variable). malloc'd. */
char *capstan_env_expand(const json_t *env, const char *word);

/* A command's leading --env=... words applied to `env`; *first is its
 * first other word. Any other leading option is refused as OSv refuses
 * it, and so is a command of options only. */
int capstan_env_options(json_t *env, const json_t *words, size_t *first,
                        fern_error_t *err);
/* Its words from `first` on, expanded, into a new array in *argv. */
int capstan_env_words(const json_t *env, const json_t *words, size_t first,
                      json_t **argv, fern_error_t *err);

#endif
