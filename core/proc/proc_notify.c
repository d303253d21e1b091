/* proc_notify.c - systemd's readiness protocol, so daemons that call
 * sd_notify() work unchanged: a datagram socket per component, named in
 * NOTIFY_SOCKET (abstract namespace, "@..."), taking "READY=1",
 * "STATUS=...", "STOPPING=1", "EXTEND_TIMEOUT_USEC=..." and "MAINPID=..."
 * (proc_mainpid.c), one per line. Like systemd's
 * NotifyAccess=all, a datagram counts when its sender (SO_PASSCRED)
 * belongs to the component: a helper such as systemd-notify may send it. */
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proc.h"

/* EXTEND_TIMEOUT_USEC=N, as sd_notify(3) has it: the timeout of the
 * current state (fern has a start and a stop timeout) ends no sooner than
 * N microseconds from now. The start timeout is the runner's; the stop
 * timeout is fern's (host->extend_stop_timeout). */
static void extend_timeout(proc_run *c, const char *value, size_t len) {
  char digits[32];
  if (len == 0 || len >= sizeof digits)
    return;
  for (size_t i = 0; i < len; i++)
    if (value[i] < '0' || value[i] > '9')
      return; /* digits only: no sign, no space */
  memcpy(digits, value, len);
  digits[len] = '\0';
  errno = 0;
  unsigned long long usec = strtoull(digits, NULL, 10);
  if (errno != 0)
    return;
  uint64_t ms = (uint64_t)(usec / 1000);
  if (c->stop_sent) {
    c->host->extend_stop_timeout(c->host->ctx, c->instance, ms);
  } else {
    proc_process_extend_start(c, ms);
  }
}

static void notify_line(proc_run *c, const char *line, size_t len) {
  if (len == 7 && memcmp(line, "READY=1", 7) == 0) {
    if (!c->ready && !c->exited) {
      c->ready = 1;
      uv_timer_stop(&c->timer);
      c->host->ready(c->host->ctx, c->instance);
    }
  } else if (len > 7 && memcmp(line, "STATUS=", 7) == 0) {
    char status[512];
    snprintf(status, sizeof status, "%.*s", (int)(len - 7), line + 7);
    c->host->status(c->host->ctx, c->instance, status);
  } else if (len == 10 && memcmp(line, "STOPPING=1", 10) == 0) {
    c->host->log(c->host->ctx, FERN_LOG_INFO, c->moniker, "reports it is stopping");
  } else if (len > 20 && memcmp(line, "EXTEND_TIMEOUT_USEC=", 20) == 0) {
    extend_timeout(c, line + 20, len - 20);
  } else if (len > 8 && memcmp(line, "MAINPID=", 8) == 0) {
    proc_mainpid_take(c, line + 8, len - 8);
  }
}

/* fern keeps no file descriptors a component sends (FDSTORE is not
 * supported); closing them also releases a sender waiting on a barrier. */
static void close_passed_fds(struct msghdr *msg) {
  for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
       cmsg = CMSG_NXTHDR(msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
      continue;
    size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof fd);
      close(fd);
    }
  }
}

static struct ucred sender_of(struct msghdr *msg) {
  struct ucred cred = {0, 0, 0};
  for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
       cmsg = CMSG_NXTHDR(msg, cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET &&
        cmsg->cmsg_type == SCM_CREDENTIALS &&
        cmsg->cmsg_len == CMSG_LEN(sizeof cred))
      memcpy(&cred, CMSG_DATA(cmsg), sizeof cred);
  return cred;
}

/* Whether the sender is one of the component's processes. Asked before
 * its descriptors are closed: a sender waiting on a barrier (systemd-notify
 * --ready sends BARRIER=1 with a pipe) is released by that close and may
 * be gone a moment later, no longer placeable. systemd's own order is the
 * same: manager_dispatch_notify_fd() (src/core/manager.c) finds the unit
 * of the sender's credentials first and frees the passed fd set last. */
static int sender_is_ours(proc_run *c, const struct ucred *cred) {
  if ((cred->pid == proc_spawned_pid(c) && cred->pid != 0) ||
      cred->pid == proc_main_pid(c) || proc_job_owns(&c->job, cred->pid))
    return 1;
  /* A sender that already exited cannot be placed. */
  int gone = kill(cred->pid, 0) != 0 && errno == ESRCH;
  c->host->log(c->host->ctx, gone ? FERN_LOG_DEBUG : FERN_LOG_WARN, c->moniker,
               "ignored a notify message from pid %d, not one of its "
               "processes",
               (int)cred->pid);
  return 0;
}

static void notify_text(proc_run *c, char *buf, size_t n) {
  for (char *line = buf, *end = buf + n; line < end;) {
    char *nl = memchr(line, '\n', (size_t)(end - line));
    size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
    notify_line(c, line, len);
    line += len + 1;
  }
}

static void on_notify(uv_poll_t *poll, int status, int events) {
  (void)events;
  if (status == 0)
    proc_notify_drain(poll->data);
}

void proc_notify_drain(proc_run *c) {
  while (c->notify_fd >= 0) {
    char buf[4096];
    char control[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
    struct iovec iov = {buf, sizeof buf - 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control,
                         .msg_controllen = sizeof control};
    ssize_t n = recvmsg(c->notify_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
      return;
    struct ucred cred = sender_of(&msg);
    if (sender_is_ours(c, &cred))
      notify_text(c, buf, (size_t)n);
    close_passed_fds(&msg); /* e.g. systemd-notify's barrier pipe */
  }
}

void proc_notify_file(const proc_run *c, char *out, size_t size) {
  snprintf(out, size, "%s/%s", c->runner->notify_dir, c->job.id);
}

/* Names the socket: abstract, or the run's file (made anew). */
static socklen_t notify_address(proc_run *c, struct sockaddr_un *addr) {
  proc_notify *n = c->notify;
  if (c->notify_by_file) {
    proc_notify_file(c, n->bound, sizeof n->bound);
    snprintf(n->name, sizeof n->name, "%s", PROC_NOTIFY_INSIDE);
    unlink(n->bound);
  } else {
    snprintf(n->bound, sizeof n->bound, "@fern/%s/notify", c->job.id);
    snprintf(n->name, sizeof n->name, "%s", n->bound);
  }
  size_t len = strlen(n->bound);
  memcpy(addr->sun_path, n->bound, len);
  if (!c->notify_by_file)
    addr->sun_path[0] = '\0';
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

void proc_notify_close(proc_run *c) {
  if (c->notify_fd < 0)
    return;
  close(c->notify_fd);
  c->notify_fd = -1;
  if (c->notify_by_file)
    unlink(c->notify->bound);
}

int proc_notify_open(proc_run *c, fern_error_t *err) {
  if (c->notify == NULL && (c->notify = calloc(1, sizeof *c->notify)) == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  c->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (c->notify_fd < 0)
    return fern_error_set(err, FERN_EIO, NULL, "notify socket: %s",
                          strerror(errno));
  int on = 1;
  setsockopt(c->notify_fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  socklen_t len = notify_address(c, &addr);
  if (bind(c->notify_fd, (struct sockaddr *)&addr, len) != 0) {
    close(c->notify_fd);
    c->notify_fd = -1;
    return fern_error_set(err, FERN_EIO, NULL, "notify socket %s: %s",
                          c->notify->bound, strerror(errno));
  }
  uv_poll_init(c->host->loop, &c->notify->poll, c->notify_fd);
  c->notify->poll.data = c;
  uv_poll_start(&c->notify->poll, UV_READABLE, on_notify);
  c->open_handles++;
  return FERN_OK;
}
