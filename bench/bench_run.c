/* bench_run.c - running fern, the baseline and s6, and timing them. The
 * clock starts before the spawn and stops when the result is observed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

pid_t bench_spawn(char *const argv[], int *out_fd, int which) {
  int fds[2] = {-1, -1};
  if (out_fd != NULL && pipe2(fds, O_CLOEXEC) != 0)
    return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int fd = 1; fd <= 2; fd++) {
    if (out_fd != NULL && fd == which)
      posix_spawn_file_actions_adddup2(&fa, fds[1], fd);
    else
      posix_spawn_file_actions_addopen(&fa, fd, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (out_fd != NULL)
    close(fds[1]);
  if (rc != 0) {
    if (out_fd != NULL)
      close(fds[0]);
    errno = rc;
    return -1;
  }
  if (out_fd != NULL)
    *out_fd = fds[0];
  return pid;
}

static int finish(pid_t pid, double start, bench_result *result) {
  int status;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0)
    if (errno != EINTR)
      return -1;
  result->seconds = bench_now() - start;
  result->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result->max_rss_kib = ru.ru_maxrss;
  return 0;
}

int bench_run(char *const argv[], int which, char *out, size_t out_size,
              bench_result *result) {
  double start = bench_now();
  int fd;
  pid_t pid = bench_spawn(argv, &fd, which);
  if (pid < 0)
    return -1;
  size_t used = 0;
  char sink[4096];
  for (;;) {
    char *into = out && used + 1 < out_size ? out + used : sink;
    size_t room = out && used + 1 < out_size ? out_size - used - 1 : sizeof sink;
    ssize_t n = read(fd, into, room);
    if (n <= 0)
      break;
    if (into != sink)
      used += (size_t)n;
  }
  if (out != NULL)
    out[used] = '\0';
  close(fd);
  return finish(pid, start, result);
}

/* Counts occurrences of `needle` across reads (a needle may straddle). */
typedef struct counter_s {
  const char *needle;
  char tail[64];
  long count;
} counter;

static void count_in(counter *c, const char *data, size_t len) {
  size_t keep = strlen(c->tail), nlen = strlen(c->needle);
  char *joined = malloc(keep + len + 1);
  if (joined == NULL)
    return;
  memcpy(joined, c->tail, keep);
  memcpy(joined + keep, data, len);
  joined[keep + len] = '\0';
  for (char *at = strstr(joined, c->needle); at; at = strstr(at + nlen, c->needle))
    c->count++;
  size_t total = keep + len, t = total < nlen - 1 ? total : nlen - 1;
  memcpy(c->tail, joined + total - t, t);
  c->tail[t] = '\0';
  free(joined);
}

int bench_fern_up_down(const bench_env *env, const char *manifest, long n,
                       double *up, double *down, long *rss_kib) {
  return bench_fern_up_down_after(env, manifest, n, ": started (pid ", up,
                                  down, rss_kib);
}

/* VmHWM of `pid` in KiB, or -1. */
static long peak_kib_now(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  long kib = -1;
  while (f != NULL && kib < 0 && fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "VmHWM: %ld", &kib) != 1)
      kib = -1;
  if (f != NULL)
    fclose(f);
  return kib;
}

int bench_fern_up_down_after(const bench_env *env, const char *manifest,
                             long n, const char *needle, double *up,
                             double *down, long *rss_kib) {
  char path[256], control[256];
  snprintf(path, sizeof path, "%s/meta/%s.cm", env->dir, manifest);
  snprintf(control, sizeof control, "%s/control.sock", env->dir);
  char *argv[] = {(char *)env->fern, "run", "--control", control, path, NULL,
                  NULL, NULL};
  if (env->config != NULL) { /* fern run --config FILE --control ... */
    memmove(argv + 4, argv + 2, 3 * sizeof *argv);
    argv[2] = "--config";
    argv[3] = (char *)env->config;
  }
  bench_settle();
  double start = bench_now();
  int fd;
  pid_t pid = bench_spawn(argv, &fd, 2);
  if (pid < 0)
    return -1;
  counter started = {.needle = needle};
  char buf[65536];
  ssize_t got;
  /* A component that cannot start would leave the count short: the
   * deadline ends the wait, and the measurement fails. */
  double deadline = start + 600;
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  while (started.count < n && bench_now() < deadline &&
         poll(&pfd, 1, 1000) >= 0) {
    if (!(pfd.revents & (POLLIN | POLLHUP)))
      continue;
    if ((got = read(fd, buf, sizeof buf)) <= 0)
      break;
    count_in(&started, buf, (size_t)got);
  }
  *up = bench_now() - start;
  long running_kib = peak_kib_now(pid); /* outside the stop's clock */
  double stop_at = bench_now();
  kill(pid, SIGTERM);
  while (read(fd, buf, sizeof buf) > 0)
    ;
  close(fd);
  bench_result r;
  if (finish(pid, stop_at, &r) != 0)
    return -1;
  *down = r.seconds;
  *rss_kib = running_kib > 0 ? running_kib : r.max_rss_kib;
  return started.count == n ? 0 : -1;
}

/* Fraction of CPU time idle over `ms` milliseconds, from /proc/stat. */
static double idle_fraction(int ms) {
  unsigned long long a[2][8];
  for (int k = 0; k < 2; k++) {
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
                            &a[k][0], &a[k][1], &a[k][2], &a[k][3], &a[k][4],
                            &a[k][5], &a[k][6], &a[k][7]) != 8) {
      if (f)
        fclose(f);
      return 1;
    }
    fclose(f);
    if (k == 0)
      poll(NULL, 0, ms);
  }
  unsigned long long total = 0, idle = (a[1][3] + a[1][4]) - (a[0][3] + a[0][4]);
  for (int i = 0; i < 8; i++)
    total += a[1][i] - a[0][i];
  return total ? (double)idle / (double)total : 1;
}

void bench_settle(void) {
  /* The kernel frees a run's cgroups and processes after it: let that
   * finish before the next timing starts, at most 20 s. */
  double deadline = bench_now() + 20;
  while (bench_now() < deadline && idle_fraction(250) < 0.9)
    ;
}
