/* e2e.h - end-to-end tests: run the real fern binary on real trees and
 * read what it prints. Every wait has a deadline; nothing sleeps. */
#ifndef FERN_TESTS_E2E_H
#define FERN_TESTS_E2E_H

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

typedef struct e2e_proc_s {
  pid_t pid;
  int out_fd, err_fd;
  char *out, *err; /* all read so far, NUL-terminated */
  size_t out_len, err_len;
  int status; /* exit code, or 128 + signal; -1 while running */
  /* `fern run`'s events file: the one its arguments name, else one the
   * harness adds (removed by e2e_free); "" for other commands. */
  char events[128];
  int events_ours;
} e2e_proc;

/* Starts `fern ARGS...` (the fern of FERN_BUILD) in the source tree. */
void e2e_start(e2e_proc *p, const char *const *args);
/* e2e_start, with fern the leader of a process group of its own (for a
 * kill of its whole group that spares the test). */
void e2e_start_own_group(e2e_proc *p, const char *const *args);
/* Reads until stderr contains `text`; fails the test after `ms`. */
void e2e_wait_for(e2e_proc *p, const char *text, int ms);
/* Reads what fern printed, waiting at most `ms`; 0 once both pipes closed. */
int e2e_pump(e2e_proc *p, int ms);
/* Reads until stdout contains `text`; fails the test after `ms`. */
void e2e_wait_for_stdout(e2e_proc *p, const char *text, int ms);
/* Reads until stderr holds `text` at least `count` times. */
void e2e_wait_for_count(e2e_proc *p, const char *text, int count, int ms);
/* Waits, reading nothing, until fern's stderr pipe is full and fern's log
 * writer sleeps on it; fails the test (and kills fern) after `ms`. */
void e2e_wait_until_stderr_is_full(e2e_proc *p, int ms);
/* How many times `needle` occurs in `hay`. */
int e2e_count(const char *hay, const char *needle);
/* Reads until fern exits; fails the test (and kills fern) after `ms`. */
int e2e_finish(e2e_proc *p, int ms);
void e2e_free(e2e_proc *p);
/* e2e_start + e2e_finish. */
int e2e_run(e2e_proc *p, int ms, const char *const *args);

const char *e2e_build(void); /* FERN_BUILD */
/* The fern the tests run: FERN_BINARY (an installed fern) if set, else
 * the one in FERN_BUILD. */
void e2e_fern_path(char *out, size_t size);

/* A throw-away package: a new directory under /tmp (its path in `dir`)
 * with meta/ and bin/tool, the test program. */
void e2e_package_new(char *dir, size_t size);
/* Writes `text` to `relative` inside the package. */
void e2e_package_write(const char *dir, const char *relative, const char *text);
/* Copies a file into the package (e.g. /bin/dash to bin/sh). */
void e2e_package_copy(const char *dir, const char *from, const char *relative);
void e2e_package_remove(const char *dir);
/* meta/NAME.cm: bin/tool run by `runner`, with `fields` (more program
 * keys, e.g. "\"args\": [\"sleep\"]") in the program block. */
void e2e_package_program(const char *dir, const char *name, const char *runner,
                         const char *fields);
/* The same for another binary of the package. */
void e2e_package_program_of(const char *dir, const char *name,
                            const char *runner, const char *binary,
                            const char *fields);
/* meta/root.cm: these eager children, each meta/NAME.cm. With `quick_ms`
 * above 0, names starting "quick-" run in an environment "quick" with that
 * stop timeout. */
void e2e_package_root(const char *dir, const char *const *names, int quick_ms);
/* A root whose eager child "hung" waits on the gate test resolver (its
 * worker held for two minutes) beside the eager child `sibling`
 * (meta/SIBLING.cm, the caller's), and a configuration with that
 * resolve_timeout_ms. `args` is the `fern run` command line for it. */
typedef struct e2e_gated_s {
  char config[4200], plugins[4200];
  const char *args[7];
} e2e_gated;
void e2e_package_gated(const char *pkg, const char *sibling,
                       int resolve_timeout_ms, e2e_gated *g);
/* Asserts that `needle` occurs in `hay` (and says where to look if not). */
#define e2e_assert_has(hay, needle)                                            \
  ck_assert_msg(strstr((hay), (needle)) != NULL, "expected \"%s\" in:\n%s",    \
                (needle), (hay))
#define e2e_assert_lacks(hay, needle)                                          \
  ck_assert_msg(strstr((hay), (needle)) == NULL, "did not expect \"%s\" in:\n%s", \
                (needle), (hay))
/* Writes DIR/fern.json: the oci runner, keeping its state in DIR/state
 * (which must exist); its path into `config`. */
void e2e_oci_runner_config(const char *dir, char *config, size_t size);
/* Whether a crun test is skipped (saying why): under valgrind, or crun
 * is not installed. */
int e2e_skip_without_crun(void);
/* A new package for the oci runner: rootfs/ (bin/tool the static test
 * program; proc, dev, tmp and sys to mount on), state/, and fern.json
 * (e2e_oci_runner_config), its path into `config`. */
void e2e_oci_package(char *pkg, size_t size, char *config,
                     size_t config_size);
/* Under make check-valgrind, prints why the calling test does not apply
 * and returns 1 (the test then returns); else returns 0. */
int e2e_skip_under_valgrind(const char *why);
/* The same for a test whose programs run in a root of their own (the ELF
 * runner's "root": "package", every Capstan package): valgrind execs its
 * own launcher for each program, and that is not inside the root. */
int e2e_skip_root_under_valgrind(void);
/* A real local user, for what another user can and cannot do: made with
 * useradd the first time (as a system user with its own group, no home,
 * no login). Returns 0 with its ids; without root, prints why the calling
 * test does not apply and returns -1 (the test then returns). */
int e2e_test_user(const char *name, uid_t *uid, gid_t *gid);
/* Runs `fern ARGS...` as uid/gid (no supplementary groups), from a copy of
 * the binary that user may run (the build tree may sit where only root can
 * enter). Returns its exit status; stdout and stderr together in `out`. */
int e2e_run_fern_as(uid_t uid, gid_t gid, const char *const *args, char *out,
                    size_t size);
/* Runs `fern ARGS...` to its end while fanotify holds fern's first open
 * of the file at `path` (FAN_OPEN_PERM): `swap(arg)` runs while it is
 * held, then the open goes on (swap_at_open.c). Returns 1 if it ran, 0 if
 * fern never opened the file, or -1, printing why, where fanotify
 * permission events are not to be had (`p` is then empty, for e2e_free). */
int e2e_run_swapping_at_open(e2e_proc *p, const char *const *args,
                             const char *path, void (*swap)(void *),
                             void *arg);
/* A swap: renames `path` to `path`.checked and puts a symlink to
 * `target` in its place. */
void e2e_replace_by_link(const char *path, const char *target);
/* A monotonic clock in milliseconds, for deadlines. */
long e2e_now_ms(void);
/* Alive: it exists and is not a zombie. */
int e2e_process_alive(pid_t pid);
/* The value of `key` ("VmHWM", "SigCgt") in /proc/PID/status, its text
 * after the colon and blanks, into `buf`; fails the test without it. */
const char *e2e_status_field(pid_t pid, const char *key, char *buf,
                             size_t size);
/* The pids a component printed as "[MONIKER] orphan PID", plus its main
 * process from "MONIKER: started (pid PID)"; at most `max`. */
int e2e_collect_pids(const char *err, const char *moniker, pid_t *pids,
                     int max);
/* Fails the test unless every process has exited within `ms` (waits on
 * pidfds). */
void e2e_assert_all_gone_within(const pid_t *pids, int n, int ms);
/* The same in two steps, for processes a test is about to kill: pidfds
 * opened while the pids are surely theirs (a pid freed by an exit may be
 * given to another process before a later look), then the wait, which
 * closes them. */
void e2e_pidfds_open(const pid_t *pids, int n, int *fds);
void e2e_assert_pidfds_gone_within(int *fds, const pid_t *pids, int n,
                                   int ms);
/* Waits until done(arg) holds, looking again at each deletion in `dir`
 * (inotify); fails the test with `what` after `ms`. */
void e2e_wait_for_deletions(const char *dir, int (*done)(const void *arg),
                            const void *arg, int ms, const char *what);
/* Whether fern's log says its ELF runner holds jobs with `name`
 * ("cgroup", "subreaper", "process_group"). */
int e2e_job_mechanism_is(const char *err, const char *name);
/* Where fern's runner directories (fern-PID-N) are made. */
/* Where fern puts its runners' cgroups (fern-PID-N): beneath the path
 * that is this process's own in every hierarchy (cgroup_paths.c). */
void e2e_runner_cgroup_parent(char *out, size_t size);
const char *e2e_cgroup_root(void);
/* Fails the test unless every runner directory of fern `fern` is gone
 * within `ms` (inotify). */
void e2e_wait_cgroups_gone(pid_t fern, int ms);
/* The pids of the processes named `comm` whose parent is `parent`. */
int e2e_children_named(pid_t parent, const char *comm, pid_t *pids, int max);
/* Asserts that `first` occurs in `hay` before `second`. */
void e2e_assert_order(const char *hay, const char *first, const char *second);

Suite *run_suite(void);
Suite *lifecycle_suite(void);
Suite *cli_suite(void);
Suite *resolve_suite(void);
Suite *elf_suite(void);
Suite *job_suite(void);
Suite *cgroup_pool_suite(void);
Suite *control_suite(void);
Suite *control_security_suite(void);
Suite *control_budget_suite(void);
Suite *control_pipelining_suite(void);
Suite *sandbox_suite(void);
Suite *oci_suite(void);
Suite *pkg_suite(void);
Suite *capstan_suite(void);
Suite *capstan_compose_suite(void);
Suite *image_root_suite(void);
Suite *capstan_runtimes_suite(void);
Suite *oci_confinement_suite(void);
Suite *oci_terminal_suite(void);
Suite *oci_runtimes_suite(void);
Suite *oci_cgroups_suite(void);
Suite *logs_suite(void);
Suite *costs_suite(void);
Suite *oci_image_suite(void);
Suite *hostile_suite(void);
Suite *faults_suite(void);
Suite *guardian_suite(void);
Suite *lifecycle_edges_suite(void);
Suite *mainpid_suite(void);
Suite *reaping_suite(void);
Suite *validate_suite(void);
Suite *blocking_suite(void);
Suite *exec_checked_suite(void);
Suite *plugin_trust_suite(void);
Suite *elf_reading_suite(void);
Suite *sparse_elf_suite(void);
Suite *sandbox_binds_suite(void);
Suite *sandbox_ldcache_suite(void);
Suite *log_suite(void);
Suite *routes_suite(void);
Suite *directories_suite(void);
Suite *storage_suite(void);
Suite *env_routes_suite(void);
Suite *cml_suite(void);
Suite *config_suite(void);
Suite *stop_deps_suite(void);
Suite *serve_suite(void);

#endif
