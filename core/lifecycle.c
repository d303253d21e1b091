/* lifecycle.c - resolving and starting: a component resolves, then (when
 * something asks) starts; eager children start once their parent runs (or,
 * if it reports readiness, once it is ready). Stopping is in
 * lifecycle_stop.c. Loop thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "manager.h"
#include "stop_order.h"

void fern__lifecycle_cannot_start(fern__instance *instance, const char *why) {
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
    fern__lifecycle_cannot_start(instance, instance->error);
  else if (instance->manager->mode == FERN_MODE_RUN &&
           instance->startup == FERN_STARTUP_LAZY && !instance->dynamic)
    fern__log(FERN_LOG_WARN, instance->moniker, "cannot be resolved: %s", why);
}

static void on_resolved(void *arg, const fern__resolution *res) {
  fern__instance *instance = arg;
  fern__manager *manager = instance->manager;
  manager->waiting--;
  if (instance->destroyed) {
    fern__manager_check_idle(manager);
    return;
  }
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
  }
  if (instance->on_resolved != NULL) {
    fern__resolved_hook hook = instance->on_resolved;
    instance->on_resolved = NULL;
    hook(instance->on_resolved_arg, instance);
  } else if (instance->start_requested && res->rc == FERN_OK) {
    fern__lifecycle_start(instance, instance->start_reason);
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
                                          instance->url, &parent, resolver,
                                          on_resolved, instance)
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

/* A failure before the resolution is queued still answers a waiting hook,
 * as on_resolved would. */
static void fail_before_resolution(fern__instance *instance, const char *why) {
  resolution_failed(instance, why);
  if (instance->on_resolved != NULL) {
    fern__resolved_hook hook = instance->on_resolved;
    instance->on_resolved = NULL;
    hook(instance->on_resolved_arg, instance);
  }
}

void fern__lifecycle_resolve(fern__instance *instance) {
  char why[1024];
  if (instance->depth > FERN__DEPTH_MAX) {
    snprintf(why, sizeof why,
             "the tree nests deeper than %d levels here (does a manifest "
             "include itself? %s)",
             FERN__DEPTH_MAX, instance->url);
    fail_before_resolution(instance, why);
    return;
  }
  if (instance->error != NULL) {
    snprintf(why, sizeof why, "%s", instance->error);
    fail_before_resolution(instance, why);
    return;
  }
  fern__url url;
  fern_error_t err;
  if (fern__url_parse(instance->url, &url, &err) != FERN_OK) {
    fail_before_resolution(instance, err.message);
    return;
  }
  if (begin_resolution(instance, &url, why, sizeof why) != 0)
    fail_before_resolution(instance, why);
  fern__url_free(&url);
}

void fern__lifecycle_start_eager_children(fern__instance *instance) {
  for (size_t i = 0; i < instance->child_count; i++)
    if (instance->children[i]->startup == FERN_STARTUP_EAGER)
      fern__lifecycle_start(instance->children[i], "eager");
}

static void program_error(fern__instance *instance,
                          const fern_error_t *runner_err, int rc) {
  fern__pointer pointer;
  fern_error_t err;
  snprintf(pointer, sizeof pointer, "/program%s", runner_err->key);
  fern__decl_error(instance->resolution->decl, &err, rc, pointer, "%s",
                   runner_err->message);
  fern__lifecycle_cannot_start(instance, err.message);
}

static int check_start_policy(fern__instance *instance) {
  fern_error_t err;
  if (instance->on_terminate == FERN_ON_TERMINATE_REBOOT &&
      instance->manager->host.policy_allows("reboot_on_terminate",
                                            instance->moniker,
                                            &err) != FERN_OK) {
    fern__lifecycle_cannot_start(instance, err.message);
    return -1;
  }
  return 0;
}

static fern__capability *find_runner(fern__instance *instance) {
  const fern__decl *decl = instance->resolution->decl;
  fern__capability *runner = fern__env_runner(instance->env, decl->runner);
  if (runner == NULL) {
    char names[512], why[1024];
    fern__env_runner_names(instance->env, names, sizeof names);
    snprintf(why, sizeof why,
             "runner \"%s\" is not registered in environment %s (it has: %s)",
             decl->runner, instance->env->label, names);
    fern__lifecycle_cannot_start(instance, why);
  }
  return runner;
}

static void start_program(fern__instance *instance) {
  const fern__decl *decl = instance->resolution->decl;
  fern__capability *runner;
  if (check_start_policy(instance) != 0 ||
      (runner = find_runner(instance)) == NULL)
    return;
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
  instance->stop_sent = instance->killed = 0;
  instance->runner = fern__capability_ref(runner);
  instance->manager->active++;
  rc = runner->runner->start(runner->state, &info, &instance->controller, &err);
  if (rc != FERN_OK) {
    instance->controller = NULL;
    fern__capability_unref(instance->runner);
    instance->runner = NULL;
    instance->manager->active--;
    fern__lifecycle_cannot_start(instance, err.message);
  }
}

static uint64_t monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void mark_started(fern__instance *instance, const char *reason) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  instance->start_reason = reason;
  instance->started_at = (double)ts.tv_sec + ts.tv_nsec / 1e9;
  instance->run_began_ms = monotonic_ms();
}

void fern__lifecycle_start(fern__instance *instance, const char *reason) {
  fern__stop_order_changed(instance->manager); /* a child may come alive */
  if (instance->manager->shutting_down || instance->stop_requested ||
      instance->destroyed || instance->failed)
    return;
  instance->start_requested = 1;
  instance->start_reason = reason;
  switch (instance->state) {
  case FERN_STATE_DISCOVERED:
  case FERN_STATE_RESOLVING:
    return; /* on_resolved starts it */
  case FERN_STATE_STOPPED:
    if (instance->resolution == NULL) {
      if (!instance->ran)
        fern__lifecycle_cannot_start(instance, instance->error
                                                   ? instance->error
                                                   : "not resolved");
      return;
    }
    break;
  case FERN_STATE_RESOLVED:
    break;
  default:
    return; /* already under way */
  }
  mark_started(instance, reason);
  if (instance->resolution->decl->program != NULL) {
    start_program(instance);
  } else {
    instance->state = FERN_STATE_RUNNING;
    instance->start_seq = ++instance->manager->start_seq;
    fern__lifecycle_start_eager_children(instance);
  }
}

static void clear_stop_marks(fern__instance *instance, void *arg) {
  (void)arg;
  if (instance->controller == NULL && instance->state != FERN_STATE_STOPPING)
    instance->stop_requested = 0;
}

int fern__lifecycle_request_start(fern__instance *instance, const char *reason,
                                  fern_error_t *err) {
  if (instance->manager->shutting_down)
    return fern_error_set(err, FERN_ESTATE, NULL, "fern is shutting down");
  if (instance->state == FERN_STATE_STOPPING || (instance->stop_requested &&
                                                 instance->controller != NULL))
    return fern_error_set(err, FERN_ESTATE, NULL, "%s is stopping",
                          instance->moniker);
  if (instance->resolution == NULL && instance->state == FERN_STATE_STOPPED)
    return fern_error_set(err, FERN_ENOENT, NULL, "%s cannot start: %s",
                          instance->moniker,
                          instance->error ? instance->error : "not resolved");
  fern__instance_walk(instance, clear_stop_marks, NULL);
  instance->failed = 0;
  /* What it depends on, its ancestors, start first. */
  for (fern__instance *a = instance->parent; a != NULL; a = a->parent)
    clear_stop_marks(a, NULL);
  fern__instance *chain[256];
  size_t depth = 0;
  for (fern__instance *a = instance->parent; a != NULL && depth < 256;
       a = a->parent)
    chain[depth++] = a;
  while (depth-- > 0)
    if (chain[depth]->state == FERN_STATE_RESOLVED ||
        chain[depth]->state == FERN_STATE_STOPPED)
      fern__lifecycle_start(chain[depth], "dependent");
  fern__lifecycle_start(instance, reason);
  return FERN_OK;
}

void fern__lifecycle_on_started(fern__instance *instance, long pid) {
  if (instance->state != FERN_STATE_STARTING)
    return;
  instance->state = FERN_STATE_RUNNING;
  /* Start order, for reverse-order stops, is the order they came up. */
  instance->start_seq = ++instance->manager->start_seq;
  fern__stop_order_started(instance);
  instance->pid = pid;
  /* A run with no local process (a cluster job) reports pid 0. */
  char pid_text[32] = "";
  if (pid > 0)
    snprintf(pid_text, sizeof pid_text, " (pid %ld)", pid);
  fern__log(FERN_LOG_INFO, instance->moniker, "started%s%s", pid_text,
            instance->awaiting_ready ? "; waiting for it to be ready" : "");
  fern__event(&instance->manager->events, "started", instance->moniker,
              json_pack("{s:I, s:s}", "pid", (json_int_t)pid, "reason",
                        instance->start_reason ? instance->start_reason : ""));
  if (!instance->stop_requested && !instance->awaiting_ready)
    fern__lifecycle_start_eager_children(instance);
}

void fern__lifecycle_on_ready(fern__instance *instance) {
  if (instance->state != FERN_STATE_RUNNING || instance->ready)
    return;
  instance->ready = 1;
  fern__log(FERN_LOG_INFO, instance->moniker, "ready");
  fern__event(&instance->manager->events, "ready", instance->moniker, NULL);
  if (!instance->stop_requested && instance->awaiting_ready)
    fern__lifecycle_start_eager_children(instance);
}

void fern__lifecycle_on_status(fern__instance *instance, const char *text) {
  free(instance->status_text);
  instance->status_text = strdup(text);
  fern__log(FERN_LOG_INFO, instance->moniker, "status: %s", text);
  fern__event(&instance->manager->events, "status", instance->moniker,
              json_pack("{s:s}", "status", text));
}
