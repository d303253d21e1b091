/* spawner.c - a script runner as a plugin author writes one on libuv alone:
 * {"runner": ..., "script": "run.sh", "args": [...]} runs /bin/sh with the
 * package's script, in a session of its own (its process group is its
 * job), and forwards its output line by line. It is the conformance
 * suite's own subject for runners outside fern's tree, and, built with one
 * SPAWNER_FLAW_* defined (tests/plugins/broken_*.c), each of the mistakes
 * such a runner makes, which the suite must catch:
 *   SPAWNER_FLAW_DROP_LAST_LINE   a last line without newline is lost
 *   SPAWNER_FLAW_NO_DRAIN         the exit is reported before the pipes
 *                                 are read to their end
 *   SPAWNER_FLAW_VALIDATE_ANYTHING validate accepts any program block
 *                                 (its start still refuses a bad one)
 *   SPAWNER_FLAW_BLOCKS           each start blocks the loop 200 ms
 *   SPAWNER_FLAW_PID0             started is reported with pid 0
 *   SPAWNER_FLAW_TERM_MAIN_ONLY   SIGTERM goes to the main process only
 *   SPAWNER_FLAW_EARLY_STOP_FAILS a stop before started says
 *                                 cannot_start
 * A process group cannot hold what calls setsid(): the conformance case
 * that nothing is left behind is left out for it, saying so. */
#include <fern/runner.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SPAWNER_NAME
#define SPAWNER_NAME "spawner"
#endif

#define LINE_MAX_BYTES 4096

typedef struct spawner_s {
  const fern_host_t *host;
} spawner;

typedef struct stream_s {
  uv_pipe_t pipe;
  struct run_s *run;
  int number; /* 1 or 2 */
  int open;
  size_t len;
  char line[LINE_MAX_BYTES];
} stream;

typedef struct run_s {
  const fern_host_t *host;
  fern_instance_t *instance;
  char *moniker;
  char *package_dir;
  char *script;
  char **argv;
  char path[PATH_MAX];
  int check_rc;
  uv_work_t check;
  uv_process_t process;
  uv_timer_t pace; /* looks for room in fern's log while reading waits */
  int paused, pace_open;
  stream out, err;
  int spawned, exited, cancelled, term_sent, reported, handles;
  fern_stop_report_t report;
} run_t;

static const char *const program_keys[] = {"runner", "script", "args", NULL};

static int check_program(const json_t *program, fern_error_t *err) {
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)program, key, value) {
    size_t k = 0;
    while (program_keys[k] != NULL && strcmp(program_keys[k], key) != 0)
      k++;
    char at[160];
    snprintf(at, sizeof at, "/%.100s", key);
    if (program_keys[k] == NULL)
      return fern_error_set(err, FERN_EINVAL, at,
                            "unknown program key \"%s\" (the %s runner "
                            "takes script and args)",
                            key, SPAWNER_NAME);
  }
  if (!json_is_string(json_object_get(program, "script")))
    return fern_error_set(err, FERN_EINVAL, "/script",
                          "\"script\" must name the package's script");
  json_t *args = json_object_get(program, "args");
  for (size_t i = 0; i < json_array_size(args); i++)
    if (!json_is_string(json_array_get(args, i)))
      return fern_error_set(err, FERN_EINVAL, "/args",
                            "\"args\" must hold strings");
  if (args != NULL && !json_is_array(args))
    return fern_error_set(err, FERN_EINVAL, "/args",
                          "\"args\" must be an array");
  return FERN_OK;
}

static int spawner_validate(const json_t *config, const json_t *program,
                            fern_error_t *err) {
  (void)config;
#ifdef SPAWNER_FLAW_VALIDATE_ANYTHING
  (void)program, (void)err;
  return FERN_OK;
#else
  return check_program(program, err);
#endif
}

static int spawner_create(const fern_host_t *host, const json_t *config,
                          void **out, fern_error_t *err) {
  (void)config;
  spawner *r = calloc(1, sizeof *r);
  if (r == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  r->host = host;
  *out = r;
  return FERN_OK;
}

static void spawner_release(void *r) { free(r); }

static void run_free(run_t *run) {
  for (size_t i = 0; run->argv != NULL && run->argv[i] != NULL; i++)
    free(run->argv[i]);
  free(run->argv);
  free(run->script);
  free(run->package_dir);
  free(run->moniker);
  free(run);
}

/* The last thing a run does. */
static void report(run_t *run) {
  if (run->reported)
    return;
  run->reported = 1;
  run->host->stopped(run->host->ctx, run->instance, &run->report);
}

static void run_handle_closed(run_t *run) {
  if (--run->handles == 0)
    report(run);
}

static void process_closed(uv_handle_t *handle) {
  run_handle_closed(handle->data);
}

static void pipe_closed(uv_handle_t *handle) {
  run_handle_closed(((stream *)handle->data)->run);
}

static void pace_closed(uv_handle_t *handle) { run_handle_closed(handle->data); }

static void forward(stream *s, const char *line, size_t len) {
  s->run->host->output(s->run->host->ctx, s->run->moniker, s->number, line,
                       len);
}

static void stream_read(uv_stream_t *pipe, ssize_t n, const uv_buf_t *buf);

static void stream_alloc(uv_handle_t *handle, size_t size, uv_buf_t *buf) {
  (void)handle;
  buf->base = malloc(size);
  buf->len = buf->base ? size : 0;
}

static void stream_end(stream *s) {
  run_t *run = s->run;
#ifndef SPAWNER_FLAW_DROP_LAST_LINE
  if (s->len > 0)
    forward(s, s->line, s->len);
#endif
  s->len = 0;
  if (s->open) {
    s->open = 0;
    uv_close((uv_handle_t *)&s->pipe, pipe_closed);
  }
  if (!run->out.open && !run->err.open && run->pace_open) {
    run->pace_open = 0;
    uv_close((uv_handle_t *)&run->pace, pace_closed);
  }
}

static void reading(run_t *run, int on) {
  stream *streams[2] = {&run->out, &run->err};
  for (int k = 0; k < 2; k++) {
    if (!streams[k]->open)
      continue;
    if (on)
      uv_read_start((uv_stream_t *)&streams[k]->pipe, stream_alloc,
                    stream_read);
    else
      uv_read_stop((uv_stream_t *)&streams[k]->pipe);
  }
}

/* fern's log is bounded: while it has little room the output waits in
 * the pipe (and the program, once the pipe is full), none of it lost. */
static void pace_check(uv_timer_t *timer) {
  run_t *run = timer->data;
  if (run->host->output_room(run->host->ctx) < FERN_OUTPUT_ROOM_HIGH)
    return;
  uv_timer_stop(timer);
  run->paused = 0;
  reading(run, 1);
}

static void pace(run_t *run) {
  if (run->paused ||
      run->host->output_room(run->host->ctx) >= FERN_OUTPUT_ROOM_LOW)
    return;
  run->paused = 1;
  reading(run, 0);
  uv_timer_start(&run->pace, pace_check, 20, 20);
}

static void stream_read(uv_stream_t *pipe, ssize_t n, const uv_buf_t *buf) {
  stream *s = pipe->data;
  for (ssize_t i = 0; i < n; i++) {
    char c = buf->base[i];
    if (c == '\n' || s->len == sizeof s->line) {
      forward(s, s->line, s->len);
      s->len = 0;
    }
    if (c != '\n')
      s->line[s->len++] = c;
  }
  free(buf->base);
  if (n < 0)
    stream_end(s);
  else
    pace(s->run);
}

static void on_exit_cb(uv_process_t *process, int64_t status, int signal) {
  run_t *run = process->data;
  run->exited = 1;
  int asked = run->term_sent && signal == SIGTERM;
  run->report.status = (status == 0 && signal == 0) || asked
                           ? FERN_STOP_OK
                           : FERN_STOP_INSTANCE_DIED;
  run->report.exit_code = signal == 0 ? (int)status : -1;
  run->report.term_signal = signal;
  /* Nothing of the job outlives its main process. */
  kill(-process->pid, SIGKILL);
#ifdef SPAWNER_FLAW_NO_DRAIN
  stream_end(&run->out);
  stream_end(&run->err);
#endif
  uv_close((uv_handle_t *)process, process_closed);
}

static void stream_open(run_t *run, stream *s, int number) {
  s->run = run;
  s->number = number;
  s->open = 1;
  uv_pipe_init(run->host->loop, &s->pipe, 0);
  s->pipe.data = s;
  run->handles++;
}

static int spawn_script(run_t *run, fern_error_t *err) {
  stream_open(run, &run->out, 1);
  stream_open(run, &run->err, 2);
  uv_stdio_container_t stdio[3] = {
      {UV_IGNORE, {0}},
      {UV_CREATE_PIPE | UV_WRITABLE_PIPE, {.stream = (uv_stream_t *)&run->out.pipe}},
      {UV_CREATE_PIPE | UV_WRITABLE_PIPE, {.stream = (uv_stream_t *)&run->err.pipe}}};
  uv_process_options_t options = {.exit_cb = on_exit_cb,
                                  .file = "/bin/sh",
                                  .args = run->argv,
                                  .cwd = run->package_dir,
                                  .flags = UV_PROCESS_DETACHED,
                                  .stdio_count = 3,
                                  .stdio = stdio};
  run->process.data = run;
  int rc = uv_spawn(run->host->loop, &run->process, &options);
  if (rc != 0) {
    /* libuv holds the handle even when the spawn failed: it is closed,
     * and the report waits for its close as for the pipes'. */
    run->handles++;
    uv_close((uv_handle_t *)&run->process, process_closed);
    stream_end(&run->out);
    stream_end(&run->err);
    return fern_error_set(err, FERN_ESPAWN, NULL, "uv_spawn: %s",
                          uv_strerror(rc));
  }
  run->spawned = 1;
  run->handles++;
  uv_timer_init(run->host->loop, &run->pace);
  run->pace.data = run;
  run->pace_open = 1;
  run->handles++;
  reading(run, 1);
  return FERN_OK;
}

/* The script is looked at off the loop: there is a start window, as in
 * any runner that checks what it runs. */
static void check_script(uv_work_t *work) {
  run_t *run = work->data;
  fern_error_t err = FERN_ERROR_INIT;
  run->check_rc = run->host->package_path(run->host->ctx, run->package_dir,
                                          run->script, run->path,
                                          sizeof run->path, &err);
  if (run->check_rc == FERN_OK && access(run->path, R_OK) != 0)
    run->check_rc = FERN_ENOENT;
}

/* The run ends with no program: reported at once, or by the last close
 * of what a failed spawn left open. */
static void end_unstarted(run_t *run, fern_stop_status status,
                          const char *message) {
  run->report.status = status;
  run->report.message = message;
  if (run->handles == 0)
    report(run);
}

static void checked(uv_work_t *work, int status) {
  run_t *run = work->data;
  if (run->cancelled || status == UV_ECANCELED) {
#ifdef SPAWNER_FLAW_EARLY_STOP_FAILS
    end_unstarted(run, FERN_STOP_CANNOT_START, "stopped while starting");
#else
    end_unstarted(run, FERN_STOP_NOT_STARTED, "stopped before it ran");
#endif
    return;
  }
  if (run->check_rc != FERN_OK) {
    end_unstarted(run, FERN_STOP_CANNOT_START, "no such script in the package");
    return;
  }
  free(run->argv[1]);
  run->argv[1] = strdup(run->path);
  fern_error_t err = FERN_ERROR_INIT;
  if (run->argv[1] == NULL || spawn_script(run, &err) != FERN_OK) {
    end_unstarted(run, FERN_STOP_CANNOT_START, "the script did not spawn");
    return;
  }
#ifdef SPAWNER_FLAW_PID0
  run->host->started(run->host->ctx, run->instance, 0);
#else
  run->host->started(run->host->ctx, run->instance, (long)run->process.pid);
#endif
}

static char **script_argv(const json_t *program, const char *script) {
  const json_t *args = json_object_get(program, "args");
  size_t n = json_array_size(args);
  char **argv = calloc(n + 3, sizeof *argv);
  if (argv == NULL)
    return NULL;
  argv[0] = strdup("sh");
  argv[1] = strdup(script);
  for (size_t i = 0; i < n; i++)
    argv[i + 2] = strdup(json_string_value(json_array_get(args, i)));
  return argv;
}

static int spawner_start(void *runner, const fern_start_info_t *info,
                         void **controller, fern_error_t *err) {
  spawner *r = runner;
  if (info->use_count > 0)
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "the %s runner cannot give a component \"%s\"",
                          SPAWNER_NAME, info->uses[0].name);
#ifdef SPAWNER_FLAW_BLOCKS
  usleep(200 * 1000); /* "only a moment": a blocking call on the loop */
#endif
#ifdef SPAWNER_FLAW_VALIDATE_ANYTHING
  int bad = check_program(info->program, err); /* too late for fern check */
  if (bad != FERN_OK)
    return bad;
#endif
  if (info->package_dir == NULL)
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "the %s runner runs scripts of local packages",
                          SPAWNER_NAME);
  const char *script = json_string_value(json_object_get(info->program,
                                                         "script"));
  if (script == NULL)
    return fern_error_set(err, FERN_EINVAL, "/script", "no script");
  run_t *run = calloc(1, sizeof *run);
  if (run == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  run->host = r->host;
  run->instance = info->instance;
  run->moniker = strdup(info->moniker);
  run->package_dir = strdup(info->package_dir);
  run->script = strdup(script);
  run->argv = script_argv(info->program, script);
  run->report.struct_size = sizeof run->report;
  run->report.exit_code = -1;
  if (run->moniker == NULL || run->package_dir == NULL ||
      run->script == NULL || run->argv == NULL) {
    run_free(run);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  run->check.data = run;
  uv_queue_work(r->host->loop, &run->check, check_script, checked);
  *controller = run;
  return FERN_OK;
}

static void signal_job(run_t *run, int sig) {
#ifdef SPAWNER_FLAW_TERM_MAIN_ONLY
  if (sig == SIGTERM) {
    kill(run->process.pid, sig);
    return;
  }
#endif
  kill(-run->process.pid, sig); /* its session's process group */
}

static void spawner_stop(void *controller) {
  run_t *run = controller;
  if (!run->spawned) {
    run->cancelled = 1;
    uv_cancel((uv_req_t *)&run->check);
    return;
  }
  if (!run->exited) {
    run->term_sent = 1;
    signal_job(run, SIGTERM);
  }
}

static void spawner_kill(void *controller) {
  run_t *run = controller;
  if (!run->spawned) {
    run->cancelled = 1;
    uv_cancel((uv_req_t *)&run->check);
    return;
  }
  if (!run->exited)
    signal_job(run, SIGKILL);
}

static void spawner_controller_release(void *controller) {
  run_free(controller);
}

FERN_RUNNER_PLUGIN(.name = SPAWNER_NAME,
                   .description = "shell scripts on uv_spawn (a test subject)",
                   .capabilities = FERN_RUNNER_CAP_GRACEFUL_STOP,
                   .validate = spawner_validate, .create = spawner_create,
                   .release = spawner_release, .start = spawner_start,
                   .stop = spawner_stop, .kill = spawner_kill,
                   .controller_release = spawner_controller_release);
