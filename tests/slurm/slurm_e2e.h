/* slurm_e2e.h - what the Slurm runner's end-to-end cases share: the
 * test cluster (tests/slurm/run.sh starts it and names its directory in
 * FERN_SLURM_DIR), trees of Slurm and local components, and waits on what
 * Slurm says. Every wait has a deadline. */
#ifndef FERN_TESTS_SLURM_E2E_H
#define FERN_TESTS_SLURM_E2E_H

#include "../e2e/e2e.h"

/* The cluster's directory. */
const char *cluster(void);
/* Runs a shell command with the cluster's SLURM_CONF; its exit status. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* tests/slurm/cluster.sh WHAT-controller: "stop" or "start". */
void controller(const char *what);
/* The number a file begins with (a pid file), or 0. */
int file_number(const char *path);
/* Sends `signum` to the cluster's slurmctld; 0 if it was sent. */
int signal_controller(int signum);
/* The checked fixture: a controller that answers and an empty queue. */
void clean_cluster(void);
/* fern.json: the ELF and Slurm runners; `extra` appends runner config. */
void config(const char *pkg, const char *extra);
/* The same over the cluster's `conf` file (slurm-noacct.conf). */
void config_conf(const char *pkg, const char *extra, const char *conf);
/* A new package (e2e_package_new; `pkg` holds 4096 bytes) with that
 * fern.json. */
void package(char *pkg, const char *extra);
/* meta/NAME.cm: bin/tool as a Slurm job; `fields` adds program keys. */
void job(const char *pkg, const char *name, const char *fields);
/* meta/NAME.cm: bin/tool run locally by the ELF runner with `args`. */
void local(const char *pkg, const char *name, const char *args);
/* meta/root.cm with these eager children; "quick-" ones stop in 500 ms. */
void root_of(const char *pkg, const char *const *names);
/* "batch" and "live" jobs running bin/tool with `args`, and unless NULL a
 * local "steady" running `steady`. */
void batch_live_steady(const char *pkg, const char *args, const char *steady);
/* fern run of the package's meta/root.cm with its fern.json. */
void start(e2e_proc *p, const char *pkg);
/* start, then waits until /batch and /live have started. */
void start_jobs(e2e_proc *p, const char *pkg);
/* The job id fern logged for MONIKER. */
long job_id(const char *err, const char *moniker);
/* Waits until Slurm lists job ID in one of STATES ("" : in none). */
void job_becomes(long id, const char *states, int ms);
/* Waits until no process runs from the package's bin/tool. */
void nothing_runs_from(const char *pkg, int ms);

Suite *slurm_jobs_suite(void);
Suite *slurm_trouble_suite(void);
Suite *slurm_cost_suite(void);

#endif
