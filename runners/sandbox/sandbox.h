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

/* Finds what the binary, open at `binary_fd` (its path `binary_path`),
 * loads when it runs in `cwd` with the environment `env`, as the kernel and glibc's
 * dynamic loader would (sandbox_libs.h): pairs of (path in the sandbox,
 * real path) in `out`, NULL-terminated, the caller's to free. Worker
 * thread; `binary_fd` stays the caller's. */
int sandbox_libraries(int binary_fd, const char *binary_path, const char *cwd,
                      char *const *env, char ***out, fern_error_t *err);

/* Builds the seccomp filter (BPF in a memfd, offset 0). Worker thread. */
int sandbox_seccomp_fd(const sandbox_plan *plan, fern_error_t *err);
/* Checks a syscall name. */
int sandbox_syscall_known(const char *name);

#endif
