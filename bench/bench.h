/* bench.h - fern's benchmark: trees generated here, run by the real fern,
 * each figure a ratio against a baseline measured in the same run. */
#ifndef FERN_BENCH_H
#define FERN_BENCH_H

#include <stddef.h>
#include <sys/types.h>

/* Where the generated package lives and what runs. */
typedef struct bench_env_s {
  char dir[64];          /* the package: meta/, bin/tiny */
  const char *fern;      /* the fern binary */
  const char *baseline;  /* bench/spawn_baseline */
  const char *tiny;      /* bench/tiny (static) */
  const char *config;    /* fern run --config FILE, or NULL */
} bench_env;

/* A finished child: wall seconds, exit status, peak RSS in KiB. */
typedef struct bench_result_s {
  double seconds;
  int status;
  long max_rss_kib;
} bench_result;

double bench_now(void);
/* Waits until the machine is idle again (the previous run's cleanup, in
 * the kernel, done), so one run's aftermath does not time the next. */
void bench_settle(void);

/* Package and manifests (bench_tree.c). */
int bench_package_new(bench_env *env);
void bench_package_remove(const bench_env *env);
/* meta/NAME.cm: n leaves of leaf.cm ("exit") or wait.cm, flat or nested
 * under realms of 100. Returns 0 on success. */
int bench_tree_write(const bench_env *env, const char *name, long n,
                     int nested, int waiting);
/* meta/NAME.cm: n eager children of `url`, flat. */
int bench_tree_write_url(const bench_env *env, const char *name, long n,
                         const char *url);
/* meta/distinct-N.cm: n children, each its own manifest file. */
int bench_tree_write_distinct(const bench_env *env, long n);

/* Running things (bench_run.c). */
/* Starts argv (searched in PATH): with `out_fd`, what it writes to fd
 * `which` (1 or 2) comes through a pipe there and the other stream goes to
 * /dev/null; without, both do. Returns the pid, or -1 with errno. */
pid_t bench_spawn(char *const argv[], int *out_fd, int which);
/* Runs argv to its end; what it writes to fd `which` (1 or 2) into `out`
 * (may be NULL), the other stream to /dev/null. */
int bench_run(char *const argv[], int which, char *out, size_t out_size,
              bench_result *result);
/* `fern run -q` of meta/MANIFEST.cm (with --config DIR/CONFIG when given)
 * to its end, after bench_settle; 0 if it exited 0, else -1, said. */
int bench_fern_run(const bench_env *env, const char *manifest,
                   const char *config, bench_result *r);
/* Starts fern run on a manifest; counts "started" lines on its stderr
 * until `n`, then SIGTERMs it and waits. up/stop in seconds; `rss_kib`
 * fern's peak resident memory while all `n` ran (VmHWM just before the
 * SIGTERM: the stop's own transient memory is not the running
 * components'), or its whole run's where /proc does not say. */
int bench_fern_up_down(const bench_env *env, const char *manifest, long n,
                       double *up, double *down, long *rss_kib);
/* The same, counting `needle` (": ready\n": components that say when
 * they are ready) instead of "started" lines. */
int bench_fern_up_down_after(const bench_env *env, const char *manifest,
                             long n, const char *needle, double *up,
                             double *down, long *rss_kib);
/* s6: n supervised tiny processes up (s6-svscan, s6-svwait -u), seconds;
 * -1 when s6 is not installed (reason in `why`). */
double bench_s6_up(const bench_env *env, long n, char *why, size_t why_size);

/* The table (bench.c). */
#define REPEAT_MAX 15
extern int repeat; /* runs of each timed side */
double median(double *values, int count);
void add_row(const char *what, long n, double fern, double base,
             const char *unit);
/* spawn_baseline MODE n tiny's figure `key`, in seconds; -1 when it
 * failed, -2 when its cgroup mode cannot make cgroups here. */
double baseline(const bench_env *env, const char *mode, long n,
                const char *key);
/* A file of the package, written. 0, or -1. */
int bench_write(const bench_env *env, const char *rel, const char *text);

/* A manifest of n children read by fern's JSON5 reader and by jansson
 * (bench_json5.c). */
int bench_json5(long n);

/* Routing (bench_routes.c): stops in dependency order, and activation. */
int bench_dependent_stops(const bench_env *env);
int bench_activation(const bench_env *env);
/* One container through the OCI runner against the runtime by hand
 * (bench_oci.c). */
int bench_containers(const bench_env *env);
/* The boot of n components that print 100 lines each, their lines kept,
 * and written to a log directory, against not forwarded (bench_logs.c). */
int bench_logs(const bench_env *env, long n);

#endif
