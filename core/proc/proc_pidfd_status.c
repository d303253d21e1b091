/* proc_pidfd_status.c - the end of a run's main process, through its
 * pidfd: reaped here when it is fern's child; else another process (its
 * parent, or another runner's reaper) reaps it, and the kernel keeps its
 * status with the pidfd (PIDFD_GET_INFO with PIDFD_INFO_EXIT, Linux
 * 6.15); else its status is unknown. */
#include <errno.h>
#include <linux/types.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

/* From include/uapi/linux/pidfd.h (Linux 6.15); Debian 12's headers
 * predate it. The kernel fills what fits and says so in `mask`. */
struct proc_pidfd_info {
  __u64 mask;
  __u64 cgroupid;
  __u32 pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  __s32 exit_code;
};
#define PROC_PIDFD_GET_INFO _IOWR(0xFF, 11, struct proc_pidfd_info)
#define PROC_PIDFD_INFO_EXIT (1ULL << 3)

int proc_pidfd_exit_status(proc_run *c, int pidfd) {
  struct proc_pidfd_info info;
  memset(&info, 0, sizeof info);
  info.mask = PROC_PIDFD_INFO_EXIT;
  if (pidfd < 0 || ioctl(pidfd, PROC_PIDFD_GET_INFO, &info) != 0 ||
      !(info.mask & PROC_PIDFD_INFO_EXIT))
    return 0;
  if (WIFEXITED(info.exit_code)) {
    c->exit_code = WEXITSTATUS(info.exit_code);
  } else {
    c->term_signal = WTERMSIG(info.exit_code);
    c->core_dumped = WCOREDUMP(info.exit_code);
  }
  return 1;
}

int proc_pidfd_collect(proc_run *c, int pidfd) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  /* The system call, not glibc's waitid: its fifth argument takes the
   * child's rusage (what the run cost, when no cgroup says it). */
  struct rusage usage;
  if (syscall(SYS_waitid, P_PIDFD, pidfd, &info, WEXITED | WNOHANG,
              &usage) == 0) {
    if (info.si_pid == 0)
      return 0; /* fern's child, not ended yet */
    c->usage = usage;
    c->have_usage = 1;
    proc_process_record_waitid(c, &info);
    return 1;
  }
  if (errno != ECHILD)
    return 0;
  /* Not fern's to reap (any more): the pidfd is readable, so it ended. */
  if (!proc_pidfd_exit_status(c, pidfd))
    c->exit_unknown = 1; /* looked for again while its job drains */
  return 1;
}

int proc_pidfd_status_late(proc_run *c) {
  int pidfd = c->follow != NULL ? c->follow->pidfd : c->pidfd;
  if (!c->exit_unknown || !proc_pidfd_exit_status(c, pidfd))
    return 0;
  c->exit_unknown = 0;
  proc_process_critical_check(c);
  return 1;
}
