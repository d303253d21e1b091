/* sd-echo - a daemon written for a systemd .socket unit, unchanged: it
 * takes its listening sockets from libsystemd's sd_listen_fds_with_names()
 * and answers each line on the one named "echo" with "sd: LINE". Exits 2
 * when it was given no socket of that name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

int main(void) {
  char **names = NULL;
  int n = sd_listen_fds_with_names(0, &names);
  int fd = -1;
  for (int i = 0; i < n; i++)
    if (names != NULL && strcmp(names[i], "echo") == 0)
      fd = SD_LISTEN_FDS_START + i;
  printf("sd_listen_fds_with_names: %d, echo at %d\n", n, fd);
  fflush(stdout);
  if (fd < 0)
    return 2;
  for (;;) {
    int conn = accept(fd, NULL, NULL);
    if (conn < 0)
      return 4;
    char line[256], reply[300];
    ssize_t got = read(conn, line, sizeof line - 1);
    if (got > 0) {
      line[got] = '\0';
      int len = snprintf(reply, sizeof reply, "sd: %s", line);
      if (write(conn, reply, (size_t)len) != len)
        return 5;
    }
    close(conn);
  }
}
