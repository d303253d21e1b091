/* runner_call.h - the manager's calls into a run's runner, each timed: a
 * runner call is made on fern's loop thread and must not block (runner.h),
 * and one that does stalls every component. One that takes longer than
 * FERN_SLOW_CALL_MS is said (a warning naming the runner and the call) and
 * recorded (a "slow_call" event), so that an author sees it, and the
 * conformance suite can hold a runner to it. */
#ifndef FERN_CORE_RUNNER_CALL_H
#define FERN_CORE_RUNNER_CALL_H

#include "instance.h"

#define FERN_SLOW_CALL_MS 100

/* runner->start for the instance's run. */
int fern__runner_start(fern__instance *i, fern__capability *runner,
                       const fern_start_info_t *info, void **controller,
                       fern_error_t *err);
/* stop (or kill, for a runner that cannot stop gracefully) and kill of
 * the instance's run. */
void fern__runner_stop(fern__instance *i);
void fern__runner_kill(fern__instance *i);
/* What its run costs so far (the runner's `cost`, runner ABI 2.3);
 * FERN_ENOTSUP, saying why, when the runner cannot say. */
int fern__runner_cost(fern__instance *i, fern_cost_t *cost, fern_error_t *err);

#endif
