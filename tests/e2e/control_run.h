/* control_run.h - a `fern run` steered through its control socket, and
 * the events file it wrote: what the tests of control commands and of the
 * lifecycle share. */
#ifndef FERN_TESTS_E2E_CONTROL_RUN_H
#define FERN_TESTS_E2E_CONTROL_RUN_H

#include "e2e.h"

typedef struct e2e_running_s {
  e2e_proc fern;
  char dir[64];
  char socket[128];
  char events[128];
} e2e_running;

/* Starts `fern run --keep-running` on `manifest` with a private control
 * socket and an events file, and waits until it serves. */
void e2e_ctl_serve(e2e_running *r, const char *manifest);
/* Stops fern (SIGTERM) and checks its exit status; its directory (and
 * events file) stays until e2e_ctl_cleanup(). */
void e2e_ctl_finish(e2e_running *r, int expected_status);
void e2e_ctl_cleanup(e2e_running *r);
/* Runs `fern COMMAND --control SOCKET A1 A2 A3` (NULLs end the list). */
int e2e_ctl(e2e_running *r, e2e_proc *p, const char *command, const char *a1,
            const char *a2, const char *a3);
/* `fern create COLLECTION NAME URL`, then `fern start` of the child: both
 * must succeed. */
void e2e_ctl_create_started(e2e_running *r, const char *collection,
                            const char *name, const char *url);
/* `fern COMMAND --json ARG`, which must succeed, parsed. */
json_t *e2e_ctl_json(e2e_running *r, const char *command, const char *arg);
const char *e2e_field(const json_t *obj, const char *key);
/* The events file of a run, as an array. */
json_t *e2e_read_events(const char *path);
/* The events of `type` for `moniker`, in order. */
json_t *e2e_events_of(const json_t *all, const char *type,
                      const char *moniker);
json_int_t e2e_int_of(const json_t *array, size_t index, const char *key);
/* The one event of `type` for `moniker` (the test fails unless there is
 * exactly one); borrowed from `all`. */
json_t *e2e_the_event(const json_t *all, const char *type,
                      const char *moniker);
json_int_t e2e_seq_of(const json_t *event);

/* Starts `fern run --events FILE ARGS...`, FILE in a new directory
 * (`dir`); e2e_events_done removes both. */
void e2e_events_start(e2e_proc *p, const char *const *args, char *dir,
                      size_t dir_size, char *events, size_t events_size);
void e2e_events_done(const char *dir, const char *events);

#endif
