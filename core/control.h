/* control.h - the control socket of a running `fern run`: a Unix stream
 * socket, mode 0600 in a 0700 directory, that only this process's user may
 * use (SO_PEERCRED). The protocol is JSON lines, version 1:
 *
 *   request   {"fern": 1, "id": 7, "command": "show", "moniker": "/a"}
 *   reply     {"fern": 1, "id": 7, "ok": true, "result": {...}}
 *             {"fern": 1, "id": 7, "ok": false, "error": "..."}
 *
 * The id is the client's: a number, a string or null (as in JSON-RPC 2.0),
 * given back in the reply. A client may send requests ahead without
 * waiting for replies; those that take time (stop, create, destroy) reply
 * when done, perhaps out of order. Of one connection, at most
 * FERN_CONTROL_WAITING_MAX requests wait for their reply: fern reads the
 * lines after them only as replies go out, and a client that sends ahead
 * of that finds its writes blocked. A line is at most FERN_CONTROL_LINE_MAX
 * bytes; a longer one ends the connection.
 *
 * With {"command": "events", "follow": true} the reply is followed by one
 * event object per line, and {"dropped": N} when N were dropped because
 * the client read too slowly. Commands are in control_commands.c; what the
 * clients may hold of fern's memory is in control_conn.h. */
#ifndef FERN_CORE_CONTROL_H
#define FERN_CORE_CONTROL_H

#include <fern/fern.h>

#include "control_path.h"

#define FERN_CONTROL_VERSION 1
#define FERN_CONTROL_LINE_MAX (64 * 1024)
/* dbus-daemon lets a connection have 128 calls waiting for their reply
 * (max_replies_per_connection, bus/config-parser.c); a control client, one
 * user's command line, needs far fewer. */
#define FERN_CONTROL_WAITING_MAX 32

struct fern__manager_s;
typedef struct fern__control_s fern__control;
typedef struct fern__conn_s fern__conn;

/* Serves `path`. A live socket already there is an error when the path
 * was asked for, else a warning and no control socket. */
int fern__control_open(struct fern__manager_s *manager, const char *path,
                       int asked_for, fern__control **out, fern_error_t *err);
/* Stops serving and removes the socket; NULL is fine. */
void fern__control_close(fern__control *control);

/* One request waiting for its reply. */
typedef struct fern__request_s {
  fern__conn *conn;
  json_t *id;
  size_t size; /* of its line */
} fern__request;

/* Sends the reply (taking `result`) and frees the request. */
void fern__control_reply(fern__request *request, json_t *result);
void fern__control_fail(fern__request *request, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Turns the request's connection into an event subscriber. */
void fern__control_follow_events(fern__request *request);

/* The "logs" command (control_logs.c). */
void fern__control_logs(struct fern__manager_s *manager,
                        fern__request *request, const json_t *message);

/* Runs one command (control_commands.c); replies now or later. */
void fern__control_dispatch(struct fern__manager_s *manager,
                            fern__request *request, const json_t *message);

#endif
