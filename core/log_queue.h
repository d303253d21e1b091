/* log_queue.h - how a built log record reaches stderr: written at once
 * (before fern__log_queue_start), or through the bounded queue that a
 * writer thread drains (after). fern__log_queue_start and fern__log_flush
 * are declared in log.h, for the commands and exit paths that use them. */
#ifndef FERN_CORE_LOG_QUEUE_H
#define FERN_CORE_LOG_QUEUE_H

#include <stddef.h>

/* One whole record, its newline included. Any thread; never blocks once
 * the queue runs: a record that does not fit is dropped and counted. */
void fern__log_queue_put(const char *record, size_t len);

/* How many bytes the queue can take now (SIZE_MAX before it runs: then
 * every record is written at once). Any thread. */
size_t fern__log_room(void);

/* From the loop's thread: while `on`, a record it puts wakes the writer
 * only at fern__log_queue_wake, which the loop calls once a turn
 * (log_turn.c); off wakes it for what waits. */
void fern__log_queue_loop_turns(int on);
/* Wakes the writer for records the loop put since the last wake. */
void fern__log_queue_wake(void);

#endif
