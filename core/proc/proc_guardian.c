/* proc_guardian.c - the guardian: a small process forked when the runner is
 * made, that waits on a pipe from fern. When fern exits normally it says
 * "bye" and the guardian leaves. When fern dies without a word (SIGKILL),
 * the pipe reaches end of file and the guardian kills every component
 * process: the runner's whole cgroup subtree, and every process carrying
 * this fern's FERN_JOB mark. Like a container shim, it is what lets "no
 * component outlives fern" hold even when fern cannot act.
 *
 * It starts a session of its own, so that what is aimed at fern's process
 * group (a shell's `kill -9 %1`, killpg, a terminal's hangup or Ctrl-C)
 * does not reach it; and fern watches it (a pidfd, else SIGCHLD): a
 * guardian that dies anyway is reported loudly and replaced at once.
 * After the fork it allocates nothing and takes no lock. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

/* One guardian process, watched through its pidfd. */
typedef struct guardian_watch_s {
  uv_poll_t poll;
  struct proc_guardian_s *guardian;
  proc_service *runner; /* the guardian may be freed before the close ends */
  int pidfd;
} guardian_watch;

struct proc_guardian_s {
  proc_service *runner;
  pid_t pid;             /* 0: none running */
  int fd;                /* our end of its pipe */
  guardian_watch *watch; /* NULL without pidfds */
};

static _Noreturn void guardian_main(int fd, const char *cgroup_base,
                                    const char *job_prefix) {
  setsid();
  struct sigaction ignore = {.sa_handler = SIG_IGN};
  sigaction(SIGINT, &ignore, NULL);
  sigaction(SIGTERM, &ignore, NULL);
  sigaction(SIGHUP, &ignore, NULL);
  prctl(PR_SET_NAME, "fern-guardian");
  char buf[64];
  ssize_t n;
  int bye = 0;
  while ((n = read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno != EINTR)
      break;
    if (n > 0 && memchr(buf, 'b', (size_t)n) != NULL) {
      bye = 1;
      break;
    }
  }
  if (!bye) {
    if (cgroup_base[0] != '\0') {
      proc_cgroup_kill_tree(cgroup_base);
      proc_cgroup_parents_remove(cgroup_base);
    }
    proc_job_kill_marked(job_prefix, 1000);
  }
  _exit(0);
}

/* Forks a guardian; 0 on success. */
static int spawn(proc_guardian *g) {
  proc_service *r = g->runner;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return -1;
  char prefix[64];
  proc_job_prefix(prefix, sizeof prefix);
  pid_t pid = fork();
  if (pid == 0) {
    /* Hold nothing but our own pipe: an inherited write end of another
     * guardian's pipe would keep that one from ever seeing end of file,
     * and an inherited lock (proc_job.c) would outlive fern. */
    if (fds[0] > 3)
      syscall(SYS_close_range, 3, fds[0] - 1, 0);
    syscall(SYS_close_range, fds[0] + 1, ~0U, 0);
    guardian_main(fds[0], r->job_kind == PROC_JOB_CGROUP ? r->cgroup_base : "",
                  prefix);
  }
  close(fds[0]);
  if (pid < 0) {
    close(fds[1]);
    return -1;
  }
  g->pid = pid;
  g->fd = fds[1];
  return 0;
}

static void watch_closed(uv_handle_t *handle) {
  guardian_watch *w = handle->data;
  proc_service *r = w->runner;
  close(w->pidfd);
  free(w);
  proc_service_unref(r);
}

static void unwatch(proc_guardian *g) {
  if (g->watch == NULL)
    return;
  uv_poll_stop(&g->watch->poll);
  uv_close((uv_handle_t *)&g->watch->poll, watch_closed);
  g->watch = NULL;
}

static void on_guardian_exit(uv_poll_t *poll, int status, int events);

/* Watches the guardian's end through a pidfd, when the kernel has them. */
static void watch(proc_guardian *g) {
  int pidfd = (int)syscall(SYS_pidfd_open, g->pid, 0);
  guardian_watch *w = pidfd >= 0 ? calloc(1, sizeof *w) : NULL;
  if (w == NULL) {
    if (pidfd >= 0)
      close(pidfd);
    return; /* SIGCHLD tells (proc_guardian_check) */
  }
  w->guardian = g;
  w->runner = g->runner;
  w->pidfd = pidfd;
  uv_poll_init(g->runner->host->loop, &w->poll, pidfd);
  w->poll.data = w;
  uv_poll_start(&w->poll, UV_READABLE, on_guardian_exit);
  uv_unref((uv_handle_t *)&w->poll); /* it must not keep fern running */
  g->runner->open_handles++;
  g->watch = w;
}

static void describe(int wstatus, char *buf, size_t size) {
  if (WIFSIGNALED(wstatus))
    snprintf(buf, size, "killed by SIG%s",
             sigabbrev_np(WTERMSIG(wstatus)) ? sigabbrev_np(WTERMSIG(wstatus))
                                             : "?");
  else
    snprintf(buf, size, "exited with status %d", WEXITSTATUS(wstatus));
}

/* The guardian died while fern lives: say so, and start another. */
static void lost(proc_guardian *g, int wstatus) {
  const fern_host_t *host = g->runner->host;
  char how[64] = "gone";
  if (wstatus >= 0)
    describe(wstatus, how, sizeof how);
  pid_t old = g->pid;
  close(g->fd);
  g->pid = 0;
  unwatch(g);
  if (spawn(g) == 0) {
    watch(g);
    proc_service_sigchld_update(g->runner);
    host->log(host->ctx, FERN_LOG_ERROR, NULL,
              "the guardian (pid %d) %s; started another (pid %d): without "
              "one, a SIGKILL of fern would leave its components running",
              (int)old, how, (int)g->pid);
  } else {
    host->log(host->ctx, FERN_LOG_ERROR, NULL,
              "the guardian (pid %d) %s and no other could be started: if "
              "fern is killed now, its components outlive it",
              (int)old, how);
    proc_service_sigchld_update(g->runner);
  }
}

static void on_guardian_exit(uv_poll_t *poll, int status, int events) {
  guardian_watch *w = poll->data;
  (void)status, (void)events;
  int wstatus = -1;
  if (waitpid(w->guardian->pid, &wstatus, WNOHANG) == 0)
    return; /* not over yet */
  lost(w->guardian, wstatus);
}

void proc_guardian_check(proc_guardian *g) {
  if (g == NULL || g->pid == 0 || g->watch != NULL)
    return;
  int wstatus = -1;
  pid_t got = waitpid(g->pid, &wstatus, WNOHANG);
  if (got == g->pid || (got < 0 && errno == ECHILD))
    lost(g, got == g->pid ? wstatus : -1);
}

int proc_guardian_watched(const proc_guardian *g) {
  return g->pid == 0 || g->watch != NULL;
}

pid_t proc_guardian_pid(const proc_guardian *g) {
  return g != NULL ? g->pid : 0;
}

proc_guardian *proc_guardian_start(proc_service *r) {
  proc_guardian *g = calloc(1, sizeof *g);
  if (g == NULL)
    return NULL;
  g->runner = r;
  if (spawn(g) != 0) {
    free(g);
    return NULL;
  }
  watch(g);
  return g;
}

void proc_guardian_stop(proc_guardian *g) {
  if (g == NULL)
    return;
  unwatch(g);
  if (g->pid != 0) {
    ssize_t ignored = write(g->fd, "bye\n", 4);
    (void)ignored;
    close(g->fd);
    while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  free(g);
}
