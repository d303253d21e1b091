/* lifecycle.c - the state machine: resolve, start (eager children after
 * their parent), stop (children before parents; graceful, then kill after
 * the environment's stop timeout). Loop thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manager.h"

static void advance_stop(fern__instance *instance);

static void report_cannot_start(fern__instance *instance, const char *why) {
  if (instance->error == NULL || instance->error != why) {
    free(instance->error);
    instance->error = strdup(why);
  }
  fern__log(FERN_LOG_ERROR, instance->moniker, "cannot_start: %s",
            instance->error ? instance->error : why);
  fern__event(&instance->manager->events, "stopped", instance->moniker,
              json_pack("{s:s, s:s}", "status", "cannot_start", "message",
                        instance->error ? instance->error : why));
  instance->state = FERN_STATE_STOPPED;
  instance->status = FERN_STOP_CANNOT_START;
  instance->ran = 1;
  instance->manager->failures++;
}

/* Records why an instance cannot be resolved; it is reported when (if)
 * something starts it. */
static void resolution_failed(fern__instance *instance, const char *why) {
  free(instance->error);
  instance->error = strdup(why);
  instance->state = FERN_STATE_STOPPED;
  if (instance->start_requested)
    report_cannot_start(instance, instance->error);
  else if (instance->manager->mode == FERN_MODE_RUN &&
           instance->startup == FERN_STARTUP_LAZY)
    fern__log(FERN_LOG_WARN, instance->moniker, "cannot be resolved: %s", why);
}

static void on_resolved(void *arg, const fern__resolution *res) {
  fern__instance *instance = arg;
  fern__manager *manager = instance->manager;
  manager->waiting--;
  if (res->rc != FERN_OK) {
    resolution_failed(instance, res->error.message);
  } else {
    fern_error_t err;
    instance->resolution = res;
    instance->state = FERN_STATE_RESOLVED;
    fern__log(FERN_LOG_DEBUG, instance->moniker, "resolved %s",
              res->resolved_url);
    fern__event(&manager->events, "resolved", instance->moniker,
                json_pack("{s:s}", "url", res->resolved_url));
    if (fern__instance_add_children(instance, &err) != FERN_OK)
      resolution_failed(instance, err.message);
    for (size_t i = 0; i < instance->child_count; i++)
      fern__lifecycle_resolve(instance->children[i]);
    if (instance->start_requested)
      fern__lifecycle_start(instance);
  }
  fern__manager_check_idle(manager);
}

static int resolve_parent(const fern__instance *instance,
                          fern__resolve_parent *parent) {
  if (instance->parent == NULL || instance->parent->resolution == NULL)
    return -1;
  const fern__resolution *res = instance->parent->resolution;
  parent->package_url = res->package_url;
  parent->context = res->context;
  parent->scheme = res->scheme;
  return 0;
}

static int begin_resolution(fern__instance *instance, const fern__url *url,
                            char *why, size_t why_size) {
  fern__resolve_parent parent = {NULL, NULL, NULL};
  int absolute = url->kind == FERN_URL_ABSOLUTE;
  if (!absolute && resolve_parent(instance, &parent) != 0) {
    snprintf(why, why_size, "relative URL \"%s\" needs a parent component",
             instance->url);
    return -1;
  }
  const char *scheme = absolute ? url->scheme : parent.scheme;
  fern__capability *resolver = fern__env_resolver(instance->env, scheme);
  if (resolver == NULL) {
    snprintf(why, why_size,
             "no resolver for scheme \"%s\" (URL \"%s\") in environment %s",
             scheme, instance->url, instance->env->label);
    return -1;
  }
  char *key = absolute ? strdup(instance->url)
                       : fern__url_relative_key(parent.package_url,
                                                instance->url);
  instance->state = FERN_STATE_RESOLVING;
  instance->manager->waiting++;
  int rc = key ? fern__decl_cache_resolve(&instance->manager->cache, key,
                                          instance->url, url, &parent,
                                          resolver, on_resolved, instance)
               : FERN_ENOMEM;
  free(key);
  if (rc != FERN_OK) {
    instance->manager->waiting--;
    snprintf(why, why_size, "cannot queue the resolution: %s",
             fern_strerror(rc));
    return -1;
  }
  return 0;
}

void fern__lifecycle_resolve(fern__instance *instance) {
  char why[1024];
  if (instance->error != NULL) {
    snprintf(why, sizeof why, "%s", instance->error);
    resolution_failed(instance, why);
    return;
  }
  fern__url url;
  fern_error_t err;
  if (fern__url_parse(instance->url, &url, &err) != FERN_OK) {
    resolution_failed(instance, err.message);
    return;
  }
  if (begin_resolution(instance, &url, why, sizeof why) != 0)
    resolution_failed(instance, why);
  fern__url_free(&url);
}

static void start_eager_children(fern__instance *instance) {
  for (size_t i = 0; i < instance->child_count; i++)
    if (instance->children[i]->startup == FERN_STARTUP_EAGER)
      fern__lifecycle_start(instance->children[i]);
}

static int program_error(fern__instance *instance, const fern_error_t *runner_err,
                         int rc) {
  fern__pointer pointer;
  fern_error_t err;
  snprintf(pointer, sizeof pointer, "/program%s", runner_err->key);
  fern__decl_error(instance->resolution->decl, &err, rc, pointer, "%s",
                   runner_err->message);
  report_cannot_start(instance, err.message);
  return rc;
}

static void start_program(fern__instance *instance) {
  const fern__decl *decl = instance->resolution->decl;
  fern_error_t policy_err;
  if (instance->on_terminate == FERN_ON_TERMINATE_REBOOT &&
      instance->manager->host.policy_allows("reboot_on_terminate",
                                            instance->moniker,
                                            &policy_err) != FERN_OK) {
    report_cannot_start(instance, policy_err.message);
    return;
  }
  fern__capability *runner = fern__env_runner(instance->env, decl->runner);
  if (runner == NULL) {
    char names[512], why[1024];
    fern__env_runner_names(instance->env, names, sizeof names);
    snprintf(why, sizeof why,
             "runner \"%s\" is not registered in environment %s (it has: %s)",
             decl->runner, instance->env->label, names);
    report_cannot_start(instance, why);
    return;
  }
  fern_error_t err = {"", ""};
  int rc = runner->runner->validate(runner->state, decl->program, &err);
  if (rc != FERN_OK) {
    program_error(instance, &err, rc < 0 ? rc : FERN_EINVAL);
    return;
  }
  fern_start_info_t info = {
      .struct_size = sizeof info,
      .instance = instance,
      .moniker = instance->moniker,
      .url = instance->resolution->resolved_url,
      .package_dir = instance->resolution->package_dir,
      .program = decl->program,
      .stop_timeout_ms = instance->env->stop_timeout_ms,
  };
  instance->state = FERN_STATE_STARTING;
  instance->awaiting_ready = instance->ready = 0;
  instance->runner = fern__capability_ref(runner);
  instance->manager->active++;
  rc = runner->runner->start(runner->state, &info, &instance->controller, &err);
  if (rc != FERN_OK) {
    instance->controller = NULL;
    fern__capability_unref(instance->runner);
    instance->runner = NULL;
    instance->manager->active--;
    report_cannot_start(instance, err.message);
  }
}

void fern__lifecycle_start(fern__instance *instance) {
  if (instance->manager->shutting_down || instance->stop_requested)
    return;
  instance->start_requested = 1;
  switch (instance->state) {
  case FERN_STATE_DISCOVERED:
  case FERN_STATE_RESOLVING:
    return; /* on_resolved starts it */
  case FERN_STATE_STOPPED:
    if (instance->resolution == NULL && !instance->ran)
      report_cannot_start(instance, instance->error ? instance->error
                                                    : "not resolved");
    return;
  case FERN_STATE_RESOLVED:
    break;
  default:
    return; /* already under way */
  }
  if (instance->resolution->decl->program != NULL) {
    start_program(instance);
  } else {
    instance->state = FERN_STATE_RUNNING;
    start_eager_children(instance);
  }
}

void fern__lifecycle_on_started(fern__instance *instance, long pid) {
  if (instance->state != FERN_STATE_STARTING)
    return;
  instance->state = FERN_STATE_RUNNING;
  instance->pid = pid;
  fern__log(FERN_LOG_INFO, instance->moniker, "started (pid %ld)%s", pid,
            instance->awaiting_ready ? "; waiting for it to be ready" : "");
  fern__event(&instance->manager->events, "started", instance->moniker,
              json_pack("{s:I}", "pid", (json_int_t)pid));
  if (!instance->stop_requested && !instance->awaiting_ready)
    start_eager_children(instance);
}

void fern__lifecycle_on_ready(fern__instance *instance) {
  if (instance->state != FERN_STATE_RUNNING || instance->ready)
    return;
  instance->ready = 1;
  fern__log(FERN_LOG_INFO, instance->moniker, "ready");
  fern__event(&instance->manager->events, "ready", instance->moniker, NULL);
  if (!instance->stop_requested && instance->awaiting_ready)
    start_eager_children(instance);
}

void fern__lifecycle_on_status(fern__instance *instance, const char *text) {
  free(instance->status_text);
  instance->status_text = strdup(text);
  fern__log(FERN_LOG_INFO, instance->moniker, "status: %s", text);
  fern__event(&instance->manager->events, "status", instance->moniker,
              json_pack("{s:s}", "status", text));
}

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

static void timer_free(uv_handle_t *handle) { free(handle); }

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

static int child_is_live(const fern__instance *child) {
  return child->controller != NULL || child->state == FERN_STATE_RUNNING;
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
  if (instance->status != FERN_STOP_OK)
    manager->failures++;
  emit_stopped(instance, report);
  if (instance->on_terminate == FERN_ON_TERMINATE_REBOOT &&
      !instance->stop_requested && !manager->shutting_down)
    fern__manager_critical_failure(manager, instance->moniker,
                                   "terminated (on_terminate: reboot)");
  instance->runner->runner->controller_release(instance->controller);
  instance->controller = NULL;
  fern__capability_unref(instance->runner);
  instance->runner = NULL;
  if (instance->stop_timer != NULL) {
    uv_close((uv_handle_t *)instance->stop_timer, timer_free);
    instance->stop_timer = NULL;
  }
  instance->state = FERN_STATE_STOPPED;
  manager->active--;
  /* Nothing outlives its component: its children stop too. */
  for (size_t i = 0; i < instance->child_count; i++)
    if (child_is_live(instance->children[i]))
      fern__lifecycle_stop(instance->children[i]);
  if (instance->parent != NULL)
    advance_stop(instance->parent);
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

static void advance_stop(fern__instance *instance) {
  if (!instance->stop_requested)
    return;
  int waiting = 0;
  for (size_t i = 0; i < instance->child_count; i++) {
    fern__instance *child = instance->children[i];
    if (!child_is_live(child))
      continue;
    if (!child->stop_requested)
      fern__lifecycle_stop(child);
    waiting |= child_is_live(child);
  }
  if (waiting)
    return;
  if (instance->controller != NULL) {
    if (!instance->stop_sent)
      send_stop(instance);
    return;
  }
  if (instance->state == FERN_STATE_RUNNING)
    instance->state = FERN_STATE_STOPPED;
  if (instance->parent != NULL)
    advance_stop(instance->parent);
}

void fern__lifecycle_stop(fern__instance *instance) {
  instance->stop_requested = 1;
  advance_stop(instance);
}

void fern__lifecycle_kill_all(fern__instance *instance) {
  for (size_t i = 0; i < instance->child_count; i++)
    fern__lifecycle_kill_all(instance->children[i]);
  if (instance->controller != NULL) {
    instance->killed = 1;
    instance->runner->runner->kill(instance->controller);
  }
}
