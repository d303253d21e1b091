/* native_runner.c - a runner on the host's process service: its config,
 * its start (the program block read into a spawn request), and its
 * controller, which passes stop, kill and release on to the job. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"
#include "runner_common.h"

static const char *const job_kinds[] = {"auto", "cgroup", "subreaper",
                                        "process_group", NULL};
static const char *const exec_modes[] = {"auto", "descriptor", "name", NULL};

static int is_one_of(const char *value, const char *const *names) {
  for (; value != NULL && *names != NULL; names++)
    if (strcmp(value, *names) == 0)
      return 1;
  return 0;
}

static int index_of(const char *value, const char *const *names) {
  for (int i = 0; value != NULL && names[i] != NULL; i++)
    if (strcmp(value, names[i]) == 0)
      return i;
  return 0;
}

static int check_config_value(const char *key, const json_t *value,
                              const char *name, fern_error_t *err) {
  char at[128];
  snprintf(at, sizeof at, "/%s", key);
  if ((strcmp(key, "pidfd") == 0 || strcmp(key, "clone3") == 0) &&
      !json_is_boolean(value))
    return fern_error_set(err, FERN_EINVAL, at,
                          "%s runner config \"%s\" must be true or false",
                          name, key);
  if (strcmp(key, "job") == 0 && !is_one_of(json_string_value(value), job_kinds))
    return fern_error_set(err, FERN_EINVAL, at,
                          "%s runner config \"job\" must be \"auto\", "
                          "\"cgroup\", \"subreaper\" or \"process_group\"",
                          name);
  if (strcmp(key, "exec") == 0 &&
      !is_one_of(json_string_value(value), exec_modes))
    return fern_error_set(err, FERN_EINVAL, at,
                          "%s runner config \"exec\" must be \"auto\", "
                          "\"descriptor\" or \"name\"",
                          name);
  return FERN_OK;
}

int native_config_validate(const json_t *config, const char *name,
                           const char *const *extra_keys, fern_error_t *err) {
  static const char *const keys[] = {"job", "pidfd", "clone3", "exec", NULL};
  if (config != NULL && !json_is_object(config))
    return fern_error_set(err, FERN_EINVAL, "",
                          "the %s runner's config must be an object", name);
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)config, key, value) {
    if (runner_known_key(key, extra_keys))
      continue;
    if (!is_one_of(key, keys)) {
      char at[128];
      snprintf(at, sizeof at, "/%s", key);
      return fern_error_set(err, FERN_EINVAL, at,
                            "the %s runner's config takes \"job\", "
                            "\"pidfd\", \"clone3\" and \"exec\"%s; got "
                            "\"%s\"",
                            name, extra_keys ? " and its own" : "", key);
    }
    int rc = check_config_value(key, value, name, err);
    if (rc != FERN_OK)
      return rc;
  }
  return FERN_OK;
}

int native_runner_create(const fern_host_t *host, const json_t *config,
                         const char *name, native_runner **out,
                         fern_error_t *err) {
  native_runner *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  r->name = name;
  fern_procs_options_t options = {
      .struct_size = sizeof options,
      .name = name,
      .containment = (uint32_t)index_of(
          json_string_value(json_object_get(config, "job")), job_kinds),
      .watch_with_sigchld = json_is_false(json_object_get(config, "pidfd")),
      .spawn_with_fork = json_is_false(json_object_get(config, "clone3")),
      .exec = (uint32_t)index_of(
          json_string_value(json_object_get(config, "exec")), exec_modes)};
  int rc = host->procs_open(host->ctx, &options, &r->procs, err);
  if (rc != FERN_OK) {
    free(r);
    return rc;
  }
  *out = r;
  return FERN_OK;
}

void native_runner_release(void *runner) {
  native_runner *r = runner;
  if (r->ext_free != NULL)
    r->ext_free(r->ext);
  r->host->procs_close(r->host->ctx, r->procs);
  free(r);
}

/* The controller: the job, and the host that runs it. */
typedef struct native_run_s {
  const fern_host_t *host;
  fern_job_t *job;
} native_run;

void native_op_stop(void *controller) {
  native_run *run = controller;
  run->host->job_stop(run->host->ctx, run->job);
}

void native_op_kill(void *controller) {
  native_run *run = controller;
  run->host->job_kill(run->host->ctx, run->job);
}

int native_op_cost(void *controller, fern_cost_t *cost, fern_error_t *err) {
  native_run *run = controller;
  (void)err;
  return run->host->job_cost(run->host->ctx, run->job, cost);
}

void native_op_controller_release(void *controller) {
  native_run *run = controller;
  run->host->job_release(run->host->ctx, run->job);
  free(run);
}

/* A JSON array of strings as a NULL-terminated vector of borrowed
 * strings (job_start copies them). */
static const char **strings_of(const json_t *array) {
  size_t n = json_array_size(array);
  const char **v = calloc(n + 1, sizeof *v);
  for (size_t i = 0; v != NULL && i < n; i++)
    v[i] = json_string_value(json_array_get(array, i));
  return v;
}

/* Where the host placed what the component uses (runner ABI 2.1). */
static const char *info_namespace(const fern_start_info_t *info) {
  return info->struct_size >= offsetof(fern_start_info_t, namespace_dir) +
                                  sizeof info->namespace_dir
             ? info->namespace_dir
             : NULL;
}

/* fern's own variables of a start: FERN_NAMESPACE when the component
 * uses something, FERN_CONFIG when it has structured configuration. */
typedef struct own_environ_s {
  char namespace_[PATH_MAX + 16];
  char config[PATH_MAX + 16];
} own_environ;

static int is_set_by(const char *entry, const char *own) {
  const char *eq = strchr(own, '=');
  return own[0] != '\0' && eq != NULL &&
         strncmp(entry, own, (size_t)(eq - own) + 1) == 0;
}

/* The program block's "environ" and fern's own (which win). */
static const char **environ_with_fern(const fern_start_info_t *info,
                                      const own_environ *own) {
  const json_t *given = json_object_get(info->program, "environ");
  size_t n = json_array_size(given);
  const char **v = calloc(n + 3, sizeof *v);
  size_t k = 0;
  for (size_t i = 0; v != NULL && i < n; i++) {
    const char *entry = json_string_value(json_array_get(given, i));
    if (!is_set_by(entry, own->namespace_) && !is_set_by(entry, own->config))
      v[k++] = entry;
  }
  if (v != NULL && own->namespace_[0] != '\0')
    v[k++] = own->namespace_;
  if (v != NULL && own->config[0] != '\0')
    v[k++] = own->config;
  return v;
}

static void own_environ_of(const fern_start_info_t *info,
                            const native_start *how, own_environ *own) {
  const char *dir = how->delivers_uses && how->namespace_dir
                        ? how->namespace_dir
                        : info_namespace(info);
  const char *config = runner_config_path(info);
  own->namespace_[0] = own->config[0] = '\0';
  if (dir != NULL && info->use_count > 0)
    snprintf(own->namespace_, sizeof own->namespace_, "FERN_NAMESPACE=%s",
             dir);
  if (config != NULL)
    snprintf(own->config, sizeof own->config, "FERN_CONFIG=%s",
             how->config_path != NULL ? how->config_path : config);
}

/* Output goes to fern's log unless the block says otherwise ("none"; the
 * OCI runner takes any other value as that too). */
static int discards(const json_t *program, const char *key) {
  const json_t *v = json_object_get(program, key);
  return v != NULL && (!json_is_string(v) ||
                       strcmp(json_string_value(v), "log") != 0);
}

/* The flags the program block asks for. */
static uint32_t program_flags(const json_t *program) {
  const json_t *lifecycle = json_object_get(program, "lifecycle");
  const char *stop = json_string_value(json_object_get(lifecycle, "stop_event"));
  const char *ready = json_string_value(json_object_get(lifecycle,
                                                        "ready_event"));
  return (stop && strcmp(stop, "notify") == 0 ? FERN_SPAWN_LIFECYCLE : 0) |
         (ready && strcmp(ready, "notify") == 0 ? FERN_SPAWN_NOTIFY : 0) |
         (json_is_true(json_object_get(program, "main_process_critical"))
              ? FERN_SPAWN_CRITICAL
              : 0) |
         (discards(program, "forward_stdout_to") ? FERN_SPAWN_DISCARD_STDOUT
                                                 : 0) |
         (discards(program, "forward_stderr_to") ? FERN_SPAWN_DISCARD_STDERR
                                                 : 0);
}

int native_runner_start(native_runner *r, const fern_start_info_t *info,
                        const native_start *how, void **controller,
                        fern_error_t *err) {
  static const native_start plain = {0};
  if (how == NULL)
    how = &plain;
  if (!how->shares_namespace &&
      ((!how->delivers_uses &&
        runner_refuse_uses(info, r->name, err) != FERN_OK) ||
       (!how->delivers_serves &&
        runner_refuse_serves(info, r->name, err) != FERN_OK))) {
    if (how->hook_arg_free != NULL)
      how->hook_arg_free(how->hook_arg);
    return FERN_ENOTSUP;
  }
  native_run *run = calloc(1, sizeof *run);
  const char **args = strings_of(json_object_get(info->program, "args"));
  own_environ own;
  own_environ_of(info, how, &own);
  const char **environ_ = environ_with_fern(info, &own);
  int listen_fds[FERN_SPAWN_LISTEN_FDS];
  const char *listen_names[FERN_SPAWN_LISTEN_FDS];
  size_t listen_count = runner_serve_count(info);
  if (listen_count > FERN_SPAWN_LISTEN_FDS) {
    if (how->hook_arg_free != NULL)
      how->hook_arg_free(how->hook_arg);
    free(args);
    free(environ_);
    free(run);
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "a component may serve at most %d protocols here",
                          FERN_SPAWN_LISTEN_FDS);
  }
  for (size_t i = 0; i < listen_count && i < FERN_SPAWN_LISTEN_FDS; i++) {
    listen_fds[i] = info->serves[i].fd;
    listen_names[i] = info->serves[i].name;
  }
  fern_rlimit_t rlimits[NATIVE_RLIMITS_MAX];
  const json_t *timeout = json_object_get(
      json_object_get(info->program, "lifecycle"), "start_timeout_ms");
  fern_spawn_t spawn = {
      .struct_size = sizeof spawn,
      .moniker = info->moniker,
      .package_dir = info->package_dir,
      .exec = json_string_value(json_object_get(info->program, "binary")),
      .args = args,
      .environ = environ_,
      .rlimits = rlimits,
      .rlimit_count = native_program_rlimits(info->program, rlimits,
                                             NATIVE_RLIMITS_MAX),
      .start_timeout_ms = (uint64_t)json_integer_value(timeout),
      .flags = program_flags(info->program) | how->flags,
      .prepare = how->prepare,
      .before_spawn = how->before_spawn,
      .hook_arg = how->hook_arg,
      .hook_arg_free = how->hook_arg_free,
      .listen_fds = listen_fds,
      .listen_names = listen_names,
      .argv0 = json_string_value(json_object_get(info->program, "argv0")),
      .listen_count = listen_count};
  int rc;
  if (run == NULL || args == NULL || environ_ == NULL) {
    if (how->hook_arg_free != NULL)
      how->hook_arg_free(how->hook_arg);
    rc = fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  } else {
    run->host = r->host;
    rc = r->host->job_start(r->host->ctx, r->procs, info->instance, &spawn,
                            &run->job, err);
  }
  free(args);
  free(environ_);
  if (rc != FERN_OK) {
    free(run);
    return rc;
  }
  *controller = run;
  return FERN_OK;
}
