/* sandbox_seccomp.c - the deny-by-default seccomp filter: what an ordinary
 * program needs (memory, files it is given, time, signals, its own
 * children), nothing that reaches out (sockets, ptrace, mount, module
 * loading, ...). A denied call kills the process (SIGSYS). The manifest
 * may add named syscalls; "network": true adds the socket calls. */
#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox.h"

static const char *const baseline[] = {
    "read", "write", "readv", "writev", "pread64", "pwrite64", "open",
    "openat", "close", "close_range", "fstat", "newfstatat", "stat", "lstat",
    "statx", "lseek", "access", "faccessat", "faccessat2", "readlink",
    "readlinkat", "getdents64", "getcwd", "chdir", "fchdir", "fcntl", "dup",
    "dup2", "dup3", "pipe", "pipe2", "ioctl", "umask", "mkdir", "mkdirat",
    "unlink", "unlinkat", "rename", "renameat", "renameat2", "ftruncate",
    "fsync", "fdatasync", "mmap", "mprotect", "munmap", "brk", "mremap",
    "madvise", "membarrier", "rt_sigaction", "rt_sigprocmask",
    "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "sigaltstack",
    "pause", "kill", "tgkill", "tkill", "execve", "exit", "exit_group",
    "wait4", "waitid", "clone", "clone3", "fork", "vfork", "arch_prctl",
    "set_tid_address", "set_robust_list", "get_robust_list", "rseq",
    "prlimit64", "getrlimit", "getrandom", "futex", "sched_yield",
    "sched_getaffinity", "clock_gettime", "clock_getres", "clock_nanosleep",
    "nanosleep", "gettimeofday", "time", "times", "getpid", "getppid",
    "gettid", "getuid", "geteuid", "getgid", "getegid", "getgroups",
    "getpgrp", "getpgid", "setpgid", "getsid", "setsid", "uname", "sysinfo",
    "getrusage", "poll", "ppoll", "select", "pselect6", "epoll_create1",
    "epoll_ctl", "epoll_wait", "epoll_pwait", "eventfd2", "timerfd_create",
    "timerfd_settime", "restart_syscall", "prctl", NULL};

static const char *const network[] = {
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown", "setsockopt",
    "getsockopt", "getsockname", "getpeername", NULL};

int sandbox_syscall_known(const char *name) {
  return seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

static int allow_all(scmp_filter_ctx ctx, const char *const *names) {
  for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
    int nr = seccomp_syscall_resolve_name(names[i]);
    if (nr != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0))
      return -1;
  }
  return 0;
}

/* Socket-level options only: libsystemd grows the notify socket's send
 * buffer first (fd_inc_sndbuf), servers set SO_* options. */
static int allow_socket_options(scmp_filter_ctx ctx) {
  static const char *const options[] = {"getsockopt", "setsockopt", NULL};
  for (size_t i = 0; options[i] != NULL; i++) {
    int opt = seccomp_syscall_resolve_name(options[i]);
    if (opt == __NR_SCMP_ERROR ||
        seccomp_rule_add(ctx, SCMP_ACT_ALLOW, opt, 1,
                         SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET)) != 0)
      return -1;
  }
  return 0;
}

/* sd_notify's datagram: a socket of the local family only, and sending it
 * (libsystemd sends with sendmsg, fern_notify with sendto; newer
 * libsystemd connects first). */
static int allow_notify(scmp_filter_ctx ctx) {
  static const char *const sending[] = {"sendto", "sendmsg", "connect", NULL};
  int nr = seccomp_syscall_resolve_name("socket");
  if (nr == __NR_SCMP_ERROR ||
      seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                       SCMP_A0(SCMP_CMP_EQ, AF_UNIX)) != 0)
    return -1;
  if (allow_socket_options(ctx) != 0)
    return -1;
  return allow_all(ctx, sending);
}

/* A component that uses a protocol connects to its socket: a Unix stream
 * socket (with any of SOCK_CLOEXEC, SOCK_NONBLOCK), connect, and what is
 * said on it; no other family or type. */
static int allow_protocol_client(scmp_filter_ctx ctx) {
  static const char *const talking[] = {
      "connect", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown",
      "getsockname", "getpeername", NULL};
  int nr = seccomp_syscall_resolve_name("socket");
  if (nr == __NR_SCMP_ERROR ||
      seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 2,
                       SCMP_A0(SCMP_CMP_EQ, AF_UNIX),
                       SCMP_A1(SCMP_CMP_MASKED_EQ,
                               ~(scmp_datum_t)(SOCK_CLOEXEC | SOCK_NONBLOCK),
                               SOCK_STREAM)) != 0)
    return -1;
  if (allow_socket_options(ctx) != 0)
    return -1;
  return allow_all(ctx, talking);
}

/* A component that serves protocols accepts on the sockets it was given
 * and talks on what it accepted; it makes none of its own. */
static int allow_protocol_server(scmp_filter_ctx ctx) {
  static const char *const serving[] = {
      "accept", "accept4", "sendto", "recvfrom", "sendmsg", "recvmsg",
      "shutdown", "getsockname", "getpeername", NULL};
  if (allow_socket_options(ctx) != 0)
    return -1;
  return allow_all(ctx, serving);
}

int sandbox_seccomp_fd(const sandbox_plan *plan, fern_error_t *err) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (ctx == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "seccomp_init failed");
  int fd = -1;
  if (allow_all(ctx, baseline) != 0 ||
      (plan->network && allow_all(ctx, network) != 0) ||
      (plan->notify && !plan->network && allow_notify(ctx) != 0) ||
      (plan->uses_protocol && !plan->network &&
       allow_protocol_client(ctx) != 0) ||
      (plan->serves && !plan->network && allow_protocol_server(ctx) != 0) ||
      allow_all(ctx, (const char *const *)plan->syscalls) != 0) {
    seccomp_release(ctx);
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "cannot build the seccomp filter");
  }
  fd = memfd_create("fern-seccomp", MFD_CLOEXEC);
  if (fd < 0 || seccomp_export_bpf(ctx, fd) != 0 ||
      lseek(fd, 0, SEEK_SET) != 0) {
    if (fd >= 0)
      close(fd);
    seccomp_release(ctx);
    return fern_error_set(err, FERN_EIO, NULL,
                          "cannot write the seccomp filter: %s",
                          strerror(errno));
  }
  seccomp_release(ctx);
  return fd;
}
