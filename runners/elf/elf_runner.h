/* elf_runner.h - the ELF runner's pieces: program validation, the binary
 * check (elf_image.h), the job that holds a component's processes, the spawn,
 * the lifecycle and notify channels, and the process's end. */
#ifndef FERN_RUNNERS_ELF_H
#define FERN_RUNNERS_ELF_H

#include <fern/runner.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/types.h>

/* How a component's processes are held together, strongest first. */
typedef enum elf_job_kind {
  ELF_JOB_CGROUP,       /* a cgroup v2 per component: cgroup.kill */
  ELF_JOB_SUBREAPER,    /* fern adopts orphans; FERN_JOB marks descendants */
  ELF_JOB_PROCESS_GROUP /* the main process's group only (weakest) */
} elf_job_kind;

typedef struct elf_guardian_s elf_guardian;

/* Descriptors a wrapper (bubblewrap) gets after the lifecycle channel. */
#define ELF_WRAPPER_FDS 3
/* Descriptors a program gets: 0, 1, 2, the lifecycle channel, and a
 * wrapper's. */
#define ELF_SPAWN_FDS_MAX (4 + ELF_WRAPPER_FDS)
/* Descriptors a spawn hands over: those, the binary it executes, and the
 * exec error pipe (the last two close at the exec). */
#define ELF_SPAWN_SLOTS (ELF_SPAWN_FDS_MAX + 2)
#define ELF_SPAWN_SLOT_EXEC (ELF_SPAWN_SLOTS - 2)
#define ELF_SPAWN_SLOT_ERROR (ELF_SPAWN_SLOTS - 1)

/* Emptied cgroups kept for the next start (elf_cgroup_pool.c). */
#define ELF_CGROUP_POOL_MAX 256

typedef struct elf_runner_s {
  const fern_host_t *host;
  elf_job_kind job_kind;
  int use_pidfd;     /* watch exits with pidfds (else SIGCHLD + waitpid) */
  int use_clone3;    /* spawn with clone3 (else fork) */
  int exec_by_descriptor; /* execveat the checked descriptor (else the
                           * checked name in its held directory) */
  char cgroup_base[PATH_MAX]; /* ELF_JOB_CGROUP: our directory */
  char notify_dir[64]; /* notify socket files (mode 0700), once needed */
  int notify_dir_fd;   /* holds its lock while this fern lives, or -1 */
  int cgroup_base_fd;         /* O_PATH to it, or -1 */
  int cgroup_lock_fd; /* holds flock on it while this fern lives, or -1 */
  unsigned long next_id;
  char job_tag[24]; /* this runner's part of its jobs' ids (elf_job_tag) */
  elf_guardian *guardian;
  uv_signal_t sigchld; /* runs without a pidfd; orphans to reap */
  struct elf_controller_s *live; /* running controllers, for SIGCHLD */
  size_t live_without_pidfd; /* those SIGCHLD must poll: few or none */
  char read_buf[65536]; /* every stream reads here: libuv hands it to the
                         * read callback at once, on the loop thread */
  size_t cgroup_mount_len; /* where cgroup paths relative to the mount begin */
  struct rlimit child_nofile; /* the open-file limit fern was started with */
  int spawn_null;          /* /dev/null, open for the runner's life */
  int spawn_slot[ELF_SPAWN_SLOTS]; /* low descriptors a spawn fills */
  int spawn_slot_max;      /* the highest of them; -1 without slots */
  int spawn_slot_used[ELF_SPAWN_SLOTS]; /* holds other than /dev/null */
  uint64_t spawn_signals; /* bit N-1: a child resets signal N (fern
                           * handles or ignores it) */
  char *cgroup_pool[ELF_CGROUP_POOL_MAX]; /* emptied cgroups' paths */
  size_t cgroup_pool_count;
  uv_idle_t spawn_idle; /* spawns the queue's next batch each loop turn */
  uv_timer_t pace_timer; /* looks for room in fern's log (elf_output_pace.c) */
  struct elf_controller_s *paced; /* runs not read until there is room */
  struct elf_controller_s *spawn_head, **spawn_tail;
  int open_handles; /* sigchld, spawn_idle, cgroup removals: freed at 0 */
  void *ext;               /* a wrapping runner's own state */
  void (*ext_free)(void *ext);
} elf_runner;

enum { ELF_STDOUT = 0, ELF_STDERR = 1 };
#define ELF_LINE_MAX 4096
#define ELF_DEFAULT_START_TIMEOUT_MS 30000
#define ELF_FAILURE_MAX 600
#define ELF_RLIMITS_MAX 16

/* One forwarded output stream. The partial line is allocated only while
 * one is pending: thousands of quiet components cost no line buffers. */
typedef struct elf_stream_s {
  uv_pipe_t pipe;
  int open;
  char *line; /* ELF_LINE_MAX bytes, or NULL */
  size_t line_len;
} elf_stream;

/* The sd_notify socket of a run that reports readiness: abstract
 * ("@fern/<job>/notify"), or, for a program in a network namespace of its
 * own (where fern's abstract names are not), a socket file bound into its
 * sandbox at ELF_NOTIFY_INSIDE. */
typedef struct elf_notify_s {
  uv_poll_t poll;
  char name[108];  /* NOTIFY_SOCKET, as the program sees it */
  char bound[108]; /* where fern listens: the abstract name, or the file */
} elf_notify;

#define ELF_NOTIFY_INSIDE "/run/fern/notify"

/* A main process other than the one spawned (MAINPID=), watched by its
 * pidfd. */
typedef struct elf_main_follow_s {
  uv_poll_t poll;
  struct elf_controller_s *controller;
  int pidfd;
  pid_t pid;
  int leads_group; /* it led its process group when it was named */
} elf_main_follow;

typedef struct elf_rlimit_s {
  int resource;
  struct rlimit limit;
} elf_rlimit;

/* The job of one component: its id, and its cgroup when it has one. */
typedef struct elf_job_s {
  elf_job_kind kind;
  char id[64];             /* FERN_JOB value: "<fern pid>@<pid ns>.<n>" */
  char *cgroup;            /* ELF_JOB_CGROUP: its directory, or NULL */
  const char *name;        /* its last component, inside `cgroup` */
  int base_fd;             /* the runner's cgroup_base_fd */
  int made;                /* the cgroup exists (and is ours to remove) */
  int reusable;            /* seen empty and unfrozen: may serve again */
  int kill_written;        /* cgroup.kill was used: it may not */
  const char *cgroup_rel;  /* the same, relative to the cgroup2 mount */
  int cgroup_fd;           /* O_PATH fd for CLONE_INTO_CGROUP, or -1 */
  pid_t pgid;
} elf_job;

typedef struct elf_controller_s {
  elf_runner *runner;
  const fern_host_t *host;
  fern_instance_t *instance;
  char *moniker;
  char *package_dir;
  char *binary; /* as the manifest says, relative to the package */
  char **argv;  /* argv[0] is the binary's real path once checked */
  char **environ; /* program.environ, copied */
  char **envp;    /* what the program gets: built at spawn */
  int forward[2];
  int stop_notify, ready_notify, critical;
  uint64_t start_timeout_ms;
  uint64_t start_deadline; /* uv_now ms the start timeout ends */
  elf_rlimit *rlimits; /* ELF_RLIMITS_MAX, allocated when the program has some */
  int rlimit_count;

  /* The check's request is done before the pidfd is watched: one place
   * serves both (thousands of running components, 128 bytes each). */
  union {
    uv_work_t check_work;
    uv_poll_t pidfd_poll;
  };
  int check_rc;
  fern_error_t *check_err; /* during the binary check only */
  char *binary_path; /* the binary's real path, once checked */
  int binary_fd;     /* the checked binary, executed through it; or -1 */
  int binary_dir_fd; /* exec by name: its directory, held; or -1 */
  const char *binary_name; /* exec by name: its name there */
  dev_t binary_dev;  /* exec by name: the file checked */
  ino_t binary_ino;

  elf_job job;
  pid_t pid;
  int pidfd;
  int lifecycle_fd; /* our end of the lifecycle socket, or -1 */
  int notify_fd;    /* the NOTIFY_SOCKET we listen on, or -1 */
  struct elf_notify_s *notify; /* with ready_event notify only */
  int notify_by_file; /* a wrapper binds the socket file into its sandbox */
  elf_stream streams[2];
  uv_timer_t timer; /* start timeout, then the drain after exit */
  int timer_open;
  int open_handles; /* the report waits until all are closed */
  int spawned, exited, cancelled, term_sent, stop_sent, ready, finishing;
  int drain_ticks, drain_expired;
  int exit_code, term_signal, core_dumped;
  int start_failed; /* cannot_start */
  elf_main_follow *follow; /* MAINPID= named another main process */
  int launcher_reaped;     /* with `follow`: the spawned process is reaped */
  int exit_unknown;        /* the main process was not fern's child */
  int mainpid_refused;     /* said once why MAINPID= is not followed */
  char *failure; /* why it could not start (ELF_FAILURE_MAX), or NULL */

  /* A wrapping runner (sandbox) runs another program that runs ours:
   * prepare_exec, on the thread pool after the binary check, fills exec_*
   * and may hand the wrapper one more fd (after the lifecycle channel). */
  int (*prepare_exec)(struct elf_controller_s *c, fern_error_t *err);
  int (*before_spawn)(struct elf_controller_s *c, fern_error_t *err);
  int no_binary_check;
  void (*send_term)(struct elf_controller_s *c);
  void *wrapper;          /* the wrapping runner's per-run state */
  void (*wrapper_free)(void *wrapper);
  char *exec_path;        /* NULL: run binary_path itself */
  char **exec_argv;
  /* What prepare_exec hands the wrapper, in order after the lifecycle
   * channel (fd 3, or 4 with it); each closed once the spawn is done. */
  int wrapper_fds[ELF_WRAPPER_FDS];
  int wrapper_fd_count;
  int exit_codes_as_signals; /* 128+N means died of signal N */
  int job_empty; /* its job held nothing once the main process ended */
  int job_at_spawn; /* its cgroup is taken at the spawn (plain runs) */
  int spawn_queued;
  struct elf_controller_s *next_spawn;
  struct elf_controller_s *next_live;
  struct elf_controller_s *next_paced;
  struct elf_controller_s **prev_paced; /* what points here; NULL: off */
  struct elf_controller_s **prev_live; /* what points here; NULL: off */
} elf_controller;

/* Program keys; `extra_keys` (NULL-terminated, or NULL) are a wrapping
 * runner's own, which it checks itself. Pure; any thread. */
int elf_program_validate(const json_t *program, const char *runner_name,
                         const char *const *extra_keys, fern_error_t *err);

/* The runner operations (elf.c), shared by the ELF and sandbox plugins. */
/* Checks a runner config (`name` is the plugin's, for messages). Pure. */
int elf_config_validate(const json_t *config, const char *name,
                        fern_error_t *err);
int elf_op_create(const fern_host_t *host, const json_t *config, void **runner,
                  fern_error_t *err);
/* elf_op_create for a runner of another name (the log says which). */
int elf_runner_create(const fern_host_t *host, const json_t *config,
                      const char *name, void **runner, fern_error_t *err);
void elf_op_release(void *runner);
int elf_op_start(void *runner, const fern_start_info_t *info,
                 void **controller, fern_error_t *err);
void elf_op_stop(void *controller);
void elf_op_kill(void *controller);
void elf_op_controller_release(void *controller);

/* Hands the wrapper `fd` (taken) as its next descriptor; returns the
 * number it will have in the wrapper, or -1 (and closes it) when there is
 * no room. */
int elf_wrapper_fd_add(elf_controller *c, int fd);
/* Closes what the wrapper was to get. */
void elf_wrapper_fds_close(elf_controller *c);
/* Closes the checked binary and its directory (after the spawn). */
void elf_binary_fds_close(elf_controller *c);

/* How a wrapping runner takes part in a run (see elf_controller). */
typedef struct elf_wrapping_s {
  int (*prepare_exec)(struct elf_controller_s *c, fern_error_t *err);
  void *wrapper;
  void (*wrapper_free)(void *wrapper);
  /* Loop thread, once the job exists, just before the spawn. */
  int (*before_spawn)(struct elf_controller_s *c, fern_error_t *err);
  int no_binary_check; /* "binary" is not a file of the package */
  /* Sends the graceful stop's SIGTERM, instead of to the process group. */
  void (*send_term)(struct elf_controller_s *c);
} elf_wrapping;
/* elf_op_start for a wrapping runner; on success the controller owns
 * `wrapping->wrapper`. */
int elf_start_wrapped(void *runner, const fern_start_info_t *info,
                      const elf_wrapping *wrapping, void **controller,
                      fern_error_t *err);
/* Reads "rlimits" into the controller (validated already). */
void elf_program_rlimits(const json_t *program, elf_controller *c);

/* Checks the open file `fd` (the binary at `path`, named `shown` in the
 * manifest) before it is spawned: a regular ELF executable or PIE for this
 * machine, with an interpreter the kernel would take, executable by us.
 * Reads a bounded few KiB whatever its headers claim (elf_image.h). Any
 * thread; `fd` stays the caller's. */
int elf_binary_check(int fd, const char *path, const char *shown,
                     fern_error_t *err);
void elf_binary_suggest(const char *package_dir, const char *binary,
                        char *suggestion, size_t size);

/* Jobs (elf_job.c). */
/* Calls visit for each mounted cgroup file system (v1 and v2). */
void elf_cgroup_mounts(void (*visit)(const char *mount, int v2, void *arg),
                       void *arg);
int elf_job_setup_runner(elf_runner *r, const char *wanted, fern_error_t *err);
const char *elf_job_kind_name(elf_job_kind kind);
/* What the kind cannot hold, as the end of the runner's log line ("" for
 * cgroups). */
const char *elf_job_kind_gaps(elf_job_kind kind);
/* Names the runner's jobs apart from every other runner's in this fern:
 * the ELF, sandbox and OCI plugins each carry their own copy of this code
 * (and its counters), and two runners of one plugin may exist. `name` is
 * the plugin's ("elf", "sandbox", "oci"). */
void elf_job_tag(elf_runner *r, const char *name);
/* Names a component's job: its id, and with `cgroup_now` its cgroup's
 * path (else elf_job_take gives it one at the spawn). Loop thread. */
int elf_job_name(elf_runner *r, elf_job *job, int cgroup_now);
/* Makes the cgroup elf_job_name named: any thread (the binary check's
 * worker does it, off the loop). */
int elf_job_make(elf_job *job, fern_error_t *err);
/* Sends `signum` to every process of the job. Returns how many it found
 * (for the cgroup kind: 1 while it is populated). */
int elf_job_signal(elf_job *job, int signum);
/* Sends `signum` to every process of the job that does not run the program
 * at `spare_exe` (a wrapper, which would otherwise die of it first).
 * Returns how many it signalled. */
int elf_job_signal_others(const elf_job *job, int signum,
                          const char *spare_exe);
/* Whether the job still has processes; for the cgroup kind it also
 * notes whether the cgroup could be used again (job->reusable). */
int elf_job_populated(elf_job *job);
/* Whether `pid` belongs to the job. */
int elf_job_owns(const elf_job *job, pid_t pid);
/* Closes the job: its cgroup goes back to the pool or is removed. */
void elf_job_release(elf_runner *r, elf_job *job);
/* Points the job at the cgroup at `path` (taken). */
void elf_job_adopt(elf_runner *r, elf_job *job, char *path);
/* Gives a job named without its cgroup one: an emptied one from the pool,
 * else its own, made now. Loop thread. */
int elf_job_take(elf_runner *r, elf_job *job, fern_error_t *err);
/* Removes the cgroup at `dir` and any cgroups inside it, deepest first.
 * Allocates nothing, takes no lock (the guardian runs it too). */
void elf_job_remove_cgroup_tree(const char *dir);

/* The pool of emptied cgroups (elf_cgroup_pool.c); loop thread. */
/* An emptied cgroup's path (the caller's now), or NULL. */
char *elf_cgroup_pool_take(elf_runner *r);
/* Keeps the job's (made) cgroup for another run if it may be; 1 if it
 * took it. */
int elf_cgroup_pool_give(elf_runner *r, elf_job *job);
/* Removes every kept cgroup (the runner's release). */
void elf_cgroup_pool_drain(elf_runner *r);
/* Removes the cgroup at `path` (and cgroups inside it) on the thread pool;
 * takes `path`. */
void elf_cgroup_remove(elf_runner *r, char *path);
/* Drops one of the runner's holds (open_handles); the last frees it. */
void elf_runner_unref(elf_runner *r);

/* The spawn queue (elf_spawn_queue.c): checked runs spawn a batch per
 * loop turn. */
void elf_spawn_queue_init(elf_runner *r);
void elf_spawn_queue_add(struct elf_controller_s *c);
/* Takes a run out of the queue (its controller is being freed). */
void elf_spawn_queue_remove(struct elf_controller_s *c);

/* Jobs seen through /proc (elf_job_proc.c). System calls and stack
 * buffers only: the guardian runs them after a fork. */
typedef struct elf_proc_info_s {
  char state; /* 'R', 'S', 'Z', ... */
  pid_t ppid;
  pid_t session;
} elf_proc_info;
/* Reads a small file whole (NUL-terminated); -1 if it cannot. */
ssize_t elf_read_small(const char *path, char *buf, size_t size);
/* Calls visit(pid, arg) for every process in /proc. */
void elf_proc_each(void (*visit)(pid_t, void *), void *arg);
/* The process's state, parent and session; -1 if it is gone. */
int elf_proc_stat(pid_t pid, elf_proc_info *info);
/* This fern's part of every FERN_JOB it gives: "<pid>@<pid namespace>."
 * (pid numbers repeat across namespaces; the namespace's inode, from
 * /proc/self/ns/pid, tells them apart). Allocates nothing. */
void elf_job_prefix(char *out, size_t size);
/* Reads "<pid>@<ns>." from a FERN_JOB value; 0 if it is not one. */
int elf_job_prefix_parse(const char *value, pid_t *pid, unsigned long *ns);
/* Whether its environment holds `mark` ("FERN_JOB=<pid>@<ns>.<n>"), or,
 * for a mark ending in '.', a variable starting with it. */
int elf_proc_marked(pid_t pid, const char *mark);
/* Whether `pid` is one of the job's (its mark, or its main's session). */
int elf_proc_in_job(const elf_job *job, pid_t pid);
/* Sends `signum` to the job's processes found so; returns how many. */
int elf_proc_signal_job(const elf_job *job, int signum);
/* Whether any of them is alive (a zombie is not). */
int elf_proc_job_alive(const elf_job *job);
/* Kills every process whose environment carries FERN_JOB=<prefix...>;
 * repeats until none is left or `rounds` ran out. */
int elf_job_kill_marked(const char *prefix, int rounds);
/* Reaps zombie children of this process that no controller waits for. */
void elf_job_reap_orphans(elf_runner *r);

/* Kills every process in the cgroup at `dir` and the cgroups inside it,
 * waits (5 s at most) for them to be gone, and removes the cgroups
 * (elf_cgroup_tree.c). Allocates nothing, takes no lock. */
void elf_cgroup_kill_tree(const char *dir);

/* The guardian (elf_guardian.c): a process in a session of its own that
 * outlives a SIGKILL of fern, or of fern's process group, and then kills
 * every component process. If it dies, fern says so and starts another. */
elf_guardian *elf_guardian_start(elf_runner *r);
void elf_guardian_stop(elf_guardian *g);
/* Whether `pid` is the guardian's (its exit is the guardian's to see). */
int elf_guardian_is(const elf_guardian *g, pid_t pid);
/* Without pidfds: looks whether the guardian died (on SIGCHLD). */
void elf_guardian_check(elf_guardian *g);

/* What a dead fern left (elf_stale.c): cgroups beside this runner's whose
 * fern is gone, and processes marked with a gone fern's jobs. Ends them
 * and says so. Loop thread, at the runner's creation. */
void elf_stale_sweep(elf_runner *r);

/* The spawn (elf_spawn.c). */
int elf_spawn(elf_controller *c, int out_fds[2], int lifecycle_child_fd);
/* The buffer a start failure is written into (ELF_FAILURE_MAX bytes),
 * allocated the first time: a run that starts well never has one. */
char *elf_failure_buf(elf_controller *c);
/* EXTEND_TIMEOUT_USEC= while starting: the start timeout ends no sooner
 * than `ms` from now. */
void elf_process_extend_start(elf_controller *c, uint64_t ms);
/* The runner's spawn slots: a few low descriptors a spawn's child keeps,
 * opened at create, closed at release (elf_spawn.c). */
void elf_spawn_slots_open(elf_runner *r);
void elf_spawn_slots_close(elf_runner *r);
/* Notes which signals fern handles or ignores: a child resets those. */
void elf_spawn_read_signals(elf_runner *r);

/* Output read no faster than fern's log takes it (elf_output_pace.c);
 * loop thread. */
void elf_output_pace_init(elf_runner *r);
/* After a read: stops reading the run's output while the log is low on
 * room (a timer reads it again once there is plenty). */
void elf_output_pace(elf_controller *c);
/* Takes the run off the paused list, reading again if `read_again`. */
void elf_output_release(elf_controller *c, int read_again);
/* The read callbacks of a run's output pipes (elf_process.c). */
void elf_output_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
void elf_output_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

/* Notify socket (elf_notify.c). */
int elf_notify_open(elf_controller *c, fern_error_t *err);
/* The directory for notify socket files, made on first use, locked while
 * this fern lives (elf_notify_dir.c). Loop thread. */
int elf_notify_dir(elf_runner *r, fern_error_t *err);
/* Removes it (its socket files are gone) and lets go of its lock. */
void elf_notify_dir_release(elf_runner *r);
/* Removes the notify directories of ferns that ended without their
 * release (nobody holds their lock); returns how many. Any thread. */
int elf_notify_dir_sweep(void);
/* The socket file of this run (in the runner's notify directory). */
void elf_notify_file(const elf_controller *c, char *out, size_t size);
/* Closes the socket; a socket file goes too. */
void elf_notify_close(elf_controller *c);

/* MAINPID= (elf_mainpid.c); loop thread. */
/* The run's main process: the one spawned, or the one MAINPID= named. */
pid_t elf_main_pid(const elf_controller *c);
/* Takes "MAINPID=<value>" (the value's `len` bytes) from the notify
 * socket: follows that process if it may be the main one. */
void elf_mainpid_take(elf_controller *c, const char *value, size_t len);
/* The spawned process ended: 1 if another is the main process now (the
 * spawned one is reaped, and the run goes on), else 0. */
int elf_mainpid_launcher_ended(elf_controller *c);
/* How long a run's end waits for the status of a main process fern could
 * not reap (its parent reaps it at once; elf_pidfd_status_late). */
#define ELF_MAINPID_STATUS_WAIT_MS 500
/* The run is over: the spawned process reaped, the watch closed. */
void elf_mainpid_finish(elf_controller *c);
/* The process spawned, or 0 once it is reaped and another is the main
 * one (its pid may name another process by then). */
pid_t elf_spawned_pid(const elf_controller *c);
/* Sends `signum` to the main process MAINPID= named (and its group), and
 * to the launcher while it lives. */
void elf_mainpid_signal(elf_controller *c, int signum);
/* The end of a main process (elf_pidfd_status.c). */
/* The exit status of a process someone else reaped, from its pidfd: 1 if
 * the kernel kept it (Linux 6.15), else 0. */
int elf_pidfd_exit_status(elf_controller *c, int pidfd);
/* Its pidfd turned readable: 1 if it ended (reaped here if fern's child,
 * its status recorded, or c->exit_unknown), 0 if not yet. */
int elf_pidfd_collect(elf_controller *c, int pidfd);
/* A main process whose status was unknown: 1 if its reaper has reaped it
 * by now and the status is recorded, else 0. */
int elf_pidfd_status_late(elf_controller *c);
/* Reads what waits on the notify socket now (before an exit is handled). */
void elf_notify_drain(elf_controller *c);

/* The running process (elf_process.c). */
/* The main process ended (its status recorded): the job goes with it. */
void elf_process_main_exited(elf_controller *c);
/* A critical component whose run failed by itself ends the tree. */
void elf_process_critical_check(elf_controller *c);
void elf_process_record_waitid(elf_controller *c, const siginfo_t *info);
/* One of the run's handles closed; the last one sends the report. */
void elf_process_handle_closed(elf_controller *c);
int elf_process_start(elf_controller *c);
void elf_process_report_now(elf_controller *c);
void elf_process_signal(elf_controller *c, int signum);
void elf_process_kill_job(elf_controller *c);
/* For SIGCHLD mode: checks whether the main process ended. */
void elf_process_poll_exit(elf_controller *c);

#endif
