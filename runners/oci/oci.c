/* oci.c - the OCI runner plugin: a component as an OCI container. The
 * program block names a root file system inside the package and the
 * program in it; fern writes the bundle's config.json (deterministic) into
 * a state directory it owns and starts fern-oci-shim, which drives the
 * runtime (runc by default; "runtime" in the runner's config or the
 * program picks another) with fern's own --root: create, start, wait,
 * delete. The shim runs in the component's job and the container's
 * cgroup is placed inside the job's, so stop, kill and "nothing outlives
 * its component" are the host's process service's. Runner config:
 * "runtime", "state_dir" (default /run/fern/oci), and the keys of
 * native.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/native.h"
#include "../common/runner_common.h"
#include "oci.h"
#include "oci_run.h"

/* Finds a program in the usual directories, unless given as a path. */
int oci_find_program(const char *name, char *out, size_t size) {
  static const char *const dirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin",
                                     "/usr/local/sbin", "/usr/local/bin",
                                     NULL};
  if (strchr(name, '/') != NULL) {
    snprintf(out, size, "%s", name);
    return access(out, X_OK);
  }
  for (size_t i = 0; dirs[i] != NULL; i++) {
    snprintf(out, size, "%s/%s", dirs[i], name);
    if (access(out, X_OK) == 0)
      return 0;
  }
  return -1;
}

void oci_mkdirs(const char *path) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      mkdir(buf, 0700);
      *p = '/';
    }
  }
  mkdir(buf, 0700);
}

/* Whether the root file system has directory `name` at its top (not a
 * link: the runtime would follow it). */
static int rootfs_has(const char *rootfs, const char *name) {
  char path[PATH_MAX + 8];
  struct stat st;
  snprintf(path, sizeof path, "%s/%s", rootfs, name);
  return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* "lifecycle": {"ready_event": "notify"} only. Readiness comes through
 * the runtime: runc and crun pass NOTIFY_SOCKET into the container (a
 * socket of their own bound there, NOTIFY_SOCKET naming it) and `start`
 * forwards READY=1 to fern's. A container is stopped by SIGTERM to its
 * init, not by the lifecycle channel. */
static int check_lifecycle(const json_t *lifecycle, fern_error_t *err) {
  const char *key;
  json_t *value;
  if (lifecycle != NULL && !json_is_object(lifecycle))
    return fern_error_set(err, FERN_EINVAL, "/lifecycle",
                          "\"lifecycle\" must be an object");
  json_object_foreach((json_t *)lifecycle, key, value) {
    if (strcmp(key, "ready_event") != 0 || !json_is_string(value) ||
        strcmp(json_string_value(value), "notify") != 0)
      return fern_error_set(err, FERN_EINVAL, "/lifecycle",
                            "the oci runner takes \"lifecycle\": "
                            "{\"ready_event\": \"notify\"} only (a "
                            "container is stopped by SIGTERM to its init)");
  }
  return FERN_OK;
}

static int wants_readiness(const json_t *program) {
  return json_object_get(json_object_get(program, "lifecycle"),
                         "ready_event") != NULL;
}

static const char *const program_keys[] = {
    "runner", "rootfs", "bundle", "binary", "args", "env", "cwd", "runtime",
    "memory_limit", "pids_limit", "forward_stdout_to", "forward_stderr_to",
    "system_mounts", "seccomp", "lifecycle", "image", NULL};

static void oci_runner_free(void *p) {
  oci_runner *r = p;
  json_decref(r->runtime_args);
  free(r);
}

/* The shim and the init run as fern's user for every container, like
 * plugin code: they must pass the rule plugins pass (only root or fern's
 * user can change them or any directory above), and they are then run
 * by a path nobody else can change. */
static int check_helpers(const fern_host_t *host, const oci_runner *r,
                         fern_error_t *err) {
  const char *helpers[] = {r->shim, r->init};
  for (int i = 0; i < 2; i++) {
    int fd = host->open_trusted(host->ctx, helpers[i], err);
    if (fd < 0)
      return fd;
    close(fd);
  }
  return FERN_OK;
}

/* "runtime" and "state_dir" are the OCI runner's; the rest the ELF
 * runner's it is built on. */
static int oci_validate_config(const json_t *config, fern_error_t *err) {
  static const char *const own[] = {"runtime", "state_dir"};
  if (config != NULL && !json_is_object(config))
    return fern_error_set(err, FERN_EINVAL, "",
                          "the oci runner's config must be an object");
  for (size_t k = 0; k < 2; k++) {
    json_t *v = json_object_get(config, own[k]);
    char at[32];
    snprintf(at, sizeof at, "/%s", own[k]);
    if (v != NULL && (!json_is_string(v) || json_string_length(v) == 0 ||
                      json_string_length(v) >= 900))
      return fern_error_set(err, FERN_EINVAL, at,
                            "oci runner config \"%s\" must be a path",
                            own[k]);
  }
  json_t *rest = config ? json_deep_copy(config) : json_object();
  if (rest == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  json_object_del(rest, "runtime");
  json_object_del(rest, "state_dir");
  json_object_del(rest, "runtime_args");
  int rc = oci_runtime_args_check(json_object_get(config, "runtime_args"),
                                  "the oci runner's config's", err);
  if (rc == FERN_OK)
    rc = native_config_validate(rest, "oci", NULL, err);
  json_decref(rest);
  return rc;
}

static int oci_create(const fern_host_t *host, const json_t *config,
                      void **out, fern_error_t *err) {
  oci_runner *r = calloc(1, sizeof *r);
  json_t *rest = config ? json_deep_copy(config) : json_object();
  if (r == NULL || rest == NULL) {
    free(r);
    json_decref(rest);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  const char *runtime = json_string_value(json_object_get(config, "runtime"));
  const char *state = json_string_value(json_object_get(config, "state_dir"));
  snprintf(r->runtime, sizeof r->runtime, "%s", runtime ? runtime : "runc");
  snprintf(r->state_dir, sizeof r->state_dir, "%s",
           state ? state : "/run/fern/oci");
  snprintf(r->root, sizeof r->root, "%s/runtime", r->state_dir);
  json_object_del(rest, "runtime");
  json_object_del(rest, "state_dir");
  json_object_del(rest, "runtime_args");
  r->runtime_args = json_deep_copy(json_object_get(config, "runtime_args"));
  native_runner *nr;
  int rc = native_runner_create(host, rest, "oci", &nr, err);
  json_decref(rest);
  if (rc != FERN_OK) {
    oci_runner_free(r);
    return rc;
  }
  /* The shim and the init are installed beside this plugin; one not
   * found is an empty path, which check_helpers refuses. */
  if (runner_beside_plugin("fern-oci-shim", r->shim, sizeof r->shim) != 0)
    r->shim[0] = '\0';
  if (runner_beside_plugin("fern-oci-init", r->init, sizeof r->init) != 0)
    r->init[0] = '\0';
  nr->ext = r;
  nr->ext_free = oci_runner_free;
  rc = check_helpers(host, r, err);
  if (rc != FERN_OK) {
    native_runner_release(nr);
    return rc;
  }
  char bundles[1100];
  snprintf(bundles, sizeof bundles, "%s/bundles", r->state_dir);
  oci_mkdirs(bundles);
  oci_mkdirs(r->root);
  oci_clean_leftovers(r);
  *out = nr;
  return FERN_OK;
}

/* The first job with a cgroup names the service's (its parent): dead
 * ferns' container cgroups beside it are swept then, once. */
static void note_cgroup_base(oci_runner *r, const char *job_cgroup) {
  if (r->swept || job_cgroup == NULL)
    return;
  r->swept = 1;
  snprintf(r->cgroup_base, sizeof r->cgroup_base, "%s", job_cgroup);
  char *slash = strrchr(r->cgroup_base, '/');
  if (slash != NULL)
    *slash = '\0';
  oci_sweep_dead_cgroups(r->cgroup_base);
  oci_make_parents(r->cgroup_base);
}

static int check_strings(const json_t *program, const char *key, int environ,
                         fern_error_t *err) {
  json_t *array = json_object_get(program, key);
  size_t i;
  json_t *item;
  if (array != NULL && !json_is_array(array))
    return fern_error_set(err, FERN_EINVAL, "", "\"%s\" must be an array", key);
  json_array_foreach(array, i, item) {
    const char *s = json_string_value(item);
    if (s == NULL || (environ && (strchr(s, '=') == NULL || s[0] == '=')))
      return fern_error_set(err, FERN_EINVAL, "",
                            "\"%s\" must hold %s", key,
                            environ ? "NAME=value strings" : "strings");
  }
  return FERN_OK;
}

static int oci_validate(const json_t *config, const json_t *program,
                        fern_error_t *err) {
  (void)config;
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)program, key, value) {
    size_t i = 0;
    while (program_keys[i] != NULL && strcmp(program_keys[i], key) != 0)
      i++;
    if (program_keys[i] == NULL) {
      char at[160];
      snprintf(at, sizeof at, "/%.100s", key);
      return fern_error_set(err, FERN_EINVAL, at,
                            "the oci runner does not know program key \"%s\" "
                            "(expected rootfs, binary, args, env, cwd, "
                            "runtime, memory_limit, pids_limit, "
                            "system_mounts, seccomp, lifecycle, image)",
                            key);
    }
  }
  /* What every kind of container takes, checked whatever the kind. */
  const char *cwd = json_string_value(json_object_get(program, "cwd"));
  if (json_object_get(program, "cwd") != NULL && (cwd == NULL || cwd[0] != '/'))
    return fern_error_set(err, FERN_EINVAL, "/cwd",
                          "\"cwd\" must be an absolute path in the container");
  int checked = check_lifecycle(json_object_get(program, "lifecycle"), err);
  if (checked != FERN_OK)
    return checked;
  static const char *const switches[] = {"system_mounts", "seccomp", NULL};
  for (size_t i = 0; switches[i] != NULL; i++) {
    json_t *v = json_object_get(program, switches[i]);
    if (v != NULL && !json_is_boolean(v))
      return fern_error_set(err, FERN_EINVAL, "", "\"%s\" must be true or "
                            "false", switches[i]);
  }
  static const char *const limits[] = {"memory_limit", "pids_limit", NULL};
  for (size_t i = 0; limits[i] != NULL; i++) {
    json_t *v = json_object_get(program, limits[i]);
    if (v != NULL && (!json_is_integer(v) || json_integer_value(v) <= 0))
      return fern_error_set(err, FERN_EINVAL, "",
                            "\"%s\" must be a positive integer", limits[i]);
  }
  if ((checked = check_strings(program, "args", 0, err)) != FERN_OK ||
      (checked = check_strings(program, "env", 1, err)) != FERN_OK)
    return checked;
  const char *rootfs = json_string_value(json_object_get(program, "rootfs"));
  const char *binary = json_string_value(json_object_get(program, "binary"));
  const char *bundle = json_string_value(json_object_get(program, "bundle"));
  const char *image = json_string_value(json_object_get(program, "image"));
  if ((rootfs != NULL) + (bundle != NULL) + (image != NULL) != 1)
    return fern_error_set(err, FERN_EINVAL, "",
                          "the oci runner needs one of \"rootfs\" (a root "
                          "file system inside the package, with \"binary\"), "
                          "\"image\" (an OCI image layout inside the "
                          "package, \"DIR:TAG\") or \"bundle\" (a prepared "
                          "OCI bundle inside the package)");
  if (bundle != NULL || (image != NULL && binary == NULL))
    return FERN_OK; /* the bundle's config or the image's says the rest */
  if (binary == NULL || binary[0] != '/')
    return fern_error_set(err, FERN_EINVAL, "/binary",
                          "\"binary\" must be the absolute path of the program "
                          "inside the root file system");
  return FERN_OK;
}

static void run_free(void *p) {
  oci_run *run = p;
  oci_delete_later(run);
  if (run->bundle[0] != '\0')
    oci_remove_bundle(run->bundle);
  json_decref(run->program);
  json_decref(run->uses);
  free(run->listen_names);
  free(run->config);
  free(run->package_dir);
  free(run->hostname);
  oci_image_free(&run->image);
  free(run);
}

/* Whether the prepared bundle's process wants a terminal, as `runc spec`
 * writes it ("terminal": true): the shim then gives the runtime a
 * console socket and forwards the terminal's output to the log. */
static int read_terminal(oci_run *run, fern_error_t *err) {
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/config.json", run->given_bundle);
  json_error_t why;
  json_t *config = json_load_file(path, 0, &why);
  if (config == NULL)
    return fern_error_set(err, FERN_EINVAL, "/bundle",
                          "bundle: %s:%d:%d: %s", path, why.line, why.column,
                          why.text);
  run->terminal = json_is_true(json_object_get(json_object_get(config,
                                                               "process"),
                                               "terminal"));
  json_decref(config);
  return FERN_OK;
}

/* Worker thread: the root file system is a directory of the package, and
 * the runtime and the shim exist. */
static int oci_prepare(void *arg, fern_spawn_plan_t *sp, fern_error_t *err) {
  oci_run *run = arg;
  (void)sp;
  const char *rootfs = json_string_value(json_object_get(run->program,
                                                         "rootfs"));
  const char *bundle = json_string_value(json_object_get(run->program,
                                                         "bundle"));
  const char *image = json_string_value(json_object_get(run->program,
                                                        "image"));
  int rc = image != NULL
               ? oci_image_prepare(run, image, err)
               : run->host->package_path(run->host->ctx, run->package_dir,
                                         rootfs ? rootfs : bundle,
                                         rootfs ? run->rootfs
                                                : run->given_bundle,
                                         PATH_MAX, err);
  if (image != NULL && rc != FERN_OK)
    return rc;
  if (rc != FERN_OK) {
    char why[sizeof err->message];
    memcpy(why, err->message, sizeof why);
    return fern_error_set(err, rc, rootfs ? "/rootfs" : "/bundle", "%s: %s",
                          rootfs ? "rootfs" : "bundle", why);
  }
  if (bundle != NULL && (rc = read_terminal(run, err)) != FERN_OK)
    return rc;
  if (bundle == NULL && wants_readiness(run->program) &&
      !rootfs_has(run->rootfs, "run"))
    return fern_error_set(err, FERN_EINVAL, "/lifecycle",
                          "readiness needs a /run directory in the root file "
                          "system: the runtime binds its notify socket under "
                          "it (fern mounts a tmpfs there, so nothing is "
                          "written into the package)");
  const char *runtime = json_string_value(json_object_get(run->program,
                                                          "runtime"));
  if (oci_find_program(runtime ? runtime : run->runner->runtime, run->runtime,
                   sizeof run->runtime) != 0)
    return fern_error_set(err, FERN_ENOENT, "/runtime",
                          "OCI runtime \"%s\" is not installed",
                          runtime ? runtime : run->runner->runtime);
  if (access(run->runner->shim, X_OK) != 0 ||
      access(run->runner->init, X_OK) != 0)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "%s or %s is missing (both are built and installed "
                          "beside oci.so)",
                          run->runner->shim, run->runner->init);
  return FERN_OK;
}

static int write_config(const fern_spawn_plan_t *sp, oci_run *run,
                        fern_error_t *err);

/* Loop thread, the job made: the bundle, then the shim's command line. */
static int oci_before_spawn(void *arg, fern_spawn_plan_t *sp,
                            fern_error_t *err) {
  oci_run *run = arg;
  note_cgroup_base(run->runner, sp->cgroup);
  const char *n = strchr(sp->job_id, '.');
  snprintf(run->id, sizeof run->id, "fern-%d-%llu-%s", (int)getpid(),
           runner_process_start(getpid()), n ? n + 1 : sp->job_id);
  snprintf(run->bundle, sizeof run->bundle, "%s/bundles/%s",
           run->runner->state_dir, run->id);
  oci_mkdirs(run->bundle);
  if (run->given_bundle[0] == '\0' && write_config(sp, run, err) != FERN_OK)
    return FERN_EIO;
  char pid_file[PATH_MAX];
  snprintf(pid_file, sizeof pid_file, "%s/init.pid", run->bundle);
  char **argv_shim = oci_shim_argv(run, pid_file, sp->notify_file);
  if (argv_shim == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  sp->wrapper_argv = argv_shim;
  sp->wrapper_path = strdup(run->runner->shim);
  sp->exit_codes_as_signals = 1;
  /* The shim takes the stop to the container (runtime kill ID TERM). */
  sp->term_wrapper_only = 1;
  return sp->wrapper_path != NULL
             ? FERN_OK
             : fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
}

/* The container's command, as Docker runs an image: the program block's
 * binary and args; else the image's Entrypoint, then the program block's
 * args if it has any, else the image's Cmd (image-spec config.md). */
static json_t *container_argv(const oci_run *run) {
  json_t *argv = json_array();
  const json_t *binary = json_object_get(run->program, "binary");
  const json_t *args = json_object_get(run->program, "args");
  if (binary != NULL) {
    json_array_append(argv, (json_t *)binary);
    json_array_extend(argv, (json_t *)args);
    return argv;
  }
  json_array_extend(argv, run->image.entrypoint);
  json_array_extend(argv, args != NULL ? (json_t *)args : run->image.cmd);
  return argv;
}

/* The image's Env, then the program block's env. */
static json_t *container_env(const oci_run *run) {
  json_t *env = json_array();
  json_array_extend(env, run->image.env);
  json_array_extend(env, json_object_get(run->program, "env"));
  return env;
}

/* Writes our bundle's config.json for the program block. */
static int write_config(const fern_spawn_plan_t *sp, oci_run *run,
                        fern_error_t *err) {
  json_t *argv = container_argv(run), *env = container_env(run);
  if (json_array_size(argv) == 0) {
    json_decref(argv);
    json_decref(env);
    return fern_error_set(err, FERN_EINVAL, "/binary",
                          "the image names no program (no Entrypoint or "
                          "Cmd), and the program block no \"binary\"");
  }
  const char *cwd = json_string_value(json_object_get(run->program, "cwd"));
  char cgroups[PATH_MAX + 8];
  if (sp->cgroup != NULL) {
    snprintf(cgroups, sizeof cgroups, "%s/ctr", sp->cgroup);
    snprintf(run->job_rel, sizeof run->job_rel, "%s", sp->cgroup);
  }
  oci_spec spec = {
      .rootfs = run->rootfs,
      .hostname = run->hostname,
      .argv = argv,
      .env = env,
      .cwd = cwd != NULL ? cwd : run->image.cwd,
      .uid = run->image.uid,
      .gid = run->image.gid,
      .memory_limit = json_integer_value(json_object_get(run->program,
                                                         "memory_limit")),
      .pids_limit = json_integer_value(json_object_get(run->program,
                                                       "pids_limit")),
      .cgroups_path = sp->cgroup != NULL ? cgroups : NULL,
      .init = run->runner->init,
      .uses = run->uses,
      .listen_count = run->listen_count,
      .listen_names = run->listen_names,
      .config = run->config,
      .rootfs_has_sys = rootfs_has(run->rootfs, "sys"),
      .no_system_mounts =
          json_is_false(json_object_get(run->program, "system_mounts")),
      .no_seccomp = json_is_false(json_object_get(run->program, "seccomp")),
      .run_tmpfs = wants_readiness(run->program),
  };
  char *text = oci_config_text(&spec);
  json_decref(argv);
  json_decref(env);
  char path[PATH_MAX + 16];
  snprintf(path, sizeof path, "%s/config.json", run->bundle);
  FILE *f = fopen(path, "we");
  int ok = f != NULL && text != NULL && fputs(text, f) >= 0;
  if (f != NULL && fclose(f) != 0)
    ok = 0;
  free(text);
  if (!ok)
    return fern_error_set(err, FERN_EIO, NULL, "cannot write %s", path);
  return FERN_OK;
}

static int oci_start(void *runner, const fern_start_info_t *info,
                     void **controller, fern_error_t *err) {
  native_runner *nr = runner;
  char *listen_names = NULL;
  int rc = oci_config_deliverable(info, err);
  if (rc != FERN_OK)
    return rc;
  rc = oci_serves_read(info, &listen_names, err);
  json_t *uses;
  if (rc == FERN_OK)
    rc = oci_uses_read(info, &uses, err);
  if (rc != FERN_OK) {
    free(listen_names);
    return rc;
  }
  oci_run *run = calloc(1, sizeof *run);
  const char *config = runner_config_path(info);
  char *config_copy = config != NULL ? strdup(config) : NULL;
  if (run == NULL || (config != NULL && config_copy == NULL)) {
    free(run);
    free(config_copy);
    json_decref(uses);
    free(listen_names);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  run->uses = uses;
  run->listen_names = listen_names;
  run->listen_count = runner_serve_count(info);
  run->config = config_copy;
  run->runner = nr->ext;
  run->host = nr->host;
  run->loop = nr->host->loop;
  run->program = json_deep_copy(info->program);
  run->package_dir = info->package_dir ? strdup(info->package_dir) : NULL;
  const char *slash = strrchr(info->moniker, '/');
  run->hostname = strdup(slash && slash[1] ? slash + 1 : "fern");
  /* The program block's binary is inside the container: nothing of the
   * package is executed, the shim is. */
  /* Readiness: the socket is a file, whose path the runtime is given
   * (crun takes no abstract one; runc takes either). */
  native_start how = {.flags = FERN_SPAWN_NO_EXEC |
                               (wants_readiness(info->program)
                                    ? FERN_SPAWN_NOTIFY_FILE
                                    : 0),
                      .prepare = oci_prepare,
                      .before_spawn = oci_before_spawn,
                      .hook_arg = run,
                      .hook_arg_free = run_free,
                      .delivers_uses = 1,
                      .delivers_serves = 1};
  return native_runner_start(nr, info, &how, controller, err);
}

FERN_RUNNER_PLUGIN(.name = "oci",
                   .description = "OCI containers through runc or crun",
                   .capabilities = FERN_RUNNER_CAP_GRACEFUL_STOP,
                   .validate_config = oci_validate_config,
                   .create = oci_create, .release = native_runner_release,
                   .validate = oci_validate, .start = oci_start,
                   .stop = native_op_stop, .kill = native_op_kill,
                   .controller_release = native_op_controller_release,
                   .cost = native_op_cost);
