/* sandbox_package.c - the package as the sandbox shows it: the directory
 * fern checked, bound through its descriptor. bubblewrap would resolve a
 * path again when it mounts it, later: whoever may write the directory
 * above the package could by then have put a symlink in its place
 * (pkg -> ../..), and the sandbox would show whatever it leads to, the
 * host's root included. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

/* The descriptor is the package itself (at `real`, its path resolved once),
 * and holds the binary checked. */
static int check_package(const char *package_dir,
                         const fern_spawn_plan_t *sp, const char *real, int fd,
                         fern_error_t *err) {
  char now[PATH_MAX], binary[PATH_MAX];
  if (sandbox_fd_path(fd, now) != 0 || sandbox_fd_path(sp->exec_fd, binary))
    return fern_error_set(err, FERN_EIO, NULL,
                          "cannot tell where package %s is", package_dir);
  if (strcmp(now, real) != 0)
    return fern_error_set(err, FERN_EACCES, NULL,
                          "package %s was moved while it was being started "
                          "(its path leads to %s now)",
                          package_dir, now);
  if (!sandbox_path_within(binary, real))
    return fern_error_set(err, FERN_EACCES, "/binary",
                          "binary %s lies outside its package %s (%s): the "
                          "package was changed while it was being started",
                          sp->exec_path, package_dir, binary);
  return FERN_OK;
}

int sandbox_package_open(const fern_spawn_plan_t *sp, char *real,
                         fern_error_t *err) {
  const char *package_dir = sp->package_dir;
  /* The package's own path may pass through links (pkg's "0" names the
   * version in use): resolved once here, and what is opened then must be
   * there. A symlink put in its place is no directory under O_NOFOLLOW. */
  if (realpath(package_dir, real) == NULL)
    return fern_error_set(err, FERN_EIO, NULL, "package %s: %s",
                          package_dir, strerror(errno));
  int fd = open(real, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return fern_error_set(err, errno == ENOTDIR ? FERN_EACCES : FERN_EIO, NULL,
                          "package %s: %s", package_dir,
                          errno == ENOTDIR ? "it was replaced, by something "
                                             "that is not a directory, while "
                                             "the run was being prepared"
                                           : strerror(errno));
  int rc = check_package(package_dir, sp, real, fd, err);
  if (rc == FERN_OK)
    return fd;
  close(fd);
  return rc;
}
