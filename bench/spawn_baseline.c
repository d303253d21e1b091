/* spawn_baseline - the raw limit fern is measured against: what a plain C
 * program pays to start N processes and see them end.
 *
 *   spawn_baseline boot N PROGRAM       posix_spawn N "PROGRAM exit", reap all
 *   spawn_baseline startstop N PROGRAM  posix_spawn N "PROGRAM" (waits), then
 *                                       SIGTERM each and reap all
 *
 * Prints one JSON object: the seconds each phase took. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int spawn_all(pid_t *pids, long n, char *program, char *arg) {
  char *argv[] = {program, arg, NULL};
  for (long i = 0; i < n; i++) {
    int rc = posix_spawn(&pids[i], program, NULL, NULL, argv, environ);
    if (rc != 0) {
      fprintf(stderr, "spawn_baseline: %s: %s\n", program, strerror(rc));
      return -1;
    }
  }
  return 0;
}

static int reap_all(long n) {
  int status, failed = 0;
  for (long i = 0; i < n; i++) {
    if (wait(&status) < 0) {
      perror("spawn_baseline: wait");
      return -1;
    }
    /* A SIGTERM that came before tiny set its handler ends it too. */
    failed += !((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
                (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM));
  }
  return failed;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: spawn_baseline boot|startstop N PROGRAM\n");
    return 2;
  }
  long n = atol(argv[2]);
  pid_t *pids = calloc((size_t)n, sizeof *pids);
  if (pids == NULL || n <= 0)
    return 2;
  int boot = strcmp(argv[1], "boot") == 0;
  double t0 = now();
  if (spawn_all(pids, n, argv[3], boot ? "exit" : NULL) != 0)
    return 1;
  double t1 = now();
  if (!boot)
    for (long i = 0; i < n; i++)
      kill(pids[i], SIGTERM);
  int failed = reap_all(n);
  double t2 = now();
  if (boot)
    printf("{\"boot_s\": %.6f, \"failed\": %d}\n", t2 - t0, failed);
  else
    printf("{\"start_s\": %.6f, \"stop_s\": %.6f, \"failed\": %d}\n", t1 - t0,
           t2 - t1, failed);
  free(pids);
  return failed == 0 ? 0 : 1;
}
