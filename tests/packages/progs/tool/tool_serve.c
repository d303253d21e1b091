/* tool_serve.c - part of the test program tool (src/tool.c): the
 * sockets, serving those of LISTEN_FDS and calling a protocol in
 * FERN_NAMESPACE. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <fern/lifecycle.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

/* The first descriptor of LISTEN_FDS, if it is meant for this process. */
static int listen_fd(void) {
  const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
  if (pid == NULL || fds == NULL || atol(pid) != (long)getpid() ||
      atoi(fds) < 1)
    return -1;
  return 3;
}

_Noreturn void echo_serve(int once) {
  int fd = listen_fd();
  if (fd < 0) {
    printf("no LISTEN_FDS for pid %ld\n", (long)getpid());
    exit(2);
  }
  printf("serving %s on fd %d (LISTEN_FDS=%s)\n", getenv("LISTEN_FDNAMES"), fd,
         getenv("LISTEN_FDS"));
  fflush(stdout);
  for (;;) {
    int conn = accept(fd, NULL, NULL);
    if (conn < 0)
      exit(4);
    char line[256];
    ssize_t n = read(conn, line, sizeof line - 1);
    if (n > 0) {
      char reply[300];
      line[n] = '\0';
      int len = snprintf(reply, sizeof reply, "echo: %s", line);
      if (write(conn, reply, (size_t)len) != len)
        exit(5);
    }
    close(conn);
    if (once)
      exit(0);
  }
}

_Noreturn void echo_call(const char *name, int count, char **texts) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  const char *ns = getenv("FERN_NAMESPACE");
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s/svc/%s", ns ? ns : "",
           name);
  for (int i = 0; i < count; i++) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
      printf("connect %s: %s\n", addr.sun_path, strerror(errno));
      exit(2);
    }
    char out[256], in[300];
    int len = snprintf(out, sizeof out, "%s\n", texts[i]);
    /* A connection fern closed (its provider could not start) may be
     * closed before the write as well as after: either way it ended. */
    signal(SIGPIPE, SIG_IGN);
    ssize_t n = write(fd, out, (size_t)len) == len
                    ? read(fd, in, sizeof in - 1)
                    : -1;
    if (n <= 0) {
      printf("end of file\n");
      exit(3);
    }
    in[n] = '\0';
    printf("%s", in);
    fflush(stdout);
    close(fd);
  }
  exit(0);
}
