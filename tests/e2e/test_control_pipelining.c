/* test_control_pipelining.c - a client of the control socket that sends
 * requests ahead of their replies: fern works on a bounded number of a
 * connection's requests at once and reads the rest only as replies go
 * out, so that such a client can neither grow fern's memory nor keep its
 * loop from other clients and from signals. Each test's fern has an eager
 * child, /stubborn, that ignores SIGTERM and has a minute to stop: a stop
 * request for it waits. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control_client.h"

#define WAITING_MAX 32       /* FERN_CONTROL_WAITING_MAX */
#define LINE_MAX_BYTES 65536 /* FERN_CONTROL_LINE_MAX */
#define KILL_GRACE_MS 5000   /* FERN_KILL_GRACE_MS, core/manager.c */
/* What fern took of a client that never stopped writing, in about nine
 * seconds, before it bounded the requests waiting. */
#define FLOOD_LINES 3000000L
#define MIB (1024L * 1024)

typedef e2e_served served;

static const char stop_request[] = "{\"fern\": 1, \"id\": 1, \"command\": "
                                   "\"stop\", \"moniker\": \"/stubborn\"}\n";
#define STOP_LEN (sizeof stop_request - 1)

static void serve_stubborn(served *s) {
  e2e_package_new(s->pkg, sizeof s->pkg);
  e2e_package_program(s->pkg, "stubborn", "elf", "\"args\": [\"ignore-term\"]");
  e2e_package_write(s->pkg, "meta/root.cm",
                    "{\"environments\": [{\"name\": \"slow\", \"extends\": "
                    "\"realm\", \"__stop_timeout_ms\": 60000}], "
                    "\"children\": [{\"name\": \"stubborn\", \"url\": "
                    "\"#meta/stubborn.cm\", \"startup\": \"eager\", "
                    "\"environment\": \"#slow\"}]}");
  e2e_control_serve(s);
  e2e_wait_for(&s->fern, "[/stubborn] ready", 20000);
}

static void kill_stubborn(served *s) {
  pid_t pid;
  ck_assert_int_eq(e2e_collect_pids(s->fern.err, "/stubborn", &pid, 1), 1);
  ck_assert_int_eq(kill(pid, SIGKILL), 0);
}

/* Ends fern: a signal, and while /stubborn lives a second that kills it;
 * fern must then be gone within the kill grace, and a second for the
 * machine. Either way /stubborn did not end ok. */
static void end_fern(served *s, int stubborn_lives) {
  kill(s->fern.pid, SIGTERM);
  e2e_wait_for(&s->fern, "SIGTERM: stopping the tree", 20000);
  if (stubborn_lives)
    kill(s->fern.pid, SIGTERM);
  int status = e2e_finish(&s->fern, KILL_GRACE_MS + 1000);
  ck_assert_msg(status == 1, "fern exited %d:\n%.3000s", status, s->fern.err);
  e2e_free(&s->fern);
  e2e_package_remove(s->pkg);
}

/* A client, a process of its own, that writes stop requests for
 * /stubborn for as long as fern takes them, and reads nothing. */
typedef struct flood_s {
  pid_t pid;
  long *sent; /* bytes written so far, shared with the client */
} flood;

static _Noreturn void flood_write(int fd, long *sent) {
  size_t size = 1000 * STOP_LEN, at = 0;
  char *chunk = malloc(size);
  for (size_t i = 0; chunk != NULL && i < 1000; i++)
    memcpy(chunk + i * STOP_LEN, stop_request, STOP_LEN);
  for (;;) {
    ssize_t n = chunk ? send(fd, chunk + at, size - at, MSG_NOSIGNAL) : -1;
    if (n <= 0)
      _exit(0);
    __atomic_add_fetch(sent, n, __ATOMIC_RELAXED);
    at = (at + (size_t)n) % size;
  }
}

static void flood_start(flood *f, served *s) {
  f->sent = mmap(NULL, sizeof *f->sent, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne(f->sent, MAP_FAILED);
  int fd = e2e_control_connect(&s->fern, s->sock);
  f->pid = fork();
  ck_assert_int_ge(f->pid, 0);
  if (f->pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    fcntl(fd, F_SETFL, 0); /* blocking: fern's pace is the client's */
    flood_write(fd, f->sent);
  }
  close(fd);
}

/* Lets the client write until fern has taken FLOOD_LINES requests or has
 * taken nothing for a second (it pushes back). Returns how many it took. */
static long flood_until_pushed_back(flood *f, served *s) {
  long deadline = e2e_now_ms() + 30000, last = -1, since = 0;
  for (;;) {
    long sent = __atomic_load_n(f->sent, __ATOMIC_RELAXED);
    long now = e2e_now_ms();
    if (sent != last) {
      last = sent;
      since = now;
    }
    if (sent / (long)STOP_LEN >= FLOOD_LINES || now - since >= 1000 ||
        now >= deadline)
      return sent / (long)STOP_LEN;
    e2e_pump(&s->fern, 10);
  }
}

static void flood_end(flood *f) {
  kill(f->pid, SIGKILL);
  waitpid(f->pid, NULL, 0);
  munmap(f->sent, sizeof *f->sent);
}

/* A fern serving /stubborn, and a client that floods it. */
typedef struct flooded_s {
  served s;
  flood f;
  long peak_before; /* fern's peak memory before the flood */
  long lines;       /* the stop requests fern took */
} flooded;

/* Serves /stubborn and floods it with stop requests until fern pushes
 * back. Returns 0; under valgrind, too slow for what the flooding tests
 * measure (`why`), -1. */
static int flood_stubborn(flooded *x, const char *why) {
  if (e2e_skip_under_valgrind(why))
    return -1;
  serve_stubborn(&x->s);
  x->peak_before = e2e_peak_memory(x->s.fern.pid);
  flood_start(&x->f, &x->s);
  x->lines = flood_until_pushed_back(&x->f, &x->s);
  return 0;
}

/* Runs `fern list`: it must list /stubborn within `ms`. */
static void assert_list_answers(served *s, int ms) {
  const char *args[] = {"list", "--control", s->sock, NULL};
  e2e_proc p;
  long start = e2e_now_ms();
  ck_assert_int_eq(e2e_run(&p, 60000, args), 0);
  long took = e2e_now_ms() - start;
  e2e_assert_has(p.out, "/stubborn");
  ck_assert_msg(took < ms, "fern list took %ld ms, more than %d", took, ms);
  e2e_free(&p);
}

/* Writes all of `text` to the non-blocking `fd`, reading what fern logs
 * while the socket is full. */
static void send_all(served *s, int fd, const char *text, size_t len) {
  long deadline = e2e_now_ms() + 20000;
  while (len > 0) {
    ssize_t n = send(fd, text, len, MSG_NOSIGNAL);
    if (n > 0) {
      text += n;
      len -= (size_t)n;
      continue;
    }
    ck_assert_msg(errno == EAGAIN && e2e_now_ms() < deadline,
                  "cannot write to fern: %s", strerror(errno));
    e2e_pump(&s->fern, 5);
  }
}

/* `stops` stop requests with ids 1, 2..., then a show request with the
 * next id. */
static void send_stops_then_show(served *s, int fd, int stops) {
  char line[256];
  for (int i = 1; i <= stops + 1; i++) {
    int n = snprintf(line, sizeof line,
                     "{\"fern\": 1, \"id\": %d, \"command\": \"%s\", "
                     "\"moniker\": \"/stubborn\"}\n",
                     i, i <= stops ? "stop" : "show");
    send_all(s, fd, line, (size_t)n);
  }
}

/* Reads `n` reply lines from `fd` within `ms`; returns the last (malloc'd). */
/* Reads `n` replies; returns them all, one per line. */
static char *read_all_replies(served *s, int fd, int n, int ms) {
  size_t size = 1 << 16, len = 0;
  char *text = malloc(size);
  ck_assert_ptr_nonnull(text);
  long deadline = e2e_now_ms() + ms;
  for (int lines = 0; lines < n;) {
    if (len == size)
      ck_assert_ptr_nonnull(text = realloc(text, size *= 2));
    ssize_t got = read(fd, text + len, 1);
    if (got == 1) {
      lines += text[len++] == '\n';
      continue;
    }
    ck_assert_msg(got < 0 && errno == EAGAIN && e2e_now_ms() < deadline,
                  "%d of %d replies within %d ms", lines, n, ms);
    e2e_pump(&s->fern, 5);
  }
  text[len - 1] = '\0';
  return text;
}

/* Reads `n` replies; returns the last. */
static char *read_replies(served *s, int fd, int n, int ms) {
  char *text = read_all_replies(s, fd, n, ms);
  char *last = strrchr(text, '\n');
  char *copy = strdup(last ? last + 1 : text);
  free(text);
  return copy;
}

static int readable(int fd) {
  struct pollfd pfd = {fd, POLLIN, 0};
  return poll(&pfd, 1, 0) == 1;
}

START_TEST(test_requests_sent_ahead_hold_bounded_memory) {
  flooded x;
  if (flood_stubborn(&x, "measures fern's own resident memory") != 0)
    return;
  long grown = e2e_peak_memory(x.s.fern.pid) - x.peak_before;
  /* Unbounded, each request and its waiter stayed: some 300 MB for the
   * three million the client got in. Bounded, what waits in the socket's
   * buffer is the kernel's. */
  ck_assert_msg(grown < 16 * MIB,
                "fern's peak memory grew by %ld MiB while a client sent %ld "
                "stop requests ahead of their replies",
                grown / MIB, x.lines);
  ck_assert_int_gt(x.lines, WAITING_MAX);
  flood_end(&x.f);
  end_fern(&x.s, 1);
}
END_TEST

START_TEST(test_list_answers_while_a_client_sends_requests_ahead) {
  flooded x;
  if (flood_stubborn(&x, "times fern's answers") != 0)
    return;
  assert_list_answers(&x.s, 3000);
  /* Once /stubborn has ended, every request that waited on it is
   * answered, and the client's next ones are answered at once. */
  kill_stubborn(&x.s);
  assert_list_answers(&x.s, 3000);
  assert_list_answers(&x.s, 3000);
  flood_end(&x.f);
  end_fern(&x.s, 0);
}
END_TEST

START_TEST(test_second_signal_ends_fern_while_a_client_sends_requests_ahead) {
  flooded x;
  if (flood_stubborn(&x, "times fern's end") != 0)
    return;
  end_fern(&x.s, 1);
  flood_end(&x.f);
}
END_TEST

START_TEST(test_a_connection_has_at_most_32_requests_waiting) {
  served s;
  serve_stubborn(&s);
  /* 31 stops wait; the show after them is answered at once. */
  int under = e2e_control_connect(&s.fern, s.sock);
  send_stops_then_show(&s, under, WAITING_MAX - 1);
  char *reply = read_replies(&s, under, 1, 20000);
  e2e_assert_has(reply, "{\"fern\":1,\"id\":32,\"ok\":true");
  free(reply);
  /* After 32 that wait, the show waits too. A list on another connection
   * has fern go round its loop, after it read all of them. */
  int over = e2e_control_connect(&s.fern, s.sock);
  send_stops_then_show(&s, over, WAITING_MAX);
  assert_list_answers(&s, 20000);
  ck_assert_msg(!readable(over), "the request after 32 waiting ones was "
                                 "answered while they still waited");
  kill_stubborn(&s);
  free(read_replies(&s, under, WAITING_MAX - 1, 20000));
  reply = read_replies(&s, over, WAITING_MAX + 1, 20000);
  e2e_assert_has(reply, "{\"fern\":1,\"id\":33,\"ok\":true");
  free(reply);
  close(under);
  close(over);
  end_fern(&s, 0);
}
END_TEST

START_TEST(test_requests_waiting_hold_at_most_a_line_of_bytes) {
  served s;
  serve_stubborn(&s);
  /* Two stops whose ids take 40 KiB each, then a show: the second stop
   * would take the waiting lines past 64 KiB, so it and the show wait. */
  size_t size = 2 * 41 * 1024 + 256, used = 0;
  char *text = malloc(size);
  ck_assert_ptr_nonnull(text);
  for (int i = 0; i < 2; i++)
    used += (size_t)snprintf(text + used, size - used,
                             "{\"fern\": 1, \"id\": \"%c%040960d\", "
                             "\"command\": \"stop\", \"moniker\": "
                             "\"/stubborn\"}\n",
                             'a' + i, 0);
  used += (size_t)snprintf(text + used, size - used,
                           "{\"fern\": 1, \"id\": 3, \"command\": \"show\", "
                           "\"moniker\": \"/stubborn\"}\n");
  int fd = e2e_control_connect(&s.fern, s.sock);
  send_all(&s, fd, text, used);
  free(text);
  assert_list_answers(&s, 20000);
  ck_assert_msg(!readable(fd), "a request was answered while the waiting "
                               "ones held more than 64 KiB");
  kill_stubborn(&s);
  /* A stop is answered once handled, after a show read with it. */
  char *reply = read_all_replies(&s, fd, 3, 20000);
  ck_assert_msg(strstr(reply, "{\"fern\":1,\"id\":3,\"ok\":true") != NULL,
                "no answer to the show among the three replies");
  free(reply);
  close(fd);
  end_fern(&s, 0);
}
END_TEST

START_TEST(test_an_id_that_is_not_a_number_string_or_null_is_refused) {
  served s;
  serve_stubborn(&s);
  int fd = e2e_control_connect(&s.fern, s.sock);
  static const char request[] =
      "{\"fern\": 1, \"id\": [1, 2], \"command\": \"list\"}\n";
  send_all(&s, fd, request, sizeof request - 1);
  char *reply = read_replies(&s, fd, 1, 20000);
  ck_assert_str_eq(reply, "{\"fern\":1,\"id\":null,\"ok\":false,\"error\":"
                          "\"\\\"id\\\" must be a number, a string or null, "
                          "not an array\"}");
  free(reply);
  close(fd);
  end_fern(&s, 1);
}
END_TEST

START_TEST(test_a_line_longer_than_the_limit_ends_the_connection) {
  served s;
  serve_stubborn(&s);
  /* Whole, newline and all, and a request fern would otherwise answer. */
  size_t size = LINE_MAX_BYTES + 1024;
  char *line = malloc(size);
  ck_assert_ptr_nonnull(line);
  int n = snprintf(line, size,
                   "{\"fern\": 1, \"id\": 1, \"command\": \"list\", "
                   "\"padding\": \"%0*d\"}\n",
                   LINE_MAX_BYTES, 0);
  int fd = e2e_control_connect(&s.fern, s.sock);
  send_all(&s, fd, line, (size_t)n);
  free(line);
  char expected[256];
  snprintf(expected, sizeof expected,
           "control socket: closed the connection of pid %d: it sent a line "
           "longer than %d bytes",
           (int)getpid(), LINE_MAX_BYTES);
  e2e_wait_for(&s.fern, expected, 20000);
  struct pollfd pfd = {fd, POLLIN, 0};
  ck_assert_int_eq(poll(&pfd, 1, 20000), 1);
  char buf[256];
  ck_assert_int_eq(read(fd, buf, sizeof buf), 0); /* closed, no reply */
  close(fd);
  end_fern(&s, 1);
}
END_TEST

Suite *control_pipelining_suite(void) {
  Suite *s = suite_create("control_pipelining");
  TCase *tc = tcase_create("control_pipelining");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_requests_sent_ahead_hold_bounded_memory);
  tcase_add_test(tc, test_list_answers_while_a_client_sends_requests_ahead);
  tcase_add_test(
      tc, test_second_signal_ends_fern_while_a_client_sends_requests_ahead);
  tcase_add_test(tc, test_a_connection_has_at_most_32_requests_waiting);
  tcase_add_test(tc, test_requests_waiting_hold_at_most_a_line_of_bytes);
  tcase_add_test(tc, test_an_id_that_is_not_a_number_string_or_null_is_refused);
  tcase_add_test(tc, test_a_line_longer_than_the_limit_ends_the_connection);
  suite_add_tcase(s, tc);
  return s;
}
