/* control_path.c - see control_path.h. */
#include "control_path.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int fern__control_default_path(char *out, size_t size) {
  const char *runtime = getenv("XDG_RUNTIME_DIR");
  int n;
  if (runtime != NULL && runtime[0] == '/')
    n = snprintf(out, size, "%s/fern/control.sock", runtime);
  else if (getuid() == 0)
    /* As systemd's runtime_directory() (src/basic/path-lookup.c) puts the
     * system's runtime files under /run: only root may write there, so no
     * other user can make root's directory first, as under /tmp. */
    n = snprintf(out, size, "/run/fern/control.sock");
  else
    n = snprintf(out, size, "/tmp/fern-%u/control.sock", (unsigned)getuid());
  return n > 0 && (size_t)n < size ? FERN_OK : FERN_EINVAL;
}

void fern__control_dir_of(const char *path, char *dir, size_t size) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL)
    snprintf(dir, size, ".");
  else if (slash == path)
    snprintf(dir, size, "/");
  else
    snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

/* "alice (uid 1001)", or "uid 1001" when no user has that id. */
static void name_uid(uid_t uid, char *out, size_t size) {
  struct passwd *pw = getpwuid(uid);
  if (pw != NULL)
    snprintf(out, size, "%s (uid %u)", pw->pw_name, (unsigned)uid);
  else
    snprintf(out, size, "uid %u", (unsigned)uid);
}

/* OpenSSH's safe_path() (misc.c) takes a directory only when it belongs to
 * the user and others cannot write to it; so does a fern client. The fern
 * that serves the socket asks more: nobody else may even enter. */
int fern__control_check_dir(const char *dir, mode_t forbidden,
                            fern_error_t *err) {
  struct stat st;
  if (lstat(dir, &st) != 0)
    return fern_error_set(err, errno == ENOENT ? FERN_ENOENT : FERN_EIO, NULL,
                          "%s: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "control socket directory %s is not a directory%s",
                          dir, S_ISLNK(st.st_mode) ? " (a symlink)" : "");
  if (st.st_uid != getuid()) {
    char owner[128], me[128];
    name_uid(st.st_uid, owner, sizeof owner);
    name_uid(getuid(), me, sizeof me);
    return fern_error_set(err, FERN_EACCES, NULL,
                          "control socket directory %s belongs to %s, not to "
                          "you, %s: another user may have made it to pass "
                          "for fern",
                          dir, owner, me);
  }
  if ((st.st_mode & forbidden) != 0)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "control socket directory %s has mode %03o: others "
                          "must not %s it (chmod 700 %s)",
                          dir, (unsigned)(st.st_mode & 0777),
                          (forbidden & 055) != 0 ? "enter" : "write to", dir);
  return FERN_OK;
}

/* As libpq's requirepeer (PostgreSQL, src/interfaces/libpq/fe-connect.c):
 * a client asks the kernel who listens at the other end before it sends a
 * word, since a path proves nothing about who bound it. */
int fern__control_check_server(int fd, const char *path, fern_error_t *err) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return fern_error_set(err, FERN_EIO, NULL, "cannot tell who serves %s: %s",
                          path, strerror(errno));
  if (cred.uid == getuid())
    return FERN_OK;
  char server[128], me[128];
  name_uid(cred.uid, server, sizeof server);
  name_uid(getuid(), me, sizeof me);
  return fern_error_set(err, FERN_EACCES, NULL,
                        "%s is served by %s (pid %d), not by you, %s: it is "
                        "not your fern",
                        path, server, (int)cred.pid, me);
}
