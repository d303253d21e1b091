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
#define FERN_VERSION_MINOR 1
#define FERN_VERSION_PATCH 0
#define FERN_VERSION_STRING "0.1.0"

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
 * Owned by the caller; the plugin only writes into it.
 */
typedef struct fern_error_s {
  char message[512];
  char key[128];
} fern_error_t;

/* Fills `err` (which may be NULL); returns `code` so calls can end with it. */
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
  /* Host ABI 1.4: stopped while it was starting, before its program was
   * spawned (or its job submitted). Not a failure: nothing ran. */
  FERN_STOP_NOT_STARTED = 4
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
 * the length of the call. `exit_code` is -1 unless the program exited;
 * `term_signal` is 0 unless it died by a signal. Since host ABI 1.0.
 */
typedef struct fern_stop_report_s {
  uint32_t struct_size;
  fern_stop_status status;
  int exit_code;
  int term_signal;
  int core_dumped;
  const char *message; /* may be NULL */
} fern_stop_report_t;

/* The host's token for one running component; opaque to plugins. */
typedef struct fern_instance_s fern_instance_t;

#define FERN_HOST_ABI_MAJOR 1
#define FERN_HOST_ABI_MINOR 5

/*
 * The manager's function table, passed to every plugin's create call and
 * valid until the plugin's release returns. Fields are only appended; check
 * abi_minor (or struct_size) before using a field added after 1.0.
 */
typedef struct fern_host_s {
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size;
  /* The manager's event loop. Runners use it from the loop thread only. */
  uv_loop_t *loop;
  /* Writes one log record. Any thread. `moniker` may be NULL. */
  void (*log)(fern_log_level level, const char *moniker, const char *fmt, ...)
      __attribute__((format(printf, 3, 4)));
  /* Forwards one line a program wrote (no trailing newline) to fern's log,
   * prefixed with the moniker. `stream` is 1 or 2. Any thread. */
  void (*output)(const char *moniker, int stream, const char *line, size_t len);
  /* The component is running. At most once per start, before `stopped`.
   * Loop thread. */
  void (*started)(fern_instance_t *instance, long pid);
  /* The run is over. Exactly once per successful start. Loop thread. The
   * host releases the controller before this returns: make it the last
   * thing a run does (close your handles first, report from the close
   * callback), and touch nothing of the controller after it. */
  void (*stopped)(fern_instance_t *instance, const fern_stop_report_t *report);
  /* Joins `relative` to `package_dir` and checks the result stays inside
   * the package (no "..", no absolute path, no symlink leading out). On
   * success writes the real path to `out`. Any thread. */
  int (*package_path)(const char *package_dir, const char *relative, char *out,
                      size_t out_size, fern_error_t *err);

  /* Since host ABI 1.1. */

  /* The run will report readiness: the host holds back what waits for the
   * component (its eager children) until `ready`. Call before `started`.
   * Loop thread. */
  void (*awaits_ready)(fern_instance_t *instance);
  /* The component reports it is ready (sd_notify READY=1). Loop thread. */
  void (*ready)(fern_instance_t *instance);
  /* The component's status text changed (sd_notify STATUS=...). Borrowed.
   * Loop thread. */
  void (*status)(fern_instance_t *instance, const char *text);
  /* Asks whether the manager's security policy allows `moniker` the
   * privilege `privilege` ("main_process_critical"). FERN_OK, or
   * FERN_EACCES with a message that names the policy. Any thread. */
  int (*policy_allows)(const char *privilege, const char *moniker,
                       fern_error_t *err);
  /* A critical component failed: the host stops the whole tree in order
   * and exits non-zero, naming the component and `reason`. Loop thread. */
  void (*critical_failure)(fern_instance_t *instance, const char *reason);

  /* Since host ABI 1.2. */

  /* fern raises its own open-file limit to hold thousands of components'
   * descriptors; this is the limit it was started with (soft, hard).
   * Runners give it back to the programs they start, so no program sees a
   * limit it did not ask for (select() breaks above 1024). */
  uint64_t nofile_soft;
  uint64_t nofile_hard;

  /* Since host ABI 1.3. */

  /* Opens the file `relative` of the package at `package_dir` for reading,
   * checked as package_path checks it, without ever blocking: a FIFO, a
   * device, a socket or a directory is refused (FERN_EINVAL, saying what
   * it is), and so is a file another process holds a lease on
   * (FERN_EACCES). Returns a close-on-exec descriptor in blocking mode, or
   * a negative FERN_E* code; the real path goes to `out`. The descriptor
   * is the very file that was checked: read it, map it, execute it
   * (execveat with AT_EMPTY_PATH), rather than opening the path again,
   * which may have changed since. Any thread. */
  int (*package_open)(const char *package_dir, const char *relative,
                      char *out, size_t out_size, fern_error_t *err);
  /* Opens the file at `path` for reading if only root and the user fern
   * runs as can change it and every directory above it (the rule fern
   * holds its own plugins to: no other owner, no write access for anyone
   * else, a root-owned sticky directory above the file's own allowed).
   * Returns a close-on-exec descriptor of the very file checked, or a
   * negative FERN_E* code with a message naming the file or directory and
   * whose it is. For what a plugin uses from outside any package (a
   * helper program beside it, a host library it binds). Any thread. */
  int (*open_trusted)(const char *path, fern_error_t *err);
  /* FERN_HOST_* flags about this fern. */
  uint32_t flags;
  /* How many bytes fern's log can take now before it would drop lines:
   * fern writes its log through a bounded queue, so that a reader of its
   * stderr who falls behind (a paused terminal, a pipe nobody reads) never
   * stops fern. A runner forwarding a program's output stops reading it
   * while this is under FERN_OUTPUT_ROOM_LOW and reads again once it is
   * back over FERN_OUTPUT_ROOM_HIGH: the slow reader then slows the
   * programs that write, not fern, and no line is lost. Loop thread. */
  size_t (*output_room)(void);

  /* Since host ABI 1.4. */

  /* The program asked for more time to stop (systemd's
   * EXTEND_TIMEOUT_USEC= while it stops): its stop timeout now ends no
   * sooner than `ms` from now, as systemd extends TimeoutStopSec=. Has no
   * effect unless fern is waiting for it to stop. Loop thread. */
  void (*extend_stop_timeout)(fern_instance_t *instance, uint64_t ms);

  /* Since host ABI 1.5. */

  /* The program's main process is now `pid` (systemd's MAINPID=: a
   * launcher handed the run to the daemon it forked): what `fern show`
   * and the events name, and what the runner now watches and stops. The
   * run is still the same run; `started` is not reported again. Loop
   * thread. */
  void (*main_pid)(fern_instance_t *instance, long pid);
} fern_host_t;

/* See fern_host_t.output_room. Since host ABI 1.3. */
#define FERN_OUTPUT_ROOM_LOW ((size_t)1 << 20)
#define FERN_OUTPUT_ROOM_HIGH ((size_t)2 << 20)

/* fern_host_t.flags: this fern starts programs (`fern run`). Without it
 * (check, tree, plugins) a runner validates only: it starts no helper
 * process and touches nothing another fern left. Since host ABI 1.3. */
#define FERN_HOST_RUNS_PROGRAMS (1u << 0)

/* Whether the host table has the member `field` (a later minor's, so
 * check it before use). Since host ABI 1.3; struct_size tells the same
 * for older hosts. */
#define FERN_HOST_HAS(host, field)                                             \
  ((host)->struct_size >=                                                      \
   offsetof(fern_host_t, field) + sizeof(((fern_host_t *)0)->field))

#ifdef __cplusplus
}
#endif

#endif /* FERN_FERN_H */
