/* capstan_repo.c - see capstan_repo.h. */
#include "capstan_repo.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/proc/tree_remove.h"
#include "capstan_work.h"

extern char **environ;

int capstan_work_dir(const capstan_search *search, char *out, size_t size,
                     fern_error_t *err) {
  capstan_work *w = search->work;
  if (w == NULL)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "the capstan resolver has no work directory");
  pthread_mutex_lock(&w->lock);
  if (w->dir[0] == '\0') {
    int saved;
    const char *tmp = getenv("TMPDIR");
    snprintf(w->dir, sizeof w->dir, "%s/fern-capstan-XXXXXX",
             tmp && tmp[0] == '/' ? tmp : "/tmp");
    if (mkdtemp(w->dir) == NULL) {
      saved = errno;
      w->dir[0] = '\0';
      pthread_mutex_unlock(&w->lock);
      return fern_error_set(err, FERN_EIO, NULL,
                            "cannot make the capstan resolver's work "
                            "directory: %s",
                            strerror(saved));
    }
  }
  snprintf(out, size, "%s", w->dir);
  pthread_mutex_unlock(&w->lock);
  return FERN_OK;
}

/* What tar said, its last line, into `out`: read to the end before the
 * wait, so that tar never blocks on a full pipe. */
static void tar_said(int fd, char *out, size_t size) {
  char buf[4096], line[512];
  size_t used = 0;
  ssize_t n;
  out[0] = '\0';
  while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] != '\n' && used + 1 < sizeof line)
        line[used++] = buf[i];
      if (buf[i] == '\n' && used > 0) {
        snprintf(out, size, "%.*s", (int)used, line);
        used = 0;
      }
    }
  if (used > 0)
    snprintf(out, size, "%.*s", (int)used, line);
}

/* Runs `tar -xf ARCHIVE -C DIR`: GNU tar reads gzip'd and plain tars
 * alike (Capstan's GetPackageTarReader takes both), strips the leading
 * '/' of Capstan's member names and refuses a member with "..". */
static int untar(const char *archive, const char *dir, fern_error_t *err) {
  char *argv[] = {"tar", "--no-same-owner", "-xf", (char *)archive, "-C",
                  (char *)dir, NULL};
  int said[2];
  if (pipe2(said, O_CLOEXEC) != 0)
    return fern_error_set(err, FERN_EIO, NULL, "pipe: %s", strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, said[1], 2);
  pid_t pid;
  int rc = posix_spawnp(&pid, "tar", &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(said[1]);
  char last[512];
  if (rc == 0)
    tar_said(said[0], last, sizeof last);
  close(said[0]);
  if (rc != 0)
    return fern_error_set(err, FERN_EIO, NULL,
                          "cannot run tar to unpack %s: %s", archive,
                          strerror(rc));
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return fern_error_set(err, FERN_EIO, NULL, "tar: %s", strerror(errno));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s is not a package archive tar can unpack (%s)",
                          archive, last[0] ? last : "tar failed");
  return FERN_OK;
}

/* Unpacks archive `mpm` once: into a fresh directory, renamed into place
 * when whole, so that two resolutions at once never see half of one. */
static int unpack_once(const capstan_search *search, const char *mpm,
                       const char *name, const struct stat *st, char *out,
                       size_t size, fern_error_t *err) {
  char work[PATH_MAX], fresh[PATH_MAX + 32];
  int rc = capstan_work_dir(search, work, sizeof work, err);
  if (rc != FERN_OK)
    return rc;
  snprintf(out, size, "%s/%s@%lx.%lx.%lx.%lx", work, name,
           (unsigned long)st->st_dev, (unsigned long)st->st_ino,
           (unsigned long)st->st_mtime, (unsigned long)st->st_size);
  if (access(out, F_OK) == 0)
    return FERN_OK;
  snprintf(fresh, sizeof fresh, "%s/unpack-XXXXXX", work);
  if (mkdtemp(fresh) == NULL)
    return fern_error_set(err, FERN_EIO, NULL, "%s: %s", fresh,
                          strerror(errno));
  rc = untar(mpm, fresh, err);
  if (rc == FERN_OK && rename(fresh, out) != 0 && errno != ENOTEMPTY &&
      errno != EEXIST)
    rc = fern_error_set(err, FERN_EIO, NULL, "%s: %s", out, strerror(errno));
  tree_remove(fresh); /* what is left when another won */
  return rc;
}

/* REPO/packages/NAME.mpm, unpacked; FERN_ENOENT if REPO has none. */
static int find_archive(const capstan_search *search, const char *repo,
                        const char *name, char *out, size_t size,
                        fern_error_t *err) {
  char mpm[PATH_MAX];
  struct stat st;
  snprintf(mpm, sizeof mpm, "%s/packages/%s.mpm", repo, name);
  if (stat(mpm, &st) != 0 || !S_ISREG(st.st_mode))
    return FERN_ENOENT;
  return unpack_once(search, mpm, name, &st, out, size, err);
}

/* REPO/NAME, a directory, by its real path; FERN_ENOENT if there is
 * none. A link that leads out of REPO is refused, as the host refuses
 * any path of a package that does (host->package_path). */
static int find_unpacked(const capstan_search *search, const char *repo,
                         const char *name, char *out, size_t size,
                         fern_error_t *err) {
  struct stat st;
  fern_error_t why = FERN_ERROR_INIT;
  int rc = search->host->package_path(search->host->ctx, repo, name, out,
                                      size, &why);
  if (rc == FERN_ENOENT || (rc == FERN_OK && (stat(out, &st) != 0 ||
                                              !S_ISDIR(st.st_mode))))
    return FERN_ENOENT;
  return rc == FERN_OK ? FERN_OK
                       : fern_error_set(err, rc, NULL, "package \"%s\": %s",
                                        name, why.message);
}

/* $CAPSTAN_ROOT, else ~/.capstan (Capstan's util.ConfigDir). */
static void capstan_root(char *out, size_t size) {
  const char *root = getenv("CAPSTAN_ROOT"), *home = getenv("HOME");
  if (root != NULL && root[0] == '/')
    snprintf(out, size, "%s", root);
  else if (home != NULL && home[0] == '/')
    snprintf(out, size, "%s/.capstan", home);
  else
    out[0] = '\0';
}

static int find_in(const capstan_search *search, const char *repo,
                   const char *name, char *out, size_t size,
                   fern_error_t *err) {
  int rc = find_unpacked(search, repo, name, out, size, err);
  if (rc == FERN_ENOENT && search->work != NULL)
    rc = find_archive(search, repo, name, out, size, err);
  return rc;
}

int capstan_repo_find(const capstan_search *search, const char *from,
                      const char *name, char *out, size_t size,
                      fern_error_t *err) {
  if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "\"%s\" is not a package name", name);
  int rc = FERN_ENOENT;
  if (from != NULL) {
    char beside[PATH_MAX];
    snprintf(beside, sizeof beside, "%s", from);
    rc = find_unpacked(search, dirname(beside), name, out, size, err);
  }
  const char *const *repos = search->repositories;
  for (size_t i = 0; rc == FERN_ENOENT && repos != NULL && repos[i] != NULL;
       i++)
    rc = find_in(search, repos[i], name, out, size, err);
  char root[PATH_MAX];
  capstan_root(root, sizeof root);
  if (rc == FERN_ENOENT && root[0] != '\0')
    rc = find_in(search, root, name, out, size, err);
  return rc;
}

capstan_work *capstan_work_new(void) {
  capstan_work *w = calloc(1, sizeof *w);
  if (w == NULL)
    return NULL;
  if (pthread_mutex_init(&w->lock, NULL) != 0 ||
      (w->images = json_object()) == NULL) {
    free(w);
    return NULL;
  }
  return w;
}

void capstan_work_free(capstan_work *work) {
  if (work == NULL)
    return;
  if (work->dir[0] != '\0')
    tree_remove(work->dir);
  json_decref(work->images);
  pthread_mutex_destroy(&work->lock);
  free(work);
}
