/* nofile.h - fern's open-file limit. Each running component holds a few
 * descriptors in fern (its output pipes, its pidfd), so fern raises its own
 * limit as far as it may at start, and remembers the one it was given,
 * which runners give back to the programs they start. */
#ifndef FERN_CORE_NOFILE_H
#define FERN_CORE_NOFILE_H

#include <stdint.h>

/* Raises the soft limit to the hard one, and, when allowed
 * (CAP_SYS_RESOURCE), the hard one to the system's nr_open, at most 2^20. */
void fern__nofile_raise(void);
/* The limit fern was started with. */
void fern__nofile_original(uint64_t *soft, uint64_t *hard);

#endif
