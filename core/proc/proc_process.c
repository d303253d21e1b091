/* proc_process.c - one run of a program, from spawn to report: output
 * forwarded line by line, the main process's end seen through its pidfd
 * (or SIGCHLD), the rest of its job killed, and the report sent only once
 * every process of the job is gone and every handle is closed, so no
 * output line can follow the report and nothing is left behind. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fern/lifecycle.h>

#include "proc.h"
#include "proc_image_root.h"

#define PROC_DRAIN_TICK_MS 10
#define PROC_DRAIN_MAX_MS 2000

static void report(proc_run *c) {
  fern_stop_report_t r = {.struct_size = sizeof r, .exit_code = -1};
  if (c->start_failed) {
    r.status = FERN_STOP_CANNOT_START;
    r.message = c->failure;
  } else if (c->cancelled && !c->spawned) {
    /* Stopped while its check or spawn was still waiting: no process ever
     * was, and no exit code is made up for one. */
    r.status = FERN_STOP_NOT_STARTED;
    r.message = "stopped before its program was spawned";
  } else if (c->term_signal != 0) {
    /* A program that dies of the SIGTERM it was sent to stop it stopped
     * as asked, like systemd's clean-exit signals. */
    r.status = c->term_sent && c->term_signal == SIGTERM
                   ? FERN_STOP_OK
                   : FERN_STOP_INSTANCE_DIED;
    r.term_signal = c->term_signal;
    r.core_dumped = c->core_dumped;
  } else if (c->exit_unknown) {
    /* As systemd counts a main process that was not its child and is
     * gone: a success, with no exit code made up for it. */
    r.status = FERN_STOP_OK;
    r.message = "its main process was not fern's to reap: its exit status "
                "is unknown";
  } else {
    r.exit_code = c->exit_code;
    r.status = c->exit_code == 0 ? FERN_STOP_OK : FERN_STOP_INSTANCE_DIED;
  }
  proc_cost_report(c, &r);
  c->host->stopped(c->host->ctx, c->instance, &r);
}

void proc_process_report_now(proc_run *c) { report(c); }

void proc_process_handle_closed(proc_run *c) {
  if (--c->open_handles == 0)
    report(c);
}

static void on_handle_closed(uv_handle_t *handle) {
  proc_process_handle_closed(handle->data);
}

char *proc_failure_buf(proc_run *c) {
  static char fallback[PROC_FAILURE_MAX]; /* out of memory: share one */
  if (c->failure == NULL && (c->failure = calloc(1, PROC_FAILURE_MAX)) == NULL)
    return fallback;
  return c->failure;
}

static void close_handle(proc_run *c, uv_handle_t *handle) {
  handle->data = c;
  uv_close(handle, on_handle_closed);
}

static void stream_flush(proc_run *c, int which) {
  proc_stream *s = &c->streams[which];
  if (s->line_len > 0)
    c->host->output(c->host->ctx, c->moniker, which + 1, s->line, s->line_len);
  s->line_len = 0;
  free(s->line);
  s->line = NULL;
}

static void stream_close(proc_run *c, int which) {
  proc_stream *s = &c->streams[which];
  if (!s->open)
    return;
  s->open = 0;
  stream_flush(c, which);
  close_handle(c, (uv_handle_t *)&s->pipe);
}

/* The live list is doubly linked: thousands of components end in any
 * order, and each leaves it in constant time. */
static void live_remove(proc_run *c) {
  if (c->prev_live == NULL)
    return;
  *c->prev_live = c->next_live;
  if (c->next_live != NULL)
    c->next_live->prev_live = c->prev_live;
  c->prev_live = NULL;
  c->next_live = NULL;
  if (c->pidfd < 0 && --c->runner->live_without_pidfd == 0)
    proc_service_sigchld_update(c->runner);
}

static void live_add(proc_run *c) {
  proc_service *r = c->runner;
  c->next_live = r->live;
  if (r->live != NULL)
    r->live->prev_live = &c->next_live;
  c->prev_live = &r->live;
  r->live = c;
  if (c->pidfd < 0 && r->live_without_pidfd++ == 0)
    proc_service_sigchld_update(r); /* before the first look for its end */
}

/* Everything is over: close what is open; the last close reports. */
static void finish(proc_run *c) {
  c->finishing = 1;
  proc_output_release(c, 0);
  stream_close(c, PROC_STDOUT);
  stream_close(c, PROC_STDERR);
  proc_cost_at_end(c);
  proc_job_release(c->runner, &c->job);
  proc_run_stop_over(c);
  if (c->lifecycle_fd >= 0)
    close(c->lifecycle_fd);
  c->lifecycle_fd = -1;
  if (c->notify_fd >= 0) {
    close_handle(c, (uv_handle_t *)&c->notify->poll);
    proc_notify_close(c); /* libuv stops polling before the fd closes */
  }
  live_remove(c); /* before the pidfd goes: the list counts those without */
  proc_mainpid_finish(c); /* before the pidfd goes: it reaps through it */
  if (c->pidfd >= 0) {
    close_handle(c, (uv_handle_t *)&c->pidfd_poll);
    close(c->pidfd);
    c->pidfd = -1;
  }
  if (c->timer_open) {
    c->timer_open = 0;
    close_handle(c, (uv_handle_t *)&c->timer);
  }
}

static void check_finish(proc_run *c) {
  if (!c->exited || c->finishing)
    return;
  /* A main process fern could not reap: its parent reaps it at once, and
   * then its status is known; wait that long for it. */
  if (!proc_pidfd_status_late(c) && c->exit_unknown && !c->drain_expired &&
      c->drain_ticks * PROC_DRAIN_TICK_MS < PROC_MAINPID_STATUS_WAIT_MS)
    return;
  if (!c->drain_expired &&
      (c->streams[0].open || c->streams[1].open ||
       (!c->job_empty && proc_job_populated(&c->job))))
    return;
  finish(c);
}

static void on_drain_tick(uv_timer_t *timer) {
  proc_run *c = timer->data;
  c->drain_ticks++;
  if (proc_job_populated(&c->job))
    proc_job_signal(&c->job, SIGKILL); /* forks that raced the last kill */
  if (c->drain_ticks * PROC_DRAIN_TICK_MS >= PROC_DRAIN_MAX_MS) {
    c->host->log(c->host->ctx, FERN_LOG_WARN, c->moniker,
                 "processes of its job still hold on after %d ms; giving up "
                 "on them",
                 PROC_DRAIN_MAX_MS);
    c->drain_expired = 1;
  }
  check_finish(c);
}

static void describe_exit(const proc_run *c, char *buf, size_t size) {
  if (c->term_signal != 0)
    snprintf(buf, size, "died of signal %s", sigabbrev_np(c->term_signal)
                                                 ? sigabbrev_np(c->term_signal)
                                                 : "?");
  else
    snprintf(buf, size, "exited with status %d", c->exit_code);
}

void proc_process_critical_check(proc_run *c) {
  int failed = c->term_signal != 0 || c->exit_code != 0;
  if (c->critical && failed && !c->stop_sent && !c->start_failed) {
    char why[128];
    describe_exit(c, why, sizeof why);
    c->host->critical_failure(c->host->ctx, c->instance, why);
  }
}

/* The main process ended: the job goes with it. */
void proc_process_main_exited(proc_run *c) {
  c->exited = 1;
  proc_output_release(c, 1); /* what it wrote is read to its end now */
  live_remove(c);
  proc_process_critical_check(c);
  /* Most programs leave nothing behind: look before killing, and a job
   * found empty needs no second look. */
  c->job_empty = !proc_job_populated(&c->job);
  if (!c->job_empty)
    proc_job_signal(&c->job, SIGKILL);
  uv_timer_stop(&c->timer);
  uv_timer_start(&c->timer, on_drain_tick, PROC_DRAIN_TICK_MS,
                 PROC_DRAIN_TICK_MS);
  check_finish(c);
  /* A reaped process's pidfd reads ready for ever: stop polling it. A run
   * that finished has closed the handle already, and libuv's close took
   * it out of epoll: a stop before it would have been a second
   * epoll_ctl for each of thousands of ends. */
  if (!c->finishing && c->pidfd >= 0)
    uv_poll_stop(&c->pidfd_poll);
}

/* A wrapper (bwrap) passes on a program's death by signal N as exit
 * status 128+N, as shells do. */
static void exit_code_as_signal(proc_run *c) {
  if (c->exit_codes_as_signals && c->exit_code > 128 && c->exit_code < 128 + 65) {
    c->term_signal = c->exit_code - 128;
    c->exit_code = 0;
  }
}

void proc_process_record_waitid(proc_run *c, const siginfo_t *info) {
  if (info->si_code == CLD_EXITED) {
    c->exit_code = info->si_status;
    exit_code_as_signal(c);
  } else {
    c->term_signal = info->si_status;
    c->core_dumped = info->si_code == CLD_DUMPED;
  }
}

static void on_pidfd(uv_poll_t *poll, int status, int events) {
  proc_run *c = poll->data;
  (void)status, (void)events;
  if (c->exited)
    return;
  /* What it said before it ended counts first: a launcher's MAINPID=. */
  proc_notify_drain(c);
  if (proc_mainpid_launcher_ended(c))
    return;
  if (proc_pidfd_collect(c, c->pidfd))
    proc_process_main_exited(c);
}

void proc_process_poll_exit(proc_run *c) {
  int status;
  if (c->exited || c->pidfd >= 0)
    return;
  pid_t got = wait4(c->pid, &status, WNOHANG, &c->usage);
  c->have_usage = got == c->pid;
  if (got < 0 && errno == ECHILD) {
    /* Someone else reaped it (a plugin that waits for any child): it is
     * gone, and its status with it. The run ends; it must not hang. */
    c->exit_unknown = 1;
    proc_process_main_exited(c);
    return;
  }
  if (got <= 0)
    return;
  if (WIFEXITED(status)) {
    c->exit_code = WEXITSTATUS(status);
    exit_code_as_signal(c);
  } else {
    c->term_signal = WTERMSIG(status);
    c->core_dumped = WCOREDUMP(status);
  }
  proc_process_main_exited(c);
}

static int stream_index(proc_run *c, uv_handle_t *handle) {
  return handle == (uv_handle_t *)&c->streams[PROC_STDERR].pipe ? PROC_STDERR
                                                               : PROC_STDOUT;
}

void proc_output_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  proc_run *c = handle->data;
  (void)suggested;
  *buf = uv_buf_init(c->runner->read_buf, sizeof c->runner->read_buf);
}

/* The start of a line longer than PROC_LINE_MAX goes out marked cut, and
 * the rest of it is dropped up to its end (a host before ABI 2.5 gets the
 * line in pieces instead). */
static void stream_cut(proc_run *c, int which) {
  proc_stream *s = &c->streams[which];
  if (!FERN_HOST_HAS(c->host, output_cut)) {
    stream_flush(c, which);
    return;
  }
  c->host->output_cut(c->host->ctx, c->moniker, which + 1, s->line,
                      s->line_len);
  s->line_len = 0;
  s->discarding = 1;
}

/* Keeps the start of a line until its end comes. */
static void stream_keep(proc_run *c, int which, const char *data,
                        size_t len) {
  proc_stream *s = &c->streams[which];
  if (s->discarding)
    return;
  while (len > 0) {
    if (s->line == NULL && (s->line = malloc(PROC_LINE_MAX)) == NULL)
      return; /* out of memory: the piece is lost, not fern */
    size_t take = PROC_LINE_MAX - s->line_len;
    take = take < len ? take : len;
    memcpy(s->line + s->line_len, data, take);
    s->line_len += take;
    data += take;
    len -= take;
    if (s->line_len == PROC_LINE_MAX) {
      stream_cut(c, which);
      if (s->discarding)
        return;
    }
  }
}

/* A line that came whole in one read: cut, as a pending one is, when it
 * is longer than PROC_LINE_MAX. */
static void stream_whole(proc_run *c, int which, const char *line,
                         size_t len) {
  if (len > PROC_LINE_MAX && FERN_HOST_HAS(c->host, output_cut))
    c->host->output_cut(c->host->ctx, c->moniker, which + 1, line,
                        PROC_LINE_MAX);
  else
    c->host->output(c->host->ctx, c->moniker, which + 1, line, len);
}

static void stream_feed(proc_run *c, int which, const char *data,
                        size_t len) {
  proc_stream *s = &c->streams[which];
  size_t start = 0;
  for (size_t i = 0; i < len; i++) {
    if (data[i] != '\n')
      continue;
    if (s->line_len > 0 && !s->discarding) { /* a pending line's end */
      stream_keep(c, which, data + start, i - start);
      if (!s->discarding) /* unless its end made it too long: cut */
        stream_flush(c, which);
    } else if (!s->discarding) {
      stream_whole(c, which, data + start, i - start);
    }
    /* This newline ends the line, cut or not. */
    s->discarding = 0;
    free(s->line);
    s->line = NULL;
    s->line_len = 0;
    start = i + 1;
  }
  stream_keep(c, which, data + start, len - start);
}

void proc_output_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  proc_run *c = stream->data;
  int which = stream_index(c, (uv_handle_t *)stream);
  if (nread > 0) {
    stream_feed(c, which, buf->base, (size_t)nread);
    proc_output_pace(c);
  } else if (nread < 0) { /* EOF: every writer is gone */
    stream_close(c, which);
    check_finish(c);
  }
}

static void on_start_timeout(uv_timer_t *timer) {
  proc_run *c = timer->data;
  /* A stop asked for while it started is fern's to time, not this. */
  if (c->ready || c->exited || c->stop_sent)
    return;
  c->start_failed = 1;
  snprintf(proc_failure_buf(c), PROC_FAILURE_MAX,
           "did not report READY=1 within %llu ms (its start timeout)",
           (unsigned long long)c->start_timeout_ms);
  proc_process_kill_job(c);
}

void proc_process_extend_start(proc_run *c, uint64_t ms) {
  uint64_t now = uv_now(c->host->loop);
  if (c->ready || c->exited || !c->ready_notify ||
      now + ms <= c->start_deadline)
    return;
  c->start_deadline = now + ms;
  uv_timer_start(&c->timer, on_start_timeout, ms, 0);
  c->host->log(c->host->ctx, FERN_LOG_INFO, c->moniker,
               "asks for %llu ms more to be ready; its start timeout is "
               "extended",
               (unsigned long long)ms);
}

static int env_add(char **envp, size_t *n, const char *name,
                   const char *value) {
  size_t len = strlen(name) + strlen(value) + 2;
  if ((envp[*n] = malloc(len)) == NULL)
    return -1;
  snprintf(envp[(*n)++], len, "%s=%s", name, value);
  return 0;
}

/* systemd's socket activation variables (sd_listen_fds(3)); LISTEN_PID's
 * value is room the child fills with its own pid before its exec, as
 * systemd's exec_child() sets it after the fork. */
static int listen_env(proc_run *c, size_t *n) {
  char count[16];
  if (c->listen_count == 0)
    return 0;
  snprintf(count, sizeof count, "%d", c->listen_count);
  if (env_add(c->envp, n, "LISTEN_FDS", count) != 0 ||
      env_add(c->envp, n, "LISTEN_PID", "                    ") != 0 ||
      env_add(c->envp, n, "LISTEN_FDNAMES", c->listen_names) != 0)
    return -1;
  c->listen_pid_env = c->envp[*n - 2] + strlen("LISTEN_PID=");
  return 0;
}

/* A variable of the request's that fern sets itself for this run: the
 * request's would come first, and getenv() would find it. */
static int set_by_fern(const proc_run *c, const char *entry) {
  static const char *const listen[] = {"LISTEN_FDS=", "LISTEN_PID=",
                                       "LISTEN_FDNAMES=", NULL};
  for (size_t i = 0; c->listen_count > 0 && listen[i] != NULL; i++)
    if (strncmp(entry, listen[i], strlen(listen[i])) == 0)
      return 1;
  return c->stop_notify &&
         strncmp(entry, FERN_LIFECYCLE_FD_ENV "=",
                 strlen(FERN_LIFECYCLE_FD_ENV "=")) == 0;
}

/* FERN_JOB comes first: the job scan reads only the start of environ. */
static int build_envp(proc_run *c) {
  size_t count = 0, n = 0;
  while (c->environ[count] != NULL)
    count++;
  c->envp = calloc(count + 10, sizeof *c->envp);
  if (c->envp == NULL || env_add(c->envp, &n, "FERN_JOB", c->job.id) != 0)
    return -1;
  for (size_t i = 0; i < count; i++)
    if (!set_by_fern(c, c->environ[i]) &&
        (c->envp[n++] = strdup(c->environ[i])) == NULL)
      return -1;
  char lifecycle_fd[16];
  snprintf(lifecycle_fd, sizeof lifecycle_fd, "%d", 3 + c->listen_count);
  if (env_add(c->envp, &n, "FERN_MONIKER", c->moniker) != 0 ||
      env_add(c->envp, &n, "FERN_PACKAGE_DIR",
              c->root != NULL ? "/" : c->package_dir) != 0 ||
      listen_env(c, &n) != 0 ||
      (c->stop_notify &&
       env_add(c->envp, &n, FERN_LIFECYCLE_FD_ENV, lifecycle_fd) != 0) ||
      (c->ready_notify && env_add(c->envp, &n, "NOTIFY_SOCKET",
                                  c->notify->name) != 0))
    return -1;
  return 0;
}

static int open_stream(proc_run *c, int which, int *child_fd) {
  *child_fd = -1;
  if (!c->forward[which])
    return 0;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return -1;
  uv_pipe_init(c->host->loop, &c->streams[which].pipe, 0);
  c->streams[which].pipe.data = c;
  uv_pipe_open(&c->streams[which].pipe, fds[0]);
  c->streams[which].open = 1;
  c->open_handles++;
  *child_fd = fds[1];
  return 0;
}

static int prepare(proc_run *c, int out_fds[2], int *lifecycle_child) {
  fern_error_t err = FERN_ERROR_INIT;
  *lifecycle_child = -1;
  out_fds[0] = out_fds[1] = -1;
  if (c->ready_notify && proc_notify_open(c, &err) != FERN_OK) {
    snprintf(proc_failure_buf(c), PROC_FAILURE_MAX, "%s", err.message);
    return -1;
  }
  if (c->stop_notify) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
      return -1;
    c->lifecycle_fd = pair[0];
    fcntl(c->lifecycle_fd, F_SETFL, O_NONBLOCK);
    *lifecycle_child = pair[1];
  }
  if (proc_run_before_spawn(c, &err) != FERN_OK) {
    snprintf(proc_failure_buf(c), PROC_FAILURE_MAX, "%s", err.message);
    return -1;
  }
  if (open_stream(c, PROC_STDOUT, &out_fds[0]) != 0 ||
      open_stream(c, PROC_STDERR, &out_fds[1]) != 0 || build_envp(c) != 0) {
    snprintf(proc_failure_buf(c), PROC_FAILURE_MAX, "cannot prepare the program: %s",
             strerror(errno));
    return -1;
  }
  return 0;
}

static void start_watching(proc_run *c) {
  live_add(c);
  c->job.pgid = c->pid; /* it called setsid(): its group is its pid */
  if (c->pidfd >= 0) {
    uv_poll_init(c->host->loop, &c->pidfd_poll, c->pidfd);
    c->pidfd_poll.data = c;
    uv_poll_start(&c->pidfd_poll, UV_READABLE, on_pidfd);
    c->open_handles++;
  }
  if (c->ready_notify) {
    c->start_deadline = uv_now(c->host->loop) + c->start_timeout_ms;
    uv_timer_start(&c->timer, on_start_timeout, c->start_timeout_ms, 0);
  }
  for (int which = 0; which < 2; which++)
    if (c->streams[which].open)
      uv_read_start((uv_stream_t *)&c->streams[which].pipe, proc_output_alloc,
                    proc_output_read);
}

void proc_binary_fds_close(proc_run *c) {
  if (c->binary_fd >= 0)
    close(c->binary_fd);
  if (c->binary_dir_fd >= 0)
    close(c->binary_dir_fd);
  c->binary_fd = c->binary_dir_fd = -1;
}

void proc_listen_fds_close(proc_run *c) {
  for (int i = 0; i < c->listen_count; i++)
    close(c->listen_fds[i]);
  c->listen_count = 0;
}

void proc_wrapper_fds_close(proc_run *c) {
  for (int i = 0; i < c->wrapper_fd_count; i++)
    close(c->wrapper_fds[i]);
  c->wrapper_fd_count = 0;
}

int proc_process_start(proc_run *c) {
  uv_timer_init(c->host->loop, &c->timer);
  c->timer.data = c;
  c->timer_open = 1;
  c->open_handles++;
  int out_fds[2], lifecycle_child;
  int rc = prepare(c, out_fds, &lifecycle_child) == 0
               ? proc_spawn(c, out_fds, lifecycle_child)
               : FERN_ESPAWN;
  for (int i = 0; i < 2; i++)
    if (out_fds[i] >= 0)
      close(out_fds[i]);
  if (lifecycle_child >= 0)
    close(lifecycle_child);
  proc_wrapper_fds_close(c); /* the wrapper has its copies now */
  proc_listen_fds_close(c);
  proc_binary_fds_close(c);  /* and the program its image */
  for (size_t i = 0; c->envp != NULL && c->envp[i] != NULL; i++)
    free(c->envp[i]); /* the program has its copy now */
  free(c->envp);
  c->envp = NULL;
  if (rc != FERN_OK) {
    c->start_failed = 1;
    c->exited = 1;
    finish(c);
    return rc;
  }
  c->spawned = 1;
  proc_cost_spawned(c);
  if (c->ready_notify)
    c->host->awaits_ready(c->host->ctx, c->instance);
  start_watching(c);
  c->host->started(c->host->ctx, c->instance, (long)c->pid);
  /* A SIGCHLD that arrived before it was on the live list is not lost. */
  proc_process_poll_exit(c);
  return FERN_OK;
}

void proc_process_signal(proc_run *c, int signum) {
  if (!c->spawned || c->exited)
    return;
  if (c->follow != NULL) {
    proc_mainpid_signal(c, signum);
    return;
  }
  kill(-c->pid, signum);
}

void proc_process_kill_job(proc_run *c) {
  if (!c->spawned)
    return;
  if (!c->exited && c->follow != NULL)
    proc_mainpid_signal(c, SIGKILL);
  else if (!c->exited)
    kill(c->pid, SIGKILL);
  proc_job_signal(&c->job, SIGKILL);
}
