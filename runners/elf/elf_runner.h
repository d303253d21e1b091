/* elf_runner.h - the ELF runner's pieces: program validation, the binary
 * check (libelf), the job that holds a component's processes, the spawn,
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

typedef struct elf_runner_s {
  const fern_host_t *host;
  elf_job_kind job_kind;
  int use_pidfd;     /* watch exits with pidfds (else SIGCHLD + waitpid) */
  int use_clone3;    /* spawn with clone3 (else fork) */
  char cgroup_base[PATH_MAX]; /* ELF_JOB_CGROUP: our directory */
  unsigned long next_id;
  elf_guardian *guardian;
  uv_signal_t sigchld; /* runs without a pidfd; orphans to reap */
  struct elf_controller_s *live; /* running controllers, for SIGCHLD */
} elf_runner;

enum { ELF_STDOUT = 0, ELF_STDERR = 1 };
#define ELF_LINE_MAX 4096
#define ELF_DEFAULT_START_TIMEOUT_MS 30000

typedef struct elf_stream_s {
  uv_pipe_t pipe;
  int open;
  char line[ELF_LINE_MAX];
  size_t line_len;
  char read_buf[16384];
} elf_stream;

typedef struct elf_rlimit_s {
  int resource;
  struct rlimit limit;
} elf_rlimit;

/* The job of one component: its id, and its cgroup when it has one. */
typedef struct elf_job_s {
  elf_job_kind kind;
  char id[64];             /* FERN_JOB value: "<fern pid>.<n>" */
  char cgroup[PATH_MAX];   /* ELF_JOB_CGROUP */
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
  elf_rlimit rlimits[16];
  int rlimit_count;

  uv_work_t check_work;
  int check_rc;
  fern_error_t check_err;
  char binary_path[PATH_MAX];

  elf_job job;
  pid_t pid;
  int pidfd;
  uv_poll_t pidfd_poll;
  int lifecycle_fd; /* our end of the lifecycle socket, or -1 */
  int notify_fd;    /* the NOTIFY_SOCKET we listen on, or -1 */
  uv_poll_t notify_poll;
  char notify_name[108];
  elf_stream streams[2];
  uv_timer_t timer; /* start timeout, then the drain after exit */
  int timer_open;
  int open_handles; /* the report waits until all are closed */
  int spawned, exited, cancelled, term_sent, stop_sent, ready, finishing;
  int drain_ticks, drain_expired;
  int exit_code, term_signal, core_dumped;
  int start_failed; /* cannot_start */
  char failure[600];
  struct elf_controller_s *next_live;
} elf_controller;

/* Program keys. Pure; any thread. */
int elf_program_validate(const json_t *program, fern_error_t *err);
/* Reads "rlimits" into the controller (validated already). */
void elf_program_rlimits(const json_t *program, elf_controller *c);

int elf_binary_check(const char *path, const char *shown, fern_error_t *err);
void elf_binary_suggest(const char *package_dir, const char *binary,
                        char *suggestion, size_t size);

/* Jobs (elf_job.c). */
int elf_job_setup_runner(elf_runner *r, const char *wanted, fern_error_t *err);
const char *elf_job_kind_name(elf_job_kind kind);
int elf_job_create(elf_runner *r, elf_job *job, fern_error_t *err);
/* Sends `signum` to every process of the job. Returns how many it found
 * (for the cgroup kind: 1 while it is populated). */
int elf_job_signal(const elf_job *job, int signum);
/* Whether the job still has processes. */
int elf_job_populated(const elf_job *job);
/* Whether `pid` belongs to the job. */
int elf_job_owns(const elf_job *job, pid_t pid);
void elf_job_release(elf_job *job);
/* Kills every process whose environment carries FERN_JOB=<prefix...>;
 * repeats until none is left or `rounds` ran out. Async-signal-safe. */
int elf_job_kill_marked(const char *prefix, int rounds);
/* Reaps zombie children of this process that no controller waits for. */
void elf_job_reap_orphans(elf_runner *r);

/* The guardian (elf_guardian.c): a process that outlives a SIGKILL of fern
 * and then kills every component process. */
elf_guardian *elf_guardian_start(elf_runner *r);
void elf_guardian_stop(elf_guardian *g);

/* The spawn (elf_spawn.c). */
int elf_spawn(elf_controller *c, int out_fds[2], int lifecycle_child_fd);

/* Notify socket (elf_notify.c). */
int elf_notify_open(elf_controller *c, fern_error_t *err);

/* The running process (elf_process.c). */
int elf_process_start(elf_controller *c);
void elf_process_report_now(elf_controller *c);
void elf_process_signal(elf_controller *c, int signum);
void elf_process_kill_job(elf_controller *c);
/* For SIGCHLD mode: checks whether the main process ended. */
void elf_process_poll_exit(elf_controller *c);

#endif
