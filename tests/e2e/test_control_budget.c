/* test_control_budget.c - what clients of the control socket that never
 * read can hold of fern's memory: all of them together a bounded amount,
 * the slowest cut off and told why, a client that reads still served, and
 * connections past the limit refused with the reason. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "control_client.h"

#define CHILDREN 6000 /* a `fern list` reply of about 1.6 MB */
#define CLIENTS 250   /* below the connection limit, with room to spare */
#define MAX_CONNS 256 /* FERN_CONTROL_MAX_CONNS */
#define MIB (1024L * 1024)

typedef e2e_served served;

static const char list_request[] =
    "{\"fern\": 1, \"id\": 1, \"command\": \"list\"}\n";

/* A package whose root has CHILDREN lazy realms with long names, so that
 * each row of a list is long. */
static void write_big_tree(const char *pkg) {
  size_t size = CHILDREN * 220 + 64, used = 0;
  char *text = malloc(size);
  ck_assert_ptr_nonnull(text);
  used += (size_t)snprintf(text, size, "{\"children\": [");
  for (int i = 0; i < CHILDREN; i++)
    used += (size_t)snprintf(
        text + used, size - used,
        "%s{\"name\": \"c%05d-%.93s\", \"url\": \"#meta/a-realm-with-a-name-"
        "long-enough-that-each-row-of-a-list-is-large.cm\"}",
        i ? "," : "", i,
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  snprintf(text + used, size - used, "]}");
  e2e_package_write(pkg, "meta/root.cm", text);
  free(text);
  e2e_package_write(pkg,
                    "meta/a-realm-with-a-name-long-enough-that-each-row-of-a-"
                    "list-is-large.cm",
                    "{}");
}

static void finish(served *s) {
  kill(s->fern.pid, SIGTERM);
  int status = e2e_finish(&s->fern, 60000);
  ck_assert_msg(status == 0, "fern exited %d:\n%.3000s", status, s->fern.err);
  e2e_free(&s->fern);
  e2e_package_remove(s->pkg);
}

static int connect_raw(served *s) {
  return e2e_control_connect(&s->fern, s->sock);
}

/* Waits until fern has sent something to every client. */
static void wait_all_answered(served *s, const int *fds, int n, int ms) {
  long deadline = e2e_now_ms() + ms;
  for (int i = 0; i < n; i++) {
    struct pollfd pfd = {fds[i], POLLIN, 0};
    while (poll(&pfd, 1, 0) == 0) {
      ck_assert_msg(e2e_now_ms() < deadline,
                    "client %d of %d got no answer within %d ms", i, n, ms);
      e2e_pump(&s->fern, 5);
    }
  }
}

/* Reads fd to its end, keeping the last bytes in `tail`. */
static void read_to_end(served *s, int fd, char *tail, size_t size, int ms) {
  char buf[65536];
  size_t kept = 0;
  long deadline = e2e_now_ms() + ms;
  tail[0] = '\0';
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0)
      return;
    if (n < 0) {
      ck_assert_msg(errno == EAGAIN && e2e_now_ms() < deadline,
                    "no end within %d ms; last read: ...%s", ms, tail);
      e2e_pump(&s->fern, 5);
      continue;
    }
    for (ssize_t i = 0; i < n; i++) {
      if (kept == size - 1) {
        memmove(tail, tail + size / 2, kept - size / 2);
        kept -= size / 2;
      }
      tail[kept++] = buf[i];
    }
    tail[kept] = '\0';
  }
}

/* Runs `fern list`; returns how many rows of the big tree it printed and,
 * in `ms`, how long it took. */
static int list_rows(served *s, long *ms) {
  const char *args[] = {"list", "--control", s->sock, NULL};
  e2e_proc p;
  long start = e2e_now_ms();
  ck_assert_int_eq(e2e_run(&p, 30000, args), 0);
  *ms = e2e_now_ms() - start;
  int rows = e2e_count(p.out, "#meta/a-realm-with-a-name");
  e2e_free(&p);
  return rows;
}

/* Waits until the whole tree is resolved and listed. */
static void wait_listed(served *s) {
  long ms, deadline = e2e_now_ms() + 30000;
  while (list_rows(s, &ms) < CHILDREN) {
    ck_assert_msg(e2e_now_ms() < deadline, "the tree was not resolved");
    e2e_pump(&s->fern, 10);
  }
}

START_TEST(test_clients_that_never_read_hold_bounded_memory) {
  if (e2e_skip_under_valgrind("measures fern's own resident memory"))
    return;
  served s;
  e2e_package_new(s.pkg, sizeof s.pkg);
  write_big_tree(s.pkg);
  e2e_control_serve(&s);
  wait_listed(&s); /* the tree is there, and a list was built */
  long before = e2e_peak_memory(s.fern.pid);
  int fds[CLIENTS];
  for (int i = 0; i < CLIENTS; i++) {
    fds[i] = connect_raw(&s);
    ck_assert_int_eq(write(fds[i], list_request, sizeof list_request - 1),
                     (ssize_t)sizeof list_request - 1);
  }
  wait_all_answered(&s, fds, CLIENTS, 60000);
  long grown = e2e_peak_memory(s.fern.pid) - before;
  /* Without a bound, each reply less what the kernel's socket buffer takes
   * stays in fern: some 350 MiB here. With it, the 64 MiB budget, and room
   * for one reply being built and for the allocator's own slack. */
  ck_assert_msg(grown < 112 * MIB,
                "fern's peak memory grew by %ld MiB for %d clients that "
                "never read (the budget is 64 MiB)",
                grown / MIB, CLIENTS);
  e2e_pump(&s.fern, 0);
  ck_assert_int_ge(e2e_count(s.fern.err, "control socket: cut off the "
                                         "client of pid "),
                   CLIENTS / 2);
  /* A client that reads is served meanwhile. */
  long ms;
  ck_assert_int_eq(list_rows(&s, &ms), CHILDREN);
  ck_assert_msg(ms < 10000, "a fresh fern list took %ld ms", ms);
  /* The first to stop reading was cut off first; reading at last, it
   * finds why after what it had been sent. */
  char tail[1024];
  read_to_end(&s, fds[0], tail, sizeof tail, 20000);
  e2e_assert_has(tail, "\n{\"fern\":1,\"ok\":false,\"error\":\"cut off: fern "
                       "had ");
  for (int i = 0; i < CLIENTS; i++)
    close(fds[i]);
  finish(&s);
}
END_TEST

START_TEST(test_connections_past_the_limit_are_refused) {
  served s;
  e2e_package_new(s.pkg, sizeof s.pkg);
  e2e_package_write(s.pkg, "meta/root.cm", "{}");
  e2e_control_serve(&s);
  int fds[MAX_CONNS];
  for (int i = 0; i < MAX_CONNS; i++)
    fds[i] = connect_raw(&s);
  int extra = connect_raw(&s);
  char tail[1024];
  read_to_end(&s, extra, tail, sizeof tail, 20000);
  close(extra);
  e2e_assert_has(tail, "{\"fern\":1,\"ok\":false,\"error\":\"refused: this "
                       "fern already has 256 control connections open, the "
                       "most it takes; close some and try again\"}\n");
  e2e_wait_for(&s.fern,
               "control socket: 256 connections are open, the most "
               "it takes: new ones are refused until some close",
               20000);
  /* Those it took are served as before. */
  ck_assert_int_eq(write(fds[0], list_request, sizeof list_request - 1),
                   (ssize_t)sizeof list_request - 1);
  wait_all_answered(&s, fds, 1, 20000);
  char reply[4096];
  ssize_t n = read(fds[0], reply, sizeof reply - 1);
  ck_assert_int_gt(n, 0);
  reply[n] = '\0';
  e2e_assert_has(reply, "\"ok\":true");
  for (int i = 0; i < MAX_CONNS; i++)
    close(fds[i]);
  finish(&s);
}
END_TEST

Suite *control_budget_suite(void) {
  Suite *s = suite_create("control_budget");
  TCase *tc = tcase_create("control_budget");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, test_clients_that_never_read_hold_bounded_memory);
  tcase_add_test(tc, test_connections_past_the_limit_are_refused);
  suite_add_tcase(s, tc);
  return s;
}
