/* host.c - the fern_host_t table: how plugins reach the manager. */
#include <string.h>

#include "log.h"
#include "manager.h"
#include "package_path.h"

static void host_log(fern_log_level level, const char *moniker,
                     const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fern__logv(level, moniker, fmt, ap);
  va_end(ap);
}

static void host_started(fern_instance_t *instance, long pid) {
  fern__lifecycle_on_started(instance, pid);
}

static void host_stopped(fern_instance_t *instance,
                         const fern_stop_report_t *report) {
  fern__lifecycle_on_stopped(instance, report);
}

void fern__host_init(fern_host_t *host, uv_loop_t *loop) {
  memset(host, 0, sizeof *host);
  host->abi_major = FERN_HOST_ABI_MAJOR;
  host->abi_minor = FERN_HOST_ABI_MINOR;
  host->struct_size = sizeof *host;
  host->loop = loop;
  host->log = host_log;
  host->output = fern__log_output;
  host->started = host_started;
  host->stopped = host_stopped;
  host->package_path = fern__package_path;
}
