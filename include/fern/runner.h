/*
 * runner.h - the runner plugin ABI, version 2.
 *
 * A runner plugin is a shared library that exports one symbol, named by
 * FERN_RUNNER_SYMBOL, of type fern_runner_plugin_t. Before it calls any
 * plugin code the manager reads the symbol's head from the file and
 * refuses, saying why: a different abi_major (a version 1 plugin exports
 * another symbol and is refused as such), a struct smaller than
 * FERN_RUNNER_PLUGIN_MIN_SIZE, or a host_abi_minor newer than its own
 * (fern.h). A larger abi_minor is accepted.
 *
 * A *runner* is a named, configured use of a plugin: `create` makes one from
 * a config block, and many may exist at once. A *controller* is one run of
 * one component. `fern check` and `fern tree` create no runner: they call
 * the plugin-level `validate_config` and `validate` only.
 *
 * Threads: every call below is made on the manager's loop thread and must
 * not block; do slow work on the loop (uv_*) or on the libuv thread pool and
 * report back on the loop. `validate_config` and `validate` may be called
 * on any thread, with no loop and no runner: they must be pure.
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
 * later reports `stopped` with FERN_STOP_CANNOT_START.
 *
 * Reports are inputs: the host takes each in on a later turn of its loop,
 * after the runner's call has returned, so a runner may report from inside
 * `stop` or `kill` as from its own callbacks (`started`, too, from inside
 * `start`; but never `stopped` from inside `start`: a start that fails at
 * once returns its error). Once `stopped` is reported, the host calls
 * nothing more of that controller but `controller_release`.
 *
 * Stopping: the host owns the policy. It calls `stop` (graceful: lifecycle
 * message or SIGTERM to the whole job), waits the environment's stop
 * timeout, then calls `kill` (everything the run started, now). A runner
 * that cannot stop gracefully leaves out FERN_RUNNER_CAP_GRACEFUL_STOP and
 * the host goes straight to `kill`. Neither returns anything: each is a
 * request whose outcome is the `stopped` report. The rules:
 *   - Both may come before `started` (stop while starting: the binary is
 *     being checked, the container created, the job queued). Cancel what
 *     is under way and report FERN_STOP_NOT_STARTED if the program never
 *     ran, or what it did if it ran; never FERN_STOP_CANNOT_START, which
 *     means the start itself failed.
 *   - Both may come after the program ended but before `stopped` was
 *     delivered, and either may come twice: then they do nothing harmful.
 *   - After `kill` the runner reports what it saw (FERN_STOP_INSTANCE_DIED,
 *     term_signal 9); the host itself reports `killed_after_timeout` when
 *     it was the stop timeout that made it call `kill`.
 *   - A program that ends of the graceful stop (dies of its SIGTERM, or
 *     exits after the lifecycle message) is FERN_STOP_OK, as systemd
 *     counts SIGTERM a clean end; with exit_code/term_signal as seen.
 *
 * What a component is given: fern_start_info_t.uses lists the capabilities
 * the component uses, routed by the host. A runner delivers each where the
 * program looks for it (see fern_used_capability_t); one it cannot deliver
 * fails the start with FERN_ENOTSUP naming it, rather than starting a
 * program that will not find it.
 */
#ifndef FERN_RUNNER_H
#define FERN_RUNNER_H

#include <fern/fern.h>
#include <fern/process.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FERN_RUNNER_ABI_MAJOR 2
#define FERN_RUNNER_ABI_MINOR 3
#define FERN_RUNNER_SYMBOL "fern_runner_v2"

/* What a runner supports, so the host never calls what is missing. */
enum fern_runner_caps {
  FERN_RUNNER_CAP_GRACEFUL_STOP = 1u << 0 /* `stop` is implemented */
};

/* The kinds of capability a component may use. */
typedef enum fern_capability_kind {
  FERN_CAPABILITY_PROTOCOL = 1,  /* a socket that speaks one protocol */
  FERN_CAPABILITY_DIRECTORY = 2, /* a directory tree */
  FERN_CAPABILITY_STORAGE = 3    /* a directory of the component's own */
} fern_capability_kind;

/*
 * One capability a component uses, routed to it by the host. Borrowed for
 * the length of `start`. The host gives either `fd` (a descriptor the
 * runner hands the program, or dups for it; the host closes its own) or
 * `host_path` (a path on this machine), never neither.
 *
 * Delivering it, by kind:
 *   - PROTOCOL: a socket the program connects to. A runner whose program
 *     shares fern's file system places it at `path` under the component's
 *     namespace directory (a symlink to host_path, or the listening socket
 *     bound there); a runner with a root of its own (a sandbox, a
 *     container) binds host_path at `path` inside it.
 *   - DIRECTORY and STORAGE: a directory; placed or bound at `path` as a
 *     protocol is, read-only unless `writable`.
 */
typedef struct fern_used_capability_s {
  uint32_t struct_size;
  fern_capability_kind kind;
  const char *name;      /* the name the component uses it by */
  const char *path;      /* where the component expects it: "/svc/echo" */
  int fd;                /* a descriptor for it, or -1 */
  const char *host_path; /* a path on this machine for it, or NULL */
  int writable;          /* DIRECTORY, STORAGE: may the program write */
} fern_used_capability_t;

/*
 * One protocol the component serves (runner ABI 2.1): a listening Unix
 * stream socket the host made and keeps for the component's life, so
 * that clients may connect while the program is not running (the first
 * connection starts it) and across its restarts. A runner hands it to
 * the program as systemd's socket activation does (fern_spawn_t's
 * listen_fds); the host closes its own copy only when the component
 * leaves the tree.
 */
typedef struct fern_served_capability_s {
  uint32_t struct_size;
  const char *name; /* the protocol, as the component declares it */
  int fd;           /* the listening socket (the host's) */
} fern_served_capability_t;

/* What the host tells a runner about the run it asks for. Borrowed. */
typedef struct fern_start_info_s {
  uint32_t struct_size;
  fern_instance_t *instance; /* token for the host's reports */
  const char *moniker;       /* "/core/echo" */
  const char *url;           /* the resolved URL */
  const char *package_dir;   /* absolute local directory, or NULL */
  const json_t *program;     /* the manifest's program block, validated */
  uint64_t stop_timeout_ms;  /* the environment's stop timeout */
  const fern_used_capability_t *uses; /* what it uses; may be empty */
  size_t use_count;
  /* Runner ABI 2.1 (present where struct_size covers them; the host
   * gives a component that serves or uses protocols only to a runner of
   * 2.1 or later). */
  const fern_served_capability_t *serves; /* protocols it serves */
  size_t serve_count;
  /* A directory on this machine where each used capability already is,
   * at its `path` (a symlink to host_path): a runner whose program shares
   * fern's file system names it in FERN_NAMESPACE. NULL when it uses
   * nothing. */
  const char *namespace_dir;
  /* Runner ABI 2.2 (present where struct_size covers them; the host
   * gives a component with structured configuration only to a runner of
   * 2.2 or later). Its configuration's values: an object with one member
   * per field of the manifest's "config", each of the field's type
   * (docs/config.md). NULL when it declares none. */
  const json_t *config;
  /* The same object as a JSON file on this machine, which the host wrote
   * for this run and removes when the component leaves the tree. A
   * runner whose program shares fern's file system names it in
   * FERN_CONFIG; one with a root of its own binds it read-only inside
   * it (at FERN_CONFIG_PATH where that makes no mount point in the
   * program's own files) and names that. NULL when `config` is. A
   * runner that cannot hand it on fails the start with FERN_ENOTSUP,
   * saying so, as for a use it cannot deliver. */
  const char *config_path;
} fern_start_info_t;

/* Where a program with a root of its own finds its configuration file. */
#define FERN_CONFIG_PATH "/run/fern/config.json"

typedef struct fern_runner_plugin_s {
  uint32_t abi_major;      /* FERN_RUNNER_ABI_MAJOR */
  uint32_t abi_minor;      /* FERN_RUNNER_ABI_MINOR */
  uint32_t struct_size;    /* sizeof(fern_runner_plugin_t) */
  uint32_t host_abi_major; /* FERN_HOST_ABI_MAJOR it was built with */
  uint32_t host_abi_minor; /* the oldest host minor it runs on */
  const char *name;        /* the plugin's name; matches its file name */
  const char *description;
  uint64_t capabilities; /* enum fern_runner_caps */

  /* Checks a runner's config block (NULL: none given) as `create` would
   * take it, without making anything. On error sets err->key to the JSON
   * pointer of the fault in the block. Pure; any thread. */
  int (*validate_config)(const json_t *config, fern_error_t *err);
  /* Checks a program block for a runner of that config (already
   * validated; may be NULL): every key known, every value of its type. On
   * error sets err->key to the JSON pointer of the fault in the program
   * block. Pure; any thread. */
  int (*validate)(const json_t *config, const json_t *program,
                  fern_error_t *err);
  /* Makes a runner from its config block (validated; may be NULL). The
   * host table outlives the runner. */
  int (*create)(const fern_host_t *host, const json_t *config, void **runner,
                fern_error_t *err);
  /* Frees a runner. No controller of it is alive. */
  void (*release)(void *runner);
  /* Begins a run; see the file comment. */
  int (*start)(void *runner, const fern_start_info_t *info, void **controller,
               fern_error_t *err);
  /* Asks the program to stop (graceful); see the file comment. Only with
   * FERN_RUNNER_CAP_GRACEFUL_STOP. */
  void (*stop)(void *controller);
  /* Ends the program and everything it started, now. Required. */
  void (*kill)(void *controller);
  /* Frees a controller; called by the host after `stopped` was reported. */
  void (*controller_release)(void *controller);

  /* Runner ABI 2.3 (present where struct_size covers it; may be NULL). */

  /* What the run costs so far (fern show, fern list --wide, fern top):
   * fills what it knows and says where from; FERN_ENOTSUP with a message
   * saying why when it can know nothing (a job on other machines whose
   * accounting is not there). Loop thread. */
  int (*cost)(void *controller, fern_cost_t *cost, fern_error_t *err);
} fern_runner_plugin_t;

/* The smallest struct a 2.x host accepts: everything up to
 * controller_release. */
#define FERN_RUNNER_PLUGIN_MIN_SIZE                                            \
  (offsetof(fern_runner_plugin_t, controller_release) +                        \
   sizeof(void (*)(void *)))

/* Declares the plugin's one exported symbol. */
#define FERN_RUNNER_PLUGIN(...)                                                \
  FERN_EXPORT const fern_runner_plugin_t fern_runner_v2 = {                    \
      .abi_major = FERN_RUNNER_ABI_MAJOR,                                      \
      .abi_minor = FERN_RUNNER_ABI_MINOR,                                      \
      .struct_size = sizeof(fern_runner_plugin_t),                             \
      .host_abi_major = FERN_HOST_ABI_MAJOR,                                   \
      .host_abi_minor = FERN_HOST_ABI_MINOR,                                   \
      __VA_ARGS__}

#ifdef __cplusplus
}
#endif

#endif /* FERN_RUNNER_H */
