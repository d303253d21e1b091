/* sandbox.c - the sandbox runner plugin: an ELF program run with
 * bubblewrap: every namespace unshared (the network only shared when the
 * manifest asks), all capabilities dropped, a new session, die-with-parent,
 * a tmpfs /tmp, the package bound read-only, and only the binary's own
 * interpreter and libraries bound besides (sandbox_command.c); a
 * deny-by-default seccomp filter on top. "sandbox": "none" runs the same
 * program plainly, for comparison. Everything else (jobs, stop, output,
 * readiness) is the host's process service's. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/runner_common.h"
#include "sandbox.h"

static const char *const sandbox_keys[] = {"sandbox", "network", "syscalls",
                                           NULL};

static int sandbox_validate_config(const json_t *config, fern_error_t *err) {
  return native_config_validate(config, "sandbox", NULL, err);
}

static int sandbox_validate(const json_t *config, const json_t *program,
                            fern_error_t *err) {
  (void)config;
  int rc = native_program_validate(program, "sandbox", sandbox_keys, err);
  if (rc != FERN_OK)
    return rc;
  json_t *mode = json_object_get(program, "sandbox");
  const char *m = json_string_value(mode);
  if (mode != NULL && (m == NULL || (strcmp(m, "bwrap") != 0 &&
                                     strcmp(m, "none") != 0)))
    return fern_error_set(err, FERN_EINVAL, "/sandbox",
                          "\"sandbox\" must be \"bwrap\" or \"none\"");
  json_t *net = json_object_get(program, "network");
  if (net != NULL && !json_is_boolean(net))
    return fern_error_set(err, FERN_EINVAL, "/network",
                          "\"network\" must be true or false");
  json_t *calls = json_object_get(program, "syscalls");
  if (calls != NULL && !json_is_array(calls))
    return fern_error_set(err, FERN_EINVAL, "/syscalls",
                          "\"syscalls\" must be an array of syscall names");
  size_t i;
  json_t *call;
  json_array_foreach(calls, i, call) {
    if (!json_is_string(call) || !sandbox_syscall_known(json_string_value(call)))
      return fern_error_set(err, FERN_EINVAL, "/syscalls",
                            "unknown syscall \"%s\" in \"syscalls\"",
                            json_is_string(call) ? json_string_value(call)
                                                 : "?");
  }
  return FERN_OK;
}

static int sandbox_create(const fern_host_t *host, const json_t *config,
                          void **runner, fern_error_t *err) {
  return native_runner_create(host, config, "sandbox",
                              (native_runner **)runner, err);
}

static void plan_free(void *p) {
  sandbox_plan *plan = p;
  sandbox_strings_free(plan->syscalls);
  sandbox_strings_free(plan->uses);
  free(plan);
}

static char **strings_copy(const json_t *array) {
  size_t n = json_array_size(array);
  char **v = calloc(n + 1, sizeof *v);
  for (size_t i = 0; v != NULL && i < n; i++)
    if ((v[i] = strdup(json_string_value(json_array_get(array, i)))) == NULL)
      return sandbox_strings_free(v), NULL;
  return v;
}

/* How a used capability is bound: a socket, or a directory whose rights
 * let it write, as it is; any other directory read-only, so that a write
 * there fails in the component (EROFS). */
static const char *bind_option(const fern_used_capability_t *use) {
  return use->kind == FERN_CAPABILITY_PROTOCOL || use->writable ? "--bind"
                                                                : "--ro-bind";
}

/* The binds of what it uses: each protocol's socket and each directory
 * at its path; and its configuration file, read-only at
 * FERN_CONFIG_PATH. */
static char **uses_read(const fern_start_info_t *info, int *protocols) {
  const char *config = runner_config_path(info);
  char **v = calloc(3 * (info->use_count + 1) + 1, sizeof *v);
  size_t n = 0;
  *protocols = 0;
  for (size_t i = 0; v != NULL && i < info->use_count; i++) {
    const fern_used_capability_t *use = &info->uses[i];
    *protocols |= use->kind == FERN_CAPABILITY_PROTOCOL;
    if ((v[n++] = strdup(bind_option(use))) == NULL ||
        (v[n++] = strdup(use->host_path)) == NULL ||
        (v[n++] = strdup(use->path)) == NULL)
      return sandbox_strings_free(v), NULL;
  }
  if (v != NULL && config != NULL &&
      ((v[n++] = strdup("--ro-bind")) == NULL ||
       (v[n++] = strdup(config)) == NULL ||
       (v[n++] = strdup(FERN_CONFIG_PATH)) == NULL))
    return sandbox_strings_free(v), NULL;
  return v;
}

/* Whether a use bound at `path` would hold FERN_CONFIG_PATH, so that the
 * configuration's bind lands in what it binds. */
static int covers_config(const char *path) {
  size_t n = strlen(path);
  return strncmp(FERN_CONFIG_PATH, path, n) == 0 &&
         (FERN_CONFIG_PATH[n] == '/' || FERN_CONFIG_PATH[n] == '\0');
}

/* Protocols, directories and storage, each with a path on this machine,
 * can be bound. */
static int uses_deliverable(const fern_start_info_t *info, fern_error_t *err) {
  for (size_t i = 0; i < info->use_count; i++)
    if (runner_config_path(info) != NULL && covers_config(info->uses[i].path))
      return fern_error_set(err, FERN_ENOTSUP, NULL,
                            "the sandbox runner binds the component's "
                            "configuration at %s, where it uses \"%s\" (%s)",
                            FERN_CONFIG_PATH, info->uses[i].name,
                            info->uses[i].path);
  for (size_t i = 0; i < info->use_count; i++)
    if ((info->uses[i].kind != FERN_CAPABILITY_PROTOCOL &&
         info->uses[i].kind != FERN_CAPABILITY_DIRECTORY &&
         info->uses[i].kind != FERN_CAPABILITY_STORAGE) ||
        info->uses[i].host_path == NULL)
      return fern_error_set(err, FERN_ENOTSUP, NULL,
                            "the sandbox runner cannot bind \"%s\" into the "
                            "sandbox: it binds protocols, directories and "
                            "storage",
                            info->uses[i].name);
  return FERN_OK;
}

static sandbox_plan *plan_read(const fern_host_t *host,
                               const fern_start_info_t *info) {
  const json_t *program = info->program;
  sandbox_plan *plan = calloc(1, sizeof *plan);
  if (plan == NULL)
    return NULL;
  const char *mode = json_string_value(json_object_get(program, "sandbox"));
  plan->enabled = mode == NULL || strcmp(mode, "bwrap") == 0;
  plan->network = json_is_true(json_object_get(program, "network"));
  const char *ready = json_string_value(json_object_get(
      json_object_get(program, "lifecycle"), "ready_event"));
  plan->notify = ready != NULL && strcmp(ready, "notify") == 0;
  plan->syscalls = strings_copy(json_object_get(program, "syscalls"));
  plan->uses = uses_read(info, &plan->uses_protocol);
  plan->serves = runner_serve_count(info) > 0;
  plan->host = host;
  if (plan->syscalls == NULL || plan->uses == NULL) {
    plan_free(plan);
    return NULL;
  }
  return plan;
}

/* The bubblewrap command line for this run. Worker thread. */
static int sandbox_prepare(void *arg, fern_spawn_plan_t *sp,
                           fern_error_t *err) {
  const sandbox_plan *plan = arg;
  return plan->enabled ? sandbox_command(plan, sp, err) : FERN_OK;
}

static int sandbox_start(void *runner, const fern_start_info_t *info,
                         void **controller, fern_error_t *err) {
  native_runner *r = runner;
  if (uses_deliverable(info, err) != FERN_OK)
    return FERN_ENOTSUP;
  sandbox_plan *plan = plan_read(r->host, info);
  if (plan == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  if (plan->enabled && access(BWRAP_PATH, X_OK) != 0) {
    plan_free(plan);
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "bubblewrap is not installed (%s); install the "
                          "bubblewrap package, or use \"sandbox\": \"none\"",
                          BWRAP_PATH);
  }
  /* Without the host's network its abstract sockets are out of reach: the
   * notify socket is a file, bound into the sandbox. The binary check
   * runs on the thread pool and calls sandbox_prepare when it is done. */
  native_start how = {
      .flags = FERN_SPAWN_ELF | (plan->enabled && plan->notify && !plan->network
                                     ? FERN_SPAWN_NOTIFY_FILE
                                     : 0),
      .prepare = sandbox_prepare,
      .hook_arg = plan,
      .hook_arg_free = plan_free,
      /* What it uses is bound at its path: its namespace is "/". */
      .namespace_dir = plan->enabled ? "/" : NULL,
      .delivers_uses = 1,
      .delivers_serves = 1,
      .config_path = plan->enabled && runner_config_path(info) != NULL
                         ? FERN_CONFIG_PATH
                         : NULL};
  return native_runner_start(r, info, &how, controller, err);
}

FERN_RUNNER_PLUGIN(.name = "sandbox",
                   .description = "ELF programs in a bubblewrap + seccomp "
                                  "sandbox",
                   .capabilities = FERN_RUNNER_CAP_GRACEFUL_STOP,
                   .validate_config = sandbox_validate_config,
                   .create = sandbox_create, .release = native_runner_release,
                   .validate = sandbox_validate, .start = sandbox_start,
                   .stop = native_op_stop, .kill = native_op_kill,
                   .controller_release = native_op_controller_release,
                   .cost = native_op_cost);
