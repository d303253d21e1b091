/* log_turn.h - the loop wakes fern's log writer once a turn (log_turn.c).
 * Loop thread only. */
#ifndef FERN_CORE_LOG_TURN_H
#define FERN_CORE_LOG_TURN_H

#include <uv.h>

typedef struct fern__log_turn_s {
  uv_check_t check;
  uv_prepare_t prepare;
  int open;
} fern__log_turn;

void fern__log_turn_open(fern__log_turn *turn, uv_loop_t *loop);
/* Wakes the writer for what waits and stops batching; the handles close
 * with the loop's next run. */
void fern__log_turn_close(fern__log_turn *turn);

#endif
