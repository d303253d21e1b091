/* events.c - see events.h. */
#include "events.h"

#include <errno.h>
#include <string.h>
#include <time.h>

int fern__events_open(fern__events *events, const char *path,
                      fern_error_t *err) {
  events->file = NULL;
  if (path == NULL)
    return FERN_OK;
  events->file = fopen(path, "we");
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
}

void fern__event(fern__events *events, const char *type, const char *moniker,
                 json_t *fields) {
  if (events->file == NULL) {
    json_decref(fields);
    return;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  json_t *record = json_pack("{s:f, s:s, s:s}", "time",
                             (double)ts.tv_sec + ts.tv_nsec / 1e9, "event",
                             type, "moniker", moniker);
  if (fields != NULL)
    json_object_update(record, fields);
  json_decref(fields);
  json_dumpf(record, events->file, JSON_COMPACT);
  fputc('\n', events->file);
  json_decref(record);
}
