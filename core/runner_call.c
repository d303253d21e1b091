/* runner_call.c - see runner_call.h. */
#include "runner_call.h"

#include <stddef.h>
#include <uv.h>

#include "log.h"
#include "manager.h"

static void note_duration(fern__instance *i, const fern__capability *runner,
                          const char *call, uint64_t began_ns) {
  uint64_t ms = (uv_hrtime() - began_ns) / 1000000;
  if (ms < FERN_SLOW_CALL_MS)
    return;
  fern__log(FERN_LOG_WARN, i->moniker,
            "runner \"%s\" (%s) took %llu ms in its %s call on fern's loop "
            "thread: a runner call must not block",
            runner->name, runner->plugin_path, (unsigned long long)ms, call);
  fern__event(&i->manager->events, "slow_call", i->moniker,
              json_pack("{s:s, s:s, s:I}", "runner", runner->name, "call",
                        call, "ms", (json_int_t)ms));
}

int fern__runner_start(fern__instance *i, fern__capability *runner,
                       const fern_start_info_t *info, void **controller,
                       fern_error_t *err) {
  uint64_t began = uv_hrtime();
  int rc = runner->runner->start(runner->state, info, controller, err);
  note_duration(i, runner, "start", began);
  return rc;
}

void fern__runner_stop(fern__instance *i) {
  fern__capability *runner = i->run.runner;
  uint64_t began = uv_hrtime();
  /* A runner that cannot stop gracefully is killed: that is its stop. */
  if (runner->runner->capabilities & FERN_RUNNER_CAP_GRACEFUL_STOP)
    runner->runner->stop(i->run.controller);
  else
    runner->runner->kill(i->run.controller);
  note_duration(i, runner, "stop", began);
}

void fern__runner_kill(fern__instance *i) {
  fern__capability *runner = i->run.runner;
  uint64_t began = uv_hrtime();
  runner->runner->kill(i->run.controller);
  note_duration(i, runner, "kill", began);
}

int fern__runner_cost(fern__instance *i, fern_cost_t *cost, fern_error_t *err) {
  fern__capability *runner = i->run.runner;
  const fern_runner_plugin_t *plugin = runner ? runner->runner : NULL;
  if (plugin == NULL || i->run.controller == NULL)
    return fern_error_set(err, FERN_EINVAL, NULL, "it does not run");
  if (plugin->struct_size < offsetof(fern_runner_plugin_t, cost) +
                                sizeof plugin->cost ||
      plugin->cost == NULL)
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "the %s runner does not say what a run costs",
                          runner->name);
  *cost = (fern_cost_t){.struct_size = sizeof *cost};
  uint64_t began = uv_hrtime();
  int rc = plugin->cost(i->run.controller, cost, err);
  note_duration(i, runner, "cost", began);
  return rc;
}
