/* elf_guardian.c - the guardian: a small process forked when the runner is
 * made, that waits on a pipe from fern. When fern exits normally it says
 * "bye" and the guardian leaves. When fern dies without a word (SIGKILL),
 * the pipe reaches end of file and the guardian kills every component
 * process: the runner's whole cgroup subtree, and every process carrying
 * this fern's FERN_JOB mark. Like a container shim, it is what lets "no
 * component outlives fern" hold even when fern cannot act. After the fork
 * it uses system calls and stack buffers only. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "elf_runner.h"

struct elf_guardian_s {
  pid_t pid;
  int fd;
};

static void guardian_wait_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/* Kills the cgroup subtree, waits for it to empty, removes its cgroups. */
static void guardian_kill_cgroups(const char *base) {
  char path[PATH_MAX + 32], events[256];
  snprintf(path, sizeof path, "%s/cgroup.kill", base);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t ignored = write(fd, "1", 1);
    (void)ignored;
    close(fd);
  }
  snprintf(path, sizeof path, "%s/cgroup.events", base);
  for (int i = 0; i < 500; i++) { /* at most 5 s */
    fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, events, sizeof events - 1) : -1;
    if (fd >= 0)
      close(fd);
    events[n > 0 ? n : 0] = '\0';
    if (n <= 0 || strstr(events, "populated 0") != NULL)
      break;
    guardian_wait_ms(10);
  }
  elf_job_remove_cgroup_tree(base);
}

static _Noreturn void guardian_main(int fd, const char *cgroup_base,
                                    const char *job_prefix) {
  struct sigaction ignore = {.sa_handler = SIG_IGN};
  sigaction(SIGINT, &ignore, NULL);
  sigaction(SIGTERM, &ignore, NULL);
  sigaction(SIGHUP, &ignore, NULL);
  prctl(PR_SET_NAME, "fern-guardian");
  char buf[64];
  ssize_t n;
  int bye = 0;
  while ((n = read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno != EINTR)
      break;
    if (n > 0 && memchr(buf, 'b', (size_t)n) != NULL) {
      bye = 1;
      break;
    }
  }
  if (!bye) {
    if (cgroup_base[0] != '\0')
      guardian_kill_cgroups(cgroup_base);
    elf_job_kill_marked(job_prefix, 1000);
  }
  _exit(0);
}

elf_guardian *elf_guardian_start(elf_runner *r) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return NULL;
  char prefix[32];
  snprintf(prefix, sizeof prefix, "%d.", (int)getpid());
  pid_t pid = fork();
  if (pid == 0) {
    /* Hold nothing but our own pipe: an inherited write end of another
     * guardian's pipe would keep that one from ever seeing end of file. */
    if (fds[0] > 3)
      syscall(SYS_close_range, 3, fds[0] - 1, 0);
    syscall(SYS_close_range, fds[0] + 1, ~0U, 0);
    guardian_main(fds[0], r->job_kind == ELF_JOB_CGROUP ? r->cgroup_base : "",
                  prefix);
  }
  close(fds[0]);
  elf_guardian *g = pid > 0 ? calloc(1, sizeof *g) : NULL;
  if (g == NULL) {
    close(fds[1]); /* a guardian without its pipe leaves at once */
    if (pid > 0)
      waitpid(pid, NULL, 0);
    return NULL;
  }
  g->pid = pid;
  g->fd = fds[1];
  return g;
}

void elf_guardian_stop(elf_guardian *g) {
  if (g == NULL)
    return;
  ssize_t ignored = write(g->fd, "bye\n", 4);
  (void)ignored;
  close(g->fd);
  while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  free(g);
}
