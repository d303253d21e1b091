/* slurm.c - the Slurm runner plugin: its table and its config.
 *
 * Runner config (all optional):
 *   slurm_conf             SLURM_CONF for the Slurm commands
 *   bin_dir                where sbatch, srun, squeue, scontrol, scancel are
 *   output_dir             batch jobs' output files (default
 *                          /tmp/fern-slurm-UID; on a real cluster, a
 *                          directory every node shares with fern)
 *   stage_dir              where staged binaries land on the nodes (/tmp)
 *   poll_interval_ms       how often squeue is asked (1000)
 *   command_timeout_ms     one Slurm command's deadline (60000)
 *   controller_timeout_ms  how long a batch job may go unseen because the
 *                          controller does not answer (120000, Slurm's own
 *                          SlurmctldTimeout)
 *   accounting             whether to ask the cluster's accounting (sacct,
 *                          sstat) what jobs cost (true)
 *   accounting_wait_ms     how long a job's end may wait for its record
 *                          in the accounting (5000) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slurm.h"

static const char *const config_keys[] = {"slurm_conf",
                                          "bin_dir",
                                          "output_dir",
                                          "stage_dir",
                                          "poll_interval_ms",
                                          "command_timeout_ms",
                                          "controller_timeout_ms",
                                          "shared_paths",
                                          "accounting",
                                          "accounting_wait_ms", NULL};

static int config_string(const json_t *config, const char *key, char *out,
                         size_t size, fern_error_t *err) {
  json_t *v = json_object_get(config, key);
  if (v == NULL)
    return FERN_OK;
  char at[64];
  snprintf(at, sizeof at, "/%s", key);
  if (!json_is_string(v) || json_string_value(v)[0] != '/' ||
      json_string_length(v) >= size)
    return fern_error_set(err, FERN_EINVAL, at,
                          "slurm runner: \"%s\" must be an absolute path", key);
  snprintf(out, size, "%s", json_string_value(v));
  return FERN_OK;
}

static int config_ms(const json_t *config, const char *key, uint64_t *out,
                     fern_error_t *err) {
  json_t *v = json_object_get(config, key);
  if (v == NULL)
    return FERN_OK;
  char at[64];
  snprintf(at, sizeof at, "/%s", key);
  if (!json_is_integer(v) || json_integer_value(v) < 10)
    return fern_error_set(err, FERN_EINVAL, at,
                          "slurm runner: \"%s\" must be milliseconds, at "
                          "least 10",
                          key);
  *out = (uint64_t)json_integer_value(v);
  return FERN_OK;
}

/* "shared_paths": absolute paths of file systems every node mounts at the
 * same path; directories and storage there can be given to jobs. */
static int config_shared(const json_t *config, slurm_runner *r,
                         fern_error_t *err) {
  const json_t *list = json_object_get(config, "shared_paths");
  size_t i;
  json_t *v;
  if (list != NULL && (!json_is_array(list) ||
                       json_array_size(list) > SLURM_SHARED_MAX))
    return fern_error_set(err, FERN_EINVAL, "/shared_paths",
                          "slurm runner: \"shared_paths\" must be an array "
                          "of at most %d absolute paths",
                          SLURM_SHARED_MAX);
  json_array_foreach(list, i, v) {
    const char *path = json_string_value(v);
    if (path == NULL || path[0] != '/' || strlen(path) >= PATH_MAX - 64)
      return fern_error_set(err, FERN_EINVAL, "/shared_paths",
                            "slurm runner: \"shared_paths\" must hold "
                            "absolute paths");
    snprintf(r->shared[i], sizeof r->shared[i], "%s", path);
    /* Compared with real paths: no trailing '/'. */
    size_t n = strlen(r->shared[i]);
    while (n > 1 && r->shared[i][n - 1] == '/')
      r->shared[i][--n] = '\0';
    r->shared_count = i + 1;
  }
  return FERN_OK;
}

static int read_config(slurm_runner *r, const json_t *config,
                       fern_error_t *err) {
  const char *key;
  json_t *value;
  if (config != NULL && !json_is_object(config))
    return fern_error_set(err, FERN_EINVAL, "",
                          "slurm runner: its config must be an object");
  json_object_foreach((json_t *)config, key, value) {
    size_t i = 0;
    while (config_keys[i] != NULL && strcmp(config_keys[i], key) != 0)
      i++;
    char at[160];
    snprintf(at, sizeof at, "/%.100s", key);
    if (config_keys[i] == NULL)
      return fern_error_set(err, FERN_EINVAL, at,
                            "slurm runner: unknown config key \"%s\"", key);
  }
  int rc = config_string(config, "slurm_conf", r->slurm_conf,
                         sizeof r->slurm_conf, err);
  if (rc == FERN_OK)
    rc = config_string(config, "bin_dir", r->bin_dir, sizeof r->bin_dir, err);
  if (rc == FERN_OK)
    rc = config_string(config, "output_dir", r->output_dir,
                       sizeof r->output_dir, err);
  if (rc == FERN_OK)
    rc = config_string(config, "stage_dir", r->stage_dir, sizeof r->stage_dir,
                       err);
  if (rc == FERN_OK)
    rc = config_ms(config, "poll_interval_ms", &r->poll_interval_ms, err);
  if (rc == FERN_OK)
    rc = config_ms(config, "command_timeout_ms", &r->command_timeout_ms, err);
  if (rc == FERN_OK)
    rc = config_ms(config, "controller_timeout_ms", &r->controller_timeout_ms,
                   err);
  if (rc == FERN_OK)
    rc = config_shared(config, r, err);
  if (rc == FERN_OK)
    rc = config_ms(config, "accounting_wait_ms", &r->accounting_wait_ms, err);
  json_t *accounting = json_object_get(config, "accounting");
  if (rc == FERN_OK && accounting != NULL && !json_is_boolean(accounting))
    rc = fern_error_set(err, FERN_EINVAL, "/accounting",
                        "slurm runner: \"accounting\" must be true or false");
  if (rc == FERN_OK && accounting != NULL)
    r->accounting_wanted = json_is_true(accounting);
  return rc;
}

/* Reads the config into a runner nobody uses. */
static int slurm_validate_config(const json_t *config, fern_error_t *err) {
  slurm_runner *scratch = calloc(1, sizeof *scratch);
  if (scratch == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  int rc = read_config(scratch, config, err);
  free(scratch);
  return rc;
}

static int slurm_create(const fern_host_t *host, const json_t *config,
                        void **out, fern_error_t *err) {
  slurm_runner *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  r->poll_interval_ms = 1000;
  r->command_timeout_ms = 60000;
  r->controller_timeout_ms = 120000;
  r->accounting_wanted = 1;
  r->accounting_wait_ms = 5000;
  snprintf(r->output_dir, sizeof r->output_dir, "/tmp/fern-slurm-%u",
           (unsigned)getuid());
  snprintf(r->stage_dir, sizeof r->stage_dir, "/tmp");
  slurm_sweep_init(r);
  int rc = config != NULL ? read_config(r, config, err) : FERN_OK;
  if (rc != FERN_OK) {
    free(r);
    return rc;
  }
  *out = r;
  return FERN_OK;
}

static void slurm_release(void *runner) {
  slurm_runner *r = runner;
  r->released = 1;
  slurm_poll_close(r);
  slurm_runner_maybe_free(r);
}

static int slurm_validate(const json_t *config, const json_t *program,
                          fern_error_t *err) {
  (void)config;
  return slurm_program_validate(program, err);
}

static int slurm_start(void *runner, const fern_start_info_t *info,
                       void **controller, fern_error_t *err) {
  slurm_run *run = NULL; /* the host validated the block already */
  int rc = slurm_run_start(runner, info, &run, err);
  *controller = run;
  return rc;
}

static void slurm_stop(void *controller) { slurm_run_stop(controller); }

static void slurm_kill(void *controller) { slurm_run_kill(controller); }

static void slurm_controller_release(void *controller) {
  slurm_run_release(controller);
}

/* A job runs on the cluster's nodes: its cost is the cluster's
 * accounting's to say (slurm_cost.c). */
static int slurm_cost(void *controller, fern_cost_t *cost, fern_error_t *err) {
  return slurm_cost_get(controller, cost, err);
}

FERN_RUNNER_PLUGIN(.name = "slurm",
                   .description = "runs components as jobs on a Slurm cluster "
                                  "(sbatch or srun)",
                   .capabilities = FERN_RUNNER_CAP_GRACEFUL_STOP,
                   .validate_config = slurm_validate_config,
                   .create = slurm_create, .release = slurm_release,
                   .validate = slurm_validate, .start = slurm_start,
                   .stop = slurm_stop, .kill = slurm_kill,
                   .controller_release = slurm_controller_release,
                   .cost = slurm_cost);
