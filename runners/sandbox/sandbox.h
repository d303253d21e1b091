/* sandbox.h - the sandbox runner: an ELF program run by the host's process
 * service inside bubblewrap, under a deny-by-default seccomp filter. */
#ifndef FERN_RUNNERS_SANDBOX_H
#define FERN_RUNNERS_SANDBOX_H

#include <limits.h>

#include "../common/native.h"

#define BWRAP_PATH "/usr/bin/bwrap"

/* One run's sandbox, read from the program block at start. */
typedef struct sandbox_plan_s {
  int enabled;     /* "sandbox": "bwrap" (default) or "none" */
  int network;     /* "network": true shares the network and allows sockets */
  char **syscalls; /* "syscalls": extra syscall names to allow */
  int notify;      /* lifecycle.ready_event "notify": it sends sd_notify */
  /* What it uses, each bound at its path, and its configuration file
   * at FERN_CONFIG_PATH: triples of (bwrap's bind
   * option, host path, path in the sandbox), NULL-terminated; a directory
   * without the rights to write is bound read-only (--ro-bind). A
   * component that uses a protocol may make the Unix stream socket it
   * connects with, and no other. */
  char **uses;
  int uses_protocol;
  int serves; /* it serves protocols: its sockets come from fd 3 on */
  const fern_host_t *host; /* open_trusted, for what is bound */
} sandbox_plan;

/* A program about to run in the sandbox, as the search for what it loads
 * needs it. All borrowed. */
typedef struct sandbox_program_s {
  int fd;                  /* the checked binary */
  const char *path;        /* its real path */
  const char *package;     /* its package's real path: bound whole, and the
                            * working directory */
  const char *const *env;  /* its environment */
  const fern_host_t *host; /* open_trusted: what may be bound from outside */
} sandbox_program;

/* Finds what the program loads, as the kernel and glibc's dynamic loader
 * would (sandbox_libs.h), and what of it the sandbox must bind: pairs of
 * (path in the sandbox, real path on the host) in `out`, NULL-terminated,
 * the caller's to free. A file inside the package needs no bind; one
 * outside it is refused unless host->open_trusted accepts it
 * (sandbox_binds.c). Worker thread. */
int sandbox_libraries(const sandbox_program *program, char ***out,
                      fern_error_t *err);

/* Fills in the bubblewrap command that runs the checked binary under
 * `plan`: the wrapper, its arguments and the descriptors it is handed,
 * in `sp`. Worker thread, after the binary check (the prepare hook). */
int sandbox_command(const sandbox_plan *plan, fern_spawn_plan_t *sp,
                    fern_error_t *err);

/* Opens the run's package directory for bubblewrap to bind (O_PATH): its
 * path resolved once into `real` (PATH_MAX bytes), the directory there
 * itself, not a link put in its place, and the one holding the checked
 * binary. The descriptor, or a negative FERN_E* code with `err` set.
 * Worker thread. */
int sandbox_package_open(const fern_spawn_plan_t *sp, char *real,
                         fern_error_t *err);

/* Frees a NULL-terminated vector of strings and the strings. */
void sandbox_strings_free(char **v);

/* Where the open file `fd` is, into `out` (PATH_MAX bytes): 0, or -1. */
int sandbox_fd_path(int fd, char *out);
/* Whether `path` is `dir` or lies below it (both real paths). */
int sandbox_path_within(const char *path, const char *dir);

/* Builds the seccomp filter (BPF in a memfd, offset 0). Worker thread. */
int sandbox_seccomp_fd(const sandbox_plan *plan, fern_error_t *err);
/* Checks a syscall name. */
int sandbox_syscall_known(const char *name);

#endif
