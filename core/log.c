/* log.c - see log.h. Each record is built whole, escaped, then handed to
 * the queue in one call, so lines stay whole when resolver threads and the
 * loop log at once. */
#include "log.h"

#include <stdio.h>
#include <string.h>

#include "log_escape.h"
#include "logbook.h"
#include "log_queue.h"

/* A record before escaping, and after: each byte may become `\xHH`, and
 * the newline ends it. */
#define RAW_MAX 8192
#define RECORD_MAX (4 * RAW_MAX + 1)

static fern_log_level log_level = FERN_LOG_INFO;

void fern__log_set_level(fern_log_level level) { log_level = level; }
fern_log_level fern__log_level(void) { return log_level; }

/* The one place records are built: everything goes through the escape. */
static void log_record(const char *raw, size_t len) {
  char record[RECORD_MAX];
  size_t n = fern__log_escape(record, sizeof record - 1, raw, len);
  record[n++] = '\n';
  fern__log_queue_put(record, n);
}

/* What snprintf wrote into `size` bytes, from what it says it wanted. */
static size_t written(int wanted, size_t size) {
  if (wanted < 0)
    return 0;
  return (size_t)wanted < size ? (size_t)wanted : size - 1;
}

static const char *level_prefix(fern_log_level level) {
  switch (level) {
  case FERN_LOG_ERROR: return "error: ";
  case FERN_LOG_WARN: return "warning: ";
  default: return "";
  }
}

/* A moniker as a record's prefix: a very long one (a deep tree of long
 * names) keeps its start and end, so the message after it still shows. */
#define MONIKER_SHOWN 512
static void moniker_prefix(const char *moniker, char *out, size_t size) {
  size_t len = strlen(moniker);
  if (len <= MONIKER_SHOWN)
    snprintf(out, size, "%s: ", moniker);
  else
    snprintf(out, size, "%.*s...%s: ", MONIKER_SHOWN / 2, moniker,
             moniker + len - MONIKER_SHOWN / 2);
}

/* The message is formatted once, for both of its readers: a record about
 * a component is also one of its lines (logbook.h), at every level but
 * debug, whatever fern's own log shows; fern's log shows it by level. */
void fern__logv(fern_log_level level, const char *moniker, const char *fmt,
                va_list ap) {
  int to_book = moniker != NULL && level <= FERN_LOG_INFO &&
                fern__logbook_current != NULL;
  if (!to_book && level > log_level)
    return;
  char text[RAW_MAX / 2];
  size_t used = written(snprintf(text, sizeof text, "%s", level_prefix(level)),
                        sizeof text);
  used += written(vsnprintf(text + used, sizeof text - used, fmt, ap),
                  sizeof text - used);
  if (to_book)
    fern__logbook_note(fern__logbook_current, moniker, FERN_LOG_STREAM_FERN,
                       text, used, 0);
  if (level > log_level)
    return;
  char raw[RAW_MAX / 2], prefix[MONIKER_SHOWN + 8] = "";
  if (moniker != NULL)
    moniker_prefix(moniker, prefix, sizeof prefix);
  log_record(raw, written(snprintf(raw, sizeof raw, "fern: %s%.*s", prefix,
                                   (int)used, text),
                          sizeof raw));
}

void fern__log(fern_log_level level, const char *moniker, const char *fmt,
               ...) {
  va_list ap;
  va_start(ap, fmt);
  fern__logv(level, moniker, fmt, ap);
  va_end(ap);
}

void fern__log_output(const char *moniker, int stream, const char *line,
                      size_t len) {
  fern__log_output_cut(moniker, stream, line, len, 0);
}

void fern__log_output_cut(const char *moniker, int stream, const char *line,
                          size_t len, int cut) {
  fern__logbook_note(fern__logbook_current, moniker, stream, line, len, cut);
  char raw[RAW_MAX];
  size_t used = written(snprintf(raw, sizeof raw, "[%s%s] ", moniker,
                                 stream == 2 ? ":2" : ""),
                        sizeof raw);
  static const char mark[] = " [line cut]";
  size_t mark_len = cut ? sizeof mark - 1 : 0;
  /* A moniker of nearly the whole record leaves no room: nothing wraps. */
  size_t room = used + mark_len < sizeof raw ? sizeof raw - used - mark_len
                                             : 0;
  if (len > room)
    len = room;
  memcpy(raw + used, line, len);
  used += len;
  if (cut && used + mark_len <= sizeof raw) {
    memcpy(raw + used, mark, mark_len);
    used += mark_len;
  }
  log_record(raw, used);
}

void fern__log_plain(const char *text) { log_record(text, strlen(text)); }
