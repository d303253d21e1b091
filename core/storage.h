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

/* `instance` leaves the tree for good (a dynamic child destroyed, or a
 * descendant of one): the storage directories of its subtree are
 * deleted, as component_manager deletes a destroyed instance's. */
void fern__storage_forget(const fern__instance *instance);

#endif
