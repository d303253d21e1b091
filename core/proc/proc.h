/* proc_service.h - the ELF runner's pieces: program validation, the binary
 * check (elf_image.h), the job that holds a component's processes, the spawn,
 * the lifecycle and notify channels, and the process's end. */
#ifndef FERN_RUNNERS_ELF_H
#define FERN_RUNNERS_ELF_H

#include <fern/runner.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/types.h>

/* How a component's processes are held together, strongest first. */
typedef enum proc_job_kind {
  PROC_JOB_CGROUP,       /* a cgroup v2 per component: cgroup.kill */
  PROC_JOB_SUBREAPER,    /* fern adopts orphans; FERN_JOB marks descendants */
  PROC_JOB_PROCESS_GROUP /* the main process's group only (weakest) */
} proc_job_kind;

typedef struct proc_guardian_s proc_guardian;

/* Descriptors a wrapper (bubblewrap) gets after the lifecycle channel. */
#define PROC_WRAPPER_FDS FERN_SPAWN_WRAPPER_FDS
/* Listening sockets a program serves (LISTEN_FDS). */
#define PROC_LISTEN_FDS FERN_SPAWN_LISTEN_FDS
/* Descriptors a program gets: 0, 1, 2, its listening sockets, the
 * lifecycle channel, and a wrapper's. */
#define PROC_SPAWN_FDS_MAX (4 + PROC_LISTEN_FDS + PROC_WRAPPER_FDS)
/* Descriptors a spawn hands over: those, the binary it executes, and the
 * exec error pipe (the last two close at the exec). */
#define PROC_SPAWN_SLOTS (PROC_SPAWN_FDS_MAX + 2)
#define PROC_SPAWN_BATCH 16 /* spawns per loop turn (proc_spawn_queue.c) */
#define PROC_SPAWN_SLOT_EXEC (PROC_SPAWN_SLOTS - 2)
#define PROC_SPAWN_SLOT_ERROR (PROC_SPAWN_SLOTS - 1)

/* Emptied cgroups kept for the next start (proc_cgroup_pool.c). */
#define PROC_CGROUP_POOL_MAX 256

typedef struct proc_service_s {
  const fern_host_t *host;
  proc_job_kind job_kind;
  int use_pidfd;     /* watch exits with pidfds (else SIGCHLD + waitpid) */
  int use_clone3;    /* spawn with clone3 (else fork) */
  int exec_by_descriptor; /* execveat the checked descriptor (else the
                           * checked name in its held directory) */
  char cgroup_base[PATH_MAX]; /* PROC_JOB_CGROUP: our directory */
  int cgroup_nests_v1; /* it nests under fern's own in every hierarchy */
  char notify_dir[64]; /* notify socket files (mode 0700), once needed */
  int notify_dir_fd;   /* holds its lock while this fern lives, or -1 */
  int cgroup_base_fd;         /* O_PATH to it, or -1 */
  int cgroup_lock_fd; /* holds flock on it while this fern lives, or -1 */
  unsigned long next_id;
  char job_tag[24]; /* this runner's part of its jobs' ids (proc_job_tag) */
  proc_guardian *guardian;
  uv_signal_t sigchld; /* runs without a pidfd; orphans to reap */
  struct proc_run_s *live; /* running controllers, for SIGCHLD */
  size_t live_without_pidfd; /* those SIGCHLD must poll: few or none */
  char read_buf[65536]; /* every stream reads here: libuv hands it to the
                         * read callback at once, on the loop thread */
  size_t cgroup_mount_len; /* where cgroup paths relative to the mount begin */
  struct rlimit child_nofile; /* the open-file limit fern was started with */
  int spawn_null;          /* /dev/null, open for the runner's life */
  int spawn_slot[PROC_SPAWN_SLOTS]; /* low descriptors a spawn fills */
  int spawn_slot_max;      /* the highest of them; -1 without slots */
  int spawn_slot_used[PROC_SPAWN_SLOTS]; /* holds other than /dev/null */
  uint64_t spawn_signals; /* bit N-1: a child resets signal N (fern
                           * handles or ignores it) */
  char *cgroup_pool[PROC_CGROUP_POOL_MAX]; /* emptied cgroups' paths */
  size_t cgroup_pool_count;
  char **removal_queue; /* cgroups to remove (proc_cgroup_removal.c) */
  size_t removal_count, removal_capacity;
  int removal_running;  /* a batch is on the pool */
  int removal_closing;  /* the runner closes: nothing waits any more */
  uv_timer_t removal_timer; /* the longest removals wait for stops */
  uint64_t stops_progressed; /* uv_now() when a stop last began or ended */
  uint64_t cost_window_start; /* ends that read their cgroup's cost, */
  unsigned cost_window_reads; /* counted per window (proc_cost.c) */
  size_t stopping; /* runs told to stop that have not ended */
  uv_idle_t spawn_idle; /* spawns the queue's next batch each loop turn */
  uv_timer_t pace_timer; /* looks for room in fern's log (proc_output_pace.c) */
  struct proc_run_s *paced; /* runs not read until there is room */
  struct proc_run_s *spawn_head, **spawn_tail;
  struct proc_run_s *turn_spawned[PROC_SPAWN_BATCH]; /* this turn's spawns, */
  size_t turn_spawned_count; /* told fern's peak after it (proc_cost.c) */
  int open_handles; /* sigchld, spawn_idle, its timers, removal batches:
                     * freed at 0 */
  char name[32]; /* the runner's: its log line, its jobs' ids */
  struct proc_registry_s *registry; /* the manager's services */
  struct proc_service_s *next_in_registry;
} proc_service;

enum { PROC_STDOUT = 0, PROC_STDERR = 1 };
#define PROC_LINE_MAX 4096
#define PROC_DEFAULT_START_TIMEOUT_MS 30000
#define PROC_FAILURE_MAX 600
#define PROC_RLIMITS_MAX 16

/* One forwarded output stream. The partial line is allocated only while
 * one is pending: thousands of quiet components cost no line buffers. */
typedef struct proc_stream_s {
  uv_pipe_t pipe;
  int open;
  char *line; /* PROC_LINE_MAX bytes, or NULL */
  size_t line_len;
  int discarding; /* the rest of a line that was cut, up to its end */
} proc_stream;

/* The sd_notify socket of a run that reports readiness: abstract
 * ("@fern/<job>/notify"), or, for a program in a network namespace of its
 * own (where fern's abstract names are not), a socket file bound into its
 * sandbox at PROC_NOTIFY_INSIDE. */
typedef struct proc_notify_s {
  uv_poll_t poll;
  char name[108];  /* NOTIFY_SOCKET, as the program sees it */
  char bound[108]; /* where fern listens: the abstract name, or the file */
} proc_notify;

#define PROC_NOTIFY_INSIDE FERN_NOTIFY_INSIDE

/* A main process other than the one spawned (MAINPID=), watched by its
 * pidfd. */
typedef struct proc_main_follow_s {
  uv_poll_t poll;
  struct proc_run_s *controller;
  int pidfd;
  pid_t pid;
  int leads_group; /* it led its process group when it was named */
} proc_main_follow;

typedef struct proc_rlimit_s {
  int resource;
  struct rlimit limit;
} proc_rlimit;

/* The job of one component: its id, and its cgroup when it has one. */
typedef struct proc_job_s {
  proc_job_kind kind;
  char id[64];             /* FERN_JOB value: "<fern pid>@<pid ns>.<n>" */
  char *cgroup;            /* PROC_JOB_CGROUP: its directory, or NULL */
  const char *name;        /* its last component, inside `cgroup` */
  int base_fd;             /* the runner's cgroup_base_fd */
  int made;                /* the cgroup exists (and is ours to remove) */
  int reusable;            /* seen empty and unfrozen: may serve again */
  int kill_written;        /* cgroup.kill was used: it may not */
  const char *cgroup_rel;  /* the same, relative to the cgroup2 mount */
  int cgroup_fd;           /* O_PATH fd for CLONE_INTO_CGROUP, or -1 */
  pid_t pgid;
  int reused;              /* its cgroup served an earlier run */
  long long cpu_base_usec; /* its cpu.stat usage_usec when this run took it */
} proc_job;

typedef struct proc_run_s {
  proc_service *runner;
  const fern_host_t *host;
  fern_instance_t *instance;
  char *moniker;
  char *package_dir;
  char *binary; /* as the manifest says, relative to the package */
  char **argv;  /* argv[0] is the binary's real path once checked */
  char *argv0;  /* what argv[0] is to be instead, or NULL */
  char **environ; /* program.environ, copied */
  char **envp;    /* what the program gets: built at spawn */
  int forward[2];
  int stop_notify, ready_notify, critical;
  uint64_t start_timeout_ms;
  uint64_t start_deadline; /* uv_now ms the start timeout ends */
  proc_rlimit *rlimits; /* PROC_RLIMITS_MAX, allocated when the program has some */
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

  proc_job job;
  pid_t pid;
  int pidfd;
  int lifecycle_fd; /* our end of the lifecycle socket, or -1 */
  int notify_fd;    /* the NOTIFY_SOCKET we listen on, or -1 */
  struct proc_notify_s *notify; /* with ready_event notify only */
  int notify_by_file; /* a wrapper binds the socket file into its sandbox */
  proc_stream streams[2];
  uv_timer_t timer; /* start timeout, then the drain after exit */
  int timer_open;
  int open_handles; /* the report waits until all are closed */
  int spawned, exited, cancelled, term_sent, stop_sent, ready, finishing;
  int stop_counted; /* counted in the runner's `stopping` */
  struct rusage usage;  /* the main process's, from its reaping */
  int have_usage;
  uint32_t end_costs;   /* FERN_COST_*: what its cgroup said at the end */
  uint64_t end_cpu_usec, end_peak_bytes;
  uint64_t seen_peak_bytes; /* the highest peak a cost query saw */
  long spawner_peak_kib; /* fern's own peak just after the spawn: what the
                          * main process's ru_maxrss may be of fern's */
  int drain_ticks, drain_expired;
  int exit_code, term_signal, core_dumped;
  int start_failed; /* cannot_start */
  proc_main_follow *follow; /* MAINPID= named another main process */
  int launcher_reaped;     /* with `follow`: the spawned process is reaped */
  int exit_unknown;        /* the main process was not fern's child */
  int mainpid_refused;     /* said once why MAINPID= is not followed */
  char *failure; /* why it could not start (PROC_FAILURE_MAX), or NULL */

  /* A wrapper (bwrap, an OCI shim) runs another program that runs ours:
   * its hooks fill a fern_spawn_plan_t (prepare on the thread pool after
   * the check, before_spawn on the loop), taken into exec_* and these. */
  int (*prepare)(void *hook_arg, fern_spawn_plan_t *plan, fern_error_t *err);
  int (*before_spawn)(void *hook_arg, fern_spawn_plan_t *plan,
                      fern_error_t *err);
  void *hook_arg;
  void (*hook_arg_free)(void *hook_arg);
  int package_root;    /* FERN_SPAWN_PACKAGE_ROOT */
  struct proc_image_root_s *root; /* planned with the check, or NULL */
  int no_binary_check; /* FERN_SPAWN_NO_EXEC */
  int check_elf;       /* FERN_SPAWN_ELF */
  char *exec_path;        /* NULL: run binary_path itself */
  char **exec_argv;
  char *term_spares; /* a stop's SIGTERM spares processes running this */
  int term_wrapper_only; /* a stop's SIGTERM goes to the wrapper only */
  /* What a hook hands the wrapper, in order after the lifecycle channel
   * (fd 3, or 4 with it); each closed once the spawn is done. */
  int wrapper_fds[PROC_WRAPPER_FDS];
  int wrapper_fd_count;
  int wrapper_fds_lost; /* a hook gave more than PROC_WRAPPER_FDS */
  /* Listening sockets it serves, from fd 3 on (copies; closed once the
   * spawn is done), LISTEN_FDNAMES' value, and where in envp LISTEN_PID's
   * digits go (the child writes its own pid there). */
  int listen_fds[PROC_LISTEN_FDS];
  int listen_count;
  char *listen_names;
  char *listen_pid_env;
  int exit_codes_as_signals; /* 128+N means died of signal N */
  int job_empty; /* its job held nothing once the main process ended */
  int job_at_spawn; /* its cgroup is taken at the spawn (plain runs) */
  int spawn_queued;
  struct proc_run_s *next_spawn;
  struct proc_run_s *next_live;
  struct proc_run_s *next_paced;
  struct proc_run_s **prev_paced; /* what points here; NULL: off */
  struct proc_run_s **prev_live; /* what points here; NULL: off */
} proc_run;

/* The service (proc_service.c), behind the host's procs_open and
 * procs_close: `registry` is the manager's list of services, which each
 * one's orphan reaping looks through (it reaps no child another service
 * waits for). */
typedef struct proc_registry_s {
  struct proc_service_s *head;
  unsigned opened; /* services ever opened: each one's job tag */
} proc_registry;
int proc_service_open(const fern_host_t *host, proc_registry *registry,
                      const fern_procs_options_t *options,
                      proc_service **out, fern_error_t *err);
void proc_service_close(proc_service *r);

/* A run (proc_run.c), behind job_start, job_stop, job_kill and
 * job_release. */
int proc_run_start(proc_service *r, fern_instance_t *instance,
                   const fern_spawn_t *spawn, proc_run **out,
                   fern_error_t *err);
void proc_run_stop(proc_run *c);
void proc_run_kill(proc_run *c);
void proc_run_release(proc_run *c);
/* The run told to stop has ended (its cgroup is given back first). */
void proc_run_stop_over(proc_run *c);
/* What the run costs so far (proc_cost.c). */
int proc_run_cost(proc_run *c, fern_cost_t *cost);
/* A pooled cgroup taken for a run: what it spent before is not the run's. */
void proc_cost_reused(proc_job *job);
/* Reads what its cgroup says it cost, before the cgroup goes. */
void proc_cost_at_end(proc_run *c);
/* A main process was spawned in this spawn turn; the turn is over: each
 * learns fern's own peak memory, which its rusage's may be. Forgetting a
 * run freed before its turn ended. */
void proc_cost_spawned(proc_run *c);
void proc_cost_turn_over(proc_service *r);
void proc_cost_forget(proc_run *c);
/* Puts what it cost into its stop report. */
void proc_cost_report(const proc_run *c, fern_stop_report_t *r);
/* The wrapper's before_spawn hook, if it has one (loop thread, the job
 * made, just before the spawn). */
int proc_run_before_spawn(proc_run *c, fern_error_t *err);

/* Closes what the wrapper was to get. */
void proc_wrapper_fds_close(proc_run *c);
/* Closes the run's copies of its listening sockets. */
void proc_listen_fds_close(proc_run *c);
/* Closes the checked binary and its directory (after the spawn). */
void proc_binary_fds_close(proc_run *c);

/* Checks the open file `fd` (the binary at `path`, named `shown` in the
 * manifest) before it is spawned: a regular ELF executable or PIE for this
 * machine, with an interpreter the kernel would take, executable by us.
 * Reads a bounded few KiB whatever its headers claim (elf_image.h). Any
 * thread; `fd` stays the caller's. */
int elf_binary_check(int fd, const char *path, const char *shown,
                     fern_error_t *err);
void elf_binary_suggest(const char *package_dir, const char *binary,
                        char *suggestion, size_t size);

/* Jobs (proc_job.c). */
/* Calls visit for each mounted cgroup file system (v1 and v2) with its
 * mount point and its super options ("rw,memory" for v1's memory). */
void proc_cgroup_mounts(void (*visit)(const char *mount, int v2,
                                      const char *options, void *arg),
                        void *arg);
int proc_job_setup_runner(proc_service *r, const char *wanted, fern_error_t *err);
const char *proc_job_kind_name(proc_job_kind kind);
/* What the kind cannot hold, as the end of the runner's log line ("" for
 * cgroups). */
const char *proc_job_kind_gaps(proc_job_kind kind);
/* Names the runner's jobs apart from every other runner's in this fern:
 * the ELF, sandbox and OCI plugins each carry their own copy of this code
 * (and its counters), and two runners of one plugin may exist. `name` is
 * the plugin's ("elf", "sandbox", "oci"). */
void proc_job_tag(proc_service *r, const char *name, unsigned number);
/* Names a component's job: its id, and with `cgroup_now` its cgroup's
 * path (else proc_job_take gives it one at the spawn). Loop thread. */
int proc_job_name(proc_service *r, proc_job *job, int cgroup_now);
/* Makes the cgroup proc_job_name named: any thread (the binary check's
 * worker does it, off the loop). */
int proc_job_make(proc_job *job, fern_error_t *err);
/* Sends `signum` to every process of the job. Returns how many it found
 * (for the cgroup kind: 1 while it is populated). */
int proc_job_signal(proc_job *job, int signum);
/* Sends `signum` to every process of the job that does not run the program
 * at `spare_exe` (a wrapper, which would otherwise die of it first).
 * Returns how many it signalled. */
int proc_job_signal_others(const proc_job *job, int signum,
                          const char *spare_exe);
/* Whether the job still has processes; for the cgroup kind it also
 * notes whether the cgroup could be used again (job->reusable). */
int proc_job_populated(proc_job *job);
/* Whether `pid` belongs to the job. */
int proc_job_owns(const proc_job *job, pid_t pid);
/* Closes the job: its cgroup goes back to the pool or is removed. */
void proc_job_release(proc_service *r, proc_job *job);
/* Points the job at the cgroup at `path` (taken). */
void proc_job_adopt(proc_service *r, proc_job *job, char *path);
/* Gives a job named without its cgroup one: an emptied one from the pool,
 * else its own, made now. Loop thread. */
int proc_job_take(proc_service *r, proc_job *job, fern_error_t *err);
/* Reads the file `file` of the job's cgroup (relative to the runner's
 * directory: no walk of the whole path) into `buf`, NUL-terminated; its
 * length, or -1. */
ssize_t proc_job_read(const proc_job *job, const char *file, char *buf,
                      size_t size);
/* Removes the parents this process made for runners' cgroup bases, once
 * they are empty (after the runner's base `base` is removed). */
void proc_cgroup_parents_remove(const char *base);

/* Removes the cgroup at `dir` and any cgroups inside it, deepest first.
 * Allocates nothing, takes no lock (the guardian runs it too). */
void proc_job_remove_cgroup_tree(const char *dir);

/* The pool of emptied cgroups (proc_cgroup_pool.c); loop thread. */
/* An emptied cgroup's path (the caller's now), or NULL. */
char *proc_cgroup_pool_take(proc_service *r);
/* Keeps the job's (made) cgroup for another run if it may be; 1 if it
 * took it. */
int proc_cgroup_pool_give(proc_service *r, proc_job *job);
/* Removes every kept cgroup (the runner's release). */
void proc_cgroup_pool_drain(proc_service *r);
/* Removals of cgroups no run will use (proc_cgroup_removal.c); loop
 * thread. */
void proc_cgroup_removal_init(proc_service *r);
/* Removes the cgroup at `path` (and cgroups inside it) off the loop, once
 * the runner's stops have ended; takes `path`. */
void proc_cgroup_remove(proc_service *r, char *path);
/* A run was told to stop; it has ended (removals wait in between). */
void proc_cgroup_removal_stop_begins(proc_service *r);
void proc_cgroup_removal_stop_ends(proc_service *r);
/* Starts what waits and closes the timer (`closed` drops its hold). */
void proc_cgroup_removal_close(proc_service *r, uv_close_cb closed);
/* Drops one of the runner's holds (open_handles); the last frees it. */
void proc_service_unref(proc_service *r);
/* Listens for SIGCHLD while a run, the subreaper or the guardian needs
 * it, and not otherwise; call when one of those changes. */
void proc_service_sigchld_update(proc_service *r);

/* The spawn queue (proc_spawn_queue.c): checked runs spawn a batch per
 * loop turn. */
void proc_spawn_queue_init(proc_service *r);
void proc_spawn_queue_add(struct proc_run_s *c);
/* Takes a run out of the queue (its controller is being freed). */
void proc_spawn_queue_remove(struct proc_run_s *c);

/* Jobs seen through /proc (proc_job_proc.c). System calls and stack
 * buffers only: the guardian runs them after a fork. */
typedef struct proc_pid_info_s {
  char state; /* 'R', 'S', 'Z', ... */
  pid_t ppid;
  pid_t session;
  unsigned long long utime, stime; /* CPU time, in clock ticks */
} proc_pid_info;
/* Reads a small file whole (NUL-terminated); -1 if it cannot. */
ssize_t proc_read_small(const char *path, char *buf, size_t size);
/* Calls visit(pid, arg) for every process in /proc. */
void proc_pid_each(void (*visit)(pid_t, void *), void *arg);
/* The process's state, parent and session; -1 if it is gone. */
int proc_pid_stat(pid_t pid, proc_pid_info *info);
/* This fern's part of every FERN_JOB it gives: "<pid>@<pid namespace>."
 * (pid numbers repeat across namespaces; the namespace's inode, from
 * /proc/self/ns/pid, tells them apart). Allocates nothing. */
void proc_job_prefix(char *out, size_t size);
/* Reads "<pid>@<ns>." from a FERN_JOB value; 0 if it is not one. */
int proc_job_prefix_parse(const char *value, pid_t *pid, unsigned long *ns);
/* Whether its environment holds `mark` ("FERN_JOB=<pid>@<ns>.<n>"), or,
 * for a mark ending in '.', a variable starting with it. */
int proc_pid_marked(pid_t pid, const char *mark);
/* Whether `pid` is one of the job's (its mark, or its main's session). */
int proc_pid_in_job(const proc_job *job, pid_t pid);
/* Sends `signum` to the job's processes found so; returns how many. */
int proc_pid_signal_job(const proc_job *job, int signum);
/* Whether any of them is alive (a zombie is not). */
int proc_pid_job_alive(const proc_job *job);
/* Kills every process whose environment carries FERN_JOB=<prefix...>;
 * repeats until none is left or `rounds` ran out. */
int proc_job_kill_marked(const char *prefix, int rounds);
/* Reaps zombie children of this process that no controller waits for. */
void proc_job_reap_orphans(proc_service *r);

/* Kills every process in the cgroup at `dir` and the cgroups inside it,
 * waits (5 s at most) for them to be gone, and removes the cgroups
 * (proc_cgroup_tree.c). Allocates nothing, takes no lock. */
void proc_cgroup_kill_tree(const char *dir);

/* The guardian (proc_guardian.c): a process in a session of its own that
 * outlives a SIGKILL of fern, or of fern's process group, and then kills
 * every component process. If it dies, fern says so and starts another. */
proc_guardian *proc_guardian_start(proc_service *r);
void proc_guardian_stop(proc_guardian *g);
/* Whether `pid` is the guardian's (its exit is the guardian's to see). */
/* The guardian's pid, or 0. */
pid_t proc_guardian_pid(const proc_guardian *g);
/* Without pidfds: looks whether the guardian died (on SIGCHLD). */
void proc_guardian_check(proc_guardian *g);
/* Whether a pidfd tells of the guardian's end (else SIGCHLD must). */
int proc_guardian_watched(const proc_guardian *g);

/* What a dead fern left (proc_stale.c): cgroups beside this runner's whose
 * fern is gone, and processes marked with a gone fern's jobs. Ends them
 * and says so. Loop thread, at the runner's creation. */
void proc_stale_sweep(proc_service *r);

/* The spawn (proc_spawn.c). */
int proc_spawn(proc_run *c, int out_fds[2], int lifecycle_child_fd);
/* The buffer a start failure is written into (PROC_FAILURE_MAX bytes),
 * allocated the first time: a run that starts well never has one. */
char *proc_failure_buf(proc_run *c);
/* EXTEND_TIMEOUT_USEC= while starting: the start timeout ends no sooner
 * than `ms` from now. */
void proc_process_extend_start(proc_run *c, uint64_t ms);
/* The runner's spawn slots: a few low descriptors a spawn's child keeps,
 * opened at create, closed at release (proc_spawn.c). */
void proc_spawn_slots_open(proc_service *r);
void proc_spawn_slots_close(proc_service *r);
/* Notes which signals fern handles or ignores: a child resets those. */
void proc_spawn_read_signals(proc_service *r);

/* Output read no faster than fern's log takes it (proc_output_pace.c);
 * loop thread. */
void proc_output_pace_init(proc_service *r);
/* After a read: stops reading the run's output while the log is low on
 * room (a timer reads it again once there is plenty). */
void proc_output_pace(proc_run *c);
/* Takes the run off the paused list, reading again if `read_again`. */
void proc_output_release(proc_run *c, int read_again);
/* The read callbacks of a run's output pipes (proc_process.c). */
void proc_output_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
void proc_output_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

/* Notify socket (proc_notify.c). */
int proc_notify_open(proc_run *c, fern_error_t *err);
/* The directory for notify socket files, made on first use, locked while
 * this fern lives (proc_notify_dir.c). Loop thread. */
int proc_notify_dir(proc_service *r, fern_error_t *err);
/* Removes it (its socket files are gone) and lets go of its lock. */
void proc_notify_dir_release(proc_service *r);
/* Removes the notify directories of ferns that ended without their
 * release (nobody holds their lock); returns how many. Any thread. */
int proc_notify_dir_sweep(void);
/* The socket file of this run (in the runner's notify directory). */
void proc_notify_file(const proc_run *c, char *out, size_t size);
/* Closes the socket; a socket file goes too. */
void proc_notify_close(proc_run *c);

/* MAINPID= (proc_mainpid.c); loop thread. */
/* The run's main process: the one spawned, or the one MAINPID= named. */
pid_t proc_main_pid(const proc_run *c);
/* Takes "MAINPID=<value>" (the value's `len` bytes) from the notify
 * socket: follows that process if it may be the main one. */
void proc_mainpid_take(proc_run *c, const char *value, size_t len);
/* The spawned process ended: 1 if another is the main process now (the
 * spawned one is reaped, and the run goes on), else 0. */
int proc_mainpid_launcher_ended(proc_run *c);
/* How long a run's end waits for the status of a main process fern could
 * not reap (its parent reaps it at once; proc_pidfd_status_late). */
#define PROC_MAINPID_STATUS_WAIT_MS 500
/* The run is over: the spawned process reaped, the watch closed. */
void proc_mainpid_finish(proc_run *c);
/* The process spawned, or 0 once it is reaped and another is the main
 * one (its pid may name another process by then). */
pid_t proc_spawned_pid(const proc_run *c);
/* Sends `signum` to the main process MAINPID= named (and its group), and
 * to the launcher while it lives. */
void proc_mainpid_signal(proc_run *c, int signum);
/* The end of a main process (proc_pidfd_status.c). */
/* The exit status of a process someone else reaped, from its pidfd: 1 if
 * the kernel kept it (Linux 6.15), else 0. */
int proc_pidfd_exit_status(proc_run *c, int pidfd);
/* Its pidfd turned readable: 1 if it ended (reaped here if fern's child,
 * its status recorded, or c->exit_unknown), 0 if not yet. */
int proc_pidfd_collect(proc_run *c, int pidfd);
/* A main process whose status was unknown: 1 if its reaper has reaped it
 * by now and the status is recorded, else 0. */
int proc_pidfd_status_late(proc_run *c);
/* Reads what waits on the notify socket now (before an exit is handled). */
void proc_notify_drain(proc_run *c);

/* The running process (proc_process.c). */
/* The main process ended (its status recorded): the job goes with it. */
void proc_process_main_exited(proc_run *c);
/* A critical component whose run failed by itself ends the tree. */
void proc_process_critical_check(proc_run *c);
void proc_process_record_waitid(proc_run *c, const siginfo_t *info);
/* One of the run's handles closed; the last one sends the report. */
void proc_process_handle_closed(proc_run *c);
int proc_process_start(proc_run *c);
void proc_process_report_now(proc_run *c);
void proc_process_signal(proc_run *c, int signum);
void proc_process_kill_job(proc_run *c);
/* For SIGCHLD mode: checks whether the main process ended. */
void proc_process_poll_exit(proc_run *c);

#endif /* FERN_CORE_PROC_H */
