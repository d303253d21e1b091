/* fern-oci-shim - one container's keeper, like containerd's shim. The OCI
 * runner starts it (in the component's job, with the component's output
 * pipes) as:
 *
 *   fern-oci-shim RUNTIME ROOT BUNDLE ID PIDFILE
 *
 * It is the child subreaper, so the container's init, left behind by
 * `RUNTIME create`, becomes its child and its exit status can be had. It
 * runs create, start, waits, and always delete; SIGTERM is passed to the
 * container (`RUNTIME kill ID TERM`) unless `RUNTIME state ID` says it is
 * gone already, which is no error; it exits with the container's
 * status, or 128+N for death by signal N. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *runtime, *root, *bundle, *id;

static int run_runtime_with(const char *const *args, int quiet);

/* Runs the runtime with `args` and returns its exit status (-1: none). */
static int run_runtime(const char *const *args) {
  return run_runtime_with(args, 0);
}

/* The same, its output thrown away (state's JSON is not for the log). */
static int run_runtime_quiet(const char *const *args) {
  return run_runtime_with(args, 1);
}

static int run_runtime_with(const char *const *args, int quiet) {
  const char *argv[16] = {runtime, "--root", root};
  size_t n = 3;
  for (size_t i = 0; args[i] != NULL && n < 15; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (quiet) {
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execv(runtime, (char *const *)argv);
    fprintf(stderr, "fern-oci-shim: cannot run %s: %s\n", runtime,
            strerror(errno));
    _exit(127);
  }
  int status;
  while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static pid_t read_pid(const char *path) {
  FILE *f = fopen(path, "r");
  long pid = 0;
  if (f != NULL) {
    if (fscanf(f, "%ld", &pid) != 1)
      pid = 0;
    fclose(f);
  }
  return (pid_t)pid;
}

static void delete_container(void) {
  const char *args[] = {"delete", "--force", id, NULL};
  run_runtime(args);
}

/* A stop that comes just after `start` could reach the runtime's own
 * bootstrap (runc init, which dies of it) instead of the container's init:
 * wait, a little, until the container runs its init. */
static void await_container_init(pid_t init) {
  char link[64], target[256];
  snprintf(link, sizeof link, "/proc/%d/exe", (int)init);
  struct timespec step = {0, 1000 * 1000};
  for (int i = 0; i < 2000; i++) {
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0)
      return; /* gone */
    target[n] = '\0';
    if (strstr(target, ".fern-init") != NULL)
      return;
    nanosleep(&step, NULL);
  }
}

/* Waits for the container's init, passing SIGTERM on; reaps whatever else
 * is left to us. Returns its wait status. */
static int wait_container(pid_t init, const sigset_t *set) {
  for (;;) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
      if (pid == init)
        return status;
    if (pid < 0 && errno == ECHILD)
      return -1; /* not ours after all: it is gone */
    siginfo_t info;
    if (sigwaitinfo(set, &info) == SIGTERM) {
      /* A container the runtime no longer knows is gone: nothing to ask. */
      const char *state[] = {"state", id, NULL};
      const char *term[] = {"kill", id, "TERM", NULL};
      await_container_init(init);
      if (run_runtime_quiet(state) == 0)
        run_runtime(term);
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: fern-oci-shim RUNTIME ROOT BUNDLE ID PIDFILE\n");
    return 125;
  }
  runtime = argv[1], root = argv[2], bundle = argv[3], id = argv[4];
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  const char *pid_file = argv[5];
  const char *create[] = {"create", "--bundle", bundle, "--pid-file", pid_file,
                          id, NULL};
  if (run_runtime(create) != 0) {
    fprintf(stderr, "fern-oci-shim: %s create %s failed\n", runtime, id);
    delete_container();
    return 125;
  }
  pid_t init = read_pid(pid_file);
  const char *start[] = {"start", id, NULL};
  if (init <= 0 || run_runtime(start) != 0) {
    fprintf(stderr, "fern-oci-shim: %s start %s failed\n", runtime, id);
    delete_container();
    return 125;
  }
  int status = wait_container(init, &set);
  delete_container();
  if (status == -1)
    return 125;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
