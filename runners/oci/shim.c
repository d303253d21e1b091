/* fern-oci-shim - one container's keeper, like containerd's shim. The OCI
 * runner starts it (in the component's job, with the component's output
 * pipes) as:
 *
 *   fern-oci-shim [--console] [--hide-unified-controllers]
 *                 [--notify-socket PATH] [--runtime-arg ARG]...
 *                 RUNTIME ROOT BUNDLE ID PIDFILE
 *
 * It is the child subreaper, so the container's init, left behind by
 * `RUNTIME create`, becomes its child and its exit status can be had. It
 * runs create and start, and waits; SIGTERM is passed to the
 * container's init (directly, and through `RUNTIME kill ID TERM`); once
 * the container is over it deletes it, unless `RUNTIME state ID` says the
 * runtime no longer knows it, which is no error; it exits with the container's
 * status, or 128+N for death by signal N.
 *
 * A component that serves protocols comes with its listening sockets from
 * fd 3 and LISTEN_FDS/LISTEN_PID naming the shim, as systemd hands them
 * over. The shim takes them (and drops the variables, as
 * sd_listen_fds(1) does) and gives them to `RUNTIME create --preserve-fds
 * N`, which passes fds 3 to 3+N-1 on to the container's process (runc's
 * utils_linux.go, runner.run: "PreserveFD"); the bundle's env says
 * LISTEN_FDS and LISTEN_FDNAMES, and fern-oci-init sets LISTEN_PID.
 *
 * With --console (a prepared bundle whose process.terminal is true, as
 * `runc spec` writes it) the runtime is given a console socket
 * (`create --console-socket`, runc's docs/terminals.md: it sends the
 * pseudo-terminal's master over it with SCM_RIGHTS), and a child of the
 * shim copies what the terminal shows to the shim's stdout, the
 * component's log, output post-processing off so that lines keep their
 * own endings.
 *
 * --runtime-arg ARG (repeatable) goes to every runtime command, before
 * the subcommand (crun's and runc's global flags: --systemd-cgroup,
 * --debug). --hide-unified-controllers is for crun on a host with hybrid
 * cgroups: crun refuses to run when the unified hierarchy has
 * controllers ("cgroups in hybrid mode not supported, drop all
 * controllers from cgroupv2"), so the shim enters a mount namespace of
 * its own where an empty file covers that hierarchy's cgroup.controllers,
 * and crun, run from it, uses the v1 hierarchies as runc does. The host
 * sees nothing of it. --notify-socket PATH is fern's readiness socket: the
 * runtime commands get NOTIFY_SOCKET=PATH, and runc and crun pass a
 * socket of their own into the container and forward its READY=1. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sched.h>
#include <sys/signalfd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "shim_notify.h"
#include "shim_socket.h"

static const char *runtime, *root, *bundle, *id;
#define RUNTIME_ARGS_MAX 8
static const char *runtime_args[RUNTIME_ARGS_MAX];
static int runtime_arg_count;

/* The sockets handed to us (LISTEN_FDS, for our pid): how many, 0 for
 * none, -1 when the variables are there but not for us or out of range
 * (the container would be told of sockets it does not get). The
 * variables are dropped so that no runtime command reads them. */
static int take_listen_fds(void) {
  const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
  int n = fds == NULL ? 0
          : pid != NULL && atol(pid) == (long)getpid() ? atoi(fds)
                                                      : -1;
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDNAMES");
  return n >= 0 && n < 1024 ? n : -1;
}

static int run_runtime_with(const char *const *args, int quiet);

/* Runs the runtime with `args` and returns its exit status (-1: none). */
static int run_runtime(const char *const *args) {
  return run_runtime_with(args, 0);
}

/* The same, its output thrown away (state's JSON is not for the log). */
static int run_runtime_quiet(const char *const *args) {
  return run_runtime_with(args, 1);
}

/* Starts the runtime with `args`; returns its pid, or -1. */
static pid_t start_runtime(const char *const *args, int quiet) {
  const char *argv[16 + RUNTIME_ARGS_MAX] = {runtime, "--root", root};
  size_t n = 3;
  for (int i = 0; i < runtime_arg_count; i++)
    argv[n++] = runtime_args[i];
  for (size_t i = 0; args[i] != NULL && n < 15 + RUNTIME_ARGS_MAX; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (quiet) {
      int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execv(runtime, (char *const *)argv);
    fprintf(stderr, "fern-oci-shim: cannot run %s: %s\n", runtime,
            strerror(errno));
    _exit(127);
  }
  return pid;
}

static int run_runtime_with(const char *const *args, int quiet) {
  pid_t pid = start_runtime(args, quiet);
  int status;
  while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static pid_t read_pid(const char *path) {
  FILE *f = fopen(path, "r");
  long pid = 0;
  if (f != NULL) {
    if (fscanf(f, "%ld", &pid) != 1)
      pid = 0;
    fclose(f);
  }
  return (pid_t)pid;
}

static void delete_container(void) {
  const char *args[] = {"delete", "--force", id, NULL};
  run_runtime(args);
}

/* Whether the container's own init runs and catches SIGTERM: its program
 * is fern-oci-init (not the runtime's bootstrap, which catches signals too
 * and dies of them) and its SigCgt says so. *gone when it no longer
 * exists. */
static int init_catches_sigterm(pid_t pid, int *gone) {
  char path[64], line[256], exe[256];
  snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
  ssize_t n = readlink(path, exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = '\0';
  if (strstr(exe, ".fern-init") == NULL) {
    *gone = n < 0 && errno == ENOENT;
    return 0;
  }
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "re");
  unsigned long long mask = 0;
  *gone = f == NULL;
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "SigCgt: %llx", &mask) == 1)
      break;
  if (f != NULL)
    fclose(f);
  return (mask >> (SIGTERM - 1)) & 1;
}

/* Waits for the container's init, passing a stop on; reaps whatever else
 * is left to us. A namespace's init drops a signal it does not catch, so a
 * stop that comes before fern-oci-init has set its handler (the runtime's
 * bootstrap may still run) waits, on 10 ms ticks, until it has. `start`
 * (the runtime's start command, still running while it waits for a ready
 * container) is reaped here too: its failure kills the init and sets
 * *start_failed. Readiness messages on `relay` are passed on meanwhile.
 * Returns the init's wait status. */
static int wait_container(pid_t init, pid_t start, const sigset_t *set,
                          int relay, int *start_failed) {
  int stop_pending = 0, sfd = signalfd(-1, set, SFD_CLOEXEC);
  for (;;) {
    int status, gone;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == init) {
        close(sfd);
        return status;
      }
      if (pid == start && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        *start_failed = 1;
        kill(init, SIGKILL);
      }
    }
    if (pid < 0 && errno == ECHILD) {
      close(sfd);
      return -1; /* not ours after all: it is gone */
    }
    if (stop_pending && (init_catches_sigterm(init, &gone) || gone)) {
      const char *term[] = {"kill", id, "TERM", NULL};
      kill(init, SIGTERM); /* our child: it gets it at once */
      start_runtime(term, 1); /* and the runtime is told; reaped above */
      stop_pending = 0;
    }
    struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN},
                            {.fd = relay, .events = POLLIN}};
    if (poll(pfd, relay >= 0 ? 2 : 1, stop_pending ? 10 : -1) < 0 &&
        errno != EINTR)
      continue;
    struct signalfd_siginfo info;
    if ((pfd[0].revents & POLLIN) &&
        read(sfd, &info, sizeof info) == (ssize_t)sizeof info &&
        info.ssi_signo == SIGTERM)
      stop_pending = 1;
    if (relay >= 0 && (pfd[1].revents & POLLIN))
      notify_relay_pump(relay);
  }
}

/* The console socket: a directory of its own, short enough for a socket
 * address whatever the state directory's length. */
static char console_path[96];

static int console_listen(void) {
  int fd = shim_socket_bind("fern-oci-console", SOCK_STREAM | SOCK_CLOEXEC,
                            console_path, sizeof console_path);
  if (fd >= 0 && listen(fd, 1) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void console_remove(void) { shim_socket_remove(console_path); }

/* The terminal's master, as the runtime sent it during create. */
static int console_receive(int listener) {
  struct pollfd pfd = {.fd = listener, .events = POLLIN};
  if (poll(&pfd, 1, 10000) != 1)
    return -1;
  int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    return -1;
  char byte[256];
  struct iovec iov = {.iov_base = byte, .iov_len = sizeof byte};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
  int master = -1;
  if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) > 0) {
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c != NULL && c->cmsg_level == SOL_SOCKET &&
        c->cmsg_type == SCM_RIGHTS)
      memcpy(&master, CMSG_DATA(c), sizeof master);
  }
  close(conn);
  return master;
}

/* A child that copies the terminal's output to our stdout until the
 * terminal closes (EIO once the container's last holder is gone). */
static pid_t console_forward(int master) {
  struct termios t;
  if (tcgetattr(master, &t) == 0) {
    t.c_oflag &= ~(tcflag_t)OPOST; /* "\n" stays "\n" */
    tcsetattr(master, TCSANOW, &t);
  }
  pid_t pid = fork();
  if (pid == 0) {
    /* Reads on whatever becomes of the log, so the terminal never hangs
     * up on the container; a program that turns OPOST back on (stty
     * sane) still gets no "\r" before "\n" into the log. */
    char buf[4096], out[4096];
    ssize_t n;
    int dead = 0;
    while ((n = read(master, buf, sizeof buf)) > 0 ||
           (n < 0 && errno == EINTR)) {
      size_t m = 0;
      for (ssize_t i = 0; i < n; i++)
        if (!(buf[i] == '\r' && i + 1 < n && buf[i + 1] == '\n'))
          out[m++] = buf[i];
      for (size_t done = 0; !dead && done < m;) {
        ssize_t w = write(1, out + done, m - done);
        if (w <= 0)
          dead = 1; /* the log is gone: drain on, write no more */
        else
          done += (size_t)w;
      }
    }
    _exit(0);
  }
  return pid;
}

/* crun's check for hybrid cgroups reads the unified hierarchy's
 * cgroup.controllers: in a mount namespace of our own, an empty file
 * covers it. */
static int hide_unified_controllers(void) {
  static const char *const places[] = {
      "/sys/fs/cgroup/unified/cgroup.controllers", NULL};
  if (unshare(CLONE_NEWNS) != 0 ||
      mount("none", "/", "none", MS_REC | MS_SLAVE, NULL) != 0)
    return -1;
  for (int i = 0; places[i] != NULL; i++)
    if (access(places[i], F_OK) == 0 &&
        mount("/dev/null", places[i], "none", MS_BIND, NULL) != 0)
      return -1;
  return 0;
}

static int usage(void) {
  fprintf(stderr, "usage: fern-oci-shim [--console] "
                  "[--hide-unified-controllers] [--notify-socket PATH] "
                  "[--runtime-arg ARG]... "
                  "RUNTIME ROOT BUNDLE ID PIDFILE\n");
  return 125;
}

int main(int argc, char **argv) {
  int console = 0, first = 1, relay = -1;
  for (; first < argc && strncmp(argv[first], "--", 2) == 0; first++) {
    if (strcmp(argv[first], "--console") == 0)
      console = 1;
    else if (strcmp(argv[first], "--hide-unified-controllers") == 0) {
      if (hide_unified_controllers() != 0) {
        fprintf(stderr, "fern-oci-shim: cannot hide the unified cgroup "
                        "hierarchy's controllers from the runtime: %s\n",
                strerror(errno));
        return 125;
      }
    } else if (strcmp(argv[first], "--notify-socket") == 0 &&
               first + 1 < argc) {
      if ((relay = notify_relay_open(argv[++first])) < 0) {
        fprintf(stderr, "fern-oci-shim: cannot make a notify relay: %s\n",
                strerror(errno));
        return 125;
      }
    } else if (strcmp(argv[first], "--runtime-arg") == 0 &&
               first + 1 < argc && runtime_arg_count < RUNTIME_ARGS_MAX) {
      runtime_args[runtime_arg_count++] = argv[++first];
    } else {
      return usage();
    }
  }
  if (argc - first != 5)
    return usage();
  argv += first - 1;
  runtime = argv[1], root = argv[2], bundle = argv[3], id = argv[4];
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGPIPE, SIG_IGN); /* a log gone is a failed write, not death */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  const char *pid_file = argv[5];
  int listen_fds = take_listen_fds();
  if (listen_fds < 0) {
    fprintf(stderr, "fern-oci-shim: LISTEN_FDS is set, but not for this "
                    "process or out of range: no sockets to pass on\n");
    return 125;
  }
  char preserve[16];
  snprintf(preserve, sizeof preserve, "%d", listen_fds);
  const char *create[12] = {"create", "--bundle", bundle, "--pid-file",
                            pid_file};
  size_t k = 5;
  if (listen_fds > 0) {
    create[k++] = "--preserve-fds";
    create[k++] = preserve;
  }
  int listener = -1;
  if (console) {
    if ((listener = console_listen()) < 0) {
      fprintf(stderr, "fern-oci-shim: cannot make a console socket: %s\n",
              strerror(errno));
      console_remove();
      return 125;
    }
    create[k++] = "--console-socket";
    create[k++] = console_path;
  }
  create[k++] = id;
  create[k] = NULL;
  int created = run_runtime(create);
  pid_t forwarder = -1;
  if (listener >= 0) {
    int master = created == 0 ? console_receive(listener) : -1;
    close(listener);
    console_remove();
    if (master >= 0) {
      forwarder = console_forward(master);
      close(master);
    } else if (created == 0) {
      fprintf(stderr, "fern-oci-shim: %s sent no terminal\n", runtime);
      created = -1;
    }
  }
  /* The container holds them now; no other runtime command gets them. */
  for (int fd = 3; fd < 3 + listen_fds; fd++)
    close(fd);
  if (created != 0) {
    fprintf(stderr, "fern-oci-shim: %s create %s failed\n", runtime, id);
    delete_container();
    return 125;
  }
  pid_t init = read_pid(pid_file);
  const char *start[] = {"start", id, NULL};
  /* Not waited for here: with readiness, start lasts until the program
   * says READY=1, and a stop or the program's death may come first. */
  pid_t started = init > 0 ? start_runtime(start, 0) : -1;
  int start_failed = 0;
  int status = started > 0 ? wait_container(init, started, &set, relay,
                                            &start_failed)
                           : -1;
  if (started <= 0 || start_failed) {
    fprintf(stderr, "fern-oci-shim: %s start %s failed\n", runtime, id);
    delete_container();
    return 125;
  }
  /* What the terminal showed last reaches the log before we go. */
  while (forwarder > 0 && waitpid(forwarder, NULL, 0) < 0 && errno == EINTR)
    ;
  /* A container the runtime no longer knows is gone: no error, and
   * nothing to delete. */
  const char *state[] = {"state", id, NULL};
  if (run_runtime_quiet(state) == 0)
    delete_container();
  if (status == -1)
    return 125;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
