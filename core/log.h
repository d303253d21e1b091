/* log.h - fern's log: one line per record on stderr, prefixed with the
 * moniker. Thread-safe.
 *
 * Every record is escaped where it is built (log_escape.h): a control
 * character that came from a manifest, URL, program or client reaches the
 * terminal as `\xHH`, never as itself, so nothing can forge a record or
 * act on the terminal. TAB and backslash pass as they are.
 *
 * fern run's log never blocks its caller (fern__log_queue_start): records
 * go into one bounded queue that a writer thread drains; when stderr is
 * not read, what does not fit is dropped whole, counted, and the count
 * logged once a quarter of the queue is free again ("fern: warning: N log
 * lines were dropped: stderr was not being read"), in its place among the
 * records. Order is kept. The other commands write each record at once. */
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
/* The same for the start of a line the runner cut (the rest was
 * dropped): marked so in fern's log and in the component's lines. */
void fern__log_output_cut(const char *moniker, int stream, const char *line,
                          size_t len, int cut);
/* `text` as one record of its own, escaped, without prefix (fern check's
 * "FILE:LINE:COL: message"). Not subject to the level. */
void fern__log_plain(const char *text);

/* From here on records go through the bounded queue and its writer thread
 * (4 MiB: bursts that large wait for a slow reader). Call once, from the
 * main thread, before the loop runs. At exit the queue is flushed for at
 * most 2 s (fern never hangs at exit on a stuck stderr). FERN_OK, or
 * FERN_ENOMEM when no thread could be made (records are then written at
 * once, as before). */
int fern__log_queue_start(void);
/* Waits until every queued record has reached stderr (the kernel holds
 * it), or `timeout_ms` passed; returns at once when no queue runs. For
 * exit paths that end with _exit (which runs no atexit handler): flush,
 * then _exit loses nothing stderr could take. Any thread but a signal
 * handler (it takes a mutex); records logged after it returns may be
 * lost by the _exit. */
void fern__log_flush(int timeout_ms);

#endif
