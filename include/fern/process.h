/*
 * fern/process.h - the host's process service (host ABI 2.1; listening
 * sockets, 2.2).
 *
 * A runner whose programs are processes on this machine does not write a
 * supervisor: it asks the host for one (procs_open, at its create) and
 * hands each run to it (job_start, at its start). The host then does what
 * fern's own ELF, sandbox and OCI runners do, with the same code:
 *
 *   - checks what it will execute, on its thread pool: a file of the
 *     package (never a path leading out of it), and with FERN_SPAWN_ELF an
 *     ELF program for this machine whose interpreter the kernel takes;
 *   - spawns it in a job of its own, in the strongest containment the
 *     machine offers (a cgroup v2 per job; else fern as a subreaper with a
 *     FERN_JOB mark in each process's environment; else a process group),
 *     with the environment, working directory (the package), rlimits and
 *     the open-file limit fern was started with, and nothing else open
 *     but stdin (/dev/null), stdout, stderr and the descriptors named here;
 *   - watches its exit with a pidfd, and forwards its stdout and stderr to
 *     fern's log line by line (a last line without newline is kept; lines
 *     over 4 KiB are split; a slow log slows the program, not fern);
 *   - reports for the run's instance: `started` (with the pid; after
 *     READY=1 with FERN_SPAWN_NOTIFY), `status`, `main_pid`, and exactly
 *     one `stopped` with the exit status, after the pipes are drained;
 *   - stops it (job_stop: the lifecycle "stop" message with
 *     FERN_SPAWN_LIFECYCLE, else SIGTERM to the program's process group,
 *     which holds what it started unless that left the group) and kills it
 *     (job_kill: SIGKILL to the whole job, whatever left the group), before
 *     or after it started; a run stopped before it was spawned ends
 *     not_started;
 *   - reaps only its own: the processes it spawned, and, where fern is a
 *     subreaper, the orphans of its jobs (each job starts a session of its
 *     own); never a child another service or libuv waits for, nor one in
 *     fern's own session (a plugin's fork());
 *   - leaves nothing behind: a guardian ends every job if fern itself is
 *     killed, and the next fern sweeps what a dead one left.
 *
 * So a runner's controller is the fern_job_t: its stop calls job_stop, its
 * kill job_kill, its controller_release job_release. See
 * tests/plugins/script.c for a whole runner on it.
 *
 * Everything here is append-only, as fern.h says; each struct starts with
 * its size, which the caller sets (sizeof) so that later members can be
 * added.
 */
#ifndef FERN_PROCESS_H
#define FERN_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include <fern/fern.h>

#ifdef __cplusplus
extern "C" {
#endif

/* fern_procs_t (one runner's supervisor: its jobs' containment, their
 * guardian, their spawn queue) and fern_job_t (one run's job) are opaque;
 * fern.h declares them. */

/* How a runner's jobs hold their processes (fern_procs_options_t). */
enum {
  FERN_CONTAIN_AUTO = 0,      /* the strongest this machine lets fern use */
  FERN_CONTAIN_CGROUP,        /* a cgroup v2 per job: cgroup.kill */
  FERN_CONTAIN_SUBREAPER,     /* fern adopts orphans; FERN_JOB marks them */
  FERN_CONTAIN_PROCESS_GROUP  /* the main process's group only (weakest) */
};

/* How the checked file is executed (fern_procs_options_t.exec). */
enum {
  FERN_EXEC_AUTO = 0,   /* by descriptor where the kernel keeps the name */
  FERN_EXEC_DESCRIPTOR, /* execveat(fd, "", AT_EMPTY_PATH) of the file */
  FERN_EXEC_NAME        /* by name in its directory, held since the check */
};

typedef struct fern_procs_options_s {
  uint32_t struct_size;
  /* The runner's name: the log line that says what containment it got,
   * and its jobs' ids, say it. */
  const char *name;
  uint32_t containment;        /* FERN_CONTAIN_* */
  uint32_t watch_with_sigchld; /* watch exits by SIGCHLD, not pidfds */
  uint32_t spawn_with_fork;    /* fork, not clone3 */
  uint32_t exec;               /* FERN_EXEC_* */
} fern_procs_options_t;

/* fern_spawn_t.flags */
/* `exec` is an ELF program for this machine (checked before the spawn;
 * a shared library, a script, another machine's binary is refused with a
 * message that says so). */
#define FERN_SPAWN_ELF (1u << 0)
/* fd 3 is the lifecycle channel (fern/lifecycle.h): a stop is the "stop"
 * message on it. */
#define FERN_SPAWN_LIFECYCLE (1u << 1)
/* NOTIFY_SOCKET is set; `started` waits for READY=1 (sd_notify). */
#define FERN_SPAWN_NOTIFY (1u << 2)
/* With FERN_SPAWN_NOTIFY: the socket is a file, not an abstract name, so
 * that a wrapper can bind it into a sandbox with a network of its own
 * (fern_spawn_plan_t.notify_file names it). */
#define FERN_SPAWN_NOTIFY_FILE (1u << 3)
/* The run's failure by itself ends the tree (main_process_critical: the
 * host asks its policy first). */
#define FERN_SPAWN_CRITICAL (1u << 4)
/* stdout (and stderr) go to /dev/null, not to fern's log. */
#define FERN_SPAWN_DISCARD_STDOUT (1u << 5)
#define FERN_SPAWN_DISCARD_STDERR (1u << 6)
/* `exec` is not a file of the package (a wrapper's program block names
 * none): nothing is checked or executed of it; the wrapper runs. */
#define FERN_SPAWN_NO_EXEC (1u << 7)
/* Host ABI 2.4: the package is the program's file system root, as an OSv
 * image is: a mount namespace of its own where `/` is the package, with
 * a /proc, the host's /dev, a tmpfs at /tmp, and read-only the host's
 * copies of the libraries OSv's kernel supplies (the C library and its
 * loader among them); the working directory is `/`. fern makes the mount
 * points missing in the package. Needs fern to run as root. */
#define FERN_SPAWN_PACKAGE_ROOT (1u << 8)

/* One resource limit. Passed as an array, so it never grows: a later
 * minor adds another member to fern_spawn_t instead. */
typedef struct fern_rlimit_s {
  int resource; /* RLIMIT_* */
  uint64_t soft, hard;
} fern_rlimit_t;

/* What a wrapper's hooks see and fill (fern_spawn_t.prepare). The host
 * fills it; a member a later minor appends may be written by a plugin
 * only where struct_size says the host has it. The wrapper gets at most
 * FERN_SPAWN_WRAPPER_FDS descriptors over both hooks (fixed for ABI 2). */
#define FERN_SPAWN_WRAPPER_FDS 3
typedef struct fern_spawn_plan_s {
  uint32_t struct_size;
  /* Read. */
  const char *package_dir; /* the spawn's */
  const char *const *args; /* the spawn's argv[1...], NULL-terminated */
  const char *const *environ; /* the spawn's, NULL-terminated */
  const char *job_id;      /* the job's id (FERN_JOB's value) */
  const char *cgroup;      /* its cgroup, relative to the cgroup2 mount;
                            * NULL without cgroup containment */
  const char *exec_path;   /* the checked file's real path, or NULL */
  int exec_fd;             /* the checked file (read only; the host's) */
  const char *notify_file; /* with FERN_SPAWN_NOTIFY_FILE: the socket */
  const char *notify_inside; /* where a sandbox must bind it */
  int first_wrapper_fd;    /* the number wrapper_fds[0] gets: after the
                            * lifecycle channel and an earlier hook's */
  /* Filled by the hook. Memory from malloc and descriptors become the
   * host's, even when the hook fails. */
  char *wrapper_path;      /* run this instead of `exec` */
  char **wrapper_argv;     /* NULL-terminated */
  int wrapper_fds[FERN_SPAWN_WRAPPER_FDS]; /* handed over in order */
  int wrapper_fd_count;
  /* The wrapper exits 128+N when the program died of signal N (bwrap, an
   * OCI shim): the report says the signal. */
  int exit_codes_as_signals;
  /* A stop's SIGTERM goes to every process of the job but those running
   * this program (the wrapper must outlive its program to report on it),
   * or, if none is found, to the wrapper. Copied: the hook's to keep. */
  const char *term_spares;
  /* A stop's SIGTERM goes to the wrapper only (it forwards it). */
  int term_wrapper_only;
} fern_spawn_plan_t;

/* One run, as the runner asks for it. Strings and arrays are copied. The
 * program's environment is `environ` with FERN_JOB, FERN_MONIKER and
 * FERN_PACKAGE_DIR (and FERN_LIFECYCLE_FD, NOTIFY_SOCKET when asked for);
 * nothing of fern's own environment. */
typedef struct fern_spawn_s {
  uint32_t struct_size;
  const char *moniker;
  /* The package: the working directory, and where `exec` is. */
  const char *package_dir;
  /* The program, relative to the package. */
  const char *exec;
  /* argv[1...]: NULL-terminated, or NULL for none. */
  const char *const *args;
  /* "NAME=value" strings of the program's environment: NULL-terminated,
   * or NULL. */
  const char *const *environ;
  const fern_rlimit_t *rlimits;
  size_t rlimit_count;
  /* How long a start may take (READY=1 with FERN_SPAWN_NOTIFY); 0: 30 s.
   * EXTEND_TIMEOUT_USEC= extends it. */
  uint64_t start_timeout_ms;
  uint32_t flags; /* FERN_SPAWN_* */
  /* A wrapper (bwrap, an OCI shim), or NULL. `prepare` runs on the
   * thread pool once the job is named (its cgroup made) and `exec`
   * checked; `before_spawn` on the loop thread just before the spawn.
   * Either fills the plan. `hook_arg` is theirs; the job frees it with
   * `hook_arg_free` when it is released (from job_start's failure too). */
  int (*prepare)(void *hook_arg, fern_spawn_plan_t *plan, fern_error_t *err);
  int (*before_spawn)(void *hook_arg, fern_spawn_plan_t *plan,
                      fern_error_t *err);
  void *hook_arg;
  void (*hook_arg_free)(void *hook_arg);
  /* Host ABI 2.2: listening sockets the program serves, handed over as
   * systemd's socket activation does (sd_listen_fds(3)): at descriptors
   * 3, 4, ... in this order, with LISTEN_FDS (their count), LISTEN_PID
   * (the program's pid) and LISTEN_FDNAMES (`listen_names` joined by
   * ':'); the lifecycle channel then comes after them, where
   * FERN_LIFECYCLE_FD says. The descriptors are copied; the caller keeps
   * its own. At most FERN_SPAWN_LISTEN_FDS. */
  const int *listen_fds;
  const char *const *listen_names;
  size_t listen_count;
  /* Host ABI 2.3: the program's argv[0], as its command line wrote it
   * (an OSv bootcmd's "/node"); NULL: the checked binary's real path. */
  const char *argv0;
} fern_spawn_t;

/* The most listening sockets one spawn hands over. */
#define FERN_SPAWN_LISTEN_FDS 16

/* Where the host binds a notify socket file inside a sandbox. */
#define FERN_NOTIFY_INSIDE "/run/fern/notify"

#ifdef __cplusplus
}
#endif

#endif /* FERN_PROCESS_H */
