/* sandbox_binds.c - what the sandbox shows of the host besides its
 * package, chosen so that no one but root and fern's user can change a
 * bind between fern's check and bubblewrap's mount.
 *
 * bubblewrap resolves a bind's source path again when it mounts it, after
 * the walk read the file: whoever may change that path meanwhile (rename a
 * directory of theirs away, put a symlink in its place) chooses what the
 * sandbox shows. So a file the walk found is shown
 * - from inside the package, where the loader opens it (its path and the
 *   file itself in the package): by no bind of its own; the package is
 *   bound whole through the descriptor of the directory fern checked
 *   (sandbox_package.c), and the loader finds the file there;
 * - from outside it: bound only if host->open_trusted accepts the path (no
 *   one but root and fern's user can change the file or any directory
 *   above it: fern's rule for its plugins) and opens the very file the
 *   walk read; bound by the real path that check resolved, which from then
 *   on only root and fern's user could change. A file others can change is
 *   refused, naming it and them.
 * A descriptor per file (--ro-bind-fd) would need no trust, but a spawn
 * hands a wrapper only a few (ELF_WRAPPER_FDS), and a program loads
 * dozens of libraries. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox_libs.h"

int sandbox_fd_path(int fd, char *out) {
  char self[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(self, out, PATH_MAX - 1);
  if (n <= 0)
    return -1;
  out[n] = '\0';
  return 0;
}

int sandbox_path_within(const char *path, const char *dir) {
  size_t n = strlen(dir);
  if (strcmp(dir, "/") == 0)
    return path[0] == '/';
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* `path` (absolute) with "." and ".." taken as text, into `out` (PATH_MAX
 * bytes): where it leads when no directory on it is a symlink. */
static void lexical(const char *path, char *out) {
  size_t len = 0;
  while (*path != '\0') {
    size_t n = strcspn(path, "/");
    if (n == 2 && strncmp(path, "..", 2) == 0) {
      while (len > 0 && out[--len] != '/')
        ;
    } else if (n > 0 && !(n == 1 && path[0] == '.') && len + n + 1 < PATH_MAX) {
      out[len++] = '/';
      memcpy(out + len, path, n);
      len += n;
    }
    path += n + (path[n] == '/');
  }
  if (len == 0)
    out[len++] = '/';
  out[len] = '\0';
}

/* Adds the (where, real) pair unless `where` is bound already. */
static int add_bind(lib_walk *w, const char *where, const char *real) {
  for (size_t i = 0; i < w->bind_count; i += 2)
    if (strcmp(w->binds[i], where) == 0)
      return FERN_OK;
  if (w->bind_count >= 2 * SANDBOX_OBJECTS_MAX)
    return fern_error_set(w->err, FERN_ENOEXEC, "/binary",
                          "%s loads more than %d files", w->program->path,
                          SANDBOX_OBJECTS_MAX);
  char **grown = realloc(w->binds, (w->bind_count + 3) * sizeof *grown);
  if (grown == NULL)
    return fern_error_set(w->err, FERN_ENOMEM, NULL, "out of memory");
  w->binds = grown;
  grown[w->bind_count] = strdup(where);
  grown[w->bind_count + 1] = strdup(real);
  grown[w->bind_count + 2] = NULL;
  if (grown[w->bind_count] == NULL || grown[w->bind_count + 1] == NULL) {
    free(grown[w->bind_count]);
    free(grown[w->bind_count + 1]);
    grown[w->bind_count] = NULL;
    return fern_error_set(w->err, FERN_ENOMEM, NULL, "out of memory");
  }
  w->bind_count += 2;
  return FERN_OK;
}

int lib_bind_trusted(lib_walk *w, const char *where, int trusted) {
  char real[PATH_MAX];
  if (sandbox_fd_path(trusted, real) != 0)
    return fern_error_set(w->err, FERN_EIO, "/binary",
                          "cannot tell where %s is", where);
  return add_bind(w, where, real);
}

static int same_file(int a, int b) {
  struct stat sa, sb;
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

/* A file the package shows: where the loader opens it lies in the package
 * as text, and the file read lies in it in fact. Where it leads outside
 * the package by a link of the package's, the sandbox shows nothing there
 * (a package reaches nothing outside itself), so the walk stops. */
static int in_package(lib_walk *w, const char *where, int fd, int *inside) {
  char text[PATH_MAX], real[PATH_MAX];
  const char *package = w->program->package;
  lexical(where, text);
  *inside = sandbox_path_within(text, package);
  if (!*inside)
    return FERN_OK;
  if (sandbox_fd_path(fd, real) != 0)
    return fern_error_set(w->err, FERN_EIO, "/binary",
                          "cannot tell where %s is", where);
  if (!sandbox_path_within(real, package))
    return fern_error_set(w->err, FERN_EACCES, "/binary",
                          "%s loads %s, which leads outside its package %s "
                          "(through a symlink, to %s): the sandbox shows "
                          "nothing of the host there; put the file itself "
                          "in the package",
                          w->program->path, where, package, real);
  return FERN_OK;
}

int lib_bind(lib_walk *w, const char *where, int fd) {
  int inside, rc = in_package(w, where, fd, &inside);
  if (rc != FERN_OK || inside)
    return rc;
  fern_error_t why = FERN_ERROR_INIT;
  int trusted = w->program->host->open_trusted(w->program->host->ctx, where, &why);
  if (trusted < 0)
    return fern_error_set(w->err, trusted, "/binary",
                          "%s loads %s, outside its package, and the sandbox "
                          "binds a file from outside only if no one but root "
                          "and this user can change it: %s",
                          w->program->path, where, why.message);
  rc = same_file(trusted, fd)
           ? lib_bind_trusted(w, where, trusted)
           : fern_error_set(w->err, FERN_EACCES, "/binary",
                            "%s loads %s, which was replaced while it was "
                            "checked",
                            w->program->path, where);
  close(trusted);
  return rc;
}

int lib_bind_if_trusted(lib_walk *w, const char *where) {
  fern_error_t why = FERN_ERROR_INIT;
  int trusted = w->program->host->open_trusted(w->program->host->ctx, where, &why);
  if (trusted < 0)
    return FERN_OK;
  int rc = lib_bind_trusted(w, where, trusted);
  close(trusted);
  return rc;
}
