/* tiny - the benchmark's program, static and as small as it gets:
 *   tiny exit          exits 0 at once
 *   tiny lines N       prints N lines of about 60 bytes, exits 0
 *   tiny               waits for SIGTERM and exits 0 on it, after
 *                      TINY_TERM_MS milliseconds if that is set (a daemon
 *                      that takes that long to stop; it then says READY=1
 *                      to NOTIFY_SOCKET once its handler is set, so that
 *                      no stop comes before it can take its time)
 *   tiny serve K       serves the socket fern hands over (fd 3, as
 *                      LISTEN_FDS says): for each of K connections, reads
 *                      to end of file and answers one byte; then exits 0
 *   tiny client BYTES  the other side, through $FERN_NAMESPACE/svc/echo:
 *                      the first connection (its provider started by it),
 *                      then 9 more to it running (one byte each way), then
 *                      BYTES in one stream, three times, taking turns with
 *                      the same stream over a plain Unix socket to a child
 *                      of its own (so `tiny serve 13`). Prints one JSON
 *                      line of the times. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long term_ms;

static void on_term(int sig) {
  (void)sig;
  struct timespec left = {term_ms / 1000, (term_ms % 1000) * 1000000L};
  while (term_ms > 0 && nanosleep(&left, &left) != 0)
    ;
  _exit(0);
}

/* sd_notify(3)'s READY=1, by hand: the program is static and small. */
static void notify_ready(void) {
  const char *name = getenv("NOTIFY_SOCKET");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (name == NULL || strlen(name) >= sizeof addr.sun_path)
    return;
  memcpy(addr.sun_path, name, strlen(name));
  if (addr.sun_path[0] == '@')
    addr.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0)
    sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&addr,
           (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name)));
  close(fd);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads to end of file, answers one byte. */
static void sink(int conn) {
  static char buf[1 << 16];
  while (read(conn, buf, sizeof buf) > 0)
    ;
  if (write(conn, "k", 1) != 1)
    _exit(5);
  close(conn);
}

static int serve(int fd, long count) {
  for (long i = 0; i < count; i++) {
    int conn = accept(fd, NULL, NULL);
    if (conn < 0)
      return 4;
    sink(conn);
  }
  return 0;
}

/* Sends `bytes` on a new connection to `addr`, then reads the answer:
 * seconds, or -1. */
static double exchange(const struct sockaddr_un *addr, long bytes) {
  static char buf[1 << 16];
  double t0 = now();
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (const struct sockaddr *)addr, sizeof *addr) != 0)
    return -1;
  for (long sent = 0; sent < bytes;) {
    long n = bytes - sent < (long)sizeof buf ? bytes - sent : (long)sizeof buf;
    ssize_t w = write(fd, buf, (size_t)n);
    if (w <= 0)
      return -1;
    sent += w;
  }
  shutdown(fd, SHUT_WR);
  char answer;
  int ok = read(fd, &answer, 1) == 1;
  close(fd);
  return ok ? now() - t0 : -1;
}

/* The same stream over a plain Unix socket to a child of its own. */
static double plain(long bytes) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "/tmp/fern-bench-plain-%d",
           (int)getpid());
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  unlink(addr.sun_path);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(fd, 4) != 0)
    return -1;
  pid_t child = fork();
  if (child == 0)
    _exit(serve(fd, 1));
  double t = exchange(&addr, bytes);
  waitpid(child, NULL, 0);
  unlink(addr.sun_path);
  close(fd);
  return t;
}

#define STREAM_TURNS 3

static int client(long bytes) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  const char *ns = getenv("FERN_NAMESPACE");
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s/svc/echo", ns ? ns : "");
  double first = exchange(&addr, 1), warm = -1;
  for (int i = 0; i < 9; i++) {
    double t = exchange(&addr, 1);
    warm = warm < 0 || t < warm ? t : warm;
  }
  /* The two streams take turns, three times each; the best of each
   * counts (the first of a run finds colder caches). */
  double activated = -1, direct = -1;
  for (int i = 0; i < STREAM_TURNS; i++) {
    double a = exchange(&addr, bytes), p = plain(bytes);
    activated = activated < 0 || a < activated ? a : activated;
    direct = direct < 0 || p < direct ? p : direct;
  }
  printf("{\"first_s\": %.6f, \"warm_s\": %.6f, \"activated_s\": %.6f, "
         "\"plain_s\": %.6f}\n",
         first, warm, activated, direct);
  return first > 0 && warm > 0 && activated > 0 && direct > 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "exit") == 0)
    return 0;
  if (argc > 2 && strcmp(argv[1], "lines") == 0) {
    for (long i = 0; i < atol(argv[2]); i++)
      printf("line %ld of what a program says while it works\n", i);
    return 0;
  }
  if (argc > 2 && strcmp(argv[1], "serve") == 0)
    return serve(3, atol(argv[2]));
  if (argc > 2 && strcmp(argv[1], "client") == 0)
    return client(atol(argv[2]));
  const char *ms = getenv("TINY_TERM_MS");
  term_ms = ms != NULL ? atol(ms) : 0;
  signal(SIGTERM, on_term);
  if (term_ms > 0)
    notify_ready();
  for (;;)
    pause();
}
