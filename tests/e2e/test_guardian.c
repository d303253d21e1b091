/* test_guardian.c - nothing outlives fern, whatever kills it: a SIGKILL of
 * its whole process group (the guardian lives in a session of its own), a
 * SIGKILL of the guardian first (fern notices, says so and starts
 * another), or both dead at once (the next fern ends what they left). Each
 * case runs with cgroup jobs and with subreaper jobs. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

#define SUBREAPER "tests/config/subreaper.json"
#define MAX_PIDS 16

/* Each case runs once per job mechanism (Check's loop index). */
typedef struct mechanism_s {
  const char *config; /* NULL: fern's default */
  const char *name;
} job_mechanism;

static const job_mechanism mechanisms[] = {{NULL, "cgroup"},
                                       {SUBREAPER, "subreaper"}};

/* A fern running a package whose /holder left 4 descendants (2 of them
 * setsid()'d) and waits. */
typedef struct holder_run_s {
  e2e_proc fern;
  char pkg[256];
  const job_mechanism *mechanism;
  pid_t pids[MAX_PIDS]; /* the descendants and the main process */
  int fds[MAX_PIDS];    /* their pidfds */
  int n;
} holder_run;

static const char *const *holder_args(const holder_run *h, const char **args) {
  int i = 0;
  args[i++] = "run";
  if (h->mechanism->config != NULL) {
    args[i++] = "--config";
    args[i++] = h->mechanism->config;
  }
  args[i++] = h->pkg;
  args[i] = NULL;
  return args;
}

/* Starts it with mechanism `which` (by `start`); returns 0 with the reason
 * printed when this machine does not give that mechanism. */
static int holder_start(holder_run *h, int which,
                        void (*start)(e2e_proc *, const char *const *)) {
  h->mechanism = &mechanisms[which];
  e2e_package_new(h->pkg, sizeof h->pkg);
  e2e_package_program(h->pkg, "holder", "elf",
                      "\"args\": [\"orphans-wait\", \"4\"]");
  const char *names[] = {"holder", NULL}, *args[6];
  e2e_package_root(h->pkg, names, 0);
  start(&h->fern, holder_args(h, args));
  e2e_wait_for(&h->fern, "[/holder] ready", 20000);
  if (!e2e_job_mechanism_is(h->fern.err, h->mechanism->name)) {
    fprintf(stderr, "skipped: this machine gives fern no %s jobs\n",
            h->mechanism->name);
    kill(h->fern.pid, SIGTERM);
    e2e_finish(&h->fern, 20000);
    return 0;
  }
  h->n = e2e_collect_pids(h->fern.err, "/holder", h->pids, MAX_PIDS);
  ck_assert_int_eq(h->n, 5);
  e2e_pidfds_open(h->pids, h->n, h->fds);
  return 1;
}

static void holder_done(holder_run *h) {
  e2e_free(&h->fern);
  e2e_package_remove(h->pkg);
}

/* The guardians of fern `fern` (one per runner of the ELF family). */
static int guardians_of(pid_t fern, pid_t *pids, int max) {
  return e2e_children_named(fern, "fern-guardian", pids, max);
}

/* Asserts that `pid` is alive and a child of `parent`. */
static void assert_child_of(pid_t pid, pid_t parent) {
  char path[64], stat[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "process %d is gone", (int)pid);
  size_t n = fread(stat, 1, sizeof stat - 1, f);
  fclose(f);
  stat[n] = '\0';
  long ppid = 0;
  ck_assert_int_eq(sscanf(strrchr(stat, ')') + 2, "%*c %ld", &ppid), 1);
  ck_assert_int_eq(ppid, parent);
  ck_assert(e2e_process_alive(pid));
}

/* `kill -9 -PGID`, as a shell's `kill -9 %1` or a service manager does:
 * fern and everything in its group; the guardian is not in it. */
START_TEST(test_group_kill_leaves_nothing) {
  holder_run h;
  if (holder_start(&h, _i, e2e_start_own_group)) {
    ck_assert_int_eq(kill(-h.fern.pid, SIGKILL), 0);
    ck_assert_int_eq(e2e_finish(&h.fern, 20000), 128 + SIGKILL);
    e2e_assert_pidfds_gone_within(h.fds, h.pids, h.n, 10000);
    if (h.mechanism->config == NULL)
      e2e_wait_cgroups_gone(h.fern.pid, 10000);
  }
  holder_done(&h);
}
END_TEST

/* The guardian is killed alone: fern says so, starts another, and that
 * one does the guardian's work when fern is killed in turn. */
START_TEST(test_lost_guardian_is_said_and_replaced) {
  holder_run h;
  if (holder_start(&h, _i, e2e_start)) {
    pid_t before[4];
    ck_assert_int_eq(guardians_of(h.fern.pid, before, 4), 1);
    ck_assert_int_eq(kill(before[0], SIGKILL), 0);
    char said[128];
    snprintf(said, sizeof said,
             "fern: error: the guardian (pid %d) killed by SIGKILL; started "
             "another (pid ",
             (int)before[0]);
    e2e_wait_for(&h.fern, said, 10000);
    pid_t replaced = (pid_t)atol(strstr(h.fern.err, said) + strlen(said));
    assert_child_of(replaced, h.fern.pid);
    ck_assert_int_ne(replaced, before[0]);
    kill(h.fern.pid, SIGKILL);
    e2e_finish(&h.fern, 20000);
    e2e_assert_pidfds_gone_within(h.fds, h.pids, h.n, 10000);
  }
  holder_done(&h);
}
END_TEST

/* fern and its guardian both die (fern stopped first, so it cannot start
 * another): the descendants run on, until the next fern ends them. */
START_TEST(test_next_fern_ends_what_a_dead_one_left) {
  holder_run h;
  if (holder_start(&h, _i, e2e_start)) {
    pid_t guardians[4];
    ck_assert_int_eq(kill(h.fern.pid, SIGSTOP), 0);
    ck_assert_int_eq(guardians_of(h.fern.pid, guardians, 4), 1);
    ck_assert_int_eq(kill(guardians[0], SIGKILL), 0);
    ck_assert_int_eq(kill(h.fern.pid, SIGKILL), 0);
    e2e_finish(&h.fern, 20000);
    /* Nothing ends them now: the first orphan (a setsid()'d one) lives. */
    struct pollfd first = {h.fds[0], POLLIN, 0};
    ck_assert_msg(poll(&first, 1, 0) == 0,
                  "the descendants died without a sweep");
    e2e_proc next;
    const char *args[6];
    e2e_start(&next, holder_args(&h, args));
    e2e_wait_for(&next, "[/holder] ready", 20000);
    e2e_wait_for(&next, "ended what a dead fern left: ", 20000);
    e2e_assert_pidfds_gone_within(h.fds, h.pids, h.n, 10000);
    if (h.mechanism->config == NULL) {
      char tree[64];
      snprintf(tree, sizeof tree, "/fern-%d-1", (int)h.fern.pid);
      e2e_assert_has(next.err, tree);
      e2e_wait_cgroups_gone(h.fern.pid, 10000);
    }
    kill(next.pid, SIGTERM);
    ck_assert_int_eq(e2e_finish(&next, 20000), 0);
    e2e_free(&next);
  }
  holder_done(&h);
}
END_TEST

/* A mark as fern gives them ("FERN_JOB=<pid>@<pid namespace>.<n>"),
 * naming a pid that never was a fern (above any pid_max) in the pid
 * namespace `ns`. */
static void forged_mark(char *out, size_t size, unsigned long ns) {
  snprintf(out, size, "FERN_JOB=4194305@%lu.1", ns);
}

static unsigned long own_pid_namespace(void) {
  struct stat st;
  ck_assert_int_eq(stat("/proc/self/ns/pid", &st), 0);
  return (unsigned long)st.st_ino;
}

/* Starts `argv` (as `uid`/`gid` unless they are 0) with `mark` (or
 * nothing) as its environment; returns its pid. */
static pid_t start_marked(const char *const *argv, const char *mark,
                          uid_t uid, gid_t gid) {
  pid_t pid = fork();
  if (pid == 0) {
    if (uid != 0 && (setgroups(0, NULL) != 0 || setgid(gid) != 0 ||
                     setuid(uid) != 0))
      _exit(99);
    char *const envp[] = {(char *)mark, NULL};
    execve(argv[0], (char *const *)argv, envp);
    _exit(98);
  }
  ck_assert_int_gt(pid, 0);
  return pid;
}

/* The sleep that `unshare --pid --fork` (pid `outer`) started in a pid
 * namespace of its own. */
static pid_t nested_sleeper(pid_t outer) {
  pid_t inner;
  long deadline = e2e_now_ms() + 10000;
  while (e2e_children_named(outer, "sleep", &inner, 1) != 1) {
    ck_assert_msg(e2e_now_ms() < deadline, "unshare started no sleep");
    poll(NULL, 0, 10); /* no event says a child was born */
  }
  return inner;
}

static void assert_running(const int *fds, int n, const char *what) {
  for (int i = 0; i < n; i++) {
    struct pollfd pfd = {fds[i], POLLIN, 0};
    ck_assert_msg(poll(&pfd, 1, 0) == 0, "%s #%d ended", what, i);
  }
}

/* A fern's sweep ends what only a dead fern could have left, in its own
 * pid namespace or below it, and nothing else that carries a mark: not a
 * live fern's components, not another user's process, not a mark of
 * another pid namespace's fern, not the fern's own ancestor; and fern
 * check sweeps nothing. */
START_TEST(test_the_sweep_spares_what_no_dead_fern_left) {
  holder_run live;
  uid_t uid;
  gid_t gid;
  if (!holder_start(&live, 0, e2e_start) ||
      e2e_test_user("fern-sweep-other", &uid, &gid) != 0) {
    holder_done(&live);
    return;
  }
  char ours[64], theirs[64];
  forged_mark(ours, sizeof ours, own_pid_namespace());
  forged_mark(theirs, sizeof theirs, 1);
  const char *sleeper[] = {"/usr/bin/sleep", "300", NULL};
  const char *nested[] = {"/usr/bin/unshare", "--pid", "--fork",
                          "/usr/bin/env", ours, "/usr/bin/sleep", "300",
                          NULL};
  pid_t spared[2] = {start_marked(sleeper, ours, uid, gid),
                     start_marked(sleeper, theirs, 0, 0)};
  pid_t outer = start_marked(nested, NULL, 0, 0);
  pid_t doomed[2] = {start_marked(sleeper, ours, 0, 0), nested_sleeper(outer)};
  int spared_fds[2], doomed_fds[2];
  e2e_pidfds_open(spared, 2, spared_fds);
  e2e_pidfds_open(doomed, 2, doomed_fds);
  e2e_package_program(live.pkg, "alone", "elf",
                      "\"args\": [\"print\", \"alone\"]");
  /* fern check makes runners only to validate: it ends nothing. */
  e2e_proc check;
  char manifest[4200];
  snprintf(manifest, sizeof manifest, "%s/meta/alone.cm", live.pkg);
  const char *check_args[] = {"check", manifest, NULL};
  ck_assert_int_eq(e2e_run(&check, 20000, check_args), 0);
  e2e_free(&check);
  assert_running(doomed_fds, 2, "after fern check, doomed");
  /* fern run, its parent shell carrying a dead fern's mark. */
  char log[4300], cmd[9000];
  snprintf(log, sizeof log, "%s/next.log", live.pkg);
  snprintf(cmd, sizeof cmd,
           "%s sh -c '\"$0\" run \"$1\" 2>\"$2\"; echo ancestor-lives "
           ">>\"$2\"' '%s/fern' '%s' '%s'",
           ours, e2e_build(), manifest, log);
  ck_assert_int_eq(system(cmd), 0);
  char said[8192] = "";
  FILE *f = fopen(log, "r");
  ck_assert_ptr_nonnull(f);
  said[fread(said, 1, sizeof said - 1, f)] = '\0';
  fclose(f);
  e2e_assert_has(said, "ended what a dead fern left: ");
  e2e_assert_has(said, "ancestor-lives\n");
  e2e_assert_pidfds_gone_within(doomed_fds, doomed, 2, 10000);
  assert_running(spared_fds, 2, "spared");
  assert_running(live.fds, live.n, "a live fern's");
  for (int i = 0; i < 2; i++) {
    kill(spared[i], SIGKILL);
    waitpid(spared[i], NULL, 0);
  }
  waitpid(doomed[0], NULL, 0);
  waitpid(outer, NULL, 0);
  kill(live.fern.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&live.fern, 20000), 0);
  holder_done(&live);
}
END_TEST

/* Subreaper jobs hold a descendant that cleared its environment (no
 * FERN_JOB mark) by its session; and the runner says plainly what they
 * cannot hold. */
START_TEST(test_subreaper_holds_a_descendant_with_a_clean_environment) {
  char pkg[256];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_program(pkg, "leaver", "elf", "\"args\": [\"clean-env\"]");
  const char *names[] = {"leaver", NULL};
  e2e_package_root(pkg, names, 0);
  e2e_proc p;
  const char *args[] = {"run", "--config", SUBREAPER, pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  if (e2e_job_mechanism_is(p.err, "subreaper")) {
    pid_t pids[MAX_PIDS];
    int n = e2e_collect_pids(p.err, "/leaver", pids, MAX_PIDS);
    ck_assert_int_eq(n, 2);
    e2e_assert_all_gone_within(pids, n, 0);
    e2e_assert_has(p.err, "a descendant that starts a session of its own and "
                          "clears its environment escapes its job");
  } else {
    fprintf(stderr, "skipped: this machine gives fern no subreaper jobs\n");
  }
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A job's descendant in a pid namespace of its own (setsid'd too) still
 * carries the job's mark, which names fern's namespace: subreaper jobs
 * end it when the component stops, and the guardian when fern is killed
 * (loop index 1: by SIGKILL). */
START_TEST(test_a_jobs_descendant_in_a_nested_pid_namespace_goes_with_it) {
  char pkg[256];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_copy(pkg, "/bin/dash", "bin/sh");
  e2e_package_write(pkg, "meta/nested.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/sh\", \"args\": [\"-c\", \"/usr/bin/unshare "
                    "--pid --fork /usr/bin/setsid /usr/bin/sleep 1111 & "
                    "echo outer $!; exec /usr/bin/sleep 2222\"]}}");
  const char *names[] = {"nested", NULL};
  e2e_package_root(pkg, names, 0);
  e2e_proc p;
  const char *args[] = {"run", "--config", SUBREAPER, pkg, NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/nested] outer ", 20000);
  if (!e2e_job_mechanism_is(p.err, "subreaper")) {
    fprintf(stderr, "skipped: this machine gives fern no subreaper jobs\n");
    kill(p.pid, SIGTERM);
  } else {
    pid_t inner = nested_sleeper((pid_t)atol(strstr(p.err, "[/nested] outer ") +
                                             strlen("[/nested] outer ")));
    int fd;
    e2e_pidfds_open(&inner, 1, &fd);
    kill(p.pid, _i == 0 ? SIGTERM : SIGKILL);
    e2e_assert_pidfds_gone_within(&fd, &inner, 1, 10000);
  }
  e2e_finish(&p, 20000);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *guardian_suite(void) {
  Suite *s = suite_create("guardian");
  TCase *tc = tcase_create("guardian");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_group_kill_leaves_nothing, 0, 2);
  tcase_add_loop_test(tc, test_lost_guardian_is_said_and_replaced, 0, 2);
  tcase_add_loop_test(tc, test_next_fern_ends_what_a_dead_one_left, 0, 2);
  tcase_add_test(tc, test_subreaper_holds_a_descendant_with_a_clean_environment);
  tcase_add_test(tc, test_the_sweep_spares_what_no_dead_fern_left);
  tcase_add_loop_test(
      tc, test_a_jobs_descendant_in_a_nested_pid_namespace_goes_with_it, 0, 2);
  suite_add_tcase(s, tc);
  return s;
}
