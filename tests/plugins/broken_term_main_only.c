/* broken_term_main_only - the spawner runner (spawner.c) with one mistake, which the
 * conformance suite must catch: SPAWNER_FLAW_TERM_MAIN_ONLY. */
#define SPAWNER_NAME "broken_term_main_only"
#define SPAWNER_FLAW_TERM_MAIN_ONLY
#include "spawner.c"
