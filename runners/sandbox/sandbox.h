/* sandbox.h - the sandbox runner: the ELF runner's machinery, with the
 * program run inside bubblewrap under a deny-by-default seccomp filter. */
#ifndef FERN_RUNNERS_SANDBOX_H
#define FERN_RUNNERS_SANDBOX_H

#include "../elf/elf_runner.h"

/* One run's sandbox, read from the program block at start. */
typedef struct sandbox_plan_s {
  int enabled;     /* "sandbox": "bwrap" (default) or "none" */
  int network;     /* "network": true shares the network and allows sockets */
  char **syscalls; /* "syscalls": extra syscall names to allow */
} sandbox_plan;

/* Finds what the binary needs to run (its interpreter and DT_NEEDED
 * libraries, recursively): pairs of (path in the sandbox, real path) in
 * `out`, NULL-terminated. Worker thread. */
int sandbox_libraries(const char *binary, char ***out, fern_error_t *err);

/* Builds the seccomp filter (BPF in a memfd, offset 0). Worker thread. */
int sandbox_seccomp_fd(const sandbox_plan *plan, fern_error_t *err);
/* Checks a syscall name. */
int sandbox_syscall_known(const char *name);

#endif
