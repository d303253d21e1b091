/* fern-oci-init - PID 1 inside a container, like tini or docker-init. The
 * kernel gives a namespace's init no default signal actions, so a program
 * that is PID 1 could not be stopped with SIGTERM nor die of its own
 * SIGABRT. This init runs the program as its child, in a process group of its
 * own, passes the signals that ask a program to stop to that whole group
 * (the program and what it started, as tini -g does: a stop reaches the
 * whole job, as it does for every runner), reaps every orphan, and exits
 * with the program's status (128+N for death by signal N). It catches
 * those signals with a handler (not by blocking them), so the shim can see
 * in SigCgt when a stop can no longer be lost. Static, bound read-only
 * into each container at /dev/.fern-init by the OCI runner.
 *
 * Given "--listen-fds=N" first (init_args.h), the N sockets from fd 3
 * that socket activation handed over are the program's: LISTEN_PID is
 * set to its pid as it sees itself, as systemd sets it for the process it
 * executes (sd_listen_fds(3) checks it), and this init keeps no copy. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init_args.h"

static const int forwarded[] = {SIGTERM, SIGINT,  SIGHUP,
                                SIGQUIT, SIGUSR1, SIGUSR2};
static volatile pid_t child;
static volatile sig_atomic_t early; /* a signal that came before the fork */

static void forward(int sig) {
  if (child > 0)
    kill(-child, sig);
  else
    early = sig;
}

/* "--listen-fds=N" first: N, and the arguments after it. */
static int listen_fds_given(int *argc, char ***argv) {
  size_t len = strlen(OCI_INIT_LISTEN_FDS);
  if (*argc < 2 || strncmp((*argv)[1], OCI_INIT_LISTEN_FDS, len) != 0)
    return 0;
  int n = atoi((*argv)[1] + len);
  (*argc)--;
  (*argv)++;
  return n > 0 && n < 1024 ? n : 0;
}

int main(int argc, char **argv) {
  int listen_fds = listen_fds_given(&argc, &argv);
  if (argc < 2) {
    fprintf(stderr, "usage: fern-oci-init [" OCI_INIT_LISTEN_FDS
                    "N] PROGRAM [ARGS...]\n");
    return 125;
  }
  struct sigaction sa, dfl;
  memset(&sa, 0, sizeof sa);
  memset(&dfl, 0, sizeof dfl);
  sa.sa_handler = forward;
  dfl.sa_handler = SIG_DFL;
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) {
    sigaction(forwarded[i], &sa, NULL);
    sigaddset(&set, forwarded[i]);
  }
  /* Held across the fork: a stop must reach the program, not the copy of
   * our handler the child has until it resets it. */
  sigprocmask(SIG_BLOCK, &set, &old);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
      sigaction(forwarded[i], &dfl, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL); /* a held stop ends it here */
    if (listen_fds > 0) {
      char self[16];
      snprintf(self, sizeof self, "%d", (int)getpid());
      setenv("LISTEN_PID", self, 1);
    }
    execv(argv[1], argv + 1);
    fprintf(stderr, "fern-oci-init: cannot run %s: %s\n", argv[1],
            strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid); /* whichever of the two runs first */
  for (int fd = 3; fd < 3 + listen_fds; fd++)
    close(fd);
  child = pid;
  if (early != 0)
    kill(-pid, early);
  sigprocmask(SIG_SETMASK, &old, NULL); /* held stops are forwarded now */
  for (;;) {
    int status;
    pid_t done = waitpid(-1, &status, 0);
    if (done == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (done < 0 && errno == ECHILD)
      return 125;
  }
}
