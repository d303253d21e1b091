/* events.h - the event stream: one ordered series of records, each with a
 * sequence number, a time and a moniker: resolved, started, ready, status,
 * stopped, restarting, gave_up, created, destroyed, critical. Written as
 * JSON lines to `fern run --events FILE`, kept in a ring of recent
 * history, and sent to every subscriber of the control socket. A slow
 * subscriber never stalls the manager: past FERN_EVENT_BACKLOG bytes
 * waiting for it, events are dropped for it and counted, and it is told
 * {"dropped": N} before the next event it does get. Loop thread only. */
#ifndef FERN_CORE_EVENTS_H
#define FERN_CORE_EVENTS_H

#include <fern/fern.h>
#include <stdio.h>

#define FERN_EVENT_HISTORY 1024
#define FERN_EVENT_BACKLOG (256 * 1024)

typedef struct fern__event_sink_s {
  /* Sends one line (copying it); -1 when it was not sent: the subscriber
   * is more than FERN_EVENT_BACKLOG behind, or gone. */
  int (*send)(struct fern__event_sink_s *sink, const char *line, size_t len);
  uint64_t dropped;
  struct fern__event_sink_s *next;
} fern__event_sink;

typedef struct fern__events_s {
  FILE *file; /* NULL: no event file */
  char *history[FERN_EVENT_HISTORY]; /* JSON lines, oldest at `first` */
  size_t first, count;
  uint64_t seq;
  fern__event_sink *sinks;
} fern__events;

/* Opens the event file at `path` (none if NULL), truncated, or appended to
 * when `append` (the second and later runs of `fern run --boot A --boot B`). */
int fern__events_open(fern__events *events, const char *path, int append,
                      fern_error_t *err);
void fern__events_close(fern__events *events);
/* Emits one event; takes ownership of `fields` (an object, or NULL). */
void fern__event(fern__events *events, const char *type, const char *moniker,
                 json_t *fields);
void fern__events_subscribe(fern__events *events, fern__event_sink *sink);
/* Sends `line` to one sink, after a {"dropped":N} notice of the lines it
 * lost before, if any; a send that fails is counted as dropped. */
void fern__event_sink_deliver(fern__event_sink *sink, const char *line,
                              size_t len);
void fern__events_unsubscribe(fern__events *events, fern__event_sink *sink);

#endif
