/* shim_notify.c - see shim_notify.h. */
#include "shim_notify.h"
#include "shim_socket.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char relay_path[96];
static struct sockaddr_un fern_addr;
static int out_fd = -1;

static void relay_remove(void) { shim_socket_remove(relay_path); }

int notify_relay_open(const char *fern_socket) {
  if (strlen(fern_socket) >= sizeof fern_addr.sun_path)
    return -1;
  fern_addr.sun_family = AF_UNIX;
  snprintf(fern_addr.sun_path, sizeof fern_addr.sun_path, "%s", fern_socket);
  int fd = shim_socket_bind("fern-oci-notify",
                            SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                            relay_path, sizeof relay_path);
  if (fd < 0)
    return -1;
  atexit(relay_remove);
  if ((out_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
    close(fd);
    return -1;
  }
  setenv("NOTIFY_SOCKET", relay_path, 1);
  return fd;
}

/* Closes the descriptors a message carried. */
static void close_passed(struct msghdr *msg) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL;
       c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *fds = (int *)CMSG_DATA(c);
    for (size_t i = 0; i < n; i++)
      close(fds[i]);
  }
}

void notify_relay_pump(int relay) {
  for (;;) {
    char buf[4096];
    union {
      struct cmsghdr align;
      char space[CMSG_SPACE(sizeof(int) * 16)];
    } control;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control.space,
                         .msg_controllen = sizeof control.space};
    ssize_t n = recvmsg(relay, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return;
    close_passed(&msg);
    if (n > 0)
      sendto(out_fd, buf, (size_t)n, MSG_NOSIGNAL,
             (struct sockaddr *)&fern_addr, sizeof fern_addr);
  }
}
