/* elf_process.c - one running program: spawn, forward its output line by
 * line, reap it, and report only once every handle is closed (so that no
 * output line can arrive after the stop report). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "elf_runner.h"

/* After the main process exits, a descendant that left its process group
 * may still hold the output pipes; stop waiting for their EOF after this. */
#define ELF_DRAIN_MS 2000

static void report(elf_controller *c) {
  fern_stop_report_t r = {.struct_size = sizeof r, .exit_code = -1};
  if (c->start_failed) {
    r.status = FERN_STOP_CANNOT_START;
    r.message = c->failure;
  } else if (c->term_signal != 0) {
    /* A program that dies of the SIGTERM it was sent to stop it stopped
     * as asked, like systemd's clean-exit signals. */
    r.status = c->term_sent && c->term_signal == SIGTERM
                   ? FERN_STOP_OK
                   : FERN_STOP_INSTANCE_DIED;
    r.term_signal = c->term_signal;
  } else {
    r.exit_code = (int)c->exit_status;
    r.status = c->exit_status == 0 ? FERN_STOP_OK : FERN_STOP_INSTANCE_DIED;
  }
  c->host->stopped(c->instance, &r);
}

static void on_handle_closed(uv_handle_t *handle) {
  elf_controller *c = handle->data;
  if (--c->open_handles == 0)
    report(c);
}

static void close_handle(elf_controller *c, uv_handle_t *handle) {
  handle->data = c;
  uv_close(handle, on_handle_closed);
}

static void stream_flush(elf_controller *c, int which) {
  elf_stream *s = &c->streams[which];
  if (s->line_len > 0)
    c->host->output(c->moniker, which + 1, s->line, s->line_len);
  s->line_len = 0;
}

static void stream_close(elf_controller *c, int which) {
  elf_stream *s = &c->streams[which];
  if (!s->open)
    return;
  s->open = 0;
  stream_flush(c, which);
  close_handle(c, (uv_handle_t *)&s->pipe);
}

static void drain_timer_close(elf_controller *c) {
  if (c->drain_timer_open) {
    c->drain_timer_open = 0;
    uv_timer_stop(&c->drain_timer);
    close_handle(c, (uv_handle_t *)&c->drain_timer);
  }
}

static void maybe_done_draining(elf_controller *c) {
  if (c->exited && !c->streams[0].open && !c->streams[1].open)
    drain_timer_close(c);
}

static int stream_index(elf_controller *c, uv_handle_t *handle) {
  return handle == (uv_handle_t *)&c->streams[ELF_STDERR].pipe ? ELF_STDERR
                                                               : ELF_STDOUT;
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  elf_controller *c = handle->data;
  elf_stream *s = &c->streams[stream_index(c, handle)];
  (void)suggested;
  *buf = uv_buf_init(s->read_buf, sizeof s->read_buf);
}

static void stream_feed(elf_controller *c, int which, const char *data,
                        size_t len) {
  elf_stream *s = &c->streams[which];
  for (size_t i = 0; i < len; i++) {
    if (data[i] == '\n') {
      c->host->output(c->moniker, which + 1, s->line, s->line_len);
      s->line_len = 0;
      continue;
    }
    if (s->line_len == sizeof s->line)
      stream_flush(c, which);
    s->line[s->line_len++] = data[i];
  }
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  elf_controller *c = stream->data;
  int which = stream_index(c, (uv_handle_t *)stream);
  if (nread > 0) {
    stream_feed(c, which, buf->base, (size_t)nread);
    return;
  }
  if (nread < 0) { /* EOF, or the pipe broke: either way it is over */
    stream_close(c, which);
    maybe_done_draining(c);
  }
}

static void on_drain_timeout(uv_timer_t *timer) {
  elf_controller *c = timer->data;
  stream_close(c, ELF_STDOUT);
  stream_close(c, ELF_STDERR);
  drain_timer_close(c);
}

static void on_process_exit(uv_process_t *process, int64_t exit_status,
                    int term_signal) {
  elf_controller *c = process->data;
  c->exited = 1;
  c->exit_status = exit_status;
  c->term_signal = term_signal;
  /* The main process is gone: what is left of its process group goes too. */
  kill(-(pid_t)process->pid, SIGKILL);
  close_handle(c, (uv_handle_t *)process);
  uv_timer_init(process->loop, &c->drain_timer);
  c->drain_timer.data = c;
  c->drain_timer_open = 1;
  c->open_handles++;
  uv_timer_start(&c->drain_timer, on_drain_timeout, ELF_DRAIN_MS, 0);
  maybe_done_draining(c);
}

static void stdio_setup(elf_controller *c, uv_loop_t *loop,
                        uv_stdio_container_t stdio[3]) {
  stdio[0].flags = UV_IGNORE;
  for (int which = 0; which < 2; which++) {
    uv_stdio_container_t *slot = &stdio[which + 1];
    if (!c->forward[which]) {
      slot->flags = UV_IGNORE;
      continue;
    }
    uv_pipe_init(loop, &c->streams[which].pipe, 0);
    c->streams[which].pipe.data = c;
    slot->flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    slot->data.stream = (uv_stream_t *)&c->streams[which].pipe;
  }
}

int elf_process_spawn(elf_controller *c) {
  uv_loop_t *loop = c->host->loop;
  uv_stdio_container_t stdio[3];
  memset(stdio, 0, sizeof stdio);
  stdio_setup(c, loop, stdio);
  uv_process_options_t options;
  memset(&options, 0, sizeof options);
  options.exit_cb = on_process_exit;
  options.file = c->binary_path;
  options.args = c->argv;
  options.env = c->envp;
  options.cwd = c->package_dir;
  options.flags = UV_PROCESS_DETACHED; /* its own session and group */
  options.stdio_count = 3;
  options.stdio = stdio;
  c->process.data = c;
  int rc = uv_spawn(loop, &c->process, &options);
  for (int which = 0; which < 2; which++) {
    if (!c->forward[which])
      continue;
    c->streams[which].open = 1;
    c->open_handles++;
    if (rc == 0)
      uv_read_start((uv_stream_t *)&c->streams[which].pipe, on_alloc, on_read);
  }
  c->open_handles++; /* the process handle */
  if (rc != 0) {
    snprintf(c->failure, sizeof c->failure, "cannot spawn %s: %s",
             c->binary_path, uv_strerror(rc));
    c->start_failed = 1;
    c->exited = 1;
    stream_close(c, ELF_STDOUT);
    stream_close(c, ELF_STDERR);
    close_handle(c, (uv_handle_t *)&c->process);
    return FERN_ESPAWN;
  }
  c->spawned = 1;
  return FERN_OK;
}

void elf_process_signal(elf_controller *c, int signum) {
  if (c->spawned && !c->exited)
    kill(-(pid_t)c->process.pid, signum);
}

/* Reports a start that never reached the spawn. */
void elf_process_report_now(elf_controller *c) { report(c); }
