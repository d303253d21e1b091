/* tool - one test program, many behaviours, chosen by the first argument:
 *   exit N        exit with status N
 *   signal N      die by signal N
 *   print ARGS    print each argument on its own line, then exit 0
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

extern char **environ;

static _Noreturn void wait_forever(void) {
  printf("ready\n");
  fflush(stdout);
  for (;;)
    pause();
}

/* The first descriptor of LISTEN_FDS, if it is meant for this process. */
static int listen_fd(void) {
  const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
  if (pid == NULL || fds == NULL || atol(pid) != (long)getpid() ||
      atoi(fds) < 1)
    return -1;
  return 3;
}

static _Noreturn void echo_serve(int once) {
  int fd = listen_fd();
  if (fd < 0) {
    printf("no LISTEN_FDS for pid %ld\n", (long)getpid());
    exit(2);
  }
  printf("serving %s on fd %d (LISTEN_FDS=%s)\n", getenv("LISTEN_FDNAMES"), fd,
         getenv("LISTEN_FDS"));
  fflush(stdout);
  for (;;) {
    int conn = accept(fd, NULL, NULL);
    if (conn < 0)
      exit(4);
    char line[256];
    ssize_t n = read(conn, line, sizeof line - 1);
    if (n > 0) {
      char reply[300];
      line[n] = '\0';
      int len = snprintf(reply, sizeof reply, "echo: %s", line);
      if (write(conn, reply, (size_t)len) != len)
        exit(5);
    }
    close(conn);
    if (once)
      exit(0);
  }
}

static _Noreturn void echo_call(const char *name, int count, char **texts) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  const char *ns = getenv("FERN_NAMESPACE");
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s/svc/%s", ns ? ns : "",
           name);
  for (int i = 0; i < count; i++) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
      printf("connect %s: %s\n", addr.sun_path, strerror(errno));
      exit(2);
    }
    char out[256], in[300];
    int len = snprintf(out, sizeof out, "%s\n", texts[i]);
    /* A connection fern closed (its provider could not start) may be
     * closed before the write as well as after: either way it ended. */
    signal(SIGPIPE, SIG_IGN);
    ssize_t n = write(fd, out, (size_t)len) == len
                    ? read(fd, in, sizeof in - 1)
                    : -1;
    if (n <= 0) {
      printf("end of file\n");
      exit(3);
    }
    in[n] = '\0';
    printf("%s", in);
    fflush(stdout);
    close(fd);
  }
  exit(0);
}

/* "cat" or "write" `rel` under $FERN_NAMESPACE, as a component finds
 * what it uses there. */
static int namespace_file(const char *how, const char *rel) {
  char path[4096];
  const char *ns = getenv("FERN_NAMESPACE");
  snprintf(path, sizeof path, "%s/%s", ns ? ns : "", rel);
  FILE *f = fopen(path, how[0] == 'c' ? "r" : "w");
  char text[512];
  if (f == NULL) {
    printf("cannot %s %s: %s\n", how[0] == 'c' ? "open" : "write", rel,
           strerror(errno));
    return 1;
  }
  if (how[0] == 'c' && fgets(text, sizeof text, f) != NULL)
    printf("%s", text);
  if (how[0] == 'w' && fputs("written\n", f) >= 0)
    printf("wrote %s\n", rel);
  fclose(f);
  return 0;
}

/* One more in the number kept in $FERN_NAMESPACE/REL: what a component
 * keeps across its runs. */
static int namespace_count(const char *rel) {
  char path[4096];
  const char *ns = getenv("FERN_NAMESPACE");
  snprintf(path, sizeof path, "%s/%s", ns ? ns : "", rel);
  long count = 0;
  FILE *f = fopen(path, "r");
  if (f != NULL) {
    if (fscanf(f, "%ld", &count) != 1)
      count = 0;
    fclose(f);
  }
  f = fopen(path, "w");
  if (f == NULL || fprintf(f, "%ld\n", count + 1) < 0 || fclose(f) != 0) {
    printf("cannot count in %s: %s\n", rel, strerror(errno));
    return 1;
  }
  printf("count %ld\n", count + 1);
  return 0;
}

/* Takes `ms` to exit 0 after SIGTERM, as a daemon that flushes its state
 * does: the stop's duration, made known. */
static _Noreturn void slow_term(int ms) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, NULL);
  printf("ready\n");
  fflush(stdout);
  int sig;
  sigwait(&term, &sig);
  printf("got term\n");
  fflush(stdout);
  struct timespec left = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&left, &left) != 0 && errno == EINTR)
    ;
  printf("term after %d ms\n", ms);
  exit(0);
}

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

static void say_term(const char *who) {
  char line[64];
  int n = snprintf(line, sizeof line, "term %s\n", who);
  if (write(1, line, (size_t)n) != n)
    _exit(9);
}
static void child_term(int sig) {
  (void)sig;
  say_term("child");
  _exit(0);
}
static pid_t family_child;
static void parent_term(int sig) {
  (void)sig;
  say_term("parent");
  waitpid(family_child, NULL, 0); /* ends once the child had its SIGTERM */
  _exit(0);
}

/* A parent and a child that each say when SIGTERM reaches them: a stop
 * must reach the whole job, not the main process only. "ready" once both
 * listen. */
static _Noreturn void term_family(void) {
  int ready[2];
  if (pipe(ready) != 0)
    exit(3);
  family_child = fork();
  if (family_child == 0) {
    signal(SIGTERM, child_term);
    close(ready[0]);
    close(ready[1]); /* the parent's read ends: it listens now */
    for (;;)
      pause();
  }
  signal(SIGTERM, parent_term);
  close(ready[1]);
  char byte;
  if (read(ready[0], &byte, 1) != 0)
    exit(4);
  close(ready[0]);
  wait_forever();
}

static void leave_orphans(int n) {
  for (int i = 0; i < n; i++) {
    int pipefd[2];
    if (pipe(pipefd) != 0)
      exit(3);
    pid_t middle = fork();
    if (middle == 0) {
      if (i % 2 == 0)
        setsid();
      pid_t grandchild = fork();
      if (grandchild == 0) {
        close(pipefd[0]);
        /* Holds nothing of ours open: it must be killed, not starved. */
        close(1);
        close(2);
        pid_t me = getpid();
        if (write(pipefd[1], &me, sizeof me) != sizeof me)
          _exit(4);
        close(pipefd[1]);
        for (;;)
          pause();
      }
      _exit(0);
    }
    close(pipefd[1]);
    pid_t orphan;
    if (read(pipefd[0], &orphan, sizeof orphan) != sizeof orphan)
      exit(5);
    close(pipefd[0]);
    waitpid(middle, NULL, 0);
    printf("orphan %d\n", (int)orphan);
  }
  fflush(stdout);
}

/* A child that keeps nothing of its environment (no FERN_JOB mark), and
 * nothing of ours open. */
static void leave_clean_child(const char *self) {
  int exec_seen[2];
  if (pipe(exec_seen) != 0 || fcntl(exec_seen[1], F_SETFD, FD_CLOEXEC) != 0)
    exit(3);
  pid_t child = fork();
  if (child == 0) {
    close(1);
    close(2);
    char *argv[] = {(char *)"tool", (char *)"sleep", NULL};
    char *envp[] = {NULL};
    execve(self, argv, envp);
    _exit(4);
  }
  /* The pipe closes when the child's exec succeeds: from then on its
   * environment is empty. */
  close(exec_seen[1]);
  char byte;
  while (read(exec_seen[0], &byte, 1) > 0)
    ;
  close(exec_seen[0]);
  printf("orphan %d\n", (int)child);
  fflush(stdout);
}

static void print_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int self = dirfd(d);
  printf("fds");
  struct dirent *e;
  int fds[256], n = 0;
  while ((e = readdir(d)) != NULL && n < 256)
    if (e->d_name[0] != '.' && atoi(e->d_name) != self)
      fds[n++] = atoi(e->d_name);
  closedir(d);
  for (int i = 0; i < n; i++) /* readdir order is ascending here */
    printf(" %d", fds[i]);
  printf("\n");
}

static void print_limit(const char *name, int resource) {
  struct rlimit r;
  getrlimit(resource, &r);
  printf("%s ", name);
  if (r.rlim_cur == RLIM_INFINITY)
    printf("unlimited ");
  else
    printf("%llu ", (unsigned long long)r.rlim_cur);
  if (r.rlim_max == RLIM_INFINITY)
    printf("unlimited\n");
  else
    printf("%llu\n", (unsigned long long)r.rlim_max);
}

/* Its cgroup v2 directory from /proc/self/cgroup ("0::/path") and the
 * cgroup2 mount (hybrid machines have it at /sys/fs/cgroup/unified). */
static int own_cgroup(char *dir, size_t size) {
  char line[4096] = "";
  FILE *f = fopen("/proc/self/cgroup", "r");
  while (f != NULL && fgets(line, sizeof line, f) != NULL &&
         strncmp(line, "0::", 3) != 0)
    ;
  if (f != NULL)
    fclose(f);
  if (strncmp(line, "0::", 3) != 0)
    return -1;
  line[strcspn(line, "\n")] = '\0';
  const char *mounts[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
  for (int i = 0; i < 2; i++) {
    snprintf(dir, size, "%s%s/cgroup.events", mounts[i], line + 3);
    if (access(dir, F_OK) == 0) {
      snprintf(dir, size, "%s%s", mounts[i], line + 3);
      return 0;
    }
  }
  return -1;
}

/* N cgroups, each inside the one before, under `dir`; and ".x". */
static int make_deep_cgroups(const char *dir, int n) {
  char path[8192];
  snprintf(path, sizeof path, "%s/.x", dir);
  if (mkdir(path, 0755) != 0)
    return 1;
  snprintf(path, sizeof path, "%s", dir);
  for (int i = 1; i <= n; i++) {
    size_t used = strlen(path);
    snprintf(path + used, sizeof path - used, "/d%d", i);
    if (mkdir(path, 0755) != 0)
      return 1;
  }
  return 0;
}

/* The cgroup behaviours: print it, then do `what` to it (`n`: how many). */
static int cgroup_behaviour(const char *what, int n, int wait) {
  char dir[4096], path[4200];
  if (own_cgroup(dir, sizeof dir) != 0) {
    printf("no cgroup v2\n");
    return 1;
  }
  printf("cgroup %s\n", dir);
  fflush(stdout);
  if (strcmp(what, "sub-cgroup") == 0 || strcmp(what, "deep-cgroups") == 0) {
    snprintf(path, sizeof path, "%s/sub", dir);
    if (strcmp(what, "sub-cgroup") == 0 ? mkdir(path, 0755) != 0
                                        : make_deep_cgroups(dir, n) != 0)
      return 1;
    if (wait)
      wait_forever();
    return 0;
  }
  if (strcmp(what, "freeze-self") == 0) {
    snprintf(path, sizeof path, "%s/cgroup.freeze", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs("1", f) < 0 || fclose(f) != 0)
      return 1;
    wait_forever(); /* frozen before it gets far */
  }
  return 0;
}

/* The lines of /proc/self/status that start with one of `keys`. */
static int print_status(const char *const *keys, int n) {
  FILE *f = fopen("/proc/self/status", "r");
  char text[256];
  while (f != NULL && fgets(text, sizeof text, f) != NULL)
    for (int i = 0; i < n; i++)
      if (strncmp(text, keys[i], strlen(keys[i])) == 0)
        printf("%s", text);
  if (f != NULL)
    fclose(f);
  return f != NULL ? 0 : 1;
}

static int lifecycle(int answer) {
  int fd = fern_lifecycle_fd();
  printf("waiting for stop on fd %d\n", fd);
  fflush(stdout);
  for (;;) {
    enum fern_lifecycle_event ev = fern_lifecycle_wait(fd, -1);
    if (ev == FERN_LIFECYCLE_STOP_ASKED && answer) {
      printf("got stop\n");
      return 0;
    }
    if (ev == FERN_LIFECYCLE_GONE)
      return 7;
  }
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
  if (strcmp(what, "print") == 0) {
    for (int i = 2; i < argc; i++)
      printf("%s\n", argv[i]);
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

/* "config": the file FERN_CONFIG names, its one line, as "config: ...". */
static int print_config(void) {
  const char *path = getenv("FERN_CONFIG");
  char text[4096];
  FILE *f = path != NULL ? fopen(path, "r") : NULL;
  if (f == NULL) {
    printf("no config: FERN_CONFIG=%s\n", path ? path : "(unset)");
    return 1;
  }
  int ok = fgets(text, sizeof text, f) != NULL;
  fclose(f);
  if (ok)
    printf("config: %s", text);
  return ok ? 0 : 1;
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
