/* control_conn.h - the control socket's connections, shared by control.c
 * (accepting, requests and replies), control_intake.c (reading and
 * framing, and how fast), control_output.c (what waits for each client)
 * and control_budget.c (what all of them may hold of fern's memory). Loop
 * thread only.
 *
 * What a client sends is read only as fast as fern answers it
 * (control_intake.c), so that the kernel's socket buffer, not fern, holds
 * what a client sends ahead:
 *   - a connection has at most FERN_CONTROL_WAITING_MAX requests waiting
 *     for their reply, their lines FERN_CONTROL_LINE_MAX bytes together;
 *     at either bound fern neither reads from it nor handles the lines it
 *     has read until replies go out;
 *   - what it has read and not yet handled is at most one read (64 KiB)
 *     past a line of FERN_CONTROL_LINE_MAX bytes; a longer line ends the
 *     connection;
 *   - a loop turn handles at most FERN_CONTROL_LINES_PER_TURN of its lines,
 *     so that signals, timers and other clients are served meanwhile.
 * These are not counted in the budget below: cutting a client off could
 * not take back the work its requests started, and the bounds keep each
 * connection to about 200 KiB (its read buffer, the ids of its waiting
 * requests), all of them together to about 50 MiB.
 *
 * Bytes waiting to be sent to a client that does not read stay in fern's
 * memory. Three bounds keep that finite, whatever the clients do:
 *   - a subscriber more than FERN_EVENT_BACKLOG behind loses events (it is
 *     told how many, events.h);
 *   - all clients together may hold FERN_CONTROL_BUDGET bytes of replies
 *     and events; past it the slowest are cut off, the largest backlog
 *     first (a reply larger than the whole budget is refused);
 *   - at most FERN_CONTROL_MAX_CONNS connections; past it, a new one gets a
 *     one-line refusal and is closed. */
#ifndef FERN_CORE_CONTROL_CONN_H
#define FERN_CORE_CONTROL_CONN_H

#include <stdint.h>
#include <sys/types.h>

#include "control.h"
#include "events.h"

/* 64 MiB: a list of a hundred thousand components is about 15 MiB. */
#define FERN_CONTROL_BUDGET (64u * 1024 * 1024)
/* dbus-daemon's max_connections_per_user (bus/config-parser.c): a control
 * socket serves one user. */
#define FERN_CONTROL_MAX_CONNS 256
/* Twice FERN_CONTROL_WAITING_MAX: a client that keeps that many requests
 * in flight loses no turn to the bound. */
#define FERN_CONTROL_LINES_PER_TURN 64

typedef struct fern__farewell_s fern__farewell;

struct fern__control_s {
  uv_pipe_t server;
  struct fern__manager_s *manager;
  char path[108];
  fern__conn *conns; /* open connections */
  size_t conn_count;
  size_t queued;             /* bytes waiting for all connections together */
  fern__farewell *farewells; /* cut-off clients waiting for their reason */
  size_t farewell_count;
  int refusing; /* at FERN_CONTROL_MAX_CONNS: logged once until below */
};

typedef struct fern__out_line_s fern__out_line;

struct fern__conn_s {
  uv_pipe_t pipe;
  fern__control *control;
  struct fern__manager_s *manager;
  uv_idle_t turn; /* the next loop turn, while the input waits for one */
  char *buf;      /* read, and not handled yet */
  size_t len;
  int reading;         /* uv_read_start is in force */
  int waiting;         /* requests waiting for their reply */
  size_t waiting_size; /* the bytes of their lines */
  int turn_lines;      /* lines handled since this loop turn began */
  int refs;   /* the pipe and the turn handle, and each waiting request */
  int closed; /* the pipe is closing or closed */
  fern__event_sink sink;
  int following;
  struct fern__log_follower_s *log_follower; /* fern logs -f, or NULL */
  pid_t pid; /* the peer's, from SO_PEERCRED, for the log */
  /* What waits for the client is fern's own, not libuv's: lines that the
   * socket had no room for, freed at once when the client is cut off. */
  fern__out_line *out_head, *out_tail;
  size_t queued;     /* bytes waiting: those lines, and the slice below */
  size_t slice;      /* bytes of a small copy with libuv, waiting for room */
  uint64_t progress; /* uv_now() when it last took bytes, or connected */
  fern__conn *next;  /* in the control's list */
};

/* Closes the connection (control.c); its memory goes on a later turn. */
void fern__conn_close(fern__conn *conn);

/* Makes a request of `line` (`len` bytes, no newline) and runs it
 * (control.c): it waits on the connection until its reply. */
void fern__conn_request(fern__conn *conn, const char *line, size_t len);

/* Starts reading from a new connection (control_intake.c). */
void fern__conn_intake_start(fern__conn *conn);

/* A request of `size` bytes got its reply: the connection may take more,
 * from the next loop turn on (control_intake.c). */
void fern__conn_request_ended(fern__conn *conn, size_t size);

/* Frees what waits for the connection, at once (for fern__conn_close). */
void fern__conn_discard(fern__conn *conn);

/* Whether the socket may hold part of a line (control_output.c). */
int fern__conn_mid_line(const fern__conn *conn);

/* Past the budget, cuts off the clients that hold most until the rest fit
 * (control_budget.c). */
void fern__control_hold_to_budget(fern__control *control);

/* Queues `line` (`len` bytes of whole lines, malloc'd; taken) to `conn`,
 * then holds all clients to the budget, which may cut off this connection
 * or others. Returns 0, or -1 when the line was not queued. */
int fern__conn_queue(fern__conn *conn, char *line, size_t len);

/* The sink of a connection that follows events: a copy of `line` unless
 * the connection is more than FERN_EVENT_BACKLOG behind (-1: dropped). */
int fern__conn_send_event(fern__event_sink *sink, const char *line, size_t len);
/* The same for a log follower (logbook.h) of a connection. */
int fern__conn_send_log(fern__event_sink *sink, const char *line, size_t len);

/* At accept: 1 when another connection fits (ending the oldest farewell if
 * need be); else writes a refusal to `fd` and returns 0. */
int fern__control_admit(fern__control *control, int fd);

/* Ends every farewell, for fern__control_close. */
void fern__control_end_farewells(fern__control *control);

#endif
