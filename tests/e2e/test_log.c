/* test_log.c - fern's log: a stderr nobody reads never stops fern (the
 * control socket answers, SIGTERM ends it, lost lines are counted), and
 * nothing that came from a manifest, URL or program can forge a record or
 * reach the terminal as a control character. */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"

/* Far more output than fern's queue (4 MiB) and two pipes hold. */
#define FLOOD_LINES "60000"
#define FLOOD_LAST "59999" /* its last line, printed "%08ld" */
#define FLOOD_LINE_LEN 209 /* "[/flood] numbered 00000001 ...x" */

typedef struct unread_s {
  e2e_proc fern;
  char pkg[4096];
  char socket[4200];
  char done[4200]; /* made by /flood once it printed every line */
} unread;

/* `fern run --control SOCKET` on a tree whose /flood prints numbered
 * lines; returns once fern's stderr pipe is full, unread. */
static void start_unread(unread *u) {
  e2e_package_new(u->pkg, sizeof u->pkg);
  snprintf(u->done, sizeof u->done, "%s/flood.done", u->pkg);
  snprintf(u->socket, sizeof u->socket, "%s/control.sock", u->pkg);
  char fields[4400];
  snprintf(fields, sizeof fields,
           "\"args\": [\"numbered\", \"" FLOOD_LINES "\", \"%s\"]", u->done);
  e2e_package_program(u->pkg, "flood", "elf", fields);
  const char *names[] = {"flood", NULL};
  e2e_package_root(u->pkg, names, 0);
  const char *args[] = {"run", "--control", u->socket, u->pkg, NULL};
  e2e_start(&u->fern, args);
  e2e_wait_until_stderr_is_full(&u->fern, 30000);
}

/* Waits for fern to exit without reading its stderr; kills it and fails
 * after `ms`. */
static void wait_for_exit_unread(unread *u, int ms) {
  int fd = (int)syscall(SYS_pidfd_open, u->fern.pid, 0);
  ck_assert_int_ge(fd, 0);
  struct pollfd pfd = {fd, POLLIN, 0};
  int exited = poll(&pfd, 1, ms) == 1;
  close(fd);
  if (!exited) {
    kill(u->fern.pid, SIGKILL);
    ck_abort_msg("fern did not exit within %d ms of SIGTERM while its "
                 "stderr was not read",
                 ms);
  }
}

static void finish_unread(unread *u) {
  e2e_free(&u->fern);
  e2e_package_remove(u->pkg);
}

/* One line of the log: /flood's numbered lines come in rising order,
 * whole; a gap among them is counted by the dropped-lines notices before
 * the next one; everything else is a whole record of fern's. */
typedef struct order_s {
  long last;                  /* the last numbered line seen */
  unsigned long long counted; /* lines the notices since then counted */
  int notices;
} order;

static void check_line(order *o, const char *line, size_t len) {
  static const char numbered[] = "[/flood] numbered ";
  if (strncmp(line, numbered, sizeof numbered - 1) == 0) {
    long n = atol(line + sizeof numbered - 1);
    ck_assert_msg(len == FLOOD_LINE_LEN && n > o->last,
                  "line %ld is cut or out of order (after %ld): %.*s", n,
                  o->last, (int)len, line);
    ck_assert_msg((unsigned long long)(n - o->last - 1) <= o->counted,
                  "lines %ld to %ld are missing, and the notices before "
                  "line %ld count only %llu lost lines",
                  o->last + 1, n - 1, n, o->counted);
    o->last = n;
    o->counted = 0;
  } else if (strncmp(line, "fern: warning: ", 15) == 0 &&
             strstr(line, " log line") != NULL &&
             strstr(line, " dropped: ") != NULL) {
    o->counted += strtoull(line + 15, NULL, 10);
    o->notices++;
  } else {
    ck_assert_msg(strncmp(line, "fern: ", 6) == 0 ||
                      strncmp(line, "[/flood] ready", 14) == 0,
                  "not a whole record: %.*s", (int)len, line);
  }
}

/* Every line whole and in order, every numbered line there once, and no
 * line dropped. */
static void assert_every_line_once_in_order(const char *err) {
  order o = {-1, 0, 0};
  for (const char *line = err; *line != '\0';) {
    const char *end = strchr(line, '\n');
    ck_assert_msg(end != NULL, "the log ends in a cut record: %.300s", line);
    check_line(&o, line, (size_t)(end - line));
    line = end + 1;
  }
  ck_assert_msg(o.notices == 0, "%d notices of dropped lines", o.notices);
  ck_assert_int_eq(o.last, atol(FLOOD_LINES) - 1);
}

/* Whether `pid` sleeps in write(2) on its stdout (its pipe to fern is
 * full: fern stopped reading it). */
static int writes_to_a_full_stdout(pid_t pid) {
  char path[64], want[32], line[128] = "";
  snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
  snprintf(want, sizeof want, "%ld 0x1 ", (long)SYS_write);
  FILE *f = fopen(path, "r");
  int waits = f != NULL && fgets(line, sizeof line, f) != NULL &&
              strncmp(line, want, strlen(want)) == 0;
  if (f != NULL)
    fclose(f);
  return waits;
}

/* With fern's stderr a full pipe nobody reads, the control socket still
 * answers (today's log blocks the loop in write(2)). */
START_TEST(test_control_answers_while_stderr_is_not_read) {
  unread u;
  start_unread(&u);
  e2e_proc list;
  const char *args[] = {"list", "--control", u.socket, NULL};
  ck_assert_int_eq(e2e_run(&list, 20000, args), 0);
  e2e_assert_has(list.out, "/flood");
  e2e_free(&list);
  kill(u.fern.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&u.fern, 30000), 0);
  finish_unread(&u);
}
END_TEST

/* A stuck stderr slows the program that writes, not fern, and loses none
 * of its lines: fern stops reading /flood's output while its log has no
 * room, so /flood blocks on its own stdout; once stderr is read again,
 * every line arrives, whole, once, in order, and nothing was dropped. */
START_TEST(test_a_stuck_stderr_slows_the_writer_and_loses_nothing) {
  unread u;
  start_unread(&u);
  pid_t flood[1];
  long deadline = e2e_now_ms() + 30000;
  while (e2e_children_named(u.fern.pid, "tool", flood, 1) != 1 ||
         !writes_to_a_full_stdout(flood[0])) {
    ck_assert_msg(e2e_now_ms() < deadline,
                  "/flood never waited on its stdout");
    poll(NULL, 0, 10); /* no event says a pipe filled up */
  }
  ck_assert_msg(access(u.done, F_OK) != 0, "/flood wrote all its lines");
  e2e_wait_for(&u.fern, "[/flood] numbered 000" FLOOD_LAST " ", 60000);
  kill(u.fern.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&u.fern, 30000), 0);
  assert_every_line_once_in_order(u.fern.err);
  e2e_assert_has(u.fern.err, "fern: /flood: stopped: ok (signal TERM)");
  finish_unread(&u);
}
END_TEST

/* SIGTERM stops the tree and fern exits while its stderr stays full and
 * unread: the exit waits a bounded time for the log, not for ever. */
START_TEST(test_sigterm_ends_fern_while_stderr_is_not_read) {
  unread u;
  start_unread(&u);
  kill(u.fern.pid, SIGTERM);
  wait_for_exit_unread(&u, 15000);
  ck_assert_int_eq(e2e_finish(&u.fern, 10000), 0);
  pid_t flood[1];
  ck_assert_int_eq(e2e_collect_pids(u.fern.err, "/flood", flood, 1), 1);
  e2e_assert_all_gone_within(flood, 1, 5000);
  finish_unread(&u);
}
END_TEST

/* Fails the test at the first control byte in `err` other than the
 * newlines that end lines and TAB: C0, DEL, C1 as UTF-8. */
static void assert_no_control_bytes(const char *err, size_t len) {
  const unsigned char *s = (const unsigned char *)err;
  for (size_t i = 0; i < len; i++) {
    int c0 = s[i] < 0x20 && s[i] != '\n' && s[i] != '\t';
    int c1 =
        s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f;
    ck_assert_msg(!c0 && !c1 && s[i] != 0x7f,
                  "control byte 0x%02x at %zu of fern's stderr:\n%s", s[i], i,
                  err);
  }
}

/* How many lines of `err` start with `prefix`. */
static int lines_starting(const char *err, const char *prefix) {
  int n = strncmp(err, prefix, strlen(prefix)) == 0;
  for (const char *nl = strchr(err, '\n'); nl != NULL;
       nl = strchr(nl + 1, '\n'))
    n += strncmp(nl + 1, prefix, strlen(prefix)) == 0;
  return n;
}

#define FORGED "fern: /db: stopped: ok (exit 0)"

/* A child URL with %0a, a program printing ESC sequences, a carriage
 * return, C1 and DEL: none forges a record of fern's or reaches the
 * terminal; each shows escaped, in its own record. */
static void hostile_package(char *pkg, size_t size) {
  e2e_package_new(pkg, size);
  e2e_package_program(pkg, "db", "elf", "\"args\": [\"sleep\"]");
  e2e_package_program(pkg, "printer", "elf",
                      "\"args\": [\"print\", "
                      "\"\\u001b[31mred\\u001b[0m\\r" FORGED "\", "
                      "\"c1 \\u009b2J del \\u007f tab\\tend\"]");
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"children\": ["
                    "{\"name\": \"db\", \"url\": \"#meta/db.cm\", "
                    "\"startup\": \"eager\"}, "
                    "{\"name\": \"printer\", \"url\": \"#meta/printer.cm\", "
                    "\"startup\": \"eager\"}, "
                    "{\"name\": \"evil\", \"url\": \"#meta/x.cm%0a" FORGED
                    "\", \"startup\": \"eager\"}]}");
}

START_TEST(test_nothing_logged_forges_a_record_or_reaches_the_terminal) {
  char pkg[4096];
  hostile_package(pkg, sizeof pkg);
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "fern: /printer: stopped: ok (exit 0)", 20000);
  e2e_wait_for(&p, "fern: /evil: error: cannot_start: ", 20000);
  e2e_wait_for(&p, "[/db] ready\n", 20000);
  ck_assert_msg(lines_starting(p.err, "fern: /db: stopped") == 0,
                "a record says /db stopped while it runs:\n%s", p.err);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 1); /* /evil could not start */
  ck_assert_int_eq(lines_starting(p.err, "fern: /db: stopped"), 1);
  e2e_assert_order(p.err, "fern: SIGTERM: stopping the tree\n",
                   "\nfern: /db: stopped: ok (signal TERM)");
  assert_no_control_bytes(p.err, p.err_len);
  e2e_assert_has(p.err, "manifest \"meta/x.cm\\x0a" FORGED "\" not found");
  e2e_assert_has(p.err, "\n[/printer] \\x1b[31mred\\x1b[0m\\x0d" FORGED "\n");
  e2e_assert_has(p.err, "\n[/printer] c1 \\xc2\\x9b2J del \\x7f tab\tend\n");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* What the commands print for a person (`fern tree`, `fern events`) is
 * escaped as the log is: the same hostile URL shows as \x0a there. */
START_TEST(test_tables_show_control_bytes_escaped) {
  char pkg[4096], socket[4200], manifest[4200];
  hostile_package(pkg, sizeof pkg);
  /* A runner's name is any string a manifest gives. */
  e2e_package_write(pkg, "meta/runner.cm",
                    "{\"program\": {\"runner\": "
                    "\"el\\u001b]0;PWNED\\u0007f\\u001b[2J\"}}");
  snprintf(manifest, sizeof manifest, "%s/meta/runner.cm", pkg);
  e2e_proc p;
  const char *check[] = {"check", manifest, NULL};
  e2e_run(&p, 20000, check);
  assert_no_control_bytes(p.out, p.out_len);
  assert_no_control_bytes(p.err, p.err_len);
  e2e_free(&p);
  const char *tree[] = {"tree", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, tree), 1);
  assert_no_control_bytes(p.out, p.out_len);
  e2e_assert_has(p.out, "x.cm\\x0a" FORGED);
  e2e_free(&p);
  const char *tree_runner[] = {"tree", manifest, NULL};
  e2e_run(&p, 20000, tree_runner);
  assert_no_control_bytes(p.out, p.out_len);
  e2e_assert_has(p.out, "el\\x1b]0;PWNED\\x07f");
  e2e_free(&p);
  snprintf(socket, sizeof socket, "%s/control.sock", pkg);
  const char *run[] = {"run", "--keep-running", "--control", socket, pkg,
                       NULL};
  e2e_start(&p, run);
  e2e_wait_for(&p, "fern: /evil: error: cannot_start: ", 20000);
  e2e_proc events;
  const char *show[] = {"events", "--control", socket, NULL};
  ck_assert_int_eq(e2e_run(&events, 20000, show), 0);
  assert_no_control_bytes(events.out, events.out_len);
  e2e_assert_has(events.out, "x.cm\\x0a" FORGED);
  e2e_free(&events);
  kill(p.pid, SIGTERM);
  e2e_finish(&p, 20000);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *log_suite(void) {
  Suite *s = suite_create("log");
  TCase *tc = tcase_create("log");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_control_answers_while_stderr_is_not_read);
  tcase_add_test(tc, test_a_stuck_stderr_slows_the_writer_and_loses_nothing);
  tcase_add_test(tc, test_sigterm_ends_fern_while_stderr_is_not_read);
  tcase_add_test(tc, test_tables_show_control_bytes_escaped);
  tcase_add_test(tc,
                 test_nothing_logged_forges_a_record_or_reaches_the_terminal);
  suite_add_tcase(s, tc);
  return s;
}
