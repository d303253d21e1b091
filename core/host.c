/* host.c - the fern_host_t table: how plugins reach the manager. The table
 * carries no context pointer, so the one policy it consults is set here by
 * the manager that owns the process. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "log_queue.h"
#include "nofile.h"
#include "manager.h"
#include "package_path.h"
#include "policy.h"
#include "trusted_open.h"

static const json_t *host_policy;

static void host_log(fern_log_level level, const char *moniker,
                     const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fern__logv(level, moniker, fmt, ap);
  va_end(ap);
}

/* A runner's reports are inputs: queued here, handled on a later turn of
 * the loop, after the runner's own call has returned. */
static void post_pid(fern_instance_t *instance, fern__input_kind kind,
                     long pid) {
  fern__input *in = fern__lc_input(instance, kind);
  if (in == NULL)
    return;
  in->pid = pid;
  fern__lc_post(in);
}

static void host_started(fern_instance_t *instance, long pid) {
  post_pid(instance, FERN_IN_STARTED, pid);
}

/* The controller goes with the report: from now on nothing asks the
 * runner anything of it, and it is released once the report is handled. */
static void host_stopped(fern_instance_t *instance,
                         const fern_stop_report_t *report) {
  fern__input *in = fern__lc_input(instance, FERN_IN_STOPPED);
  if (in == NULL)
    return;
  in->report.status = report->status;
  in->report.exit_code = report->exit_code;
  in->report.term_signal = report->term_signal;
  in->report.core_dumped = report->core_dumped;
  in->text = report->message ? strdup(report->message) : NULL;
  in->controller = instance->run.controller;
  instance->run.controller = NULL;
  fern__lc_post(in);
}

static void host_extend_stop_timeout(fern_instance_t *instance, uint64_t ms) {
  fern__input *in = fern__lc_input(instance, FERN_IN_EXTEND_STOP);
  if (in == NULL)
    return;
  in->ms = ms;
  fern__lc_post(in);
}

static void host_main_pid(fern_instance_t *instance, long pid) {
  post_pid(instance, FERN_IN_MAIN_PID, pid);
}

static void host_awaits_ready(fern_instance_t *instance) {
  instance->run.awaits_ready = 1;
}

static void host_ready(fern_instance_t *instance) {
  fern__lc_post_kind(instance, FERN_IN_READY);
}

static void host_status(fern_instance_t *instance, const char *text) {
  fern__input *in = fern__lc_input(instance, FERN_IN_STATUS);
  if (in == NULL)
    return;
  in->text = strdup(text);
  fern__lc_post(in);
}

static int host_policy_allows(const char *privilege, const char *moniker,
                              fern_error_t *err) {
  return fern__policy_allows(host_policy, privilege, moniker, err);
}

static int host_open_trusted(const char *path, fern_error_t *err) {
  char why[sizeof err->message];
  int fd = fern__trusted_open(path, why, sizeof why);
  return fd >= 0 ? fd : fern_error_set(err, fd, NULL, "%s", why);
}

static void host_critical_failure(fern_instance_t *instance,
                                  const char *reason) {
  fern__manager_critical_failure(instance->manager, instance->moniker, reason);
}

void fern__host_init(fern_host_t *host, uv_loop_t *loop,
                     const json_t *policy) {
  memset(host, 0, sizeof *host);
  host_policy = policy;
  host->abi_major = FERN_HOST_ABI_MAJOR;
  host->abi_minor = FERN_HOST_ABI_MINOR;
  host->struct_size = sizeof *host;
  host->loop = loop;
  host->log = host_log;
  host->output = fern__log_output;
  host->started = host_started;
  host->stopped = host_stopped;
  host->package_path = fern__package_path;
  host->package_open = fern__package_open;
  host->open_trusted = host_open_trusted;
  host->output_room = fern__log_room;
  host->extend_stop_timeout = host_extend_stop_timeout;
  host->main_pid = host_main_pid;
  host->awaits_ready = host_awaits_ready;
  host->ready = host_ready;
  host->status = host_status;
  host->policy_allows = host_policy_allows;
  host->critical_failure = host_critical_failure;
  fern__nofile_original(&host->nofile_soft, &host->nofile_hard);
}
