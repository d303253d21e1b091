/* elf_pidfd_status.c - the exit status of a process that fern did not
 * reap: another process (its parent, or another reaper) did, and the
 * kernel keeps the status with its pidfd (PIDFD_GET_INFO with
 * PIDFD_INFO_EXIT, Linux 6.15). */
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
