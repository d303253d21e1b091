/* broken_drop_last_line - the spawner runner (spawner.c) with one mistake, which the
 * conformance suite must catch: SPAWNER_FLAW_DROP_LAST_LINE. */
#define SPAWNER_NAME "broken_drop_last_line"
#define SPAWNER_FLAW_DROP_LAST_LINE
#include "spawner.c"
