/* slurm_batch.c - one sacct and one sstat per tick for every run that
 * wants one, as the poll asks one squeue for all jobs: a tree of a
 * thousand jobs stopping together costs the accounting one command per
 * tick, not a thousand (`sacct -j 1,2,3`, `sstat -j 1,2,3`).
 *
 * A run joins the next batch with slurm_batch_want(); the batch is one
 * command, counted in each member's `commands`, so no member is reported
 * while it is out. A member whose end cannot wait (its deadline passed,
 * or it ended while an sstat was out) leaves it with slurm_batch_leave():
 * its slot is emptied and the answer, when it comes, is not given to it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm.h"

/* Members of one batch at most: an argument of ids well within the
 * kernel's 128 KiB for one, an answer well within what a command's
 * output may hold. The rest go in the next batch. */
#define SLURM_BATCH_MAX 1000

struct slurm_batch_s {
  slurm_runner *runner;
  enum slurm_ask kind;
  slurm_run **runs; /* members; NULL where one left */
  size_t n;
  slurm_cmd *cmd; /* the sacct or sstat, until it has answered */
};

static int by_id(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

/* The answer read once for every member: their jobs' ids, sorted, and
 * what it says of each; how many (0 out of memory: then each member's
 * part is read alone, usage_of). */
static size_t read_answer(const slurm_batch *b, const slurm_cmd_result *res,
                          long **ids, slurm_usage **usages) {
  size_t n = 0;
  *ids = malloc(b->n * sizeof **ids);
  *usages = malloc(b->n * sizeof **usages);
  if (*ids == NULL || *usages == NULL)
    return 0;
  for (size_t i = 0; i < b->n; i++)
    if (b->runs[i] != NULL)
      (*ids)[n++] = b->runs[i]->job_id;
  qsort(*ids, n, sizeof **ids, by_id);
  slurm_usage_parse_many(res->out, b->kind, *ids, n, *usages);
  return n;
}

static const slurm_usage *usage_of(const slurm_batch *b,
                                   const slurm_cmd_result *res,
                                   const long *ids, const slurm_usage *usages,
                                   size_t n, const slurm_run *run,
                                   slurm_usage *alone) {
  const long *at = n > 0 ? bsearch(&run->job_id, ids, n, sizeof *ids, by_id)
                         : NULL;
  if (at != NULL)
    return &usages[at - ids];
  slurm_usage_parse_many(res->out, b->kind, &run->job_id, 1, alone);
  return alone;
}

static void answered(void *arg, const slurm_cmd_result *res) {
  slurm_batch *b = arg;
  slurm_runner *r = b->runner;
  long *ids;
  slurm_usage *usages, alone;
  size_t n = read_answer(b, res, &ids, &usages);
  /* Still in flight for the runner while members are told: it must not
   * be freed under us, nor a new batch start before this one is over. */
  for (size_t i = 0; i < b->n; i++) {
    slurm_run *run = b->runs[i];
    if (run == NULL)
      continue;
    run->batch[b->kind] = NULL;
    run->commands--;
    const slurm_usage *u = usage_of(b, res, ids, usages, n, run, &alone);
    slurm_cost_answered(run, b->kind, res, u); /* may report, and free it */
  }
  free(ids);
  free(usages);
  r->batch[b->kind] = NULL;
  free(b->runs);
  free(b);
  /* Those that came while it was out go now; retries wait for the tick. */
  if (!r->released)
    for (int k = 0; k < SLURM_ASKS; k++)
      slurm_batch_start(r, (enum slurm_ask)k);
  slurm_runner_maybe_free(r);
}

/* How many runs want `kind` (SLURM_BATCH_MAX at most). */
static size_t wanting(const slurm_runner *r, enum slurm_ask kind) {
  size_t n = 0;
  for (const slurm_run *run = r->runs; run != NULL && n < SLURM_BATCH_MAX;
       run = run->next)
    n += run->wants[kind] != 0;
  return n;
}

/* The job ids, comma-separated, of the first `n` runs that want the
 * batch's kind: they become its members. NULL out of memory. */
static char *gather(slurm_runner *r, slurm_batch *b, size_t n) {
  size_t len = 1;
  char *ids = malloc(n * 21 + 1);
  b->runs = calloc(n, sizeof *b->runs);
  if (ids == NULL || b->runs == NULL) {
    free(ids);
    return NULL; /* the runs still want it: the next tick tries again */
  }
  ids[0] = '\0';
  for (slurm_run *run = r->runs; run != NULL && b->n < n; run = run->next) {
    if (!run->wants[b->kind])
      continue;
    len += (size_t)snprintf(ids + len - 1, 22, "%s%ld", b->n ? "," : "",
                            run->job_id);
    run->wants[b->kind] = 0;
    run->batch[b->kind] = b;
    run->batch_slot[b->kind] = b->n;
    run->commands++;
    b->runs[b->n++] = run;
  }
  return ids;
}

void slurm_batch_start(slurm_runner *r, enum slurm_ask kind) {
  if (r->batch[kind] != NULL)
    return; /* the answer starts the next one */
  size_t n = wanting(r, kind);
  slurm_batch *b = n > 0 ? calloc(1, sizeof *b) : NULL;
  if (b == NULL)
    return;
  b->runner = r;
  b->kind = kind;
  char *ids = gather(r, b, n);
  if (ids == NULL) {
    free(b->runs);
    free(b);
    return;
  }
  const char *sacct[] = {"sacct", "-n", "-P", "--noconvert",
                         "-j",    ids,  "-o", "JobID,State,TotalCPU,MaxRSS",
                         NULL};
  const char *sstat[] = {
      "sstat", "-a",          "-n",
      "-P",    "--noconvert", "-j",
      ids,     "-o",          "JobID,TresUsageInTot,TresUsageInMax",
      NULL};
  const char *const *argv = kind == SLURM_ASK_SACCT ? sacct : sstat;
  slurm_cmd_opts o = {.argv = argv,
                      .timeout_ms =
                          slurm_cost_batch_timeout(r, kind, b->runs, b->n),
                      .done = answered,
                      .arg = b};
  r->batch[kind] = b;
  b->cmd = slurm_cmd_start(r, &o);
  free(ids);
}

void slurm_batch_want(slurm_run *run, enum slurm_ask kind) {
  run->wants[kind] = 1;
  slurm_batch_start(run->runner, kind);
}

void slurm_batch_leave(slurm_run *run, enum slurm_ask kind) {
  run->wants[kind] = 0;
  slurm_batch *b = run->batch[kind];
  if (b == NULL)
    return;
  b->runs[run->batch_slot[kind]] = NULL;
  run->batch[kind] = NULL;
  run->commands--;
}

void slurm_batch_end_all(slurm_runner *r) {
  for (int k = 0; k < SLURM_ASKS; k++)
    if (r->batch[k] != NULL)
      slurm_cmd_signal(r->batch[k]->cmd, SIGKILL);
}
