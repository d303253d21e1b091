/* resolve_dispatch.h - sends each URL to its resolver on the libuv thread
 * pool, once: the resolutions are kept by URL.
 *
 * A resolution is looked up by key (the absolute URL, or the parent's package
 * URL joined with a relative URL). The first request starts the work on a
 * worker thread; requests that arrive while it runs wait on it; later ones
 * get the cached result at once. So N instances of one URL read and parse
 * its manifest once. Loop thread only (except the work itself). */
#ifndef FERN_CORE_RESOLVE_DISPATCH_H
#define FERN_CORE_RESOLVE_DISPATCH_H

#include <uv.h>

#include "../environments/capability.h"
#include "decl.h"
#include "strmap.h"
#include "url.h"

struct fern__resolution_s;
typedef void (*fern__resolved_cb)(void *arg,
                                  const struct fern__resolution_s *res);

typedef struct fern__resolve_waiter_s {
  fern__resolved_cb cb;
  void *arg;
  struct fern__resolve_waiter_s *next;
} fern__resolve_waiter;

/* The outcome of resolving one key: a declaration, or an error. */
typedef struct fern__resolution_s {
  int done;
  int rc;
  fern_error_t error;
  fern__decl *decl;
  char *resolved_url;
  char *package_url;
  char *package_dir;
  char *context;
  char *scheme;            /* children's relative URLs use this scheme */
  fern__capability *resolver; /* held while the work runs */
  json_t *config_values; /* its package's values of the decl's config */
  fern__resolve_waiter *waiters;
} fern__resolution;

typedef struct fern__resolutions_s {
  uv_loop_t *loop;
  fern__strmap by_key;
  uint64_t timeout_ms; /* a resolution unanswered by then fails; 0: never */
  size_t pending; /* resolutions on worker threads, not yet given up on */
  size_t stuck;   /* given up on (timed out), their workers still busy */
  size_t parses;  /* manifests parsed, for the benchmark and tests */
  /* Where include shards are looked for (the configuration's). */
  char *const *include_dirs;
  size_t include_dir_count;
} fern__resolutions;

void fern__resolutions_init(fern__resolutions *dispatch, uv_loop_t *loop);
void fern__resolutions_free(fern__resolutions *dispatch);

/* What the request needs to know of the parent, for relative URLs. */
typedef struct fern__resolve_parent_s {
  const char *package_url;
  const char *context;
  const char *scheme;
} fern__resolve_parent;

/* Resolves `url_text` with `resolver`, calling cb(arg, res) on
 * the loop thread when done, or at once when the result is cached. */
int fern__resolve_dispatch(fern__resolutions *dispatch, const char *key,
                             const char *url_text,
                             const fern__resolve_parent *parent,
                             fern__capability *resolver, fern__resolved_cb cb,
                             void *arg);

#endif
