/* test_log_queue.c - the queue fern run's log goes through, seen from a
 * forked child whose fd 2 is a pipe the test holds: fern__log_flush then
 * _exit loses nothing, a stuck stderr bounds the flush, and every record
 * is written or counted as dropped. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "log_queue.h"
#include "unit.h"

typedef struct child_s {
  pid_t pid;
  int err;    /* the read end of the child's fd 2 */
  int logged; /* readable (end of file) once the child logged everything */
} child;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Forks a child that starts the queue with a pipe as fd 2, logs `count`
 * records "fern: /unit: record N" of 230 bytes, says so, flushes for at
 * most `flush_ms` and _exits: 0 if the flush took less than `flush_ms`
 * + 1 s. */
static void start_child(child *c, int count, int flush_ms) {
  int err[2], logged[2];
  ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
  ck_assert_int_eq(pipe2(logged, O_CLOEXEC), 0);
  c->pid = fork();
  ck_assert_int_ge(c->pid, 0);
  if (c->pid == 0) {
    dup2(err[1], STDERR_FILENO);
    fern__log_set_level(FERN_LOG_INFO);
    if (fern__log_queue_start() != FERN_OK)
      _exit(2);
    for (int i = 0; i < count; i++)
      fern__log(FERN_LOG_INFO, "/unit", "record %d %200s", i, "x");
    close(logged[1]);
    long start = now_ms();
    fern__log_flush(flush_ms);
    _exit(now_ms() - start < flush_ms + 1000 ? 0 : 1);
  }
  close(err[1]);
  close(logged[1]);
  c->err = err[0];
  c->logged = logged[0];
}

/* Waits until the child logged every record (it closed its end). */
static void wait_until_logged(child *c) {
  struct pollfd pfd = {c->logged, POLLIN, 0};
  ck_assert_int_eq(poll(&pfd, 1, 20000), 1);
}

/* Reads the child's stderr to its end (the child is gone). */
static char *read_all(int fd) {
  size_t size = 1 << 16, len = 0;
  char *buf = malloc(size);
  ssize_t n;
  while ((n = read(fd, buf + len, size - len - 1)) != 0) {
    ck_assert_msg(n > 0 || errno == EINTR, "read: %s", strerror(errno));
    len += n > 0 ? (size_t)n : 0;
    if (size - len < 4096)
      buf = realloc(buf, size *= 2);
  }
  buf[len] = '\0';
  return buf;
}

static int exit_status(pid_t pid) {
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The number after `prefix` at the start of `line`, or -1. (No sscanf:
 * it measures the whole rest of the log at every line.) */
static long number_after(const char *line, const char *prefix,
                         const char *then) {
  size_t len = strlen(prefix);
  char *end;
  if (strncmp(line, prefix, len) != 0)
    return -1;
  long n = strtol(line + len, &end, 10);
  return strncmp(end, then, strlen(then)) == 0 ? n : -1;
}

/* Every record, or a notice counting it, in order. Returns how many
 * records were dropped. */
static long assert_each_record_written_or_counted(const char *log, int count) {
  long next = 0, dropped = 0, counted = 0;
  for (const char *line = log; *line != '\0'; line = strchr(line, '\n') + 1) {
    ck_assert_msg(strchr(line, '\n') != NULL, "cut record: %.100s", line);
    long n = number_after(line, "fern: /unit: record ", " ");
    if (n >= 0) {
      ck_assert_msg(n >= next && n - next == counted,
                    "record %ld after record %ld with %ld counted lost", n,
                    next - 1, counted);
      dropped += counted;
      counted = 0;
      next = n + 1;
    } else {
      n = number_after(line, "fern: warning: ", " log line");
      ck_assert_msg(n > 0, "not a record: %.100s", line);
      counted += n;
    }
  }
  ck_assert_int_eq(next + counted, count); /* the last ones, if lost */
  return dropped + counted;
}

/* More records than the queue (4 MiB) holds, and fewer. */
#define MANY 25000
#define FEW 15000

static void child_free(child *c) {
  close(c->err);
  close(c->logged);
}

/* A child logs `count` records, then flushes (20 s at most) and _exits;
 * the test reads only once all were logged. Returns how many records
 * were dropped, after checking the others arrived in order. */
static long dropped_when_read_after_logging(int count) {
  child c;
  start_child(&c, count, 20000);
  wait_until_logged(&c);
  char *log = read_all(c.err);
  ck_assert_int_eq(exit_status(c.pid), 0);
  long dropped = assert_each_record_written_or_counted(log, count);
  free(log);
  child_free(&c);
  return dropped;
}

/* What was queued reaches the pipe before the _exit that follows the
 * flush: every record arrives, though the test reads none before. */
START_TEST(test_flush_then_exit_loses_nothing) {
  ck_assert_int_eq(dropped_when_read_after_logging(FEW), 0);
}
END_TEST

/* Nobody reads: the flush gives up after its bound and the child exits. */
START_TEST(test_a_stuck_stderr_bounds_the_flush) {
  child c;
  start_child(&c, MANY, 300);
  ck_assert_int_eq(exit_status(c.pid), 0);
  child_free(&c);
}
END_TEST

/* What did not fit was dropped, and the notices count every record that
 * is missing, where it is missing. */
START_TEST(test_every_record_is_written_or_counted) {
  ck_assert_int_gt(dropped_when_read_after_logging(MANY), 0);
}
END_TEST

/* Reads from `fd` until `want` is in what came, or 20 s pass. */
static int arrives(int fd, const char *want) {
  char buf[4096];
  size_t len = 0;
  long deadline = now_ms() + 20000;
  while (now_ms() < deadline && len < sizeof buf - 1) {
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, 1000) != 1)
      continue;
    ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
    if (n <= 0)
      return 0;
    len += (size_t)n;
    buf[len] = '\0';
    if (strstr(buf, want) != NULL)
      return 1;
  }
  return 0;
}

static void *log_from_another_thread(void *unused) {
  (void)unused;
  fern__log(FERN_LOG_INFO, "/other", "from a thread");
  return NULL;
}

/* With the loop's turns on (log_turn.c), a record of the loop's thread
 * reaches stderr at the wake that ends its turn, and a record of another
 * thread at once: the child waits for the test to have read each before
 * it goes on, so a record that never came fails the test, not a sleep. */
START_TEST(test_loop_turns_reach_stderr) {
  int err[2], go[2];
  ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
  ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    dup2(err[1], STDERR_FILENO);
    char byte;
    if (fern__log_queue_start() != FERN_OK)
      _exit(2);
    fern__log_queue_loop_turns(1);
    pthread_t other;
    pthread_create(&other, NULL, log_from_another_thread, NULL);
    pthread_join(other, NULL);
    if (read(go[0], &byte, 1) != 1)
      _exit(3);
    fern__log(FERN_LOG_INFO, "/loop", "in a turn");
    fern__log_queue_wake();
    if (read(go[0], &byte, 1) != 1)
      _exit(3);
    _exit(0);
  }
  close(err[1]);
  close(go[0]);
  ck_assert_msg(arrives(err[0], "fern: /other: from a thread\n"),
                "another thread's record did not come without a wake");
  ck_assert_int_eq(write(go[1], "g", 1), 1);
  ck_assert_msg(arrives(err[0], "fern: /loop: in a turn\n"),
                "the loop's record did not come at the wake");
  ck_assert_int_eq(write(go[1], "g", 1), 1);
  ck_assert_int_eq(exit_status(pid), 0);
  close(err[0]);
  close(go[1]);
}
END_TEST

Suite *log_queue_suite(void) {
  Suite *s = suite_create("log_queue");
  TCase *tc = tcase_create("log_queue");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_flush_then_exit_loses_nothing);
  tcase_add_test(tc, test_a_stuck_stderr_bounds_the_flush);
  tcase_add_test(tc, test_every_record_is_written_or_counted);
  tcase_add_test(tc, test_loop_turns_reach_stderr);
  suite_add_tcase(s, tc);
  return s;
}
