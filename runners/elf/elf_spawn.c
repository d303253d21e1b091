/* elf_spawn.c - starts a program the way a component expects to be
 * started: straight into its cgroup (clone3 CLONE_INTO_CGROUP, so not even
 * its first fork escapes), with a pidfd, in a new session, with exactly
 * fds 0, 1, 2 (and the lifecycle channel on 3), its resource limits, its
 * package as working directory, default signal handling, and SIGKILL should
 * fern die. The child runs system calls only, then execve; an exec failure
 * comes back through a close-on-exec pipe. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_runner.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

typedef struct spawn_plan_s {
  const elf_controller *c;
  int fds[5]; /* what becomes 0, 1, 2, 3 and 4 */
  int fd_count;
  int cgroup_procs_fd; /* fork path in a cgroup: move ourselves, or -1 */
  int error_fd;
  pid_t parent;
} spawn_plan;

static _Noreturn void child_fail(const spawn_plan *plan, const char *step) {
  int report[2] = {errno, step[0]};
  ssize_t ignored = write(plan->error_fd, report, sizeof report);
  (void)ignored;
  _exit(127);
}

static void child_fds(const spawn_plan *plan) {
  int moved[5];
  /* Lift every source above the targets first, so no dup2 overwrites a
   * source still to be placed. */
  for (int i = 0; i < plan->fd_count; i++)
    if ((moved[i] = fcntl(plan->fds[i], F_DUPFD_CLOEXEC, 16)) < 0)
      child_fail(plan, "fd");
  for (int i = 0; i < plan->fd_count; i++)
    if (dup2(moved[i], i) < 0)
      child_fail(plan, "fd");
  /* Everything else closes at exec (the error pipe must live until then). */
  if (syscall(SYS_close_range, plan->fd_count, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = plan->fd_count; fd < 65536; fd++)
      fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
}

static _Noreturn void child_exec(const spawn_plan *plan) {
  const elf_controller *c = plan->c;
  if (plan->cgroup_procs_fd >= 0 && write(plan->cgroup_procs_fd, "0", 1) != 1)
    child_fail(plan, "cgroup");
  if (setsid() < 0)
    child_fail(plan, "setsid");
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != plan->parent)
    _exit(127); /* fern died before we could ask to die with it */
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  for (int sig = 1; sig < NSIG; sig++)
    sigaction(sig, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  child_fds(plan);
  for (int i = 0; i < c->rlimit_count; i++)
    if (setrlimit(c->rlimits[i].resource, &c->rlimits[i].limit) != 0)
      child_fail(plan, "rlimit");
  if (chdir(c->package_dir) != 0)
    child_fail(plan, "dir");
  if (c->exec_path != NULL)
    execve(c->exec_path, c->exec_argv, c->envp);
  else
    execve(c->binary_path, c->argv, c->envp);
  child_fail(plan, "exec");
}

static pid_t spawn_clone3(const spawn_plan *plan, elf_controller *c) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_PIDFD;
  args.pidfd = (uint64_t)(uintptr_t)&c->pidfd;
  args.exit_signal = SIGCHLD;
  if (c->job.cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = (uint64_t)c->job.cgroup_fd;
  }
  pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0)
    child_exec(plan);
  return pid;
}

static const char *step_name(int step) {
  switch (step) {
  case 'f': return "setting up its file descriptors";
  case 'c': return "joining its cgroup";
  case 's': return "starting its session";
  case 'r': return "setting its resource limits";
  case 'd': return "entering its package directory";
  default: return "starting it";
  }
}

/* Waits for the child to exec (the pipe closes) or to report why not. */
static int await_exec(elf_controller *c, int error_fd) {
  int report[2];
  ssize_t n;
  while ((n = read(error_fd, report, sizeof report)) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t)sizeof report)
    return FERN_OK;
  while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (c->pidfd >= 0)
    close(c->pidfd);
  c->pidfd = -1;
  snprintf(c->failure, sizeof c->failure, "%s %s: %s",
           report[1] == 'e' ? "cannot execute" : "failed",
           report[1] == 'e' ? (c->exec_path ? c->exec_path : c->binary_path)
                            : step_name(report[1]),
           strerror(report[0]));
  return FERN_ESPAWN;
}

int elf_spawn(elf_controller *c, int out_fds[2], int lifecycle_child_fd) {
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  int error_pipe[2];
  if (devnull < 0 || pipe2(error_pipe, O_CLOEXEC) != 0) {
    snprintf(c->failure, sizeof c->failure, "cannot prepare the spawn: %s",
             strerror(errno));
    if (devnull >= 0)
      close(devnull);
    return FERN_ESPAWN;
  }
  spawn_plan plan = {c, {devnull, out_fds[0] >= 0 ? out_fds[0] : devnull,
                         out_fds[1] >= 0 ? out_fds[1] : devnull,
                         lifecycle_child_fd, -1},
                     lifecycle_child_fd >= 0 ? 4 : 3, -1, error_pipe[1],
                     getpid()};
  if (c->extra_fd >= 0)
    plan.fds[plan.fd_count++] = c->extra_fd; /* a wrapper's: fd 3 or 4 */
  c->pidfd = -1;
  c->pid = c->runner->use_clone3 ? spawn_clone3(&plan, c) : -1;
  if (c->pid < 0) {
    /* No clone3 (or not wanted): fork, and join the cgroup in the child
     * before anything else runs. */
    char procs[PATH_MAX + 16];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", c->job.cgroup);
    if (c->job.kind == ELF_JOB_CGROUP)
      plan.cgroup_procs_fd = open(procs, O_WRONLY | O_CLOEXEC);
    c->pid = fork();
    if (c->pid == 0)
      child_exec(&plan);
    if (plan.cgroup_procs_fd >= 0)
      close(plan.cgroup_procs_fd);
  }
  int saved = errno;
  close(error_pipe[1]);
  close(devnull);
  int rc;
  if (c->pid < 0) {
    snprintf(c->failure, sizeof c->failure, "cannot create a process: %s",
             strerror(saved));
    rc = FERN_ESPAWN;
  } else {
    rc = await_exec(c, error_pipe[0]);
  }
  close(error_pipe[0]);
  if (rc == FERN_OK && c->pidfd < 0 && c->runner->use_pidfd)
    c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
  if (rc == FERN_OK && c->pidfd >= 0 && !c->runner->use_pidfd) {
    close(c->pidfd);
    c->pidfd = -1;
  }
  return rc;
}
