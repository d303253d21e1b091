/* events.c - see events.h. */
#include "events.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int fern__events_open(fern__events *events, const char *path, int append,
                      fern_error_t *err) {
  events->file = NULL;
  if (path == NULL)
    return FERN_OK;
  events->file = fopen(path, append ? "ae" : "we");
  if (events->file == NULL)
    return fern_error_set(err, FERN_EIO, NULL, "events file %s: %s", path,
                          strerror(errno));
  setvbuf(events->file, NULL, _IOLBF, 0);
  return FERN_OK;
}

void fern__events_close(fern__events *events) {
  if (events->file != NULL)
    fclose(events->file);
  events->file = NULL;
  for (size_t i = 0; i < events->count; i++)
    free(events->history[(events->first + i) % FERN_EVENT_HISTORY]);
  events->count = 0;
}

static void deliver(fern__event_sink *sink, const char *line, size_t len) {
  if (sink->dropped > 0) {
    char note[64];
    int n = snprintf(note, sizeof note, "{\"dropped\":%llu}\n",
                     (unsigned long long)sink->dropped);
    if (sink->send(sink, note, (size_t)n) != 0) {
      sink->dropped++;
      return;
    }
    sink->dropped = 0;
  }
  if (sink->send(sink, line, len) != 0)
    sink->dropped++;
}

static void remember(fern__events *events, char *line) {
  if (events->count == FERN_EVENT_HISTORY) {
    free(events->history[events->first]);
    events->first = (events->first + 1) % FERN_EVENT_HISTORY;
    events->count--;
  }
  events->history[(events->first + events->count) % FERN_EVENT_HISTORY] = line;
  events->count++;
}

void fern__event(fern__events *events, const char *type, const char *moniker,
                 json_t *fields) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  json_t *record = json_pack("{s:I, s:f, s:s, s:s}", "seq",
                             (json_int_t)++events->seq, "time",
                             (double)ts.tv_sec + ts.tv_nsec / 1e9, "event",
                             type, "moniker", moniker);
  if (fields != NULL)
    json_object_update(record, fields);
  json_decref(fields);
  char *text = json_dumps(record, JSON_COMPACT);
  json_decref(record);
  if (text == NULL)
    return;
  size_t len = strlen(text);
  char *line = realloc(text, len + 2);
  if (line == NULL) {
    free(text);
    return;
  }
  line[len++] = '\n';
  line[len] = '\0';
  if (events->file != NULL)
    fwrite(line, 1, len, events->file);
  for (fern__event_sink *sink = events->sinks; sink != NULL; sink = sink->next)
    deliver(sink, line, len);
  remember(events, line);
}

void fern__events_subscribe(fern__events *events, fern__event_sink *sink) {
  sink->next = events->sinks;
  events->sinks = sink;
}

void fern__events_unsubscribe(fern__events *events, fern__event_sink *sink) {
  for (fern__event_sink **p = &events->sinks; *p != NULL; p = &(*p)->next)
    if (*p == sink) {
      *p = sink->next;
      return;
    }
}
