/* tool - one test program, many behaviours, chosen by the first argument
 * (their parts are in tests/packages/progs/tool, a file per kind):
 *   exit N        exit with status N
 *   signal N      die by signal N
 *   print ARGS    print each argument on its own line, then exit 0
 *   count N       print "count 0" to "count N-1", a line each, exit 0
 *   burn MS MIB   touch MIB MiB of memory and spend MS ms of CPU, then
 *                 print "burnt" and wait for a signal
 *   long-line N   print one line of N 'y's, then "after the long line",
 *                 exit 0
 *   split-line N M  write N 'y's, then in a second write M more and a
 *                 newline, then "after the split line", exit 0
 *   bad-utf8      print "bad " and the bytes ff fe, then "after", exit 0
 *   stderr TEXT   print TEXT on stderr, exit 0
 *   env           print the environment, one variable a line
 *   sleep         print "ready" and wait for a signal (default actions)
 *   ignore-term   ignore SIGTERM, print "ready", wait forever
 *   echo-serve [once]  serve the sockets of LISTEN_FDS (sd_listen_fds(3)'s
 *                 convention, checked by hand): answer each line with
 *                 "echo: LINE"; with "once", exit 0 after one connection
 *   echo-call NAME TEXT...  for each TEXT, connect to
 *                 $FERN_NAMESPACE/svc/NAME, send it, print the answer;
 *                 exit 3 at an end of file instead of an answer
 *   unix-dgram    make an AF_UNIX datagram socket; print whether it could
 *   slow-term MS  print "ready"; at SIGTERM print "got term", take MS ms,
 *                 print "term after MS ms", exit 0
 *   touch NAME    create NAME in the working directory, exit 0
 *   orphans N     leave N descendants behind (half of them setsid()'d, all
 *                 after a double fork), print "orphan PID" for each, exit 0
 *   orphans-wait N the same, then print "ready" and wait
 *   clean-env [wait]  leave one child behind that runs "tool sleep" with an
 *                 empty environment (in the same session), print "orphan
 *                 PID", exit 0 (or print "ready" and wait)
 *   run-for MS N  run MS milliseconds, then exit with status N
 *   cat PATH      print the file's first line, or "cannot open PATH", exit 1
 *   config        print the one line of the file FERN_CONFIG names:
 *                 "config: ..."; or "no config: ..." and exit 1
 *   ns-cat REL    the same for $FERN_NAMESPACE/REL
 *   ns-write REL  create $FERN_NAMESPACE/REL holding "written": print
 *                 "wrote REL", or "cannot write REL: ERROR" and exit 1
 *   ns-count REL  add one to the number in $FERN_NAMESPACE/REL (0 if it is
 *                 not there) and print "count N"; exit 1 if it cannot
 *   ls DIR        print the names in DIR, one a line
 *   net           open an IPv4 socket: print "socket ok", or fail
 *   ptrace        call ptrace(PTRACE_TRACEME): print its result
 *   caps          print the effective capabilities: "CapEff: ..."
 *   status KEY... print the lines of /proc/self/status that start with KEY
 *   exe           print the file it runs from: "exe /path"
 *   cwd           print the working directory: "cwd /path"
 *   fds           print the open file descriptors: "fds 0 1 2"
 *   limits        print the soft and hard limits of nofile, nproc, as, core
 *   notify        sd_notify STATUS=starting, READY=1, STATUS=serving, then
 *                 wait for the lifecycle stop (or forever)
 *   notify-text TEXT  send TEXT as one sd_notify datagram, then print
 *                 "ready" and wait (a sender must live to be placed)
 *   never-ready   print "ready" (to stdout only) and wait forever
 *   lifecycle     wait for the lifecycle stop, print "got stop", exit 0
 *   lifecycle-ignore  hold the lifecycle channel, never answer
 *   cgroup        print its cgroup v2 directory: "cgroup /sys/fs/cgroup/..."
 *   freeze-self   print its cgroup, then freeze it (and so itself)
 *   sub-cgroup [wait]  print its cgroup, make a cgroup "sub" inside it,
 *                 exit 0 (or print "ready" and wait)
 *   deep-cgroups N [wait]  print its cgroup, make N cgroups nested one in
 *                 the other inside it, and one named ".x" beside them,
 *                 exit 0 (or print "ready" and wait)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <fern/lifecycle.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tool/tool.h"

extern char **environ;

/* Writes numbered lines without ever blocking until nobody has read any
 * for 300 ms (the runner stopped reading: fern's log is full), then says
 * how many it wrote on stderr ("filled N") and exits, its last lines still
 * in the pipe: the runner must deliver them once there is room. */
static int fill_until_unread(void) {
  if (fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK) != 0)
    return 1;
  long n = 0;
  while (n < 400000) {
    char line[256];
    int len = snprintf(line, sizeof line, "fill %08ld %180s\n", n, "x");
    if (write(1, line, (size_t)len) == len) { /* atomic: under PIPE_BUF */
      n++;
      continue;
    }
    if (errno != EAGAIN)
      return 1;
    struct pollfd out = {1, POLLOUT, 0};
    if (poll(&out, 1, 300) == 0)
      break;
  }
  fprintf(stderr, "filled %ld\n", n);
  return 0;
}

/* The behaviours that write output or exit at once. Returns -1 for a behaviour of another kind. */
static int output_behaviour(const char *what, int argc, char **argv) {
  if (strcmp(what, "exit") == 0 && argc > 2)
    return atoi(argv[2]);
  if (strcmp(what, "signal") == 0 && argc > 2) {
    signal(atoi(argv[2]), SIG_DFL);
    raise(atoi(argv[2]));
    return 99;
  }
  if (strcmp(what, "tty") == 0) {
    printf("stdout is %s\n", isatty(1) ? "a terminal" : "not a terminal");
    return 0;
  }
  if (strcmp(what, "print") == 0) {
    for (int i = 2; i < argc; i++)
      printf("%s\n", argv[i]);
    return 0;
  }
  if (strcmp(what, "count") == 0 && argc > 2) {
    for (long i = 0; i < atol(argv[2]); i++)
      printf("count %ld\n", i);
    return 0;
  }
  if (strcmp(what, "burn") == 0 && argc > 3) {
    size_t bytes = (size_t)atol(argv[3]) << 20;
    volatile char *held = malloc(bytes);
    for (size_t i = 0; held != NULL && i < bytes; i += 4096)
      held[i] = 1;
    struct timespec t0, t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    do
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 <
           atol(argv[2]));
    printf("burnt\n");
    fflush(stdout);
    wait_forever();
  }
  if (strcmp(what, "split-line") == 0 && argc > 3) {
    size_t first = (size_t)atol(argv[2]), second = (size_t)atol(argv[3]);
    char *ys = malloc(first + second + 1);
    if (ys == NULL)
      return 1;
    memset(ys, 'y', first + second);
    ys[first + second] = '\n';
    if (write(1, ys, first) != (ssize_t)first ||
        write(1, ys + first, second + 1) != (ssize_t)second + 1)
      return 1;
    printf("after the split line\n");
    return 0;
  }
  if (strcmp(what, "bad-utf8") == 0) {
    printf("bad \xff\xfe\nafter\n");
    return 0;
  }
  if (strcmp(what, "long-line") == 0 && argc > 2) {
    for (long i = 0; i < atol(argv[2]); i++)
      putchar('y');
    printf("\nafter the long line\n");
    return 0;
  }
  if (strcmp(what, "fill") == 0)
    return fill_until_unread();
  if (strcmp(what, "partial") == 0 && argc > 2) {
    /* A last line with no newline: a runner must still deliver it. */
    printf("%s", argv[2]);
    return 0;
  }
  if (strcmp(what, "stderr") == 0 && argc > 2) {
    fprintf(stderr, "%s\n", argv[2]);
    return 0;
  }
  if (strcmp(what, "flood") == 0 && argc > 2) {
    /* N MiB of 1 KiB lines, then a last line to look for. */
    char line[1024];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (long i = 0; i < atol(argv[2]) * 1024; i++)
      if (fwrite(line, 1, sizeof line, stdout) != sizeof line)
        return 1;
    printf("flood done\n");
    return 0;
  }
  if (strcmp(what, "numbered") == 0 && argc > 3) {
    /* N lines of 200 characters that say their number, then the file DONE,
     * then waits: whoever reads the log sees which lines it lost. */
    for (long i = 0; i < atol(argv[2]); i++)
      printf("numbered %08ld %182s\n", i, "x");
    fflush(stdout);
    FILE *done = fopen(argv[3], "w");
    if (done == NULL || fclose(done) != 0)
      return 1;
    wait_forever();
  }
  if (strcmp(what, "close-stdout") == 0) {
    close(1);
    fprintf(stderr, "closed stdout\n");
    return 0;
  }
  if (strcmp(what, "env") == 0) {
    for (char **e = environ; *e != NULL; e++)
      printf("%s\n", *e);
    return 0;
  }
  return -1;
}

/* The behaviours about processes: waiting, signals, descendants. Returns -1 for a behaviour of another kind. */
static int process_behaviour(const char *what, int argc, char **argv) {
  if (strcmp(what, "sleep") == 0)
    wait_forever();
  if (strcmp(what, "term-family") == 0)
    term_family();
  if (strcmp(what, "ignore-term") == 0) {
    signal(SIGTERM, SIG_IGN);
    wait_forever();
  }
  if (strcmp(what, "echo-serve") == 0)
    echo_serve(argc > 2 && strcmp(argv[2], "once") == 0);
  if (strcmp(what, "echo-call") == 0 && argc > 3)
    echo_call(argv[2], argc - 3, argv + 3);
  if (strcmp(what, "slow-term") == 0 && argc > 2)
    slow_term(atoi(argv[2]));
  if (strcmp(what, "touch") == 0 && argc > 2) {
    FILE *f = fopen(argv[2], "w");
    return f != NULL && fclose(f) == 0 ? 0 : 1;
  }
  if (strcmp(what, "orphans") == 0 && argc > 2) {
    leave_orphans(atoi(argv[2]));
    return 0;
  }
  if (strcmp(what, "clean-env") == 0) {
    leave_clean_child("/proc/self/exe");
    if (argc > 2 && strcmp(argv[2], "wait") == 0)
      wait_forever();
    return 0;
  }
  if (strcmp(what, "orphans-wait") == 0 && argc > 2) {
    leave_orphans(atoi(argv[2]));
    wait_forever();
  }
  if (strcmp(what, "run-for") == 0 && argc > 3) {
    poll(NULL, 0, atoi(argv[2]));
    return atoi(argv[3]);
  }
  return -1;
}

/* The behaviours that look at the sandbox, the limits, /proc. Returns -1 for a behaviour of another kind. */
static int looking_behaviour(const char *what, int argc, char **argv) {
  if ((strcmp(what, "ns-cat") == 0 || strcmp(what, "ns-write") == 0) &&
      argc > 2)
    return namespace_file(what + 3, argv[2]);
  if (strcmp(what, "ns-count") == 0 && argc > 2)
    return namespace_count(argv[2]);
  if (strcmp(what, "cat") == 0 && argc > 2) {
    FILE *f = fopen(argv[2], "r");
    char text[512];
    if (f == NULL) {
      printf("cannot open %s\n", argv[2]);
      return 1;
    }
    if (fgets(text, sizeof text, f) != NULL)
      printf("%s", text);
    fclose(f);
    return 0;
  }
  if (strcmp(what, "config") == 0)
    return print_config();
  if (strcmp(what, "ls") == 0 && argc > 2) {
    DIR *d = opendir(argv[2]);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
      if (e->d_name[0] != '.')
        printf("entry %s\n", e->d_name);
    return d != NULL ? 0 : 1;
  }
  if (strcmp(what, "unix-dgram") == 0) {
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    printf(fd >= 0 ? "socket ok\n" : "socket failed\n");
    return fd >= 0 ? 0 : 1;
  }
  if (strcmp(what, "net") == 0) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    printf(fd >= 0 ? "socket ok\n" : "socket failed\n");
    return fd >= 0 ? 0 : 1;
  }
  if (strcmp(what, "ptrace") == 0) {
    long rc = syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
    printf("ptrace returned %ld\n", rc);
    return 0;
  }
  if (strcmp(what, "caps") == 0) {
    const char *keys[] = {"CapEff:"};
    return print_status(keys, 1);
  }
  if (strcmp(what, "status") == 0)
    return print_status((const char *const *)argv + 2, argc - 2);
  if (strcmp(what, "confinement") == 0)
    return print_confinement((const char *const *)argv + 2, argc - 2);
  if (strcmp(what, "exe") == 0) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    printf("exe %s\n", exe);
    return 0;
  }
  if (strcmp(what, "cwd") == 0) {
    char dir[4096];
    printf("cwd %s\n", getcwd(dir, sizeof dir) ? dir : "?");
    return 0;
  }
  if (strcmp(what, "fds") == 0) {
    print_fds();
    return 0;
  }
  if (strcmp(what, "limits") == 0) {
    print_limit("nofile", RLIMIT_NOFILE);
    print_limit("nproc", RLIMIT_NPROC);
    print_limit("as", RLIMIT_AS);
    print_limit("core", RLIMIT_CORE);
    return 0;
  }
  return -1;
}

/* The behaviours about readiness, the lifecycle channel, cgroups. Returns -1 for a behaviour of another kind. */
static int lifecycle_behaviour(const char *what, int argc, char **argv) {
  if (strcmp(what, "notify") == 0) {
    fern_notify("STATUS=starting");
    fern_notify("READY=1\nSTATUS=serving");
    if (fern_lifecycle_fd() >= 0)
      return lifecycle(1);
    wait_forever();
  }
  if (strcmp(what, "notify-text") == 0 && argc > 2) {
    if (fern_notify(argv[2]) != 0)
      return 1;
    wait_forever();
  }
  if (strcmp(what, "never-ready") == 0)
    wait_forever();
  if (strcmp(what, "lifecycle") == 0)
    return lifecycle(1);
  if (strcmp(what, "lifecycle-ignore") == 0)
    return lifecycle(0);
  if (strcmp(what, "cgroup") == 0 || strcmp(what, "freeze-self") == 0 ||
      strcmp(what, "sub-cgroup") == 0)
    return cgroup_behaviour(what, 0, argc > 2 && strcmp(argv[2], "wait") == 0);
  if (strcmp(what, "deep-cgroups") == 0 && argc > 2)
    return cgroup_behaviour(what, atoi(argv[2]),
                            argc > 3 && strcmp(argv[3], "wait") == 0);
  return -1;
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  int (*const kinds[])(const char *, int, char **) = {
      output_behaviour, process_behaviour, looking_behaviour,
      lifecycle_behaviour};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    int rc = kinds[i](what, argc, argv);
    if (rc >= 0)
      return rc;
  }
  fprintf(stderr, "tool: unknown behaviour \"%s\"\n", what);
  return 2;
}
