/* log.h - fern's log: one line per record on stderr, prefixed with the
 * moniker. Thread-safe. */
#ifndef FERN_CORE_LOG_H
#define FERN_CORE_LOG_H

#include <fern/fern.h>

/* Records above this level are dropped. Default FERN_LOG_INFO. */
void fern__log_set_level(fern_log_level level);
fern_log_level fern__log_level(void);

/* "fern: /core/echo: message" (warnings and errors say so). */
void fern__log(fern_log_level level, const char *moniker, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fern__logv(fern_log_level level, const char *moniker, const char *fmt,
                va_list ap);
/* A line a program wrote: "[/core/echo] text" (stderr lines: "[/x:2]"). */
void fern__log_output(const char *moniker, int stream, const char *line,
                      size_t len);

/* Writes out what the log still holds, waiting at most `timeout_ms`; for
 * the paths that end fern with _exit. */
void fern__log_flush(int timeout_ms);

#endif
