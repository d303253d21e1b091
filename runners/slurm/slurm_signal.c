/* slurm_signal.c - stop and kill: the signal a job gets, by how far it
 * has come. A running job's program is signalled (scancel --batch for a
 * batch job's program, the srun step for an interactive one), never
 * cancelled outright: a cancel waits Slurm's KillWait before its SIGKILL.
 * A job still pending is withdrawn from the queue. Without a job id yet,
 * the poll delivers what was asked once it learns the id. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "slurm.h"

/* A controller away is worth a warning (and, for a kill, the end of
 * waiting); a job that was no longer pending, or already ending, is not. */
static void signalled(void *arg, const slurm_cmd_result *res) {
  slurm_run *run = arg;
  run->commands--;
  int unreachable =
      res->timed_out || res->spawn_error ||
      (res->exit_status != 0 && strstr(res->err, "Unable to contact") != NULL);
  if (unreachable) {
    char text[400];
    const char *why = slurm_cmd_why(res, text, sizeof text);
    run->runner->host->log(run->runner->host->ctx, FERN_LOG_WARN, run->moniker,
                           "could not signal slurm job %ld: %s", run->job_id,
                           why);
    if (run->kill_asked && !run->spec.interactive &&
        run->phase < SLURM_ENDING) {
      slurm_run_end(
          run, FERN_STOP_INSTANCE_DIED,
          "could not cancel slurm job %ld (%s); the job is left to Slurm",
          run->job_id, why);
      return; /* reported, and freed, unless a command is still out */
    }
  }
  slurm_run_maybe_report(run);
}

static void scancel(slurm_run *run, const char *how, const char *signal,
                    int step) {
  char id[48], sig[32];
  snprintf(id, sizeof id, step ? "%ld.0" : "%ld", run->job_id);
  snprintf(sig, sizeof sig, "--signal=%s", signal ? signal : "KILL");
  /* Options before the id: scancel ignores any after it. */
  const char *argv[] = {"scancel", NULL, NULL, NULL, NULL};
  size_t n = 1;
  if (signal != NULL)
    argv[n++] = sig;
  if (how != NULL)
    argv[n++] = how;
  argv[n] = id;
  slurm_cmd_opts o = {.argv = argv,
                      .timeout_ms = run->runner->command_timeout_ms,
                      .done = signalled,
                      .arg = run};
  run->commands++;
  slurm_cmd_start(run->runner, &o);
}

/* Sends what stop or kill asks for, as far as the job id and state allow.
 * A pending job is cancelled only while it is pending: one that started
 * meanwhile gets the running job's signal when the poll sees it run
 * (a plain cancel of a running job would wait Slurm's KillWait). */
void slurm_signal_deliver(slurm_run *run) {
  if (run->job_id == 0 || run->phase >= SLURM_ENDING)
    return;
  int kill = run->kill_asked;
  const char *sig = kill ? "KILL" : "TERM";
  int steps = !run->spec.interactive && slurm_program_has_steps(&run->spec);
  if (run->phase != SLURM_RUNNING) {
    scancel(run, "--state=PENDING", NULL, 0);
    return;
  }
  if (run->spec.interactive)
    scancel(run, NULL, sig, 1); /* the srun step */
  else if (!steps)
    scancel(run, "--batch", sig, 0); /* the program is the batch shell */
  else {
    /* The batch shell is an srun, which answers SIGTERM by killing its
     * tasks: the tasks get the signal themselves, and srun ends with
     * them. `--full` is no way either: it makes the signal a cancel,
     * which waits KillWait before its SIGKILL. */
    scancel(run, NULL, sig, 0);
    if (kill)
      scancel(run, "--batch", sig, 0);
  }
  run->signal_sent = kill ? 2 : 1;
}

void slurm_run_stop(slurm_run *run) {
  if (!run->stop_asked)
    run->stop_asked_ms = slurm_now_ms(run->runner);
  run->stop_asked = 1;
  slurm_cost_stop_asked(run);
  slurm_signal_deliver(run); /* without a job id yet, the poll delivers it */
}

void slurm_run_kill(slurm_run *run) {
  run->kill_asked = 1;
  int waited = slurm_cost_killed(run);
  if (run->job_id != 0)
    slurm_signal_deliver(run);
  else if (run->srun != NULL)
    slurm_cmd_signal(run->srun, SIGKILL); /* no job to name: end srun */
  if (waited)
    slurm_run_maybe_report(run); /* may free the run: last */
}
