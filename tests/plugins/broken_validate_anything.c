/* broken_validate_anything - the spawner runner (spawner.c) with one mistake, which the
 * conformance suite must catch: SPAWNER_FLAW_VALIDATE_ANYTHING. */
#define SPAWNER_NAME "broken_validate_anything"
#define SPAWNER_FLAW_VALIDATE_ANYTHING
#include "spawner.c"
