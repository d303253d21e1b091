/* storage.h - each component's own directory in a storage capability's
 * backing directory, as Fuchsia's storage capability gives one: keyed by
 * the instance id the component id index pins for its moniker, else by
 * its moniker below the component that declares the storage. Loop
 * thread. */
#ifndef FERN_CORE_STORAGE_H
#define FERN_CORE_STORAGE_H

#include <limits.h>

#include "instance.h"
#include "routes.h"

/* Where one component's storage is. */
typedef struct fern__storage_place_s {
  int backing_fd;             /* O_PATH of the checked backing directory */
  char backing[PATH_MAX];     /* its real path */
  char key[PATH_MAX];         /* below it: "s/b:0/children/c:0/data" or
                               * "s/<instance id>" (s: the storage's subdir) */
  size_t own_len;             /* the key's length up to the component's own
                               * directory: "s/b:0/children/c:0", or all */
  char root[PATH_MAX + 256];  /* backing[/subdir]: the storage's root */
} fern__storage_place;

/* Finds where `user`'s storage for `use` (whose route ended at `end`) is:
 * the backing directory opened and checked, nothing else opened or made.
 * Refuses a storage root that another storage declaration already keeps
 * its users in (their directories would be the same). The caller closes
 * place->backing_fd. */
int fern__storage_locate(const fern__instance *user,
                         const fern__route_decl *use,
                         const fern__route_end *end,
                         fern__storage_place *place, fern_error_t *err);

/* The directory itself: its path in `out`; with `make`, made (and its
 * parents in the backing directory), none of them through a symlink.
 * Returns an O_PATH descriptor of it (the caller's to close), or a
 * negative code. */
int fern__storage_dir(const fern__instance *user, const fern__route_decl *use,
                      const fern__route_end *end, int make, char *out,
                      size_t size, fern_error_t *err);

/* Opens, part by part without following a symlink, the directory that
 * holds the first `len` bytes of `key`'s last part, below `base_fd`:
 * *parent_fd and that part's name in `name`. 0, or -1 with errno
 * (ENOENT: not there). */
int fern__storage_open_parent(int base_fd, const char *key, size_t len,
                              int *parent_fd, char *name, size_t size);

/* Deletes `name` in `parent_fd` and everything below it, through
 * descriptors only (no path is resolved, no symlink followed). A name
 * that is not there is no error. 0, or -1 with errno. */
int fern__storage_remove_at(int parent_fd, const char *name);

/* Each storage `instance` uses, followed and located: `visit` gets its
 * route's end and place (whose backing_fd is closed after it), or NULL
 * for both and why in `err` when it cannot be found. */
typedef void (*fern__storage_visit)(fern__instance *instance,
                                    const fern__route_decl *use,
                                    const fern__route_end *end,
                                    const fern__storage_place *place,
                                    const fern_error_t *err, void *arg);
void fern__storage_each(fern__instance *instance, fern__storage_visit visit,
                        void *arg);

/* `instance` leaves the tree for good (a dynamic child destroyed, with its
 * subtree): what each storage it uses keeps for it is deleted on the
 * thread pool, as component_manager deletes a destroyed instance's. Not
 * while fern itself ends. */
void fern__storage_forget(const fern__instance *instance);

#endif
