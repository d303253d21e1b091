/* memo_resolver.c - the smallest complete fern resolver: copy it to start
 * your own. It serves manifests kept in its config:
 *   {"resolver": "memo", "plugin": "memo_resolver", "config":
 *     {"manifests": {"hello": "{\"program\": {...}}"}}}
 * so that memo:///hello#meta/x.cm resolves to that text. A real resolver
 * would fetch a package (a repository, an archive, a network store) and
 * return its directory too.
 *
 * Build it against an installed fern:
 *   cc -shared -fPIC $(pkg-config --cflags fern) memo_resolver.c -o memo_resolver.so
 * Resolve calls run on worker threads: keep them thread-safe (this one only
 * reads its config after create). */
#include <fern/resolver.h>
#include <stdlib.h>
#include <string.h>

typedef struct memo_s {
  json_t *manifests; /* name -> manifest text; read-only after create */
} memo;

/* `fern check` calls this with no resolver made: check, make nothing.
 * Say where a fault is (err->key, a JSON pointer into the config) and fern
 * names the configuration's file:line:col. */
static int memo_validate_config(const json_t *config, fern_error_t *err) {
  json_t *manifests = json_object_get(config, "manifests");
  if (!json_is_object(manifests))
    return fern_error_set(err, FERN_EINVAL, "/manifests",
                          "memo_resolver needs \"manifests\": {name: text}");
  return FERN_OK;
}

static int memo_create(const fern_host_t *host, const json_t *config,
                       void **resolver, fern_error_t *err) {
  (void)host;
  int rc = memo_validate_config(config, err);
  if (rc != FERN_OK)
    return rc;
  json_t *manifests = json_object_get(config, "manifests");
  memo *m = calloc(1, sizeof *m);
  if (m == NULL)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  m->manifests = json_deep_copy(manifests);
  *resolver = m;
  return FERN_OK;
}

static void memo_release(void *resolver) {
  memo *m = resolver;
  json_decref(m->manifests);
  free(m);
}

static char *join(const char *a, const char *b, const char *c) {
  size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
  char *s = malloc(n);
  if (s != NULL)
    snprintf(s, n, "%s%s%s", a, b, c);
  return s;
}

/* fern parsed and checked the URL already: path is "/hello" for
 * memo:///hello#meta/x.cm. Relative URLs of children would come with the
 * parent's context; this resolver has none to offer. */
static int memo_resolve(void *resolver, const fern_resolve_request_t *req,
                        fern_resolved_t *out, fern_error_t *err) {
  memo *m = resolver;
  if (req->path == NULL)
    return fern_error_set(err, FERN_ENOTSUP, NULL,
                          "memo_resolver resolves absolute URLs only");
  const char *text = json_string_value(json_object_get(m->manifests,
                                                       req->path + 1));
  if (text == NULL)
    return fern_error_set(err, FERN_ENOENT, NULL, "no manifest \"%s\" in memo",
                          req->path + 1);
  out->package_url = join("memo://", req->path, "");
  out->resolved_url = join(out->package_url ? out->package_url : "", "#",
                           req->fragment);
  out->manifest = strdup(text);
  out->manifest_len = strlen(text);
  out->manifest_origin = strdup(req->url);
  out->package_dir = NULL; /* not on the local disk */
  out->context = NULL;
  if (out->package_url == NULL || out->resolved_url == NULL ||
      out->manifest == NULL || out->manifest_origin == NULL) {
    free(out->package_url), free(out->resolved_url), free(out->manifest);
    free(out->manifest_origin);
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  }
  return FERN_OK;
}

static void memo_resolved_free(void *resolver, fern_resolved_t *out) {
  (void)resolver;
  free(out->package_url);
  free(out->resolved_url);
  free(out->manifest);
  free(out->manifest_origin);
}

FERN_RESOLVER_PLUGIN(.name = "memo_resolver",
                     .description = "manifests kept in its config: a skeleton",
                     .validate_config = memo_validate_config,
                     .create = memo_create, .release = memo_release,
                     .resolve = memo_resolve,
                     .resolved_free = memo_resolved_free);
