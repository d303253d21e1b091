/* oci_seccomp.c - the seccomp profile fern's containers get unless the
 * program block says "seccomp": false: deny by default (EPERM), allow
 * what Docker's default profile allows a container without capabilities
 * (moby's profiles/seccomp/default.json: its unconditional list, ptrace
 * and process_vm_* for kernels since 4.8, socket but AF_VSOCK,
 * personality with the values it lists, arch_prctl and modify_ldt on
 * x86, clone without namespace flags, and clone3 answering ENOSYS so
 * that libc falls back to clone). Every rule that needs a capability is
 * left out: fern's containers have none. io_uring is not allowed, as
 * moby 25 and containerd 2 no longer allow it: its operations (a socket
 * of any family since 5.19) get past the argument rules. */
#include "oci.h"

/* moby's unconditional allow list. */
static const char *const allowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk",
    "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime",
    "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
    "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close",
    "close_range", "connect", "copy_file_range", "creat", "dup", "dup2",
    "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
    "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd",
    "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
    "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
    "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
    "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
    "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
    "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_time64",
    "futex_waitv", "futimesat", "getcpu", "getcwd", "getdents", "getdents64",
    "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
    "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
    "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
    "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
    "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area",
    "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
    "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
    "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
    "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
    "io_submit",
    "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
    "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr",
    "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "membarrier",
    "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
    "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
    "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
    "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync",
    "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
    "newfstatat", "_newselect", "open", "openat", "openat2", "pause",
    "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
    "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
    "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
    "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read",
    "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom",
    "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
    "removexattr", "rename", "renameat", "renameat2", "restart_syscall",
    "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
    "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity",
    "sched_getattr", "sched_getparam", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
    "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64",
    "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
    "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
    "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority",
    "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
    "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list",
    "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid",
    "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown",
    "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn",
    "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
    "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
    "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
    "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
    "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
    "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname",
    "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes",
    "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev", NULL};

/* clone's namespace flags (CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC |
 * NEWUSER | NEWPID | NEWNET): clone is allowed when none is set. */
#define CLONE_NAMESPACE_FLAGS 2114060288

static json_t *allow(const char *const *names) {
  json_t *list = json_array();
  for (size_t i = 0; names[i] != NULL; i++)
    json_array_append_new(list, json_string(names[i]));
  return json_pack("{s:o, s:s}", "names", list, "action", "SCMP_ACT_ALLOW");
}

/* `name` allowed when argument `index` compares to `value` by `op`
 * (for SCMP_CMP_MASKED_EQ, `value` is the mask and the argument's bits
 * under it must equal valueTwo, 0 here, as in moby's profile). */
static json_t *allow_if(const char *name, int index, json_int_t value,
                        const char *op) {
  return json_pack("{s:[s], s:s, s:[{s:i, s:I, s:s}]}", "names", name,
                   "action", "SCMP_ACT_ALLOW", "args", "index", index,
                   "value", value, "op", op);
}

json_t *oci_seccomp_profile(void) {
  static const char *const since_4_8[] = {"process_vm_readv",
                                          "process_vm_writev", "ptrace",
                                          NULL};
#if defined(__x86_64__)
  static const char *const arch[] = {"arch_prctl", "modify_ldt", NULL};
  json_t *architectures = json_pack("[s,s,s]", "SCMP_ARCH_X86_64",
                                    "SCMP_ARCH_X86", "SCMP_ARCH_X32");
#elif defined(__aarch64__)
  static const char *const arch[] = {"arm_fadvise64_64",
                                     "arm_sync_file_range",
                                     "sync_file_range2", "breakpoint",
                                     "cacheflush", "set_tls", NULL};
  json_t *architectures = json_pack("[s,s]", "SCMP_ARCH_AARCH64",
                                    "SCMP_ARCH_ARM");
#else
#error "fern's seccomp profile knows x86_64 and aarch64"
#endif
  json_t *syscalls = json_pack("[o,o,o]", allow(allowed), allow(since_4_8),
                               allow(arch));
  json_array_append_new(syscalls,
                        allow_if("socket", 0, 40 /* AF_VSOCK */,
                                 "SCMP_CMP_NE"));
  static const json_int_t personalities[] = {0, 8, 131072, 131080,
                                             4294967295};
  for (size_t i = 0; i < 5; i++)
    json_array_append_new(syscalls, allow_if("personality", 0,
                                             personalities[i],
                                             "SCMP_CMP_EQ"));
  json_array_append_new(syscalls,
                        allow_if("clone", 0, CLONE_NAMESPACE_FLAGS,
                                 "SCMP_CMP_MASKED_EQ"));
  json_array_append_new(syscalls,
                        json_pack("{s:[s], s:s, s:i}", "names", "clone3",
                                  "action", "SCMP_ACT_ERRNO", "errnoRet",
                                  38 /* ENOSYS */));
  return json_pack("{s:s, s:i, s:o, s:o}", "defaultAction", "SCMP_ACT_ERRNO",
                   "defaultErrnoRet", 1, "architectures", architectures,
                   "syscalls", syscalls);
}
