/* oci_run.h - the OCI runner's own state (oci.c) and the pieces it is
 * made of: what it cleans up (oci_cleanup.c) and what a start gives the
 * container (oci_given.c). Loop thread unless said. */
#ifndef FERN_RUNNERS_OCI_RUN_H
#define FERN_RUNNERS_OCI_RUN_H

#include <limits.h>
#include <stddef.h>

#include <fern/runner.h>

typedef struct oci_runner_s {
  char cgroup_base[PATH_MAX]; /* the service's cgroup, relative, or "" */
  int swept; /* dead ferns' cgroups swept (at the first cgroup job) */
  char runtime[256];   /* name or path */
  char state_dir[1024];
  char root[1100];     /* the runtime's --root */
  char shim[PATH_MAX];
  char init[PATH_MAX];
  json_t *runtime_args; /* the config's "runtime_args", or NULL */
  int told_hybrid;      /* the crun workaround was logged */
} oci_runner;

/* What an image's config gives a container (oci_image.c). */
typedef struct oci_image_s {
  json_t *entrypoint, *cmd, *env; /* or NULL */
  char *cwd;                      /* WorkingDir, or NULL */
  int uid, gid;                   /* User, as umoci resolved it */
} oci_image;

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
  int terminal; /* the prepared bundle's process.terminal: a console */
  oci_image image; /* with "image": its config; rootfs is its unpacking */
  char job_rel[PATH_MAX];      /* the job's cgroup, relative, or "" */
  char id[96];
  char bundle[1200]; /* ours: config.json (unless given) and init.pid */
  json_t *uses;      /* oci_spec.uses */
  char *config;      /* oci_spec.config */
  size_t listen_count; /* the protocols it serves */
  char *listen_names;  /* "a:b" */
} oci_run;
/* Finds a program in the usual directories, unless given as a path: 0
 * with its path in `out`, or -1. Any thread. */
int oci_find_program(const char *name, char *out, size_t size);
/* mkdir -p, 0700. */
void oci_mkdirs(const char *path);

/* Removes a bundle fern wrote (config.json, init.pid, the directory). */
void oci_remove_bundle(const char *bundle);
/* At start-up: the containers and bundles of ferns that are gone. */
void oci_clean_leftovers(oci_runner *r);
/* Once: dead ferns' container cgroups beside the service's, `base_rel`. */
void oci_sweep_dead_cgroups(const char *base_rel);
/* Makes, in every v1 hierarchy, the parents of `base_rel` that are not
 * there, marked as a fern's, so that they go with the last container (or
 * with a later fern's sweep) and nothing the machine made does. */
void oci_make_parents(const char *base_rel);
/* Deletes the run's container, quietly, and then its cgroups. */
void oci_delete_later(oci_run *run);

/* Each used capability's mount under OCI_NAMESPACE_DIR, into *out. */
int oci_uses_read(const fern_start_info_t *info, json_t **out,
                  fern_error_t *err);
/* The names of the protocols it serves, as LISTEN_FDNAMES joins them, into
 * *names (NULL when it serves none). */
int oci_serves_read(const fern_start_info_t *info, char **names,
                    fern_error_t *err);
/* Refuses configuration to a prepared bundle. */
int oci_config_deliverable(const fern_start_info_t *info, fern_error_t *err);

/* "runtime_args": a list of at most this many of the runtime's global
 * flags, passed before each subcommand. */
#define OCI_RUNTIME_ARGS_MAX 8
int oci_runtime_args_check(const json_t *args, const char *where,
                           fern_error_t *err);

/* "image": unpacks it once (STATE_DIR/images), sets run->rootfs and
 * run->image. Worker thread. */
int oci_image_prepare(oci_run *run, const char *ref, fern_error_t *err);
void oci_image_free(oci_image *image);

/* The shim's command line (oci_shim_args.c); NULL without memory. */
char **oci_shim_argv(oci_run *run, const char *pid_file,
                     const char *notify_file);

#endif
