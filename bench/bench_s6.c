/* bench_s6.c - s6 bringing up the same processes: N service directories
 * whose run is bench/tiny (waits for SIGTERM), s6-svscan on them, and
 * s6-svwait -u on all, timed from svscan's start to svwait's exit.
 *
 * s6-svwait needs each service's supervise/status to exist, so a first,
 * untimed pass runs s6-svscan with every service marked "down" until the
 * status files are there, and stops it. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static int have(const char *program) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", program);
  return system(cmd) == 0;
}

static int make_services(const char *scan, const char *tiny, long n) {
  char path[512];
  if (mkdir(scan, 0755) != 0)
    return -1;
  for (long i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/s%ld", scan, i);
    if (mkdir(path, 0755) != 0)
      return -1;
    snprintf(path, sizeof path, "%s/s%ld/run", scan, i);
    if (symlink(tiny, path) != 0)
      return -1;
    snprintf(path, sizeof path, "%s/s%ld/down", scan, i);
    FILE *f = fopen(path, "w");
    if (f == NULL)
      return -1;
    fclose(f);
  }
  return 0;
}

/* Waits (with a deadline) until every service has a status file. */
static int await_status(const char *scan, long n) {
  char path[512];
  double deadline = bench_now() + 60;
  for (long i = 0; i < n && bench_now() < deadline;) {
    snprintf(path, sizeof path, "%s/s%ld/supervise/status", scan, i);
    if (access(path, F_OK) == 0)
      i++;
    else
      poll(NULL, 0, 5);
    if (i == n)
      return 0;
  }
  return -1;
}

static void stop_scan(const char *scan, pid_t svscan) {
  char *argv[] = {"s6-svscanctl", "-t", (char *)scan, NULL};
  pid_t ctl = bench_spawn(argv, NULL, 0);
  if (ctl > 0)
    waitpid(ctl, NULL, 0);
  waitpid(svscan, NULL, 0);
}

static int prepare(const char *scan, const char *tiny, long n) {
  if (make_services(scan, tiny, n) != 0)
    return -1;
  char max[32];
  snprintf(max, sizeof max, "%ld", n + 16);
  char *argv[] = {"s6-svscan", "-c", max, (char *)scan, NULL};
  pid_t svscan = bench_spawn(argv, NULL, 0);
  if (svscan < 0)
    return -1;
  int rc = await_status(scan, n);
  stop_scan(scan, svscan);
  char path[512];
  for (long i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/s%ld/down", scan, i);
    unlink(path);
  }
  return rc;
}

double bench_s6_up(const bench_env *env, long n, char *why, size_t why_size) {
  if (!have("s6-svscan") || !have("s6-svwait")) {
    snprintf(why, why_size, "s6 is not installed (apt-get install s6)");
    return -1;
  }
  if (n <= 0 || n > 100000) {
    snprintf(why, why_size, "N must be 1..100000");
    return -1;
  }
  char scan[128], tiny[128];
  snprintf(scan, sizeof scan, "%s/scan", env->dir);
  snprintf(tiny, sizeof tiny, "%s/bin/tiny", env->dir);
  if (prepare(scan, tiny, n) != 0) {
    snprintf(why, why_size, "could not prepare %ld s6 services", n);
    return -1;
  }
  char **wait_argv = calloc((size_t)n + 5, sizeof *wait_argv);
  char **dirs = calloc((size_t)n, sizeof *dirs);
  wait_argv[0] = "s6-svwait";
  wait_argv[1] = "-u";
  wait_argv[2] = "-t";
  wait_argv[3] = "60000";
  for (long i = 0; i < n; i++) {
    dirs[i] = malloc(160);
    snprintf(dirs[i], 160, "%s/s%ld", scan, i);
    wait_argv[4 + i] = dirs[i];
  }
  char max[32];
  snprintf(max, sizeof max, "%ld", n + 16);
  char *scan_argv[] = {"s6-svscan", "-c", max, scan, NULL};
  bench_settle();
  double t0 = bench_now();
  pid_t svscan = bench_spawn(scan_argv, NULL, 0);
  pid_t svwait = bench_spawn(wait_argv, NULL, 0);
  int status = -1;
  if (svwait > 0)
    waitpid(svwait, &status, 0);
  double up = bench_now() - t0;
  if (svscan > 0)
    stop_scan(scan, svscan);
  char rm[160]; /* the next run prepares its own */
  snprintf(rm, sizeof rm, "rm -rf '%s'", scan);
  if (system(rm) != 0)
    fprintf(stderr, "bench: could not remove %s\n", scan);
  for (long i = 0; i < n; i++)
    free(dirs[i]);
  free(dirs);
  free(wait_argv);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    snprintf(why, why_size, "s6-svwait did not see all %ld services up", n);
    return -1;
  }
  return up;
}
