/* slurm_poll.c - one squeue per interval for all of a runner's jobs, not
 * one command per job: what each job is doing, and whether the controller
 * answers at all. The tick runs only while there are runs. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slurm.h"

static void tick_closed(uv_handle_t *handle) {
  slurm_runner *r = handle->data;
  free(handle);
  r->tick = NULL;
  slurm_runner_maybe_free(r);
}

void slurm_runner_maybe_free(slurm_runner *r) {
  if (!r->released || r->polling || r->sweeping || r->runs != NULL ||
      r->batch[SLURM_ASK_SACCT] != NULL || r->batch[SLURM_ASK_SSTAT] != NULL)
    return;
  if (r->tick != NULL) {
    if (!uv_is_closing((uv_handle_t *)r->tick))
      uv_close((uv_handle_t *)r->tick, tick_closed);
    return;
  }
  free(r);
}

static void tell_runs(slurm_runner *r, const slurm_cmd_result *res, int ok) {
  uint64_t now = slurm_now_ms(r);
  slurm_squeue queue = {0};
  if (ok && slurm_squeue_parse(res->out, &queue) != 0)
    return; /* out of memory: the next poll tries again */
  for (slurm_run *run = r->runs, *next; run != NULL; run = next) {
    next = run->next; /* the run may end, and be freed, in the call */
    if (!ok) {
      uint64_t since = run->last_seen_ms > r->last_answer_ms
                           ? run->last_seen_ms
                           : r->last_answer_ms;
      slurm_run_unreachable(run, now > since ? now - since : 0);
      continue;
    }
    slurm_job_state job;
    int found = slurm_squeue_find(&queue, run->name, &job) == 0;
    slurm_run_observed(run, found ? &job : NULL);
  }
  slurm_squeue_free(&queue);
  /* The output files need no controller: read them either way. */
  for (slurm_run *run = r->runs; run != NULL; run = run->next)
    slurm_run_follow_output(run);
}

static void polled(void *arg, const slurm_cmd_result *res) {
  slurm_runner *r = arg;
  r->polling = 0;
  r->poll = NULL;
  if (r->released) {
    slurm_runner_maybe_free(r);
    return;
  }
  int ok = !res->spawn_error && !res->timed_out && res->exit_status == 0;
  if (ok) {
    if (r->unreachable_logged)
      r->host->log(r->host->ctx, FERN_LOG_INFO, NULL,
                   "slurm runner: the controller answers "
                   "again");
    r->last_answer_ms = slurm_now_ms(r);
    r->unreachable_logged = 0;
  } else if (!r->unreachable_logged) {
    char why[400];
    r->unreachable_logged = 1;
    r->host->log(r->host->ctx, FERN_LOG_WARN, NULL,
                 "slurm runner: squeue failed (%s); batch jobs are followed "
                 "for up to %llu ms more",
                 slurm_cmd_why(res, why, sizeof why),
                 (unsigned long long)r->controller_timeout_ms);
  }
  tell_runs(r, res, ok);
}

static void on_tick(uv_timer_t *timer) {
  slurm_runner *r = timer->data;
  if (r->runs == NULL) {
    uv_timer_stop(timer);
    return;
  }
  /* The costs' deadlines are kept whether or not squeue answers. */
  for (slurm_run *run = r->runs, *next; run != NULL; run = next) {
    next = run->next; /* the run may end, and be freed, in the call */
    slurm_cost_tick(run);
  }
  /* The retries the tick let go, and any batch that could not start. */
  for (int k = 0; k < SLURM_ASKS; k++)
    slurm_batch_start(r, (enum slurm_ask)k);
  if (r->runs == NULL || r->polling)
    return; /* the last one has not answered yet */
  char uid[32];
  snprintf(uid, sizeof uid, "--user=%u", (unsigned)getuid());
  const char *argv[] = {
      "squeue", "-h", "-t", "all", uid, "-o", SLURM_SQUEUE_FORMAT, NULL};
  slurm_cmd_opts o = {.argv = argv,
                      .timeout_ms = r->command_timeout_ms,
                      .done = polled,
                      .arg = r};
  r->polling = 1;
  r->poll = slurm_cmd_start(r, &o);
}

void slurm_poll_wake(slurm_runner *r) {
  if (r->tick == NULL) {
    r->tick = malloc(sizeof *r->tick);
    if (r->tick == NULL)
      return;
    uv_timer_init(r->host->loop, r->tick);
    r->tick->data = r;
    r->last_answer_ms = slurm_now_ms(r);
  }
  if (!uv_is_active((uv_handle_t *)r->tick))
    uv_timer_start(r->tick, on_tick, r->poll_interval_ms, r->poll_interval_ms);
}

void slurm_poll_close(slurm_runner *r) {
  if (r->tick != NULL)
    uv_timer_stop(r->tick);
  /* fern is ending: a command still waiting on Slurm must not hold it. */
  slurm_cmd_signal(r->poll, SIGKILL);
  slurm_cmd_signal(r->sweep, SIGKILL);
  slurm_batch_end_all(r);
}
