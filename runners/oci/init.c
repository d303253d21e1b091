/* fern-oci-init - PID 1 inside a container, like tini or docker-init. The
 * kernel gives a namespace's init no default signal actions, so a program
 * that is PID 1 could not be stopped with SIGTERM nor die of its own
 * SIGABRT. This init runs the program as PID 2, passes it the signals that
 * ask a program to stop, reaps every orphan, and exits with the program's
 * status (128+N for death by signal N). Static, bound read-only into each
 * container at /dev/.fern-init by the OCI runner. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fern-oci-init PROGRAM [ARGS...]\n");
    return 125;
  }
  static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
                                  SIGUSR2};
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
    sigaddset(&set, forwarded[i]);
  sigprocmask(SIG_BLOCK, &set, &old);
  pid_t child = fork();
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    execv(argv[1], argv + 1);
    fprintf(stderr, "fern-oci-init: cannot run %s: %s\n", argv[1],
            strerror(errno));
    _exit(127);
  }
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&set, &info);
    if (sig > 0 && sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == child)
        return WIFEXITED(status) ? WEXITSTATUS(status)
                                 : 128 + WTERMSIG(status);
    }
  }
}
