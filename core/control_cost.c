/* control_cost.c - what a running component costs, for fern show, fern
 * list --wide and fern top: {"cpu_s", "memory_bytes", "peak_memory_bytes",
 * "processes", "source"}, each figure its runner knows; or {"unknown":
 * why} from a runner that cannot say (Slurm's jobs run elsewhere), or
 * null when it does not run. Loop thread. */
#include "control_cost.h"

#include "runner_call.h"

json_t *fern__control_cost(fern__instance *instance) {
  if (instance->run.controller == NULL)
    return json_null();
  fern_cost_t cost;
  fern_error_t err = FERN_ERROR_INIT;
  if (fern__runner_cost(instance, &cost, &err) != FERN_OK)
    return json_pack("{s:s}", "unknown", err.message);
  json_t *out = json_object();
  if (cost.known & FERN_COST_CPU)
    json_object_set_new(out, "cpu_s", json_real((double)cost.cpu_usec / 1e6));
  if (cost.known & FERN_COST_MEMORY)
    json_object_set_new(out, "memory_bytes",
                        json_integer((json_int_t)cost.memory_bytes));
  if (cost.known & FERN_COST_PEAK_MEMORY)
    json_object_set_new(out, "peak_memory_bytes",
                        json_integer((json_int_t)cost.peak_memory_bytes));
  if (cost.known & FERN_COST_PROCESSES)
    json_object_set_new(out, "processes",
                        json_integer((json_int_t)cost.processes));
  if (cost.source != NULL)
    json_object_set_new(out, "source", json_string(cost.source));
  return out;
}
