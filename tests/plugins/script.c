/* script.c - the script runner of spawner.c, written on the host's process
 * service (fern/process.h) as a plugin author now writes one:
 * {"runner": ..., "script": "run.sh", "args": [...]} runs /bin/sh with the
 * package's script. The host checks the script is a file of the package,
 * spawns it in a job of its own (a cgroup where it can), forwards its
 * output, watches its exit, stops and kills it, and reports for the run;
 * the runner reads its program block and names /bin/sh as the wrapper.
 * The conformance suite runs it beside spawner.c (the same runner on
 * uv_spawn) and the measure is their sizes. */
#include <fern/runner.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct script_runner_s {
  const fern_host_t *host;
  fern_procs_t *procs;
} script_runner;

typedef struct script_run_s {
  const fern_host_t *host;
  fern_job_t *job;
} script_run;

static int script_validate(const json_t *config, const json_t *program,
                           fern_error_t *err) {
  (void)config;
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)program, key, value) {
    if (strcmp(key, "runner") != 0 && strcmp(key, "script") != 0 &&
        strcmp(key, "args") != 0) {
      fern_error_set(err, FERN_EINVAL, NULL, "unknown key \"%s\"", key);
      snprintf(err->key, sizeof err->key, "/%s", key);
      return FERN_EINVAL;
    }
  }
  const char *script = json_string_value(json_object_get(program, "script"));
  if (script == NULL || script[0] == '\0')
    return fern_error_set(err, FERN_EINVAL, "/script",
                          "\"script\" must name a file of the package");
  json_t *args = json_object_get(program, "args");
  size_t i;
  json_t *arg;
  if (args != NULL && !json_is_array(args))
    return fern_error_set(err, FERN_EINVAL, "/args", "\"args\" must be an array");
  json_array_foreach(args, i, arg) {
    if (!json_is_string(arg))
      return fern_error_set(err, FERN_EINVAL, "/args",
                            "\"args\" must hold strings");
  }
  return FERN_OK;
}

static int script_create(const fern_host_t *host, const json_t *config,
                         void **runner, fern_error_t *err) {
  (void)config;
  script_runner *r = calloc(1, sizeof *r);
  fern_procs_options_t options = {.struct_size = sizeof options,
                                  .name = "script"};
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  int rc = host->procs_open(host->ctx, &options, &r->procs, err);
  if (rc != FERN_OK)
    free(r);
  else
    *runner = r;
  return rc;
}

static void script_release(void *runner) {
  script_runner *r = runner;
  r->host->procs_close(r->host->ctx, r->procs);
  free(r);
}

/* /bin/sh SCRIPT ARGS..., the script being the file the host checked. */
static int run_with_sh(void *arg, fern_spawn_plan_t *plan, fern_error_t *err) {
  (void)arg;
  size_t n = 0;
  while (plan->args[n] != NULL)
    n++;
  char **argv = calloc(n + 3, sizeof *argv);
  plan->wrapper_argv = argv;
  plan->wrapper_path = strdup("/bin/sh");
  int ok = argv != NULL && plan->wrapper_path != NULL &&
           (argv[0] = strdup("sh")) != NULL &&
           (argv[1] = strdup(plan->exec_path)) != NULL;
  for (size_t i = 0; ok && i < n; i++)
    ok = (argv[i + 2] = strdup(plan->args[i])) != NULL;
  return ok ? FERN_OK : fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
}

static int script_start(void *runner, const fern_start_info_t *info,
                        void **controller, fern_error_t *err) {
  script_runner *r = runner;
  if (info->use_count > 0)
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "the script runner delivers no capabilities");
  json_t *args = json_object_get(info->program, "args");
  const char **argv = calloc(json_array_size(args) + 1, sizeof *argv);
  script_run *run = calloc(1, sizeof *run);
  for (size_t i = 0; argv != NULL && i < json_array_size(args); i++)
    argv[i] = json_string_value(json_array_get(args, i));
  fern_spawn_t spawn = {
      .struct_size = sizeof spawn,
      .moniker = info->moniker,
      .package_dir = info->package_dir,
      .exec = json_string_value(json_object_get(info->program, "script")),
      .args = argv,
      .prepare = run_with_sh};
  int rc = argv == NULL || run == NULL
               ? fern_error_set(err, FERN_ENOMEM, NULL, "out of memory")
               : r->host->job_start(r->host->ctx, r->procs, info->instance,
                                    &spawn, &run->job, err);
  free(argv);
  if (rc != FERN_OK) {
    free(run);
    return rc;
  }
  run->host = r->host;
  *controller = run;
  return FERN_OK;
}

static void script_stop(void *controller) {
  script_run *run = controller;
  run->host->job_stop(run->host->ctx, run->job);
}

static void script_kill(void *controller) {
  script_run *run = controller;
  run->host->job_kill(run->host->ctx, run->job);
}

static void script_controller_release(void *controller) {
  script_run *run = controller;
  run->host->job_release(run->host->ctx, run->job);
  free(run);
}

FERN_RUNNER_PLUGIN(.name = "script",
                   .description = "shell scripts, on the host's process "
                                  "service",
                   .capabilities = FERN_RUNNER_CAP_GRACEFUL_STOP,
                   .create = script_create, .release = script_release,
                   .validate = script_validate, .start = script_start,
                   .stop = script_stop, .kill = script_kill,
                   .controller_release = script_controller_release);
