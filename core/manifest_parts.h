/* manifest_parts.h - what the readers of a manifest's routed capabilities
 * share (manifest_routes.c: "use", "offer", "expose"; manifest_provided.c:
 * the protocols, directories and storage of "capabilities"). Each returns
 * FERN_OK or fails the check at its place, as manifest_check.h's do. */
#ifndef FERN_CORE_MANIFEST_PARTS_H
#define FERN_CORE_MANIFEST_PARTS_H

#include "manifest_check.h"

/* The names of a declaration's `kind` key: one, or a nonempty array of
 * unique ones. `names` is the caller's to free. */
int fern__mr_read_names(fern__mcheck *mc, const json_t *entry, const char *at,
                        fern__route_kind kind, const char ***names,
                        size_t *count);
/* "as", "path" or "subdir": only where one capability is named. */
int fern__mr_single_only(fern__mcheck *mc, const json_t *entry, const char *at,
                         const char *key, size_t count);
/* A reference, "parent", "self" or "#name", where `allowed` takes it;
 * "#name" a child, or with `collections` a collection too. */
int fern__mr_read_ref(fern__mcheck *mc, const char *value, const char *p,
                      const char *allowed, int collections, fern__ref *out);
/* The same for the member `key` of `entry` (`fallback` when absent). */
int fern__mr_read_ref_key(fern__mcheck *mc, const json_t *entry,
                          const char *at, const char *key,
                          const char *fallback, const char *allowed,
                          int collections, fern__ref *out);
/* What this component declares by `name`, of any kind, or NULL. */
const fern__provided_decl *fern__mr_declared(const fern__decl *decl,
                                             const char *name);
/* A path below a directory: "a/b", no empty, "." or ".." part. */
int fern__mr_check_relative(fern__mcheck *mc, const char *path, const char *p,
                            const char *key);
/* A directory's "rights" (rights.c); 0 when absent and not required. */
int fern__mr_read_rights(fern__mcheck *mc, const json_t *entry, const char *at,
                         int required, fern__rights *out);

/* One entry of "capabilities" that declares a protocol, directory or
 * storage (manifest_provided.c). */
int fern__mr_read_capability(fern__mcheck *mc, fern__decl *decl,
                             const json_t *entry, const char *at,
                             unsigned index, fern__route_kind kind);
/* A storage backed from self names a directory declared here. */
int fern__mr_check_backing_dirs(fern__mcheck *mc, const fern__decl *decl);

#endif
