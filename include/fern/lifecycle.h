/*
 * lifecycle.h - the lifecycle channel between fern and an ELF component, and
 * a small client a component includes (no library to link).
 *
 * With "lifecycle": {"stop_event": "notify"} in its program block, a
 * component starts with a connected AF_UNIX stream socket on file
 * descriptor FERN_LIFECYCLE_FD (3; after the listening sockets of
 * LISTEN_FDS when the component serves protocols), named in the
 * environment variable FERN_LIFECYCLE_FD_ENV ("FERN_LIFECYCLE_FD=3"). The protocol is lines of
 * text:
 *
 *   fern -> component   "stop\n"   stop now: finish up and exit 0.
 *
 * A component that exits within its environment's stop timeout has stopped
 * `ok` (exit 0) or `instance_died` (another status); one that does not is
 * killed and reported `killed_after_timeout`. End of file on the socket
 * means fern is gone. Without stop_event notify, stop is SIGTERM.
 *
 * Readiness is systemd's: with "ready_event": "notify" a component gets
 * NOTIFY_SOCKET and sends sd_notify datagrams ("READY=1", "STATUS=...",
 * "STOPPING=1"); fern_notify() below sends one without libsystemd.
 */
#ifndef FERN_LIFECYCLE_H
#define FERN_LIFECYCLE_H

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Where the channel is when the component serves no protocol; one that
 * serves gets its sockets from 3 on and the channel after them: read
 * fern_lifecycle_fd(), which follows FERN_LIFECYCLE_FD_ENV. */
#define FERN_LIFECYCLE_FD 3
#define FERN_LIFECYCLE_FD_ENV "FERN_LIFECYCLE_FD"
#define FERN_LIFECYCLE_STOP "stop\n"

enum fern_lifecycle_event {
  FERN_LIFECYCLE_NONE = 0,   /* nothing within the timeout */
  FERN_LIFECYCLE_STOP_ASKED, /* fern asks the component to stop */
  FERN_LIFECYCLE_GONE        /* the channel closed: fern is gone */
};

/* The lifecycle channel's descriptor, or -1 when fern gave none. */
static inline int fern_lifecycle_fd(void) {
  const char *v = getenv(FERN_LIFECYCLE_FD_ENV);
  return v != NULL ? atoi(v) : -1;
}

/* Waits up to `timeout_ms` (-1: forever) for the next lifecycle event. */
static inline enum fern_lifecycle_event fern_lifecycle_wait(int fd,
                                                            int timeout_ms) {
  struct pollfd p = {fd, POLLIN, 0};
  int n;
  while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
    ;
  if (n <= 0)
    return n == 0 ? FERN_LIFECYCLE_NONE : FERN_LIFECYCLE_GONE;
  char buf[64];
  ssize_t got;
  while ((got = read(fd, buf, sizeof buf - 1)) < 0 && errno == EINTR)
    ;
  if (got <= 0)
    return FERN_LIFECYCLE_GONE;
  buf[got] = '\0';
  return strstr(buf, "stop") != NULL ? FERN_LIFECYCLE_STOP_ASKED
                                     : FERN_LIFECYCLE_NONE;
}

/* Sends one sd_notify datagram ("READY=1", "STATUS=working") to
 * NOTIFY_SOCKET. Returns 0, or -1 when there is no socket or it fails. */
static inline int fern_notify(const char *state) {
  const char *path = getenv("NOTIFY_SOCKET");
  if (path == NULL || path[0] == '\0' || strlen(path) >= 108)
    return -1;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t len = strlen(path);
  memcpy(addr.sun_path, path, len);
  if (path[0] == '@')
    addr.sun_path[0] = '\0'; /* abstract namespace */
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  ssize_t sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
                        (struct sockaddr *)&addr,
                        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
  close(fd);
  return sent < 0 ? -1 : 0;
}

#endif /* FERN_LIFECYCLE_H */
