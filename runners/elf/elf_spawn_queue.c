/* elf_spawn_queue.c - checked runs wait here for their spawn, which the
 * loop does a few at a time.
 *
 * Binary checks finish on the thread pool far faster than the loop can
 * spawn, and libuv hands the loop every finished check at once: spawning
 * each as its check came back meant thousands of spawns in one go, while
 * the programs already ended waited, unreaped, their cgroups unreturned.
 * Taking a batch per loop turn lets the exits in between be seen, so an
 * emptied cgroup is taken by the next start (elf_cgroup_pool.c) instead of
 * a new one being made. A batch costs a start one loop turn at most. */
#include <stdio.h>

#include "elf_runner.h"

#define ELF_SPAWN_BATCH 16

static elf_controller *queue_pop(elf_runner *r) {
  elf_controller *c = r->spawn_head;
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
static void spawn_one(elf_controller *c) {
  if (c->cancelled) {
    elf_process_report_now(c); /* stopped before it started */
    return;
  }
  fern_error_t err = FERN_ERROR_INIT;
  if (c->job_at_spawn && elf_job_take(c->runner, &c->job, &err) != FERN_OK) {
    c->start_failed = 1;
    snprintf(elf_failure_buf(c), ELF_FAILURE_MAX, "%s", err.message);
    elf_process_report_now(c);
    return;
  }
  elf_process_start(c);
}

static void on_spawn_turn(uv_idle_t *idle) {
  elf_runner *r = idle->data;
  elf_spawn_read_signals(r);
  for (int i = 0; i < ELF_SPAWN_BATCH; i++) {
    elf_controller *c = queue_pop(r);
    if (c == NULL)
      break;
    spawn_one(c);
  }
  if (r->spawn_head == NULL)
    uv_idle_stop(idle);
}

void elf_spawn_queue_init(elf_runner *r) {
  r->spawn_head = NULL;
  r->spawn_tail = &r->spawn_head;
  uv_idle_init(r->host->loop, &r->spawn_idle);
  r->spawn_idle.data = r;
}

void elf_spawn_queue_add(elf_controller *c) {
  elf_runner *r = c->runner;
  c->next_spawn = NULL;
  c->spawn_queued = 1;
  *r->spawn_tail = c;
  r->spawn_tail = &c->next_spawn;
  uv_idle_start(&r->spawn_idle, on_spawn_turn);
}

void elf_spawn_queue_remove(elf_controller *c) {
  elf_runner *r = c->runner;
  if (!c->spawn_queued)
    return;
  for (elf_controller **p = &r->spawn_head; *p != NULL; p = &(*p)->next_spawn)
    if (*p == c) {
      *p = c->next_spawn;
      if (r->spawn_tail == &c->next_spawn)
        r->spawn_tail = p;
      break;
    }
  c->next_spawn = NULL;
  c->spawn_queued = 0;
}
