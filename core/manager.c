/* manager.c - see manager.h. */
#include "manager.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "root_env.h"
#include "control.h"
#include "log.h"
#include "serve.h"

/* After the second signal has killed every component, fern waits this
 * long for their ends to be reported, then ends without them. */
#define FERN_KILL_GRACE_MS 5000

static void on_kill_grace_over(uv_timer_t *timer) {
  fern__manager_end_now(timer->data, 1,
                        "components still did not report their end %d ms "
                        "after they were killed",
                        FERN_KILL_GRACE_MS);
}

/* The first signal stops the tree in order; the second kills every
 * component and gives their ends a bounded wait; the third ends fern at
 * once. Whatever a worker thread is stuck in, fern ends. */
static void on_signal(uv_signal_t *handle, int signum) {
  fern__manager *manager = handle->data;
  if (manager->killing) {
    fern__manager_end_now(manager, 1, "SIG%s a third time",
                          sigabbrev_np(signum));
    return;
  }
  if (manager->shutting_down) {
    fern__log(FERN_LOG_WARN, NULL, "%s again: killing every component now",
              sigabbrev_np(signum));
    manager->killing = 1;
    uv_timer_start(&manager->kill_grace, on_kill_grace_over,
                   FERN_KILL_GRACE_MS, 0);
    fern__lifecycle_kill_all(manager->root);
    return;
  }
  manager->shutting_down = 1;
  manager->interrupted = 1;
  /* Said when the stop is handled, after what came before it. */
  fern__input *stop = fern__lc_input(manager->root, FERN_IN_STOP);
  if (stop != NULL) {
    stop->reason = signum == SIGINT ? "SIGINT" : "SIGTERM";
    fern__lc_post(stop);
  }
}

static void post_kill(fern__instance *instance, void *arg) {
  (void)arg;
  if (instance->run.controller != NULL)
    fern__lc_post_kind(instance, FERN_IN_KILL);
}

void fern__lifecycle_kill_all(fern__instance *instance) {
  fern__instance_walk(instance, post_kill, NULL);
}

static void close_signals(fern__manager *manager) {
  if (!manager->signals_open)
    return;
  manager->signals_open = 0;
  for (int i = 0; i < 2; i++)
    uv_close((uv_handle_t *)&manager->signals[i], NULL);
  uv_close((uv_handle_t *)&manager->kill_grace, NULL);
}

void fern__manager_check_idle(fern__manager *manager) {
  int idle = manager->active == 0 && manager->waiting == 0 &&
             manager->dispatch.pending == 0 && manager->pending_restarts == 0 &&
             !fern__lc_inbox_busy(manager);
  if (idle && (!manager->keep_running || manager->shutting_down)) {
    close_signals(manager);
    fern__control_close(manager->control);
    manager->control = NULL;
    /* A resolver that never answered keeps its thread-pool request
     * active, and the loop would wait on it for ever. */
    if (manager->dispatch.stuck > 0)
      uv_stop(&manager->loop);
  }
}

static void open_signals(fern__manager *manager) {
  static const int signums[2] = {SIGINT, SIGTERM};
  for (int i = 0; i < 2; i++) {
    uv_signal_init(&manager->loop, &manager->signals[i]);
    manager->signals[i].data = manager;
    uv_signal_start(&manager->signals[i], on_signal, signums[i]);
  }
  uv_timer_init(&manager->loop, &manager->kill_grace);
  manager->kill_grace.data = manager;
  uv_unref((uv_handle_t *)&manager->kill_grace);
  manager->signals_open = 1;
}

int fern__manager_init(fern__manager *manager, fern__config *config,
                       fern__mode mode, fern_error_t *err) {
  memset(manager, 0, sizeof *manager);
  manager->serve_dir_fd = -1;
  manager->mode = mode;
  manager->config = config;
  if (uv_loop_init(&manager->loop) != 0)
    return fern_error_set(err, FERN_EIO, NULL, "cannot create the event loop");
  json_object_seed(0); /* before worker threads parse JSON */
  manager->policy = fern__config_security_policy(config);
  fern__host_init(manager);
  fern__resolutions_init(&manager->dispatch, &manager->loop);
  fern__lc_inbox_init(manager);
  manager->dispatch.timeout_ms = config->resolve_timeout_ms;
  manager->dispatch.include_dirs = config->include_dirs;
  manager->dispatch.include_dir_count = config->include_dir_count;
  manager->timed_out = json_array();
  int rc = fern__plugins_scan(&manager->plugins,
                              (const char *const *)config->plugin_dirs);
  if (rc != FERN_OK)
    return fern_error_set(err, rc, NULL, "cannot scan the plugin directories");
  rc = fern__root_env_build(config, &manager->plugins, &manager->host,
                            mode == FERN_MODE_RUN, &manager->root_env, err);
  /* SIGINT and SIGTERM mean "stop the tree" from here on. */
  if (rc == FERN_OK && mode == FERN_MODE_RUN) {
    open_signals(manager);
    fern__log_turn_open(&manager->log_turn, &manager->loop);
  }
  return rc;
}

static void count_instance(fern__instance *instance, void *count) {
  (void)instance;
  ++*(size_t *)count;
}

/* Says what timed out when the tree was shut down. */
static void report_shutdown(fern__manager *manager) {
  if (!manager->shutting_down)
    return;
  size_t n = json_array_size(manager->timed_out);
  char list[1024] = "";
  size_t used = 0;
  for (size_t i = 0; i < n && used < sizeof list; i++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                             i ? ", " : "",
                             json_string_value(json_array_get(manager->timed_out,
                                                              i)));
  if (n == 0)
    fern__log(FERN_LOG_INFO, NULL, "shutdown finished; nothing timed out");
  else
    fern__log(FERN_LOG_WARN, NULL,
              "shutdown finished; %zu component%s timed out and %s killed: %s",
              n, n == 1 ? "" : "s", n == 1 ? "was" : "were", list);
  fern__event(&manager->events, "shutdown", "/",
              json_pack("{s:O}", "timed_out", manager->timed_out));
}

int fern__manager_run(fern__manager *manager, const char *url) {
  manager->root = fern__instance_new(manager, NULL, "", url,
                                     FERN_STARTUP_EAGER, manager->root_env);
  if (manager->root == NULL)
    return 1;
  fern__lc_post_kind(manager->root, FERN_IN_RESOLVE);
  if (manager->mode == FERN_MODE_RUN)
    fern__lc_post_start(manager->root, "root", NULL, NULL);
  uv_run(&manager->loop, UV_RUN_DEFAULT);
  report_shutdown(manager);
  size_t components = 0;
  fern__instance_walk(manager->root, count_instance, &components);
  fern__log(FERN_LOG_DEBUG, NULL, "parsed %zu manifest%s for %zu components",
            manager->dispatch.parses, manager->dispatch.parses == 1 ? "" : "s",
            components);
  if (manager->critical != NULL)
    fern__log(FERN_LOG_ERROR, NULL,
              "the tree was shut down because critical component %s",
              manager->critical);
  return manager->failures > 0 || manager->critical != NULL ? 1 : 0;
}

void fern__manager_critical_failure(fern__manager *manager,
                                    const char *moniker, const char *reason) {
  if (manager->critical != NULL)
    return;
  size_t n = strlen(moniker) + strlen(reason) + 3;
  manager->critical = malloc(n);
  if (manager->critical != NULL)
    snprintf(manager->critical, n, "%s %s", moniker, reason);
  fern__log(FERN_LOG_ERROR, moniker,
            "critical component %s; stopping the whole tree", reason);
  fern__event(&manager->events, "critical", moniker,
              json_pack("{s:s}", "reason", reason));
  manager->shutting_down = 1;
  fern__lc_post_stop(manager->root, NULL, NULL);
}

void fern__manager_end_if_stuck(fern__manager *manager, int status) {
  if (manager->dispatch.stuck == 0)
    return;
  fern__log(FERN_LOG_WARN, NULL,
            "%zu resolution%s never answered; fern ends without them",
            manager->dispatch.stuck, manager->dispatch.stuck == 1 ? "" : "s");
  fern__manager_end_now(manager, status, NULL);
}

void fern__manager_end_now(fern__manager *manager, int status,
                           const char *why, ...) {
  if (why != NULL) {
    char text[512];
    va_list ap;
    va_start(ap, why);
    vsnprintf(text, sizeof text, why, ap);
    va_end(ap);
    fern__log(FERN_LOG_ERROR, NULL,
              "%s: fern ends now without waiting further (each runner's "
              "guardian ends what is left)",
              text);
  }
  fern__control_close(manager->control);
  manager->control = NULL;
  fern__serve_dir_remove(manager);
  fern__events_close(&manager->events);
  fflush(stdout);
  fern__log_flush(1000);
  /* Not exit(): libuv's destructor joins the thread pool, and a worker
   * stuck in a resolver or a system call would hold fern for ever. The
   * guardians see fern go without its goodbye and end every component
   * process still there. */
  _exit(status);
}

void fern__manager_free(fern__manager *manager) {
  close_signals(manager);
  /* A start still parked for a route is refused, and its asker told. */
  manager->shutting_down = 1;
  fern__lc_unpark(manager);
  fern__lc_drain(manager);
  fern__lc_parked_discard(manager); /* none parks again: nothing is left */
  fern__lc_inbox_close(manager);
  uv_run(&manager->loop, UV_RUN_DEFAULT);
  fern__log_turn_close(&manager->log_turn);
  fern__control_close(manager->control);
  manager->control = NULL;
  fern__logbook_close(&manager->logbook);
  fern__instance_free(manager->root);
  while (manager->graveyard != NULL) {
    fern__instance *next = manager->graveyard->next_dead;
    fern__instance_free(manager->graveyard);
    manager->graveyard = next;
  }
  fern__env_unref(manager->root_env);
  fern__serve_dir_remove(manager);
  /* Plugins close their handles as they are released: let those closes
   * finish while the plugins' code is still loaded. */
  uv_run(&manager->loop, UV_RUN_DEFAULT);
  fern__resolutions_free(&manager->dispatch);
  fern__plugins_free(&manager->plugins);
  fern__events_close(&manager->events);
  free(manager->critical);
  json_decref(manager->timed_out);
  json_decref(manager->storage_roots);
  uv_loop_close(&manager->loop);
}
