/* control_conn.h - the control socket's connections, shared by control.c
 * (accepting, framing, requests and replies), control_output.c (what waits
 * for each client) and control_budget.c (what all of them may hold of
 * fern's memory). Loop thread only.
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
  char *buf;
  size_t len;
  int refs;   /* the open pipe, and each request waiting for a reply */
  int closed; /* the pipe is closing or closed */
  fern__event_sink sink;
  int following;
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

/* At accept: 1 when another connection fits (ending the oldest farewell if
 * need be); else writes a refusal to `fd` and returns 0. */
int fern__control_admit(fern__control *control, int fd);

/* Ends every farewell, for fern__control_close. */
void fern__control_end_farewells(fern__control *control);

#endif
