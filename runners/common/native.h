/* native.h - what the ELF, sandbox and OCI runners share: a runner built
 * on the host's process service (fern/process.h). Its config picks the
 * service's options; a start reads the program block into a spawn request
 * and hands it to job_start; stop, kill and release pass the job on. Each
 * plugin links its own copy (a plugin links nothing of fern). */
#ifndef FERN_RUNNERS_NATIVE_H
#define FERN_RUNNERS_NATIVE_H

#include <fern/runner.h>

#define NATIVE_RLIMITS_MAX 16

typedef struct native_runner_s {
  const fern_host_t *host;
  fern_procs_t *procs;
  const char *name;
  void *ext; /* the plugin's own state (the OCI runner's) */
  void (*ext_free)(void *ext);
} native_runner;

/* A runner config: "job" ("auto", "cgroup", "subreaper",
 * "process_group"), "pidfd" and "clone3" (booleans), "exec" ("auto",
 * "descriptor", "name"); `extra_keys` (NULL-terminated, or NULL) are the
 * plugin's own, which it checks itself. Pure. */
int native_config_validate(const json_t *config, const char *name,
                           const char *const *extra_keys, fern_error_t *err);
/* The runner, with its process service opened as `config` says. */
int native_runner_create(const fern_host_t *host, const json_t *config,
                         const char *name, native_runner **out,
                         fern_error_t *err);
void native_runner_release(void *runner);

/* Program keys of a native program; `extra_keys` as above. Pure; any
 * thread. */
int native_program_validate(const json_t *program, const char *runner_name,
                            const char *const *extra_keys, fern_error_t *err);
/* The program's "rlimits", at most `max` of them; returns how many. */
size_t native_program_rlimits(const json_t *program, fern_rlimit_t *out,
                              size_t max);

/* How a plugin's start changes the spawn a program block asks for. */
typedef struct native_start_s {
  uint32_t flags; /* added to the program's (FERN_SPAWN_*) */
  int (*prepare)(void *hook_arg, fern_spawn_plan_t *plan, fern_error_t *err);
  int (*before_spawn)(void *hook_arg, fern_spawn_plan_t *plan,
                      fern_error_t *err);
  void *hook_arg; /* the job's from job_start on, even when it fails */
  void (*hook_arg_free)(void *hook_arg);
  /* The program shares fern's file system: it gets the protocols it
   * serves as LISTEN_FDS and finds what it uses in FERN_NAMESPACE. */
  int shares_namespace;
  /* Or the plugin delivers what it uses itself (binds it), and names
   * this directory in FERN_NAMESPACE. */
  int delivers_uses;
  const char *namespace_dir;
  /* The plugin hands the program its sockets (LISTEN_FDS) through its
   * wrapper, which keeps descriptors 3 on. */
  int delivers_serves;
  /* Where the program finds its configuration file when the plugin binds
   * it (FERN_CONFIG_PATH); NULL: at the host's path. */
  const char *config_path;
} native_start;
/* Starts the program block of `info` (binary, args, environ, lifecycle,
 * forward_*_to, main_process_critical, rlimits) with the service; `how`
 * may be NULL. The controller is the job. */
int native_runner_start(native_runner *r, const fern_start_info_t *info,
                        const native_start *how, void **controller,
                        fern_error_t *err);
/* The operations of a runner whose controller is the service's job. */
void native_op_stop(void *controller);
void native_op_kill(void *controller);
void native_op_controller_release(void *controller);
/* What the run costs so far: the process service's job_cost. */
int native_op_cost(void *controller, fern_cost_t *cost, fern_error_t *err);

#endif
