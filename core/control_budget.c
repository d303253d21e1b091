/* control_budget.c - see control_conn.h: what all clients of the control
 * socket may hold of fern's memory, how many connections it takes, and
 * what becomes of the clients past either bound. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control_conn.h"
#include "log.h"

#define BUDGET_MIB (FERN_CONTROL_BUDGET >> 20)

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

static void cut_off(fern__conn *conn) {
  fern__log(FERN_LOG_WARN, NULL,
            "control socket: cut off the client of pid %d: %zu bytes were "
            "waiting for it while all clients together held more than the "
            "%u MiB fern keeps for them",
            (int)conn->pid, conn->queued, BUDGET_MIB);
  char line[512];
  /* Part of a line already went: the reason starts a line of its own. */
  int n =
      snprintf(line, sizeof line,
               "%s{\"fern\":1,\"ok\":false,\"error\":\"cut off: fern had "
               "%zu bytes waiting for this connection while its clients "
               "together held more than the %u MiB it keeps for them; "
               "read replies and events as they come\"}\n",
               fern__conn_mid_line(conn) ? "\n" : "", conn->queued, BUDGET_MIB);
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
void fern__control_hold_to_budget(fern__control *control) {
  fern__conn *conn;
  while (control->queued > FERN_CONTROL_BUDGET &&
         (conn = slowest(control)) != NULL)
    cut_off(conn);
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
