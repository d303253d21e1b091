/* slurm_cmd.c - one Slurm command (sbatch, srun, squeue, scontrol, scancel)
 * as a child of the loop: its input written, its output kept or streamed
 * as lines, a deadline after which it is killed. Nothing here waits.
 *
 * Streamed output (srun's, which is the program's) is read no faster than
 * fern's log takes it, as the process runners read theirs (see
 * host->output_room and core/proc/proc_output_pace.c): while the log is
 * low on room the pipes are not read, srun's writes block, and through
 * srun and slurmstepd the program's. Once srun has ended its pipes are
 * read whatever the room, so that the end is reported and fern can stop. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "slurm.h"

#define KEEP_OUT_MAX (4u << 20) /* squeue of a busy cluster fits */
#define KEEP_ERR 4096
#define PACE_TICK_MS 10 /* how often a paused stream looks for room */

struct slurm_cmd_s {
  const fern_host_t *host;
  uv_process_t proc;
  uv_pipe_t in, out, err;
  uv_timer_t timer;
  uv_timer_t pace;  /* while paused: looks for room in fern's log */
  int paused;       /* the streamed pipes are not being read */
  int exited;       /* the command is over: read whatever the room */
  uv_write_t write;
  int handles; /* open; `done` runs when the last one closed */
  slurm_cmd_done done;
  slurm_cmd_line on_line;
  void *arg;
  char *input;
  char *kept;
  size_t kept_len, kept_cap;
  char err_tail[KEEP_ERR + 1];
  size_t err_len;
  char *line[2]; /* a partial line per stream, when streaming */
  size_t line_len[2];
  slurm_cmd_result result;
};

void slurm_cmd_path(const slurm_runner *r, const char *name, char *out,
                    size_t size) {
  if (r->bin_dir[0] != '\0')
    snprintf(out, size, "%s/%s", r->bin_dir, name);
  else
    snprintf(out, size, "%s", name);
}

static void handle_closed(uv_handle_t *handle) {
  slurm_cmd *cmd = handle->data;
  if (--cmd->handles > 0)
    return;
  for (int s = 0; s < 2; s++) {
    if (cmd->on_line != NULL && cmd->line_len[s] > 0)
      cmd->on_line(cmd->arg, s + 1, cmd->line[s], cmd->line_len[s]);
    free(cmd->line[s]);
  }
  cmd->result.out = cmd->kept != NULL ? cmd->kept : "";
  cmd->result.err = cmd->err_tail;
  cmd->done(cmd->arg, &cmd->result);
  free(cmd->kept);
  free(cmd->input);
  free(cmd);
}

static void close_handle(slurm_cmd *cmd, uv_handle_t *handle) {
  (void)cmd;
  if (!uv_is_closing(handle))
    uv_close(handle, handle_closed);
}

static void keep_out(slurm_cmd *cmd, const char *data, size_t n) {
  if (cmd->kept_len + n + 1 > cmd->kept_cap) {
    size_t cap = cmd->kept_cap ? cmd->kept_cap * 2 : 4096;
    while (cap < cmd->kept_len + n + 1)
      cap *= 2;
    if (cap > KEEP_OUT_MAX + 1)
      return; /* more than any answer we read; the rest is dropped */
    char *grown = realloc(cmd->kept, cap);
    if (grown == NULL)
      return;
    cmd->kept = grown;
    cmd->kept_cap = cap;
  }
  memcpy(cmd->kept + cmd->kept_len, data, n);
  cmd->kept_len += n;
  cmd->kept[cmd->kept_len] = '\0';
}

static void keep_err(slurm_cmd *cmd, const char *data, size_t n) {
  if (n >= KEEP_ERR) {
    data += n - KEEP_ERR;
    n = KEEP_ERR;
  }
  if (cmd->err_len + n > KEEP_ERR) {
    size_t drop = cmd->err_len + n - KEEP_ERR;
    memmove(cmd->err_tail, cmd->err_tail + drop, cmd->err_len - drop);
    cmd->err_len -= drop;
  }
  memcpy(cmd->err_tail + cmd->err_len, data, n);
  cmd->err_len += n;
  cmd->err_tail[cmd->err_len] = '\0';
}

/* Streams whole lines; keeps the unfinished end for the next read. */
static void split_lines(slurm_cmd *cmd, int s, const char *data, size_t n) {
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    if (data[i] != '\n')
      continue;
    if (cmd->line_len[s] > 0) {
      char *joined = realloc(cmd->line[s], cmd->line_len[s] + i - start);
      if (joined != NULL) {
        memcpy(joined + cmd->line_len[s], data + start, i - start);
        cmd->line[s] = joined;
        cmd->on_line(cmd->arg, s + 1, joined, cmd->line_len[s] + i - start);
      }
      cmd->line_len[s] = 0;
    } else {
      cmd->on_line(cmd->arg, s + 1, data + start, i - start);
    }
    start = i + 1;
  }
  if (start < n) {
    char *grown = realloc(cmd->line[s], cmd->line_len[s] + n - start);
    if (grown != NULL) {
      memcpy(grown + cmd->line_len[s], data + start, n - start);
      cmd->line[s] = grown;
      cmd->line_len[s] += n - start;
    }
  }
}

static void alloc_buffer(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  (void)handle;
  (void)suggested;
  static char shared[65536]; /* the loop's one thread reads one at a time */
  *buf = uv_buf_init(shared, sizeof shared);
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf);

static void set_reading(slurm_cmd *cmd, int reading) {
  uv_stream_t *streams[2] = {(uv_stream_t *)&cmd->out, (uv_stream_t *)&cmd->err};
  for (int s = 0; s < 2; s++) {
    if (uv_is_closing((uv_handle_t *)streams[s]))
      continue;
    if (reading)
      uv_read_start(streams[s], alloc_buffer, on_read);
    else
      uv_read_stop(streams[s]);
  }
}

static void resume_reading(slurm_cmd *cmd) {
  if (!cmd->paused)
    return;
  cmd->paused = 0;
  uv_timer_stop(&cmd->pace);
  set_reading(cmd, 1);
}

static void on_pace_tick(uv_timer_t *timer) {
  slurm_cmd *cmd = timer->data;
  if (cmd->host->output_room(cmd->host->ctx) >= FERN_OUTPUT_ROOM_HIGH)
    resume_reading(cmd);
}

/* After a streamed read: stop reading while fern's log is low on room. */
static void pace(slurm_cmd *cmd) {
  if (cmd->on_line == NULL || cmd->paused || cmd->exited ||
      cmd->host->output_room(cmd->host->ctx) >= FERN_OUTPUT_ROOM_LOW)
    return;
  cmd->paused = 1;
  set_reading(cmd, 0);
  uv_timer_start(&cmd->pace, on_pace_tick, PACE_TICK_MS, PACE_TICK_MS);
}

static void on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf) {
  slurm_cmd *cmd = stream->data;
  int s = stream == (uv_stream_t *)&cmd->out ? 0 : 1;
  if (n < 0) {
    close_handle(cmd, (uv_handle_t *)stream);
    return;
  }
  if (s == 1)
    keep_err(cmd, buf->base, (size_t)n);
  if (cmd->on_line != NULL)
    split_lines(cmd, s, buf->base, (size_t)n);
  else if (s == 0)
    keep_out(cmd, buf->base, (size_t)n);
  pace(cmd);
}

static void on_exit_cb(uv_process_t *proc, int64_t status, int signum) {
  slurm_cmd *cmd = proc->data;
  cmd->result.exit_status = status;
  cmd->result.term_signal = signum;
  uv_timer_stop(&cmd->timer);
  close_handle(cmd, (uv_handle_t *)&cmd->timer);
  close_handle(cmd, (uv_handle_t *)proc);
  cmd->exited = 1;
  resume_reading(cmd);
  close_handle(cmd, (uv_handle_t *)&cmd->pace);
}

static void on_deadline(uv_timer_t *timer) {
  slurm_cmd *cmd = timer->data;
  cmd->result.timed_out = 1;
  uv_process_kill(&cmd->proc, SIGKILL);
}

static void on_written(uv_write_t *req, int status) {
  (void)status;
  slurm_cmd *cmd = req->data;
  close_handle(cmd, (uv_handle_t *)&cmd->in);
}

static void init_handle(slurm_cmd *cmd, uv_handle_t *handle) {
  handle->data = cmd;
  cmd->handles++;
}

static int spawn(slurm_runner *r, slurm_cmd *cmd, const slurm_cmd_opts *opts,
                 char **env) {
  uv_loop_t *loop = r->host->loop;
  char file[PATH_MAX + 64];
  slurm_cmd_path(r, opts->argv[0], file, sizeof file);
  uv_stdio_container_t stdio[3];
  stdio[0].flags = opts->input ? UV_CREATE_PIPE | UV_READABLE_PIPE : UV_IGNORE;
  stdio[0].data.stream = (uv_stream_t *)&cmd->in;
  stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[1].data.stream = (uv_stream_t *)&cmd->out;
  stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[2].data.stream = (uv_stream_t *)&cmd->err;
  uv_process_options_t po = {
      .exit_cb = on_exit_cb,
      .file = file,
      .args = (char **)opts->argv,
      .env = env,
      .stdio_count = 3,
      .stdio = stdio,
  };
  /* Spawned or not, the handle is initialised and must be closed. */
  int rc = uv_spawn(loop, &cmd->proc, &po);
  init_handle(cmd, (uv_handle_t *)&cmd->proc);
  cmd->result.pid = rc == 0 ? cmd->proc.pid : 0;
  return rc;
}

slurm_cmd *slurm_cmd_start(slurm_runner *r, const slurm_cmd_opts *opts) {
  slurm_cmd *cmd = calloc(1, sizeof *cmd);
  if (cmd == NULL)
    return NULL;
  uv_loop_t *loop = r->host->loop;
  cmd->host = r->host;
  cmd->done = opts->done;
  cmd->on_line = opts->on_line;
  cmd->arg = opts->arg;
  cmd->result.exit_status = -1;
  uv_pipe_init(loop, &cmd->in, 0);
  init_handle(cmd, (uv_handle_t *)&cmd->in);
  uv_pipe_init(loop, &cmd->out, 0);
  init_handle(cmd, (uv_handle_t *)&cmd->out);
  uv_pipe_init(loop, &cmd->err, 0);
  init_handle(cmd, (uv_handle_t *)&cmd->err);
  uv_timer_init(loop, &cmd->timer);
  init_handle(cmd, (uv_handle_t *)&cmd->timer);
  uv_timer_init(loop, &cmd->pace);
  init_handle(cmd, (uv_handle_t *)&cmd->pace);
  char **env = opts->env ? opts->env
                         : slurm_program_env(r, NULL, NULL, NULL, NULL, NULL);
  int rc = spawn(r, cmd, opts, env);
  if (opts->env == NULL)
    slurm_strv_free(env);
  if (rc != 0) {
    cmd->result.spawn_error = rc;
    close_handle(cmd, (uv_handle_t *)&cmd->proc);
    close_handle(cmd, (uv_handle_t *)&cmd->in);
    close_handle(cmd, (uv_handle_t *)&cmd->out);
    close_handle(cmd, (uv_handle_t *)&cmd->err);
    close_handle(cmd, (uv_handle_t *)&cmd->timer);
    close_handle(cmd, (uv_handle_t *)&cmd->pace);
    return NULL;
  }
  uv_read_start((uv_stream_t *)&cmd->out, alloc_buffer, on_read);
  uv_read_start((uv_stream_t *)&cmd->err, alloc_buffer, on_read);
  if (opts->input != NULL) {
    cmd->input = strdup(opts->input);
    uv_buf_t buf = uv_buf_init(cmd->input, cmd->input ? strlen(cmd->input) : 0);
    cmd->write.data = cmd;
    if (uv_write(&cmd->write, (uv_stream_t *)&cmd->in, &buf, 1, on_written) !=
        0)
      close_handle(cmd, (uv_handle_t *)&cmd->in);
  } else {
    close_handle(cmd, (uv_handle_t *)&cmd->in);
  }
  if (opts->timeout_ms > 0)
    uv_timer_start(&cmd->timer, on_deadline, opts->timeout_ms, 0);
  return cmd;
}

void slurm_cmd_signal(slurm_cmd *cmd, int signum) {
  if (cmd != NULL && !uv_is_closing((uv_handle_t *)&cmd->proc))
    uv_process_kill(&cmd->proc, signum);
}

const char *slurm_cmd_why(const slurm_cmd_result *res, char *out, size_t size) {
  if (res->spawn_error) {
    snprintf(out, size, "cannot run it: %s", uv_strerror(res->spawn_error));
    return out;
  }
  if (res->timed_out) {
    snprintf(out, size, "no answer in time");
    return out;
  }
  /* The last line it wrote, without the "sbatch: error: " before it. */
  const char *text = res->err != NULL ? res->err : "";
  size_t len = strlen(text);
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
    len--;
  size_t start = len;
  while (start > 0 && text[start - 1] != '\n')
    start--;
  const char *line = text + start;
  const char *tag = strstr(line, ": error: ");
  if (tag != NULL && tag < text + len && (size_t)(tag - line) < 24)
    line = tag + 9;
  if (line >= text + len)
    snprintf(out, size, "exit status %lld", (long long)res->exit_status);
  else
    snprintf(out, size, "%.*s", (int)(text + len - line), line);
  return out;
}
