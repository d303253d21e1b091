/* log.c - see log.h. One mutex keeps lines whole when resolver threads and
 * the loop log at once; each record is built first and written in one call. */
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static fern_log_level log_level = FERN_LOG_INFO;
static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;

void fern__log_set_level(fern_log_level level) { log_level = level; }
fern_log_level fern__log_level(void) { return log_level; }

static void log_write(const char *record, size_t len) {
  pthread_mutex_lock(&log_mutex);
  fwrite(record, 1, len, stderr);
  fflush(stderr);
  pthread_mutex_unlock(&log_mutex);
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

void fern__logv(fern_log_level level, const char *moniker, const char *fmt,
                va_list ap) {
  if (level > log_level)
    return;
  char record[4096], prefix[MONIKER_SHOWN + 8] = "";
  if (moniker != NULL)
    moniker_prefix(moniker, prefix, sizeof prefix);
  int n = snprintf(record, sizeof record, "fern: %s%s", prefix,
                   level_prefix(level));
  if (n < 0)
    return;
  size_t used = (size_t)n < sizeof record ? (size_t)n : sizeof record - 1;
  int m = vsnprintf(record + used, sizeof record - used, fmt, ap);
  if (m > 0)
    used += (size_t)m < sizeof record - used ? (size_t)m
                                             : sizeof record - used - 1;
  record[used++] = '\n';
  log_write(record, used);
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
  char record[8192];
  int n = snprintf(record, sizeof record, "[%s%s] ", moniker,
                   stream == 2 ? ":2" : "");
  if (n < 0 || (size_t)n >= sizeof record)
    return;
  size_t room = sizeof record - (size_t)n - 1;
  if (len > room)
    len = room;
  memcpy(record + n, line, len);
  record[(size_t)n + len] = '\n';
  log_write(record, (size_t)n + len + 1);
}

void fern__log_flush(int timeout_ms) {
  (void)timeout_ms; /* records are written as they come */
  pthread_mutex_lock(&log_mutex);
  fflush(stderr);
  pthread_mutex_unlock(&log_mutex);
}
