/* cases_output.c - conformance cases on what a program writes: a flood
 * in bounded memory, output held back while fern's log is not read, a
 * last line without a newline. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "conformance.h"

/* Whether this suite (and so the fern it tests) is built with ASan. */
static int built_with_asan(void) {
#if defined(__SANITIZE_ADDRESS__)
  return 1;
#else
  return 0;
#endif
}

/* fern's peak resident memory (VmHWM), in KiB; -1 if unknown. */
static long process_hwm_kb(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  long kb = -1;
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, "VmHWM:", 6) == 0)
      kb = atol(line + 6);
  if (f != NULL)
    fclose(f);
  return kb;
}

/* fern's own peak with one quiet component: what the flood's bound adds
 * to. */
static long quiet_fern_hwm_kb(void) {
  conf c;
  e2e_proc p;
  start_one(&c, &p, "quiet", program_for(strs("sleep", NULL)));
  e2e_wait_for(&p, "[/quiet] ready", 30000);
  long kb = process_hwm_kb(p.pid);
  kill(p.pid, SIGTERM);
  e2e_finish(&p, 30000);
  done(&c, &p);
  return kb;
}

/* A flood of output: every line arrives, the last one too, whatever the
 * reader of fern's log does; a run's end is reported only once its output
 * was read to the end. And fern's memory stays bounded while it flows. */
START_TEST(test_a_flood_arrives_whole_in_bounded_memory) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o, s:o}", "flood",
                           program_for(strs("flood", "12", NULL)), "holder",
                           program_for(strs("sleep", NULL))));
  start_fern(&c, &p);
  e2e_wait_end(&p, "/flood", "ok", 120000);
  long hwm_kb = process_hwm_kb(p.pid);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  ck_assert_int_eq(e2e_count(p.err, "[/flood] xxxxxxxx"), 12 * 1024);
  e2e_assert_has(p.err, "[/flood] flood done\n");
  done(&c, &p);
  if (e2e_skip_under_valgrind("the flood's memory bound: valgrind keeps "
                              "freed memory resident")) {
    (void)hwm_kb;
    return;
  }
  if (built_with_asan()) {
    fprintf(stderr, "conformance: the flood's memory bound is checked in "
                    "the plain build (ASan keeps freed memory resident)\n");
    return;
  }
  /* 12 MiB went through: fern held a bounded part of it at a time. */
  long quiet_kb = quiet_fern_hwm_kb();
  ck_assert_msg(hwm_kb > 0 && hwm_kb < quiet_kb + 8 * 1024,
                "fern's peak resident memory was %ld KiB through a 12 MiB "
                "flood, %ld KiB with a quiet component",
                hwm_kb, quiet_kb);
}
END_TEST

/* The program writes until nobody reads (fern's log is full: the test
 * reads none of it, and the runner must stop reading the program's
 * output, not drop it), and exits with its last lines still in the pipe.
 * Once fern's log is read again every line arrives: the runner reported
 * the end only after it read the pipe to its end. */
START_TEST(test_output_waits_for_a_slow_log_reader) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o}", "fill",
                           program_for(strs("fill", c.marker, NULL))));
  start_fern(&c, &p);
  e2e_wait_event(&p, "started", "/fill", 30000);
  /* From here nobody reads fern's log until the program is gone. */
  long deadline = e2e_now_ms() + 60000;
  while (marker_alive(&c) && e2e_now_ms() < deadline)
    poll(NULL, 0, 50);
  ck_assert_msg(!marker_alive(&c), "the program never stopped writing");
  ck_assert_int_eq(e2e_finish(&p, 60000), 0);
  const char *said = strstr(p.err, "[/fill:2] filled ");
  ck_assert_msg(said != NULL, "the program did not say how much it wrote");
  long n = atol(said + strlen("[/fill:2] filled "));
  ck_assert_int_gt(n, 0);
  ck_assert_int_eq(e2e_count(p.err, "[/fill] fill "), n);
  char last[64];
  snprintf(last, sizeof last, "[/fill] fill %08ld ", n - 1);
  e2e_assert_has(p.err, last);
  done(&c, &p);
}
END_TEST

START_TEST(test_a_last_line_without_newline_arrives) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  start_one(&c, &p, "partial",
            program_for(strs("partial", "no newline here", NULL)));
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_end(&p, "/partial", "ok");
  e2e_assert_has(p.err, "[/partial] no newline here\n");
  done(&c, &p);
}
END_TEST

void conformance_add_output_cases(TCase *tc) {
  tcase_add_test(tc, test_a_flood_arrives_whole_in_bounded_memory);
  tcase_add_test(tc, test_output_waits_for_a_slow_log_reader);
  tcase_add_test(tc, test_a_last_line_without_newline_arrives);
}
