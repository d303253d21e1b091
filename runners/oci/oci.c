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
#include <dirent.h>
#include <fcntl.h>
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/native.h"
#include "../common/runner_common.h"
#include "oci.h"

typedef struct oci_runner_s {
  char cgroup_base[PATH_MAX]; /* the service's cgroup, relative, or "" */
  int swept; /* dead ferns' cgroups swept (at the first cgroup job) */
  char runtime[256];   /* name or path */
  char state_dir[1024];
  char root[1100];     /* the runtime's --root */
  char shim[PATH_MAX];
  char init[PATH_MAX];
} oci_runner;

typedef struct oci_run_s {
  oci_runner *runner;
  const fern_host_t *host;
  uv_loop_t *loop;
  char *package_dir;
  json_t *program;
  char *hostname;
  char runtime[PATH_MAX];
  char rootfs[PATH_MAX];
  char given_bundle[PATH_MAX]; /* a prepared bundle in the package, or "" */
  char job_rel[PATH_MAX];      /* the job's cgroup, relative, or "" */
  char id[96];
  char bundle[1200]; /* ours: config.json (unless given) and init.pid */
  json_t *uses;      /* oci_spec.uses */
  char *config;      /* oci_spec.config */
  size_t listen_count; /* the protocols it serves */
  char *listen_names;  /* "a:b" */
} oci_run;

static const char *const program_keys[] = {
    "runner", "rootfs", "bundle", "binary", "args", "env", "cwd", "runtime",
    "memory_limit", "pids_limit", "forward_stdout_to", "forward_stderr_to",
    NULL};

/* Finds a program in the usual directories, unless given as a path. */
static int find_program(const char *name, char *out, size_t size) {
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

static void mkdirs(const char *path) {
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

static void remove_bundle(const char *bundle) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/config.json", bundle);
  unlink(path);
  snprintf(path, sizeof path, "%s/init.pid", bundle);
  unlink(path);
  rmdir(bundle);
}

/* Runs `runtime --root ROOT delete --force ID` and waits: only at
 * start-up, for what an earlier fern left. */
static void delete_now(const oci_runner *r, const char *runtime,
                       const char *id) {
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(runtime, runtime, "--root", r->root, "delete", "--force", id,
          (char *)NULL);
    _exit(127);
  }
  if (pid > 0)
    waitpid(pid, NULL, 0);
}

/* Removes DIR's subdirectories, two levels down, then DIR: the cgroups
 * (job, container) a dead fern and its runtime left. Only empty cgroups go. */
static void remove_dead_cgroup(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char sub[PATH_MAX], leaf[PATH_MAX * 2];
  while (d != NULL && (e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.')
      continue;
    snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
    snprintf(leaf, sizeof leaf, "%s/ctr", sub);
    rmdir(leaf);
    rmdir(sub);
  }
  if (d != NULL)
    closedir(d);
  rmdir(dir);
}

/* The cgroups of ferns that are gone, in one hierarchy, beside ours. */
static void sweep_mount(const char *mount, int v2, void *parent) {
  (void)v2;
  char dir[PATH_MAX * 2], path[PATH_MAX * 3];
  snprintf(dir, sizeof dir, "%s%s", mount, (const char *)parent);
  DIR *d = opendir(dir);
  struct dirent *e;
  int pid;
  while (d != NULL && (e = readdir(d)) != NULL) {
    if (sscanf(e->d_name, "fern-%d-", &pid) == 1 && pid > 0 &&
        runner_process_start(pid) == 0) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      remove_dead_cgroup(path);
    }
  }
  if (d != NULL)
    closedir(d);
}

static void sweep_dead_cgroups(const char *base_rel) {
  char parent[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", base_rel);
  char *slash = strrchr(parent, '/');
  if (slash == NULL)
    return;
  *slash = '\0';
  runner_cgroup_mounts(sweep_mount, parent);
}

/* Containers of a fern that is gone: "fern-PID-START-N" where no process
 * PID started at START is alive. */
static void clean_leftovers(oci_runner *r) {
  char bundles[1100], runtime[PATH_MAX];
  snprintf(bundles, sizeof bundles, "%s/bundles", r->state_dir);
  /* The runtime's own state names every container it still knows. */
  DIR *d = opendir(r->root);
  struct dirent *e;
  int have_runtime = find_program(r->runtime, runtime, sizeof runtime) == 0;
  while (d != NULL && (e = readdir(d)) != NULL) {
    int pid = 0;
    unsigned long long start = 0;
    if (sscanf(e->d_name, "fern-%d-%llu-", &pid, &start) != 2 || pid <= 0 ||
        runner_process_start(pid) == start)
      continue;
    if (have_runtime)
      delete_now(r, runtime, e->d_name);
    char bundle[PATH_MAX];
    snprintf(bundle, sizeof bundle, "%s/%s", bundles, e->d_name);
    remove_bundle(bundle);
  }
  if (d != NULL)
    closedir(d);
}

/* The shim and the init are installed beside this plugin. fern loads a
 * plugin through the descriptor it checked, so dladdr names
 * /proc/self/fd/N: realpath follows that to the file. */
static void beside_plugin(const char *name, char *out, size_t size) {
  Dl_info info;
  char self[PATH_MAX] = ".";
  if (dladdr((void *)beside_plugin, &info) == 0 || info.dli_fname == NULL ||
      realpath(info.dli_fname, self) == NULL)
    snprintf(self, sizeof self, ".");
  snprintf(out, size, "%s/%s", dirname(self), name);
}

static void oci_runner_free(void *p) { free(p); }

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
  int rc = native_config_validate(rest, "oci", NULL, err);
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
  native_runner *nr;
  int rc = native_runner_create(host, rest, "oci", &nr, err);
  json_decref(rest);
  if (rc != FERN_OK) {
    free(r);
    return rc;
  }
  beside_plugin("fern-oci-shim", r->shim, sizeof r->shim);
  beside_plugin("fern-oci-init", r->init, sizeof r->init);
  nr->ext = r;
  nr->ext_free = oci_runner_free;
  rc = check_helpers(host, r, err);
  if (rc != FERN_OK) {
    native_runner_release(nr);
    return rc;
  }
  char bundles[1100];
  snprintf(bundles, sizeof bundles, "%s/bundles", r->state_dir);
  mkdirs(bundles);
  mkdirs(r->root);
  clean_leftovers(r);
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
  sweep_dead_cgroups(r->cgroup_base);
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
                            "runtime, memory_limit, pids_limit)",
                            key);
    }
  }
  const char *rootfs = json_string_value(json_object_get(program, "rootfs"));
  const char *binary = json_string_value(json_object_get(program, "binary"));
  const char *bundle = json_string_value(json_object_get(program, "bundle"));
  if ((rootfs == NULL) == (bundle == NULL))
    return fern_error_set(err, FERN_EINVAL, "",
                          "the oci runner needs either \"rootfs\" (a root "
                          "file system inside the package, with \"binary\") "
                          "or \"bundle\" (a prepared OCI bundle inside the "
                          "package)");
  if (bundle != NULL)
    return check_strings(program, "args", 0, err); /* its config says it all */
  if (binary == NULL || binary[0] != '/')
    return fern_error_set(err, FERN_EINVAL, "/binary",
                          "\"binary\" must be the absolute path of the program "
                          "inside the root file system");
  const char *cwd = json_string_value(json_object_get(program, "cwd"));
  if (json_object_get(program, "cwd") != NULL && (cwd == NULL || cwd[0] != '/'))
    return fern_error_set(err, FERN_EINVAL, "/cwd",
                          "\"cwd\" must be an absolute path in the container");
  static const char *const limits[] = {"memory_limit", "pids_limit", NULL};
  for (size_t i = 0; limits[i] != NULL; i++) {
    json_t *v = json_object_get(program, limits[i]);
    if (v != NULL && (!json_is_integer(v) || json_integer_value(v) <= 0))
      return fern_error_set(err, FERN_EINVAL, "",
                            "\"%s\" must be a positive integer", limits[i]);
  }
  int rc = check_strings(program, "args", 0, err);
  return rc == FERN_OK ? check_strings(program, "env", 1, err) : rc;
}

/* The runtime makes the container's cgroup, with its parents, in every
 * hierarchy (v1 controllers too, on hybrid machines), and removes only the
 * leaf: remove the job's directory (and the runner's, when it is empty)
 * wherever a cgroup file system is mounted. */
typedef struct cgroup_rels_s {
  const char *job, *base;
} cgroup_rels;

static void remove_in_mount(const char *mount, int v2, void *arg) {
  const cgroup_rels *rels = arg;
  char path[PATH_MAX * 2];
  (void)v2;
  snprintf(path, sizeof path, "%s%s/ctr", mount, rels->job);
  rmdir(path);
  snprintf(path, sizeof path, "%s%s", mount, rels->job);
  rmdir(path);
  snprintf(path, sizeof path, "%s%s", mount, rels->base);
  rmdir(path); /* fails, as it should, while other jobs live there */
}

static void remove_cgroup_dirs(const char *job_rel, const char *base_rel) {
  cgroup_rels rels = {job_rel, base_rel};
  runner_cgroup_mounts(remove_in_mount, &rels);
}

typedef struct delete_op_s {
  uv_process_t process;
  char job_rel[PATH_MAX];
  char base_rel[PATH_MAX];
} delete_op;

static void on_delete_exit(uv_process_t *process, int64_t status, int sig) {
  delete_op *op = (delete_op *)process;
  (void)status, (void)sig;
  if (op->job_rel[0] != '\0')
    remove_cgroup_dirs(op->job_rel, op->base_rel);
  uv_close((uv_handle_t *)process, (uv_close_cb)free);
}

/* The shim deletes the container when it ends normally; a shim killed
 * after the stop timeout cannot, so every run ends with a delete here too
 * (quiet: usually the container is gone already). */
static void delete_later(oci_run *run) {
  delete_op *op = calloc(1, sizeof *op);
  if (op == NULL || run->id[0] == '\0' || run->runtime[0] == '\0') {
    free(op);
    return;
  }
  snprintf(op->job_rel, sizeof op->job_rel, "%s", run->job_rel);
  snprintf(op->base_rel, sizeof op->base_rel, "%s", run->runner->cgroup_base);
  uv_process_t *process = &op->process;
  char *args[] = {run->runtime, "--root", run->runner->root, "delete",
                  "--force", run->id, NULL};
  uv_stdio_container_t stdio[3] = {{UV_IGNORE, {0}}, {UV_IGNORE, {0}},
                                   {UV_IGNORE, {0}}};
  uv_process_options_t options = {.exit_cb = on_delete_exit,
                                  .file = run->runtime,
                                  .args = args,
                                  .stdio_count = 3,
                                  .stdio = stdio};
  if (uv_spawn(run->loop, process, &options) != 0)
    uv_close((uv_handle_t *)process, (uv_close_cb)free);
}

static void run_free(void *p) {
  oci_run *run = p;
  delete_later(run);
  if (run->bundle[0] != '\0')
    remove_bundle(run->bundle);
  json_decref(run->program);
  json_decref(run->uses);
  free(run->listen_names);
  free(run->config);
  free(run->package_dir);
  free(run->hostname);
  free(run);
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
  int rc = run->host->package_path(run->host->ctx, run->package_dir,
                                   rootfs ? rootfs : bundle,
                                 rootfs ? run->rootfs : run->given_bundle,
                                 PATH_MAX, err);
  if (rc != FERN_OK) {
    char why[sizeof err->message];
    memcpy(why, err->message, sizeof why);
    return fern_error_set(err, rc, rootfs ? "/rootfs" : "/bundle", "%s: %s",
                          rootfs ? "rootfs" : "bundle", why);
  }
  const char *runtime = json_string_value(json_object_get(run->program,
                                                          "runtime"));
  if (find_program(runtime ? runtime : run->runner->runtime, run->runtime,
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

static char *strv_dup(const char *s) { return strdup(s ? s : ""); }

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
  mkdirs(run->bundle);
  if (run->given_bundle[0] == '\0' && write_config(sp, run, err) != FERN_OK)
    return FERN_EIO;
  char pid_file[PATH_MAX];
  snprintf(pid_file, sizeof pid_file, "%s/init.pid", run->bundle);
  char **argv_shim = calloc(7, sizeof *argv_shim);
  if (argv_shim == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  argv_shim[0] = strv_dup(run->runner->shim);
  argv_shim[1] = strv_dup(run->runtime);
  argv_shim[2] = strv_dup(run->runner->root);
  argv_shim[3] = strv_dup(run->given_bundle[0] ? run->given_bundle
                                               : run->bundle);
  argv_shim[4] = strv_dup(run->id);
  argv_shim[5] = strv_dup(pid_file);
  sp->wrapper_argv = argv_shim;
  sp->wrapper_path = strdup(run->runner->shim);
  sp->exit_codes_as_signals = 1;
  /* The shim takes the stop to the container (runtime kill ID TERM). */
  sp->term_wrapper_only = 1;
  return sp->wrapper_path != NULL
             ? FERN_OK
             : fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
}

/* Writes our bundle's config.json for the program block. */
static int write_config(const fern_spawn_plan_t *sp, oci_run *run,
                        fern_error_t *err) {
  json_t *argv = json_array();
  json_array_append(argv, json_object_get(run->program, "binary"));
  json_array_extend(argv, json_object_get(run->program, "args"));
  char cgroups[PATH_MAX + 8];
  if (sp->cgroup != NULL) {
    snprintf(cgroups, sizeof cgroups, "%s/ctr", sp->cgroup);
    snprintf(run->job_rel, sizeof run->job_rel, "%s", sp->cgroup);
  }
  oci_spec spec = {
      .rootfs = run->rootfs,
      .hostname = run->hostname,
      .argv = argv,
      .env = json_object_get(run->program, "env"),
      .cwd = json_string_value(json_object_get(run->program, "cwd")),
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
  };
  char *text = oci_config_text(&spec);
  json_decref(argv);
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

/* Each used protocol's socket and directory, mounted at its path under
 * OCI_NAMESPACE_DIR, into *out; a prepared bundle's config.json is the
 * author's, and cannot be given them. */
static int uses_read(const fern_start_info_t *info, json_t **out,
                     fern_error_t *err) {
  *out = NULL;
  if (info->use_count > 0 && json_object_get(info->program, "bundle"))
    return fern_error_set(err, FERN_ENOTSUP, "/bundle",
                          "a prepared bundle's config.json cannot be given "
                          "what the component uses (\"%s\"); give "
                          "\"rootfs\" instead",
                          info->uses[0].name);
  json_t *uses = json_array();
  for (size_t i = 0; uses != NULL && i < info->use_count; i++) {
    const fern_used_capability_t *use = &info->uses[i];
    char destination[PATH_MAX];
    if ((use->kind != FERN_CAPABILITY_PROTOCOL &&
         use->kind != FERN_CAPABILITY_DIRECTORY &&
         use->kind != FERN_CAPABILITY_STORAGE) ||
        use->host_path == NULL) {
      json_decref(uses);
      return fern_error_set(err, FERN_ENOTSUP, NULL,
                            "the oci runner cannot mount \"%s\" into the "
                            "container: it mounts protocols, directories and "
                            "storage",
                            use->name);
    }
    snprintf(destination, sizeof destination, OCI_NAMESPACE_DIR "%s",
             use->path);
    /* A directory without the rights to write is mounted read-only. */
    int read_only = use->kind == FERN_CAPABILITY_DIRECTORY && !use->writable;
    json_array_append_new(uses, json_pack("{s:s, s:s, s:b}", "source",
                                          use->host_path, "destination",
                                          destination, "read_only",
                                          read_only));
  }
  if (uses == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  *out = uses;
  return FERN_OK;
}

/* The names of the protocols a start serves, joined by ':' as
 * LISTEN_FDNAMES joins them (sd_listen_fds_with_names(3)), into *names
 * (NULL when it serves none). A prepared bundle cannot be given them. */
static int serves_read(const fern_start_info_t *info, char **names,
                       fern_error_t *err) {
  size_t count = runner_serve_count(info), size = 1;
  *names = NULL;
  if (count == 0)
    return FERN_OK;
  if (json_object_get(info->program, "bundle") != NULL)
    return fern_error_set(err, FERN_ENOTSUP, "/bundle",
                          "a prepared bundle's config.json cannot be given "
                          "the sockets of the protocols the component serves "
                          "(\"%s\"); give \"rootfs\" instead",
                          info->serves[0].name);
  for (size_t i = 0; i < count; i++)
    size += strlen(info->serves[i].name) + 1;
  if ((*names = calloc(1, size)) == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  for (size_t i = 0; i < count; i++) {
    if (i > 0)
      strcat(*names, ":");
    strcat(*names, info->serves[i].name);
  }
  return FERN_OK;
}

/* A prepared bundle's config.json is the author's: it cannot be given
 * the component's structured configuration either. */
static int config_deliverable(const fern_start_info_t *info,
                              fern_error_t *err) {
  if (runner_config_path(info) == NULL ||
      json_object_get(info->program, "bundle") == NULL)
    return FERN_OK;
  return fern_error_set(err, FERN_ENOTSUP, "/bundle",
                        "a prepared bundle's config.json cannot be given the "
                        "component's structured configuration; give "
                        "\"rootfs\" instead");
}

static int oci_start(void *runner, const fern_start_info_t *info,
                     void **controller, fern_error_t *err) {
  native_runner *nr = runner;
  char *listen_names = NULL;
  int rc = config_deliverable(info, err);
  if (rc != FERN_OK)
    return rc;
  rc = serves_read(info, &listen_names, err);
  json_t *uses;
  if (rc == FERN_OK)
    rc = uses_read(info, &uses, err);
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
  native_start how = {.flags = FERN_SPAWN_NO_EXEC,
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
                   .controller_release = native_op_controller_release);
