/* spawn_baseline - the raw limit fern is measured against: what a plain C
 * program pays to start N processes and see them end.
 *
 *   spawn_baseline boot N PROGRAM       posix_spawn N "PROGRAM exit", reap all
 *   spawn_baseline startstop N PROGRAM  posix_spawn N "PROGRAM" (waits), then
 *                                       SIGTERM each and reap all
 *   spawn_baseline ordered N PROGRAM    the same, but stops them one at a
 *                                       time, last started first: SIGTERM
 *                                       one, reap it, then the next (the
 *                                       floor of any in-order stop)
 *   spawn_baseline cgroup N PROGRAM     as startstop, but each process in
 *                                       a cgroup v2 of its own, removed
 *                                       once it is reaped (the floor of a
 *                                       stop that holds every process in
 *                                       a cgroup, as fern's ELF runner;
 *                                       baseline_cgroup.c)
 *
 * Prints one JSON object: the seconds each phase took. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "baseline_cgroup.h"

extern char **environ;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* With TINY_TERM_MS set, each tiny says READY=1 once its SIGTERM handler
 * is set (as under fern, where the start waits for it): the stop is timed
 * from when all are ready. Returns the socket to wait on, or -1. */
static int notify_open(void) {
  if (getenv("TINY_TERM_MS") == NULL)
    return -1;
  char name[64];
  snprintf(name, sizeof name, "@fern-bench-baseline-%d", (int)getpid());
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  memcpy(addr.sun_path + 1, name + 1, strlen(name) - 1);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr,
                     (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
                                 strlen(name))) != 0)
    return -1;
  setenv("NOTIFY_SOCKET", name, 1);
  return fd;
}

static void await_ready(int fd, long n) {
  char buf[64];
  for (long i = 0; fd >= 0 && i < n;)
    if (recv(fd, buf, sizeof buf, 0) > 0)
      i++;
}

/* Starts n; returns how many it started (n, or fewer after a failure it
 * reports). */
static long spawn_all(pid_t *pids, long n, char *program, char *arg,
                      baseline_cgroups *cg) {
  char *argv[] = {program, arg, NULL};
  for (long i = 0; i < n; i++) {
    int rc = 0;
    if (cg != NULL)
      rc = (pids[i] = baseline_cgroup_spawn(cg, argv)) < 0 ? errno : 0;
    else
      rc = posix_spawn(&pids[i], program, NULL, NULL, argv, environ);
    if (rc != 0) {
      fprintf(stderr, "spawn_baseline: %s: %s\n", program, strerror(rc));
      return i;
    }
  }
  return n;
}

/* After a failed spawn: the ones started go, and so do their cgroups, so
 * that nothing of a failed run is left to skew the next. */
static void abandon(const pid_t *pids, long started, baseline_cgroups *cg) {
  for (long i = 0; i < started; i++)
    kill(pids[i], SIGKILL);
  for (long i = 0; i < started; i++) {
    while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
      ;
    if (cg != NULL)
      baseline_cgroup_remove(cg, pids[i]);
  }
  if (cg != NULL)
    baseline_cgroup_close(cg);
}

/* A SIGTERM that came before tiny set its handler ends it too. */
static int ended_well(int status) {
  return (WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
         (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

/* Last started first, each reaped before the next is signalled. */
static int stop_in_order(const pid_t *pids, long n) {
  int status, failed = 0;
  for (long i = n - 1; i >= 0; i--) {
    kill(pids[i], SIGTERM);
    while (waitpid(pids[i], &status, 0) < 0)
      if (errno != EINTR) {
        perror("spawn_baseline: waitpid");
        return -1;
      }
    failed += !ended_well(status);
  }
  return failed;
}

static int reap_all(long n, baseline_cgroups *cg) {
  int status, failed = 0;
  for (long i = 0; i < n; i++) {
    pid_t pid = wait(&status);
    if (pid < 0) {
      perror("spawn_baseline: wait");
      return -1;
    }
    failed += !ended_well(status);
    if (cg != NULL && baseline_cgroup_remove(cg, pid) != 0) {
      perror("spawn_baseline: rmdir");
      failed++;
    }
  }
  return failed;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr,
            "usage: spawn_baseline boot|startstop|ordered|cgroup N PROGRAM\n");
    return 2;
  }
  long n = atol(argv[2]);
  pid_t *pids = calloc((size_t)n, sizeof *pids);
  if (pids == NULL || n <= 0)
    return 2;
  int boot = strcmp(argv[1], "boot") == 0;
  int ordered = strcmp(argv[1], "ordered") == 0;
  baseline_cgroups cgroups, *cg = NULL;
  if (strcmp(argv[1], "cgroup") == 0) {
    if (baseline_cgroup_open(&cgroups, n) != 0)
      return 3; /* no writable cgroup2 tree: the caller says so */
    cg = &cgroups;
  }
  int notify = boot ? -1 : notify_open();
  double t0 = now();
  long started = spawn_all(pids, n, argv[3], boot ? "exit" : NULL, cg);
  if (started < n) {
    abandon(pids, started, cg);
    return 1;
  }
  if (cg != NULL)
    baseline_cgroup_index(cg); /* the pid table, before the stop's clock */
  double t1 = now();
  await_ready(notify, n);
  /* The stop is timed from when all are ready (at once without
   * TINY_TERM_MS), as fern's is. */
  double ready = now();
  if (!boot && !ordered)
    for (long i = 0; i < n; i++)
      kill(pids[i], SIGTERM);
  int failed = ordered ? stop_in_order(pids, n) : reap_all(n, cg);
  double t2 = now();
  if (cg != NULL)
    baseline_cgroup_close(cg);
  if (notify >= 0)
    close(notify);
  if (boot)
    printf("{\"boot_s\": %.6f, \"failed\": %d}\n", t2 - t0, failed);
  else
    printf("{\"start_s\": %.6f, \"stop_s\": %.6f, \"failed\": %d}\n", t1 - t0,
           t2 - ready, failed);
  free(pids);
  return failed == 0 ? 0 : 1;
}
