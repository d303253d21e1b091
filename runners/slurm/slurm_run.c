/* slurm_run.c - one component as one Slurm job: submitted, followed,
 * signalled, and reported once when it is over.
 *
 * Batch: sbatch reads a script on stdin and prints the job id; the
 * runner's poll (slurm_poll.c) follows the job; when it ends, scontrol
 * gives its exit code and the output files are read to the end.
 * Interactive: srun runs as our child and streams the output; the poll
 * learns the job id from the job's unique name; when srun ends, scontrol
 * gives the end state (srun's own status when the controller is away).
 *
 * A run is reported exactly once, after every command it started has
 * ended, so the host may free it inside `stopped`. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slurm.h"
#include "../common/runner_common.h"

static void query_final(slurm_run *run);
static void from_srun_status(slurm_run *run);
static void slurm_run_finish(slurm_run *run);

uint64_t slurm_now_ms(const slurm_runner *r) { return uv_now(r->host->loop); }

static void unlink_run(slurm_run *run) {
  for (slurm_run **p = &run->runner->runs; *p != NULL; p = &(*p)->next)
    if (*p == run) {
      *p = run->next;
      return;
    }
}

/* Over without a job end state to read: `status` and why. */
void slurm_run_end(slurm_run *run, fern_stop_status status, const char *fmt,
                   ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(run->failure, sizeof run->failure, fmt, ap);
  va_end(ap);
  run->failure_status = status;
  run->phase = SLURM_ENDING;
  run->final_known = 1;
  slurm_run_maybe_report(run);
}

/* What the job is doing, when it changes: the component's status, which
 * `fern show` prints and the log and events carry. */
static void tell_status(slurm_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void tell_status(slurm_run *run, const char *fmt, ...) {
  const fern_host_t *host = run->runner->host;
  char text[sizeof run->status_said];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (strcmp(text, run->status_said) == 0)
    return;
  memcpy(run->status_said, text, sizeof text);
  host->status(host->ctx, run->instance, text);
}

static void report_started(slurm_run *run) {
  if (run->phase_ran)
    return;
  run->phase_ran = 1;
  run->phase = SLURM_RUNNING;
  tell_status(run, "slurm job %ld runs on %s", run->job_id,
              run->last.nodes[0] ? run->last.nodes : "its nodes");
  run->runner->host->started(run->runner->host->ctx, run->instance, 0);
}

static void report(slurm_run *run) {
  fern_stop_report_t report;
  char message[768];
  if (run->failure[0] != '\0') {
    memset(&report, 0, sizeof report);
    report.struct_size = sizeof report;
    /* Stopped before a job ever was: not_started says so; a failure
     * after a stop was asked is the stop's. */
    report.status = run->failure_status == FERN_STOP_NOT_STARTED ||
                            !(run->stop_asked || run->kill_asked)
                        ? run->failure_status
                        : FERN_STOP_OK;
    report.exit_code = -1;
    report.message = run->failure;
  } else {
    slurm_state_report(&run->last, run->stop_asked || run->kill_asked,
                       run->phase_ran, &report, message, sizeof message);
  }
  /* A job quicker than the poll ran all the same, and so did one a stop
   * cancelled after Slurm had placed it on its nodes: say so first, so
   * that a run ends not_started only if it never ran. */
  if (run->failure[0] == '\0' && (report.status == FERN_STOP_OK ||
                                  report.status == FERN_STOP_INSTANCE_DIED))
    report_started(run);
  slurm_cost_report(run, &report);
  run->phase = SLURM_DONE;
  unlink_run(run);
  slurm_runner *r = run->runner;
  r->host->stopped(r->host->ctx, run->instance, &report); /* frees the run: last */
  slurm_runner_maybe_free(r);
}

void slurm_run_maybe_report(slurm_run *run) {
  if (run->phase == SLURM_ENDING && run->final_known && run->commands == 0 &&
      !run->tailing && !run->tail_more && run->srun == NULL &&
      !slurm_cost_pending(run))
    report(run);
}

/* ---- following ---- */

/* An srun that ended before its job did: read the end once it is one. */
static void await_final(slurm_run *run, const slurm_job_state *job) {
  if (!run->awaiting_final || run->commands > 0)
    return;
  int over = job == NULL || slurm_state_is_final(job->state);
  if (!over && slurm_now_ms(run->runner) < run->final_deadline_ms)
    return;
  run->awaiting_final = 0;
  if (job != NULL && over)
    query_final(run);
  else
    from_srun_status(run);
}

void slurm_run_observed(slurm_run *run, const slurm_job_state *job) {
  if (run->phase >= SLURM_ENDING) {
    if (run->phase == SLURM_ENDING)
      await_final(run, job); /* may report, and free the run */
    return;
  }
  if (job == NULL) {
    /* Batch jobs are in squeue from sbatch's answer on; one that went
     * missing was purged or lost with the controller's state. */
    if (!run->spec.interactive && run->job_id != 0 && ++run->missing_polls >= 3)
      slurm_run_end(
          run, FERN_STOP_INSTANCE_DIED,
          "slurm job %ld is no longer known to Slurm (purged, or lost "
          "with the controller's state)",
          run->job_id);
    return;
  }
  run->missing_polls = 0;
  run->last_seen_ms = slurm_now_ms(run->runner);
  int learned = run->job_id == 0;
  run->job_id = job->job_id;
  run->last = *job;
  int final = slurm_state_is_final(job->state);
  if (strcmp(job->state, "RUNNING") == 0 ||
      strcmp(job->state, "COMPLETING") == 0 ||
      (final && strcmp(job->state, "COMPLETED") == 0) ||
      (final && strcmp(job->state, "FAILED") == 0))
    report_started(run);
  else if (run->phase == SLURM_SUBMITTING)
    run->phase = SLURM_QUEUED;
  int reason = job->reason[0] != '\0' && strcmp(job->reason, "None") != 0;
  if (strcmp(job->state, "PENDING") == 0)
    tell_status(run, "slurm job %ld pending%s%s%s", run->job_id,
                reason ? " (" : "", reason ? job->reason : "",
                reason ? ")" : "");
  int wanted = run->kill_asked ? 2 : run->stop_asked ? 1 : 0;
  if (wanted &&
      (learned || (run->phase == SLURM_RUNNING && run->signal_sent < wanted)))
    slurm_signal_deliver(
        run); /* asked before the id was known, or while pending */
  if (final && !run->spec.interactive)
    slurm_run_finish(run);
}

void slurm_run_unreachable(slurm_run *run, uint64_t silent_ms) {
  if (run->awaiting_final &&
      slurm_now_ms(run->runner) >= run->final_deadline_ms) {
    run->awaiting_final = 0;
    from_srun_status(run);
    return;
  }
  if (run->spec.interactive || run->job_id == 0 || run->phase >= SLURM_ENDING)
    return;
  if (silent_ms < run->runner->controller_timeout_ms)
    return;
  slurm_run_end(
      run, run->phase_ran ? FERN_STOP_INSTANCE_DIED : FERN_STOP_CANNOT_START,
      "the Slurm controller has not answered for %llu s; slurm job %ld "
      "(last seen %s) is left to Slurm: see it with squeue, cancel it "
      "with scancel %ld",
      (unsigned long long)(silent_ms / 1000), run->job_id,
      run->last.state[0] ? run->last.state : "PENDING", run->job_id);
}

/* ---- the end ---- */

/* After a read of the output files: the last read once it is over. */
static void tailed(slurm_run *run) {
  if (run->phase == SLURM_ENDING && !run->tail_final_done) {
    run->tail_final_done = 1;
    slurm_tail_poll(run, 1, tailed);
    return;
  }
  slurm_run_maybe_report(run);
}

/* Each poll: what the files gained while the job runs; once it ended,
 * the rest of a last read that stopped for fern's log. */
void slurm_run_follow_output(slurm_run *run) {
  if (run->spec.interactive || run->tailing)
    return;
  if (run->phase == SLURM_RUNNING)
    slurm_tail_poll(run, 0, tailed);
  else if (run->phase == SLURM_ENDING && run->tail_final_done &&
           run->tail_more)
    slurm_tail_poll(run, 1, tailed);
}

/* From srun's own status, when scontrol cannot say. */
static void from_srun_status(slurm_run *run) {
  if (!run->phase_ran && run->srun_status != 0 && !run->stop_asked &&
      !run->kill_asked) {
    slurm_run_end(run, FERN_STOP_CANNOT_START, "srun failed: %s",
                  run->srun_error[0] ? run->srun_error
                                     : "no job was allocated");
    return;
  }
  slurm_job_state *j = &run->last;
  j->job_id = run->job_id;
  snprintf(j->state, sizeof j->state, "%s",
           run->srun_status == 0 && run->srun_signal == 0 ? "COMPLETED"
                                                          : "FAILED");
  j->exit_code = (int)run->srun_status;
  j->exit_signal = run->srun_signal;
  run->final_known = 1;
  slurm_run_maybe_report(run);
}

static void queried(void *arg, const slurm_cmd_result *res) {
  slurm_run *run = arg;
  run->commands--;
  slurm_job_state job;
  int parsed = res->exit_status == 0 && !res->timed_out &&
               slurm_state_parse_scontrol(res->out, &job) == 0;
  if (parsed && slurm_state_is_final(job.state)) {
    run->last = job;
    run->final_known = 1;
    slurm_run_maybe_report(run);
  } else if (parsed && slurm_now_ms(run->runner) < run->final_deadline_ms) {
    /* srun is back before Slurm has written the job's end (COMPLETING):
     * the poll asks again when squeue shows it over. */
    run->last = job;
    run->awaiting_final = 1;
  } else if (run->spec.interactive) {
    from_srun_status(run);
  } else {
    /* squeue saw it end; keep what it said, without the exit code. */
    run->final_known = 1;
    slurm_run_maybe_report(run);
  }
}

static void named(void *arg, const slurm_cmd_result *res) {
  slurm_run *run = arg;
  run->commands--;
  slurm_job_state job;
  if (res->exit_status == 0 && !res->timed_out &&
      slurm_state_find_squeue(res->out, run->name, &job) == 0 &&
      job.job_id > 0) {
    run->job_id = job.job_id;
    run->last = job;
    query_final(run);
  } else {
    from_srun_status(run);
  }
}

/* An srun quicker than the poll: its job id, from its unique name. */
static void find_by_name(slurm_run *run) {
  const char *argv[] = {"squeue", "-h",      "-t", "all",
                        "-n",     run->name, "-o", SLURM_SQUEUE_FORMAT,
                        NULL};
  slurm_cmd_opts o = {.argv = argv,
                      .timeout_ms = run->runner->command_timeout_ms,
                      .done = named,
                      .arg = run};
  run->commands++;
  slurm_cmd_start(run->runner, &o);
}

static void query_final(slurm_run *run) {
  if (run->job_id == 0) {
    if (strstr(run->srun_error, "Unable to allocate") != NULL)
      from_srun_status(run); /* srun said why it got no job */
    else
      find_by_name(run);
    return;
  }
  char id[32];
  snprintf(id, sizeof id, "%ld", run->job_id);
  const char *argv[] = {"scontrol", "-o", "show", "job", id, NULL};
  slurm_cmd_opts o = {.argv = argv,
                      .timeout_ms = run->runner->command_timeout_ms,
                      .done = queried,
                      .arg = run};
  run->commands++;
  slurm_cmd_start(run->runner, &o);
}

/* Begins the end: final state, last output, report. */
static void slurm_run_finish(slurm_run *run) {
  if (run->phase >= SLURM_ENDING)
    return;
  run->phase = SLURM_ENDING;
  query_final(run);
  if (!run->spec.interactive && !run->tailing) {
    run->tail_final_done = 1;
    slurm_tail_poll(run, 1, tailed);
  } /* else the read under way starts the last one */
}

/* ---- starting ---- */

static void srun_line(void *arg, int stream, const char *line, size_t len) {
  slurm_run *run = arg;
  static const char prefix[] = "srun: error: ";
  if (stream == 2 && len > sizeof prefix - 1 &&
      memcmp(line, prefix, sizeof prefix - 1) == 0)
    snprintf(run->srun_error, sizeof run->srun_error, "%.*s",
             (int)(len - (sizeof prefix - 1)), line + sizeof prefix - 1);
  run->runner->host->output(run->runner->host->ctx, run->moniker, stream, line, len);
}

static void srun_ended(void *arg, const slurm_cmd_result *res) {
  slurm_run *run = arg;
  run->commands--;
  run->srun = NULL;
  run->srun_status = res->exit_status;
  run->srun_signal = res->term_signal;
  if (res->spawn_error) {
    char why[400];
    slurm_run_end(run, FERN_STOP_CANNOT_START, "srun failed: %s",
                  slurm_cmd_why(res, why, sizeof why));
    return;
  }
  if (run->phase < SLURM_ENDING) {
    run->phase = SLURM_ENDING;
    run->final_deadline_ms =
        slurm_now_ms(run->runner) + run->runner->command_timeout_ms;
    query_final(run); /* may report, and free the run: nothing after */
    return;
  }
  slurm_run_maybe_report(run);
}

static void submitted(void *arg, const slurm_cmd_result *res) {
  slurm_run *run = arg;
  slurm_runner *r = run->runner;
  run->commands--;
  char why[400];
  long id =
      res->exit_status == 0 && !res->timed_out ? strtol(res->out, NULL, 10) : 0;
  if (res->timed_out)
    slurm_run_end(
        run, FERN_STOP_CANNOT_START,
        "sbatch did not answer within %llu ms: is the Slurm controller "
        "up?",
        (unsigned long long)r->command_timeout_ms);
  else if (id <= 0)
    slurm_run_end(run, FERN_STOP_CANNOT_START, "sbatch failed: %s",
                  slurm_cmd_why(res, why, sizeof why));
  if (id <= 0)
    return;
  run->job_id = id;
  run->last.job_id = id;
  run->phase = SLURM_QUEUED;
  run->last_seen_ms = slurm_now_ms(r);
  r->host->log(r->host->ctx, FERN_LOG_INFO, run->moniker, "submitted as slurm job %ld", id);
  if (run->stop_asked || run->kill_asked)
    slurm_signal_deliver(run);
  slurm_run_maybe_report(run);
}

/* "fern-PID-START-SEQ@HOST:LEAF": unique, traceable to this fern (see
 * slurm_sweep.c), and recognisable in squeue by the moniker's last part. */
static void name_job(slurm_run *run, const char *moniker) {
  slurm_runner *r = run->runner;
  const char *last = strrchr(moniker, '/');
  snprintf(run->name, sizeof run->name, "%s-%lu@%s%s%.60s", r->name_prefix,
           ++r->seq, r->hostname, last && last[1] ? ":" : "",
           last && last[1] ? last + 1 : "");
}

static void submit(slurm_run *run) {
  slurm_runner *r = run->runner;
  snprintf(run->out.path, sizeof run->out.path, "%s/%s.out", r->output_dir,
           run->name);
  snprintf(run->err.path, sizeof run->err.path, "%s/%s.err", r->output_dir,
           run->name);
  char **argv = slurm_program_argv(r, &run->spec, run->name, run->package_dir,
                                   run->out.path, run->err.path);
  char **env = slurm_program_env(r, &run->spec, run->moniker, run->url,
                                 run->namespace_dir, run->config_path);
  char *script =
      run->spec.interactive ? NULL : slurm_program_script(r, &run->spec);
  slurm_cmd_opts o = {.argv = (const char *const *)argv,
                      .env = env,
                      .input = script,
                      .arg = run};
  if (run->spec.interactive) {
    o.on_line = srun_line;
    o.done = srun_ended;
  } else {
    o.timeout_ms = r->command_timeout_ms;
    o.done = submitted;
  }
  run->commands++;
  slurm_cmd *cmd = slurm_cmd_start(r, &o);
  if (run->spec.interactive)
    run->srun = cmd;
  slurm_poll_wake(r);
  free(script);
  slurm_strv_free(env);
  slurm_strv_free(argv);
}

/* On the thread pool: the binary found in the package, and the batch
 * output directory made (either may sit on a network file system, so not
 * on the loop). */
static void check_binary(uv_work_t *work) {
  slurm_run *run = work->data;
  fern_error_t err = FERN_ERROR_INIT;
  int rc =
      slurm_program_read(run->runner->host, run->program, run->package_dir,
                         &run->spec, run->binary, sizeof run->binary, &err);
  const char *out_dir = run->runner->output_dir;
  if (rc == FERN_OK && access(run->binary, X_OK) != 0)
    snprintf(err.message, sizeof err.message, "%s is not an executable file",
             run->binary);
  else if (rc == FERN_OK && !run->spec.interactive &&
           mkdir(out_dir, 0700) != 0 && errno != EEXIST)
    snprintf(err.message, sizeof err.message,
             "cannot make the output directory %s: %s", out_dir,
             strerror(errno));
  snprintf(run->failure, sizeof run->failure, "%s",
           rc != FERN_OK || err.message[0] ? err.message : "");
}

static void checked_binary(uv_work_t *work, int status) {
  slurm_run *run = work->data;
  free(work);
  run->commands--;
  if (status != 0 && run->failure[0] == '\0')
    snprintf(run->failure, sizeof run->failure, "%s", uv_strerror(status));
  if (run->failure[0] != '\0') {
    char why[sizeof run->failure];
    snprintf(why, sizeof why, "%s", run->failure);
    slurm_run_end(run, FERN_STOP_CANNOT_START, "%s", why);
  } else if (run->stop_asked || run->kill_asked) {
    /* No job ever was. */
    slurm_run_end(run, FERN_STOP_NOT_STARTED,
                  "stopped before it was submitted");
  } else {
    submit(run);
  }
}

int slurm_run_start(slurm_runner *r, const fern_start_info_t *info,
                    slurm_run **out, fern_error_t *err) {
  /* Its programs run on other machines: only what is on a shared file
   * system can be given to them. */
  if (slurm_shared_check(r, info, err) != FERN_OK)
    return FERN_ENOTSUP;
  if (runner_refuse_serves(info, "slurm", err) != FERN_OK)
    return FERN_ENOTSUP;
  slurm_run *run = calloc(1, sizeof *run);
  uv_work_t *work = malloc(sizeof *work);
  if (run == NULL || work == NULL || info->package_dir == NULL) {
    free(run);
    free(work);
    return info->package_dir == NULL
               ? fern_error_set(err, FERN_EINVAL, NULL,
                                "the slurm runner needs a package on a local "
                                "or shared file system")
               : fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  run->runner = r;
  run->instance = info->instance;
  run->stop_timeout_ms = info->stop_timeout_ms;
  run->moniker = strdup(info->moniker);
  run->url = strdup(info->url);
  run->package_dir = strdup(info->package_dir);
  run->program = json_deep_copy(info->program);
  if (!r->swept) {
    r->swept = 1;
    slurm_sweep_start(r);
  }
  name_job(run, info->moniker);
  if (slurm_shared_namespace(run, info, err) != FERN_OK) {
    slurm_shared_cleanup(run);
    free(work);
    slurm_run_release(run);
    return FERN_EIO;
  }
  run->next = r->runs;
  r->runs = run;
  work->data = run;
  run->commands++;
  if (uv_queue_work(r->host->loop, work, check_binary, checked_binary) != 0) {
    free(work);
    unlink_run(run);
    slurm_run_release(run);
    return fern_error_set(err, FERN_EIO, NULL, "cannot queue the binary check");
  }
  *out = run;
  return FERN_OK;
}

void slurm_run_release(slurm_run *run) {
  slurm_shared_cleanup(run);
  slurm_tail_free(&run->out);
  slurm_tail_free(&run->err);
  json_decref(run->program);
  free(run->package_dir);
  free(run->url);
  free(run->moniker);
  free(run);
}
