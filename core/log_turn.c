/* log_turn.c - the loop's log records reach the writer once a turn.
 *
 * A record the loop puts marks the writer due instead of waking it
 * (log_queue.c); the wake comes at the end of the turn's work: the check
 * phase (after the I/O callbacks, where exits, reads and the pool's
 * answers are handled), the prepare phase (after timers, idle callbacks
 * and the close callbacks of the turn before), and the end of each drain
 * of the lifecycle inbox (itself a prepare callback: restarted on every
 * post, it runs before this one, so this wake is a second line of
 * defence). So a record never waits past the poll that may block, and a
 * turn that logs a thousand lines wakes the writer once, or once a chunk
 * (log_queue.c). Loop thread. */
#include "log_turn.h"

#include "log_queue.h"

static void on_turn_end(uv_check_t *check) {
  (void)check;
  fern__log_queue_wake();
}

static void before_poll(uv_prepare_t *prepare) {
  (void)prepare;
  fern__log_queue_wake();
}

void fern__log_turn_open(fern__log_turn *turn, uv_loop_t *loop) {
  uv_check_init(loop, &turn->check);
  uv_prepare_init(loop, &turn->prepare);
  uv_check_start(&turn->check, on_turn_end);
  uv_prepare_start(&turn->prepare, before_poll);
  /* They keep nothing running: the loop ends when its work does. */
  uv_unref((uv_handle_t *)&turn->check);
  uv_unref((uv_handle_t *)&turn->prepare);
  turn->open = 1;
  fern__log_queue_loop_turns(1);
}

void fern__log_turn_close(fern__log_turn *turn) {
  if (!turn->open)
    return;
  turn->open = 0;
  fern__log_queue_loop_turns(0);
  uv_close((uv_handle_t *)&turn->check, NULL);
  uv_close((uv_handle_t *)&turn->prepare, NULL);
}
