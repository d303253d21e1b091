/* slurm_cost.c - what a job cost, asked of the cluster's accounting.
 *
 * A job runs on the cluster's nodes, where fern sees no process: its cost
 * is Slurm's to say. While it runs, `sstat` (the running steps, from the
 * nodes' jobacct_gather) answers `fern show`; the cost call returns the
 * last answer and asks again when it is older than the poll interval, so
 * the loop never waits on a command. Once the job ended, `sacct` gives
 * the run's CPU time (TotalCPU, the steps' rusage) and peak memory
 * (MaxRSS) for the stop report; the report waits for it, asking again
 * each tick of the runner's poll while the controller has not yet written
 * the job's end to the database, until a deadline: `accounting_wait_ms`,
 * and for a run fern stopped three quarters of its stop timeout after
 * the stop (past the timeout the host would kill it and call its end
 * killed_after_timeout). A killed run's end waits for nothing.
 *
 * A cluster without accounting (AccountingStorageType none: sacct says
 * "accounting storage is disabled") is learned from the first answer;
 * from then on the runner declines, saying why, and asks no more. So does
 * `"accounting": false` in the runner's config. */
#include <stdio.h>
#include <string.h>

#include "slurm.h"

/* Whether sacct or sstat said this cluster keeps no accounting. */
static int cluster_has_none(const slurm_runner *r) {
  return r->accounting_why[0] != '\0';
}

static int asks_accounting(const slurm_runner *r) {
  return r->accounting_wanted && !cluster_has_none(r);
}

/* Whether an sstat of the run is wanted or out. */
static int sstat_out(const slurm_run *run) {
  return run->wants[SLURM_ASK_SSTAT] || run->batch[SLURM_ASK_SSTAT] != NULL;
}

static int command_ok(const slurm_cmd_result *res) {
  return !res->spawn_error && !res->timed_out && res->term_signal == 0 &&
         res->exit_status == 0;
}

/* Whether a failure of sacct or sstat says the cluster keeps no
 * accounting: the runner's lasting knowledge, said once. */
static int learn_no_accounting(slurm_runner *r, const char *tool,
                               const slurm_cmd_result *res) {
  if (strstr(res->err, "accounting storage is disabled") == NULL)
    return 0;
  if (cluster_has_none(r))
    return 1; /* said already, for another member of the batch */
  char why[400];
  snprintf(r->accounting_why, sizeof r->accounting_why,
           "this Slurm cluster keeps no accounting (%s said: %s), so "
           "what its jobs cost is not known",
           tool, slurm_cmd_why(res, why, sizeof why));
  r->host->log(r->host->ctx, FERN_LOG_INFO, NULL, "slurm runner: %s",
               r->accounting_why);
  return 1;
}

/* sacct's failure: the cluster's setup, else a warning once per run. */
static void learn_failure(slurm_run *run, const char *tool,
                          const slurm_cmd_result *res) {
  slurm_runner *r = run->runner;
  char why[400];
  slurm_cmd_why(res, why, sizeof why);
  if (learn_no_accounting(r, tool, res))
    return;
  if (!run->cost_warned) {
    run->cost_warned = 1;
    r->host->log(r->host->ctx, FERN_LOG_WARN, run->moniker,
                 "what slurm job %ld cost is not known: %s failed (%s)",
                 run->job_id, tool, why);
  }
}

/* ---- at the end: sacct ---- */

/* No cost in time. Past accounting_wait_ms that is worth a warning; a
 * stopped or killed run's report, which must not wait, is only said. */
static void give_up(slurm_run *run, const char *what) {
  slurm_runner *r = run->runner;
  run->cost_phase = SLURM_COST_DONE;
  if (run->kill_asked)
    r->host->log(r->host->ctx, FERN_LOG_INFO, run->moniker,
                 "what slurm job %ld cost is not known: it was killed, and "
                 "its end does not wait for sacct",
                 run->job_id);
  else if (run->cost_by_stop)
    r->host->log(r->host->ctx, FERN_LOG_INFO, run->moniker,
                 "what slurm job %ld cost is not known: %s before the stop "
                 "timeout would pass",
                 run->job_id, what);
  else
    r->host->log(r->host->ctx, FERN_LOG_WARN, run->moniker,
                 "what slurm job %ld cost is not known: %s within %llu ms "
                 "(accounting_wait_ms)",
                 run->job_id, what, (unsigned long long)r->accounting_wait_ms);
}

/* Until when sacct is asked (see the file comment); `by_stop` is set
 * when it is the stop timeout's bound. The tick keeps deadlines, so the
 * stop's bound leaves a poll interval for it. */
static uint64_t cost_deadline(const slurm_run *run, int *by_stop) {
  const slurm_runner *r = run->runner;
  uint64_t now = slurm_now_ms(r);
  uint64_t deadline = now + r->accounting_wait_ms;
  *by_stop = 0;
  if (run->kill_asked)
    return now;
  if (run->stop_asked) {
    uint64_t room = run->stop_timeout_ms * 3 / 4;
    room -= room < r->poll_interval_ms ? room : r->poll_interval_ms;
    if (run->stop_asked_ms + room < deadline) {
      deadline = run->stop_asked_ms + room;
      *by_stop = 1;
    }
  }
  return deadline;
}

/* Whether sacct has all of the run: the job ended, and so has each of
 * its steps, of which a job that ran (or was placed on nodes: one quicker
 * than the poll) has one at least (".batch", ".0"), with some CPU time:
 * sacct may list a step of an ended job as ended before the step's own
 * end, which carries its rusage, reaches the database (seen with an srun
 * step stopped by SIGTERM: TotalCPU 0 at first). A process that ran has
 * used a millisecond at least. */
static int record_complete(const slurm_run *run, const slurm_usage *u) {
  if (!u->final || u->open_steps > 0)
    return 0;
  if (!run->phase_ran && !slurm_state_placed(&run->last))
    return 1;
  return u->steps > 0 && (u->known & FERN_COST_CPU) && u->cpu_usec > 0;
}

static void sacct_answered(slurm_run *run, const slurm_cmd_result *res,
                           const slurm_usage *u) {
  slurm_runner *r = run->runner;
  uint64_t now = slurm_now_ms(r);
  int ok = command_ok(res);
  if (ok && u->seen && record_complete(run, u)) {
    run->usage = *u; /* seen: known from now on */
    run->cost_phase = SLURM_COST_DONE;
  } else if (!ok && !res->timed_out && res->term_signal == 0) {
    learn_failure(run, "sacct", res);
    run->cost_phase = SLURM_COST_DONE;
  } else if (ok && now + r->poll_interval_ms < run->cost_deadline_ms) {
    /* The controller writes a job's end to slurmdbd after squeue and
     * scontrol show it: the next tick asks again. */
    run->cost_retry = 1;
  } else {
    give_up(run,
            ok ? "sacct had no record of its end" : "sacct did not answer");
  }
  slurm_run_maybe_report(run); /* may free the run */
}

static void sstat_answered(slurm_run *run, const slurm_cmd_result *res,
                           const slurm_usage *u) {
  slurm_runner *r = run->runner;
  run->sstat_answered_ms = slurm_now_ms(r);
  int ok = command_ok(res);
  if (ok && u->seen) {
    run->live = *u; /* seen: known until an answer without it */
    run->live_why[0] = '\0';
  } else if (ok || !learn_no_accounting(r, "sstat", res)) {
    /* No step of it runs yet (or any more), or sstat failed. */
    char why[400];
    if (ok)
      snprintf(run->live_why, sizeof run->live_why,
               "sstat lists no running step of slurm job %ld", run->job_id);
    else
      snprintf(run->live_why, sizeof run->live_why, "sstat: %s",
               slurm_cmd_why(res, why, sizeof why));
    run->live.seen = 0;
  }
  slurm_run_maybe_report(run); /* may free the run */
}

void slurm_cost_answered(slurm_run *run, enum slurm_ask kind,
                         const slurm_cmd_result *res, const slurm_usage *u) {
  if (kind == SLURM_ASK_SACCT) {
    run->cost_asks++;
    sacct_answered(run, res, u);
  } else {
    sstat_answered(run, res, u);
  }
}

uint64_t slurm_cost_batch_timeout(const slurm_runner *r, enum slurm_ask kind,
                                  slurm_run *const *runs, size_t n) {
  if (kind == SLURM_ASK_SSTAT) {
    /* A few polls at most: an answer later than that is stale anyway. */
    uint64_t t = 2 * r->poll_interval_ms + 1000;
    return t < r->command_timeout_ms ? t : r->command_timeout_ms;
  }
  /* A database that does not answer delays an end no longer than a
   * record that is late; a member whose deadline is sooner leaves the
   * batch at its tick. */
  uint64_t now = slurm_now_ms(r), latest = now + 1;
  for (size_t i = 0; i < n; i++)
    if (runs[i]->cost_deadline_ms > latest)
      latest = runs[i]->cost_deadline_ms;
  return latest - now;
}

int slurm_cost_pending(slurm_run *run) {
  if (run->cost_phase == SLURM_COST_DONE)
    return 0;
  if (run->cost_phase == SLURM_COST_ASKING)
    return 1;
  /* Only a job Slurm knows has a record; one never submitted has none,
   * and one lost with the controller is not worth a wait. */
  if (run->job_id == 0 || run->failure[0] != '\0' ||
      !asks_accounting(run->runner)) {
    run->cost_phase = SLURM_COST_DONE;
    return 0;
  }
  run->cost_deadline_ms = cost_deadline(run, &run->cost_by_stop);
  if (slurm_now_ms(run->runner) >= run->cost_deadline_ms) {
    give_up(run, "there was no time to ask sacct");
    return 0;
  }
  run->cost_phase = SLURM_COST_ASKING;
  slurm_batch_want(run, SLURM_ASK_SACCT);
  return 1;
}

void slurm_cost_stop_asked(slurm_run *run) {
  if (run->cost_phase != SLURM_COST_ASKING)
    return;
  int by_stop;
  uint64_t deadline = cost_deadline(run, &by_stop);
  if (deadline < run->cost_deadline_ms) {
    run->cost_deadline_ms = deadline; /* the next tick holds to it */
    run->cost_by_stop = by_stop;
  }
}

int slurm_cost_killed(slurm_run *run) {
  if (run->cost_phase != SLURM_COST_ASKING)
    return 0;
  slurm_batch_leave(run, SLURM_ASK_SACCT);
  give_up(run, "");
  return 1;
}

void slurm_cost_tick(slurm_run *run) {
  uint64_t now = slurm_now_ms(run->runner);
  /* An sstat must not hold the end's report: it is no use any more. */
  if (run->phase >= SLURM_ENDING && sstat_out(run)) {
    slurm_batch_leave(run, SLURM_ASK_SSTAT);
    if (run->cost_phase != SLURM_COST_ASKING) {
      slurm_run_maybe_report(run); /* may free the run */
      return;
    }
  }
  if (run->cost_phase != SLURM_COST_ASKING)
    return;
  if (now >= run->cost_deadline_ms) {
    int out = run->batch[SLURM_ASK_SACCT] != NULL;
    slurm_batch_leave(run, SLURM_ASK_SACCT);
    give_up(run, out                  ? "sacct did not answer"
                 : run->cost_asks > 0 ? "sacct had no record of its end"
                                      : "sacct could not be asked");
    slurm_run_maybe_report(run); /* may free the run */
  } else if (run->cost_retry) {
    run->cost_retry = 0;
    run->wants[SLURM_ASK_SACCT] = 1; /* the tick's batch takes it */
  }
}

void slurm_cost_report(const slurm_run *run, fern_stop_report_t *report) {
  if (!run->usage.seen)
    return;
  report->costs = run->usage.known & (FERN_COST_CPU | FERN_COST_PEAK_MEMORY);
  report->cpu_usec = run->usage.cpu_usec;
  report->peak_memory_bytes = run->usage.peak_memory_bytes;
}

/* ---- while it runs: sstat ---- */

static void fill(fern_cost_t *cost, const slurm_usage *u, const char *source) {
  cost->known = u->known;
  cost->cpu_usec = u->cpu_usec;
  cost->memory_bytes = u->memory_bytes;
  cost->peak_memory_bytes = u->peak_memory_bytes;
  cost->source = source;
}

int slurm_cost_get(slurm_run *run, fern_cost_t *cost, fern_error_t *err) {
  slurm_runner *r = run->runner;
  if (!r->accounting_wanted)
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "a Slurm job runs on the cluster's nodes, and the "
                          "slurm runner's config says \"accounting\": false");
  if (cluster_has_none(r))
    return fern_error_set(err, FERN_ENOTSUP, NULL, "%s", r->accounting_why);
  if (run->usage.seen) { /* over: what sacct said of the whole run */
    fill(cost, &run->usage, "sacct");
    return FERN_OK;
  }
  if (run->phase >= SLURM_ENDING)
    return fern_error_set(err, FERN_ESTATE, NULL,
                          "slurm job %ld has ended; what it cost comes with "
                          "its end, from sacct",
                          run->job_id);
  if (run->phase != SLURM_RUNNING || run->job_id == 0)
    return fern_error_set(err, FERN_ESTATE, NULL,
                          "slurm job %ld does not run yet", run->job_id);
  uint64_t now = slurm_now_ms(r);
  if (!sstat_out(run) &&
      (run->sstat_answered_ms == 0 ||
       now - run->sstat_answered_ms >= r->poll_interval_ms))
    slurm_batch_want(run, SLURM_ASK_SSTAT);
  if (run->live.seen) {
    fill(cost, &run->live, "sstat");
    return FERN_OK;
  }
  if (run->live_why[0] != '\0')
    return fern_error_set(err, FERN_ESTATE, NULL, "%s", run->live_why);
  return fern_error_set(err, FERN_ESTATE, NULL,
                        "asking sstat what slurm job %ld uses; ask again",
                        run->job_id);
}
