/* proc_output_pace.c - a program's output read no faster than fern's log
 * can take it. fern writes its log through a bounded queue, so that a
 * reader of its stderr who falls behind (a terminal paused with Ctrl-S, a
 * pipe nobody reads) never stops fern. When the queue runs low on room,
 * the runner stops reading the output pipes of the programs it forwards:
 * their writes then block, as they would on a slow terminal, and no line
 * is lost. A timer looks for room again (nothing signals it), and every
 * paused run reads again once there is plenty.
 *
 * Once a program's main process has ended its output is read whatever the
 * room, so that its end is reported and fern can stop: what does not fit
 * then is dropped, and counted, by the log. */
#include "proc.h"

#define PACE_TICK_MS 10

static void set_reading(proc_run *c, int reading);

/* Takes the run off the paused list; the timer goes with the last one
 * (it would otherwise hold the loop, and fern, for ever). */
static void unlink_paused(proc_run *c) {
  *c->prev_paced = c->next_paced;
  if (c->next_paced != NULL)
    c->next_paced->prev_paced = c->prev_paced;
  c->next_paced = NULL;
  c->prev_paced = NULL;
  if (c->runner->paced == NULL)
    uv_timer_stop(&c->runner->pace_timer);
}

static void on_pace_tick(uv_timer_t *timer) {
  proc_service *r = timer->data;
  if (r->host->output_room(r->host->ctx) < FERN_OUTPUT_ROOM_HIGH)
    return;
  while (r->paced != NULL) {
    proc_run *c = r->paced;
    unlink_paused(c);
    set_reading(c, 1);
  }
}

static void set_reading(proc_run *c, int reading) {
  for (int which = 0; which < 2; which++) {
    uv_stream_t *pipe = (uv_stream_t *)&c->streams[which].pipe;
    if (!c->streams[which].open)
      continue;
    if (reading)
      uv_read_start(pipe, proc_output_alloc, proc_output_read);
    else
      uv_read_stop(pipe);
  }
}

void proc_output_pace_init(proc_service *r) {
  r->paced = NULL;
  uv_timer_init(r->host->loop, &r->pace_timer);
  r->pace_timer.data = r;
}

void proc_output_pace(proc_run *c) {
  proc_service *r = c->runner;
  if (c->prev_paced != NULL || c->exited ||
      r->host->output_room(r->host->ctx) >= FERN_OUTPUT_ROOM_LOW)
    return;
  set_reading(c, 0);
  c->next_paced = r->paced;
  if (r->paced != NULL)
    r->paced->prev_paced = &c->next_paced;
  c->prev_paced = &r->paced;
  r->paced = c;
  if (!uv_is_active((uv_handle_t *)&r->pace_timer))
    uv_timer_start(&r->pace_timer, on_pace_tick, PACE_TICK_MS, PACE_TICK_MS);
}

void proc_output_release(proc_run *c, int read_again) {
  if (c->prev_paced == NULL)
    return;
  unlink_paused(c);
  if (read_again)
    set_reading(c, 1);
}
