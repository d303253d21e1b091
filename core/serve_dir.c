/* serve_dir.c - the directory of protocol sockets and namespaces: one per
 * fern, /tmp/fern-svc-XXXXXX (0700), made on first need and locked for as
 * long as that fern lives (locked_dir.h); the next fern that makes one
 * first removes those dead ferns left. Loop thread. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "locked_dir.h"
#include "manager.h"
#include "serve.h"

#define SERVE_DIR_PARENT "/tmp"
#define SERVE_DIR_PREFIX "fern-svc-"

int fern__serve_dir_sweep(void) {
  return fern__locked_dir_sweep(SERVE_DIR_PARENT, SERVE_DIR_PREFIX);
}

int fern__serve_dir(fern__manager *manager, fern_error_t *err) {
  if (manager->serve_dir[0] != '\0')
    return FERN_OK;
  fern__serve_dir_sweep();
  int fd = fern__locked_dir_make(SERVE_DIR_PARENT, SERVE_DIR_PREFIX,
                                 manager->serve_dir,
                                 sizeof manager->serve_dir);
  if (fd < 0) {
    manager->serve_dir[0] = '\0';
    return fern_error_set(err, FERN_EIO, NULL,
                          "cannot make a directory for protocol sockets: %s",
                          strerror(errno));
  }
  manager->serve_dir_fd = fd;
  return FERN_OK;
}

void fern__serve_dir_remove(fern__manager *manager) {
  if (manager->serve_dir[0] != '\0')
    fern__remove_tree(manager->serve_dir);
  manager->serve_dir[0] = '\0';
  if (manager->serve_dir_fd >= 0)
    close(manager->serve_dir_fd); /* after the removal */
  manager->serve_dir_fd = -1;
}
