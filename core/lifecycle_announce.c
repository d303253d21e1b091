/* lifecycle_announce.c - see lifecycle_announce.h. The run's own end (the
 * "stopped" event) is announced where the end is taken in
 * (fern__lc_announce_end, lifecycle_end.c); fern's own cannot_start goes
 * through the same builder. */
#include <stdio.h>

#include "lifecycle_actions.h"
#include "lifecycle_announce.h"
#include "log.h"

static void announce_resolved(fern__instance *instance, fern__state from) {
  fern__manager *manager = instance->manager;
  const char *url = instance->resolution->resolved_url;
  fern__log(FERN_LOG_DEBUG, instance->moniker, "resolved %s", url);
  fern__event(&manager->events, "resolved", instance->moniker,
              json_pack("{s:s}", "url", url));
  if (from != FERN_STATE_CREATING)
    return;
  fern__log(FERN_LOG_INFO, instance->moniker, "created in collection %s",
            instance->collection);
  fern__event(&manager->events, "created", instance->moniker,
              json_pack("{s:s, s:s}", "url", instance->url, "collection",
                        instance->collection));
}

static void announce_unresolved(fern__instance *instance) {
  fern__manager *manager = instance->manager;
  const char *why = instance->error ? instance->error : "not resolved";
  /* An eager child's failure is its cannot_start; a lazy one may never be
   * asked for, so the log says so now. */
  if (manager->mode == FERN_MODE_RUN &&
      instance->startup == FERN_STARTUP_LAZY && !instance->dynamic)
    fern__log(FERN_LOG_WARN, instance->moniker, "cannot be resolved: %s",
              why);
  fern__event(&manager->events, "unresolved", instance->moniker,
              json_pack("{s:s}", "message", why));
}

void fern__lc_announce_started(fern__instance *instance) {
  long pid = instance->run.pid;
  /* A run with no local process (a cluster job) reports pid 0. */
  char pid_text[32] = "";
  if (pid > 0)
    snprintf(pid_text, sizeof pid_text, " (pid %ld)", pid);
  const char *capability = instance->start_capability;
  char by[160] = "";
  if (capability != NULL)
    snprintf(by, sizeof by, " by a connection to protocol \"%s\"",
             capability);
  fern__log(FERN_LOG_INFO, instance->moniker, "started%s%s%s", pid_text, by,
            instance->run.awaits_ready ? "; waiting for it to be ready" : "");
  json_t *fields = json_pack("{s:I, s:s}", "pid", (json_int_t)pid, "reason",
                             instance->start_reason ? instance->start_reason
                                                    : "");
  if (fields != NULL && capability != NULL)
    json_object_set_new(fields, "capability", json_string(capability));
  fern__event(&instance->manager->events, "started", instance->moniker,
              fields);
}

static void announce_restarting(fern__instance *instance) {
  fern__log(FERN_LOG_INFO, instance->moniker,
            "restarting in %llu ms (attempt %u)",
            (unsigned long long)instance->delay_ms, instance->attempt);
  fern__event(&instance->manager->events, "restarting", instance->moniker,
              json_pack("{s:I, s:I}", "attempt", (json_int_t)instance->attempt,
                        "delay_ms", (json_int_t)instance->delay_ms));
}

static void announce_gave_up(fern__instance *instance) {
  uint64_t window = instance->restart.burst_window_ms;
  fern__log(FERN_LOG_ERROR, instance->moniker,
            "gave up: %u restarts within %llu ms; marked failed",
            instance->burst_len, (unsigned long long)window);
  fern__event(&instance->manager->events, "gave_up", instance->moniker,
              json_pack("{s:I, s:I}", "restarts",
                        (json_int_t)instance->burst_len, "window_ms",
                        (json_int_t)window));
}

static void announce_cannot_start(fern__instance *instance) {
  fern_stop_report_t report = {.struct_size = sizeof report,
                               .status = FERN_STOP_CANNOT_START,
                               .exit_code = -1,
                               .message = instance->error};
  fern__lc_announce_end(instance, &report);
}

static int caused_by(const fern__input *cause, fern__input_kind kind) {
  return cause != NULL && cause->kind == kind;
}

void fern__lc_announce(fern__instance *instance, fern__state from,
                       fern__state next, const fern__input *cause) {
  switch (next) {
  case FERN_STATE_RESOLVED:
    if (instance->resolution != NULL)
      announce_resolved(instance, from);
    break;
  case FERN_STATE_UNRESOLVED:
    announce_unresolved(instance);
    break;
  case FERN_STATE_RUNNING:
    if (from == FERN_STATE_STARTING)
      fern__lc_announce_started(instance);
    break;
  case FERN_STATE_READY:
    fern__log(FERN_LOG_INFO, instance->moniker, "ready");
    fern__event(&instance->manager->events, "ready", instance->moniker, NULL);
    break;
  case FERN_STATE_STOPPING_CHILDREN:
  case FERN_STATE_STOPPING:
    /* Once per stop: when it is asked, whether it waits for its children
     * and dependents first or is told to stop at once. */
    if (!fern__state_is_stopping(from))
      fern__event(&instance->manager->events, "stopping", instance->moniker,
                  NULL);
    break;
  case FERN_STATE_KILLING:
    if (caused_by(cause, FERN_IN_STOP_TIMEOUT))
      fern__log(FERN_LOG_WARN, instance->moniker,
                "did not stop within %llu ms; killing it",
                (unsigned long long)instance->env->stop_timeout_ms);
    break;
  case FERN_STATE_START_FAILED:
    if (!caused_by(cause, FERN_IN_STOPPED)) /* else its report said so */
      announce_cannot_start(instance);
    break;
  case FERN_STATE_RESTART_WAIT:
    announce_restarting(instance);
    break;
  case FERN_STATE_FAILED:
    announce_gave_up(instance);
    break;
  case FERN_STATE_DESTROYED:
    if (from != FERN_STATE_CREATING && from != FERN_STATE_DISCOVERED) {
      fern__log(FERN_LOG_INFO, instance->moniker, "destroyed");
      fern__event(&instance->manager->events, "destroyed", instance->moniker,
                  NULL);
    }
    break;
  default:
    break;
  }
}

void fern__lc_refusal_reason(const fern__instance *instance,
                             fern__input_kind kind, char *why, size_t size) {
  const char *moniker = instance->moniker;
  if (instance->state == FERN_STATE_DESTROYED)
    snprintf(why, size, "no component %s", moniker);
  else if (instance->state == FERN_STATE_CREATING)
    snprintf(why, size, "%s is still being created", moniker);
  else if (kind == FERN_IN_START && fern__state_is_stopping(instance->state))
    snprintf(why, size, "%s is stopping", moniker);
  else if (kind == FERN_IN_DESTROY)
    snprintf(why, size, "%s is %s; it is destroyed once stopped", moniker,
             fern__state_name(instance->state));
  else
    snprintf(why, size, "%s cannot take \"%s\" while %s", moniker,
             fern__input_name(kind), fern__state_name(instance->state));
}
