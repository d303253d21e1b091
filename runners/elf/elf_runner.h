/* elf_runner.h - the ELF runner's pieces: program validation, the binary
 * check (libelf) and the process (spawn, output, exit, stop). */
#ifndef FERN_RUNNERS_ELF_H
#define FERN_RUNNERS_ELF_H

#include <fern/runner.h>
#include <limits.h>

typedef struct elf_runner_s {
  const fern_host_t *host;
} elf_runner;

enum { ELF_STDOUT = 0, ELF_STDERR = 1 };
#define ELF_LINE_MAX 4096

typedef struct elf_stream_s {
  uv_pipe_t pipe;
  int open;
  char line[ELF_LINE_MAX];
  size_t line_len;
  char read_buf[65536];
} elf_stream;

typedef struct elf_controller_s {
  const fern_host_t *host;
  fern_instance_t *instance;
  char *moniker;
  char *package_dir;
  char *binary; /* as the manifest says, relative to the package */
  char **argv;  /* argv[0] is the binary's real path once checked */
  char **envp;
  int forward[2]; /* forward stdout / stderr to the log */

  uv_work_t check_work; /* the binary check, on the thread pool */
  int check_rc;
  fern_error_t check_err;
  char binary_path[PATH_MAX];

  uv_process_t process;
  elf_stream streams[2];
  uv_timer_t drain_timer;
  int drain_timer_open;
  int open_handles; /* the report waits until all are closed */
  int spawned, exited, cancelled, term_sent;
  int64_t exit_status;
  int term_signal;
  int start_failed; /* the spawn or the check failed: cannot_start */
  char failure[600];
} elf_controller;

/* Program keys. Pure; any thread. */
int elf_program_validate(const json_t *program, fern_error_t *err);

/* Checks that `path` is an executable ELF program for this machine. Any
 * thread; blocks on file I/O. `shown` is how the manifest names it. */
int elf_binary_check(const char *path, const char *shown, fern_error_t *err);
/* "did you mean" help for a missing binary: fills `suggestion` with the
 * closest name in the same directory, or "". */
void elf_binary_suggest(const char *package_dir, const char *binary,
                        char *suggestion, size_t size);

/* Spawns the checked program; 0 or a FERN_E* code with c->failure set. */
int elf_process_spawn(elf_controller *c);
/* Reports the end of a start that never reached the spawn. */
void elf_process_report_now(elf_controller *c);
/* Sends `signum` to the program's process group, if it runs. */
void elf_process_signal(elf_controller *c, int signum);

#endif
