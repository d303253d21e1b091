/* swap_at_open.c - a race made certain: fanotify holds fern's open of a
 * file (FAN_OPEN_PERM) while the test changes what a path leads to, then
 * lets the open go on. What fern does with a path after that open sees the
 * change; what it does through the descriptor it checked does not. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include "e2e.h"

/* Answers one batch of permission events (all allowed); the first one
 * fern's own process asks for runs `swap` first. Returns 0 when the
 * fanotify descriptor has nothing more to read. */
static int answer_events(int fan, pid_t fern, int *swapped,
                         void (*swap)(void *), void *arg) {
  char buf[4096];
  ssize_t n = read(fan, buf, sizeof buf);
  if (n <= 0)
    return 0;
  for (struct fanotify_event_metadata *ev = (void *)buf; FAN_EVENT_OK(ev, n);
       ev = FAN_EVENT_NEXT(ev, n)) {
    if (ev->pid == fern && !*swapped) {
      swap(arg);
      *swapped = 1;
    }
    struct fanotify_response allow = {ev->fd, FAN_ALLOW};
    ck_assert_int_eq(write(fan, &allow, sizeof allow), sizeof allow);
    close(ev->fd);
  }
  return 1;
}

int e2e_run_swapping_at_open(e2e_proc *p, const char *const *args,
                             const char *path, void (*swap)(void *),
                             void *arg) {
  memset(p, 0, sizeof *p);
  p->out_fd = p->err_fd = -1;
  int fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);
  if (fan < 0) {
    fprintf(stderr, "skipped: no fanotify permission events here (%s)\n",
            strerror(errno));
    return -1;
  }
  ck_assert_int_eq(
      fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN_PERM, AT_FDCWD, path), 0);
  e2e_start(p, args);
  int swapped = 0;
  long deadline = e2e_now_ms() + 20000;
  /* Until fern's pipes close: a pipe closed is left out of the poll
   * (poll ignores a negative descriptor). */
  while ((p->err_fd >= 0 || p->out_fd >= 0) && e2e_now_ms() < deadline) {
    struct pollfd fds[3] = {{fan, POLLIN, 0},
                            {p->err_fd, POLLIN, 0},
                            {p->out_fd, POLLIN, 0}};
    poll(fds, 3, 1000);
    if (fds[0].revents & POLLIN)
      answer_events(fan, p->pid, &swapped, swap, arg);
    if (fds[1].revents || fds[2].revents)
      e2e_pump(p, 0);
  }
  close(fan);
  e2e_finish(p, 20000);
  return swapped;
}

void e2e_replace_by_link(const char *path, const char *target) {
  char kept[4200];
  snprintf(kept, sizeof kept, "%s.checked", path);
  ck_assert_int_eq(rename(path, kept), 0);
  ck_assert_int_eq(symlink(target, path), 0);
}
