/* test_job.c - nothing outlives its component: not its double-forked,
 * setsid()'d descendants, not even when fern itself is SIGKILLed. Every
 * job mechanism this machine allows is exercised. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

#define PROGS "tests/packages/progs/meta/"

/* Runs orphans.cm (the main process leaves 4 descendants, 2 setsid()'d,
 * and exits 0) and checks that all are gone once fern is done. */
static void check_orphans_die(const char *config, const char *mechanism) {
  e2e_proc p;
  const char *with[] = {"run", "--config", config, PROGS "orphans.cm", NULL};
  const char *without[] = {"run", PROGS "orphans.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, config ? with : without), 0);
  if (!e2e_job_mechanism_is(p.err, mechanism)) {
    fprintf(stderr, "skipped the %s job check: this machine gave another "
                    "mechanism:\n%s", mechanism, p.err);
    e2e_free(&p);
    return;
  }
  pid_t pids[16];
  int n = e2e_collect_pids(p.err, "/leaver", pids, 16);
  ck_assert_int_eq(n, 5);
  e2e_assert_all_gone_within(pids, n, 0);
  e2e_free(&p);
}

START_TEST(test_cgroup_job_takes_setsid_descendants) {
  check_orphans_die(NULL, "cgroup");
}
END_TEST

START_TEST(test_subreaper_job_takes_setsid_descendants) {
  check_orphans_die("tests/config/subreaper.json", "subreaper");
}
END_TEST

START_TEST(test_fork_and_sigchld_path_takes_descendants) {
  check_orphans_die("tests/config/sigchld-fork.json", "cgroup");
  e2e_proc p;
  const char *args[] = {"run", "--config", "tests/config/sigchld-fork.json",
                        PROGS "codes.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_has(p.err, "exits watched with SIGCHLD");
  e2e_assert_end(&p, "/three", "instance_died (exit 3)");
  e2e_assert_end(&p, "/abort", "instance_died (signal ABRT");
  e2e_free(&p);
}
END_TEST

/* The weakest mechanism takes the process group; what setsid()'d away is
 * beyond it, which is why it is the last resort. */
START_TEST(test_process_group_job_takes_its_group) {
  e2e_proc p;
  const char *args[] = {"run", "--config", "tests/config/process-group.json",
                        PROGS "orphans.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.err, "job mechanism process_group");
  pid_t pids[16];
  int n = e2e_collect_pids(p.err, "/leaver", pids, 16);
  ck_assert_int_eq(n, 5);
  /* Orphans 1 and 3 stayed in the group; 0 and 2 called setsid(). */
  e2e_assert_all_gone_within(&pids[1], 1, 0);
  e2e_assert_all_gone_within(&pids[3], 1, 0);
  kill(pids[0], SIGKILL);
  kill(pids[2], SIGKILL);
  e2e_free(&p);
}
END_TEST

/* SIGKILL of fern: its guardian kills every component process. */
static void check_sigkill_leaves_nothing(const char *config,
                                         const char *mechanism) {
  e2e_proc p;
  const char *with[] = {"run", "--config", config, PROGS "orphans-wait.cm",
                        NULL};
  const char *without[] = {"run", PROGS "orphans-wait.cm", NULL};
  e2e_start(&p, config ? with : without);
  e2e_wait_for(&p, "[/holder] ready", 20000);
  if (!e2e_job_mechanism_is(p.err, mechanism)) {
    kill(p.pid, SIGTERM);
    e2e_finish(&p, 20000);
    fprintf(stderr, "skipped the SIGKILL check for %s: not in use here\n",
            mechanism);
    e2e_free(&p);
    return;
  }
  pid_t pids[16];
  int n = e2e_collect_pids(p.err, "/holder", pids, 16);
  ck_assert_int_eq(n, 5);
  kill(p.pid, SIGKILL);
  ck_assert_int_eq(e2e_finish(&p, 20000), 128 + SIGKILL);
  e2e_assert_all_gone_within(pids, n, 10000);
  /* The guardian also removes fern's cgroups: wait for their deletion. */
  e2e_wait_cgroups_gone(p.pid, 10000);
  e2e_free(&p);
  /* And the next fern starts clean. */
  const char *again[] = {"run", PROGS "orphans.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, again), 0);
  e2e_free(&p);
}

START_TEST(test_sigkill_of_fern_leaves_nothing_cgroup) {
  check_sigkill_leaves_nothing(NULL, "cgroup");
}
END_TEST

START_TEST(test_sigkill_of_fern_leaves_nothing_subreaper) {
  check_sigkill_leaves_nothing("tests/config/subreaper.json", "subreaper");
}
END_TEST

/* A stop takes the descendants too, not only the main process. */
START_TEST(test_stop_takes_descendants) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "orphans-wait.cm", NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/holder] ready", 20000);
  pid_t pids[16];
  int n = e2e_collect_pids(p.err, "/holder", pids, 16);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  e2e_assert_end(&p, "/holder", "ok (signal TERM)");
  e2e_assert_all_gone_within(pids, n, 0);
  e2e_free(&p);
}
END_TEST

Suite *job_suite(void) {
  Suite *s = suite_create("job");
  TCase *tc = tcase_create("job");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_cgroup_job_takes_setsid_descendants);
  tcase_add_test(tc, test_subreaper_job_takes_setsid_descendants);
  tcase_add_test(tc, test_fork_and_sigchld_path_takes_descendants);
  tcase_add_test(tc, test_process_group_job_takes_its_group);
  tcase_add_test(tc, test_sigkill_of_fern_leaves_nothing_cgroup);
  tcase_add_test(tc, test_sigkill_of_fern_leaves_nothing_subreaper);
  tcase_add_test(tc, test_stop_takes_descendants);
  suite_add_tcase(s, tc);
  return s;
}
