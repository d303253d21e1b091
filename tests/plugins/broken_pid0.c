/* broken_pid0 - the spawner runner (spawner.c) with one mistake, which the
 * conformance suite must catch: SPAWNER_FLAW_PID0. */
#define SPAWNER_NAME "broken_pid0"
#define SPAWNER_FLAW_PID0
#include "spawner.c"
