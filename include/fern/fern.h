/*
 * fern.h - what every fern plugin shares with the manager: version, error
 * codes, log levels, the error buffer, stop reports and the host table.
 *
 * This header is a contract. It only ever grows: new fields go at the end of
 * a struct and are announced by a new ABI minor. Plugins link nothing of the
 * manager; everything they call comes through fern_host_t.
 */
#ifndef FERN_FERN_H
#define FERN_FERN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FERN_VERSION_MAJOR 0
#define FERN_VERSION_MINOR 2
#define FERN_VERSION_PATCH 0
#define FERN_VERSION_STRING "0.2.0"

/* Marks the one symbol a plugin exports; plugins build -fvisibility=hidden. */
#define FERN_EXPORT __attribute__((visibility("default")))

/*
 * Errors are negative constants from this one list (0 is success). A call
 * that fails never calls its callback and fills its fern_error_t instead.
 */
enum {
  FERN_OK = 0,
  FERN_EINVAL = -1,    /* invalid argument, declaration or program block */
  FERN_ENOENT = -2,    /* no such file, package, manifest, runner, ... */
  FERN_ENOMEM = -3,    /* out of memory */
  FERN_EIO = -4,       /* reading or writing failed */
  FERN_EACCES = -5,    /* refused: outside the package, or not permitted */
  FERN_ENOTSUP = -6,   /* the plugin does not support this call */
  FERN_EABI = -7,      /* plugin ABI mismatch */
  FERN_ESTATE = -8,    /* the call does not fit the current state */
  FERN_ETIMEDOUT = -9, /* a deadline passed */
  FERN_ENOEXEC = -10,  /* not a program this runner can execute */
  FERN_ESPAWN = -11    /* the operating system refused to start it */
};

/* A short, stable description of a FERN_E* code. */
static inline const char *fern_strerror(int code) {
  switch (code) {
  case FERN_OK: return "success";
  case FERN_EINVAL: return "invalid";
  case FERN_ENOENT: return "not found";
  case FERN_ENOMEM: return "out of memory";
  case FERN_EIO: return "input/output error";
  case FERN_EACCES: return "refused";
  case FERN_ENOTSUP: return "not supported";
  case FERN_EABI: return "ABI mismatch";
  case FERN_ESTATE: return "wrong state";
  case FERN_ETIMEDOUT: return "timed out";
  case FERN_ENOEXEC: return "not executable";
  case FERN_ESPAWN: return "spawn failed";
  default: return "unknown error";
  }
}

typedef enum fern_log_level {
  FERN_LOG_ERROR = 0,
  FERN_LOG_WARN = 1,
  FERN_LOG_INFO = 2,
  FERN_LOG_DEBUG = 3
} fern_log_level;

/*
 * The error a failing call leaves for the user. `message` is a sentence the
 * user reads; `key` is, when the fault is in a JSON block the call was given
 * (a program block, a plugin config), the JSON pointer of the offending value
 * relative to that block ("/args/2"), so the manager can name file:line:col.
 *
 * Owned by the caller, who sets `struct_size` (FERN_ERROR_INIT does); the
 * plugin only writes into it, through fern_error_set. `message` and `key`
 * are always there; a field a later minor appends is written only after
 * checking struct_size (fern_error_set will do so for the fields it
 * learns), so an old plugin's errors and a new one's fit every host.
 * Since host ABI 2.0.
 */
typedef struct fern_error_s {
  uint32_t struct_size;
  char message[512];
  char key[128];
} fern_error_t;

#define FERN_ERROR_INIT {.struct_size = sizeof(fern_error_t)}

/* Fills `err` (which may be NULL); returns `code` so calls can end with it.
 * `key` may be NULL (no key). */
static inline int fern_error_set(fern_error_t *err, int code, const char *key,
                                 const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int fern_error_set(fern_error_t *err, int code, const char *key,
                                 const char *fmt, ...) {
  if (err != NULL) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    snprintf(err->key, sizeof err->key, "%s", key != NULL ? key : "");
  }
  return code;
}

/* How a component's run ended. The names are the ones users read. */
typedef enum fern_stop_status {
  FERN_STOP_OK = 0,                   /* exited 0, or stopped on request */
  FERN_STOP_INSTANCE_DIED = 1,        /* exited non-zero or died by signal */
  FERN_STOP_KILLED_AFTER_TIMEOUT = 2, /* did not stop within the timeout */
  FERN_STOP_CANNOT_START = 3,         /* never ran; message says why */
  FERN_STOP_NOT_STARTED = 4           /* stopped before it ran; see runner.h */
} fern_stop_status;

static inline const char *fern_stop_status_name(fern_stop_status s) {
  switch (s) {
  case FERN_STOP_OK: return "ok";
  case FERN_STOP_INSTANCE_DIED: return "instance_died";
  case FERN_STOP_KILLED_AFTER_TIMEOUT: return "killed_after_timeout";
  case FERN_STOP_CANNOT_START: return "cannot_start";
  case FERN_STOP_NOT_STARTED: return "not_started";
  }
  return "unknown";
}

/*
 * A stop report, passed by the runner to fern_host_t.stopped. Borrowed for
 * the length of the call.
 *   status       how the run ended (above).
 *   exit_code    the program's exit status, or -1 unless it exited.
 *   term_signal  the signal it died of, or 0.
 *   core_dumped  1 if that signal left a core.
 *   message      what the user reads besides the status (why it could not
 *                start, what the exit means); may be NULL.
 * The host says `killed_after_timeout` itself when it had to call `kill`
 * after the stop timeout: a runner reports what it saw (the signal), and
 * never needs to know why the kill came.
 */
typedef struct fern_stop_report_s {
  uint32_t struct_size;
  fern_stop_status status;
  int exit_code;
  int term_signal;
  int core_dumped;
  const char *message;
  /* Since host ABI 2.5 (present where struct_size covers them): what the
   * run cost, as far as the runner knows; `costs` says which of the two
   * are known (FERN_COST_CPU, FERN_COST_PEAK_MEMORY). */
  uint32_t costs;
  uint64_t cpu_usec;          /* CPU time, user and system, of the run */
  uint64_t peak_memory_bytes; /* its highest memory use */
} fern_stop_report_t;

/* Which figures of a fern_cost_t or stop report are known. */
enum fern_cost_known {
  FERN_COST_CPU = 1u << 0,
  FERN_COST_MEMORY = 1u << 1,
  FERN_COST_PEAK_MEMORY = 1u << 2,
  FERN_COST_PROCESSES = 1u << 3
};

/*
 * What a running component costs so far (host ABI 2.5; runner.h's `cost`
 * and the process service's job_cost fill it). `known` says which of the
 * figures are; `source` says where they come from ("cgroup", "proc").
 */
typedef struct fern_cost_s {
  uint32_t struct_size;
  uint32_t known;             /* enum fern_cost_known */
  uint64_t cpu_usec;          /* CPU time so far, user and system */
  uint64_t memory_bytes;      /* memory in use now */
  uint64_t peak_memory_bytes; /* the highest it was */
  uint64_t processes;         /* processes now */
  const char *source;         /* static text */
} fern_cost_t;

/* The host's token for one running component; opaque to plugins. */
typedef struct fern_instance_s fern_instance_t;

/* The process service's types (fern/process.h). */
typedef struct fern_procs_s fern_procs_t;
typedef struct fern_job_s fern_job_t;
struct fern_procs_options_s;
struct fern_spawn_s;

#define FERN_HOST_ABI_MAJOR 2
#define FERN_HOST_ABI_MINOR 5

/*
 * The manager's function table, passed to every plugin's create call and
 * valid until the plugin's release returns.
 *
 * Every call takes the table's `ctx` first: the host's own state (its
 * manager), so that nothing of it is process-wide and two managers may
 * live in one process. Pass it back untouched:
 *   host->log(host->ctx, FERN_LOG_INFO, NULL, "ready");
 *
 * Versions: a plugin records in its entry struct the host ABI it was built
 * against (FERN_HOST_ABI_MAJOR/MINOR, filled by FERN_RUNNER_PLUGIN and
 * FERN_RESOLVER_PLUGIN), and a host refuses a plugin that needs a newer
 * minor than its own, naming both. So every member of the header a plugin
 * was built with is there: no plugin needs to test for one. Members are
 * only ever appended; the one rule for a plugin that wants a later member
 * while it still runs on older hosts (it must then set its
 * host_abi_minor lower by hand) is FERN_HOST_HAS below.
 */
typedef struct fern_host_s {
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size;
  /* The host's; passed back as the first argument of every call. */
  void *ctx;
  /* The manager's event loop. Runners use it from the loop thread only. */
  uv_loop_t *loop;
  /* fern raises its own open-file limit to hold thousands of components'
   * descriptors; this is the limit it was started with (soft, hard).
   * Runners give it back to the programs they start, so no program sees a
   * limit it did not ask for (select() breaks above 1024). */
  uint64_t nofile_soft;
  uint64_t nofile_hard;

  /* Writes one log record. Any thread. `moniker` may be NULL. */
  void (*log)(void *ctx, fern_log_level level, const char *moniker,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));
  /* Forwards one line a program wrote (no trailing newline) to fern's log,
   * prefixed with the moniker. `stream` is 1 or 2. Any thread. */
  void (*output)(void *ctx, const char *moniker, int stream, const char *line,
                 size_t len);
  /* How many bytes fern's log can take now before it would drop lines:
   * fern writes its log through a bounded queue, so that a reader of its
   * stderr who falls behind (a paused terminal, a pipe nobody reads) never
   * stops fern. A runner forwarding a program's output stops reading it
   * while this is under FERN_OUTPUT_ROOM_LOW and reads again once it is
   * back over FERN_OUTPUT_ROOM_HIGH: the slow reader then slows the
   * programs that write, not fern, and no line is lost. Loop thread. */
  size_t (*output_room)(void *ctx);

  /* Reports of a run. Each is an input the host takes in on a later turn
   * of its loop, after the runner's own call returned (see runner.h). */

  /* The component is running; `pid` is its main process, or 0 if it has
   * none on this machine. At most once per start, before `stopped`. Loop
   * thread. */
  void (*started)(void *ctx, fern_instance_t *instance, long pid);
  /* The run is over. Exactly once per successful start. Loop thread. The
   * host releases the controller after this: make it the last thing a run
   * does (close your handles first, report from the close callback), and
   * touch nothing of the controller after it but controller_release. */
  void (*stopped)(void *ctx, fern_instance_t *instance,
                  const fern_stop_report_t *report);
  /* The run will report readiness: the host holds back what waits for the
   * component (its eager children) until `ready`. Call before `started`.
   * Loop thread. */
  void (*awaits_ready)(void *ctx, fern_instance_t *instance);
  /* The component reports it is ready (sd_notify READY=1). Loop thread. */
  void (*ready)(void *ctx, fern_instance_t *instance);
  /* The component's status text changed (sd_notify STATUS=...). Borrowed.
   * Loop thread. */
  void (*status)(void *ctx, fern_instance_t *instance, const char *text);
  /* The program's main process is now `pid` (systemd's MAINPID=: a
   * launcher handed the run to the daemon it forked): what `fern show`
   * and the events name, and what the runner now watches and stops. The
   * run is still the same run; `started` is not reported again. Loop
   * thread. */
  void (*main_pid)(void *ctx, fern_instance_t *instance, long pid);
  /* The program asked for more time to stop (systemd's
   * EXTEND_TIMEOUT_USEC= while it stops): its stop timeout now ends no
   * sooner than `ms` from now, as systemd extends TimeoutStopSec=. Has no
   * effect unless fern is waiting for it to stop. Loop thread. */
  void (*extend_stop_timeout)(void *ctx, fern_instance_t *instance,
                              uint64_t ms);
  /* A critical component failed: the host stops the whole tree in order
   * and exits non-zero, naming the component and `reason`. Loop thread. */
  void (*critical_failure)(void *ctx, fern_instance_t *instance,
                           const char *reason);

  /* Asks whether the manager's security policy allows `moniker` the
   * privilege `privilege` ("main_process_critical"). FERN_OK, or
   * FERN_EACCES with a message that names the policy. Any thread. */
  int (*policy_allows)(void *ctx, const char *privilege, const char *moniker,
                       fern_error_t *err);

  /* Files. */

  /* Joins `relative` to `package_dir` and checks the result stays inside
   * the package (no "..", no absolute path, no symlink leading out). On
   * success writes the real path to `out`. Any thread. */
  int (*package_path)(void *ctx, const char *package_dir,
                      const char *relative, char *out, size_t out_size,
                      fern_error_t *err);
  /* Opens the file `relative` of the package at `package_dir` for reading,
   * checked as package_path checks it, without ever blocking: a FIFO, a
   * device, a socket or a directory is refused (FERN_EINVAL, saying what
   * it is), and so is a file another process holds a lease on
   * (FERN_EACCES). Returns a close-on-exec descriptor in blocking mode, or
   * a negative FERN_E* code; the real path goes to `out`. The descriptor
   * is the very file that was checked: read it, map it, execute it
   * (execveat with AT_EMPTY_PATH), rather than opening the path again,
   * which may have changed since. Any thread. */
  int (*package_open)(void *ctx, const char *package_dir,
                      const char *relative, char *out, size_t out_size,
                      fern_error_t *err);
  /* Opens the file at `path` for reading if only root and the user fern
   * runs as can change it and every directory above it (the rule fern
   * holds its own plugins to: no other owner, no write access for anyone
   * else, a root-owned sticky directory above the file's own allowed).
   * Returns a close-on-exec descriptor of the very file checked, or a
   * negative FERN_E* code with a message naming the file or directory and
   * whose it is. For what a plugin uses from outside any package (a
   * helper program beside it, a host library it binds). Any thread. */
  int (*open_trusted)(void *ctx, const char *path, fern_error_t *err);

  /* The process service (fern/process.h). Since host ABI 2.1. */

  /* A supervisor for one runner's jobs, with its containment set up, its
   * guardian started and what a dead fern left swept; the log says what
   * containment it got. Loop thread; usually at the runner's create. */
  int (*procs_open)(void *ctx, const struct fern_procs_options_s *options,
                    fern_procs_t **procs, fern_error_t *err);
  /* Closes it (at the runner's release). Every job of it must have been
   * released first: the host releases a runner's controllers before the
   * runner, and a runner that keeps jobs of its own releases them. */
  void (*procs_close)(void *ctx, fern_procs_t *procs);
  /* Starts a run of `instance` as `spawn` says: the job reports for the
   * instance from now on (`started`, `stopped`...), and is the runner's
   * controller. An error here is the start's (nothing was started, and
   * the spawn's hook_arg is freed). Loop thread. */
  int (*job_start)(void *ctx, fern_procs_t *procs, fern_instance_t *instance,
                   const struct fern_spawn_s *spawn, fern_job_t **job,
                   fern_error_t *err);
  /* The runner's stop and kill, as runner.h defines them. Loop thread. */
  void (*job_stop)(void *ctx, fern_job_t *job);
  void (*job_kill)(void *ctx, fern_job_t *job);
  /* Frees the job once it reported `stopped` (the controller_release). */
  void (*job_release)(void *ctx, fern_job_t *job);

  /* Since host ABI 2.5. */

  /* As `output`, for the start of a line longer than the runner keeps,
   * whose rest it dropped up to the line's end: fern marks it cut in its
   * log and in the component's lines (fern logs). Any thread. */
  void (*output_cut)(void *ctx, const char *moniker, int stream,
                     const char *line, size_t len);
  /* What a job of the process service costs so far: from its cgroup
   * (cpu.stat, memory.current and memory.peak, pids.current where the
   * controllers are enabled), else from /proc. FERN_OK. Loop thread. */
  int (*job_cost)(void *ctx, fern_job_t *job, fern_cost_t *cost);
} fern_host_t;

/* See fern_host_t.output_room. */
#define FERN_OUTPUT_ROOM_LOW ((size_t)1 << 20)
#define FERN_OUTPUT_ROOM_HIGH ((size_t)2 << 20)

/* Whether the host table has the member `field`: the one test for a member
 * added after the minor a plugin declares it needs. */
#define FERN_HOST_HAS(host, field)                                             \
  ((host)->struct_size >=                                                      \
   offsetof(fern_host_t, field) + sizeof(((fern_host_t *)0)->field))

#ifdef __cplusplus
}
#endif

#endif /* FERN_FERN_H */
