/* control_intake.c - see control_conn.h: what fern reads from a client of
 * the control socket, and how fast. Lines are handled as Redis handles a
 * client's query buffer (processInputBuffer, src/networking.c: a client
 * that waits on something has its buffer left as it is): past the bounds
 * on waiting requests the lines wait, and so does reading, so the kernel's
 * socket buffer fills and the client's writes block. As libuv reads a
 * stream at most 32 times a turn (uv__read, src/unix/stream.c), a turn
 * handles a bounded number of a connection's lines. */
#include <stdlib.h>
#include <string.h>

#include "control_conn.h"
#include "log.h"

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  (void)handle;
  buf->base = malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

/* Whether the connection may have a line of `len` bytes handled now. */
static int may_take(const fern__conn *conn, size_t len) {
  return conn->turn_lines < FERN_CONTROL_LINES_PER_TURN &&
         conn->waiting < FERN_CONTROL_WAITING_MAX &&
         (conn->waiting == 0 ||
          conn->waiting_size + len <= FERN_CONTROL_LINE_MAX);
}

static void refuse_long_line(fern__conn *conn) {
  fern__log(FERN_LOG_WARN, NULL,
            "control socket: closed the connection of pid %d: it sent a "
            "line longer than %d bytes",
            (int)conn->pid, FERN_CONTROL_LINE_MAX);
  fern__conn_close(conn);
}

/* Handles the lines read that the bounds allow. Returns 1 while a whole
 * line still waits in the buffer. */
static int take_lines(fern__conn *conn) {
  size_t start = 0;
  const char *nl = NULL;
  while (!conn->closed &&
         (nl = memchr(conn->buf + start, '\n', conn->len - start)) != NULL) {
    size_t len = (size_t)(nl - (conn->buf + start));
    if (len > FERN_CONTROL_LINE_MAX) {
      refuse_long_line(conn);
      return 0;
    }
    if (!may_take(conn, len))
      break;
    conn->turn_lines++;
    fern__conn_request(conn, conn->buf + start, len);
    start += len + 1;
  }
  memmove(conn->buf, conn->buf + start, conn->len - start);
  conn->len -= start;
  if (!conn->closed && nl == NULL && conn->len > FERN_CONTROL_LINE_MAX)
    refuse_long_line(conn);
  return !conn->closed && nl != NULL;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
static void on_turn(uv_idle_t *turn);

/* After lines were taken: reads on only while no whole line waits and
 * requests may be taken, and asks for the next turn while this one took
 * lines (to count afresh, and to take what waits). */
static void pace(fern__conn *conn, int line_waits) {
  if (conn->closed)
    return;
  int read = !line_waits && conn->waiting < FERN_CONTROL_WAITING_MAX &&
             conn->waiting_size < FERN_CONTROL_LINE_MAX;
  if (read && !conn->reading)
    uv_read_start((uv_stream_t *)&conn->pipe, on_alloc, on_read);
  else if (!read && conn->reading)
    uv_read_stop((uv_stream_t *)&conn->pipe);
  conn->reading = read;
  if (conn->turn_lines > 0)
    uv_idle_start(&conn->turn, on_turn);
  else
    uv_idle_stop(&conn->turn);
}

static void on_turn(uv_idle_t *turn) {
  fern__conn *conn = turn->data;
  conn->turn_lines = 0;
  pace(conn, take_lines(conn));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  fern__conn *conn = stream->data;
  if (nread < 0) {
    free(buf->base);
    fern__conn_close(conn);
    return;
  }
  char *grown = realloc(conn->buf, conn->len + (size_t)nread + 1);
  if (grown == NULL) {
    free(buf->base);
    fern__conn_close(conn);
    return;
  }
  conn->buf = grown;
  memcpy(conn->buf + conn->len, buf->base, (size_t)nread);
  conn->len += (size_t)nread;
  free(buf->base);
  pace(conn, take_lines(conn));
}

void fern__conn_intake_start(fern__conn *conn) {
  conn->reading = 1;
  uv_read_start((uv_stream_t *)&conn->pipe, on_alloc, on_read);
}

void fern__conn_request_ended(fern__conn *conn, size_t size) {
  conn->waiting--;
  conn->waiting_size -= size;
  /* Never here: a reply may be sent from deep inside the lifecycle. */
  if (!conn->closed && !conn->reading)
    uv_idle_start(&conn->turn, on_turn);
}
