/* proc_cgroup_removal.c - cgroups no run will use again, removed off the
 * loop: one batch at a time on one thread of the pool, once the runner's
 * stops have ended.
 *
 * rmdir of a cgroup takes the kernel's cgroup_mutex, which the kernel's
 * own release work for the cgroups removed before it (css_release_work_fn
 * and its rstat flush, on kworkers) takes too. A removal per thread of the
 * pool had four threads spinning on that mutex (mutex_spin_on_owner, 16%
 * of fern's stop of 10,000 components) on the CPUs the loop and the
 * exiting programs need; and removals running while a tree stops slowed
 * the reaping of every program still ending. So a removal waits while any
 * of the runner's stops is under way, as long as stops keep ending: once
 * none has ended for REMOVAL_WAIT_MS (a program that ignores its SIGTERM
 * until the stop timeout), what has gathered goes anyway; and then it is
 * removed in one batch by one thread. (A bound from the first removal
 * queued instead started the removals in the middle of a stop of 10,000
 * that took over a second, and that stop took 2.1 s instead of 1.3.)
 * Measured (bench/README.md): a stop of 10,000 components took 1.7-2.1 s
 * with a removal per thread, 1.0-1.25 s this way.
 *
 * Each batch holds the runner (open_handles) until it is done, so the
 * runner's own directory is removed after them. Loop thread, but for the
 * batch's work. */
#include <stdlib.h>

#include "proc.h"

/* The longest removals wait for a stop to end: a program that ignores
 * its SIGTERM until the stop timeout holds no one else's cgroup back. */
#define REMOVAL_WAIT_MS 1000

typedef struct removal_batch_s {
  uv_work_t work;
  proc_service *runner;
  char **paths;
  size_t count;
} removal_batch;

/* Newest first: a batch of the 10,000 cgroups a stopped tree left took
 * 0.3 s this way and 0.8 s oldest first (kernel 6.18; never-used cgroups
 * show no such difference, so it is the release of used ones). */
static void remove_all(char **paths, size_t count) {
  for (size_t i = count; i-- > 0;) {
    proc_job_remove_cgroup_tree(paths[i]);
    free(paths[i]);
  }
  free(paths);
}

static void batch_work(uv_work_t *work) {
  removal_batch *batch = work->data;
  remove_all(batch->paths, batch->count);
  batch->paths = NULL;
}

static void kick(proc_service *r, int force);

static void batch_done(uv_work_t *work, int status) {
  (void)status;
  removal_batch *batch = work->data;
  proc_service *r = batch->runner;
  free(batch);
  r->removal_running = 0;
  kick(r, 0);
  proc_service_unref(r);
}

/* No stop ended for REMOVAL_WAIT_MS: the removals go (those under way
 * are stuck, or slow on purpose). */
static void on_wait_over(uv_timer_t *timer) { kick(timer->data, 1); }

/* Hands what has gathered to the pool, unless a batch runs or stops are
 * under way (then the wait's timer is set), or `force`. */
static void kick(proc_service *r, int force) {
  if (r->removal_running || r->removal_count == 0)
    return;
  uint64_t now = uv_now(r->host->loop);
  if (r->stopping > 0 && !force && !r->removal_closing &&
      now < r->stops_progressed + REMOVAL_WAIT_MS) {
    /* (Re)armed for a wait without progress from now on. */
    uv_timer_start(&r->removal_timer, on_wait_over,
                   r->stops_progressed + REMOVAL_WAIT_MS - now, 0);
    return;
  }
  if (!r->removal_closing)
    uv_timer_stop(&r->removal_timer);
  char **paths = r->removal_queue;
  size_t count = r->removal_count;
  r->removal_queue = NULL;
  r->removal_count = r->removal_capacity = 0;
  removal_batch *batch = malloc(sizeof *batch);
  if (batch != NULL) {
    *batch = (removal_batch){.runner = r, .paths = paths, .count = count};
    batch->work.data = batch;
    if (uv_queue_work(r->host->loop, &batch->work, batch_work,
                      batch_done) == 0) {
      r->removal_running = 1;
      r->open_handles++;
      return;
    }
  }
  free(batch);
  remove_all(paths, count); /* no memory or no pool: here and now */
}

void proc_cgroup_removal_init(proc_service *r) {
  uv_timer_init(r->host->loop, &r->removal_timer);
  r->removal_timer.data = r;
  uv_unref((uv_handle_t *)&r->removal_timer);
}

void proc_cgroup_remove(proc_service *r, char *path) {
  if (path == NULL)
    return;
  if (r->removal_count == r->removal_capacity) {
    size_t capacity = r->removal_capacity ? 2 * r->removal_capacity : 64;
    char **grown = realloc(r->removal_queue, capacity * sizeof *grown);
    if (grown == NULL) {
      proc_job_remove_cgroup_tree(path); /* no memory: here and now */
      free(path);
      return;
    }
    r->removal_queue = grown;
    r->removal_capacity = capacity;
  }
  r->removal_queue[r->removal_count++] = path;
  kick(r, 0);
}

void proc_cgroup_removal_stop_begins(proc_service *r) {
  if (r->stopping++ == 0)
    r->stops_progressed = uv_now(r->host->loop);
}

void proc_cgroup_removal_stop_ends(proc_service *r) {
  r->stops_progressed = uv_now(r->host->loop);
  if (r->stopping > 0 && --r->stopping == 0)
    kick(r, 0);
}

void proc_cgroup_removal_close(proc_service *r, uv_close_cb closed) {
  r->removal_closing = 1;
  kick(r, 1);
  uv_close((uv_handle_t *)&r->removal_timer, closed);
}
