/* slurm_shared.c - what a Slurm job may be given of what its component
 * uses: a directory or a storage on a file system every node mounts at the
 * same path, which the runner's config names ("shared_paths"). The job
 * finds each at its path under FERN_NAMESPACE, a directory the runner makes
 * on the first shared path (".fern-ns/JOB"), of symlinks to what fern
 * checked; it goes when the run ends. A protocol's socket is on this
 * machine only, and anything else off the shared file systems too: such a
 * component is refused, naming it. Its structured configuration goes
 * there too, as the file FERN_CONFIG names (".fern-ns/JOB.config.json"),
 * written from the start info and removed with the namespace. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/runner_common.h"
#include "slurm.h"

static const char *kind_name(fern_capability_kind kind) {
  return kind == FERN_CAPABILITY_PROTOCOL    ? "protocol"
         : kind == FERN_CAPABILITY_DIRECTORY ? "directory"
                                             : "storage";
}

/* Whether `path` is one of the shared paths or below one. */
static int is_shared(const slurm_runner *r, const char *path) {
  for (size_t i = 0; path != NULL && i < r->shared_count; i++) {
    size_t n = strlen(r->shared[i]);
    if (strncmp(path, r->shared[i], n) == 0 &&
        (path[n] == '\0' || path[n] == '/'))
      return 1;
  }
  return 0;
}

int slurm_shared_check(const slurm_runner *r, const fern_start_info_t *info,
                       fern_error_t *err) {
  if (runner_config_path(info) != NULL && r->shared_count == 0)
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "the slurm runner cannot hand a job its structured "
                          "configuration: it writes it on a file system "
                          "every node mounts, and the runner's "
                          "\"shared_paths\" names none");
  for (size_t i = 0; i < info->use_count; i++) {
    const fern_used_capability_t *use = &info->uses[i];
    if (use->kind != FERN_CAPABILITY_PROTOCOL && is_shared(r, use->host_path))
      continue;
    return fern_error_set(
        err, FERN_ENOTSUP, NULL,
        "the slurm runner cannot give a component what it uses (%s \"%s\"): "
        "its programs run on other machines, where fern's sockets and the "
        "packages' directories are not%s",
        kind_name(use->kind), use->name,
        use->kind == FERN_CAPABILITY_PROTOCOL
            ? ""
            : " (unless on a file system the runner's \"shared_paths\" "
              "names)");
  }
  return FERN_OK;
}

/* mkdir -p of `path`'s own directories, from the shared path down. */
static int make_dirs(char *path) {
  for (char *slash = strchr(path + 1, '/'); slash != NULL;
       slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    int rc = mkdir(path, 0755);
    *slash = '/';
    if (rc != 0 && errno != EEXIST)
      return -1;
  }
  return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* The configuration as a file on the first shared path. */
static int write_config(slurm_run *run, const fern_start_info_t *info,
                        fern_error_t *err) {
  const slurm_runner *r = run->runner;
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s/.fern-ns", r->shared[0]);
  snprintf(run->config_path, sizeof run->config_path, "%s/%s.config.json",
           dir, run->name);
  char *text = json_dumps(info->config, JSON_COMPACT | JSON_SORT_KEYS);
  FILE *f = NULL;
  int ok = text != NULL && make_dirs(dir) == 0 &&
           (f = fopen(run->config_path, "we")) != NULL &&
           fputs(text, f) >= 0 && fputc('\n', f) != EOF;
  if (f != NULL && fclose(f) != 0)
    ok = 0;
  free(text);
  if (!ok)
    return fern_error_set(err, FERN_EIO, NULL, "cannot write %s: %s",
                          run->config_path, strerror(errno));
  return FERN_OK;
}

int slurm_shared_namespace(slurm_run *run, const fern_start_info_t *info,
                           fern_error_t *err) {
  const slurm_runner *r = run->runner;
  if (runner_config_path(info) != NULL && info->config != NULL &&
      write_config(run, info, err) != FERN_OK)
    return FERN_EIO;
  if (info->use_count == 0)
    return FERN_OK;
  snprintf(run->namespace_dir, sizeof run->namespace_dir, "%s/.fern-ns/%s",
           r->shared[0], run->name);
  if (make_dirs(run->namespace_dir) != 0)
    return fern_error_set(err, FERN_EIO, NULL, "cannot make %s: %s",
                          run->namespace_dir, strerror(errno));
  for (size_t i = 0; i < info->use_count; i++) {
    char link[PATH_MAX * 2];
    snprintf(link, sizeof link, "%s%s", run->namespace_dir,
             info->uses[i].path);
    char *slash = strrchr(link, '/');
    *slash = '\0';
    int made = make_dirs(link);
    *slash = '/';
    if (made != 0 || symlink(info->uses[i].host_path, link) != 0)
      return fern_error_set(err, FERN_EIO, NULL, "cannot place %s in %s: %s",
                            info->uses[i].path, run->namespace_dir,
                            strerror(errno));
  }
  return FERN_OK;
}

/* rm -r below `dir_fd` of `name`: symlinks and the directories the
 * runner made for them, through descriptors (no symlink followed). */
static void remove_at(int dir_fd, const char *name) {
  int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    unlinkat(dir_fd, name, 0);
    return;
  }
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    close(fd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(dir)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      remove_at(dirfd(dir), e->d_name);
  closedir(dir);
  unlinkat(dir_fd, name, AT_REMOVEDIR);
}

void slurm_shared_cleanup(slurm_run *run) {
  if (run->config_path[0] != '\0')
    unlink(run->config_path);
  run->config_path[0] = '\0';
  if (run->namespace_dir[0] == '\0')
    return;
  remove_at(AT_FDCWD, run->namespace_dir);
  run->namespace_dir[0] = '\0';
}
