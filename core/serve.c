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
 * A user finds what it uses in its namespace directory (DIR/ns/N), where
 * each used protocol's `path` is a symlink to the provider's socket.
 * Loop thread only. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lifecycle_actions.h"
#include "log.h"
#include "manager.h"
#include "routes.h"
#include "serve.h"

#define SERVE_BACKLOG 128

static int serve_dir(fern__manager *manager, fern_error_t *err) {
  if (manager->serve_dir[0] != '\0')
    return FERN_OK;
  char dir[sizeof manager->serve_dir] = "/tmp/fern-svc-XXXXXX";
  if (mkdtemp(dir) == NULL)
    return fern_error_set(err, FERN_EIO, NULL,
                          "cannot make a directory for protocol sockets: %s",
                          strerror(errno));
  snprintf(manager->serve_dir, sizeof manager->serve_dir, "%s", dir);
  return FERN_OK;
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

void fern__serve_dir_remove(fern__manager *manager) {
  if (manager->serve_dir[0] != '\0')
    nftw(manager->serve_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
  manager->serve_dir[0] = '\0';
}

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

/* The provider's socket for `name`, made on first need. */
static fern__served *served_get(fern__instance *provider, const char *name,
                                fern_error_t *err) {
  fern__served *s = find_served(provider, name);
  if (s != NULL)
    return s;
  fern__manager *manager = provider->manager;
  if (serve_dir(manager, err) != FERN_OK)
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
  s->next = provider->served;
  provider->served = s;
  if (listen_at(s, err) != FERN_OK)
    return NULL; /* freed with the provider */
  fern__serve_follow_state(provider);
  return s;
}

/* Closes every connection waiting on `s`: the start they asked for
 * failed, and a client must not hang. */
static void refuse_waiting(fern__served *s) {
  struct pollfd p = {s->fd, POLLIN, 0};
  while (poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
    int conn = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0)
      break;
    close(conn);
  }
}

/* The start a connection asked for failed, or was refused: the clients
 * waiting are told at once (end of file), and the next connection asks
 * again. */
static void activation_failed(fern__instance *provider) {
  fern__log(FERN_LOG_WARN, provider->moniker,
            "a connection to protocol \"%s\" could not start it; the "
            "waiting connections are closed",
            provider->activated_by ? provider->activated_by : "?");
  for (fern__served *s = provider->served; s != NULL; s = s->next)
    refuse_waiting(s);
  free(provider->activated_by);
  provider->activated_by = NULL;
}

/* A refused start is answered with an error; a start under way is
 * followed by its states (fern__serve_follow_state). */
static void on_start_answered(void *arg, fern__instance *provider,
                              const char *error) {
  (void)arg;
  if (error != NULL && provider->activated_by != NULL) {
    activation_failed(provider);
    fern__serve_follow_state(provider);
  }
}

static void unwatch(fern__served *s) {
  if (s->watch == NULL)
    return;
  uv_close((uv_handle_t *)s->watch, (uv_close_cb)free);
  s->watch = NULL;
}

/* A client connected while the provider does not run: start it. */
static void on_connection(uv_poll_t *watch, int status, int events) {
  fern__served *s = watch->data;
  fern__instance *provider = s->provider;
  (void)status;
  (void)events;
  for (fern__served *each = provider->served; each != NULL; each = each->next)
    unwatch(each);
  if (provider->activated_by != NULL)
    return; /* a start is asked already */
  provider->activated_by = strdup(s->name);
  fern__lc_post_start(provider, "capability", on_start_answered, NULL);
}

static void watch(fern__served *s) {
  if (s->watch != NULL || s->fd < 0)
    return;
  s->watch = malloc(sizeof *s->watch);
  if (s->watch == NULL ||
      uv_poll_init(&s->provider->manager->loop, s->watch, s->fd) != 0) {
    free(s->watch);
    s->watch = NULL;
    return;
  }
  s->watch->data = s;
  uv_poll_start(s->watch, UV_READABLE, on_connection);
  /* A watch keeps nothing running: fern run ends when no component runs,
   * as it did before sockets. */
  uv_unref((uv_handle_t *)s->watch);
}

void fern__serve_follow_state(fern__instance *i) {
  if (i->activated_by != NULL && i->state == FERN_STATE_START_FAILED)
    activation_failed(i);
  else if (i->activated_by != NULL && fern__instance_is_live(i) &&
           i->state != FERN_STATE_STARTING) {
    free(i->activated_by); /* it came up: the clients are its now */
    i->activated_by = NULL;
  }
  int idle = !fern__instance_is_live(i) && i->activated_by == NULL &&
             i->state != FERN_STATE_DESTROYED && !i->manager->shutting_down;
  for (fern__served *s = i->served; s != NULL; s = s->next) {
    if (idle)
      watch(s);
    else
      unwatch(s);
    if (i->manager->shutting_down && !fern__instance_is_live(i))
      refuse_waiting(s);
  }
}

void fern__serve_free(fern__instance *i) {
  while (i->served != NULL) {
    fern__served *s = i->served;
    i->served = s->next;
    unwatch(s);
    if (s->fd >= 0) {
      close(s->fd);
      unlink(s->path);
    }
    free(s->name);
    free(s);
  }
  free(i->activated_by);
  i->activated_by = NULL;
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
  if (decl->protocol_count == 0)
    return FERN_OK;
  plan->serves = calloc(decl->protocol_count, sizeof *plan->serves);
  if (plan->serves == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  for (size_t p = 0; p < decl->protocol_count; p++) {
    const char *name = decl->protocols[p].name;
    if (!routed_out(decl, name))
      continue;
    fern__served *s = served_get(i, name, err);
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

/* Places `use`'s provider socket at its path in the namespace. */
static int place_use(fern__instance *i, fern__serve_plan *plan,
                     const fern__route_decl *use, fern_error_t *err) {
  fern__route_end end;
  fern_error_t hop = FERN_ERROR_INIT;
  if (fern__route_follow_to(i, use, &end, &hop) != FERN_OK)
    return use->optional ? FERN_OK : fern_error_set(err, FERN_ENOENT, NULL,
                                                    "%s", hop.message);
  fern__served *s = served_get((fern__instance *)end.provider, end.name, err);
  if (s == NULL)
    return FERN_EIO;
  char link[256];
  snprintf(link, sizeof link, "%s%s", plan->namespace_dir, use->path);
  if (make_parents(link) != 0 || (symlink(s->path, link) != 0 && errno != EEXIST))
    return fern_error_set(err, FERN_EIO, NULL, "cannot place %s in %s: %s",
                          use->path, plan->namespace_dir, strerror(errno));
  fern_used_capability_t *out = &plan->uses[plan->use_count++];
  out->struct_size = sizeof *out;
  out->kind = FERN_CAPABILITY_PROTOCOL;
  out->name = use->name;
  out->path = use->path;
  out->fd = -1;
  out->host_path = s->path;
  return FERN_OK;
}

static int plan_uses(fern__instance *i, fern__serve_plan *plan,
                     fern_error_t *err) {
  const fern__decl *decl = i->resolution->decl;
  if (decl->use_count == 0)
    return FERN_OK;
  fern__manager *manager = i->manager;
  if (serve_dir(manager, err) != FERN_OK)
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
  if (plan->uses == NULL)
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
  memset(plan, 0, sizeof *plan);
}
