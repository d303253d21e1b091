/* test_guardian.c - nothing outlives fern, whatever kills it: a SIGKILL of
 * its whole process group (the guardian lives in a session of its own), a
 * SIGKILL of the guardian first (fern notices, says so and starts
 * another), or both dead at once (the next fern ends what they left). Each
 * case runs with cgroup jobs and with subreaper jobs. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "e2e.h"

#define SUBREAPER "tests/config/subreaper.json"
#define MAX_PIDS 16

/* A package whose /holder leaves 4 descendants (2 setsid()'d), then waits;
 * fern runs it with `config` (or none), started by `start`. Returns 0 with
 * the reason printed when this machine does not give `mechanism`. */
static int run_holder(e2e_proc *p, char *pkg, size_t size, const char *config,
                      const char *mechanism,
                      void (*start)(e2e_proc *, const char *const *)) {
  e2e_package_new(pkg, size);
  e2e_package_program(pkg, "holder", "elf",
                      "\"args\": [\"orphans-wait\", \"4\"]");
  const char *names[] = {"holder", NULL};
  e2e_package_root(pkg, names, 0);
  const char *with[] = {"run", "--config", config, pkg, NULL};
  const char *without[] = {"run", pkg, NULL};
  start(p, config ? with : without);
  e2e_wait_for(p, "[/holder] ready", 20000);
  if (e2e_job_mechanism_is(p->err, mechanism))
    return 1;
  fprintf(stderr, "skipped: this machine gives fern no %s jobs\n", mechanism);
  kill(p->pid, SIGTERM);
  e2e_finish(p, 20000);
  return 0;
}

static void done(e2e_proc *p, const char *pkg) {
  e2e_free(p);
  e2e_package_remove(pkg);
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
static void check_group_kill(const char *config, const char *mechanism) {
  e2e_proc p;
  char pkg[256];
  if (run_holder(&p, pkg, sizeof pkg, config, mechanism, e2e_start_own_group)) {
    pid_t pids[MAX_PIDS];
    int n = e2e_collect_pids(p.err, "/holder", pids, MAX_PIDS);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(kill(-p.pid, SIGKILL), 0);
    ck_assert_int_eq(e2e_finish(&p, 20000), 128 + SIGKILL);
    e2e_assert_all_gone_within(pids, n, 10000);
    if (config == NULL)
      e2e_wait_cgroups_gone(p.pid, 10000);
  }
  done(&p, pkg);
}

START_TEST(test_group_kill_leaves_nothing_cgroup) {
  check_group_kill(NULL, "cgroup");
}
END_TEST

START_TEST(test_group_kill_leaves_nothing_subreaper) {
  check_group_kill(SUBREAPER, "subreaper");
}
END_TEST

/* The guardian is killed alone: fern says so, starts another, and that
 * one does the guardian's work when fern is killed in turn. */
static void check_lost_guardian(const char *config, const char *mechanism) {
  e2e_proc p;
  char pkg[256];
  if (run_holder(&p, pkg, sizeof pkg, config, mechanism, e2e_start)) {
    pid_t pids[MAX_PIDS], before[4];
    int n = e2e_collect_pids(p.err, "/holder", pids, MAX_PIDS);
    ck_assert_int_eq(guardians_of(p.pid, before, 4), 1);
    ck_assert_int_eq(kill(before[0], SIGKILL), 0);
    char said[128];
    snprintf(said, sizeof said,
             "fern: error: the guardian (pid %d) killed by SIGKILL; started "
             "another (pid ",
             (int)before[0]);
    e2e_wait_for(&p, said, 10000);
    pid_t replaced = (pid_t)atol(strstr(p.err, said) + strlen(said));
    assert_child_of(replaced, p.pid);
    ck_assert_int_ne(replaced, before[0]);
    kill(p.pid, SIGKILL);
    e2e_finish(&p, 20000);
    e2e_assert_all_gone_within(pids, n, 10000);
  }
  done(&p, pkg);
}

START_TEST(test_lost_guardian_is_said_and_replaced_cgroup) {
  check_lost_guardian(NULL, "cgroup");
}
END_TEST

START_TEST(test_lost_guardian_is_said_and_replaced_subreaper) {
  check_lost_guardian(SUBREAPER, "subreaper");
}
END_TEST

/* fern and its guardian both die (fern stopped first, so it cannot start
 * another): the descendants run on, until the next fern ends them. */
static void check_next_fern_sweeps(const char *config, const char *mechanism) {
  e2e_proc p;
  char pkg[256];
  if (run_holder(&p, pkg, sizeof pkg, config, mechanism, e2e_start)) {
    pid_t pids[MAX_PIDS], guardians[4];
    int n = e2e_collect_pids(p.err, "/holder", pids, MAX_PIDS);
    ck_assert_int_eq(kill(p.pid, SIGSTOP), 0);
    int g = guardians_of(p.pid, guardians, 4);
    ck_assert_int_eq(g, 1);
    ck_assert_int_eq(kill(guardians[0], SIGKILL), 0);
    ck_assert_int_eq(kill(p.pid, SIGKILL), 0);
    e2e_finish(&p, 20000);
    /* Nothing ends them now: the first orphan (a setsid()'d one) lives. */
    ck_assert_msg(e2e_process_alive(pids[0]),
                  "the descendants died without a sweep");
    e2e_proc next;
    const char *with[] = {"run", "--config", config, pkg, NULL};
    const char *without[] = {"run", pkg, NULL};
    e2e_start(&next, config ? with : without);
    e2e_wait_for(&next, "[/holder] ready", 20000);
    e2e_assert_has(next.err, "ended what a dead fern left: ");
    e2e_assert_all_gone_within(pids, n, 10000);
    if (config == NULL) {
      char tree[64];
      snprintf(tree, sizeof tree, "/fern-%d-1", (int)p.pid);
      e2e_assert_has(next.err, tree);
      e2e_wait_cgroups_gone(p.pid, 10000);
    }
    kill(next.pid, SIGTERM);
    ck_assert_int_eq(e2e_finish(&next, 20000), 0);
    e2e_free(&next);
  }
  done(&p, pkg);
}

START_TEST(test_next_fern_ends_what_a_dead_one_left_cgroup) {
  check_next_fern_sweeps(NULL, "cgroup");
}
END_TEST

START_TEST(test_next_fern_ends_what_a_dead_one_left_subreaper) {
  check_next_fern_sweeps(SUBREAPER, "subreaper");
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
  done(&p, pkg);
}
END_TEST

Suite *guardian_suite(void) {
  Suite *s = suite_create("guardian");
  TCase *tc = tcase_create("guardian");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_group_kill_leaves_nothing_cgroup);
  tcase_add_test(tc, test_group_kill_leaves_nothing_subreaper);
  tcase_add_test(tc, test_lost_guardian_is_said_and_replaced_cgroup);
  tcase_add_test(tc, test_lost_guardian_is_said_and_replaced_subreaper);
  tcase_add_test(tc, test_next_fern_ends_what_a_dead_one_left_cgroup);
  tcase_add_test(tc, test_next_fern_ends_what_a_dead_one_left_subreaper);
  tcase_add_test(tc, test_subreaper_holds_a_descendant_with_a_clean_environment);
  suite_add_tcase(s, tc);
  return s;
}
