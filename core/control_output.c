/* control_output.c - see control_conn.h: what waits for a client of the
 * control socket, and how it goes out. The lines are fern's own, so that
 * cutting a client off frees them at once: libuv holds only a small copy
 * of what comes next while the socket has no room. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "control_conn.h"
#include "logbook.h"

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

/* Whether the socket may hold part of a line: the first line began to go,
 * or a slice of it is with libuv. */
int fern__conn_mid_line(const fern__conn *conn) {
  return conn->slice > 0 ||
         (conn->out_head != NULL && conn->out_head->sent > 0);
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
    fern__control_hold_to_budget(conn->control);
  return conn->closed ? -1 : 0;
}

/* A copy of the line for a follower, unless it is too far behind. */
static int queue_copy(fern__conn *conn, const char *line, size_t len) {
  if (conn->closed || conn->queued > FERN_EVENT_BACKLOG)
    return -1;
  char *copy = malloc(len);
  if (copy == NULL)
    return -1;
  memcpy(copy, line, len);
  return fern__conn_queue(conn, copy, len);
}

int fern__conn_send_event(fern__event_sink *sink, const char *line,
                          size_t len) {
  fern__conn *conn = (fern__conn *)((char *)sink - offsetof(fern__conn, sink));
  return queue_copy(conn, line, len);
}

int fern__conn_send_log(fern__event_sink *sink, const char *line,
                        size_t len) {
  fern__log_follower *follower =
      (fern__log_follower *)((char *)sink - offsetof(fern__log_follower, sink));
  return queue_copy(follower->owner, line, len);
}
