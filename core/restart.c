/* restart.c - the restart policy of a child or collection: never,
 * on-failure or always; exponential backoff from an initial delay by a
 * multiplier up to a maximum; at most burst_count restarts within
 * burst_window_ms, after which the component is marked failed and a
 * gave_up event says so; and a run that lasted reset_after_ms resets the
 * backoff. A stop that was asked for never restarts. Loop thread only. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "manager.h"

#define BURST_MEMORY_MAX 1024

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int wants_restart(const fern__instance *instance) {
  switch (instance->restart.policy) {
  case FERN_RESTART_ALWAYS: return 1;
  case FERN_RESTART_ON_FAILURE: return instance->status != FERN_STOP_OK;
  default: return 0;
  }
}

/* Forgets restarts older than the window; returns how many remain. */
static size_t burst_in_window(fern__instance *instance, uint64_t now) {
  size_t kept = 0;
  for (size_t i = 0; i < instance->burst_len; i++)
    if (now - instance->burst[i] < instance->restart.burst_window_ms)
      instance->burst[kept++] = instance->burst[i];
  instance->burst_len = kept;
  return kept;
}

static void give_up(fern__instance *instance, size_t restarts) {
  instance->failed = 1;
  fern__log(FERN_LOG_ERROR, instance->moniker,
            "gave up: %zu restarts within %llu ms; marked failed", restarts,
            (unsigned long long)instance->restart.burst_window_ms);
  fern__event(&instance->manager->events, "gave_up", instance->moniker,
              json_pack("{s:I, s:I}", "restarts", (json_int_t)restarts,
                        "window_ms",
                        (json_int_t)instance->restart.burst_window_ms));
  instance->manager->failures++;
}

static void on_restart_timer(uv_timer_t *timer) {
  fern__instance *instance = timer->data;
  fern__manager *manager = instance->manager;
  manager->pending_restarts--;
  uv_close((uv_handle_t *)timer, (uv_close_cb)free);
  instance->restart_timer = NULL;
  fern__lifecycle_start(instance, "restart");
  fern__manager_check_idle(manager);
}

static uint64_t next_delay(fern__instance *instance) {
  const fern__restart_decl *r = &instance->restart;
  if (instance->attempt == 0)
    return r->initial_delay_ms;
  double next = (double)instance->delay_ms * r->multiplier;
  return next > (double)r->max_delay_ms ? r->max_delay_ms : (uint64_t)next;
}

int fern__restart_after_stop(fern__instance *instance) {
  fern__manager *manager = instance->manager;
  if (!wants_restart(instance) || manager->shutting_down ||
      instance->destroyed)
    return 0;
  uint64_t now = now_ms();
  if (now - instance->run_began_ms >= instance->restart.reset_after_ms) {
    instance->attempt = 0; /* it was stable: start the backoff over */
    instance->burst_len = 0;
  }
  size_t recent = burst_in_window(instance, now);
  if (recent >= instance->restart.burst_count) {
    give_up(instance, recent);
    return 0;
  }
  if (instance->burst == NULL)
    instance->burst = calloc(BURST_MEMORY_MAX, sizeof *instance->burst);
  if (instance->burst != NULL && instance->burst_len < BURST_MEMORY_MAX)
    instance->burst[instance->burst_len++] = now;
  instance->delay_ms = next_delay(instance);
  instance->attempt++;
  instance->restart_count++;
  fern__log(FERN_LOG_INFO, instance->moniker,
            "restarting in %llu ms (attempt %u)",
            (unsigned long long)instance->delay_ms, instance->attempt);
  fern__event(&manager->events, "restarting", instance->moniker,
              json_pack("{s:I, s:I}", "attempt", (json_int_t)instance->attempt,
                        "delay_ms", (json_int_t)instance->delay_ms));
  instance->restart_timer = malloc(sizeof *instance->restart_timer);
  if (instance->restart_timer == NULL)
    return 0;
  uv_timer_init(&manager->loop, instance->restart_timer);
  instance->restart_timer->data = instance;
  uv_timer_start(instance->restart_timer, on_restart_timer, instance->delay_ms,
                 0);
  manager->pending_restarts++;
  return 1;
}

void fern__restart_cancel(fern__instance *instance) {
  if (instance->restart_timer == NULL)
    return;
  uv_close((uv_handle_t *)instance->restart_timer, (uv_close_cb)free);
  instance->restart_timer = NULL;
  instance->manager->pending_restarts--;
}
