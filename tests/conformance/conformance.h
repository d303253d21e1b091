/* conformance.h - what the conformance suite's cases share: the test
 * package and tree of a case (conf), its fern, and leaving a case out
 * (FERN_CONFORMANCE_SKIP). See conformance.c. */
#ifndef FERN_TESTS_CONFORMANCE_H
#define FERN_TESTS_CONFORMANCE_H

#include <limits.h>
#include <string.h>

#include "../e2e/e2e.h"
#include "../e2e/event_asserts.h"

typedef struct conf_s {
  char pkg[64];
  char config[128];
  char plugin_dir[PATH_MAX];
  char marker[64];
} conf;

/* The reason FERN_CONFORMANCE_SKIP gives for leaving out `fn` (a case's
 * function, "test_NAME_fn"), or NULL; a case not named in
 * FERN_CONFORMANCE_ONLY (space-separated names), when that is set, is
 * left out too. */
const char *skip_reason(const char *fn, char *buf, size_t size);

#define SKIP_IF_LEFT_OUT()                                                     \
  do {                                                                         \
    char why_[512];                                                            \
    if (skip_reason(__func__, why_, sizeof why_) != NULL) {                    \
      fprintf(stderr, "conformance: %.*s does not apply: %s\n",              \
              (int)strlen(__func__) - 8, __func__ + 5, why_);                  \
      return;                                                                  \
    }                                                                          \
  } while (0)

/* The template program block with "@ARGS@" replaced by `args` (taken). */
json_t *program_for(json_t *args);
/* The program's arguments: strings up to a NULL. */
json_t *strs(const char *first, ...);
/* A new package with the test program, its files and a configuration
 * that registers the runner under test as "subject". */
void setup_package(conf *c);
/* meta/root.cm: one eager child per (name, program) of `children`
 * (taken); names starting "quick-" get a 300 ms stop timeout. */
void write_tree(conf *c, json_t *children);
/* Boots the package's tree with `fern run`. */
void start_fern(conf *c, e2e_proc *p);
/* setup_package, a tree of the one child `name` running `program`
 * (taken), and start_fern. */
void start_one(conf *c, e2e_proc *p, const char *name, json_t *program);
/* Whether a process carrying the case's marker lives; the assertion that
 * none does. */
int marker_alive(const conf *c);
void assert_nothing_left(const conf *c);
/* The end of a case: its fern freed, its package removed. */
void done(conf *c, e2e_proc *p);

void conformance_add_run_cases(TCase *tc);
void conformance_add_output_cases(TCase *tc);
void conformance_add_contract_cases(TCase *tc);

#endif
