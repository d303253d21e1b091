/* broken_no_drain - the spawner runner (spawner.c) with one mistake, which the
 * conformance suite must catch: SPAWNER_FLAW_NO_DRAIN. */
#define SPAWNER_NAME "broken_no_drain"
#define SPAWNER_FLAW_NO_DRAIN
#include "spawner.c"
