/* proc_spawn_queue.c - checked runs wait here for their spawn, which the
 * loop does a few at a time.
 *
 * Binary checks finish on the thread pool far faster than the loop can
 * spawn, and libuv hands the loop every finished check at once: spawning
 * each as its check came back meant thousands of spawns in one go, while
 * the programs already ended waited, unreaped, their cgroups unreturned.
 * Taking a batch per loop turn lets the exits in between be seen, so an
 * emptied cgroup is taken by the next start (proc_cgroup_pool.c) instead of
 * a new one being made. A batch costs a start one loop turn at most. */
#include <stdio.h>

#include "proc.h"

static proc_run *queue_pop(proc_service *r) {
  proc_run *c = r->spawn_head;
  if (c == NULL)
    return NULL;
  r->spawn_head = c->next_spawn;
  if (r->spawn_head == NULL)
    r->spawn_tail = &r->spawn_head;
  c->next_spawn = NULL;
  c->spawn_queued = 0;
  return c;
}

/* The cgroup is taken now, at the spawn, not at the check: by now an
 * earlier run may have given one back. */
static void spawn_one(proc_run *c) {
  if (c->cancelled) {
    proc_process_report_now(c); /* stopped before it started */
    return;
  }
  fern_error_t err = FERN_ERROR_INIT;
  if (c->job_at_spawn && proc_job_take(c->runner, &c->job, &err) != FERN_OK) {
    c->start_failed = 1;
    snprintf(proc_failure_buf(c), PROC_FAILURE_MAX, "%s", err.message);
    proc_process_report_now(c);
    return;
  }
  proc_process_start(c);
}

static void on_spawn_turn(uv_idle_t *idle) {
  proc_service *r = idle->data;
  proc_spawn_read_signals(r);
  for (int i = 0; i < PROC_SPAWN_BATCH; i++) {
    proc_run *c = queue_pop(r);
    if (c == NULL)
      break;
    spawn_one(c);
  }
  proc_cost_turn_over(r);
  if (r->spawn_head == NULL)
    uv_idle_stop(idle);
}

void proc_spawn_queue_init(proc_service *r) {
  r->spawn_head = NULL;
  r->spawn_tail = &r->spawn_head;
  uv_idle_init(r->host->loop, &r->spawn_idle);
  r->spawn_idle.data = r;
}

void proc_spawn_queue_add(proc_run *c) {
  proc_service *r = c->runner;
  c->next_spawn = NULL;
  c->spawn_queued = 1;
  *r->spawn_tail = c;
  r->spawn_tail = &c->next_spawn;
  uv_idle_start(&r->spawn_idle, on_spawn_turn);
}

void proc_spawn_queue_remove(proc_run *c) {
  proc_service *r = c->runner;
  if (!c->spawn_queued)
    return;
  for (proc_run **p = &r->spawn_head; *p != NULL; p = &(*p)->next_spawn)
    if (*p == c) {
      *p = c->next_spawn;
      if (r->spawn_tail == &c->next_spawn)
        r->spawn_tail = p;
      break;
    }
  c->next_spawn = NULL;
  c->spawn_queued = 0;
}
