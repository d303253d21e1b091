/* elf.c - the ELF runner plugin: native Linux programs from a package.
 *
 * Start checks the binary on the thread pool (path inside the package, an
 * ELF program for this machine), then spawns it on the loop with its own
 * session and process group, its working directory the package, and its
 * stdout and stderr forwarded to fern's log. Stop is SIGTERM to the group;
 * kill is SIGKILL to the group. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "elf_runner.h"

static int elf_create(const fern_host_t *host, const json_t *config,
                      void **runner, fern_error_t *err) {
  if (config != NULL && json_object_size(config) > 0) {
    const char *key = json_object_iter_key(json_object_iter((json_t *)config));
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "the elf runner takes no config keys (got \"%s\")",
                          key);
  }
  elf_runner *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  *runner = r;
  return FERN_OK;
}

static void elf_release(void *runner) { free(runner); }

static int elf_validate(void *runner, const json_t *program,
                        fern_error_t *err) {
  (void)runner;
  return elf_program_validate(program, err);
}

static void free_strv(char **v) {
  for (size_t i = 0; v != NULL && v[i] != NULL; i++)
    free(v[i]);
  free(v);
}

static void controller_free(elf_controller *c) {
  free_strv(c->argv);
  free_strv(c->envp);
  free(c->moniker);
  free(c->package_dir);
  free(c->binary);
  free(c);
}

/* argv: slot 0 is filled with the binary's real path after the check. */
static char **make_argv(const json_t *args) {
  size_t n = json_array_size(args);
  char **argv = calloc(n + 2, sizeof *argv);
  for (size_t i = 0; argv != NULL && i < n; i++)
    if ((argv[i + 1] = strdup(json_string_value(json_array_get(args, i)))) ==
        NULL)
      return free_strv(argv), NULL;
  return argv;
}

static char *env_entry(const char *name, const char *value) {
  size_t n = strlen(name) + strlen(value) + 2;
  char *entry = malloc(n);
  if (entry != NULL)
    snprintf(entry, n, "%s=%s", name, value);
  return entry;
}

/* The environment is exactly program.environ plus fern's own variables. */
static char **make_envp(const json_t *environ, const fern_start_info_t *info) {
  size_t n = json_array_size(environ);
  char **envp = calloc(n + 3, sizeof *envp);
  if (envp == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if ((envp[i] = strdup(json_string_value(json_array_get(environ, i)))) ==
        NULL)
      return free_strv(envp), NULL;
  if ((envp[n] = env_entry("FERN_MONIKER", info->moniker)) == NULL ||
      (envp[n + 1] = env_entry("FERN_PACKAGE_DIR", info->package_dir)) == NULL)
    return free_strv(envp), NULL;
  return envp;
}

static int forward_wanted(const json_t *program, const char *key) {
  const char *v = json_string_value(json_object_get(program, key));
  return v == NULL || strcmp(v, "log") == 0;
}

static void check_work(uv_work_t *req) {
  elf_controller *c = req->data;
  c->check_rc = c->host->package_path(c->package_dir, c->binary,
                                      c->binary_path, sizeof c->binary_path,
                                      &c->check_err);
  if (c->check_rc == FERN_ENOENT) {
    char suggestion[256];
    elf_binary_suggest(c->package_dir, c->binary, suggestion,
                       sizeof suggestion);
    fern_error_set(&c->check_err, FERN_ENOENT, "/binary",
                   "binary \"%s\" not found in package %s%s%s%s", c->binary,
                   c->package_dir, suggestion[0] ? " (did you mean \"" : "",
                   suggestion, suggestion[0] ? "\"?)" : "");
  } else if (c->check_rc == FERN_OK) {
    c->check_rc = elf_binary_check(c->binary_path, c->binary, &c->check_err);
  }
}

static void check_done(uv_work_t *req, int status) {
  elf_controller *c = req->data;
  if (c->cancelled) {
    c->exited = 1;
    elf_process_report_now(c); /* stopped before it started: ok */
    return;
  }
  if (status != 0 || c->check_rc != FERN_OK) {
    c->start_failed = 1;
    snprintf(c->failure, sizeof c->failure, "%s",
             status != 0 ? "the binary check was cancelled"
                         : c->check_err.message);
    elf_process_report_now(c);
    return;
  }
  free(c->argv[0]);
  c->argv[0] = strdup(c->binary_path);
  if (elf_process_spawn(c) == FERN_OK)
    c->host->started(c->instance, (long)c->process.pid);
}

static int elf_start(void *runner, const fern_start_info_t *info,
                     void **controller, fern_error_t *err) {
  elf_runner *r = runner;
  if (info->package_dir == NULL)
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "the elf runner needs a package on the local disk");
  elf_controller *c = calloc(1, sizeof *c);
  if (c == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  c->host = r->host;
  c->instance = info->instance;
  c->moniker = strdup(info->moniker);
  c->package_dir = strdup(info->package_dir);
  c->binary = strdup(json_string_value(json_object_get(info->program, "binary")));
  c->argv = make_argv(json_object_get(info->program, "args"));
  c->envp = make_envp(json_object_get(info->program, "environ"), info);
  c->forward[ELF_STDOUT] = forward_wanted(info->program, "forward_stdout_to");
  c->forward[ELF_STDERR] = forward_wanted(info->program, "forward_stderr_to");
  c->check_work.data = c;
  if (c->moniker == NULL || c->package_dir == NULL || c->binary == NULL ||
      c->argv == NULL || c->envp == NULL ||
      uv_queue_work(r->host->loop, &c->check_work, check_work, check_done) != 0) {
    controller_free(c);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  *controller = c;
  return FERN_OK;
}

static int elf_stop(void *controller) {
  elf_controller *c = controller;
  if (!c->spawned) {
    c->cancelled = 1;
    return FERN_OK;
  }
  if (!c->exited) {
    c->term_sent = 1;
    elf_process_signal(c, SIGTERM);
  }
  return FERN_OK;
}

static int elf_kill(void *controller) {
  elf_controller *c = controller;
  if (!c->spawned)
    c->cancelled = 1;
  elf_process_signal(c, SIGKILL);
  return FERN_OK;
}

static void elf_controller_release(void *controller) {
  controller_free(controller);
}

FERN_RUNNER_PLUGIN(.name = "elf",
                   .description = "native Linux ELF programs from a package",
                   .capabilities =
                       FERN_RUNNER_CAP_GRACEFUL_STOP | FERN_RUNNER_CAP_KILL,
                   .create = elf_create, .release = elf_release,
                   .validate = elf_validate, .start = elf_start,
                   .stop = elf_stop, .kill = elf_kill,
                   .controller_release = elf_controller_release);
