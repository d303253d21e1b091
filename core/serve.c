/* serve.c - protocols as sockets, as systemd's socket activation
 * (systemd.socket(5), sd_listen_fds(3)): fern owns a listening Unix stream
 * socket for each protocol a component serves, in a 0700 directory of its
 * own (/tmp/fern-svc-XXXXXX), made the first time a start needs it (the
 * provider's, or a user's) and kept until the provider leaves the tree.
 * The provider gets it at each start (LISTEN_FDS); while the provider
 * does not run, fern watches it, and the first connection starts the
 * provider, the connection waiting in the backlog until it accepts. If
 * that start fails, the waiting connections are closed at once (the
 * client reads end of file). fern never accepts for the provider nor
 * carries a byte.
 *
 * A user finds what it uses in its namespace directory (DIR/nsN), where
 * each used protocol's `path` is a symlink to the provider's socket. The
 * watch and the starts it asks for are serve_watch.c's. Loop thread
 * only. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config_file.h"
#include "lifecycle_actions.h"
#include "package_path.h"
#include "locked_dir.h"
#include "log.h"
#include "manager.h"
#include "routes.h"
#include "serve.h"
#include "storage.h"

#define SERVE_BACKLOG 128

static fern__served *find_served(fern__instance *provider, const char *name) {
  for (fern__served *s = provider->served; s != NULL; s = s->next)
    if (strcmp(s->name, name) == 0)
      return s;
  return NULL;
}

static int listen_at(fern__served *s, fern_error_t *err) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", s->path);
  s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(s->fd, SERVE_BACKLOG) != 0)
    return fern_error_set(err, FERN_EIO, NULL,
                          "cannot listen for protocol \"%s\" at %s: %s",
                          s->name, s->path, strerror(errno));
  return FERN_OK;
}

static void served_free(fern__served *s) {
  fern__serve_unwatch(s);
  if (s->fd >= 0) {
    close(s->fd);
    unlink(s->path);
  }
  free(s->name);
  free(s);
}

/* The provider's socket for `name`, made on first need; a user's start
 * (`for_user`) has it watched at once if the provider does not run. */
static fern__served *served_get(fern__instance *provider, const char *name,
                                int for_user, fern_error_t *err) {
  fern__served *s = find_served(provider, name);
  if (s != NULL)
    return s;
  fern__manager *manager = provider->manager;
  if (fern__serve_dir(manager, err) != FERN_OK)
    return NULL;
  if ((s = calloc(1, sizeof *s)) == NULL || (s->name = strdup(name)) == NULL) {
    free(s);
    fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
    return NULL;
  }
  s->provider = provider;
  s->fd = -1;
  snprintf(s->path, sizeof s->path, "%s/%llu", manager->serve_dir,
           (unsigned long long)++manager->serve_seq);
  if (listen_at(s, err) != FERN_OK) {
    served_free(s);
    return NULL;
  }
  s->next = provider->served;
  provider->served = s;
  if (for_user && fern__serve_idle(provider))
    fern__serve_watch(s);
  return s;
}

void fern__serve_free(fern__instance *i) {
  while (i->served != NULL) {
    fern__served *s = i->served;
    i->served = s->next;
    served_free(s);
  }
  free(i->activated_by);
  i->activated_by = NULL;
  if (i->namespace_seq != 0 && i->manager->serve_dir[0] != '\0') {
    char dir[96];
    snprintf(dir, sizeof dir, "%s/ns%llu", i->manager->serve_dir,
             (unsigned long long)i->namespace_seq);
    fern__remove_tree(dir);
  }
  fern__config_file_remove(i);
}

/* Whether `decl` routes protocol `name` out of itself: an expose or an
 * offer from self. */
static int routed_out(const fern__decl *decl, const char *name) {
  for (size_t e = 0; e < decl->expose_count; e++)
    if (decl->exposes[e].from.kind == FERN_REF_SELF &&
        strcmp(decl->exposes[e].name, name) == 0)
      return 1;
  for (size_t o = 0; o < decl->offer_count; o++)
    if (decl->offers[o].from.kind == FERN_REF_SELF &&
        strcmp(decl->offers[o].name, name) == 0)
      return 1;
  return 0;
}

/* The provider gets its socket in blocking mode, as systemd hands one over
 * unless NonBlocking= (systemd.socket(5)): fern's watch (libuv sets
 * O_NONBLOCK) and an earlier run may have changed the mode, which the
 * open file shares. */
static void blocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK))
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

static int plan_serves(fern__instance *i, fern__serve_plan *plan,
                       fern_error_t *err) {
  const fern__decl *decl = i->resolution->decl;
  if (decl->provided_count == 0)
    return FERN_OK;
  plan->serves = calloc(decl->provided_count, sizeof *plan->serves);
  if (plan->serves == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  for (size_t p = 0; p < decl->provided_count; p++) {
    const char *name = decl->provided[p].name;
    if (decl->provided[p].kind != FERN_ROUTE_PROTOCOL ||
        !routed_out(decl, name))
      continue;
    fern__served *s = served_get(i, name, 0, err);
    if (s == NULL)
      return FERN_EIO;
    blocking(s->fd);
    fern_served_capability_t *out = &plan->serves[plan->serve_count++];
    out->struct_size = sizeof *out;
    out->name = s->name;
    out->fd = s->fd;
  }
  return FERN_OK;
}

/* mkdir -p of the directories above `path`. */
static int make_parents(char *path) {
  for (char *slash = strchr(path + 1, '/'); slash != NULL;
       slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    int rc = mkdir(path, 0755);
    *slash = '/';
    if (rc != 0 && errno != EEXIST)
      return -1;
  }
  return 0;
}

/* A symlink at `use`'s path in the namespace, to `target`. */
static int place_link(fern__serve_plan *plan, const fern__route_decl *use,
                      const char *target, fern_error_t *err) {
  char link[256];
  snprintf(link, sizeof link, "%s%s", plan->namespace_dir, use->path);
  if (make_parents(link) != 0 ||
      (symlink(target, link) != 0 && errno != EEXIST))
    return fern_error_set(err, FERN_EIO, NULL, "cannot place %s in %s: %s",
                          use->path, plan->namespace_dir, strerror(errno));
  return FERN_OK;
}

static fern_used_capability_t *next_use(fern__serve_plan *plan,
                                        const fern__route_decl *use,
                                        fern_capability_kind kind) {
  fern_used_capability_t *out = &plan->uses[plan->use_count++];
  out->struct_size = sizeof *out;
  out->kind = kind;
  out->name = use->name;
  out->path = use->path;
  out->fd = -1;
  return out;
}

/* A used protocol: the provider's socket, at its path. */
static int place_protocol(fern__instance *i, fern__serve_plan *plan,
                          const fern__route_decl *use,
                          const fern__route_end *end, fern_error_t *err) {
  (void)i;
  fern__served *s =
      served_get((fern__instance *)end->provider, end->name, 1, err);
  if (s == NULL)
    return FERN_EIO;
  int rc = place_link(plan, use, s->path, err);
  if (rc == FERN_OK)
    next_use(plan, use, FERN_CAPABILITY_PROTOCOL)->host_path = s->path;
  return rc;
}

int fern__route_end_open(const fern__instance *user,
                         const fern__route_decl *use,
                         const fern__route_end *end, char *out, size_t size,
                         fern_error_t *err) {
  const char *kind = fern__route_kind_name(use->kind);
  const char *base = end->namespace_path;
  const char *path = end->provided != NULL ? end->provided->path : ".";
  int whole = strcmp(path, ".") == 0;
  char relative[1024];
  snprintf(relative, sizeof relative, "%s%s%s", whole ? "" : path,
           whole || end->subdir[0] == '\0' ? "" : "/", end->subdir);
  char at[FERN_NAME_MAX * 2 + 64] = "";
  if (strcmp(use->name, end->name) != 0)
    snprintf(at, sizeof at, " (\"%s\" at %s)", end->name,
             end->provider->moniker[0] ? end->provider->moniker : "/");
  const char *of = base != NULL ? "fern's namespace_capabilities"
                                : end->provider->moniker;
  if (base == NULL)
    base = end->provider->resolution->package_dir;
  if (base == NULL)
    return fern_error_set(err, FERN_ENOENT, NULL,
                          "%s uses %s \"%s\"%s of %s, which has no package "
                          "directory to share",
                          user->moniker, kind, use->name, at, of);
  fern_error_t why = FERN_ERROR_INIT;
  int fd = fern__package_open_dir(base, relative, out, size, &why);
  if (fd < 0)
    return fern_error_set(err, fd, NULL, "%s uses %s \"%s\"%s of %s: %s",
                          user->moniker, kind, use->name, at, of,
                          why.message);
  return fd;
}

int fern__serve_directory_check(const fern__instance *user,
                                const fern__route_decl *use,
                                fern_error_t *err) {
  fern__route_end end;
  int rc = fern__route_follow_to(user, use, &end, err);
  if (rc != FERN_OK || use->kind == FERN_ROUTE_PROTOCOL)
    return rc;
  /* Storage is made at the start: its backing directory is what must be
   * there now. */
  if (use->kind == FERN_ROUTE_STORAGE) {
    fern__storage_place place;
    rc = fern__storage_locate(user, use, &end, &place, err);
    if (rc == FERN_OK)
      close(place.backing_fd);
    return rc;
  }
  char *source = malloc(PATH_MAX);
  if (source == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  int fd = fern__route_end_open(user, use, &end, source, PATH_MAX, err);
  free(source);
  if (fd < 0)
    return fd;
  close(fd);
  return FERN_OK;
}

/* A used directory: a symlink to it at its path (the ELF runner's
 * namespace), and its real path for a runner that binds it; writable
 * when its rights let it change what is stored.
 *
 * The sandbox and OCI runners bind that path after this check: a
 * component that may write a parent of the shared directory could swap
 * it for a symlink in between. Handing them the checked descriptor
 * instead does not work here: bubblewrap binds from a user namespace
 * that may not follow fern's /proc/PID/fd, runc mounts from the
 * container's mount namespace (EINVAL), and ABI 2 hands bubblewrap at
 * most FERN_SPAWN_WRAPPER_FDS descriptors, all taken (docs/manifests.md
 * says so). */
static int place_directory(fern__instance *i, fern__serve_plan *plan,
                           const fern__route_decl *use,
                           const fern__route_end *end, fern_error_t *err) {
  char *source = malloc(PATH_MAX);
  if (source == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  int storage = use->kind == FERN_ROUTE_STORAGE;
  int fd = storage ? fern__storage_dir(i, use, end, 1, source, PATH_MAX, err)
                   : fern__route_end_open(i, use, end, source, PATH_MAX, err);
  if (fd >= 0)
    close(fd);
  int rc = fd < 0 ? fd : place_link(plan, use, source, err);
  if (rc == FERN_OK) {
    fern_used_capability_t *out = next_use(
        plan, use,
        storage ? FERN_CAPABILITY_STORAGE : FERN_CAPABILITY_DIRECTORY);
    out->host_path = source;
    out->writable = storage || (use->rights & FERN_RIGHTS_WRITING) != 0;
    plan->owned_paths[plan->owned_count++] = source;
  } else {
    free(source);
  }
  return rc;
}

/* Places what `use` names at its path in the namespace. */
static int place_use(fern__instance *i, fern__serve_plan *plan,
                     const fern__route_decl *use, fern_error_t *err) {
  fern__route_end end;
  fern_error_t hop = FERN_ERROR_INIT;
  if (fern__route_follow_to(i, use, &end, &hop) != FERN_OK)
    return use->optional ? FERN_OK : fern_error_set(err, FERN_ENOENT, NULL,
                                                    "%s", hop.message);
  int rc = use->kind == FERN_ROUTE_PROTOCOL
               ? place_protocol(i, plan, use, &end, err)
               : place_directory(i, plan, use, &end, err);
  if (rc != FERN_OK && use->optional) {
    /* An optional use of what cannot be given, of any kind, is simply
     * absent (one without a route is so above, quietly). */
    fern__log(FERN_LOG_WARN, i->moniker,
              "optional %s \"%s\" is not given: %s",
              fern__route_kind_name(use->kind), use->name, err->message);
    err->message[0] = '\0';
    return FERN_OK;
  }
  return rc;
}

static int plan_uses(fern__instance *i, fern__serve_plan *plan,
                     fern_error_t *err) {
  const fern__decl *decl = i->resolution->decl;
  if (decl->use_count == 0)
    return FERN_OK;
  fern__manager *manager = i->manager;
  if (fern__serve_dir(manager, err) != FERN_OK)
    return FERN_EIO;
  if (i->namespace_seq == 0)
    i->namespace_seq = ++manager->serve_seq;
  snprintf(plan->namespace_dir, sizeof plan->namespace_dir, "%s/ns%llu",
           manager->serve_dir, (unsigned long long)i->namespace_seq);
  plan->has_namespace = 1;
  if (mkdir(plan->namespace_dir, 0755) != 0 && errno != EEXIST)
    return fern_error_set(err, FERN_EIO, NULL, "cannot make %s: %s",
                          plan->namespace_dir, strerror(errno));
  plan->uses = calloc(decl->use_count, sizeof *plan->uses);
  plan->owned_paths = calloc(decl->use_count, sizeof *plan->owned_paths);
  if (plan->uses == NULL || plan->owned_paths == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  for (size_t u = 0; u < decl->use_count; u++) {
    int rc = place_use(i, plan, &decl->uses[u], err);
    if (rc != FERN_OK)
      return rc;
  }
  return FERN_OK;
}

int fern__serve_plan_make(fern__instance *i, fern__serve_plan *plan,
                          fern_error_t *err) {
  memset(plan, 0, sizeof *plan);
  int rc = plan_serves(i, plan, err);
  if (rc == FERN_OK)
    rc = plan_uses(i, plan, err);
  return rc;
}

void fern__serve_plan_free(fern__serve_plan *plan) {
  free(plan->serves);
  free(plan->uses);
  for (size_t p = 0; p < plan->owned_count; p++)
    free(plan->owned_paths[p]);
  free(plan->owned_paths);
  memset(plan, 0, sizeof *plan);
}
