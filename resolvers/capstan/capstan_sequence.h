/* capstan_sequence.h - where a boot stands among the commands Capstan
 * would boot, one after another: `runscript /run/a;runscript /run/b;` for
 * config_set_default "a,b" (cmd/package.go's GetCmd), and in each, its
 * bootcmd's commands. A URL's fragment names one:
 *
 *   SET[@N]             command N (from 1) of config set SET
 *   meta/run.yaml[@N]   command N of config_set_default's sets, in order
 *
 * and the manifest of each names the next (facets "fern.capstan"), which
 * fern run boots when this one has ended as OSv would go on. */
#ifndef FERN_RESOLVERS_CAPSTAN_SEQUENCE_H
#define FERN_RESOLVERS_CAPSTAN_SEQUENCE_H

#include "capstan_package.h"

#define CAPSTAN_DEFAULT_FRAGMENT "meta/run.yaml"

typedef struct capstan_step_s {
  char *set;      /* its config set */
  size_t which;   /* its command in the set, from 0 */
  json_t *booted; /* the sets booted together, sharing one environment */
  char *fragment; /* this step, as its resolved URL names it */
  char *next;     /* the next step's fragment, or NULL */
} capstan_step;

/* The step `fragment` names in `pkg`; `boot_sets` are the sets fern run
 * --boot chose for this package (NULL if none). */
int capstan_step_locate(const capstan_search *search, capstan_package *pkg,
                        const char *fragment, const json_t *boot_sets,
                        capstan_step *out, fern_error_t *err);
void capstan_step_free(capstan_step *step);

#endif
