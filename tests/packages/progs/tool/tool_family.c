/* tool_family.c - part of the test program tool (src/tool.c): its
 * processes, waiting, stopping slowly, a family that answers SIGTERM,
 * descendants left behind, the lifecycle channel. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <fern/lifecycle.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

extern char **environ;

_Noreturn void wait_forever(void) {
  printf("ready\n");
  fflush(stdout);
  for (;;)
    pause();
}

/* Takes `ms` to exit 0 after SIGTERM, as a daemon that flushes its state
 * does: the stop's duration, made known. */
_Noreturn void slow_term(int ms) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, NULL);
  printf("ready\n");
  fflush(stdout);
  int sig;
  sigwait(&term, &sig);
  printf("got term\n");
  fflush(stdout);
  /* The stop's duration is the behaviour under test (the benchmark's and
   * stop_deps's slow daemons): tests wait on events, not on this. */
  struct timespec left = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&left, &left) != 0 && errno == EINTR)
    ;
  printf("term after %d ms\n", ms);
  exit(0);
}

static void say_term(const char *who) {
  char line[64];
  int n = snprintf(line, sizeof line, "term %s\n", who);
  if (write(1, line, (size_t)n) != n)
    _exit(9);
}
static void child_term(int sig) {
  (void)sig;
  say_term("child");
  _exit(0);
}
static pid_t family_child;
static void parent_term(int sig) {
  (void)sig;
  say_term("parent");
  waitpid(family_child, NULL, 0); /* ends once the child had its SIGTERM */
  _exit(0);
}

/* A parent and a child that each say when SIGTERM reaches them: a stop
 * must reach the whole job, not the main process only. "ready" once both
 * listen. */
_Noreturn void term_family(void) {
  int ready[2];
  if (pipe(ready) != 0)
    exit(3);
  family_child = fork();
  if (family_child == 0) {
    signal(SIGTERM, child_term);
    close(ready[0]);
    close(ready[1]); /* the parent's read ends: it listens now */
    for (;;)
      pause();
  }
  signal(SIGTERM, parent_term);
  close(ready[1]);
  char byte;
  if (read(ready[0], &byte, 1) != 0)
    exit(4);
  close(ready[0]);
  wait_forever();
}

void leave_orphans(int n) {
  for (int i = 0; i < n; i++) {
    int pipefd[2];
    if (pipe(pipefd) != 0)
      exit(3);
    pid_t middle = fork();
    if (middle == 0) {
      if (i % 2 == 0)
        setsid();
      pid_t grandchild = fork();
      if (grandchild == 0) {
        close(pipefd[0]);
        /* Holds nothing of ours open: it must be killed, not starved. */
        close(1);
        close(2);
        pid_t me = getpid();
        if (write(pipefd[1], &me, sizeof me) != sizeof me)
          _exit(4);
        close(pipefd[1]);
        for (;;)
          pause();
      }
      _exit(0);
    }
    close(pipefd[1]);
    pid_t orphan;
    if (read(pipefd[0], &orphan, sizeof orphan) != sizeof orphan)
      exit(5);
    close(pipefd[0]);
    waitpid(middle, NULL, 0);
    printf("orphan %d\n", (int)orphan);
  }
  fflush(stdout);
}

/* A child that keeps nothing of its environment (no FERN_JOB mark), and
 * nothing of ours open. */
void leave_clean_child(const char *self) {
  int exec_seen[2];
  if (pipe(exec_seen) != 0 || fcntl(exec_seen[1], F_SETFD, FD_CLOEXEC) != 0)
    exit(3);
  pid_t child = fork();
  if (child == 0) {
    close(1);
    close(2);
    char *argv[] = {(char *)"tool", (char *)"sleep", NULL};
    char *envp[] = {NULL};
    execve(self, argv, envp);
    _exit(4);
  }
  /* The pipe closes when the child's exec succeeds: from then on its
   * environment is empty. */
  close(exec_seen[1]);
  char byte;
  while (read(exec_seen[0], &byte, 1) > 0)
    ;
  close(exec_seen[0]);
  printf("orphan %d\n", (int)child);
  fflush(stdout);
}

int lifecycle(int answer) {
  int fd = fern_lifecycle_fd();
  printf("waiting for stop on fd %d\n", fd);
  fflush(stdout);
  for (;;) {
    enum fern_lifecycle_event ev = fern_lifecycle_wait(fd, -1);
    if (ev == FERN_LIFECYCLE_STOP_ASKED && answer) {
      printf("got stop\n");
      return 0;
    }
    if (ev == FERN_LIFECYCLE_GONE)
      return 7;
  }
}
