/* capstan_program.h - the program a config set runs, as Capstan writes
 * its boot command and OSv's loader then reads it: `fern run --env`
 * (Capstan's hard --env=KEY=VALUE, applied by the loader first), OSv's
 * own OSV_* variables, then the runscript of each config set booted
 * together, in order (each set's env as soft --env=KEY?=VALUE options and
 * its command's own leading --env options, then its words expanded). All
 * of them share one environment, as OSv's applications share its
 * environ: a set booted later can set what an earlier one did not. */
#ifndef FERN_RESOLVERS_CAPSTAN_PROGRAM_H
#define FERN_RESOLVERS_CAPSTAN_PROGRAM_H

#include "capstan_package.h"

typedef struct capstan_program_s {
  char *set;        /* the config set's name */
  size_t command_count; /* its commands, run one after another */
  json_t *argv;     /* its command, expanded */
  json_t *env;      /* name -> value: the environment OSv would give */
  char *overridden; /* see capstan_boot */
} capstan_program;

/* What command `which` (from 0) of config set `set` (NULL: the default)
 * of `pkg` runs. `hard_env` (name -> value) may be NULL; `booted` lists
 * the sets booted together, in order (NULL, or one without `set`: it
 * alone). */
int capstan_program_resolve(const capstan_search *search,
                            capstan_package *pkg, const char *set,
                            size_t which, const json_t *hard_env,
                            const json_t *booted, capstan_program *out,
                            fern_error_t *err);
void capstan_program_free(capstan_program *program);

#endif
