/* restart.c - the restart policy of a child or collection: never,
 * on-failure or always; exponential backoff from an initial delay by a
 * multiplier up to a maximum; at most burst_count restarts within
 * burst_window_ms, after which the component is marked failed (a gave_up
 * event says so); and a run that lasted reset_after_ms resets the backoff.
 * Only a run that ended by itself is restarted: a stop that was asked for
 * never is. The wait itself is the RESTART_WAIT state, whose timer the
 * lifecycle keeps. Loop thread only.
 *
 * The burst is counted as systemd counts StartLimitBurst= within
 * StartLimitIntervalSec= (ratelimit_below(), src/basic/ratelimit.c): a
 * window opens at the first restart and counts restarts until it has
 * passed, then the next restart opens a new one. Two numbers per
 * component, whatever burst_count is (it may be a million). */
#include <time.h>

#include "lifecycle_actions.h"

uint64_t fern__restart_clock_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int wants_restart(const fern__instance *i) {
  switch (i->restart.policy) {
  case FERN_RESTART_ALWAYS: return 1;
  case FERN_RESTART_ON_FAILURE: return i->status != FERN_STOP_OK;
  default: return 0;
  }
}

/* Restarts in the current window, which opens anew once it has passed. */
static uint32_t burst_in_window(fern__instance *i, uint64_t now) {
  if (i->burst_len == 0 || now - i->burst_began_ms > i->restart.burst_window_ms) {
    i->burst_began_ms = now;
    i->burst_len = 0;
  }
  return i->burst_len;
}

static uint64_t next_delay(const fern__instance *i) {
  const fern__restart_decl *r = &i->restart;
  if (i->attempt == 0)
    return r->initial_delay_ms;
  double next = (double)i->delay_ms * r->multiplier;
  return next > (double)r->max_delay_ms ? r->max_delay_ms : (uint64_t)next;
}

fern__state fern__restart_decide(fern__instance *i) {
  if (!wants_restart(i) || i->manager->shutting_down)
    return FERN_STATE_COUNT;
  uint64_t now = fern__restart_clock_ms();
  if (now - i->run_began_ms >= i->restart.reset_after_ms) {
    i->attempt = 0; /* it was stable: start the backoff over */
    i->burst_len = 0;
  }
  if (burst_in_window(i, now) >= i->restart.burst_count) {
    i->manager->failures++;
    return FERN_STATE_FAILED;
  }
  i->burst_len++;
  i->delay_ms = next_delay(i);
  i->attempt++;
  i->restart_count++;
  return FERN_STATE_RESTART_WAIT;
}
