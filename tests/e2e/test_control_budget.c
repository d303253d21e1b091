/* test_control_budget.c - what clients of the control socket that never
 * read can hold of fern's memory: all of them together a bounded amount,
 * the slowest cut off and told why, a client that reads still served, and
 * connections past the limit refused with the reason. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "e2e.h"

#define CHILDREN 6000 /* a `fern list` reply of about 1.6 MB */
#define CLIENTS 250   /* below the connection limit, with room to spare */
#define MAX_CONNS 256 /* FERN_CONTROL_MAX_CONNS */
#define MIB (1024L * 1024)

typedef struct served_s {
  char pkg[4096];
  char sock[4200];
  e2e_proc fern;
} served;

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

/* Runs fern on the package's root with its control socket inside it. */
static void serve(served *s) {
  snprintf(s->sock, sizeof s->sock, "%s/control.sock", s->pkg);
  char root[4200];
  snprintf(root, sizeof root, "%s/meta/root.cm", s->pkg);
  /* Under AddressSanitizer, freed memory waits in a quarantine of up to
   * 256 MB before it is reused: fern's resident memory would measure it. */
  const char *asan = getenv("ASAN_OPTIONS");
  char options[1024];
  snprintf(options, sizeof options, "%s%squarantine_size_mb=8",
           asan ? asan : "", asan ? ":" : "");
  setenv("ASAN_OPTIONS", options, 1);
  const char *args[] = {"run", "--keep-running", "--control", s->sock, root,
                        NULL};
  e2e_start(&s->fern, args);
  e2e_wait_for(&s->fern, "control socket ", 20000);
}

static void finish(served *s) {
  kill(s->fern.pid, SIGTERM);
  int status = e2e_finish(&s->fern, 60000);
  ck_assert_msg(status == 0, "fern exited %d:\n%.3000s", status, s->fern.err);
  e2e_free(&s->fern);
  e2e_package_remove(s->pkg);
}

/* Connects without blocking: while fern's listen backlog is full, reads
 * what fern logs, so that fern never waits on its own output. */
static int connect_raw(served *s) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  ck_assert_int_ge(fd, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", s->sock);
  long deadline = e2e_now_ms() + 20000;
  while (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    ck_assert_msg(errno == EAGAIN && e2e_now_ms() < deadline,
                  "cannot connect to %s: %s", s->sock, strerror(errno));
    e2e_pump(&s->fern, 5);
  }
  return fd;
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

/* VmHWM, fern's peak resident memory, in bytes. */
static long peak_memory(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  long kb = -1;
  while (fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
      break;
  fclose(f);
  ck_assert_int_gt(kb, 0);
  return kb * 1024;
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
  serve(&s);
  wait_listed(&s); /* the tree is there, and a list was built */
  long before = peak_memory(s.fern.pid);
  int fds[CLIENTS];
  for (int i = 0; i < CLIENTS; i++) {
    fds[i] = connect_raw(&s);
    ck_assert_int_eq(write(fds[i], list_request, sizeof list_request - 1),
                     (ssize_t)sizeof list_request - 1);
  }
  wait_all_answered(&s, fds, CLIENTS, 60000);
  long grown = peak_memory(s.fern.pid) - before;
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
  serve(&s);
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
