/* event_asserts.h - assertions on a run's event stream (the events file
 * every `fern run` of the harness writes, e2e_proc.events), so that tests
 * check what happened rather than how the log words it. */
#ifndef FERN_TESTS_E2E_EVENT_ASSERTS_H
#define FERN_TESTS_E2E_EVENT_ASSERTS_H

#include "control_run.h"

/* The run's events so far, as an array (the caller's). */
json_t *e2e_proc_events(const e2e_proc *p);
/* A "stopped" event as one line, built from its fields: "ok (exit 0)",
 * "instance_died (signal SEGV, core dumped)", "cannot_start: <message>". */
void e2e_end_text(const json_t *event, char *out, size_t size);
/* The last end of `moniker` reads `expected` at its start. */
void e2e_assert_end(const e2e_proc *p, const char *moniker, const char *expected);
/* Reads until `moniker` has an end, then e2e_assert_end. */
void e2e_wait_end(e2e_proc *p, const char *moniker, const char *expected,
                  int ms);
/* Reads until there is an event `type` for `moniker`. */
void e2e_wait_event(e2e_proc *p, const char *type, const char *moniker,
                    int ms);
/* There is an event `type` for `moniker`. */
void e2e_assert_event(const e2e_proc *p, const char *type, const char *moniker);
/* Reads until there is an event `type` for `moniker` whose string field
 * `key` is `value`. */
void e2e_wait_field(e2e_proc *p, const char *type, const char *moniker,
                    const char *key, const char *value, int ms);
/* There is such an event. */
void e2e_assert_field(const e2e_proc *p, const char *type,
                      const char *moniker, const char *key,
                      const char *value);
/* How many events `type` of `moniker` there are. */
size_t e2e_event_count(const e2e_proc *p, const char *type,
                       const char *moniker);
/* Reads until there are at least `count` of them. */
void e2e_wait_event_count(e2e_proc *p, const char *type, const char *moniker,
                          size_t count, int ms);
/* No component's end has the status `status` ("cannot_start"). */
void e2e_assert_no_end(const e2e_proc *p, const char *status);
/* The number `key` of an event or cost object; fails if it is missing. */
double e2e_figure(const json_t *obj, const char *key);
/* The log line of `text` that begins with `start` holds `needle`. */
void e2e_assert_line_has(const char *text, const char *start,
                         const char *needle);

#endif
