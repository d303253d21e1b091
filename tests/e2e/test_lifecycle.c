/* test_lifecycle.c - stopping trees: order, timeouts, nothing left behind.
 * Asserted on the event stream (--events); the log is read where it alone
 * says something (the signal, the timeout warning). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control_run.h"
#include "e2e.h"
#include "event_asserts.h"

#define PROGS "tests/packages/progs/meta/"

static void assert_gone(pid_t pid) {
  ck_assert_msg(kill(pid, 0) != 0 && errno == ESRCH,
                "process %d outlived fern", (int)pid);
}

START_TEST(test_children_start_after_and_stop_before_parents) {
  e2e_proc p;
  char dir[64], events[128];
  const char *args[] = {PROGS "nested.cm", NULL};
  e2e_events_start(&p, args, dir, sizeof dir, events, sizeof events);
  e2e_wait_for(&p, "[/parent/child] ready", 20000);
  e2e_wait_for(&p, "[/parent] ready", 20000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  e2e_assert_has(p.err, "SIGTERM: stopping the tree"); /* the log is read too */
  json_t *all = e2e_read_events(events);
  json_t *parent_up = e2e_the_event(all, "started", "/parent");
  json_t *child_up = e2e_the_event(all, "started", "/parent/child");
  json_t *parent_down = e2e_the_event(all, "stopped", "/parent");
  json_t *child_down = e2e_the_event(all, "stopped", "/parent/child");
  ck_assert_int_lt(e2e_seq_of(parent_up), e2e_seq_of(child_up));
  ck_assert_int_lt(e2e_seq_of(child_down), e2e_seq_of(parent_down));
  ck_assert_str_eq(e2e_field(parent_down, "status"), "ok");
  ck_assert_str_eq(e2e_field(parent_down, "signal"), "TERM");
  ck_assert_str_eq(e2e_field(child_down, "status"), "ok");
  ck_assert_str_eq(e2e_field(child_down, "signal"), "TERM");
  json_t *shutdown = e2e_the_event(all, "shutdown", "/");
  ck_assert_uint_eq(json_array_size(json_object_get(shutdown, "timed_out")),
                    0);
  assert_gone((pid_t)json_integer_value(json_object_get(parent_up, "pid")));
  assert_gone((pid_t)json_integer_value(json_object_get(child_up, "pid")));
  json_decref(all);
  e2e_events_done(dir, events);
  e2e_free(&p);
}
END_TEST

START_TEST(test_sigint_stops_the_tree_too) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "nested.cm", NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/parent/child] ready", 20000);
  e2e_wait_for(&p, "[/parent] ready", 20000);
  kill(p.pid, SIGINT);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  e2e_assert_has(p.err, "SIGINT: stopping the tree");
  e2e_free(&p);
}
END_TEST

/* A program that ignores SIGTERM is killed after its environment's stop
 * timeout (300 ms in #quick), while its polite sibling stops ok. */
START_TEST(test_stop_timeout_kills_a_program_that_ignores_sigterm) {
  e2e_proc p;
  char dir[64], events[128];
  const char *args[] = {PROGS "stubborn.cm", NULL};
  e2e_events_start(&p, args, dir, sizeof dir, events, sizeof events);
  e2e_wait_for(&p, "[/stubborn] ready", 20000);
  e2e_wait_for(&p, "[/polite] ready", 20000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 1);
  e2e_assert_has(p.err, "/stubborn: warning: did not stop within 300 ms");
  json_t *all = e2e_read_events(events);
  json_t *stubborn = e2e_the_event(all, "stopped", "/stubborn");
  ck_assert_str_eq(e2e_field(stubborn, "status"), "killed_after_timeout");
  ck_assert_str_eq(e2e_field(stubborn, "signal"), "KILL");
  json_t *polite = e2e_the_event(all, "stopped", "/polite");
  ck_assert_str_eq(e2e_field(polite, "status"), "ok");
  ck_assert_str_eq(e2e_field(polite, "signal"), "TERM");
  json_t *timed_out =
      json_object_get(e2e_the_event(all, "shutdown", "/"), "timed_out");
  ck_assert_uint_eq(json_array_size(timed_out), 1);
  ck_assert_str_eq(json_string_value(json_array_get(timed_out, 0)),
                   "/stubborn");
  assert_gone((pid_t)json_integer_value(
      json_object_get(e2e_the_event(all, "started", "/stubborn"), "pid")));
  json_decref(all);
  e2e_events_done(dir, events);
  e2e_free(&p);
}
END_TEST

/* A second signal does not wait for the timeout: the stubborn child's is
 * 10 s, and fern must be done well before. */
START_TEST(test_second_signal_kills_at_once) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "stubborn-slow.cm", NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/stubborn] ready", 20000);
  e2e_wait_for(&p, "[/polite] ready", 20000);
  kill(p.pid, SIGTERM);
  e2e_wait_for(&p, "SIGTERM: stopping the tree", 20000);
  kill(p.pid, SIGINT);
  ck_assert_int_eq(e2e_finish(&p, 8000), 1);
  e2e_assert_has(p.err, "INT again: killing every component now");
  e2e_assert_end(&p, "/stubborn", "killed_after_timeout");
  e2e_free(&p);
}
END_TEST

/* A package whose root has `count` eager children /s0.. running sleep. */
static void package_of_sleepers(char *pkg, size_t size, int count) {
  char root[8192];
  e2e_package_new(pkg, size);
  e2e_package_program(pkg, "sleeper", "elf", "\"args\": [\"sleep\"]");
  int used = snprintf(root, sizeof root, "{\"children\": [");
  for (int i = 0; i < count; i++)
    used += snprintf(root + used, sizeof root - (size_t)used,
                     "%s{\"name\": \"s%d\", \"url\": \"#meta/sleeper.cm\", "
                     "\"startup\": \"eager\"}",
                     i ? ", " : "", i);
  snprintf(root + used, sizeof root - (size_t)used, "]}\n");
  e2e_package_write(pkg, "meta/root.cm", root);
}

/* Every child asked to stop was asked before any child's end was taken:
 * siblings that depend on nothing stop at once. Every child ends once:
 * ok, or (`all_up` 0) not_started if the stop came before its spawn. */
static void assert_all_asked_at_once(const e2e_proc *p, int count,
                                     int all_up) {
  json_t *all = e2e_read_events(p->events);
  json_int_t last_asked = -1, first_ended = -1;
  size_t i;
  json_t *event;
  json_array_foreach(all, i, event) {
    const char *type = e2e_field(event, "event");
    const char *moniker = e2e_field(event, "moniker");
    if (strncmp(moniker, "/s", 2) != 0)
      continue;
    if (strcmp(type, "stopping") == 0)
      last_asked = e2e_seq_of(event);
    else if (strcmp(type, "stopped") == 0 && first_ended < 0)
      first_ended = e2e_seq_of(event);
  }
  json_decref(all);
  ck_assert_int_ge(first_ended, 0);
  ck_assert_msg(last_asked < first_ended,
                "a sibling was asked to stop after another had ended");
  int ok = e2e_count(p->err, ": stopped: ok");
  ck_assert_int_eq(all_up ? ok : ok + e2e_count(p->err, ": stopped: not_started"),
                   count);
}

/* Boots COUNT sleepers, SIGTERMs fern once `text` has been printed
 * `times` times, and checks every stop against the rule. */
static void stop_sleepers_after(const char *text, int times, int all_up) {
  enum { COUNT = 80 };
  char pkg[4096];
  package_of_sleepers(pkg, sizeof pkg, COUNT);
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  e2e_start(&p, args);
  e2e_wait_for_count(&p, text, times, 30000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  if (all_up)
    ck_assert_int_eq(e2e_count(p.err, ": started"), COUNT);
  assert_all_asked_at_once(&p, COUNT, all_up);
  e2e_free(&p);
  e2e_package_remove(pkg);
}

/* A realm of many children with no dependencies between them asks each to
 * stop at once. */
START_TEST(test_many_siblings_stop_at_once) {
  stop_sleepers_after("] ready", 80, 1);
}
END_TEST

/* The same while most are still starting: those starting are asked too,
 * and each ends ok. */
START_TEST(test_many_siblings_stopped_while_starting_stop_at_once) {
  stop_sleepers_after(": started", 1, 0);
}
END_TEST

Suite *lifecycle_suite(void) {
  Suite *s = suite_create("lifecycle");
  TCase *tc = tcase_create("stop");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_children_start_after_and_stop_before_parents);
  tcase_add_test(tc, test_sigint_stops_the_tree_too);
  tcase_add_test(tc, test_stop_timeout_kills_a_program_that_ignores_sigterm);
  tcase_add_test(tc, test_second_signal_kills_at_once);
  tcase_add_test(tc, test_many_siblings_stop_at_once);
  tcase_add_test(tc, test_many_siblings_stopped_while_starting_stop_at_once);
  suite_add_tcase(s, tc);
  return s;
}
