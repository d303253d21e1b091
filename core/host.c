/* host.c - the fern_host_t table: how plugins reach the manager. Its ctx is
 * the manager; nothing here is process-wide but fern's log, which is the
 * process's stderr. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "log_queue.h"
#include "nofile.h"
#include "manager.h"
#include "package_path.h"
#include "policy.h"
#include "trusted_open.h"

static void host_log(void *ctx, fern_log_level level, const char *moniker,
                     const char *fmt, ...) {
  (void)ctx;
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

static void host_output(void *ctx, const char *moniker, int stream,
                        const char *line, size_t len) {
  (void)ctx;
  fern__log_output(moniker, stream, line, len);
}

static void host_output_cut(void *ctx, const char *moniker, int stream,
                            const char *line, size_t len) {
  (void)ctx;
  fern__log_output_cut(moniker, stream, line, len, 1);
}

static size_t host_output_room(void *ctx) {
  (void)ctx;
  return fern__log_room();
}

static void host_started(void *ctx, fern_instance_t *instance, long pid) {
  (void)ctx;
  post_pid(instance, FERN_IN_STARTED, pid);
}

/* The controller goes with the report: from now on nothing asks the
 * runner anything of it, and it is released once the report is handled. */
static void host_stopped(void *ctx, fern_instance_t *instance,
                         const fern_stop_report_t *report) {
  (void)ctx;
  fern__input *in = fern__lc_input(instance, FERN_IN_STOPPED);
  if (in == NULL)
    return;
  in->report.status = report->status;
  in->report.exit_code = report->exit_code;
  in->report.term_signal = report->term_signal;
  in->report.core_dumped = report->core_dumped;
  /* What it cost, from a runner of host ABI 2.5 or later. */
  if (report->struct_size >= offsetof(fern_stop_report_t, peak_memory_bytes) +
                                 sizeof report->peak_memory_bytes) {
    in->report.costs = report->costs;
    in->report.cpu_usec = report->cpu_usec;
    in->report.peak_memory_bytes = report->peak_memory_bytes;
  }
  in->text = report->message ? strdup(report->message) : NULL;
  in->controller = instance->run.controller;
  instance->run.controller = NULL;
  fern__lc_post(in);
}

static void host_extend_stop_timeout(void *ctx, fern_instance_t *instance,
                                     uint64_t ms) {
  (void)ctx;
  fern__input *in = fern__lc_input(instance, FERN_IN_EXTEND_STOP);
  if (in == NULL)
    return;
  in->ms = ms;
  fern__lc_post(in);
}

static void host_main_pid(void *ctx, fern_instance_t *instance, long pid) {
  (void)ctx;
  post_pid(instance, FERN_IN_MAIN_PID, pid);
}

static void host_awaits_ready(void *ctx, fern_instance_t *instance) {
  (void)ctx;
  instance->run.awaits_ready = 1;
}

static void host_ready(void *ctx, fern_instance_t *instance) {
  (void)ctx;
  fern__lc_post_kind(instance, FERN_IN_READY);
}

static void host_status(void *ctx, fern_instance_t *instance,
                        const char *text) {
  (void)ctx;
  fern__input *in = fern__lc_input(instance, FERN_IN_STATUS);
  if (in == NULL)
    return;
  in->text = strdup(text);
  fern__lc_post(in);
}

static int host_policy_allows(void *ctx, const char *privilege,
                              const char *moniker, fern_error_t *err) {
  fern__manager *manager = ctx;
  return fern__policy_allows(manager->policy, privilege, moniker, err);
}

static int host_package_path(void *ctx, const char *package_dir,
                             const char *relative, char *out, size_t out_size,
                             fern_error_t *err) {
  (void)ctx;
  return fern__package_path(package_dir, relative, out, out_size, err);
}

static int host_package_open(void *ctx, const char *package_dir,
                             const char *relative, char *out, size_t out_size,
                             fern_error_t *err) {
  (void)ctx;
  return fern__package_open(package_dir, relative, out, out_size, err);
}

static int host_open_trusted(void *ctx, const char *path, fern_error_t *err) {
  (void)ctx;
  char why[sizeof err->message];
  int fd = fern__trusted_open(path, why, sizeof why);
  return fd >= 0 ? fd : fern_error_set(err, fd, NULL, "%s", why);
}

static void host_critical_failure(void *ctx, fern_instance_t *instance,
                                  const char *reason) {
  fern__manager_critical_failure(ctx, instance->moniker, reason);
}

void fern__host_init(fern__manager *manager) {
  fern_host_t *host = &manager->host;
  memset(host, 0, sizeof *host);
  host->abi_major = FERN_HOST_ABI_MAJOR;
  host->abi_minor = FERN_HOST_ABI_MINOR;
  host->struct_size = sizeof *host;
  host->ctx = manager;
  host->loop = &manager->loop;
  fern__nofile_original(&host->nofile_soft, &host->nofile_hard);
  host->log = host_log;
  host->output = host_output;
  host->output_room = host_output_room;
  host->output_cut = host_output_cut;
  host->started = host_started;
  host->stopped = host_stopped;
  host->awaits_ready = host_awaits_ready;
  host->ready = host_ready;
  host->status = host_status;
  host->main_pid = host_main_pid;
  host->extend_stop_timeout = host_extend_stop_timeout;
  host->critical_failure = host_critical_failure;
  host->policy_allows = host_policy_allows;
  host->package_path = host_package_path;
  host->package_open = host_package_open;
  host->open_trusted = host_open_trusted;
  fern__host_init_procs(host);
}
