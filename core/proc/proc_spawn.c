/* proc_spawn.c - starts a program the way a component expects to be
 * started: straight into its cgroup (clone3 CLONE_INTO_CGROUP, so not even
 * its first fork escapes), with a pidfd, in a new session, with exactly
 * fds 0, 1, 2 (and the lifecycle channel on 3), its resource limits, its
 * package as working directory, default signal handling, and SIGKILL should
 * fern die. The child runs system calls only, then execve. A child that
 * shares fern's memory reports a failed start in the plan itself (fern
 * waits until it has exec'd or exited); a forked one, through a
 * close-on-exec pipe.
 *
 * The child shares fern's memory until it execs (CLONE_VM | CLONE_VFORK,
 * as posix_spawn does): a plain fork copies fern's page tables, and with
 * thousands of components running that copy made each start cost time in
 * proportion to the components already running. Signals are blocked
 * across the clone so no handler of fern's runs in the child. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "proc_image_root.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

typedef struct spawn_plan_s {
  const proc_run *c;
  int fds[PROC_SPAWN_FDS_MAX]; /* slots holding what becomes 0, 1, 2, ... */
  int fd_count;
  int exec_fd; /* a slot holding the checked binary (or its directory,
                * for an exec by name), or -1 */
  const char *exec_name; /* exec by name: the name in that directory */
  int cgroup_procs_fd; /* clone path in a cgroup: move ourselves, or -1 */
  int error_fd;        /* a slot holding the exec error pipe, or -1 */
  int slot_max;        /* the highest slot: the child keeps fds up to it */
  pid_t parent;
  /* Written by a child sharing our memory when its start fails. */
  int fail_errno;
  char fail_step; /* 0: it exec'd */
} spawn_plan;

static _Noreturn void child_fail(spawn_plan *plan, const char *step) {
  if (plan->error_fd >= 0) {
    int report[2] = {errno, step[0]};
    ssize_t ignored = write(plan->error_fd, report, sizeof report);
    (void)ignored;
  } else {
    plan->fail_errno = errno;
    plan->fail_step = step[0];
  }
  _exit(127);
}

/* The child starts on fern's own descriptor table (CLONE_FILES): it takes
 * a copy of the low slots only, so its cost does not grow with the
 * descriptors fern holds for other components. */
static void child_own_fds(spawn_plan *plan) {
  if ((plan->slot_max < 0 ||
       syscall(SYS_close_range, plan->slot_max + 1, ~0U,
               CLOSE_RANGE_UNSHARE) != 0) &&
      unshare(CLONE_FILES) != 0)
    child_fail(plan, "fd");
  /* Lift every source (and the error pipe) above the targets first, so no
   * dup2 overwrites one still to be placed. */
  int moved[PROC_SPAWN_FDS_MAX];
  for (int i = 0; i < plan->fd_count; i++)
    if ((moved[i] = fcntl(plan->fds[i], F_DUPFD_CLOEXEC, 16)) < 0)
      child_fail(plan, "fd");
  int *kept[2] = {&plan->error_fd, &plan->exec_fd};
  for (int i = 0; i < 2; i++)
    if (*kept[i] >= 0 && (*kept[i] = fcntl(*kept[i], F_DUPFD_CLOEXEC, 16)) < 0)
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

/* The kernel's sigaction: glibc's refuses signals 32 and 33, its own,
 * which fern may have been started with ignored (an ignored signal
 * survives exec) and must not pass on. */
typedef struct kernel_sigaction_s {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  unsigned long mask;
} kernel_sigaction;

static long raw_sigaction(int sig, const kernel_sigaction *act,
                          kernel_sigaction *old) {
  return syscall(SYS_rt_sigaction, sig, act, old, sizeof(unsigned long));
}

/* Runs the checked file by its name in the directory the check held open,
 * once the child has seen that the name still leads to that very file. */
static void exec_by_name(spawn_plan *plan) {
  const proc_run *c = plan->c;
  struct stat st;
  if (fstatat(plan->exec_fd, plan->exec_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    child_fail(plan, "exec");
  if (st.st_dev != c->binary_dev || st.st_ino != c->binary_ino) {
    errno = ESTALE;
    child_fail(plan, "x");
  }
  syscall(SYS_execveat, plan->exec_fd, plan->exec_name, c->argv, c->envp,
          AT_SYMLINK_NOFOLLOW);
}

/* Writes `pid` in decimal over the room at `at` (20 characters), with no
 * library call: the child may share fern's memory. */
static void write_pid(char *at, long pid) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = (char)('0' + pid % 10);
    pid /= 10;
  } while (pid > 0 && n < 20);
  for (int i = 0; i < n; i++)
    at[i] = digits[n - 1 - i];
  at[n] = '\0';
}

static _Noreturn void child_exec(spawn_plan *plan) {
  const proc_run *c = plan->c;
  if (plan->cgroup_procs_fd >= 0 && write(plan->cgroup_procs_fd, "0", 1) != 1)
    child_fail(plan, "cgroup");
  if (setsid() < 0)
    child_fail(plan, "setsid");
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != plan->parent)
    _exit(127); /* fern died before we could ask to die with it */
  /* Handlers and ignored signals fern had go back to the default before
   * signals are unblocked (a handler of fern's must not run here). */
  kernel_sigaction dfl = {.handler = SIG_DFL};
  for (int sig = 1; sig <= 64; sig++)
    if (c->runner->spawn_signals & (1ULL << (sig - 1)))
      raw_sigaction(sig, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  child_own_fds(plan);
  if (setrlimit(RLIMIT_NOFILE, &c->runner->child_nofile) != 0)
    child_fail(plan, "rlimit");
  for (int i = 0; i < c->rlimit_count; i++)
    if (setrlimit(c->rlimits[i].resource, &c->rlimits[i].limit) != 0)
      child_fail(plan, "rlimit");
  /* A host path executed is held before the root changes under it. */
  int by_path_fd = -1;
  if (c->root != NULL && (c->exec_path != NULL ||
                          (plan->exec_name == NULL && plan->exec_fd < 0)) &&
      (by_path_fd = open(c->exec_path ? c->exec_path : c->binary_path,
                         O_PATH | O_CLOEXEC)) < 0)
    child_fail(plan, "exec");
  if (c->root != NULL ? proc_image_root_enter(c->root) != 0
                      : chdir(c->package_dir) != 0)
    child_fail(plan, c->root != NULL ? "mount" : "dir");
  if (c->listen_pid_env != NULL)
    write_pid(c->listen_pid_env, (long)syscall(SYS_getpid));
  if (by_path_fd >= 0)
    syscall(SYS_execveat, by_path_fd, "",
            c->exec_path ? c->exec_argv : c->argv, c->envp, AT_EMPTY_PATH);
  else if (c->exec_path != NULL)
    execve(c->exec_path, c->exec_argv, c->envp);
  else if (plan->exec_name != NULL)
    exec_by_name(plan);
  else if (plan->exec_fd >= 0)
    /* The very file the check read: the path may lead elsewhere by now. */
    syscall(SYS_execveat, plan->exec_fd, "", c->argv, c->envp, AT_EMPTY_PATH);
  else
    execve(c->binary_path, c->argv, c->envp);
  child_fail(plan, "exec");
}

/* A sanitizer's runtime keeps state (locks, shadow memory) that a child
 * sharing fern's memory would change under it: such builds spawn the
 * plain way, at the old cost. */
#if defined(__SANITIZE_ADDRESS__)
#define SHARE_MEMORY 0
#else
#define SHARE_MEMORY 1
#endif

/* The child's stack while it shares fern's memory. Spawns happen on the
 * loop thread only, one at a time (the parent waits for the exec). */
#define CHILD_STACK_SIZE (64 * 1024)
static _Alignas(64) char child_stack[CHILD_STACK_SIZE];

static int child_main(void *plan) {
  child_exec(plan);
}

/* What every clone3 of a spawn asks: a pidfd, SIGCHLD at the end, and the
 * job's cgroup from the first instruction on. */
static void clone3_args(struct clone_args *args, proc_run *c) {
  memset(args, 0, sizeof *args);
  args->flags = CLONE_PIDFD;
  args->pidfd = (uint64_t)(uintptr_t)&c->pidfd;
  args->exit_signal = SIGCHLD;
  if (c->job.cgroup_fd >= 0) {
    args->flags |= CLONE_INTO_CGROUP;
    args->cgroup = (uint64_t)c->job.cgroup_fd;
  }
}

#if defined(__x86_64__) && SHARE_MEMORY
#define CLONE3_SHARES_MEMORY 1
/* clone3 that runs fn(arg) in the child, on the stack clone3 was given:
 * the child must not return through frames on fern's stack, which a
 * plain syscall() would. Returns the pid or -errno. */
static long clone3_run(struct clone_args *args, int (*fn)(void *), void *arg) {
  long ret;
  register int (*r8)(void *) __asm__("r8") = fn;
  register void *r9 __asm__("r9") = arg;
  __asm__ volatile("syscall\n\t"
                   "test %%rax, %%rax\n\t"
                   "jnz 1f\n\t"
                   "xor %%ebp, %%ebp\n\t"
                   "mov %%r9, %%rdi\n\t"
                   "call *%%r8\n\t"
                   "mov %%eax, %%edi\n\t"
                   "mov $60, %%eax\n\t" /* SYS_exit */
                   "syscall\n\t"
                   "hlt\n"
                   "1:"
                   : "=a"(ret)
                   : "a"((long)SYS_clone3), "D"(args), "S"(sizeof *args),
                     "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

static pid_t spawn_clone3(spawn_plan *plan, proc_run *c) {
  struct clone_args args;
  clone3_args(&args, c);
  args.flags |= CLONE_VM | CLONE_VFORK | CLONE_FILES;
  args.stack = (uint64_t)(uintptr_t)child_stack;
  args.stack_size = CHILD_STACK_SIZE;
  long pid = clone3_run(&args, child_main, (void *)plan);
  if (pid < 0) {
    errno = (int)-pid;
    return -1;
  }
  return (pid_t)pid;
}
#else
#define CLONE3_SHARES_MEMORY 0
/* clone3 as a fork: the child returns here on a copy of fern. */
static pid_t spawn_clone3(spawn_plan *plan, proc_run *c) {
  struct clone_args args;
  clone3_args(&args, c);
  pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0)
    child_exec(plan);
  return pid;
}
#endif

/* Without clone3: clone sharing memory, the child joining its cgroup
 * itself before anything else runs. */
static pid_t spawn_clone(spawn_plan *plan, proc_run *c) {
  char procs[PATH_MAX + 16];
  if (c->job.kind == PROC_JOB_CGROUP && c->job.cgroup != NULL) {
    snprintf(procs, sizeof procs, "%s/cgroup.procs", c->job.cgroup);
    plan->cgroup_procs_fd = open(procs, O_WRONLY | O_CLOEXEC);
  }
  pid_t pid = -1;
  if (SHARE_MEMORY)
    /* No CLONE_FILES: valgrind runs vfork's flags only, and this path is
     * for kernels without clone3 anyway. */
    pid = clone(child_main, child_stack + CHILD_STACK_SIZE,
                CLONE_VM | CLONE_VFORK | SIGCHLD, plan);
  if (pid < 0) {
    pid = fork();
    if (pid == 0)
      child_exec(plan);
  }
  int saved = errno;
  if (plan->cgroup_procs_fd >= 0)
    close(plan->cgroup_procs_fd);
  errno = saved;
  return pid;
}

static const char *step_name(int step) {
  switch (step) {
  case 'f': return "setting up its file descriptors";
  case 'c': return "joining its cgroup";
  case 's': return "starting its session";
  case 'r': return "setting its resource limits";
  case 'd': return "entering its package directory";
  case 'm': return "making its package its root (mount namespace)";
  default: return "starting it";
  }
}

/* A start that failed before its exec: the child is reaped, and why it
 * failed becomes the run's failure. */
static int start_failed(proc_run *c, int error, int step) {
  while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (c->pidfd >= 0)
    close(c->pidfd);
  c->pidfd = -1;
  if (step == 'x')
    snprintf(proc_failure_buf(c), PROC_FAILURE_MAX,
             "refused to execute %s: it was replaced after its check",
             c->binary_path);
  else
    snprintf(proc_failure_buf(c), PROC_FAILURE_MAX, "%s %s: %s",
             step == 'e' ? "cannot execute" : "failed",
             step == 'e' ? (c->exec_path ? c->exec_path : c->binary_path)
                         : step_name(step),
             strerror(error));
  return FERN_ESPAWN;
}

/* Waits for a forked child to exec (the pipe closes) or to say why not. */
static int await_exec(proc_run *c, int error_fd) {
  int report[2];
  ssize_t n;
  while ((n = read(error_fd, report, sizeof report)) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t)sizeof report)
    return FERN_OK;
  return start_failed(c, report[0], report[1]);
}

void proc_spawn_slots_open(proc_service *r) {
  r->spawn_slot_max = -1;
  for (int i = 0; i < PROC_SPAWN_SLOTS; i++)
    r->spawn_slot[i] = -1;
  r->spawn_null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int i = 0; i < PROC_SPAWN_SLOTS; i++) {
    r->spawn_slot[i] =
        r->spawn_null >= 0 ? fcntl(r->spawn_null, F_DUPFD_CLOEXEC, 0) : -1;
    if (r->spawn_slot[i] < 0) {
      proc_spawn_slots_close(r);
      return; /* spawns copy fern's whole table: slower, still right */
    }
    if (r->spawn_slot[i] > r->spawn_slot_max)
      r->spawn_slot_max = r->spawn_slot[i];
  }
}

void proc_spawn_slots_close(proc_service *r) {
  for (int i = 0; i < PROC_SPAWN_SLOTS; i++)
    if (r->spawn_slot[i] >= 0)
      close(r->spawn_slot[i]);
  if (r->spawn_null >= 0)
    close(r->spawn_null);
  r->spawn_null = -1;
  r->spawn_slot_max = -1;
  for (int i = 0; i < PROC_SPAWN_SLOTS; i++)
    r->spawn_slot[i] = -1;
}

/* Puts `fd` into slot i, unless the slot holds it (/dev/null) already. */
static void fill_slot(proc_service *r, int i, int fd) {
  if (fd == r->spawn_null && !r->spawn_slot_used[i])
    return;
  dup3(fd, r->spawn_slot[i], O_CLOEXEC);
  r->spawn_slot_used[i] = fd != r->spawn_null;
}

/* Puts the plan's descriptors into the runner's slots (the child keeps
 * only those); without slots the plan keeps them where they are. */
static void fill_slots(proc_service *r, spawn_plan *plan) {
  plan->slot_max = r->spawn_slot_max;
  if (r->spawn_slot_max < 0)
    return;
  for (int i = 0; i < plan->fd_count; i++) {
    fill_slot(r, i, plan->fds[i]);
    plan->fds[i] = r->spawn_slot[i];
  }
  if (plan->exec_fd >= 0) {
    fill_slot(r, PROC_SPAWN_SLOT_EXEC, plan->exec_fd);
    plan->exec_fd = r->spawn_slot[PROC_SPAWN_SLOT_EXEC];
  }
}

/* The error pipe's slot: the last. */
static void fill_error_slot(proc_service *r, spawn_plan *plan) {
  if (r->spawn_slot_max < 0)
    return;
  fill_slot(r, PROC_SPAWN_SLOT_ERROR, plan->error_fd);
  plan->error_fd = r->spawn_slot[PROC_SPAWN_SLOT_ERROR];
}

/* Back to /dev/null, so no slot keeps a pipe open. */
static void empty_slots(proc_service *r) {
  for (int i = 0; r->spawn_slot_max >= 0 && i < PROC_SPAWN_SLOTS; i++)
    fill_slot(r, i, r->spawn_null);
}

/* The spawn with an error pipe: a forked child cannot write into our
 * memory. error_pipe[0] is -1 if the pipe could not be made. */
static pid_t spawn_with_pipe(spawn_plan *plan, proc_run *c,
                             int error_pipe[2]) {
  if (pipe2(error_pipe, O_CLOEXEC) != 0) {
    error_pipe[0] = error_pipe[1] = -1;
    return -1;
  }
  plan->error_fd = error_pipe[1];
  fill_error_slot(c->runner, plan);
  pid_t pid = c->runner->use_clone3 && !CLONE3_SHARES_MEMORY
                  ? spawn_clone3(plan, c)
                  : -1;
  if (pid < 0)
    pid = spawn_clone(plan, c);
  close(error_pipe[1]);
  return pid;
}

/* Reads the dispositions the child must reset: every signal fern handles
 * or ignores. Loop thread, once per spawn turn (proc_spawn_queue.c): fern
 * sets its handlers on the loop thread, so none changes during a turn,
 * but SIGCHLD's, which a run without a pidfd may start handling in the
 * turn (proc_service_sigchld_update): it is always reset. */
void proc_spawn_read_signals(proc_service *r) {
  r->spawn_signals = 1ULL << (SIGCHLD - 1);
  for (int sig = 1; sig <= 64; sig++) {
    kernel_sigaction now;
    if (raw_sigaction(sig, NULL, &now) == 0 && now.handler != SIG_DFL)
      r->spawn_signals |= 1ULL << (sig - 1);
  }
}

int proc_spawn(proc_run *c, int out_fds[2], int lifecycle_child_fd) {
  proc_service *r = c->runner;
  int devnull = r->spawn_null >= 0 ? r->spawn_null
                                   : open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) {
    snprintf(proc_failure_buf(c), PROC_FAILURE_MAX, "cannot prepare the spawn: %s",
             strerror(errno));
    return FERN_ESPAWN;
  }
  spawn_plan plan = {c, {devnull, out_fds[0] >= 0 ? out_fds[0] : devnull,
                         out_fds[1] >= 0 ? out_fds[1] : devnull},
                     3,
                     c->exec_path != NULL      ? -1
                     : c->binary_dir_fd >= 0 ? c->binary_dir_fd
                                             : c->binary_fd,
                     c->exec_path == NULL && c->binary_dir_fd >= 0
                         ? c->binary_name
                         : NULL,
                     -1, -1, -1, getpid(), 0, 0};
  for (int i = 0; i < c->listen_count; i++)
    plan.fds[plan.fd_count++] = c->listen_fds[i]; /* LISTEN_FDS, from 3 */
  if (lifecycle_child_fd >= 0)
    plan.fds[plan.fd_count++] = lifecycle_child_fd;
  for (int i = 0; i < c->wrapper_fd_count; i++)
    plan.fds[plan.fd_count++] = c->wrapper_fds[i];
  fill_slots(r, &plan);
  c->pidfd = -1;
  int error_pipe[2] = {-1, -1};
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  c->pid = r->use_clone3 && CLONE3_SHARES_MEMORY ? spawn_clone3(&plan, c) : -1;
  if (c->pid < 0)
    c->pid = spawn_with_pipe(&plan, c, error_pipe);
  int saved = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  empty_slots(r);
  if (c->job.cgroup_fd >= 0) { /* needed for the clone only */
    close(c->job.cgroup_fd);
    c->job.cgroup_fd = -1;
  }
  if (devnull != r->spawn_null)
    close(devnull);
  int rc;
  if (c->pid < 0) {
    snprintf(proc_failure_buf(c), PROC_FAILURE_MAX, "cannot create a process: %s",
             strerror(saved));
    rc = FERN_ESPAWN;
  } else if (error_pipe[0] >= 0) {
    rc = await_exec(c, error_pipe[0]);
  } else {
    rc = plan.fail_step ? start_failed(c, plan.fail_errno, plan.fail_step)
                        : FERN_OK;
  }
  if (error_pipe[0] >= 0)
    close(error_pipe[0]);
  if (rc == FERN_OK && c->pidfd < 0 && c->runner->use_pidfd)
    c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
  if (rc == FERN_OK && c->pidfd >= 0 && !c->runner->use_pidfd) {
    close(c->pidfd);
    c->pidfd = -1;
  }
  return rc;
}
