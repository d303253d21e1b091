/* proc_notify_dir.c - the directory of notify socket files (for programs
 * in a network namespace of their own, where fern's abstract names are
 * not). One per fern, made on first use as /tmp/fern-notify-XXXXXX, and
 * locked for as long as that fern lives (locked_dir.h): a fern that ended
 * without its release (SIGKILL, _exit) leaves it unlocked, and the next
 * fern's stale sweep removes it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../locked_dir.h"
#include "proc.h"

#define NOTIFY_DIR_PARENT "/tmp"
#define NOTIFY_DIR_PREFIX "fern-notify-"

int proc_notify_dir(proc_service *r, fern_error_t *err) {
  if (r->notify_dir[0] != '\0')
    return FERN_OK;
  char dir[sizeof r->notify_dir];
  int fd = fern__locked_dir_make(NOTIFY_DIR_PARENT, NOTIFY_DIR_PREFIX, dir,
                                 sizeof dir);
  if (fd < 0)
    return fern_error_set(err, FERN_EIO, NULL,
                          "cannot make a directory for notify sockets: %s",
                          strerror(errno));
  r->notify_dir_fd = fd;
  snprintf(r->notify_dir, sizeof r->notify_dir, "%s", dir);
  return FERN_OK;
}

void proc_notify_dir_release(proc_service *r) {
  if (r->notify_dir[0] != '\0')
    rmdir(r->notify_dir); /* each run's socket file went with its run */
  if (r->notify_dir_fd >= 0)
    close(r->notify_dir_fd); /* after the rmdir: no sweep takes it early */
  r->notify_dir_fd = -1;
  r->notify_dir[0] = '\0';
}

int proc_notify_dir_sweep(void) {
  return fern__locked_dir_sweep(NOTIFY_DIR_PARENT, NOTIFY_DIR_PREFIX);
}
