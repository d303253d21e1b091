/* test_slurm_trouble.c - the Slurm runner when Slurm is in trouble: a
 * controller down at start, frozen, restarted while jobs run, gone for too
 * long; jobs cancelled from outside; a fern killed while its jobs run.
 * Each ends in a clear state and the local sibling runs on. */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slurm_e2e.h"

/* The controller is down when the tree boots: the Slurm components fail
 * with Slurm's own words, the local one runs, fern ends. */
START_TEST(test_controller_down_at_start) {
  char pkg[4096];
  package(pkg, "");
  batch_live_steady(pkg, "\"print\", \"never\"",
                    "\"print\", \"steady is fine\"");
  controller("stop");
  e2e_proc p;
  start(&p, pkg);
  int status = e2e_finish(&p, 60000);
  controller("start");
  ck_assert_int_eq(status, 1);
  e2e_assert_has(p.err,
                 "/batch: error: cannot_start: sbatch failed: Batch job "
                 "submission failed: Unable to contact slurm controller");
  e2e_assert_has(p.err,
                 "/live: error: cannot_start: srun failed: Unable to "
                 "allocate resources: Unable to contact slurm controller");
  e2e_assert_has(p.err, "[/steady] steady is fine\n");
  e2e_assert_has(p.err, "/steady: stopped: ok (exit 0)");
  e2e_assert_lacks(p.err, "[/batch] never");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* The controller is there but does not answer (frozen): sbatch is given
 * up at command_timeout_ms, srun gives up by itself; fern never hangs and
 * the local sibling runs. */
START_TEST(test_controller_that_does_not_answer) {
  char pkg[4096];
  package(pkg, ", \"command_timeout_ms\": 1500");
  batch_live_steady(pkg, "\"print\", \"never\"",
                    "\"print\", \"steady is fine\"");
  ck_assert_int_eq(signal_controller(SIGSTOP), 0);
  e2e_proc p;
  start(&p, pkg);
  int status = e2e_finish(&p, 60000);
  ck_assert_int_eq(signal_controller(SIGCONT), 0);
  ck_assert_int_eq(status, 1);
  e2e_assert_has(p.err, "/batch: error: cannot_start: sbatch did not answer "
                        "within 1500 ms: is the Slurm controller up?");
  e2e_assert_has(p.err, "/live: error: cannot_start: srun failed: Unable to "
                        "allocate resources");
  e2e_assert_has(p.err, "/steady: stopped: ok (exit 0)");
  e2e_assert_lacks(p.err, "never");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* The controller restarts while jobs run: fern follows them through it
 * and reports their real end; the local sibling never notices. */
START_TEST(test_controller_restart_while_jobs_run) {
  char pkg[4096];
  package(pkg, "");
  batch_live_steady(pkg, "\"run-for\", \"4000\", \"0\"", "\"sleep\"");
  e2e_proc p;
  start_jobs(&p, pkg);
  controller("stop");
  controller("start");
  e2e_wait_for(&p, "/batch: stopped: ok (exit 0)", 60000);
  e2e_wait_for(&p, "/live: stopped: ok (exit 0)", 60000);
  e2e_assert_lacks(p.err, "/steady: stopped");
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_has(p.err, "/steady: stopped: ok");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* The controller stays away past controller_timeout_ms: the batch job's
 * component fails with a message that says what became of the job; the
 * local sibling runs on. */
START_TEST(test_controller_gone_too_long_fails_only_its_jobs) {
  char pkg[4096];
  package(pkg,
         ", \"controller_timeout_ms\": 2000, \"command_timeout_ms\": 1000");
  job(pkg, "batch", "\"args\": [\"sleep\"]");
  local(pkg, "steady", "\"sleep\"");
  const char *names[] = {"batch", "steady", NULL};
  root_of(pkg, names);
  e2e_proc p;
  start(&p, pkg);
  e2e_wait_for(&p, "/batch: started", 30000);
  e2e_wait_for(&p, "[/steady] ready", 30000);
  long id = job_id(p.err, "/batch");
  controller("stop");
  e2e_wait_for(&p,
               "/batch: error: stopped: instance_died: the Slurm "
               "controller has not answered for ",
               30000);
  controller("start");
  char line[160];
  snprintf(line, sizeof line,
           "slurm job %ld (last seen RUNNING) is left to "
           "Slurm: see it with squeue, cancel it with scancel %ld",
           id, id);
  e2e_assert_has(p.err, line);
  e2e_assert_has(p.err, "slurm runner: squeue failed (no answer in time)");
  e2e_assert_lacks(p.err, "/steady: stopped");
  ck_assert_int_eq(sh("scancel %ld", id), 0);
  job_becomes(id, "", 10000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/steady: stopped: ok");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Jobs cancelled from outside with scancel end as what they are, in both
 * modes; the local sibling runs on. */
START_TEST(test_jobs_cancelled_outside_fern) {
  char pkg[4096];
  package(pkg, "");
  batch_live_steady(pkg, "\"sleep\"", "\"sleep\"");
  e2e_proc p;
  start_jobs(&p, pkg);
  long batch = job_id(p.err, "/batch"), live = job_id(p.err, "/live");
  ck_assert_int_eq(sh("scancel %ld %ld", batch, live), 0);
  char line[200];
  snprintf(line, sizeof line,
           "/batch: error: stopped: instance_died: slurm "
           "job %ld CANCELLED on localhost: it was cancelled outside fern",
           batch);
  e2e_wait_for(&p, line, 30000);
  snprintf(line, sizeof line,
           "/live: error: stopped: instance_died: slurm "
           "job %ld CANCELLED on localhost: it was cancelled outside fern",
           live);
  e2e_wait_for(&p, line, 30000);
  e2e_assert_lacks(p.err, "/steady: stopped");
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/steady: stopped: ok");
  nothing_runs_from(pkg, 10000);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* fern is killed with SIGKILL while its jobs run: the next fern on this
 * host that uses the runner cancels them. */
START_TEST(test_jobs_of_a_killed_fern_are_cancelled_by_the_next) {
  char pkg[4096];
  package(pkg, "");
  batch_live_steady(pkg, "\"sleep\"", NULL);
  e2e_proc p;
  start_jobs(&p, pkg);
  long batch = job_id(p.err, "/batch"), live = job_id(p.err, "/live");
  kill(p.pid, SIGKILL);
  ck_assert_int_eq(e2e_finish(&p, 10000), 128 + SIGKILL);
  e2e_free(&p);
  job_becomes(batch, "RUNNING", 1000); /* left running by the dead fern */
  job(pkg, "next", "\"args\": [\"print\", \"the next fern\"]");
  const char *next[] = {"next", NULL};
  root_of(pkg, next);
  start(&p, pkg);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  /* Both jobs, in the order squeue lists them. */
  char one[200], other[200];
  snprintf(one, sizeof one,
           "slurm runner: cancelling slurm jobs %ld, %ld, left by a fern on "
           "this host that is gone",
           batch, live);
  snprintf(other, sizeof other,
           "slurm runner: cancelling slurm jobs %ld, %ld, left by a fern on "
           "this host that is gone",
           live, batch);
  ck_assert_msg(strstr(p.err, one) != NULL || strstr(p.err, other) != NULL,
                "expected jobs %ld and %ld cancelled in:\n%s", batch, live,
                p.err);
  job_becomes(batch, "", 20000);
  job_becomes(live, "", 20000);
  nothing_runs_from(pkg, 20000);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *slurm_trouble_suite(void) {
  Suite *s = suite_create("slurm_trouble");
  TCase *tc = tcase_create("slurm_trouble");
  tcase_set_timeout(tc, 120);
  tcase_add_checked_fixture(tc, clean_cluster, NULL);
  tcase_add_test(tc, test_controller_down_at_start);
  tcase_add_test(tc, test_controller_that_does_not_answer);
  tcase_add_test(tc, test_controller_restart_while_jobs_run);
  tcase_add_test(tc, test_controller_gone_too_long_fails_only_its_jobs);
  tcase_add_test(tc, test_jobs_cancelled_outside_fern);
  tcase_add_test(tc, test_jobs_of_a_killed_fern_are_cancelled_by_the_next);
  suite_add_tcase(s, tc);
  return s;
}
