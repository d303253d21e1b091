/* daemon - a long-running component that speaks fern's lifecycle protocol
 * (include/fern/lifecycle.h): it reports readiness and status the systemd
 * way, then serves until fern asks it to stop, and stops cleanly. */
#include <fern/lifecycle.h>
#include <stdio.h>

int main(void) {
  fern_notify("STATUS=loading");
  /* ... a real daemon would open its sockets here ... */
  fern_notify("READY=1\nSTATUS=serving");
  printf("daemon: serving until fern says stop\n");
  fflush(stdout);
  int fd = fern_lifecycle_fd();
  for (;;) {
    enum fern_lifecycle_event ev = fern_lifecycle_wait(fd, -1);
    if (ev == FERN_LIFECYCLE_STOP_ASKED) {
      fern_notify("STOPPING=1");
      printf("daemon: stop asked; flushing and leaving cleanly\n");
      return 0;
    }
    if (ev == FERN_LIFECYCLE_GONE)
      return 1;
  }
}
