/* storage.c - see storage.h. The layout is Fuchsia's (src/sys/lib/routing,
 * generate_moniker_based_storage_path): in the backing directory (and the
 * storage's "subdir"), a component keyed by moniker is at
 * "b:0/children/c:0/data" for /a/b/c below /a that declares the storage
 * (":0" kept for compatibility, as there), one with an instance id in
 * the component id index at "<instance id>". */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "serve.h"
#include "storage.h"

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw);

/* "b:0/children/c:0/data": the moniker of `user` below `at`'s. */
static int moniker_key(const fern__instance *user, const fern__instance *at,
                       char *out, size_t size) {
  /* The root's moniker is "" (or "/"): every other begins below it. */
  size_t base = strcmp(at->moniker, "/") == 0 ? 0 : strlen(at->moniker);
  size_t used = 0;
  if (strncmp(user->moniker, at->moniker, base) != 0 ||
      user->moniker[base] != '/')
    return -1;
  for (const char *part = user->moniker + base + 1; part != NULL;) {
    size_t n = strcspn(part, "/");
    int w = snprintf(out + used, size - used, "%s%.*s:0",
                     used ? "/children/" : "", (int)n, part);
    if (w < 0 || (size_t)w >= size - used)
      return -1;
    used += (size_t)w;
    part = part[n] == '/' ? part + n + 1 : NULL;
  }
  int w = snprintf(out + used, size - used, "/data");
  return w < 0 || (size_t)w >= size - used ? -1 : 0;
}

/* Where `user`'s directory is below the backing directory. */
static int storage_key(const fern__instance *user, const fern__route_decl *use,
                       const fern__route_end *end, char *out, size_t size,
                       fern_error_t *err) {
  const fern__provided_decl *st = end->storage;
  const char *id =
      fern__config_instance_id(user->manager->config, user->moniker);
  int used = st->storage_subdir != NULL
                 ? snprintf(out, size, "%s/", st->storage_subdir)
                 : 0;
  if (id != NULL) {
    snprintf(out + used, size - (size_t)used, "%s", id);
    return FERN_OK;
  }
  if (st->storage_id == FERN_STORAGE_ID_ONLY)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "%s uses storage \"%s\", which %s keys by instance "
                          "id only (storage_id \"static_instance_id\"), and "
                          "the component id index has none for it",
                          user->moniker, use->name,
                          end->storage_at->moniker[0]
                              ? end->storage_at->moniker
                              : "/");
  if (moniker_key(user, end->storage_at, out + used, size - (size_t)used) != 0)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s uses storage \"%s\": its moniker is too long "
                          "for a path",
                          user->moniker, use->name);
  return FERN_OK;
}

int fern__storage_path(const fern__instance *user, const fern__route_decl *use,
                       const fern__route_end *end, char *backing, size_t size,
                       char *key, size_t key_size, fern_error_t *err) {
  int rc = storage_key(user, use, end, key, key_size, err);
  int fd = rc == FERN_OK
               ? fern__route_end_open(user, use, end, backing, size, err)
               : rc;
  if (fd < 0)
    return fd;
  close(fd);
  return FERN_OK;
}

int fern__storage_dir(const fern__instance *user, const fern__route_decl *use,
                      const fern__route_end *end, int make, char *out,
                      size_t size, fern_error_t *err) {
  char backing[PATH_MAX], key[PATH_MAX];
  int rc = storage_key(user, use, end, key, sizeof key, err);
  int fd = rc == FERN_OK
               ? fern__route_end_open(user, use, end, backing, sizeof backing,
                                      err)
               : rc;
  /* Part by part from the checked backing directory, never through a
   * symlink: a component writes only inside its own "data". */
  for (char *part = key; fd >= 0 && part != NULL;) {
    char *slash = strchr(part, '/');
    if (slash != NULL)
      *slash = '\0';
    if (make && mkdirat(fd, part, 0700) != 0 && errno != EEXIST) {
      close(fd);
      return fern_error_set(err, FERN_EIO, NULL,
                            "%s uses storage \"%s\": cannot make %s in %s: %s",
                            user->moniker, use->name, part, backing,
                            strerror(errno));
    }
    int next = openat(fd, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    close(fd);
    fd = next;
    if (slash != NULL)
      *slash = '/';
    if (fd < 0)
      return fern_error_set(err, saved == ENOENT ? FERN_ENOENT : FERN_EIO,
                            NULL, "%s uses storage \"%s\": %s/%s: %s",
                            user->moniker, use->name, backing, key,
                            strerror(saved));
    part = slash != NULL ? slash + 1 : NULL;
  }
  if (fd >= 0 && snprintf(out, size, "%s/%s", backing, key) >= (int)size) {
    close(fd);
    return fern_error_set(err, FERN_EINVAL, NULL, "%s/%s: path too long",
                          backing, key);
  }
  return fd;
}

void fern__storage_owned_dir(char *path) {
  size_t len = strlen(path);
  if (len > 7 && strcmp(path + len - 7, ":0/data") == 0)
    path[len - 5] = '\0';
}

int fern__storage_remove(const char *path) {
  return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

/* Each storage `instance` uses, deleted. */
static void forget_one(fern__instance *instance, void *arg) {
  (void)arg;
  const fern__decl *decl =
      instance->resolution != NULL && instance->resolution->rc == FERN_OK
          ? instance->resolution->decl
          : NULL;
  for (size_t u = 0; decl != NULL && u < decl->use_count; u++) {
    const fern__route_decl *use = &decl->uses[u];
    fern__route_end end;
    fern_error_t err = FERN_ERROR_INIT;
    char path[PATH_MAX];
    if (use->kind != FERN_ROUTE_STORAGE ||
        fern__route_follow_to(instance, use, &end, &err) != FERN_OK)
      continue;
    int fd = fern__storage_dir(instance, use, &end, 0, path, sizeof path,
                               &err);
    if (fd < 0)
      continue; /* never made, or not there any more */
    close(fd);
    fern__storage_owned_dir(path);
    if (fern__storage_remove(path) != 0)
      fern__log(FERN_LOG_WARN, instance->moniker,
                "cannot delete its storage \"%s\" at %s: %s", use->name, path,
                strerror(errno));
    else
      fern__log(FERN_LOG_INFO, instance->moniker,
                "destroyed: its storage \"%s\" at %s is deleted", use->name,
                path);
  }
}

void fern__storage_forget(const fern__instance *instance) {
  /* fern ending is no destruction: what it leaves is there next time. */
  if (instance->manager->shutting_down)
    return;
  fern__instance_walk((fern__instance *)instance, forget_one, NULL);
}
