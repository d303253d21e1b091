/* tool_confine.c - `tool confinement`: what a program in a container may
 * do, one line a probe, each one word a test can compare with the same
 * probe in another container: a file of /proc it may open for writing
 * (without writing anything: the open is the question), one that is
 * masked (an empty directory, /dev/null, or none), /proc's and /sys's
 * read-only parts, its file limit, capabilities, no_new_privs and
 * seccomp, whether unshare(0) (which changes nothing) is let through, and
 * the mounts ordinary programs need; and any path given as mask:PATH or
 * ro:PATH. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tool.h"

static void writable(const char *path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
  printf("write %s %s\n", path, fd >= 0 ? "allowed" : "denied");
  if (fd >= 0)
    close(fd);
}

/* Masked as runtimes mask: /dev/null over a file, an empty read-only
 * tmpfs over a directory; a path that is not there shows nothing too. */
static void masked(const char *path) {
  struct stat st;
  int hidden = 1;
  if (stat(path, &st) == 0) {
    if (S_ISCHR(st.st_mode))
      hidden = major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
    else if (S_ISDIR(st.st_mode)) {
      DIR *d = opendir(path);
      struct dirent *e;
      while (d != NULL && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
          hidden = 0;
      if (d != NULL)
        closedir(d);
    } else {
      hidden = 0;
    }
  }
  printf("see %s %s\n", path, hidden ? "masked" : "visible");
}

static void read_only(const char *path) {
  struct statvfs vfs;
  int ro = statvfs(path, &vfs) != 0 || (vfs.f_flag & ST_RDONLY);
  printf("mount %s %s\n", path, ro ? "read-only" : "writable");
}

static void present(const char *path) {
  struct stat st;
  printf("has %s %s\n", path, stat(path, &st) == 0 ? "yes" : "no");
}

/* `paths` ("mask:PATH" or "ro:PATH") are asked about too. */
int print_confinement(const char *const *paths, int n) {
  static const char *const writes[] = {
      "/proc/irq/default_smp_affinity", "/proc/sysrq-trigger",
      "/proc/sys/kernel/domainname", NULL};
  static const char *const masks[] = {
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
      "/proc/sched_debug", "/proc/scsi", "/sys/firmware", NULL};
  static const char *const ro[] = {"/proc/bus", "/proc/fs", "/proc/irq",
                                   "/proc/sys", "/", NULL};
  for (int i = 0; writes[i] != NULL; i++)
    writable(writes[i]);
  for (int i = 0; masks[i] != NULL; i++)
    masked(masks[i]);
  for (int i = 0; ro[i] != NULL; i++)
    read_only(ro[i]);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  printf("nofile %llu %llu\n", (unsigned long long)rl.rlim_cur,
         (unsigned long long)rl.rlim_max);
  const char *keys[] = {"CapEff:", "CapBnd:", "NoNewPrivs:", "Seccomp:"};
  print_status(keys, 4);
  printf("syscall unshare %s\n",
         syscall(SYS_unshare, 0) == 0 ? "allowed" : "denied");
  for (int i = 0; i < n; i++) {
    if (strncmp(paths[i], "mask:", 5) == 0)
      masked(paths[i] + 5);
    else if (strncmp(paths[i], "ro:", 3) == 0)
      read_only(paths[i] + 3);
  }
  present("/dev/shm");
  present("/dev/mqueue");
  present("/dev/pts/ptmx");
  return 0;
}
