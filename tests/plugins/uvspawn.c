/* uvspawn.c - a runner as a plugin author would first write one: the
 * program is spawned with libuv's uv_spawn, and its exit comes through
 * libuv's own SIGCHLD handling. fern's other runners must leave its
 * children alone (the ELF runner's orphan reaper, in subreaper mode, once
 * reaped them first, and this runner never heard of the exit).
 * Program: {"runner": "uvspawn", "binary": "bin/tool", "args": [...]}. */
#include <fern/runner.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

typedef struct spawn_runner_s {
  const fern_host_t *host;
} spawn_runner;

typedef struct spawn_run_s {
  const fern_host_t *host;
  fern_instance_t *instance;
  uv_process_t process;
  fern_stop_report_t report;
  int exited;
} spawn_run;

static int spawn_create(const fern_host_t *host, const json_t *config,
                     void **runner, fern_error_t *err) {
  (void)config;
  spawn_runner *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  *runner = r;
  return FERN_OK;
}

static void spawn_release(void *runner) { free(runner); }

static int spawn_validate(const json_t *config, const json_t *program, fern_error_t *err) {
  (void)config;
  if (!json_is_string(json_object_get(program, "binary")))
    return fern_error_set(err, FERN_EINVAL, "/binary",
                          "\"binary\" must be a string");
  return FERN_OK;
}

static void on_closed(uv_handle_t *handle) {
  spawn_run *run = handle->data;
  run->host->stopped(run->host->ctx, run->instance, &run->report);
}

static void on_exit_cb(uv_process_t *process, int64_t status, int signal) {
  spawn_run *run = process->data;
  run->exited = 1;
  run->report.status = status == 0 && signal == 0 ? FERN_STOP_OK
                                                  : FERN_STOP_INSTANCE_DIED;
  run->report.exit_code = signal == 0 ? (int)status : -1;
  run->report.term_signal = signal;
  uv_close((uv_handle_t *)process, on_closed);
}

static int spawn_start(void *runner, const fern_start_info_t *info,
                    void **controller, fern_error_t *err) {
  spawn_runner *r = runner;
  char path[PATH_MAX];
  const char *binary = json_string_value(json_object_get(info->program, "binary"));
  int rc = r->host->package_path(r->host->ctx, info->package_dir, binary, path, sizeof path, err);
  if (rc != FERN_OK)
    return rc;
  const json_t *args = json_object_get(info->program, "args");
  char *argv[32] = {path};
  size_t n = 1;
  for (size_t i = 0; i < json_array_size(args) && n < 31; i++)
    argv[n++] = (char *)json_string_value(json_array_get(args, i));
  spawn_run *run = calloc(1, sizeof *run);
  if (run == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  run->host = r->host;
  run->instance = info->instance;
  run->report.struct_size = sizeof run->report;
  uv_stdio_container_t stdio[3] = {{UV_IGNORE, {0}}, {UV_INHERIT_FD, {.fd = 2}},
                                   {UV_INHERIT_FD, {.fd = 2}}};
  uv_process_options_t options = {.exit_cb = on_exit_cb, .file = path,
                                  .args = argv, .cwd = info->package_dir,
                                  .stdio_count = 3, .stdio = stdio};
  run->process.data = run;
  int spawned = uv_spawn(r->host->loop, &run->process, &options);
  if (spawned != 0) {
    free(run);
    return fern_error_set(err, FERN_ESPAWN, NULL, "uv_spawn: %s",
                          uv_strerror(spawned));
  }
  r->host->started(r->host->ctx, info->instance, (long)run->process.pid);
  *controller = run;
  return FERN_OK;
}

static void spawn_stop(void *controller) {
  spawn_run *run = controller;
  if (!run->exited)
    uv_process_kill(&run->process, SIGTERM);
}

static void spawn_kill(void *controller) {
  spawn_run *run = controller;
  if (!run->exited)
    uv_process_kill(&run->process, SIGKILL);
}

static void spawn_controller_release(void *controller) { free(controller); }

FERN_RUNNER_PLUGIN(.name = "uvspawn",
                   .description = "spawns with uv_spawn (a test of reaping)",
                   .capabilities = FERN_RUNNER_CAP_GRACEFUL_STOP,
                   .create = spawn_create, .release = spawn_release,
                   .validate = spawn_validate, .start = spawn_start,
                   .stop = spawn_stop, .kill = spawn_kill,
                   .controller_release = spawn_controller_release);
