/* elf_pidfd_status.c - the end of a run's main process, through its
 * pidfd: reaped here when it is fern's child; else another process (its
 * parent, or another runner's reaper) reaps it, and the kernel keeps its
 * status with the pidfd (PIDFD_GET_INFO with PIDFD_INFO_EXIT, Linux
 * 6.15); else its status is unknown. */
#include <errno.h>
#include <linux/types.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "elf_runner.h"

/* From include/uapi/linux/pidfd.h (Linux 6.15); Debian 12's headers
 * predate it. The kernel fills what fits and says so in `mask`. */
struct elf_pidfd_info {
  __u64 mask;
  __u64 cgroupid;
  __u32 pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  __s32 exit_code;
};
#define ELF_PIDFD_GET_INFO _IOWR(0xFF, 11, struct elf_pidfd_info)
#define ELF_PIDFD_INFO_EXIT (1ULL << 3)

int elf_pidfd_exit_status(elf_controller *c, int pidfd) {
  struct elf_pidfd_info info;
  memset(&info, 0, sizeof info);
  info.mask = ELF_PIDFD_INFO_EXIT;
  if (pidfd < 0 || ioctl(pidfd, ELF_PIDFD_GET_INFO, &info) != 0 ||
      !(info.mask & ELF_PIDFD_INFO_EXIT))
    return 0;
  if (WIFEXITED(info.exit_code)) {
    c->exit_code = WEXITSTATUS(info.exit_code);
  } else {
    c->term_signal = WTERMSIG(info.exit_code);
    c->core_dumped = WCOREDUMP(info.exit_code);
  }
  return 1;
}

int elf_pidfd_collect(elf_controller *c, int pidfd) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | WNOHANG) == 0) {
    if (info.si_pid == 0)
      return 0; /* fern's child, not ended yet */
    elf_process_record_waitid(c, &info);
    return 1;
  }
  if (errno != ECHILD)
    return 0;
  /* Not fern's to reap (any more): the pidfd is readable, so it ended. */
  if (!elf_pidfd_exit_status(c, pidfd))
    c->exit_unknown = 1; /* looked for again while its job drains */
  return 1;
}

int elf_pidfd_status_late(elf_controller *c) {
  int pidfd = c->follow != NULL ? c->follow->pidfd : c->pidfd;
  if (!c->exit_unknown || !elf_pidfd_exit_status(c, pidfd))
    return 0;
  c->exit_unknown = 0;
  elf_process_critical_check(c);
  return 1;
}
