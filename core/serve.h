/* serve.h - the protocols components serve, as listening Unix sockets
 * fern owns (systemd's socket activation), and the namespace directory
 * where a component finds what it uses (those sockets, and directories of
 * providers' packages). Loop thread only. */
#ifndef FERN_CORE_SERVE_H
#define FERN_CORE_SERVE_H

#include <fern/runner.h>
#include <uv.h>

#include "instance.h"
#include "routes.h"

/* One protocol of one provider: its socket, and the watch that starts the
 * provider on a connection while it does not run. */
typedef struct fern__served_s {
  fern__instance *provider;
  char *name;
  char path[108];
  int fd;
  uv_poll_t *watch; /* while the provider does not run */
  struct fern__served_s *next;
} fern__served;

/* What a start hands its runner: the sockets it serves and what it uses,
 * with the namespace directory. Freed by fern__serve_plan_free. */
typedef struct fern__serve_plan_s {
  fern_served_capability_t *serves;
  const char **serve_names;
  size_t serve_count;
  fern_used_capability_t *uses;
  size_t use_count;
  char **owned_paths; /* the directories' host paths, freed with the plan */
  size_t owned_count;
  char namespace_dir[80];
  int has_namespace;
} fern__serve_plan;

/* The sockets `provider` serves (each protocol it exposes or offers from
 * itself, made on first need) and the namespace of what it uses (each
 * use followed to its provider's socket, placed as a symlink). */
int fern__serve_plan_make(fern__instance *i, fern__serve_plan *plan,
                          fern_error_t *err);
void fern__serve_plan_free(fern__serve_plan *plan);
/* The directory a followed route ends at: a provider's package (or fern's
 * namespace_capabilities path), the declared path, the route's subdirs;
 * it must be a directory inside that (no symlink out of it). Returns an
 * O_PATH descriptor of the very directory checked (its real path in
 * `out`), or a negative code with the error naming `user` and `use`. */
int fern__route_end_open(const fern__instance *user,
                         const fern__route_decl *use,
                         const fern__route_end *end, char *out, size_t size,
                         fern_error_t *err);
/* Follows `use` of `user` as fern__route_follow does, and for a directory
 * also checks that it is there, a directory inside its provider's
 * package, as a start would (fern check --tree). */
int fern__serve_directory_check(const fern__instance *user,
                                const fern__route_decl *use,
                                fern_error_t *err);

/* Its state changed: a provider that does not run watches its sockets
 * (the first connection starts it); one that runs, or leaves, does not
 * (serve_watch.c). */
void fern__serve_follow_state(fern__instance *i, fern__state from);
/* Whether its sockets are to be watched now. */
int fern__serve_idle(const fern__instance *i);
void fern__serve_watch(fern__served *s);
void fern__serve_unwatch(fern__served *s);
/* Frees its sockets and namespace (it leaves the tree). */
void fern__serve_free(fern__instance *i);
/* fern's socket directory, made (and locked) on first need; the abandoned
 * ones of dead ferns are removed first (serve_dir.c). */
int fern__serve_dir(struct fern__manager_s *manager, fern_error_t *err);
/* Removes fern's socket directory (fern ends). */
void fern__serve_dir_remove(struct fern__manager_s *manager);
/* Removes the abandoned socket directories of dead ferns: how many. */
int fern__serve_dir_sweep(void);


#endif
