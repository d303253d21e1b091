/* events.h - the event stream: one ordered series of records (resolved,
 * started, ready, status, stopped), each with a time and a moniker,
 * written as JSON lines to `fern run --events FILE`. Loop thread only. */
#ifndef FERN_CORE_EVENTS_H
#define FERN_CORE_EVENTS_H

#include <fern/fern.h>
#include <stdio.h>

typedef struct fern__events_s {
  FILE *file; /* NULL: no event file */
} fern__events;

int fern__events_open(fern__events *events, const char *path,
                      fern_error_t *err);
void fern__events_close(fern__events *events);
/* Emits one event; takes ownership of `fields` (an object, or NULL). */
void fern__event(fern__events *events, const char *type, const char *moniker,
                 json_t *fields);

#endif
