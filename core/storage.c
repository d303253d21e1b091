/* storage.c - see storage.h. The layout is Fuchsia's (src/sys/lib/routing,
 * generate_moniker_based_storage_path): in the backing directory (and the
 * storage's "subdir"), a component keyed by moniker is at
 * "b:0/children/c:0/data" for /a/b/c below /a that declares the storage
 * (":0" kept for compatibility, as there), one with an instance id in
 * the component id index at "<instance id>". Unlike there, two storage
 * declarations may not keep their users in one root: their users'
 * directories would be the same ones. Everything below a backing
 * directory is reached through descriptors, never through a symlink. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "serve.h"
#include "storage.h"

/* "b:0/children/c:0": the moniker of `user` below `at`'s. */
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
  return 0;
}

static const char *shown(const fern__instance *i) {
  return i->moniker[0] != '\0' ? i->moniker : "/";
}

/* The key below the backing directory, and how much of it is the
 * component's own directory. */
static int storage_key(const fern__instance *user, const fern__route_decl *use,
                       const fern__route_end *end, fern__storage_place *p,
                       fern_error_t *err) {
  const fern__provided_decl *st = end->storage;
  const char *id =
      fern__config_instance_id(user->manager->config, user->moniker);
  size_t size = sizeof p->key;
  int used = st->storage_subdir != NULL
                 ? snprintf(p->key, size, "%s/", st->storage_subdir)
                 : 0;
  p->key[used] = '\0';
  if (id != NULL) {
    snprintf(p->key + used, size - (size_t)used, "%s", id);
    p->own_len = strlen(p->key);
    return FERN_OK;
  }
  if (st->storage_id == FERN_STORAGE_ID_ONLY)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "%s uses storage \"%s\", which %s keys by instance "
                          "id only (storage_id \"static_instance_id\"), and "
                          "the component id index has none for it",
                          user->moniker, use->name, shown(end->storage_at));
  if (moniker_key(user, end->storage_at, p->key + used,
                  size - (size_t)used - 8) != 0)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s uses storage \"%s\": its moniker is too long "
                          "for a path",
                          user->moniker, use->name);
  p->own_len = strlen(p->key);
  strcat(p->key, "/data");
  return FERN_OK;
}

/* One root, one storage declaration: else two realms' users (/x, and
 * /a/x below /a) would be given one directory. */
static int claim_root(const fern__instance *user, const fern__route_decl *use,
                      const fern__route_end *end, fern__storage_place *p,
                      fern_error_t *err) {
  fern__manager *manager = user->manager;
  char owner[FERN_NAME_MAX * 4];
  snprintf(owner, sizeof owner, "%s storage \"%s\"", shown(end->storage_at),
           end->storage->name);
  snprintf(p->root, sizeof p->root, "%s%s%s", p->backing,
           end->storage->storage_subdir ? "/" : "",
           end->storage->storage_subdir ? end->storage->storage_subdir : "");
  if (manager->storage_roots == NULL)
    manager->storage_roots = json_object();
  const char *held =
      json_string_value(json_object_get(manager->storage_roots, p->root));
  if (held == NULL)
    json_object_set_new(manager->storage_roots, p->root, json_string(owner));
  else if (strcmp(held, owner) != 0)
    return fern_error_set(err, FERN_EINVAL, NULL,
                          "%s uses storage \"%s\": %s keeps its users in %s, "
                          "where %s keeps its users already; give one a "
                          "\"subdir\" of its own",
                          user->moniker, use->name, owner, p->root, held);
  return FERN_OK;
}

int fern__storage_locate(const fern__instance *user,
                         const fern__route_decl *use,
                         const fern__route_end *end,
                         fern__storage_place *place, fern_error_t *err) {
  place->backing_fd = -1;
  int rc = storage_key(user, use, end, place, err);
  if (rc != FERN_OK)
    return rc;
  int fd = fern__route_end_open(user, use, end, place->backing,
                                sizeof place->backing, err);
  if (fd < 0)
    return fd;
  rc = claim_root(user, use, end, place, err);
  if (rc != FERN_OK) {
    close(fd);
    return rc;
  }
  place->backing_fd = fd;
  return FERN_OK;
}

/* Below `fd` (closed here), the parts of `key` up to `len`, each opened
 * without following a symlink (and made first, with `make`). Returns the
 * last one's descriptor, or -1 with errno. */
static int walk_key(int fd, const char *key, size_t len, int make) {
  char copy[PATH_MAX];
  snprintf(copy, sizeof copy, "%.*s", (int)len, key);
  for (char *part = copy; fd >= 0 && part != NULL;) {
    char *slash = strchr(part, '/');
    if (slash != NULL)
      *slash = '\0';
    if (make && mkdirat(fd, part, 0700) != 0 && errno != EEXIST) {
      int saved = errno;
      close(fd);
      errno = saved;
      return -1;
    }
    int next = openat(fd, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    close(fd);
    errno = saved;
    fd = next;
    part = slash != NULL ? slash + 1 : NULL;
  }
  return fd;
}

int fern__storage_dir(const fern__instance *user, const fern__route_decl *use,
                      const fern__route_end *end, int make, char *out,
                      size_t size, fern_error_t *err) {
  fern__storage_place p;
  int rc = fern__storage_locate(user, use, end, &p, err);
  if (rc != FERN_OK)
    return rc;
  int fd = walk_key(p.backing_fd, p.key, strlen(p.key), make);
  if (fd < 0)
    return fern_error_set(err, errno == ENOENT ? FERN_ENOENT : FERN_EIO, NULL,
                          "%s uses storage \"%s\": %s in %s: %s%s",
                          user->moniker, use->name, p.key, p.backing,
                          strerror(errno),
                          errno == ENOTDIR || errno == ELOOP
                              ? " (a part of it is a symlink or no "
                                "directory)"
                              : "");
  if (snprintf(out, size, "%s/%s", p.backing, p.key) >= (int)size) {
    close(fd);
    return fern_error_set(err, FERN_EINVAL, NULL, "%s/%s: path too long",
                          p.backing, p.key);
  }
  return fd;
}

int fern__storage_open_parent(int base_fd, const char *key, size_t len,
                              int *parent_fd, char *name, size_t size) {
  const char *last = key;
  for (const char *s = key; s < key + len; s++)
    if (*s == '/')
      last = s + 1;
  snprintf(name, size, "%.*s", (int)(key + len - last), last);
  int dup_fd = fcntl(base_fd, F_DUPFD_CLOEXEC, 0);
  *parent_fd = last == key ? dup_fd
                           : walk_key(dup_fd, key, (size_t)(last - 1 - key), 0);
  return *parent_fd >= 0 ? 0 : -1;
}

int fern__storage_remove_at(int parent_fd, const char *name) {
  int fd = openat(parent_fd, name,
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0;
    /* Not a directory (a file, a symlink): the name alone goes. */
    return errno == ENOTDIR || errno == ELOOP
               ? (unlinkat(parent_fd, name, 0) == 0 || errno == ENOENT ? 0
                                                                       : -1)
               : -1;
  }
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    close(fd);
    return -1;
  }
  int failed = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      failed |= fern__storage_remove_at(dirfd(dir), e->d_name) != 0;
  closedir(dir);
  if (failed)
    return -1;
  return unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT ? 0
                                                                         : -1;
}

/* One deletion on the thread pool: a large tree must not stall fern. */
typedef struct forget_work_s {
  uv_work_t work;
  int parent_fd;
  char name[NAME_MAX + 1];
  char *moniker, *what;
  int failed, error;
} forget_work;

static void forget_run(uv_work_t *work) {
  forget_work *f = (forget_work *)work;
  f->failed = fern__storage_remove_at(f->parent_fd, f->name) != 0;
  f->error = errno;
}

static void forget_done(uv_work_t *work, int status) {
  forget_work *f = (forget_work *)work;
  (void)status;
  if (f->failed)
    fern__log(FERN_LOG_WARN, f->moniker, "cannot delete all of %s: %s",
              f->what, strerror(f->error));
  else
    fern__log(FERN_LOG_INFO, f->moniker, "destroyed: %s is deleted", f->what);
  close(f->parent_fd);
  free(f->moniker);
  free(f->what);
  free(f);
}

void fern__storage_each(fern__instance *instance, fern__storage_visit visit,
                        void *arg) {
  const fern__decl *decl = fern__instance_decl(instance);
  for (size_t u = 0; decl != NULL && u < decl->use_count; u++) {
    const fern__route_decl *use = &decl->uses[u];
    fern__route_end end;
    fern__storage_place p;
    fern_error_t err = FERN_ERROR_INIT;
    if (use->kind != FERN_ROUTE_STORAGE)
      continue;
    int found = fern__route_follow_to(instance, use, &end, &err) == FERN_OK &&
                fern__storage_locate(instance, use, &end, &p, &err) == FERN_OK;
    visit(instance, use, found ? &end : NULL, found ? &p : NULL, &err, arg);
    if (found)
      close(p.backing_fd);
  }
}

/* One storage of a destroyed instance: its own directory, queued for
 * deletion (one that cannot be found is not there to delete). */
static void forget_one(fern__instance *instance, const fern__route_decl *use,
                       const fern__route_end *end,
                       const fern__storage_place *p, const fern_error_t *err,
                       void *arg) {
  (void)end;
  (void)err;
  (void)arg;
  if (p == NULL)
    return;
  forget_work *f = calloc(1, sizeof *f);
  if (f == NULL || fern__storage_open_parent(p->backing_fd, p->key,
                                             p->own_len, &f->parent_fd,
                                             f->name, sizeof f->name) != 0) {
    free(f); /* never made, or not there any more */
    return;
  }
  char what[PATH_MAX * 2];
  snprintf(what, sizeof what, "its storage \"%s\" at %s/%.*s", use->name,
           p->backing, (int)p->own_len, p->key);
  f->moniker = strdup(instance->moniker);
  f->what = strdup(what);
  if (uv_queue_work(&instance->manager->loop, &f->work, forget_run,
                    forget_done) != 0) {
    forget_run(&f->work);
    forget_done(&f->work, 0);
  }
}

static void forget_instance(fern__instance *instance, void *arg) {
  fern__storage_each(instance, forget_one, arg);
}

void fern__storage_forget(const fern__instance *instance) {
  /* fern ending is no destruction: what it leaves is there next time. */
  if (instance->manager->shutting_down)
    return;
  fern__instance_walk((fern__instance *)instance, forget_instance, NULL);
}
