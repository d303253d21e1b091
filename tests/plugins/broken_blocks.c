/* broken_blocks - the spawner runner (spawner.c) with one mistake, which the
 * conformance suite must catch: SPAWNER_FLAW_BLOCKS. */
#define SPAWNER_NAME "broken_blocks"
#define SPAWNER_FLAW_BLOCKS
#include "spawner.c"
