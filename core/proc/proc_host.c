/* proc_host.c - the host table's process service calls (fern/process.h):
 * each takes the manager as ctx and passes on to the service (a
 * proc_service is a fern_procs_t, a proc_run a fern_job_t). */
#include "../manager.h"

static int host_procs_open(void *ctx, const fern_procs_options_t *options,
                           fern_procs_t **procs, fern_error_t *err) {
  fern__manager *manager = ctx;
  return proc_service_open(&manager->host, &manager->procs, options,
                           (proc_service **)procs, err);
}

static void host_procs_close(void *ctx, fern_procs_t *procs) {
  (void)ctx;
  proc_service_close((proc_service *)procs);
}

static int host_job_start(void *ctx, fern_procs_t *procs,
                          fern_instance_t *instance, const fern_spawn_t *spawn,
                          fern_job_t **job, fern_error_t *err) {
  (void)ctx;
  return proc_run_start((proc_service *)procs, instance, spawn,
                        (proc_run **)job, err);
}

static void host_job_stop(void *ctx, fern_job_t *job) {
  (void)ctx;
  proc_run_stop((proc_run *)job);
}

static void host_job_kill(void *ctx, fern_job_t *job) {
  (void)ctx;
  proc_run_kill((proc_run *)job);
}

static void host_job_release(void *ctx, fern_job_t *job) {
  (void)ctx;
  proc_run_release((proc_run *)job);
}

static int host_job_cost(void *ctx, fern_job_t *job, fern_cost_t *cost) {
  (void)ctx;
  return proc_run_cost((proc_run *)job, cost);
}

void fern__host_init_procs(fern_host_t *host) {
  host->procs_open = host_procs_open;
  host->procs_close = host_procs_close;
  host->job_start = host_job_start;
  host->job_stop = host_job_stop;
  host->job_kill = host_job_kill;
  host->job_release = host_job_release;
  host->job_cost = host_job_cost;
}
