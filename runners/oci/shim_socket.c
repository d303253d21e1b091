/* shim_socket.c - see shim_socket.h. */
#include "shim_socket.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int shim_socket_bind(const char *prefix, int type, char *path, size_t size) {
  char dir[64];
  snprintf(dir, sizeof dir, "/tmp/%s-XXXXXX", prefix);
  path[0] = '\0';
  if (mkdtemp(dir) == NULL)
    return -1;
  snprintf(path, size, "%s/s", dir);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  int fd = socket(AF_UNIX, type, 0);
  if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0)
    return fd;
  int saved = errno;
  if (fd >= 0)
    close(fd);
  shim_socket_remove(path);
  path[0] = '\0';
  errno = saved;
  return -1;
}

void shim_socket_remove(const char *path) {
  if (path == NULL || path[0] == '\0')
    return;
  unlink(path);
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash != NULL) {
    *slash = '\0';
    rmdir(dir);
  }
}
