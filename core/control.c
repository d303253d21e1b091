/* control.c - see control.h: the socket, the connections, the requests. */
#include "control.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_conn.h"
#include "log.h"
#include "manager.h"

static void conn_unref(fern__conn *conn) {
  if (--conn->refs > 0)
    return;
  if (conn->log_follower != NULL) {
    fern__log_filter_free(&conn->log_follower->filter);
    free(conn->log_follower);
  }
  free(conn->buf);
  free(conn);
}

/* Each of the connection's two handles holds a reference. */
static void on_conn_closed(uv_handle_t *handle) { conn_unref(handle->data); }

void fern__conn_close(fern__conn *conn) {
  if (conn->closed)
    return;
  conn->closed = 1;
  fern__control *control = conn->control;
  if (control != NULL)
    for (fern__conn **p = &control->conns; *p != NULL; p = &(*p)->next)
      if (*p == conn) {
        *p = conn->next;
        control->conn_count--;
        break;
      }
  fern__conn_discard(conn);
  if (conn->following)
    fern__events_unsubscribe(&conn->manager->events, &conn->sink);
  /* Unlinked now, freed with the connection: the close may come from
   * inside the delivery of a line to this very follower. */
  if (conn->log_follower != NULL)
    fern__logbook_unfollow(&conn->manager->logbook, conn->log_follower);
  uv_close((uv_handle_t *)&conn->pipe, on_conn_closed);
  uv_close((uv_handle_t *)&conn->turn, on_conn_closed);
}

/* Sends `text` (from json_dumps: `len` bytes and a NUL, taken) as one line,
 * and frees the request. */
static void send_line(fern__request *request, char *text, size_t len) {
  fern__conn *conn = request->conn;
  if (text != NULL) {
    text[len] = '\n';
    fern__conn_queue(conn, text, len + 1);
  }
  fern__conn_request_ended(conn, request->size);
  json_decref(request->id);
  conn_unref(conn);
  free(request);
}

void fern__control_reply(fern__request *request, json_t *result) {
  json_t *reply = json_pack("{s:i, s:O?, s:b, s:o}", "fern",
                            FERN_CONTROL_VERSION, "id", request->id, "ok", 1,
                            "result", result ? result : json_null());
  char *text = json_dumps(reply, JSON_COMPACT);
  json_decref(reply);
  size_t len = text != NULL ? strlen(text) : 0;
  /* A reply is built whole; one that alone would pass the budget could
   * only be cut off. */
  if (len >= FERN_CONTROL_BUDGET) {
    free(text);
    fern__control_fail(request,
                       "the reply would be %zu bytes, more than the %u MiB "
                       "fern keeps for all its clients: ask for less (a "
                       "subtree, a state)",
                       len, FERN_CONTROL_BUDGET >> 20);
    return;
  }
  send_line(request, text, len);
}

void fern__control_fail(fern__request *request, const char *fmt, ...) {
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  json_t *reply = json_pack("{s:i, s:O?, s:b, s:s}", "fern",
                            FERN_CONTROL_VERSION, "id", request->id, "ok", 0,
                            "error", message);
  char *text = json_dumps(reply, JSON_COMPACT);
  json_decref(reply);
  send_line(request, text, text != NULL ? strlen(text) : 0);
}

void fern__control_follow_events(fern__request *request) {
  fern__conn *conn = request->conn;
  if (!conn->closed && !conn->following) {
    conn->following = 1;
    conn->sink.send = fern__conn_send_event;
    fern__events_subscribe(&conn->manager->events, &conn->sink);
  }
  fern__control_reply(request, json_pack("{s:b}", "following", 1));
}

/* JSON-RPC 2.0's rule for an id (its specification, 4. Request object):
 * a string, a number or null. A request keeps its id until its reply, and
 * an array or object of a line's size takes many times that in jansson. */
static int id_allowed(const json_t *id) {
  return id == NULL || json_is_string(id) || json_is_number(id) ||
         json_is_null(id);
}

void fern__conn_request(fern__conn *conn, const char *line, size_t len) {
  json_error_t jerr;
  json_t *message = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
  fern__request *request = calloc(1, sizeof *request);
  if (request == NULL) {
    json_decref(message);
    return;
  }
  request->conn = conn;
  request->size = len;
  conn->refs++;
  conn->waiting++;
  conn->waiting_size += len;
  json_t *id = json_object_get(message, "id");
  json_t *version = json_object_get(message, "fern");
  if (id_allowed(id))
    request->id = json_incref(id);
  if (!json_is_object(message))
    fern__control_fail(request, "not a JSON object: %s", jerr.text);
  else if (!id_allowed(id))
    fern__control_fail(request,
                       "\"id\" must be a number, a string or null, not an %s",
                       json_is_array(id) ? "array" : "object");
  else if (!json_is_integer(version) ||
           json_integer_value(version) != FERN_CONTROL_VERSION)
    fern__control_fail(request,
                       "this fern speaks control protocol version %d; the "
                       "request says \"fern\": %s",
                       FERN_CONTROL_VERSION,
                       json_is_integer(version) ? "another" : "nothing");
  else
    fern__control_dispatch(conn->manager, request, message);
  json_decref(message);
}

/* Only this process's user may steer it. */
static int peer_allowed(fern__conn *conn, int fd) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return 0;
  conn->pid = cred.pid;
  if (cred.uid == getuid())
    return 1;
  char message[256];
  snprintf(message, sizeof message,
           "{\"fern\":1,\"ok\":false,\"error\":\"refused: this fern runs as "
           "uid %u and takes commands from that user only; you are uid %u\"}\n",
           (unsigned)getuid(), (unsigned)cred.uid);
  fern__log(FERN_LOG_WARN, NULL,
            "control socket: refused a connection from uid %u (pid %d)",
            (unsigned)cred.uid, (int)cred.pid);
  ssize_t ignored = write(fd, message, strlen(message));
  (void)ignored;
  return 0;
}

static void on_connection(uv_stream_t *server, int status) {
  fern__control *control = server->data;
  if (status < 0)
    return;
  fern__conn *conn = calloc(1, sizeof *conn);
  if (conn == NULL)
    return;
  conn->control = control;
  conn->manager = control->manager;
  conn->refs = 2;
  conn->progress = uv_now(server->loop);
  uv_pipe_init(server->loop, &conn->pipe, 0);
  conn->pipe.data = conn;
  uv_idle_init(server->loop, &conn->turn);
  conn->turn.data = conn;
  uv_os_fd_t fd;
  if (uv_accept(server, (uv_stream_t *)&conn->pipe) != 0 ||
      uv_fileno((uv_handle_t *)&conn->pipe, &fd) != 0 ||
      !peer_allowed(conn, fd) || !fern__control_admit(control, fd)) {
    fern__conn_close(conn);
    return;
  }
  conn->next = control->conns;
  control->conns = conn;
  control->conn_count++;
  fern__conn_intake_start(conn);
}

/* The socket's directory: made 0700, or checked to be ours and private. */
static int prepare_dir(const char *path, fern_error_t *err) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL || slash == path)
    return FERN_OK;
  char dir[108];
  fern__control_dir_of(path, dir, sizeof dir);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return fern_error_set(err, FERN_EIO, NULL, "cannot create %s: %s", dir,
                          strerror(errno));
  return fern__control_check_dir(dir, 077, err);
}

/* Whether a fern already answers on `path`. */
static int socket_is_live(const char *path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  int live = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
  if (fd >= 0)
    close(fd);
  return live;
}

static void on_server_closed(uv_handle_t *handle) { free(handle->data); }

int fern__control_open(fern__manager *manager, const char *path, int asked_for,
                       fern__control **out, fern_error_t *err) {
  *out = NULL;
  if (strlen(path) >= sizeof((struct sockaddr_un *)0)->sun_path)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "control socket path is too long: %s", path);
  int rc = prepare_dir(path, err);
  if (rc != FERN_OK)
    return rc;
  if (socket_is_live(path)) {
    if (asked_for)
      return fern_error_set(err, FERN_EACCES, NULL,
                            "another fern already serves %s", path);
    fern__log(FERN_LOG_WARN, NULL,
              "another fern already serves %s; this one has no control "
              "socket (give --control PATH)",
              path);
    return FERN_OK;
  }
  unlink(path); /* a stale socket of a fern that is gone */
  fern__control *control = calloc(1, sizeof *control);
  if (control == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  control->manager = manager;
  snprintf(control->path, sizeof control->path, "%s", path);
  uv_pipe_init(&manager->loop, &control->server, 0);
  control->server.data = control;
  mode_t old = umask(0177); /* the socket is created 0600 */
  int uv_rc = uv_pipe_bind(&control->server, path);
  umask(old);
  if (uv_rc == 0)
    uv_rc = uv_listen((uv_stream_t *)&control->server, 64, on_connection);
  if (uv_rc != 0) {
    uv_close((uv_handle_t *)&control->server, on_server_closed);
    return fern_error_set(err, FERN_EIO, NULL, "control socket %s: %s", path,
                          uv_strerror(uv_rc));
  }
  chmod(path, 0600);
  uv_unref((uv_handle_t *)&control->server);
  fern__log(FERN_LOG_INFO, NULL, "control socket %s", path);
  *out = control;
  return FERN_OK;
}

void fern__control_close(fern__control *control) {
  if (control == NULL)
    return;
  while (control->conns != NULL) {
    fern__conn *conn = control->conns;
    fern__conn_close(conn);
    conn->control = NULL;
  }
  fern__control_end_farewells(control);
  unlink(control->path);
  uv_close((uv_handle_t *)&control->server, on_server_closed);
}
