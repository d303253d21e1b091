/* test_logs.c - fern logs over the control socket: the lines of one
 * component or of a subtree, in order, each with its time, moniker and
 * stream, fern's own records among them; -n, --since, --stream and
 * --json; the lines of ended runs and of destroyed components; a bounded
 * buffer; a megabyte line cut and marked so; a follower (-f) that reads
 * and one that never does; and the log directory: rotation, reading back
 * past memory, and a directory that cannot be written. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control_client.h"
#include "e2e.h"
#include "event_asserts.h"

/* `fern run --keep-running` of PKG/meta/root.cm, with PKG/fern.json
 * holding `config` when it is given. */
static void serve(e2e_served *s, const char *config) {
  char cfg[4200];
  snprintf(cfg, sizeof cfg, "%s/fern.json", s->pkg);
  if (config != NULL)
    e2e_package_write(s->pkg, "fern.json", config);
  const char *with[] = {"--config", cfg, NULL};
  e2e_control_serve_with(s, config != NULL ? with : NULL);
}

static void end(e2e_served *s) {
  kill(s->fern.pid, SIGTERM);
  e2e_finish(&s->fern, 20000);
  e2e_free(&s->fern);
  e2e_package_remove(s->pkg);
}

/* `fern logs --control SOCK ARGS...`: its status; stdout in `p->out`. */
static int logs(e2e_served *s, e2e_proc *p, const char *a1, const char *a2,
                const char *a3, const char *a4) {
  const char *args[] = {"logs", "--control", s->sock, a1, a2, a3, a4, NULL};
  return e2e_run(p, 20000, args);
}

/* The lines of `fern logs --json ARGS`, parsed. */
static json_t *logs_json4(e2e_served *s, const char *a1, const char *a2,
                          const char *a3, const char *a4) {
  e2e_proc p;
  const char *args[] = {"logs", "--control", s->sock, "--json", a1, a2, a3,
                        a4, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  json_error_t err;
  json_t *lines = json_loads(p.out, 0, &err);
  ck_assert_msg(json_is_array(lines), "not a JSON array (%s): %s", err.text,
                p.out);
  e2e_free(&p);
  return lines;
}

static json_t *logs_json(e2e_served *s, const char *a1, const char *a2,
                         const char *a3) {
  return logs_json4(s, a1, a2, a3, NULL);
}

/* The index of the first line of `moniker` whose text is `text` (or, for
 * fern's own records, begins with it: a stop says its cost after), or
 * -1. */
static long find_line(const json_t *lines, const char *moniker,
                      const char *stream, const char *text) {
  size_t i;
  json_t *line;
  int fern = strcmp(stream, "fern") == 0;
  json_array_foreach(lines, i, line) {
    const char *said = e2e_field(line, "text");
    if (strcmp(e2e_field(line, "moniker"), moniker) == 0 &&
        strcmp(e2e_field(line, "stream"), stream) == 0 &&
        (fern ? strncmp(said, text, strlen(text)) == 0
              : strcmp(said, text) == 0))
      return (long)i;
  }
  return -1;
}

static void program(e2e_served *s, const char *name, const char *args) {
  char fields[512];
  snprintf(fields, sizeof fields, "\"args\": %s", args);
  e2e_package_program(s->pkg, name, "elf", fields);
}

/* A package of one component, `name` running tool `args`, eager. */
static void one(e2e_served *s, const char *name, const char *args,
                const char *config) {
  e2e_package_new(s->pkg, sizeof s->pkg);
  program(s, name, args);
  e2e_package_root(s->pkg, (const char *const[]){name, NULL}, 0);
  serve(s, config);
}

/* /flood, lazy, prints "count 0" to "count N-1" once started. */
static void serve_flood(e2e_served *s, int lines) {
  char args[64];
  e2e_package_new(s->pkg, sizeof s->pkg);
  snprintf(args, sizeof args, "[\"count\", \"%d\"]", lines);
  program(s, "flood", args);
  e2e_package_write(s->pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"flood\", \"url\": "
                    "\"#meta/flood.cm\"}]}");
  serve(s, NULL);
}

static void start_flood(e2e_served *s) {
  e2e_proc p;
  const char *start[] = {"start", "--control", s->sock, "/flood", NULL};
  ck_assert_int_eq(e2e_run(&p, 60000, start), 0);
  e2e_free(&p);
}

/* /a prints two lines and ends; /realm/b prints on stderr and waits;
 * /other waits. */
static void three(e2e_served *s, const char *config) {
  e2e_package_new(s->pkg, sizeof s->pkg);
  program(s, "a", "[\"print\", \"a one\", \"a two\"]");
  program(s, "b", "[\"stderr\", \"b says\"]");
  program(s, "other", "[\"sleep\"]");
  e2e_package_write(s->pkg, "meta/realm.cm",
                    "{\"children\": [{\"name\": \"b\", \"url\": "
                    "\"#meta/b.cm\", \"startup\": \"eager\"}]}");
  e2e_package_write(
      s->pkg, "meta/root.cm",
      "{\"children\": [{\"name\": \"a\", \"url\": \"#meta/a.cm\", "
      "\"startup\": \"eager\"}, {\"name\": \"realm\", \"url\": "
      "\"#meta/realm.cm\", \"startup\": \"eager\"}, {\"name\": \"other\", "
      "\"url\": \"#meta/other.cm\", \"startup\": \"eager\"}], "
      "\"collections\": [{\"name\": \"jobs\", \"durability\": "
      "\"transient\"}]}");
  serve(s, config);
  e2e_wait_end(&s->fern, "/a", "ok", 20000);
  e2e_wait_end(&s->fern, "/realm/b", "ok", 20000);
  e2e_wait_for(&s->fern, "[/other] ready", 20000);
}

START_TEST(test_logs_of_the_tree_in_order_with_fern_records) {
  e2e_served s;
  three(&s, NULL);
  json_t *all = logs_json(&s, NULL, NULL, NULL);
  long started = -1, one = find_line(all, "/a", "stdout", "a one"),
       two = find_line(all, "/a", "stdout", "a two"),
       stopped = find_line(all, "/a", "fern", "stopped: ok (exit 0)"),
       b = find_line(all, "/realm/b", "stderr", "b says");
  /* "started (pid N)": its text names the pid, so look at its start. */
  size_t i;
  json_t *line;
  json_array_foreach(all, i, line) {
    if (strcmp(e2e_field(line, "moniker"), "/a") == 0 &&
        strncmp(e2e_field(line, "text"), "started (pid ", 13) == 0)
      started = (long)i;
    ck_assert(json_is_number(json_object_get(line, "time")));
    ck_assert(json_is_integer(json_object_get(line, "seq")));
    if (i > 0) /* in the order fern took them */
      ck_assert_int_gt(
          json_integer_value(json_object_get(line, "seq")),
          json_integer_value(
              json_object_get(json_array_get(all, i - 1), "seq")));
  }
  ck_assert_msg(started >= 0 && one > started && two > one && stopped > two &&
                    b >= 0,
                "lines out of order or missing: %ld %ld %ld %ld %ld",
                started, one, two, stopped, b);
  /* A subtree: /realm/b, not /a. */
  json_t *realm = logs_json(&s, "/realm", NULL, NULL);
  ck_assert_int_ge(find_line(realm, "/realm/b", "stderr", "b says"), 0);
  ck_assert_int_lt(find_line(realm, "/a", "stdout", "a one"), 0);
  /* -n, --stream, --since. */
  json_t *last = logs_json(&s, "-n", "1", "/a");
  ck_assert_uint_eq(json_array_size(last), 1);
  ck_assert_int_eq(find_line(last, "/a", "fern", "stopped: ok (exit 0)"), 0);
  json_t *out = logs_json(&s, "--stream", "stdout", "/a");
  ck_assert_uint_eq(json_array_size(out), 2);
  json_t *later = logs_json(&s, "--since", "4102444800", NULL); /* 2100 */
  ck_assert_uint_eq(json_array_size(later), 0);
  /* For a person: time, moniker, stream, text. */
  e2e_proc p;
  ck_assert_int_eq(logs(&s, &p, "/a", NULL, NULL, NULL), 0);
  ck_assert_msg(strstr(p.out, " /a stdout: a one\n") != NULL &&
                    p.out[4] == '-' && p.out[10] == ' ',
                "%s", p.out);
  e2e_free(&p);
  /* What is not there is said, and so is a bad option. */
  ck_assert_int_eq(logs(&s, &p, "/nothing", NULL, NULL, NULL), 1);
  e2e_assert_has(p.err, "no component /nothing");
  e2e_free(&p);
  ck_assert_int_eq(logs(&s, &p, "--stream", "stdin", NULL, NULL), 2);
  e2e_free(&p);
  ck_assert_int_eq(logs(&s, &p, "--since", "yesterday-ish", NULL, NULL), 2);
  e2e_free(&p);
  json_decref(all);
  json_decref(realm);
  json_decref(last);
  json_decref(out);
  json_decref(later);
  end(&s);
}
END_TEST

/* A destroyed component's lines stay. */
START_TEST(test_a_destroyed_components_lines_stay) {
  e2e_served s;
  three(&s, NULL);
  e2e_proc p;
  const char *create[] = {"create", "--control", s.sock, "/jobs", "j",
                          "#meta/a.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, create), 0);
  e2e_free(&p);
  const char *start[] = {"start", "--control", s.sock, "/jobs:j", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, start), 0);
  e2e_free(&p);
  e2e_wait_end(&s.fern, "/jobs:j", "ok", 20000);
  const char *destroy[] = {"destroy", "--control", s.sock, "/jobs:j", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, destroy), 0);
  e2e_free(&p);
  json_t *lines = logs_json(&s, "/jobs:j", NULL, NULL);
  ck_assert_int_ge(find_line(lines, "/jobs:j", "stdout", "a two"), 0);
  json_decref(lines);
  end(&s);
}
END_TEST

/* Each component keeps its latest lines, within its buffer. */
START_TEST(test_a_buffer_keeps_the_latest_lines) {
  e2e_served s;
  one(&s, "c", "[\"count\", \"1000\"]", "{\"logs\": {\"buffer_bytes\": 4096}}");
  e2e_wait_end(&s.fern, "/c", "ok", 20000);
  json_t *lines = logs_json(&s, "--stream", "stdout", "/c");
  size_t n = json_array_size(lines);
  ck_assert_msg(n > 10 && n < 100, "%zu lines kept in 4 KiB", n);
  ck_assert_str_eq(e2e_field(json_array_get(lines, n - 1), "text"),
                   "count 999");
  ck_assert_int_lt(find_line(lines, "/c", "stdout", "count 0"), 0);
  json_decref(lines);
  end(&s);
}
END_TEST

/* /NAME runs bin/tool `args`, which prints a line past the bound and then
 * `after`: its stdout is kept as that line's first 4096 bytes, marked
 * cut, and `after` whole. Returns the lines (the caller's). */
static json_t *cut_then_whole(e2e_served *s, const char *name,
                              const char *args, const char *after) {
  char moniker[64];
  snprintf(moniker, sizeof moniker, "/%s", name);
  one(s, name, args, NULL);
  e2e_wait_end(&s->fern, moniker, "ok", 20000);
  json_t *lines = logs_json(s, "--stream", "stdout", moniker);
  ck_assert_uint_eq(json_array_size(lines), 2);
  json_t *cut = json_array_get(lines, 0);
  ck_assert(json_is_true(json_object_get(cut, "cut")));
  ck_assert_uint_eq(strlen(e2e_field(cut, "text")), 4096);
  ck_assert_str_eq(e2e_field(json_array_get(lines, 1), "text"), after);
  return lines;
}

/* A line of a megabyte: its start is kept, marked cut, and the next line
 * is whole. */
START_TEST(test_a_megabyte_line_is_cut_and_marked) {
  e2e_served s;
  json_t *lines = cut_then_whole(&s, "long", "[\"long-line\", \"1048576\"]",
                                 "after the long line");
  e2e_assert_has(s.fern.err, "[line cut]\n");
  e2e_proc p;
  ck_assert_int_eq(logs(&s, &p, "/long", NULL, NULL, NULL), 0);
  e2e_assert_has(p.out, "yyyy [line cut]\n");
  e2e_free(&p);
  json_decref(lines);
  end(&s);
}
END_TEST

/* A line that grows past the bound across two reads is cut once, and the
 * line after it is whole. */
START_TEST(test_a_line_cut_across_reads_spares_the_next) {
  e2e_served s;
  json_t *lines = cut_then_whole(&s, "split",
                                 "[\"split-line\", \"3000\", \"2000\"]",
                                 "after the split line");
  json_decref(lines);
  end(&s);
}
END_TEST

/* Bytes that are not UTF-8 reach fern logs as U+FFFD, in valid JSON, and
 * lose no line. */
START_TEST(test_bytes_not_utf8_are_kept_as_replacements) {
  e2e_served s;
  one(&s, "bad", "[\"bad-utf8\"]", NULL);
  e2e_wait_end(&s.fern, "/bad", "ok", 20000);
  json_t *lines = logs_json(&s, "--stream", "stdout", "/bad");
  ck_assert_uint_eq(json_array_size(lines), 2);
  ck_assert_str_eq(e2e_field(json_array_get(lines, 0), "text"),
                   "bad \xef\xbf\xbd\xef\xbf\xbd");
  ck_assert_str_eq(e2e_field(json_array_get(lines, 1), "text"), "after");
  json_decref(lines);
  end(&s);
}
END_TEST

/* A follower that goes away while lines pour in: fern drops it and goes
 * on (under AddressSanitizer this is where a freed follower would show). */
START_TEST(test_a_follower_that_leaves_mid_flood) {
  e2e_served s;
  serve_flood(&s, 100000);
  e2e_proc f;
  const char *follow[] = {"logs", "--control", s.sock, "-f", "/flood", NULL};
  e2e_start(&f, follow);
  start_flood(&s);
  /* Any line of the flood: a follower that falls behind loses lines
   * (told so), so waiting for one in particular could wait for ever. */
  e2e_wait_for_stdout(&f, "stdout: count ", 60000);
  kill(f.pid, SIGKILL);
  e2e_finish(&f, 20000);
  e2e_free(&f);
  e2e_wait_end(&s.fern, "/flood", "ok", 60000);
  json_t *last = logs_json4(&s, "-n", "1", "--stream", "stdout");
  ck_assert_str_eq(e2e_field(json_array_get(last, 0), "text"),
                   "count 99999");
  json_decref(last);
  kill(s.fern.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&s.fern, 20000), 0);
  e2e_free(&s.fern);
  e2e_package_remove(s.pkg);
}
END_TEST

/* -f prints the lines kept, then each new one of what it follows. */
START_TEST(test_follow_prints_new_lines) {
  e2e_served s;
  three(&s, NULL);
  e2e_proc f;
  const char *follow[] = {"logs", "--control", s.sock, "-f", "-n", "1", "/a",
                          NULL};
  e2e_start(&f, follow);
  e2e_wait_for_stdout(&f, "/a fern: stopped: ok (exit 0)", 20000);
  e2e_proc p;
  const char *start[] = {"start", "--control", s.sock, "/a", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, start), 0);
  e2e_free(&p);
  e2e_wait_for_stdout(&f, "/a stdout: a two\n", 20000);
  /* The kept line first, then the new run's. */
  const char *kept = strstr(f.out, "stopped: ok (exit 0)");
  const char *again = strstr(f.out, "/a stdout: a one\n");
  ck_assert_msg(kept != NULL && again != NULL && kept < again, "%s", f.out);
  e2e_assert_lacks(f.out, "/realm/b");
  kill(f.pid, SIGTERM);
  e2e_finish(&f, 20000);
  e2e_free(&f);
  end(&s);
}
END_TEST

/* A follower that never reads: fern goes on (other clients are answered,
 * the component's flood ends ok) and the follower is dropped or cut off,
 * not waited for. */
START_TEST(test_a_follower_that_never_reads_stalls_nothing) {
  e2e_served s;
  serve_flood(&s, 200000);
  int fd = e2e_control_connect(&s.fern, s.sock);
  const char request[] = "{\"fern\": 1, \"id\": 1, \"command\": \"logs\", "
                         "\"follow\": true}\n";
  ck_assert_int_eq(write(fd, request, sizeof request - 1),
                   (ssize_t)sizeof request - 1);
  start_flood(&s);
  e2e_wait_end(&s.fern, "/flood", "ok", 60000);
  json_t *last = logs_json4(&s, "-n", "1", "--stream", "stdout");
  ck_assert_str_eq(e2e_field(json_array_get(last, 0), "text"),
                   "count 199999");
  json_decref(last);
  /* It was followed all along: what the socket holds for it starts with
   * the answer and goes on with lines of the flood. */
  char got[65536];
  size_t len = 0;
  long deadline = e2e_now_ms() + 20000;
  while (len < sizeof got - 1 && e2e_now_ms() < deadline) {
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, 1000) != 1)
      continue;
    ssize_t n = read(fd, got + len, sizeof got - 1 - len);
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  got[len] = '\0';
  ck_assert_msg(strstr(got, "\"following\":true") != NULL &&
                    strstr(got, "\"text\":\"count ") != NULL,
                "the follower got: %.300s", got);
  close(fd);
  end(&s);
}
END_TEST

static int count_files(const char *dir, const char *prefix) {
  char cmd[4300], out[64];
  snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '^%s'", dir, prefix);
  FILE *f = popen(cmd, "r");
  int n = f && fgets(out, sizeof out, f) ? atoi(out) : -1;
  if (f)
    pclose(f);
  return n;
}

/* The log directory: a file per component, rotated by size into a bounded
 * number; fern logs reads back further than memory keeps. */
START_TEST(test_log_dir_rotates_and_reads_back_past_memory) {
  e2e_served s;
  one(&s, "c", "[\"count\", \"500\"]",
      "{\"logs\": {\"dir\": \"logs\", \"buffer_bytes\": 2048, "
      "\"file_bytes\": 8192, \"files\": 3}}");
  e2e_wait_end(&s.fern, "/c", "ok", 20000);
  json_t *lines = logs_json(&s, "--stream", "stdout", "/c");
  size_t n = json_array_size(lines);
  /* 3 files of at most 8 KiB, lines of about 100 bytes: more than 2 KiB
   * of memory holds, fewer than all 500. */
  ck_assert_msg(n > 100 && n < 500, "%zu lines read back", n);
  ck_assert_str_eq(e2e_field(json_array_get(lines, n - 1), "text"),
                   "count 499");
  char dir[4200], file[4300];
  snprintf(dir, sizeof dir, "%s/logs", s.pkg);
  ck_assert_int_eq(count_files(dir, "%2Fc.log"), 3);
  for (int i = 0; i < 3; i++) {
    struct stat st;
    if (i == 0)
      snprintf(file, sizeof file, "%s/%%2Fc.log", dir);
    else
      snprintf(file, sizeof file, "%s/%%2Fc.log.%d", dir, i);
    ck_assert_int_eq(stat(file, &st), 0);
    ck_assert_int_le(st.st_size, 8192);
  }
  json_decref(lines);
  end(&s);
}
END_TEST

/* A log directory that cannot be written (removed, or full) is said once,
 * and the component and fern go on; its lines are still in memory. */
static void unwritable(int full) {
  e2e_served s;
  e2e_package_new(s.pkg, sizeof s.pkg);
  program(&s, "c", "[\"count\", \"3000\"]");
  e2e_package_write(s.pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"c\", \"url\": "
                    "\"#meta/c.cm\"}]}");
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/logs", s.pkg);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  if (full && mount("tmpfs", dir, "tmpfs", 0, "size=16k") != 0) {
    fprintf(stderr, "skipped: cannot mount a small tmpfs to fill: %s\n",
            strerror(errno));
    e2e_package_remove(s.pkg);
    return;
  }
  serve(&s, "{\"logs\": {\"dir\": \"logs\"}}");
  if (!full) {
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
  }
  e2e_proc p;
  const char *start[] = {"start", "--control", s.sock, "/c", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, start), 0);
  e2e_free(&p);
  e2e_wait_end(&s.fern, "/c", "ok", 20000);
  e2e_wait_for(&s.fern, "lines stay in memory only", 20000);
  json_t *last = logs_json4(&s, "-n", "1", "--stream", "stdout");
  ck_assert_str_eq(e2e_field(json_array_get(last, 0), "text"), "count 2999");
  json_decref(last);
  kill(s.fern.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&s.fern, 20000), 0);
  ck_assert_int_eq(e2e_count(s.fern.err, "log directory "), 1);
  if (full)
    umount2(dir, MNT_DETACH);
  e2e_free(&s.fern);
  e2e_package_remove(s.pkg);
}

START_TEST(test_a_removed_log_dir_is_said_once) { unwritable(0); }
END_TEST

START_TEST(test_a_full_log_dir_is_said_once) { unwritable(1); }
END_TEST

Suite *logs_suite(void) {
  Suite *s = suite_create("logs");
  TCase *tc = tcase_create("logs");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_logs_of_the_tree_in_order_with_fern_records);
  tcase_add_test(tc, test_a_destroyed_components_lines_stay);
  tcase_add_test(tc, test_a_buffer_keeps_the_latest_lines);
  tcase_add_test(tc, test_a_megabyte_line_is_cut_and_marked);
  tcase_add_test(tc, test_a_line_cut_across_reads_spares_the_next);
  tcase_add_test(tc, test_bytes_not_utf8_are_kept_as_replacements);
  tcase_add_test(tc, test_a_follower_that_leaves_mid_flood);
  tcase_add_test(tc, test_follow_prints_new_lines);
  tcase_add_test(tc, test_a_follower_that_never_reads_stalls_nothing);
  tcase_add_test(tc, test_log_dir_rotates_and_reads_back_past_memory);
  tcase_add_test(tc, test_a_removed_log_dir_is_said_once);
  tcase_add_test(tc, test_a_full_log_dir_is_said_once);
  suite_add_tcase(s, tc);
  return s;
}
