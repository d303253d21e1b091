/* control_budget.c - see control_conn.h: what the control socket's clients
 * may hold of fern's memory, and what becomes of those that take more. */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control_conn.h"
#include "log.h"

#define BUDGET_MIB (FERN_CONTROL_BUDGET >> 20)

/* Each line waits whole until the socket has taken all of it. */
struct fern__out_line_s {
  fern__out_line *next;
  size_t len, sent;
  char *data;
};

/* A small copy of what comes next, handed to libuv to send when the
 * socket has room: all libuv holds of a connection's output. */
typedef struct slice_s {
  uv_write_t req;
  size_t len;
  char data[];
} slice;

#define SLICE_MAX 4096

/* A client that was cut off: its connection, kept only to tell it why once
 * it reads again, since what it did not read fills the socket until then. */
struct fern__farewell_s {
  uv_poll_t poll;
  fern__control *control;
  int fd;
  size_t len;
  fern__farewell *next;
  char line[];
};

static void account(fern__conn *conn, size_t more, size_t less) {
  conn->queued = conn->queued + more - less;
  conn->control->queued = conn->control->queued + more - less;
}

static void took(fern__conn *conn, size_t bytes) {
  account(conn, 0, bytes);
  conn->progress = uv_now(conn->pipe.loop);
}

static void pop_line(fern__conn *conn) {
  fern__out_line *line = conn->out_head;
  conn->out_head = line->next;
  if (conn->out_head == NULL)
    conn->out_tail = NULL;
  free(line->data);
  free(line);
}

static void flush(fern__conn *conn);

static void on_slice_sent(uv_write_t *req, int status) {
  slice *sent = (slice *)req;
  fern__conn *conn = req->handle->data;
  size_t len = sent->len;
  free(sent);
  if (conn->closed)
    return;
  if (status != 0) {
    fern__conn_close(conn);
    return;
  }
  conn->slice = 0;
  took(conn, len);
  flush(conn);
}

/* Hands libuv a copy of the next bytes of the first line, to be sent when
 * the socket has room again. */
static int send_slice(fern__conn *conn) {
  fern__out_line *line = conn->out_head;
  size_t len = line->len - line->sent;
  len = len < SLICE_MAX ? len : SLICE_MAX;
  slice *next = malloc(sizeof *next + len);
  if (next == NULL)
    return -1;
  next->len = len;
  memcpy(next->data, line->data + line->sent, len);
  uv_buf_t buf = uv_buf_init(next->data, (unsigned)len);
  if (uv_write(&next->req, (uv_stream_t *)&conn->pipe, &buf, 1,
               on_slice_sent) != 0) {
    free(next);
    return -1;
  }
  conn->slice = len;
  line->sent += len;
  if (line->sent == line->len)
    pop_line(conn);
  return 0;
}

/* Sends what the socket takes now, straight from the lines; the rest
 * waits for a slice to go. */
static void flush(fern__conn *conn) {
  while (!conn->closed && conn->slice == 0 && conn->out_head != NULL) {
    fern__out_line *line = conn->out_head;
    uv_buf_t buf = uv_buf_init(line->data + line->sent,
                               (unsigned)(line->len - line->sent));
    int n = uv_try_write((uv_stream_t *)&conn->pipe, &buf, 1);
    if (n > 0) {
      line->sent += (size_t)n;
      took(conn, (size_t)n);
      if (line->sent == line->len)
        pop_line(conn);
    } else if (n != UV_EAGAIN || send_slice(conn) != 0) {
      fern__conn_close(conn);
    }
  }
}

void fern__conn_discard(fern__conn *conn) {
  while (conn->out_head != NULL)
    pop_line(conn);
  if (conn->control != NULL)
    account(conn, 0, conn->queued);
  conn->queued = 0;
}

static void on_farewell_closed(uv_handle_t *handle) {
  fern__farewell *farewell = handle->data;
  close(farewell->fd);
  free(farewell);
}

static void end_farewell(fern__farewell *farewell) {
  fern__control *control = farewell->control;
  for (fern__farewell **p = &control->farewells; *p != NULL; p = &(*p)->next)
    if (*p == farewell) {
      *p = farewell->next;
      control->farewell_count--;
      break;
    }
  uv_close((uv_handle_t *)&farewell->poll, on_farewell_closed);
}

/* Once the client has read what filled the socket, there is room for the
 * reason; a client that hung up gets nothing. */
static void on_farewell_ready(uv_poll_t *poll, int status, int events) {
  fern__farewell *farewell = poll->data;
  if (status == 0 && (events & UV_WRITABLE) && !(events & UV_DISCONNECT)) {
    ssize_t ignored = send(farewell->fd, farewell->line, farewell->len,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;
  }
  end_farewell(farewell);
}

/* Keeps a copy of the connection's descriptor to write `line` once it can:
 * the connection itself closes now, and with it what was queued. */
static void say_farewell(fern__conn *conn, const char *line, size_t len) {
  fern__control *control = conn->control;
  uv_os_fd_t fd;
  if (uv_fileno((uv_handle_t *)&conn->pipe, &fd) != 0)
    return;
  fern__farewell *farewell = malloc(sizeof *farewell + len);
  int copy = farewell != NULL ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
  if (copy < 0 || uv_poll_init(conn->pipe.loop, &farewell->poll, copy) != 0) {
    if (copy >= 0)
      close(copy);
    free(farewell);
    return;
  }
  farewell->control = control;
  farewell->fd = copy;
  farewell->len = len;
  memcpy(farewell->line, line, len);
  farewell->poll.data = farewell;
  uv_poll_start(&farewell->poll, UV_WRITABLE | UV_DISCONNECT,
                on_farewell_ready);
  uv_unref((uv_handle_t *)&farewell->poll);
  farewell->next = control->farewells;
  control->farewells = farewell;
  control->farewell_count++;
}

/* Whether the socket may hold part of a line: the first line began to go,
 * or a slice of it is with libuv. */
static int mid_line(const fern__conn *conn) {
  return conn->slice > 0 ||
         (conn->out_head != NULL && conn->out_head->sent > 0);
}

static void cut_off(fern__conn *conn) {
  fern__log(FERN_LOG_WARN, NULL,
            "control socket: cut off the client of pid %d: %zu bytes were "
            "waiting for it while all clients together held more than the "
            "%u MiB fern keeps for them",
            (int)conn->pid, conn->queued, BUDGET_MIB);
  char line[512];
  /* Part of a line already went: the reason starts a line of its own. */
  int n = snprintf(line, sizeof line,
                   "%s{\"fern\":1,\"ok\":false,\"error\":\"cut off: fern had "
                   "%zu bytes waiting for this connection while its clients "
                   "together held more than the %u MiB it keeps for them; "
                   "read replies and events as they come\"}\n",
                   mid_line(conn) ? "\n" : "", conn->queued, BUDGET_MIB);
  say_farewell(conn, line, (size_t)n);
  fern__conn_close(conn);
}

/* Powers of two, as Redis's client memory buckets (server.h). */
static int size_class(size_t bytes) {
  int class = 0;
  while (bytes >>= 1)
    class ++;
  return class;
}

/* The largest backlog; among backlogs of one size class, the client that
 * has taken nothing for longest, so that one that just asked and reads is
 * spared for one that reads nothing. */
static fern__conn *slowest(fern__control *control) {
  fern__conn *found = NULL;
  for (fern__conn *conn = control->conns; conn != NULL; conn = conn->next) {
    if (conn->queued == 0)
      continue;
    int class = size_class(conn->queued);
    int found_class = found != NULL ? size_class(found->queued) : -1;
    if (class > found_class ||
        (class == found_class && conn->progress <= found->progress))
      found = conn;
  }
  return found;
}

/* As Redis's client eviction (evictClients, src/networking.c): past the
 * budget, the clients that hold most go first until the rest fit. */
static void hold_to_budget(fern__control *control) {
  fern__conn *conn;
  while (control->queued > FERN_CONTROL_BUDGET &&
         (conn = slowest(control)) != NULL)
    cut_off(conn);
}

int fern__conn_queue(fern__conn *conn, char *data, size_t len) {
  fern__out_line *line = conn->closed ? NULL : malloc(sizeof *line);
  if (line == NULL) {
    free(data);
    return -1;
  }
  *line = (fern__out_line){.len = len, .data = data};
  if (conn->out_tail != NULL)
    conn->out_tail->next = line;
  else
    conn->out_head = line;
  conn->out_tail = line;
  account(conn, len, 0);
  flush(conn);
  if (conn->control != NULL && conn->control->queued > FERN_CONTROL_BUDGET)
    hold_to_budget(conn->control);
  return conn->closed ? -1 : 0;
}

int fern__conn_send_event(fern__event_sink *sink, const char *line,
                          size_t len) {
  fern__conn *conn = (fern__conn *)((char *)sink - offsetof(fern__conn, sink));
  if (conn->closed || conn->queued > FERN_EVENT_BACKLOG)
    return -1;
  char *copy = malloc(len);
  if (copy == NULL)
    return -1;
  memcpy(copy, line, len);
  return fern__conn_queue(conn, copy, len);
}

/* As Redis's maxclients (acceptCommonHandler, src/networking.c): past the
 * limit, a new connection is told why and closed at once. */
int fern__control_admit(fern__control *control, int fd) {
  if (control->conn_count + control->farewell_count < FERN_CONTROL_MAX_CONNS) {
    control->refusing = 0;
    return 1;
  }
  if (control->farewells != NULL) {
    fern__farewell *oldest = control->farewells;
    while (oldest->next != NULL)
      oldest = oldest->next;
    end_farewell(oldest);
    return 1;
  }
  if (!control->refusing)
    fern__log(FERN_LOG_WARN, NULL,
              "control socket: %d connections are open, the most it takes: "
              "new ones are refused until some close",
              FERN_CONTROL_MAX_CONNS);
  control->refusing = 1;
  char refusal[256];
  int n = snprintf(refusal, sizeof refusal,
                   "{\"fern\":1,\"ok\":false,\"error\":\"refused: this fern "
                   "already has %d control connections open, the most it "
                   "takes; close some and try again\"}\n",
                   FERN_CONTROL_MAX_CONNS);
  ssize_t ignored = send(fd, refusal, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
  return 0;
}

void fern__control_end_farewells(fern__control *control) {
  while (control->farewells != NULL)
    end_farewell(control->farewells);
}
