/* lifecycle_end.c - the rows where a run ends: its runner's report is
 * taken in, said once (the "stopped" event and its log line), and its
 * controller released, now that the runner's own call has long returned.
 * A run that ended by itself takes its live children with it, and may be
 * restarted (restart.c); one that was stopped goes on with the stop.
 * Loop thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle_actions.h"
#include "log.h"

void fern__lc_release_controller(fern__instance *i, void *controller) {
  i->run.runner->runner->controller_release(controller);
  fern__capability_unref(i->run.runner);
  i->run.runner = NULL;
  i->manager->active--;
  i->holds--; /* the run named it (start_program) */
}

static void describe_end(const fern_stop_report_t *report, char *buf,
                         size_t size) {
  int n = snprintf(buf, size, "%s", fern_stop_status_name(report->status));
  if (n < 0 || (size_t)n >= size)
    return;
  const char *sig = report->term_signal > 0 ? sigabbrev_np(report->term_signal)
                                            : NULL;
  if (report->term_signal > 0)
    snprintf(buf + n, size - (size_t)n, " (signal %s%s)", sig ? sig : "?",
             report->core_dumped ? ", core dumped" : "");
  else if (report->exit_code >= 0)
    snprintf(buf + n, size - (size_t)n, " (exit %d)", report->exit_code);
  n = (int)strlen(buf);
  if (report->message != NULL && report->message[0] != '\0')
    snprintf(buf + n, size - (size_t)n, ": %s", report->message);
  /* What the run cost, as systemd says it at a unit's end ("Consumed 1.2s
   * CPU time"): "stopped: ok (exit 0), 1.2 s CPU, 14.3 MiB peak". */
  n = (int)strlen(buf);
  if (report->costs & FERN_COST_CPU)
    n += snprintf(buf + n, size - (size_t)n, ", %.1f s CPU",
                  (double)report->cpu_usec / 1e6);
  if ((report->costs & FERN_COST_PEAK_MEMORY) && (size_t)n < size)
    snprintf(buf + n, size - (size_t)n, ", %.1f MiB peak",
             (double)report->peak_memory_bytes / (1024.0 * 1024.0));
}

static json_t *end_fields(const fern_stop_report_t *report) {
  json_t *fields =
      json_pack("{s:s}", "status", fern_stop_status_name(report->status));
  if (report->exit_code >= 0)
    json_object_set_new(fields, "exit_code", json_integer(report->exit_code));
  if (report->term_signal > 0) {
    const char *name = sigabbrev_np(report->term_signal);
    json_object_set_new(fields, "signal", json_string(name ? name : "?"));
    json_object_set_new(fields, "core_dumped",
                        json_boolean(report->core_dumped));
  }
  if (report->costs & FERN_COST_CPU)
    json_object_set_new(fields, "cpu_s",
                        json_real((double)report->cpu_usec / 1e6));
  if (report->costs & FERN_COST_PEAK_MEMORY)
    json_object_set_new(fields, "peak_memory_bytes",
                        json_integer((json_int_t)report->peak_memory_bytes));
  if (report->message != NULL)
    json_object_set_new(fields, "message", json_string(report->message));
  return fields;
}

void fern__lc_announce_end(fern__instance *i,
                           const fern_stop_report_t *report) {
  char what[1024];
  describe_end(report, what, sizeof what);
  int fine = report->status == FERN_STOP_OK ||
             report->status == FERN_STOP_NOT_STARTED;
  fern__log(fine ? FERN_LOG_INFO : FERN_LOG_ERROR, i->moniker, "%s%s",
            report->status == FERN_STOP_CANNOT_START ? "" : "stopped: ", what);
  json_t *fields = end_fields(report);
  /* A start a connection asked for that did not come up says which. */
  if (fields != NULL && i->activated_by != NULL)
    json_object_set_new(fields, "capability", json_string(i->activated_by));
  fern__event(&i->manager->events, "stopped", i->moniker, fields);
}

/* Takes the report in: the status (killed_after_timeout once killed,
 * unless nothing ever ran), said once; the controller released. */
static void take_end(fern__instance *i, fern__input *in) {
  fern_stop_report_t report = in->report;
  report.message = in->text;
  if (i->state == FERN_STATE_KILLING &&
      report.status != FERN_STOP_NOT_STARTED)
    report.status = FERN_STOP_KILLED_AFTER_TIMEOUT;
  i->status = report.status;
  i->exit_code = report.exit_code;
  i->term_signal = report.term_signal;
  i->runs++;
  if (report.status == FERN_STOP_CANNOT_START && in->text != NULL) {
    free(i->error);
    i->error = strdup(in->text);
  }
  fern__lc_announce_end(i, &report);
  if (in->controller != NULL)
    fern__lc_release_controller(i, in->controller);
  else if (i->run.runner != NULL)
    fern__log(FERN_LOG_ERROR, i->moniker,
              "its runner reported its end with no run to end (from inside "
              "its start?); the run is kept");
  in->controller = NULL;
}

static int failed(const fern__instance *i) {
  return i->status != FERN_STOP_OK && i->status != FERN_STOP_NOT_STARTED;
}

/* Nothing outlives it: its live children stop, and a child waiting to
 * restart does not. */
static void stop_its_children(fern__instance *i) {
  for (size_t c = 0; c < i->child_count; c++) {
    fern__instance *child = i->children[c];
    if (fern__instance_is_live(child) ||
        child->state == FERN_STATE_RESTART_WAIT)
      fern__lc_stop_child(child);
  }
}

fern__state fern__act_run_ended(fern__instance *i, fern__input *in) {
  fern__manager *manager = i->manager;
  take_end(i, in);
  fern__state ended = i->status == FERN_STOP_CANNOT_START
                          ? FERN_STATE_START_FAILED
                          : FERN_STATE_STOPPED;
  fern__lc_set_state(i, ended, in);
  stop_its_children(i);
  if (i->on_terminate == FERN_ON_TERMINATE_REBOOT) {
    fern__manager_critical_failure(manager, i->moniker,
                                   "terminated (on_terminate: reboot)");
    return ended;
  }
  fern__state next = fern__restart_decide(i);
  if (next != FERN_STATE_COUNT)
    return next;
  if (failed(i))
    manager->failures++;
  if (i->dynamic && i->durability == FERN_DURABILITY_SINGLE_RUN)
    fern__dynamic_destroy(i, NULL, NULL, NULL);
  return ended;
}

static void note_timeout(fern__instance *i) {
  fern__manager *manager = i->manager;
  if (i->status == FERN_STOP_KILLED_AFTER_TIMEOUT && manager->shutting_down)
    json_array_append_new(manager->timed_out, json_string(i->moniker));
}

fern__state fern__act_stopped_on_request(fern__instance *i, fern__input *in) {
  take_end(i, in);
  note_timeout(i);
  if (failed(i))
    i->manager->failures++;
  return fern__lc_stop_advance(i, in);
}

/* A run of a subtree destroyed while it still ran (killed then): its end
 * is said and its controller released. */
fern__state fern__act_run_ended_destroyed(fern__instance *i, fern__input *in) {
  take_end(i, in);
  return i->state;
}

fern__state fern__act_run_ended_in_stop(fern__instance *i, fern__input *in) {
  take_end(i, in);
  if (failed(i))
    i->manager->failures++;
  return i->state;
}

fern__state fern__act_restart_due(fern__instance *i, fern__input *in) {
  if (in->epoch != i->timer_epoch)
    return i->state; /* a timer of before */
  /* A parent that is not up is not started for it. */
  fern__state next = fern__lc_start_from(i, in, "restart", 1);
  return next == FERN_STATE_RESTART_WAIT ? FERN_STATE_STOPPED : next;
}
