/* slurm.h - the Slurm runner: a component as a job on a Slurm cluster.
 *
 * fern never schedules anything itself here. A run is one Slurm job,
 * submitted with sbatch (batch mode: followed by polling, its output files
 * collected into fern's log) or srun (interactive mode: a local srun
 * process whose output streams back as it is produced). Every Slurm command
 * runs as a child process watched by the loop (uv_spawn), with a deadline,
 * so a controller that does not answer never blocks fern. */
#ifndef FERN_RUNNERS_SLURM_H
#define FERN_RUNNERS_SLURM_H

#include <fern/runner.h>
#include <limits.h>
#include <stdint.h>

typedef struct slurm_run_s slurm_run;
typedef struct slurm_cmd_s slurm_cmd;
typedef struct slurm_batch_s slurm_batch;

/* What the accounting is asked in batches (slurm_batch.c). */
enum slurm_ask { SLURM_ASK_SACCT, SLURM_ASK_SSTAT, SLURM_ASKS };

#define SLURM_SHARED_MAX 8

typedef struct slurm_runner_s {
  const fern_host_t *host;
  char slurm_conf[PATH_MAX]; /* SLURM_CONF for the commands, or "" */
  char bin_dir[PATH_MAX];    /* where sbatch & co. are, or "" for PATH */
  char output_dir[PATH_MAX]; /* batch jobs' output files */
  char stage_dir[PATH_MAX];  /* where sbcast puts binaries on the nodes */
  uint64_t poll_interval_ms;
  uint64_t command_timeout_ms;    /* one Slurm command's deadline */
  uint64_t controller_timeout_ms; /* how long a batch job may go unseen */
  uv_timer_t *tick;               /* the shared poll, while runs need it */
  slurm_run *runs;                /* every live run of this runner */
  int polling;                    /* a squeue is in flight */
  slurm_cmd *poll;                /* that squeue */
  int swept;                      /* the sweep has begun */
  int sweeping;                   /* its squeue or scancel is in flight */
  slurm_cmd *sweep;               /* that command */
  char hostname[64];              /* this host, in job names */
  /* "shared_paths": file systems every node mounts at the same path */
  char shared[SLURM_SHARED_MAX][PATH_MAX];
  size_t shared_count;
  char name_prefix[64];    /* "fern-PID-START", in job names */
  uint64_t last_answer_ms; /* when squeue last answered */
  int unreachable_logged;  /* said once per outage */
  int released;            /* freed when the last command ends */
  unsigned long seq;       /* numbers job names */
  /* the cluster's accounting (slurm_cost.c) */
  int accounting_wanted;          /* "accounting" in the config (true) */
  char accounting_why[600]; /* the cluster keeps none: why, from sacct's
                             * (or sstat's) own words; else "" */
  uint64_t accounting_wait_ms;    /* how long a job's end may be unwritten */
  slurm_batch *batch[SLURM_ASKS]; /* the sacct and sstat out, or NULL */
} slurm_runner;

/* A program block, checked and read. Strings are borrowed from the block. */
typedef struct slurm_spec_s {
  const char *binary; /* absolute, real */
  const json_t *args;
  const json_t *environ;
  int interactive;
  int stage;
  const char *partition, *account, *qos;
  char memory[32];                  /* --mem, or "" */
  char time_limit[32];              /* --time, or "" */
  long nodes, tasks, cpus_per_task; /* 0: Slurm's default */
} slurm_spec;

/* --- slurm_program.c --- */
int slurm_program_validate(const json_t *program, fern_error_t *err);
/* Reads a validated block; the binary resolved inside the package. */
int slurm_program_read(const fern_host_t *host, const json_t *program,
                       const char *package_dir, slurm_spec *spec,
                       char *binary_buf, size_t binary_size, fern_error_t *err);
/* sbatch's or srun's argv (NULL-terminated, malloc'd strings). */
char **slurm_program_argv(const slurm_runner *r, const slurm_spec *spec,
                          const char *job_name, const char *workdir,
                          const char *out_path, const char *err_path);
/* Whether the batch script runs the program through srun (several nodes
 * or tasks, or a staged binary) rather than exec'ing it. */
int slurm_program_has_steps(const slurm_spec *spec);
/* The batch script sbatch reads on stdin. malloc'd. */
char *slurm_program_script(const slurm_runner *r, const slurm_spec *spec);
/* The environment for the Slurm commands: fern's own, SLURM_CONF, the
 * program's environ, FERN_MONIKER / FERN_URL, FERN_NAMESPACE when
 * `namespace_dir` is given and FERN_CONFIG when `config_path` is.
 * malloc'd strings. */
char **slurm_program_env(const slurm_runner *r, const slurm_spec *spec,
                         const char *moniker, const char *url,
                         const char *namespace_dir, const char *config_path);
void slurm_strv_free(char **v);

/* --- slurm_cmd.c --- */
typedef struct slurm_cmd_result_s {
  int spawn_error;     /* a uv error: the command could not run */
  int timed_out;       /* killed at its deadline */
  int64_t exit_status; /* when it exited */
  int term_signal;     /* when a signal ended it */
  const char *out;     /* its stdout, NUL-terminated (empty if streamed) */
  const char *err;     /* its stderr, the last 4 KiB */
  long pid;
} slurm_cmd_result;

typedef void (*slurm_cmd_done)(void *arg, const slurm_cmd_result *result);
typedef void (*slurm_cmd_line)(void *arg, int stream, const char *line,
                               size_t len);

typedef struct slurm_cmd_opts_s {
  const char *const *argv; /* argv[0] is a Slurm command's name */
  char **env;              /* NULL: fern's, plus SLURM_CONF */
  const char *input;       /* written to its stdin, or NULL */
  uint64_t timeout_ms;     /* 0: none */
  slurm_cmd_line on_line;  /* stream output as lines instead of keeping it */
  slurm_cmd_done done;     /* exactly once, after every handle closed */
  void *arg;
} slurm_cmd_opts;

/* Starts a command. On failure to spawn, `done` is still called (later, on
 * the loop) with spawn_error set. Returns the command, to signal it. */
slurm_cmd *slurm_cmd_start(slurm_runner *r, const slurm_cmd_opts *opts);
void slurm_cmd_signal(slurm_cmd *cmd, int signum);
/* Why a command failed, in a few words: its last error line without the
 * "sbatch: error: " before it, "no answer in time", or why it could not
 * run. Writes into `out` and returns it. */
const char *slurm_cmd_why(const slurm_cmd_result *res, char *out, size_t size);
/* The command's whole path: bin_dir/name, or name for a PATH search. */
void slurm_cmd_path(const slurm_runner *r, const char *name, char *out,
                    size_t size);

/* --- slurm_state.c --- */
typedef struct slurm_job_state_s {
  long job_id;
  char state[32]; /* PENDING, RUNNING, COMPLETED, FAILED, ... */
  char reason[64];
  char nodes[128];
  int exit_code; /* ExitCode=a:b */
  int exit_signal;
} slurm_job_state;

/* Parses one `scontrol -o show job` line. 0 on success. */
int slurm_state_parse_scontrol(const char *text, slurm_job_state *out);
/* The format squeue is asked for, and the line for job NAME in its output.
 * 0 if found. */
#define SLURM_SQUEUE_FORMAT "%i|%j|%T|%N|%r"

/* squeue's answer, read once and sorted by job name, so that following
 * N jobs costs N lookups, not N scans of N lines. */
typedef struct slurm_squeue_row_s {
  const char *line, *name, *rest; /* into the table's copy of the text */
} slurm_squeue_row;
typedef struct slurm_squeue_s {
  char *text;
  slurm_squeue_row *rows;
  size_t n;
} slurm_squeue;
int slurm_squeue_parse(const char *text, slurm_squeue *out);
int slurm_squeue_find(const slurm_squeue *q, const char *name,
                      slurm_job_state *out);
void slurm_squeue_free(slurm_squeue *q);
int slurm_state_find_squeue(const char *text, const char *name,
                            slurm_job_state *out);
int slurm_state_is_final(const char *state);
/* Whether the job was placed on nodes: squeue names some. */
int slurm_state_placed(const slurm_job_state *job);
/* The stop report for a job that ended; `asked` is set when fern stopped
 * it. Writes the message into `message`. */
void slurm_state_report(const slurm_job_state *job, int asked, int ran,
                        fern_stop_report_t *report, char *message, size_t size);

/* --- slurm_tail.c: batch output files, read off the loop --- */
typedef struct slurm_tail_s {
  char path[PATH_MAX + 64];
  uint64_t offset;
  char *partial; /* a line not ended yet */
  size_t partial_len;
} slurm_tail;

typedef void (*slurm_tail_done)(slurm_run *run);
/* Reads what both files gained since the last call, as far as fern's log
 * has room, and forwards whole lines (all lines, when `final` and the
 * files were read to their end; else run->tail_more is set); then calls
 * `done` on the loop. */
void slurm_tail_poll(slurm_run *run, int final, slurm_tail_done done);
void slurm_tail_free(slurm_tail *tail);

/* --- slurm_usage.c: sacct's and sstat's answers, read --- */
typedef struct slurm_usage_s {
  int seen;       /* sacct listed the job, or sstat a step */
  int final;      /* sacct: the job's state is an end */
  int steps;      /* sacct: its steps listed */
  int open_steps; /* sacct: those not ended yet */
  uint32_t known; /* enum fern_cost_known */
  uint64_t cpu_usec, memory_bytes, peak_memory_bytes;
} slurm_usage;

/* "[DD-][HH:]MM:SS[.fraction]" as microseconds; 0 on success. */
int slurm_usage_parse_time(const char *text, size_t len, uint64_t *usec);
/* Bytes, or a number with a unit of 1024s (K, M, G, T, P). */
int slurm_usage_parse_bytes(const char *text, size_t len, uint64_t *bytes);
/* `sacct -n -P --noconvert -o JobID,State,TotalCPU,MaxRSS`: the job's
 * state and TotalCPU, and the largest step MaxRSS. 0 if the job is listed. */
int slurm_usage_parse_sacct(const char *text, long job_id, slurm_usage *out);
/* `sstat -a -n -P --noconvert -o JobID,TresUsageInTot,TresUsageInMax`:
 * job `job_id`'s running steps' CPU and memory summed, their largest
 * peak. 0 if a step of it is listed. */
int slurm_usage_parse_sstat(const char *text, long job_id, slurm_usage *out);
/* One answer of either, read once for the `n` jobs of a batch (`jobs`
 * sorted ascending): usages[i] is jobs[i]'s, its `seen` as above. */
void slurm_usage_parse_many(const char *text, enum slurm_ask kind,
                            const long *jobs, size_t n, slurm_usage *usages);

/* --- slurm_run.c --- */
typedef enum slurm_phase {
  SLURM_SUBMITTING, /* sbatch or srun asked, no job seen yet */
  SLURM_QUEUED,     /* Slurm knows the job; it does not run yet */
  SLURM_RUNNING,    /* reported started */
  SLURM_ENDING,     /* over; reading its end state and last output */
  SLURM_DONE        /* reported */
} slurm_phase;

struct slurm_run_s {
  slurm_runner *runner;
  fern_instance_t *instance;
  char *moniker, *url, *package_dir;
  char name[200]; /* the job's name, unique to this fern */
  slurm_spec spec;
  char binary[PATH_MAX];
  json_t *program; /* our reference: spec points into it */
  slurm_phase phase;
  long job_id;
  slurm_job_state last; /* what Slurm last said */
  int stop_asked, kill_asked, signal_sent;
  int commands;          /* in flight, for this run */
  uint64_t last_seen_ms; /* when a poll last saw the job */
  int missing_polls;     /* successful polls that did not list it */
  slurm_cmd *srun;       /* interactive: the srun */
  int64_t srun_status;
  int srun_signal;
  char srun_error[256];  /* its last "srun: error:" line */
  char failure[512];     /* an end Slurm did not report, and why */
  char status_said[256]; /* the last status told to the host */
  fern_stop_status failure_status;
  int final_known;            /* the end state is read (or given up on) */
  int phase_ran;              /* reported started */
  int tail_final_done;        /* the output files were read to the end */
  int awaiting_final;         /* srun ended; Slurm has not finished the job */
  uint64_t final_deadline_ms; /* then srun's own status is reported */
  slurm_tail out, err;        /* batch: the output files */
  int tailing;
  int tail_more; /* the last read stopped for fern's log: more to read */
  char namespace_dir[PATH_MAX]; /* FERN_NAMESPACE on a shared path, or "" */
  char config_path[PATH_MAX];   /* FERN_CONFIG on a shared path, or "" */
  uint64_t stop_timeout_ms;     /* the host kills this long after a stop */
  uint64_t stop_asked_ms;       /* when the stop was asked */
  /* what it cost (slurm_cost.c) */
  enum { SLURM_COST_UNASKED, SLURM_COST_ASKING, SLURM_COST_DONE } cost_phase;
  uint64_t cost_deadline_ms; /* sacct is asked until then */
  int cost_retry;            /* the next tick asks sacct again */
  slurm_usage usage;         /* sacct's, of the ended job (.seen: known) */
  int cost_warned;  /* a failure was logged for this run */
  int cost_by_stop; /* the deadline is the stop timeout's */
  int cost_asks;    /* sacct answers about it */
  slurm_usage live; /* sstat's last answer, while it runs (.seen: known) */
  char live_why[440]; /* why there is none */
  /* its place in the batches (slurm_batch.c) */
  int wants[SLURM_ASKS];          /* in the next batch */
  slurm_batch *batch[SLURM_ASKS]; /* the batch it is in, or NULL */
  size_t batch_slot[SLURM_ASKS];
  uint64_t sstat_answered_ms;
  slurm_run *next;
};

/* What a job may be given of what it uses (slurm_shared.c): directories
 * and storage on the shared paths; anything else is refused, naming it. */
int slurm_shared_check(const slurm_runner *r, const fern_start_info_t *info,
                       fern_error_t *err);
/* The job's FERN_NAMESPACE on the first shared path, of symlinks to what
 * it uses, and its FERN_CONFIG there; removed by slurm_shared_cleanup. */
int slurm_shared_namespace(slurm_run *run, const fern_start_info_t *info,
                           fern_error_t *err);
void slurm_shared_cleanup(slurm_run *run);

int slurm_run_start(slurm_runner *r, const fern_start_info_t *info,
                    slurm_run **out, fern_error_t *err);
/* Over without an end state to read from Slurm: `status` and why. */
void slurm_run_end(slurm_run *run, fern_stop_status status, const char *fmt,
                   ...) __attribute__((format(printf, 3, 4)));
/* Reports the run if it is over and nothing of it is in flight; the host
 * frees it inside the report. */
void slurm_run_maybe_report(slurm_run *run);

/* --- slurm_cost.c --- */
/* At the end, before the report: 1 while sacct is being asked (started
 * here the first time), 0 once the cost is read or given up on. */
int slurm_cost_pending(slurm_run *run);
/* Each tick of the poll: asks sacct again when the last answer came too
 * early, gives up at the deadline (may report, and free, the run), ends
 * an sstat the end no longer needs. */
void slurm_cost_tick(slurm_run *run);
/* A stop or kill came while sacct is asked: the deadline may be sooner. */
void slurm_cost_stop_asked(slurm_run *run);
/* A kill came: the end waits for sacct no more. 1 if it waited (the
 * caller then reports the run, which may free it, as its last act). */
int slurm_cost_killed(slurm_run *run);
/* The report's costs, where sacct gave them. */
void slurm_cost_report(const slurm_run *run, fern_stop_report_t *report);
/* The runner's cost call (see the file comment). */
int slurm_cost_get(slurm_run *run, fern_cost_t *cost, fern_error_t *err);

/* The batch's answer, for one member, with what it says of the member's
 * job, `u` (may report, and free, the run). */
void slurm_cost_answered(slurm_run *run, enum slurm_ask kind,
                         const slurm_cmd_result *res, const slurm_usage *u);
/* A batch command's deadline: the furthest of its members'. */
uint64_t slurm_cost_batch_timeout(const slurm_runner *r, enum slurm_ask kind,
                                  slurm_run *const *runs, size_t n);

/* --- slurm_batch.c --- */
/* The run is in the next batch of `kind`, which starts now unless one is
 * out (its answer starts the next). */
void slurm_batch_want(slurm_run *run, enum slurm_ask kind);
/* Starts a batch of the runs that want `kind`, unless one is out. */
void slurm_batch_start(slurm_runner *r, enum slurm_ask kind);
/* The run leaves the batch it is in (or would be in): no answer for it. */
void slurm_batch_leave(slurm_run *run, enum slurm_ask kind);
/* Kills the batches out (the runner is being released). */
void slurm_batch_end_all(slurm_runner *r);

/* --- slurm_signal.c --- */
void slurm_run_stop(slurm_run *run);
void slurm_run_kill(slurm_run *run);
/* Sends what stop or kill asked for, as far as the job id and state
 * allow (see the file comment). */
void slurm_signal_deliver(slurm_run *run);
void slurm_run_release(slurm_run *run);
/* The poll saw the job (or, with `job` NULL, did not). */
void slurm_run_observed(slurm_run *run, const slurm_job_state *job);
/* The poll could not reach the controller for `silent_ms`. */
void slurm_run_unreachable(slurm_run *run, uint64_t silent_ms);
/* Batch: forwards what the output files gained, unless a read is under
 * way. */
void slurm_run_follow_output(slurm_run *run);
uint64_t slurm_now_ms(const slurm_runner *r);

/* --- slurm_poll.c --- */
/* Makes sure the runner's poll ticks while runs need it. */
void slurm_poll_wake(slurm_runner *r);
void slurm_poll_close(slurm_runner *r);
/* Frees the runner when it was released and nothing is in flight. */
void slurm_runner_maybe_free(slurm_runner *r);

/* --- slurm_sweep.c --- */
/* Learns this host's name and this fern's identity for job names. */
void slurm_sweep_init(slurm_runner *r);
/* Cancels, in the background, the live jobs of a fern on this host that
 * is gone (see the file comment). */
void slurm_sweep_start(slurm_runner *r);

#endif
