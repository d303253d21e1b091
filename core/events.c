/* events.c - see events.h. */
#include "events.h"
#include "json_text.h"

#include <errno.h>
#include <stdio.h>
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

void fern__event_sink_deliver(fern__event_sink *sink, const char *line,
                              size_t len) {
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

/* The record's first members: seq, time, event and moniker. Built here,
 * not by jansson: at 10,000 components stopping at once, packing and
 * dumping an object per event (with the time printed as a double) was a
 * fifth of the loop's work while it sent the stops. */
static int put_head(char *out, size_t size, uint64_t seq, const char *type,
                    const char *moniker) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int n = snprintf(out, size, "{\"seq\":%llu,\"time\":%lld.%06ld,\"event\":",
                   (unsigned long long)seq, (long long)ts.tv_sec,
                   ts.tv_nsec / 1000);
  size_t used = n > 0 && (size_t)n < size ? (size_t)n : size;
  if (fern__json_put_string(out, size, &used, type, strlen(type)) != 0 || used + 12 >= size)
    return -1;
  memcpy(out + used, ",\"moniker\":", 11);
  used += 11;
  if (fern__json_put_string(out, size, &used, moniker, strlen(moniker)) != 0)
    return -1;
  return (int)used;
}

/* The whole line: the head, the fields' members after it, a newline. */
static char *event_line(uint64_t seq, const char *type, const char *moniker,
                        json_t *fields, size_t *len) {
  char *members = fields && json_object_size(fields) > 0
                      ? json_dumps(fields, JSON_COMPACT)
                      : NULL;
  /* members is "{...}": its inside follows the head after a comma. */
  size_t members_len = members ? strlen(members) - 2 : 0;
  size_t head_room = 96 + 6 * (strlen(type) + strlen(moniker));
  char *line = malloc(head_room + members_len + 4);
  int head_len = line ? put_head(line, head_room, seq, type, moniker) : -1;
  if (head_len < 0) {
    free(line);
    free(members);
    return NULL;
  }
  *len = (size_t)head_len;
  if (members != NULL) {
    line[(*len)++] = ',';
    memcpy(line + *len, members + 1, members_len);
    *len += members_len;
  }
  line[(*len)++] = '}';
  line[(*len)++] = '\n';
  line[*len] = '\0';
  free(members);
  return line;
}

void fern__event(fern__events *events, const char *type, const char *moniker,
                 json_t *fields) {
  size_t len = 0;
  char *line = event_line(++events->seq, type, moniker ? moniker : "", fields,
                          &len);
  json_decref(fields);
  if (line == NULL)
    return;
  if (events->file != NULL)
    fwrite(line, 1, len, events->file);
  for (fern__event_sink *sink = events->sinks; sink != NULL; sink = sink->next)
    fern__event_sink_deliver(sink, line, len);
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
