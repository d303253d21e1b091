/* tls - the good runner with thread-local storage, as a runner might keep
 * a per-thread scratch buffer. Its .tbss (17 bytes, aligned to 16) ends
 * inside the .data.rel.ro its entry struct starts: the two overlap by
 * address, since a TLS section's addresses are offsets in each thread's
 * block. It must load. */
#define GOOD_NAME "tls"
#include "good.c"

FERN_EXPORT __thread char tls_scratch[17];
FERN_EXPORT char *tls_scratch_of_this_thread(void);
FERN_EXPORT char *tls_scratch_of_this_thread(void) { return tls_scratch; }
