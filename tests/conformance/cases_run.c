/* cases_run.c - conformance cases on a run's life: a start and an exit,
 * exit codes and signals, a graceful stop and a kill, nothing left behind,
 * output captured, bad program keys, a hundred at once, a stop while
 * starting. */
#include <signal.h>
#include <stdio.h>

#include "conformance.h"

START_TEST(test_start_and_clean_exit) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  start_one(&c, &p, "hello", program_for(strs("print", "hello", NULL)));
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_has(p.err, "[/hello] hello\n");
  e2e_assert_has(p.err, "/hello: stopped: ok");
  done(&c, &p);
}
END_TEST

START_TEST(test_exit_code_is_reported) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  start_one(&c, &p, "three", program_for(strs("exit", "3", NULL)));
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/three: error: stopped: instance_died (exit 3)");
  done(&c, &p);
}
END_TEST

START_TEST(test_death_by_signal_is_reported) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  start_one(&c, &p, "abort", program_for(strs("signal", "6", NULL)));
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/abort: error: stopped: instance_died (signal ABRT");
  done(&c, &p);
}
END_TEST

START_TEST(test_graceful_stop_within_the_timeout) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  start_one(&c, &p, "server", program_for(strs("sleep", NULL)));
  e2e_wait_for(&p, "[/server] ready", 30000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_has(p.err, "/server: stopped: ok");
  done(&c, &p);
}
END_TEST

START_TEST(test_kill_after_the_timeout) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  start_one(&c, &p, "quick-stubborn",
            program_for(strs("ignore-term", NULL)));
  e2e_wait_for(&p, "[/quick-stubborn] ready", 30000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/quick-stubborn: warning: did not stop within 300 ms");
  e2e_assert_has(p.err, "/quick-stubborn: error: stopped: killed_after_timeout");
  done(&c, &p);
}
END_TEST

START_TEST(test_no_process_left_behind) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o, s:o}", "holder",
                           program_for(strs("orphans-wait", "4",
                                            c.marker, NULL)),
                           "leaver",
                           program_for(strs("orphans", "4",
                                            c.marker, NULL))));
  start_fern(&c, &p);
  e2e_wait_for(&p, "[/holder] ready", 30000);
  e2e_wait_for(&p, "/leaver: stopped", 30000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  assert_nothing_left(&c);
  done(&c, &p);
}
END_TEST

START_TEST(test_stdout_and_stderr_are_captured) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o, s:o}", "out",
                           program_for(strs("print", "line one",
                                            "line two", NULL)),
                           "err",
                           program_for(strs("stderr", "on stderr", NULL))));
  start_fern(&c, &p);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_order(p.err, "[/out] line one\n", "[/out] line two\n");
  e2e_assert_has(p.err, "[/err:2] on stderr\n");
  done(&c, &p);
}
END_TEST

START_TEST(test_bad_program_keys_cannot_start) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  json_t *program = program_for(strs("print", "never", NULL));
  json_object_set_new(program, "bogus_key", json_integer(1));
  write_tree(&c, json_pack("{s:o}", "bad", program));
  start_fern(&c, &p);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/bad: error: cannot_start: ");
  e2e_assert_has(p.err, "bogus_key");
  e2e_assert_lacks(p.err, "[/bad] never");
  done(&c, &p);
}
END_TEST

START_TEST(test_a_hundred_in_parallel) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  json_t *children = json_object();
  for (int i = 0; i < 100; i++) {
    char name[16], text[16];
    snprintf(name, sizeof name, "n%d", i);
    snprintf(text, sizeof text, "hello %d", i);
    json_object_set_new(children, name, program_for(strs("print", text, NULL)));
  }
  write_tree(&c, children);
  start_fern(&c, &p);
  ck_assert_int_eq(e2e_finish(&p, 60000), 0);
  ck_assert_int_eq(e2e_count(p.err, ": stopped: ok"), 100);
  for (int i = 0; i < 100; i++) {
    char line[48];
    snprintf(line, sizeof line, "[/n%d] hello %d\n", i, i);
    e2e_assert_has(p.err, line);
  }
  done(&c, &p);
}
END_TEST

START_TEST(test_stop_while_starting) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  json_t *children = json_object();
  for (int i = 0; i < 40; i++) {
    char name[16];
    snprintf(name, sizeof name, "s%d", i);
    json_object_set_new(children, name,
                        program_for(strs("orphans-wait", "1",
                                         c.marker, NULL)));
  }
  write_tree(&c, children);
  start_fern(&c, &p);
  e2e_wait_for(&p, ": started", 30000); /* the others are still starting */
  kill(p.pid, SIGTERM);
  int status = e2e_finish(&p, 60000);
  size_t len = strlen(p.err);
  ck_assert_msg(status == 0, "exit %d:\n%s", status,
                p.err + (len > 4000 ? len - 4000 : 0));
  e2e_assert_lacks(p.err, "cannot_start");
  /* Every run ends once: ok if it started, not_started if it had not;
   * none is lost. */
  ck_assert_int_eq(e2e_count(p.err, ": stopped: ok") +
                       e2e_count(p.err, ": stopped: not_started"),
                   e2e_count(p.err, ": stopped: "));
  ck_assert_int_ge(e2e_count(p.err, ": stopped: ok"),
                   e2e_count(p.err, ": started"));
  assert_nothing_left(&c);
  done(&c, &p);
}
END_TEST

void conformance_add_run_cases(TCase *tc) {
  tcase_add_test(tc, test_start_and_clean_exit);
  tcase_add_test(tc, test_exit_code_is_reported);
  tcase_add_test(tc, test_death_by_signal_is_reported);
  tcase_add_test(tc, test_graceful_stop_within_the_timeout);
  tcase_add_test(tc, test_kill_after_the_timeout);
  tcase_add_test(tc, test_no_process_left_behind);
  tcase_add_test(tc, test_stdout_and_stderr_are_captured);
  tcase_add_test(tc, test_bad_program_keys_cannot_start);
  tcase_add_test(tc, test_a_hundred_in_parallel);
  tcase_add_test(tc, test_stop_while_starting);
}
