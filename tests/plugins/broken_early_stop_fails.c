/* broken_early_stop_fails - the spawner runner (spawner.c) with one mistake, which the
 * conformance suite must catch: SPAWNER_FLAW_EARLY_STOP_FAILS. */
#define SPAWNER_NAME "broken_early_stop_fails"
#define SPAWNER_FLAW_EARLY_STOP_FAILS
#include "spawner.c"
