/* misnamed - a valid table whose name does not match its file name. */
#include <fern/resolver.h>

static int never_create(const fern_host_t *host, const json_t *config,
                        void **resolver, fern_error_t *err) {
  (void)host, (void)config, (void)resolver;
  return fern_error_set(err, FERN_ENOTSUP, NULL, "never");
}
static void never_release(void *r) { (void)r; }
static int never_resolve(void *r, const fern_resolve_request_t *q,
                         fern_resolved_t *o, fern_error_t *err) {
  (void)r, (void)q, (void)o;
  return fern_error_set(err, FERN_ENOTSUP, NULL, "never");
}
static void never_free(void *r, fern_resolved_t *o) { (void)r, (void)o; }

FERN_RESOLVER_PLUGIN(.name = "something_else", .create = never_create,
                     .release = never_release, .resolve = never_resolve,
                     .resolved_free = never_free);
