/* test_cgroup_pool.c - a cgroup a component left empty serves the next
 * start, and only then: not one its program froze, not one it made cgroups
 * in, not one cgroup.kill ended; and none is left behind once fern is
 * done, not even when fern is SIGKILLed. Most trees restart one
 * component (restart policy "always") and reads the cgroup every run
 * prints. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control_client.h"
#include "e2e.h"
#include "event_asserts.h"

#define RUNS_MAX 4

/* A package whose root restarts /again (tool ARGS) `restarts` times. */
static void package_restarting(char *dir, size_t size, const char *args,
                               int restarts) {
  e2e_package_new(dir, size);
  char fields[128], root[512];
  snprintf(fields, sizeof fields, "\"args\": %s", args);
  e2e_package_program(dir, "again", "elf", fields);
  snprintf(root, sizeof root,
           "{\"children\": [{\"name\": \"again\", \"url\": \"#meta/again.cm\","
           " \"startup\": \"eager\", \"restart\": {\"policy\": \"always\","
           " \"initial_delay_ms\": 5, \"burst_count\": %d}}]}\n",
           restarts);
  e2e_package_write(dir, "meta/root.cm", root);
}

/* The cgroup directories the runs printed ("[/again] cgroup DIR"). */
static int printed_cgroups(const char *err, char dirs[][512], int max) {
  int n = 0;
  const char *tag = "[/again] cgroup ";
  for (const char *at = strstr(err, tag); at != NULL && n < max;
       at = strstr(at + 1, tag)) {
    at += strlen(tag);
    snprintf(dirs[n], sizeof dirs[n], "%.*s", (int)strcspn(at, "\n"), at);
    n++;
  }
  return n;
}

static int uses_cgroups(const char *err) {
  if (strstr(err, "job mechanism cgroup") != NULL)
    return 1;
  fprintf(stderr, "skipped: this machine gives fern no cgroup v2 jobs\n");
  return 0;
}

/* The runner's own directory (fern-PID-N) is gone, and with it every
 * cgroup fern made in it. */
static void assert_runner_cgroups_gone(const char *cgroup) {
  char base[512];
  snprintf(base, sizeof base, "%s", cgroup);
  *strrchr(base, '/') = '\0';
  struct stat st;
  ck_assert_msg(stat(base, &st) != 0 && errno == ENOENT,
                "fern left its cgroups behind: %s", base);
}

/* The pid of /again's run number `run` (from 0), from its started line. */
static pid_t started_pid(const char *err, int run) {
  const char *tag = "/again: started (pid ";
  const char *at = strstr(err, tag);
  for (int i = 0; i < run && at != NULL; i++)
    at = strstr(at + 1, tag);
  ck_assert_msg(at != NULL, "no run %d in:\n%s", run, err);
  return (pid_t)atol(at + strlen(tag));
}

/* Waits until the cgroup at `dir` reports itself frozen. */
static void wait_frozen(const char *dir, int ms) {
  char path[600], events[256];
  snprintf(path, sizeof path, "%s/cgroup.events", dir);
  long deadline = e2e_now_ms() + ms;
  for (;;) {
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(events, 1, sizeof events - 1, f) : 0;
    if (f != NULL)
      fclose(f);
    events[n] = '\0';
    if (strstr(events, "frozen 1") != NULL)
      return;
    ck_assert_msg(e2e_now_ms() < deadline, "%s never froze: %s", dir, events);
    poll(NULL, 0, 10); /* the freezer has no event to wait on here */
  }
}

/* Runs the restarting package to its end; 1 if fern's jobs are cgroups
 * (the cases apply), else 0 with the reason printed. */
static int run_to_end(char *dir, size_t size, const char *args, int restarts,
                      e2e_proc *p) {
  package_restarting(dir, size, args, restarts);
  char root[300];
  snprintf(root, sizeof root, "%s/meta/root.cm", dir);
  const char *run[] = {"run", root, NULL};
  e2e_run(p, 20000, run);
  return uses_cgroups(p->err);
}

START_TEST(test_emptied_cgroup_serves_the_next_start) {
  char dir[256], dirs[RUNS_MAX][512];
  e2e_proc p;
  if (run_to_end(dir, sizeof dir, "[\"cgroup\"]", 2, &p)) {
    ck_assert_int_eq(printed_cgroups(p.err, dirs, RUNS_MAX), 3);
    e2e_assert_has(dirs[0], "/fern-");
    ck_assert_str_eq(dirs[1], dirs[0]);
    ck_assert_str_eq(dirs[2], dirs[0]);
    assert_runner_cgroups_gone(dirs[0]);
  }
  e2e_free(&p);
  e2e_package_remove(dir);
}
END_TEST

/* A program froze its own cgroup and was killed: the next run gets
 * another one, and runs. */
START_TEST(test_frozen_cgroup_is_not_used_again) {
  char dir[256];
  package_restarting(dir, sizeof dir, "[\"freeze-self\"]", 1);
  char root[300];
  snprintf(root, sizeof root, "%s/meta/root.cm", dir);
  const char *args[] = {"run", root, NULL};
  e2e_proc p;
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/again] cgroup ", 20000);
  if (!uses_cgroups(p.err)) {
    kill(p.pid, SIGTERM);
    e2e_finish(&p, 20000);
    e2e_free(&p);
    e2e_package_remove(dir);
    return;
  }
  char dirs[RUNS_MAX][512];
  for (int run = 0; run < 2; run++) {
    e2e_wait_for_count(&p, "[/again] cgroup ", run + 1, 20000);
    ck_assert_int_eq(printed_cgroups(p.err, dirs, RUNS_MAX), run + 1);
    wait_frozen(dirs[run], 10000);
    kill(started_pid(p.err, run), SIGKILL);
  }
  ck_assert_str_ne(dirs[1], dirs[0]);
  e2e_finish(&p, 20000);
  ck_assert_int_eq(e2e_count(p.err, "stopped: instance_died (signal KILL)"), 2);
  assert_runner_cgroups_gone(dirs[0]);
  e2e_free(&p);
  e2e_package_remove(dir);
}
END_TEST

/* A program made a cgroup inside its own: that one is not used again, and
 * both are removed. */
START_TEST(test_cgroup_with_cgroups_inside_is_removed_not_kept) {
  char dir[256], dirs[RUNS_MAX][512];
  e2e_proc p;
  if (run_to_end(dir, sizeof dir, "[\"sub-cgroup\"]", 1, &p)) {
    ck_assert_int_eq(printed_cgroups(p.err, dirs, RUNS_MAX), 2);
    ck_assert_str_ne(dirs[1], dirs[0]);
    e2e_assert_lacks(p.err, "instance_died");
    assert_runner_cgroups_gone(dirs[0]);
  }
  e2e_free(&p);
  e2e_package_remove(dir);
}
END_TEST

/* A program left a process behind, which cgroup.kill ended: on this
 * kernel a cgroup once killed that way kills whatever is cloned into it
 * later, so it must not serve again. Each run leaves one and exits 0. */
START_TEST(test_cgroup_ended_by_cgroup_kill_is_not_used_again) {
  char dir[256];
  e2e_proc p;
  if (run_to_end(dir, sizeof dir, "[\"orphans\", \"1\"]", 2, &p)) {
    ck_assert_int_eq(e2e_count(p.err, "/again: stopped: ok (exit 0)"), 3);
    e2e_assert_lacks(p.err, "instance_died");
  }
  e2e_free(&p);
  e2e_package_remove(dir);
}
END_TEST

/* A program made cgroups 20 deep inside its own, and one named ".x": all
 * go when it ends. */
START_TEST(test_deep_and_dot_cgroups_are_removed_after_a_normal_exit) {
  char dir[256], dirs[RUNS_MAX][512];
  e2e_proc p;
  if (run_to_end(dir, sizeof dir, "[\"deep-cgroups\", \"20\"]", 0, &p)) {
    ck_assert_int_eq(printed_cgroups(p.err, dirs, RUNS_MAX), 1);
    e2e_assert_end(&p, "/again", "ok (exit 0)");
    assert_runner_cgroups_gone(dirs[0]);
  }
  e2e_free(&p);
  e2e_package_remove(dir);
}
END_TEST

static int is_gone(const void *path) {
  struct stat st;
  return stat(path, &st) != 0;
}

/* fern is SIGKILLed while a program (tool ARGS) holds cgroups it made
 * inside its own: the guardian removes those too, and so fern's
 * directory. */
static void guardian_removes(const char *tool_args) {
  char dir[256], dirs[RUNS_MAX][512], fields[128];
  e2e_package_new(dir, sizeof dir);
  snprintf(fields, sizeof fields, "\"args\": %s", tool_args);
  e2e_package_program(dir, "again", "elf", fields);
  const char *names[] = {"again", NULL};
  e2e_package_root(dir, names, 0);
  e2e_proc p;
  const char *args[] = {"run", dir, NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/again] ready", 20000);
  if (uses_cgroups(p.err)) {
    ck_assert_int_eq(printed_cgroups(p.err, dirs, RUNS_MAX), 1);
    kill(p.pid, SIGKILL);
    e2e_finish(&p, 20000);
    char base[512], root[512];
    snprintf(base, sizeof base, "%s", dirs[0]);
    *strrchr(base, '/') = '\0';
    snprintf(root, sizeof root, "%s", base);
    *strrchr(root, '/') = '\0';
    e2e_wait_for_deletions(root, is_gone, base, 10000,
                           "the killed fern's cgroups remain");
  } else {
    kill(p.pid, SIGTERM);
    e2e_finish(&p, 20000);
  }
  e2e_free(&p);
  e2e_package_remove(dir);
}

START_TEST(test_guardian_removes_cgroups_programs_made) {
  guardian_removes("[\"sub-cgroup\", \"wait\"]");
}
END_TEST

/* The same, 20 deep and one named ".x". */
START_TEST(test_guardian_removes_deep_and_dot_cgroups) {
  guardian_removes("[\"deep-cgroups\", \"20\", \"wait\"]");
}
END_TEST

/* A cgroup not kept waits while other stops are under way (its removal
 * would slow their reaping), but briefly: /hold ignores its SIGTERM under
 * a stop timeout of a minute, and /again's cgroup, with one inside it, is
 * gone within seconds of /again's stop, while /hold still stops. */
START_TEST(test_a_removal_waits_for_a_stuck_stop_only_briefly) {
  e2e_served s;
  e2e_package_new(s.pkg, sizeof s.pkg);
  e2e_package_program(s.pkg, "hold", "elf", "\"args\": [\"ignore-term\"]");
  e2e_package_program(s.pkg, "again", "elf",
                      "\"args\": [\"sub-cgroup\", \"wait\"]");
  e2e_package_write(
      s.pkg, "meta/root.cm",
      "{\"environments\": [{\"name\": \"slow\", \"extends\": \"realm\", "
      "\"__stop_timeout_ms\": 60000}], \"children\": ["
      "{\"name\": \"hold\", \"url\": \"#meta/hold.cm\", \"startup\": "
      "\"eager\", \"environment\": \"#slow\"}, {\"name\": \"again\", "
      "\"url\": \"#meta/again.cm\", \"startup\": \"eager\"}]}");
  e2e_control_serve(&s);
  e2e_wait_for(&s.fern, "[/hold] ready", 20000);
  e2e_wait_for(&s.fern, "[/again] ready", 20000);
  char dirs[RUNS_MAX][512];
  if (uses_cgroups(s.fern.err)) {
    ck_assert_int_eq(printed_cgroups(s.fern.err, dirs, RUNS_MAX), 1);
    char base[512];
    snprintf(base, sizeof base, "%s", dirs[0]);
    *strrchr(base, '/') = '\0';
    e2e_proc holding, again;
    const char *stop_hold[] = {"stop", "--control", s.sock, "/hold", NULL};
    e2e_start(&holding, stop_hold); /* answered once /hold has ended */
    e2e_wait_event(&s.fern, "stopping", "/hold", 20000);
    const char *stop_again[] = {"stop", "--control", s.sock, "/again", NULL};
    ck_assert_int_eq(e2e_run(&again, 20000, stop_again), 0);
    e2e_wait_for_deletions(base, is_gone, dirs[0], 10000,
                           "/again's cgroup waited for /hold's stop");
    ck_assert_uint_eq(e2e_event_count(&s.fern, "stopped", "/hold"), 0);
    pid_t hold;
    ck_assert_int_eq(e2e_collect_pids(s.fern.err, "/hold", &hold, 1), 1);
    ck_assert_int_eq(kill(hold, SIGKILL), 0);
    ck_assert_int_eq(e2e_finish(&holding, 20000), 0);
    e2e_free(&holding);
    e2e_free(&again);
  }
  kill(s.fern.pid, SIGTERM);
  e2e_finish(&s.fern, 20000);
  e2e_free(&s.fern);
  e2e_package_remove(s.pkg);
}
END_TEST

Suite *cgroup_pool_suite(void) {
  Suite *s = suite_create("cgroup_pool");
  TCase *tc = tcase_create("cgroup_pool");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_emptied_cgroup_serves_the_next_start);
  tcase_add_test(tc, test_frozen_cgroup_is_not_used_again);
  tcase_add_test(tc, test_cgroup_with_cgroups_inside_is_removed_not_kept);
  tcase_add_test(tc, test_cgroup_ended_by_cgroup_kill_is_not_used_again);
  tcase_add_test(tc, test_deep_and_dot_cgroups_are_removed_after_a_normal_exit);
  tcase_add_test(tc, test_guardian_removes_cgroups_programs_made);
  tcase_add_test(tc, test_guardian_removes_deep_and_dot_cgroups);
  tcase_add_test(tc, test_a_removal_waits_for_a_stuck_stop_only_briefly);
  suite_add_tcase(s, tc);
  return s;
}
