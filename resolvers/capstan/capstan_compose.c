/* capstan_compose.c - see capstan_compose.h. */
#include "capstan_compose.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/proc/in_root.h"
#include "../../core/proc/tree_remove.h"
#include "capstan_ignore.h"
#include "capstan_repo.h"
#include "capstan_work.h"

#define BOOTSTRAP "osv.bootstrap"
/* copy_entry's own errno for a file Capstan refuses to compose. */
#define EFTYPE_CAPSTAN (-2)

/* The packages composed, in order: {"name", "dir"} each, and the
 * directories alone. */
typedef struct layers_s {
  json_t *names;
  json_t *dirs;
} layers;

static int add_required(const capstan_search *search, capstan_package *pkg,
                        int depth, layers *out, fern_error_t *err);

/* One entry of `require`, after what it requires itself. */
static int add_one(const capstan_search *search, capstan_package *pkg,
                   const char *name, int depth, layers *out,
                   fern_error_t *err) {
  char dir[PATH_MAX];
  int rc = capstan_repo_find(search, pkg->dir, name, dir, sizeof dir, err);
  if (rc == FERN_ENOENT && strcmp(name, BOOTSTRAP) == 0)
    return FERN_OK; /* fern stands in for OSv's own files */
  const char *runtime = depth == 0 && pkg->runtime != NULL
                            ? capstan_runtime_dependency(pkg->runtime)
                            : NULL;
  int by_runtime = runtime != NULL && strcmp(runtime, name) == 0;
  if (rc == FERN_ENOENT) /* Capstan's words (GetPackageDependencies) */
    return fern_error_set(err, rc, NULL,
                          "%s: package %s%s%s%s requires %s: Package %s "
                          "does not exist in your local repository. Pull it "
                          "manually using 'capstan package pull %s' (fern "
                          "looked beside the package and in the "
                          "repositories)",
                          pkg->package_yaml, pkg->name,
                          by_runtime ? " (runtime " : "",
                          by_runtime ? capstan_runtime_name(pkg->runtime) : "",
                          by_runtime ? ")" : "", name, name, name);
  if (rc != FERN_OK)
    return rc;
  capstan_package required;
  rc = capstan_package_open_info(search->host, dir, &required, err);
  if (rc == FERN_OK && strcmp(required.name, name) != 0)
    rc = fern_error_set(err, FERN_EINVAL, NULL,
                        "%s holds package \"%s\", not \"%s\"", dir,
                        required.name, name);
  if (rc == FERN_OK)
    rc = add_required(search, &required, depth + 1, out, err);
  if (rc == FERN_OK) {
    json_array_append_new(out->names, json_pack("{s:s,s:s}", "name", name,
                                                "dir", dir));
    json_array_append_new(out->dirs, json_string(dir));
  }
  if (required.dir != NULL)
    capstan_package_close(&required);
  return rc;
}

static int add_required(const capstan_search *search, capstan_package *pkg,
                        int depth, layers *out, fern_error_t *err) {
  if (depth > CAPSTAN_REQUIRE_DEPTH_MAX)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s: require nests deeper than %d packages (do "
                          "they require each other?)",
                          pkg->package_yaml, CAPSTAN_REQUIRE_DEPTH_MAX);
  size_t i;
  json_t *name;
  int rc = FERN_OK;
  json_array_foreach(pkg->require, i, name) {
    rc = add_one(search, pkg, json_string_value(name), depth, out, err);
    if (rc != FERN_OK)
      break;
  }
  return rc;
}

/* The copy under way (nftw passes no argument): one per thread. */
static __thread const char *copy_from, *copy_to;
static __thread int copy_errno;
static __thread char copy_failed[PATH_MAX];

static __thread const capstan_ignore *copy_ignore;

/* What is not copied: any package's meta/, and what the package's own
 * .capstanignore (with Capstan's own patterns) ignores. */
static int skipped(const char *rel) {
  if (strcmp(rel, "meta") == 0)
    return 1;
  char path[PATH_MAX + 2];
  snprintf(path, sizeof path, "/%s", rel);
  return copy_ignore != NULL && capstan_ignore_match(copy_ignore, path);
}

/* Copies what is left of `in` to `out`: copy_file_range, and where the
 * kernel will not between these file systems (EXDEV and kin), read and
 * write. */
static int copy_data(int in, int out) {
  ssize_t n;
  while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
    ;
  if (n == 0)
    return 0;
  if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP &&
      errno != ENOSYS)
    return -1;
  char buf[65536];
  while ((n = read(in, buf, sizeof buf)) > 0)
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf + done, (size_t)(n - done));
      if (w < 0)
        return -1;
      done += w;
    }
  return n == 0 ? 0 : -1;
}

int capstan_copy_file(const char *from, const char *to, mode_t mode) {
  /* Files are fern's in the image: no set-user or set-group bit of the
   * package's survives into them. */
  mode &= 01777;
  int in = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  int out = in < 0 ? -1
                   : open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
                                  O_NOFOLLOW,
                          mode);
  int rc = out < 0 ? -1 : copy_data(in, out);
  if (rc == 0 && fchmod(out, mode) != 0)
    rc = -1;
  int saved = errno;
  if (in >= 0)
    close(in);
  if (out >= 0 && close(out) != 0)
    rc = -1;
  errno = saved;
  return rc;
}

static int copy_entry(const char *path, const struct stat *st, int type,
                      struct FTW *ftw) {
  (void)ftw;
  const char *rel = path + strlen(copy_from);
  while (*rel == '/')
    rel++;
  if (*rel == '\0')
    return FTW_CONTINUE;
  if (skipped(rel))
    return type == FTW_D ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
  if (type == FTW_NS || type == FTW_DNR) {
    copy_errno = type == FTW_NS ? errno : EACCES;
    snprintf(copy_failed, sizeof copy_failed, "%s", path);
    return FTW_STOP;
  }
  char to[PATH_MAX * 2];
  snprintf(to, sizeof to, "%s/%s", copy_to, rel);
  struct stat there;
  int exists = lstat(to, &there) == 0;
  int rc = 0;
  if (type == FTW_D) {
    if (exists && !S_ISDIR(there.st_mode))
      unlink(to);
    rc = exists && S_ISDIR(there.st_mode) ? 0 : mkdir(to, st->st_mode & 07777);
  } else {
    if (exists && S_ISDIR(there.st_mode))
      tree_remove(to);
    else if (exists)
      unlink(to);
    char link[PATH_MAX];
    ssize_t n;
    if (type == FTW_SL) {
      n = readlink(path, link, sizeof link - 1);
      rc = n < 0 ? -1 : (link[n] = '\0', symlink(link, to));
    } else if (S_ISREG(st->st_mode)) {
      rc = capstan_copy_file(path, to, st->st_mode);
    } else {
      errno = EFTYPE_CAPSTAN; /* Capstan: "File %s has unsupported mode" */
      rc = -1;
    }
  }
  if (rc != 0) {
    copy_errno = errno;
    snprintf(copy_failed, sizeof copy_failed, "%s", path);
    return FTW_STOP;
  }
  return FTW_CONTINUE;
}

static int copy_layer(const char *from, const char *to,
                      const capstan_ignore *ignore, fern_error_t *err) {
  copy_from = from;
  copy_to = to;
  copy_ignore = ignore;
  copy_errno = 0;
  int rc = nftw(from, copy_entry, 32, FTW_PHYS | FTW_ACTIONRETVAL);
  if (rc == 0)
    return FERN_OK;
  return fern_error_set(err, FERN_EIO, NULL,
                        "composing the image: cannot copy %s: %s",
                        copy_errno ? copy_failed : from,
                        copy_errno == EFTYPE_CAPSTAN
                            ? "a file of a mode Capstan does not compose (a "
                              "device, FIFO or socket)"
                            : strerror(copy_errno ? copy_errno : errno));
}

/* Copies every layer, in order, into a fresh directory. */
static int compose_into(const fern_host_t *host, const char *work,
                        const json_t *dirs, char *image, size_t size,
                        fern_error_t *err) {
  int rc;
  snprintf(image, size, "%s/image-XXXXXX", work);
  if (mkdtemp(image) == NULL)
    return fern_error_set(err, FERN_EIO, NULL, "%s: %s", image,
                          strerror(errno));
  chmod(image, 0755);
  if ((rc = capstan_osv_base_write(image, err)) != FERN_OK) {
    tree_remove(image);
    return rc;
  }
  size_t i, last = json_array_size(dirs) - 1;
  json_t *dir;
  capstan_ignore ignore; /* emptied by a failed load */
  rc = capstan_ignore_load(host,
                           json_string_value(json_array_get(dirs, last)),
                           &ignore, err);
  json_array_foreach(dirs, i, dir) {
    if (rc == FERN_OK)
      rc = copy_layer(json_string_value(dir), image,
                      i == last ? &ignore : NULL, err);
  }
  capstan_ignore_free(&ignore);
  if (rc != FERN_OK)
    tree_remove(image);
  return rc;
}

/* The image of `dirs`, composed once per resolver. */
static int image_of(const capstan_search *search, const json_t *dirs,
                    char **out, fern_error_t *err) {
  char key[PATH_MAX * 4] = "", image[PATH_MAX];
  size_t used = 0, i;
  json_t *dir;
  json_array_foreach(dirs, i, dir) used += (size_t)snprintf(
      key + used, used < sizeof key ? sizeof key - used : 0, "%s\n",
      json_string_value(dir));
  char work[PATH_MAX];
  int rc = capstan_work_dir(search, work, sizeof work, err);
  if (rc != FERN_OK)
    return rc;
  capstan_work *w = search->work;
  pthread_mutex_lock(&w->lock);
  const char *known = json_string_value(json_object_get(w->images, key));
  rc = known ? (snprintf(image, sizeof image, "%s", known), FERN_OK)
             : compose_into(search->host, work, dirs, image, sizeof image,
                            err);
  if (rc == FERN_OK && known == NULL)
    json_object_set_new(w->images, key, json_string(image));
  pthread_mutex_unlock(&w->lock);
  if (rc == FERN_OK && (*out = strdup(image)) == NULL)
    rc = fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  return rc;
}

/* A path `rel` inside the image, resolved as the image sees it (an
 * absolute symlink leads to the image's own file): its real path there,
 * relative, into `out`. -1 if it leads nowhere. */
static int real_in_image(int root, const char *image, const char *rel,
                         char *out, size_t size) {
  int fd = in_root_open(root, rel, O_PATH | O_CLOEXEC, 0);
  char link[64], real[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = fd >= 0 ? readlink(link, real, sizeof real - 1) : -1;
  if (fd >= 0)
    close(fd);
  size_t len = strlen(image);
  if (n <= (ssize_t)len || strncmp(real, image, len) != 0 || real[len] != '/')
    return -1;
  real[n] = '\0';
  snprintf(out, size, "%s", real + len + 1);
  return 0;
}

int capstan_image_program(const char *image, const char *word, char *out,
                          size_t size) {
  while (*word == '/')
    word++;
  snprintf(out, size, "%s", word);
  char real_image[PATH_MAX], rel[PATH_MAX];
  int root = realpath(image, real_image) != NULL
                 ? open(real_image, O_PATH | O_DIRECTORY | O_CLOEXEC)
                 : -1;
  if (root < 0)
    return -1;
  int rc = real_in_image(root, real_image, word, out, size);
  if (rc != 0 && strchr(word, '/') == NULL) {
    snprintf(rel, sizeof rel, "usr/lib/%s", word);
    rc = real_in_image(root, real_image, rel, out, size);
  }
  close(root);
  if (rc != 0)
    snprintf(out, size, "%s", word);
  return rc;
}

int capstan_compose(const capstan_search *search, capstan_package *pkg,
                    capstan_image *out, fern_error_t *err) {
  memset(out, 0, sizeof *out);
  layers l = {json_array(), json_array()};
  int rc = l.names && l.dirs ? FERN_OK
                             : fern_error_set(err, FERN_ENOMEM, NULL,
                                              "out of memory");
  if (rc == FERN_OK)
    rc = add_one(search, pkg, BOOTSTRAP, 0, &l, err);
  /* A runtime's package comes before the package's own requires
   * (CollectPackage prepends GetDependencies). */
  const char *runtime = pkg->runtime ? capstan_runtime_dependency(pkg->runtime)
                                     : NULL;
  if (rc == FERN_OK && runtime != NULL)
    rc = add_one(search, pkg, runtime, 0, &l, err);
  if (rc == FERN_OK)
    rc = add_required(search, pkg, 0, &l, err);
  if (rc == FERN_OK)
    json_array_append_new(l.dirs, json_string(pkg->dir));
  if (rc == FERN_OK)
    rc = image_of(search, l.dirs, &out->dir, err);
  json_decref(l.dirs);
  if (rc == FERN_OK)
    out->required = l.names;
  else
    json_decref(l.names);
  return rc;
}

void capstan_image_free(capstan_image *image) {
  free(image->dir);
  json_decref(image->required);
  memset(image, 0, sizeof *image);
}
