/* manifest_check.h - the helpers manifest validation is written with. Each
 * returns FERN_OK or fills the error with "origin:line:col: message". */
#ifndef FERN_CORE_MANIFEST_CHECK_H
#define FERN_CORE_MANIFEST_CHECK_H

#include "decl.h"

typedef struct fern__mcheck_s {
  const fern__decl *decl; /* text and origin, for positions */
  fern_error_t *err;
  json_t *names; /* children's and collections' names so far: a set */
} fern__mcheck;



int fern__mfail(fern__mcheck *mc, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Refuses any key of `obj` not in the NULL-terminated `allowed`. */
int fern__mcheck_keys(fern__mcheck *mc, const json_t *obj, const char *pointer,
                      const char *what, const char *const *allowed);
/* Reads a string member. Missing: error if `required`, else *out = NULL. */
int fern__mcheck_string(fern__mcheck *mc, const json_t *obj,
                        const char *pointer, const char *key, int required,
                        const char **out);
/* Reads a string member that must be one of `choices`; *index gets its
 * position (left untouched when the member is absent). */
int fern__mcheck_enum(fern__mcheck *mc, const json_t *obj, const char *pointer,
                      const char *key, const char *const *choices, int *index);
/* Checks a name: 1-100 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
int fern__mcheck_name(fern__mcheck *mc, const char *name, const char *pointer,
                      const char *what);
/* Fetches an optional array member; *out is NULL when absent. */
int fern__mcheck_array(fern__mcheck *mc, const json_t *obj,
                       const char *pointer, const char *key, json_t **out);
/* Checks that element `index` of the array at `pointer` is an object. */
int fern__mcheck_object_at(fern__mcheck *mc, const json_t *value,
                           const char *pointer, const char *what);

/* Reads an optional "restart" block of the child or collection at
 * `pointer` into `out` (defaults for what it leaves out). */
int fern__mcheck_restart(fern__mcheck *mc, const json_t *obj,
                         const char *pointer, fern__restart_decl *out);

/* Validates "environments" and "capabilities" into the declaration. */
int fern__manifest_environments(fern__mcheck *mc, fern__decl *decl);
int fern__manifest_capabilities(fern__mcheck *mc, fern__decl *decl);
/* Validates "config", the structured configuration's schema
 * (manifest_config.c). */
int fern__manifest_config(fern__mcheck *mc, fern__decl *decl);
/* A child's "config_overrides" (manifest_config.c): its shape; whether
 * each fits a field of the child is known when the child resolves. *out
 * is the list (borrowed from the manifest), or NULL. */
int fern__manifest_child_overrides(fern__mcheck *mc, const json_t *child,
                                   const char *at, const json_t **out);
/* Checks that each registration "from: #child" names a child; after the
 * children. */
int fern__manifest_environment_children(fern__mcheck *mc,
                                        const fern__decl *decl);
/* Validates the protocols and directories of "capabilities", "use",
 * "offer" and "expose" (manifest_routes.c); after the children and
 * collections. */
int fern__manifest_routes(fern__mcheck *mc, fern__decl *decl);
/* Whether an entry of "capabilities" or "use" is one of the kinds
 * manifest_routes.c reads there (a "protocol", "directory" or "storage";
 * runners and resolvers are manifest_env.c's, and manifest.c's in "use"). */
int fern__decl_routed_entry(const json_t *entry);
/* Refuses a cycle of strong dependencies among self, the children and the
 * collections, made by the offers and uses read so far (manifest_cycles.c);
 * the error names one offer or use of the cycle. */
int fern__manifest_cycles(fern__mcheck *mc, const fern__decl *decl);

#endif
