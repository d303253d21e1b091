/*
 * resolver.h - the resolver plugin ABI, version 2.
 *
 * A resolver plugin is a shared library that exports one symbol, named by
 * FERN_RESOLVER_SYMBOL, of type fern_resolver_plugin_t, checked like a
 * runner's (see runner.h): same major, struct at least
 * FERN_RESOLVER_PLUGIN_MIN_SIZE, a host_abi_minor no newer than the host's,
 * any minor.
 *
 * A *resolver* is a named, configured use of a plugin, registered in an
 * environment for a URL scheme. It turns a component URL into the
 * component's manifest text, its package directory and a resolution context
 * that relative URLs of its children are resolved against.
 *
 * The context: whatever a resolver needs later to resolve a URL relative to
 * this component ("#meta/child.cm", "sub#meta/child.cm") the same way, and
 * cannot read back from the package URL alone: the package's version or
 * hash, so a child comes from the very package its parent came from even
 * if a newer one was published meanwhile (Fuchsia's resolution context), a
 * mirror it was fetched from, the directory it was unpacked into. The host
 * keeps it opaque, with the component, and hands it back as
 * parent_context. NULL is fine: relative URLs then carry only the parent's
 * package URL.
 *
 * Threads: `validate_config` is pure and may run on any thread (`fern
 * check` calls it with no resolver made). `create` and `release` run on the
 * loop thread. `resolve` and
 * `resolved_free` run on a libuv worker thread, possibly several at once on
 * the same resolver: they may block (read files, talk to a network) and must
 * be thread-safe.
 *
 * Ownership: the request is borrowed. The strings a resolver puts into a
 * fern_resolved_t are its own (malloc'd, say) until the host hands them
 * back through `resolved_free`, which it does exactly once per successful
 * `resolve`. A failing `resolve` fills `err`, returns a negative FERN_E* code
 * and leaves nothing to free.
 *
 * Safety: nothing a URL says may reach outside its package. A resolver
 * refuses "..", absolute fragments and symlinks that lead out
 * (host->package_path does the check) with FERN_EACCES.
 */
#ifndef FERN_RESOLVER_H
#define FERN_RESOLVER_H

#include <fern/fern.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FERN_RESOLVER_ABI_MAJOR 2
#define FERN_RESOLVER_ABI_MINOR 0
#define FERN_RESOLVER_SYMBOL "fern_resolver_v2"

/*
 * One URL to resolve, already parsed, %-decoded and checked by the host: the
 * fragment is a relative path with no "." or ".." segment, the subpackage a
 * single segment. An absolute URL ("file:///pkg#meta/a.cm") comes with
 * authority and path set and parent_* NULL. A relative one ("#meta/a.cm",
 * "sub#meta/a.cm") comes with authority and path NULL, and with the package
 * URL and the context this resolver returned for the parent.
 */
typedef struct fern_resolve_request_s {
  uint32_t struct_size;
  const char *url;       /* as written in the manifest or on the command line */
  const char *scheme;    /* "file"; for relative URLs the parent's scheme */
  const char *authority; /* "" when absent; NULL for relative URLs */
  const char *path;      /* "/abs/dir"; NULL for relative URLs */
  const char *subpackage;/* "sub" for "sub#meta/a.cm", else NULL */
  const char *fragment;  /* "meta/a.cm" */
  const char *parent_package_url; /* relative URLs only */
  const char *parent_context;     /* relative URLs only */
} fern_resolve_request_t;

/* A resolved component. Every string is owned by the resolver until
 * `resolved_free`. */
typedef struct fern_resolved_s {
  uint32_t struct_size;
  char *resolved_url;    /* canonical absolute URL with fragment */
  char *package_url;     /* the package's URL, no fragment */
  char *package_dir;     /* absolute local directory; NULL if not local */
  char *manifest;        /* the manifest text (JSON) */
  size_t manifest_len;   /* its length in bytes */
  char *manifest_origin; /* what error messages call it (a file path) */
  char *context;         /* handed back for children's relative URLs */
} fern_resolved_t;

typedef struct fern_resolver_plugin_s {
  uint32_t abi_major;   /* FERN_RESOLVER_ABI_MAJOR */
  uint32_t abi_minor;   /* FERN_RESOLVER_ABI_MINOR */
  uint32_t struct_size; /* sizeof(fern_resolver_plugin_t) */
  uint32_t host_abi_major; /* FERN_HOST_ABI_MAJOR it was built with */
  uint32_t host_abi_minor; /* the oldest host minor it runs on */
  const char *name;     /* the plugin's name; matches its file name */
  const char *description;
  uint64_t capabilities; /* none defined yet: 0 */

  /* Checks a config block (NULL: none given) as `create` would take it,
   * without making anything; err->key is the JSON pointer of the fault in
   * the block. Pure; any thread. */
  int (*validate_config)(const json_t *config, fern_error_t *err);
  /* Makes a resolver from its config block (may be NULL). Loop thread. */
  int (*create)(const fern_host_t *host, const json_t *config, void **resolver,
                fern_error_t *err);
  /* Frees a resolver; no resolve of it is under way. Loop thread. */
  void (*release)(void *resolver);
  /* Resolves one URL. Worker thread; must be thread-safe. */
  int (*resolve)(void *resolver, const fern_resolve_request_t *request,
                 fern_resolved_t *out, fern_error_t *err);
  /* Frees what a successful resolve put into `out`. Worker thread. */
  void (*resolved_free)(void *resolver, fern_resolved_t *out);
} fern_resolver_plugin_t;

#define FERN_RESOLVER_PLUGIN_MIN_SIZE                                          \
  (offsetof(fern_resolver_plugin_t, resolved_free) +                           \
   sizeof(void (*)(void *, fern_resolved_t *)))

/* Declares the plugin's one exported symbol. */
#define FERN_RESOLVER_PLUGIN(...)                                              \
  FERN_EXPORT const fern_resolver_plugin_t fern_resolver_v2 = {                \
      .abi_major = FERN_RESOLVER_ABI_MAJOR,                                    \
      .abi_minor = FERN_RESOLVER_ABI_MINOR,                                    \
      .struct_size = sizeof(fern_resolver_plugin_t),                           \
      .host_abi_major = FERN_HOST_ABI_MAJOR,                                   \
      .host_abi_minor = FERN_HOST_ABI_MINOR,                                   \
      __VA_ARGS__}

#ifdef __cplusplus
}
#endif

#endif /* FERN_RESOLVER_H */
