/* gate - a resolver that blocks until a file exists (config "wait_for"),
 * then resolves gate:///abs/dir#frag like a file URL; it gives up after
 * "wait_ms" (default 10000) without a change in the file's directory. The test that the
 * loop is never blocked by a resolution: a sibling component opens the gate;
 * if resolving blocked the loop, the sibling could never start. */
#include <fern/resolver.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <unistd.h>

typedef struct {
  const fern_host_t *host;
  char *wait_for;
  int wait_ms;
} gate;

static int gate_validate_config(const json_t *config, fern_error_t *err) {
  if (!json_is_string(json_object_get(config, "wait_for")))
    return fern_error_set(err, FERN_EINVAL, "/wait_for", "needs wait_for");
  json_t *wait_ms = json_object_get(config, "wait_ms");
  if (wait_ms != NULL && !json_is_integer(wait_ms))
    return fern_error_set(err, FERN_EINVAL, "/wait_ms", "must be an integer");
  return FERN_OK;
}

static int gate_create(const fern_host_t *host, const json_t *config,
                       void **out, fern_error_t *err) {
  const char *path = json_string_value(json_object_get(config, "wait_for"));
  if (path == NULL)
    return fern_error_set(err, FERN_EINVAL, "/wait_for", "needs wait_for");
  gate *g = calloc(1, sizeof *g);
  g->host = host;
  g->wait_for = strdup(path);
  json_t *wait_ms = json_object_get(config, "wait_ms");
  g->wait_ms = wait_ms ? (int)json_integer_value(wait_ms) : 10000;
  *out = g;
  return FERN_OK;
}

static void gate_release(void *p) {
  gate *g = p;
  free(g->wait_for);
  free(g);
}

/* Waits for the file to be created (inotify on its directory, so the
 * wait is an event, not a poll). */
static int gate_wait(const gate *g) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", g->wait_for);
  char *slash = strrchr(dir, '/');
  if (slash == NULL)
    return -1;
  *slash = '\0';
  int fd = inotify_init1(IN_CLOEXEC);
  inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO);
  int rc = -1;
  for (int rounds = 0; rounds < 1000; rounds++) {
    if (access(g->wait_for, F_OK) == 0) {
      rc = 0;
      break;
    }
    struct pollfd pfd = {fd, POLLIN, 0};
    int ready = poll(&pfd, 1, g->wait_ms);
    if (ready < 0 && errno == EINTR)
      continue; /* a signal of fern's (SIGCHLD) ran on this thread */
    if (ready != 1)
      break;
    char events[4096];
    if (read(fd, events, sizeof events) <= 0)
      break;
  }
  close(fd);
  return rc;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  char *buf = malloc(1 << 16);
  *len = fread(buf, 1, (1 << 16) - 1, f);
  buf[*len] = '\0';
  fclose(f);
  return buf;
}

static int gate_resolve(void *p, const fern_resolve_request_t *req,
                        fern_resolved_t *out, fern_error_t *err) {
  gate *g = p;
  if (req->path == NULL)
    return fern_error_set(err, FERN_ENOTSUP, NULL, "gate: absolute URLs only");
  /* Said before the wait, so a test knows a resolution is held. */
  g->host->log(g->host->ctx, FERN_LOG_INFO, NULL, "gate: holding %s", req->url);
  if (gate_wait(g) != 0)
    return fern_error_set(err, FERN_ETIMEDOUT, NULL,
                          "gate: %s never appeared", g->wait_for);
  char manifest[PATH_MAX];
  int rc = g->host->package_path(g->host->ctx, req->path, req->fragment, manifest,
                                 sizeof manifest, err);
  if (rc != FERN_OK)
    return rc;
  out->manifest = slurp(manifest, &out->manifest_len);
  out->manifest_origin = strdup(manifest);
  out->package_dir = strdup(req->path);
  out->context = strdup(req->path);
  out->package_url = strdup(req->url);
  *strchr(out->package_url, '#') = '\0';
  out->resolved_url = strdup(req->url);
  return FERN_OK;
}

static void gate_free(void *p, fern_resolved_t *out) {
  (void)p;
  free(out->manifest);
  free(out->manifest_origin);
  free(out->package_dir);
  free(out->context);
  free(out->package_url);
  free(out->resolved_url);
}

FERN_RESOLVER_PLUGIN(.name = "gate", .validate_config = gate_validate_config, .create = gate_create,
                     .release = gate_release, .resolve = gate_resolve,
                     .resolved_free = gate_free);
