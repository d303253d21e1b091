/* storage.h - each component's own directory in a storage capability's
 * backing directory, as Fuchsia's storage capability gives one: keyed by
 * the instance id the component id index pins for its moniker, else by
 * its moniker below the component that declares the storage. Loop
 * thread. */
#ifndef FERN_CORE_STORAGE_H
#define FERN_CORE_STORAGE_H

#include "instance.h"
#include "routes.h"

/* The directory of `user` for `use` (a storage use whose route ended at
 * `end`): its path in `out`; with `make`, made (and its parents in the
 * backing directory, none of them through a symlink). Returns an O_PATH
 * descriptor of it (the caller's to close), or a negative code. */
int fern__storage_dir(const fern__instance *user, const fern__route_decl *use,
                      const fern__route_end *end, int make, char *out,
                      size_t size, fern_error_t *err);

/* Where it is, without making or opening it: the backing directory (its
 * real path, checked) and the key below it ("s/b:0/children/c:0/data" or
 * "s/<instance id>", with the storage's subdir first). */
int fern__storage_path(const fern__instance *user, const fern__route_decl *use,
                       const fern__route_end *end, char *backing, size_t size,
                       char *key, size_t key_size, fern_error_t *err);
/* A component's storage path keyed by moniker ends in "c:0/data": the
 * component's own is "c:0" (with its descendants' "children"); cuts
 * `path` there. An instance id's is left as it is. */
void fern__storage_owned_dir(char *path);
/* Deletes the tree at `path` (no symlink followed). 0, or -1 (errno). */
int fern__storage_remove(const char *path);

/* `instance` leaves the tree for good (a dynamic child destroyed, or a
 * descendant of one): the storage directories of its subtree are
 * deleted, as component_manager deletes a destroyed instance's. */
void fern__storage_forget(const fern__instance *instance);

#endif
