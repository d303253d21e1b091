/* oci_cleanup.c - what the OCI runner leaves behind, taken away: a
 * run's bundle and container when it ends, and at start-up what a fern
 * that is gone left (its containers, bundles and cgroups). See
 * oci_run.h. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/proc/cgroup_paths.h"
#include "../common/runner_common.h"
#include "oci_run.h"

void oci_remove_bundle(const char *bundle) {
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
  if (!v2) /* the parents a fern made for them, once empty */
    cgroup_remove_up(dir, strlen(mount));
}

void oci_sweep_dead_cgroups(const char *base_rel) {
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
void oci_clean_leftovers(oci_runner *r) {
  char bundles[1100], runtime[PATH_MAX];
  snprintf(bundles, sizeof bundles, "%s/bundles", r->state_dir);
  /* The runtime's own state names every container it still knows. */
  DIR *d = opendir(r->root);
  struct dirent *e;
  int have_runtime = oci_find_program(r->runtime, runtime, sizeof runtime) == 0;
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
    oci_remove_bundle(bundle);
  }
  if (d != NULL)
    closedir(d);
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
  snprintf(path, sizeof path, "%s%s/ctr", mount, rels->job);
  rmdir(path);
  snprintf(path, sizeof path, "%s%s", mount, rels->job);
  rmdir(path);
  snprintf(path, sizeof path, "%s%s", mount, rels->base);
  /* fails, as it should, while other jobs live there; in a v1 hierarchy
   * the parents a fern made above it go too (the unified one's are the
   * process service's) */
  if (rmdir(path) == 0 && !v2) {
    *strrchr(path, '/') = '\0';
    cgroup_remove_up(path, strlen(mount));
  }
}

static void remove_cgroup_dirs(const char *job_rel, const char *base_rel) {
  cgroup_rels rels = {job_rel, base_rel};
  runner_cgroup_mounts(remove_in_mount, &rels);
}

/* The runtime would make the missing parents itself, unmarked: fern
 * makes them first. */
static void make_in_mount(const char *mount, int v2, void *base_rel) {
  if (v2)
    return;
  char path[PATH_MAX * 2];
  snprintf(path, sizeof path, "%s%s", mount, (const char *)base_rel);
  *strrchr(path, '/') = '\0';
  cgroup_make_down(path, strlen(mount));
}

void oci_make_parents(const char *base_rel) {
  if (strchr(base_rel, '/') != NULL)
    runner_cgroup_mounts(make_in_mount, (void *)base_rel);
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
void oci_delete_later(oci_run *run) {
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
