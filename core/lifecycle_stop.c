/* lifecycle_stop.c - stopping: a realm stops its children before itself,
 * one at a time in reverse start order; a program gets its runner's
 * graceful stop, then kill after its environment's stop timeout. A run
 * that ended by itself may be restarted (restart.c). Loop thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manager.h"
#include "stop_order.h"

static void advance_stop(fern__instance *instance);
static void stop_subtree(fern__instance *instance);

static void describe_stop(const fern__instance *instance,
                          const fern_stop_report_t *report, char *buf,
                          size_t size) {
  int n = snprintf(buf, size, "%s", fern_stop_status_name(instance->status));
  if (n < 0 || (size_t)n >= size)
    return;
  if (report->term_signal > 0)
    snprintf(buf + n, size - (size_t)n, " (signal %s%s)",
             sigabbrev_np(report->term_signal) ? sigabbrev_np(report->term_signal)
                                               : "?",
             report->core_dumped ? ", core dumped" : "");
  else if (report->exit_code >= 0)
    snprintf(buf + n, size - (size_t)n, " (exit %d)", report->exit_code);
  n = (int)strlen(buf);
  if (report->message != NULL && report->message[0] != '\0')
    snprintf(buf + n, size - (size_t)n, ": %s", report->message);
}

static void emit_stopped(const fern__instance *instance,
                         const fern_stop_report_t *report) {
  json_t *fields =
      json_pack("{s:s}", "status", fern_stop_status_name(instance->status));
  if (report->exit_code >= 0)
    json_object_set_new(fields, "exit_code", json_integer(report->exit_code));
  if (report->term_signal > 0) {
    const char *name = sigabbrev_np(report->term_signal);
    json_object_set_new(fields, "signal", json_string(name ? name : "?"));
    json_object_set_new(fields, "core_dumped",
                        json_boolean(report->core_dumped));
  }
  if (report->message != NULL)
    json_object_set_new(fields, "message", json_string(report->message));
  fern__event(&instance->manager->events, "stopped", instance->moniker,
              fields);
}

static void timer_free(uv_handle_t *handle) { free(handle); }

static void note_timeout(fern__manager *manager, const char *moniker) {
  if (manager->shutting_down)
    json_array_append_new(manager->timed_out, json_string(moniker));
}

static void release_run(fern__instance *instance) {
  instance->runner->runner->controller_release(instance->controller);
  instance->controller = NULL;
  fern__capability_unref(instance->runner);
  instance->runner = NULL;
  if (instance->stop_timer != NULL) {
    uv_close((uv_handle_t *)instance->stop_timer, timer_free);
    instance->stop_timer = NULL;
  }
  instance->state = FERN_STATE_STOPPED;
  instance->manager->active--;
}

void fern__lifecycle_on_stopped(fern__instance *instance,
                                const fern_stop_report_t *report) {
  fern__manager *manager = instance->manager;
  instance->status = instance->killed ? FERN_STOP_KILLED_AFTER_TIMEOUT
                                      : report->status;
  instance->exit_code = report->exit_code;
  instance->term_signal = report->term_signal;
  instance->ran = 1;
  char what[1024];
  describe_stop(instance, report, what, sizeof what);
  fern__log(instance->status == FERN_STOP_OK ? FERN_LOG_INFO : FERN_LOG_ERROR,
            instance->moniker, "%s%s",
            instance->status == FERN_STOP_CANNOT_START ? "" : "stopped: ",
            what);
  emit_stopped(instance, report);
  if (instance->killed)
    note_timeout(manager, instance->moniker);
  release_run(instance);
  int by_request = instance->stop_requested || manager->shutting_down;
  if (by_request) {
    if (instance->status != FERN_STOP_OK)
      manager->failures++;
    advance_stop(instance);
  } else {
    /* It ended by itself: nothing outlives it, and it may come back. */
    for (size_t i = 0; i < instance->child_count; i++)
      if (fern__instance_is_live(instance->children[i]))
        fern__lifecycle_stop(instance->children[i]);
    if (instance->on_terminate == FERN_ON_TERMINATE_REBOOT)
      fern__manager_critical_failure(manager, instance->moniker,
                                     "terminated (on_terminate: reboot)");
    else if (!fern__restart_after_stop(instance) &&
             instance->status != FERN_STOP_OK && !instance->failed)
      manager->failures++;
    fern__dynamic_on_stopped(instance);
  }
  fern__manager_check_idle(manager);
}

static void on_stop_timeout(uv_timer_t *timer) {
  fern__instance *instance = timer->data;
  if (instance->controller == NULL)
    return;
  fern__log(FERN_LOG_WARN, instance->moniker,
            "did not stop within %llu ms; killing it",
            (unsigned long long)instance->env->stop_timeout_ms);
  instance->killed = 1;
  instance->runner->runner->kill(instance->controller);
}

static void send_stop(fern__instance *instance) {
  const fern_runner_plugin_t *vt = instance->runner->runner;
  instance->stop_sent = 1;
  instance->state = FERN_STATE_STOPPING;
  if (!(vt->capabilities & FERN_RUNNER_CAP_GRACEFUL_STOP)) {
    vt->kill(instance->controller);
    return;
  }
  instance->stop_timer = malloc(sizeof *instance->stop_timer);
  if (instance->stop_timer != NULL) {
    uv_timer_init(&instance->manager->loop, instance->stop_timer);
    instance->stop_timer->data = instance;
    uv_timer_start(instance->stop_timer, on_stop_timeout,
                   instance->env->stop_timeout_ms, 0);
  }
  vt->stop(instance->controller);
}

static void stop_finished(fern__instance *instance) {
  fern__stop_waiter *waiters = instance->stop_waiters;
  instance->stop_waiters = NULL;
  fern__dynamic_on_parent_stopped(instance);
  while (waiters != NULL) {
    fern__stop_waiter *next = waiters->next;
    waiters->cb(waiters->arg, instance);
    free(waiters);
    waiters = next;
  }
}

static void advance_stop(fern__instance *instance) {
  if (!instance->stop_requested)
    return;
  int any_live;
  fern__instance *next = fern__stop_order_next(instance, &any_live);
  if (next != NULL)
    stop_subtree(next);
  if (any_live)
    return; /* its children first; each one's end comes back here */
  if (instance->controller != NULL) {
    if (!instance->stop_sent)
      send_stop(instance);
    return;
  }
  if (instance->state == FERN_STATE_RUNNING)
    instance->state = FERN_STATE_STOPPED;
  stop_finished(instance);
  if (instance->parent != NULL)
    advance_stop(instance->parent);
}

/* A stop the realm's order asked for: the order knows of it. */
static void stop_subtree(fern__instance *instance) {
  fern__restart_cancel(instance);
  instance->stop_requested = 1;
  advance_stop(instance);
}

void fern__lifecycle_stop(fern__instance *instance) {
  fern__stop_order_changed(instance->manager);
  stop_subtree(instance);
}

void fern__lifecycle_stop_then(fern__instance *instance, fern__stopped_cb cb,
                               void *arg) {
  fern__stop_waiter *waiter = calloc(1, sizeof *waiter);
  if (waiter != NULL) {
    waiter->cb = cb;
    waiter->arg = arg;
    waiter->next = instance->stop_waiters;
    instance->stop_waiters = waiter;
  }
  fern__lifecycle_stop(instance);
}

void fern__lifecycle_kill_all(fern__instance *instance) {
  for (size_t i = 0; i < instance->child_count; i++)
    fern__lifecycle_kill_all(instance->children[i]);
  if (instance->controller != NULL) {
    instance->killed = 1;
    instance->runner->runner->kill(instance->controller);
  }
}
