/* serve_watch.c - starting a provider by a connection, as systemd's socket
 * activation does (systemd.socket(5)). While the provider does not run,
 * fern polls its sockets; the first connection unwatches them and asks a
 * start (reason "capability"). The connection waits in the backlog; once
 * the provider runs, the clients are its own. A start that fails, is
 * refused, or a run that ends before it came up, closes the waiting
 * connections at once (the client reads end of file). A provider in its
 * restart delay is not watched (its timer starts it), nor one that gave up
 * (its waiting clients are closed).
 *
 * As systemd's TriggerLimitIntervalSec= and TriggerLimitBurst= (2 s and
 * 200 for a socket unit, src/core/socket.c), a provider started by
 * connections more than 200 times within 2 s (one that exits without
 * accepting) is not watched again until something else starts it; and as
 * a socket unit fails once its service hits its start limit (systemd's
 * DefaultStartLimitBurst=, 5), so is one whose runs started by connections
 * failed 5 times in a row (crashed, or exited non-zero). Its waiting
 * clients are closed, and fern says so. Loop thread only. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lifecycle_actions.h"
#include "log.h"
#include "manager.h"
#include "serve.h"

#define TRIGGER_LIMIT_INTERVAL_MS 2000
#define TRIGGER_LIMIT_BURST 200
#define FAILED_ACTIVATIONS_MAX 5

/* Closes every connection waiting on `s`. The provider does not run: the
 * socket may be made non-blocking (each start hands it over blocking). */
static void refuse_waiting(fern__served *s) {
  int flags = fcntl(s->fd, F_GETFL);
  if (flags < 0 || fcntl(s->fd, F_SETFL, flags | O_NONBLOCK) != 0)
    return;
  int conn;
  while ((conn = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
    close(conn);
}

static void refuse_all(fern__instance *provider) {
  for (fern__served *s = provider->served; s != NULL; s = s->next)
    refuse_waiting(s);
}

/* The start a connection asked for did not bring the provider up: the
 * clients waiting are told at once, and the next connection asks again. */
static void activation_failed(fern__instance *provider) {
  fern__log(FERN_LOG_WARN, provider->moniker,
            "a connection to protocol \"%s\" could not start it; the "
            "waiting connections are closed",
            provider->activated_by ? provider->activated_by : "?");
  refuse_all(provider);
  free(provider->activated_by);
  provider->activated_by = NULL;
}

/* A refused start is answered with an error; a start under way is
 * followed by its states (fern__serve_follow_state). */
static void on_start_answered(void *arg, fern__instance *provider,
                              const char *error) {
  (void)arg;
  if (error != NULL && provider->activated_by != NULL) {
    activation_failed(provider);
    fern__serve_follow_state(provider, provider->state);
  }
}

void fern__serve_unwatch(fern__served *s) {
  if (s->watch == NULL)
    return;
  uv_close((uv_handle_t *)s->watch, (uv_close_cb)free);
  s->watch = NULL;
}

static void unwatch_all(fern__instance *provider) {
  for (fern__served *s = provider->served; s != NULL; s = s->next)
    fern__serve_unwatch(s);
}

static void stop_watching(fern__instance *provider, const char *why) {
  provider->activation_off = 1;
  fern__log(FERN_LOG_ERROR, provider->moniker,
            "%s; its sockets are not watched again until it is started "
            "otherwise, and the waiting connections are closed",
            why);
  refuse_all(provider);
}

/* One more start by a connection: within the trigger limit? */
static int within_trigger_limit(fern__instance *provider) {
  uint64_t now = uv_now(&provider->manager->loop);
  if (provider->activations == 0 ||
      now - provider->activation_window_ms > TRIGGER_LIMIT_INTERVAL_MS) {
    provider->activation_window_ms = now;
    provider->activations = 0;
  }
  if (++provider->activations <= TRIGGER_LIMIT_BURST)
    return 1;
  stop_watching(provider, "started by connections more than 200 times "
                          "within 2 s");
  return 0;
}

/* A run a connection started has ended: five failures in a row and its
 * sockets are no longer watched. */
static void activated_run_ended(fern__instance *i) {
  if (i->status == FERN_STOP_OK) {
    i->failed_activations = 0;
    return;
  }
  if (++i->failed_activations >= FAILED_ACTIVATIONS_MAX)
    stop_watching(i, "its last 5 runs started by connections failed");
}

/* A client connected while the provider does not run: start it. */
static void on_connection(uv_poll_t *handle, int status, int events) {
  fern__served *s = handle->data;
  fern__instance *provider = s->provider;
  unwatch_all(provider);
  if (status < 0 || !(events & UV_READABLE)) {
    fern__log(FERN_LOG_ERROR, provider->moniker,
              "cannot watch the socket of protocol \"%s\" any more: %s",
              s->name, status < 0 ? uv_strerror(status) : "hung up");
    return;
  }
  if (provider->activated_by != NULL || !within_trigger_limit(provider))
    return;
  provider->activated_by = strdup(s->name);
  fern__lc_post_start(provider, "capability", on_start_answered, NULL);
}

void fern__serve_watch(fern__served *s) {
  if (s->watch != NULL || s->fd < 0)
    return;
  s->watch = malloc(sizeof *s->watch);
  if (s->watch == NULL ||
      uv_poll_init(&s->provider->manager->loop, s->watch, s->fd) != 0) {
    free(s->watch);
    s->watch = NULL;
    return;
  }
  s->watch->data = s;
  uv_poll_start(s->watch, UV_READABLE, on_connection);
  /* A watch keeps nothing running: fern run ends when no component runs,
   * as it did before sockets. */
  uv_unref((uv_handle_t *)s->watch);
}

int fern__serve_idle(const fern__instance *i) {
  return !fern__instance_is_live(i) && i->activated_by == NULL &&
         !i->activation_off && !i->manager->shutting_down &&
         i->state != FERN_STATE_DESTROYED &&
         i->state != FERN_STATE_RESTART_WAIT && i->state != FERN_STATE_FAILED;
}

/* Its start by a connection is over: it came up (the clients are its
 * own), or it did not. Something else started it: watch it again later
 * whatever the trigger limit said. */
static void settle_activation(fern__instance *i) {
  int up = fern__instance_is_live(i) && i->state != FERN_STATE_STARTING;
  if (up && i->start_capability == NULL)
    i->activation_off = i->failed_activations = 0;
  if (i->activated_by == NULL || i->state == FERN_STATE_STARTING)
    return;
  if (up) {
    free(i->activated_by);
    i->activated_by = NULL;
  } else {
    activation_failed(i);
  }
}

void fern__serve_follow_state(fern__instance *i, fern__state from) {
  if (fern__state_is_live(from) && !fern__instance_is_live(i) &&
      i->start_capability != NULL && i->state != FERN_STATE_DESTROYED)
    activated_run_ended(i);
  settle_activation(i);
  int idle = fern__serve_idle(i);
  if ((i->state == FERN_STATE_FAILED || i->manager->shutting_down) &&
      !fern__instance_is_live(i))
    refuse_all(i);
  for (fern__served *s = i->served; s != NULL; s = s->next) {
    if (idle)
      fern__serve_watch(s);
    else
      fern__serve_unwatch(s);
  }
}
