/*
 * runner.h - the runner plugin ABI.
 *
 * A runner plugin is a shared library that exports one symbol, named by
 * FERN_RUNNER_SYMBOL, of type fern_runner_plugin_t. The manager checks
 * abi_major, abi_minor and struct_size before it calls any plugin code: a
 * different major, or a struct smaller than FERN_RUNNER_PLUGIN_MIN_SIZE, is
 * refused; a larger minor is accepted.
 *
 * A *runner* is a named, configured use of a plugin: `create` makes one from
 * a config block, and many may exist at once. A *controller* is one run of
 * one component.
 *
 * Threads: every call below is made on the manager's loop thread and must
 * not block; do slow work on the loop (uv_*) or on the libuv thread pool and
 * report back on the loop. `validate` is also called by `fern check` with no
 * loop running, so it must be pure.
 *
 * Ownership: everything the host passes is borrowed for the length of the
 * call (copy what you keep). Every successful `create` is paired with
 * `release`, every successful `start` with `controller_release`.
 *
 * Asynchrony: `start` returns 0 once the run is under way (the component may
 * still be starting: an OCI runtime creating, a cluster queueing) and later
 * reports through the host: `started` when it runs, `stopped` exactly once
 * when it is over, with a report. A start that fails synchronously returns a
 * negative FERN_E* code, fills `err`, and reports nothing. A start that fails
 * later reports `stopped` with FERN_STOP_CANNOT_START; one stopped before
 * its program existed reports FERN_STOP_NOT_STARTED (host ABI 1.4).
 *
 * Reports are inputs: the host takes each in on a later turn of its loop,
 * after the runner's call has returned, so a runner may report from inside
 * `stop` or `kill` as from its own callbacks (`started`, too, from inside
 * `start`; but never `stopped` from inside `start`: a start that fails at
 * once returns its error). Once `stopped` is reported, the host calls
 * nothing more of that controller but `controller_release`.
 *
 * Stopping: the host owns the policy. It calls `stop` (graceful: lifecycle
 * message or SIGTERM), waits the environment's stop timeout, then calls
 * `kill`. A runner that cannot stop gracefully leaves out
 * FERN_RUNNER_CAP_GRACEFUL_STOP and the host goes straight to `kill`. Both
 * may be called before `started` (stop while starting) and after the program
 * already ended but before `stopped` was delivered; they must then do
 * nothing harmful.
 */
#ifndef FERN_RUNNER_H
#define FERN_RUNNER_H

#include <fern/fern.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FERN_RUNNER_ABI_MAJOR 1
#define FERN_RUNNER_ABI_MINOR 0
#define FERN_RUNNER_SYMBOL "fern_runner_v1"

/* What a runner supports, so the host never calls what is missing. */
enum fern_runner_caps {
  FERN_RUNNER_CAP_GRACEFUL_STOP = 1u << 0, /* `stop` is implemented */
  FERN_RUNNER_CAP_KILL = 1u << 1,          /* `kill` is implemented */
  FERN_RUNNER_CAP_SIGNAL = 1u << 2,        /* reserved: arbitrary signals */
  FERN_RUNNER_CAP_STATS = 1u << 3,         /* reserved: resource stats */
  FERN_RUNNER_CAP_RECOVER = 1u << 4        /* reserved: reattach after crash */
};

/* What the host tells a runner about the run it asks for. Borrowed. */
typedef struct fern_start_info_s {
  uint32_t struct_size;
  fern_instance_t *instance; /* token for host->started/stopped */
  const char *moniker;       /* "/core/echo" */
  const char *url;           /* the resolved URL */
  const char *package_dir;   /* absolute local directory, or NULL */
  const json_t *program;     /* the manifest's program block, validated */
  uint64_t stop_timeout_ms;  /* the environment's stop timeout */
} fern_start_info_t;

typedef struct fern_runner_plugin_s {
  uint32_t abi_major;   /* FERN_RUNNER_ABI_MAJOR */
  uint32_t abi_minor;   /* FERN_RUNNER_ABI_MINOR */
  uint32_t struct_size; /* sizeof(fern_runner_plugin_t) */
  const char *name;     /* the plugin's name; matches its file name */
  const char *description;
  uint64_t capabilities; /* enum fern_runner_caps */

  /* Makes a runner from its config block (may be NULL: no config). The host
   * table outlives the runner. */
  int (*create)(const fern_host_t *host, const json_t *config, void **runner,
                fern_error_t *err);
  /* Frees a runner. No controller of it is alive. */
  void (*release)(void *runner);
  /* Checks a program block: every key known, every value of its type. On
   * error sets err->key to the JSON pointer of the fault in the block. */
  int (*validate)(void *runner, const json_t *program, fern_error_t *err);
  /* Begins a run; see the file comment. */
  int (*start)(void *runner, const fern_start_info_t *info, void **controller,
               fern_error_t *err);
  /* Asks the program to stop (graceful). */
  int (*stop)(void *controller);
  /* Ends the program and everything it started, now. */
  int (*kill)(void *controller);
  /* Frees a controller; called by the host after `stopped` was reported. */
  void (*controller_release)(void *controller);
} fern_runner_plugin_t;

/* The smallest struct a 1.x host accepts: everything up to
 * controller_release. */
#define FERN_RUNNER_PLUGIN_MIN_SIZE                                            \
  (offsetof(fern_runner_plugin_t, controller_release) +                        \
   sizeof(void (*)(void *)))

/* Declares the plugin's one exported symbol. */
#define FERN_RUNNER_PLUGIN(...)                                                \
  FERN_EXPORT const fern_runner_plugin_t fern_runner_v1 = {                    \
      .abi_major = FERN_RUNNER_ABI_MAJOR,                                      \
      .abi_minor = FERN_RUNNER_ABI_MINOR,                                      \
      .struct_size = sizeof(fern_runner_plugin_t),                             \
      __VA_ARGS__}

#ifdef __cplusplus
}
#endif

#endif /* FERN_RUNNER_H */
