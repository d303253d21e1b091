/* proc_mainpid.c - systemd's MAINPID=: a launcher forks the daemon, says
 * "MAINPID=<daemon>" on the notify socket and exits, and the run goes on
 * under the daemon. As systemd's service_notify_message() and
 * service_set_main_pidref() (src/core/service.c) do it:
 *   - the new main process must be alive and not fern itself;
 *   - it must belong to the component (systemd: its cgroup). systemd also
 *     takes a root sender's word for a process outside it; fern does not,
 *     since a process outside the job is one a stop would not end;
 *   - the old main process's exit no longer ends the run;
 *   - notify messages are read before an exit is handled (systemd runs its
 *     notify source at a higher priority than SIGCHLD, src/core/manager.c),
 *     so a launcher that says MAINPID= and exits at once is followed.
 * The new main process is watched through a pidfd. Its exit status comes
 * from waitid() when it is fern's child (fern as subreaper), else from
 * PIDFD_GET_INFO's PIDFD_INFO_EXIT (Linux 6.15) once its parent reaped it;
 * where neither tells, the run ended with an unknown status, which systemd
 * counts as a success (main_pid_good(), an alien main PID that is gone). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

pid_t proc_main_pid(const proc_run *c) {
  return c->follow != NULL ? c->follow->pid : c->pid;
}

static void refuse(proc_run *c, long pid, const char *why) {
  c->host->log(c->host->ctx, FERN_LOG_WARN, c->moniker, "refused MAINPID=%ld: %s", pid,
               why);
}

static void on_follow_exit(uv_poll_t *poll, int status, int events) {
  proc_main_follow *f = poll->data;
  proc_run *c = f->controller;
  (void)status, (void)events;
  if (c->exited || f != c->follow || !proc_pidfd_collect(c, f->pidfd))
    return;
  uv_poll_stop(&f->poll);
  proc_process_main_exited(c);
}

/* The pidfd of `pid` if it may be the run's main process, else -1 (and
 * the refusal logged). */
static int open_candidate(proc_run *c, long pid) {
  if (pid <= 1 || pid == (long)getpid()) {
    refuse(c, pid, "not a process a component may name");
    return -1;
  }
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pidfd < 0) {
    refuse(c, pid, "no such process");
    return -1;
  }
  /* Asked after the pidfd holds the process: while it lives its pid
   * names no other, so the job's answer is about this very process. */
  if (!proc_job_owns(&c->job, (pid_t)pid)) {
    refuse(c, pid, "not one of its processes");
    close(pidfd);
    return -1;
  }
  if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) != 0) {
    refuse(c, pid, "it has ended");
    close(pidfd);
    return -1;
  }
  return pidfd;
}

/* Whether this run can follow a main process other than the one it
 * spawned (logged once when it cannot). */
static int can_follow(proc_run *c) {
  const char *why = NULL;
  if (c->exec_path != NULL)
    why = "a wrapper runs the program, whose process ids are not fern's";
  else if (c->pidfd < 0)
    why = "exits are watched by SIGCHLD here, not by pidfds";
  /* A wrapper's MAINPID= (runc forwards its container's) is no fault of
   * the component's: said, not warned. */
  if (why != NULL && !c->mainpid_refused)
    c->host->log(c->host->ctx,
                 c->exec_path != NULL ? FERN_LOG_INFO : FERN_LOG_WARN,
                 c->moniker, "MAINPID= is not followed: %s", why);
  c->mainpid_refused = why != NULL;
  return why == NULL;
}

static void on_follow_closed(uv_handle_t *handle) {
  proc_main_follow *f = handle->data;
  proc_run *c = f->controller;
  free(f);
  proc_process_handle_closed(c);
}

/* Done with a watch: its handle closes (libuv takes the descriptor out of
 * epoll at once, so it may close now; a handle closed later would take
 * out whatever reused the number by then). */
static void follow_close(proc_main_follow *f) {
  uv_close((uv_handle_t *)&f->poll, on_follow_closed);
  close(f->pidfd);
  f->pidfd = -1;
}

void proc_mainpid_take(proc_run *c, const char *value, size_t len) {
  char digits[16];
  if (!c->spawned || c->exited || len == 0 || len >= sizeof digits)
    return;
  for (size_t i = 0; i < len; i++)
    if (value[i] < '0' || value[i] > '9')
      return;
  memcpy(digits, value, len);
  digits[len] = '\0';
  long pid = strtol(digits, NULL, 10);
  if (pid == (long)proc_main_pid(c) || !can_follow(c))
    return;
  if (pid > INT_MAX) {
    refuse(c, pid, "not a process id");
    return;
  }
  if (pid == (long)c->pid) {
    refuse(c, pid, "the process it moved from");
    return;
  }
  int pidfd = open_candidate(c, pid);
  proc_main_follow *f = pidfd >= 0 ? calloc(1, sizeof *f) : NULL;
  if (f == NULL) {
    if (pidfd >= 0)
      close(pidfd);
    return;
  }
  f->controller = c;
  f->pid = (pid_t)pid;
  f->pidfd = pidfd;
  f->leads_group = getpgid((pid_t)pid) == (pid_t)pid;
  if (c->follow != NULL)
    follow_close(c->follow); /* it moved again */
  c->follow = f;
  uv_poll_init(c->host->loop, &f->poll, pidfd);
  f->poll.data = f;
  c->open_handles++;
  uv_poll_start(&f->poll, UV_READABLE, on_follow_exit);
  c->host->main_pid(c->host->ctx, c->instance, pid);
}

int proc_mainpid_launcher_ended(proc_run *c) {
  if (c->follow == NULL)
    return 0;
  siginfo_t info;
  memset(&info, 0, sizeof info);
  int rc = waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &info, WEXITED | WNOHANG);
  if (rc == 0 && info.si_pid == 0)
    return 1; /* not ended yet */
  /* Reaped here, or (subreaper) by the orphan reaper already. */
  c->launcher_reaped = 1;
  uv_poll_stop(&c->pidfd_poll);
  c->host->log(c->host->ctx, FERN_LOG_DEBUG, c->moniker,
               "pid %d, which started it, ended; pid %d is its main process",
               (int)c->pid, (int)c->follow->pid);
  return 1;
}

void proc_mainpid_finish(proc_run *c) {
  if (c->follow == NULL)
    return;
  /* The launcher is fern's child, and outlived the daemon: the job's kill
   * should have ended it, but it may have left the job; it is killed
   * through its pidfd (which names it alone) and reaped. */
  if (!c->launcher_reaped && c->pidfd >= 0) {
    siginfo_t info;
    syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
    while (waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &info, WEXITED) != 0 &&
           errno == EINTR)
      ;
    c->launcher_reaped = 1;
  }
  follow_close(c->follow);
  c->follow = NULL;
}

pid_t proc_spawned_pid(const proc_run *c) {
  return c->follow != NULL && c->launcher_reaped ? 0 : c->pid;
}

void proc_mainpid_signal(proc_run *c, int signum) {
  proc_main_follow *f = c->follow;
  /* Its group only while the pidfd says it lives and if it led one when
   * it was named: a group id is not reused while its leader lives. */
  if (syscall(SYS_pidfd_send_signal, f->pidfd, signum, NULL, 0) == 0 &&
      f->leads_group)
    kill(-f->pid, signum);
  if (!c->launcher_reaped) { /* the launcher, and its group (setsid) */
    syscall(SYS_pidfd_send_signal, c->pidfd, signum, NULL, 0);
    kill(-c->pid, signum);
  }
}
