/* decl.h - a component declaration: a validated manifest, as C structs.
 * Strings point into `json` (jansson keeps them while the root lives). */
#ifndef FERN_CORE_DECL_H
#define FERN_CORE_DECL_H

#include <fern/fern.h>
#include <stdint.h>

/* What a manifest declares of environments and capabilities is the
 * environment layer's model. */
#include "../environments/environment.h"
#include "config_schema.h"
#include "include.h"
#include "rights.h"

/* The longest child, collection or environment name. */
#define FERN_NAME_MAX 100

/* A JSON pointer buffer big enough for any path a manifest error names. */
typedef char fern__pointer[160];

typedef enum { FERN_STARTUP_LAZY, FERN_STARTUP_EAGER } fern__startup;
typedef enum { FERN_ON_TERMINATE_NONE, FERN_ON_TERMINATE_REBOOT } fern__on_terminate;
typedef enum { FERN_DURABILITY_TRANSIENT, FERN_DURABILITY_SINGLE_RUN } fern__durability;

typedef enum {
  FERN_RESTART_NEVER,
  FERN_RESTART_ON_FAILURE,
  FERN_RESTART_ALWAYS
} fern__restart_policy;

/* When and how fast a component that ended by itself is started again. */
typedef struct fern__restart_decl_s {
  fern__restart_policy policy;
  uint64_t initial_delay_ms; /* the first backoff */
  double multiplier;         /* each next backoff, up to max_delay_ms */
  uint64_t max_delay_ms;
  uint32_t burst_count;      /* at most this many restarts ... */
  uint64_t burst_window_ms;  /* ... within this window, else give up */
  uint64_t reset_after_ms;   /* a run this long resets the backoff */
} fern__restart_decl;

/* The defaults of a "restart" block's missing keys. */
#define FERN_RESTART_DEFAULTS {FERN_RESTART_NEVER, 100, 2.0, 30000, 5, 60000, 10000}

typedef struct fern__child_decl_s {
  const char *name;
  const char *url;
  fern__startup startup;
  const char *environment; /* "name" without '#', or NULL */
  fern__on_terminate on_terminate;
  fern__restart_decl restart;
  /* [{"key": K, "value": V}]: values of its config the parent sets, or
   * NULL; borrowed from the manifest (manifest_config.c). */
  const json_t *config_overrides;
} fern__child_decl;

typedef struct fern__collection_decl_s {
  const char *name;
  fern__durability durability;
  const char *environment; /* or NULL */
  fern__restart_decl restart;
} fern__collection_decl;

/* A runner or resolver this component provides: a configured plugin. */
typedef struct fern__capability_decl_s {
  fern__cap_kind kind;
  const char *name;
  const char *plugin;
  json_t *config; /* borrowed from the root; may be NULL */
} fern__capability_decl;

/* Where a route comes from or goes to: the parent, this component, or a
 * child or collection of it ("#name"). */
typedef enum { FERN_REF_PARENT, FERN_REF_SELF, FERN_REF_CHILD } fern__ref_kind;
typedef struct fern__ref_s {
  fern__ref_kind kind;
  const char *name; /* FERN_REF_CHILD: the child's or collection's name */
} fern__ref;

/* The kinds of capability "use", "offer" and "expose" route. */
typedef enum {
  FERN_ROUTE_PROTOCOL,  /* a socket fern owns, served by a program */
  FERN_ROUTE_DIRECTORY, /* a directory of the provider's package */
  FERN_ROUTE_STORAGE,   /* a directory of the user's own, in a backing
                         * directory (Fuchsia's storage capability) */
  FERN_ROUTE_RUNNER,    /* a runner ("capabilities": a configured plugin),
                         * offered and exposed up to an environment */
  FERN_ROUTE_RESOLVER   /* a resolver, likewise */
} fern__route_kind;

/* How a storage capability keys each user's directory (CML's storage_id):
 * by the instance id the component id index pins for its moniker, else
 * by its moniker; or only by an instance id. */
typedef enum {
  FERN_STORAGE_ID_OR_MONIKER,
  FERN_STORAGE_ID_ONLY
} fern__storage_id;

/* "protocol", "directory", "storage", "runner" or "resolver": the key
 * that names one. */
const char *fern__route_kind_name(fern__route_kind kind);

/* A protocol this component serves, or a directory it shares
 * ("capabilities"). */
typedef struct fern__provided_decl_s {
  fern__route_kind kind;
  const char *name;
  /* protocol: where the program serves it, or NULL; directory: where it
   * is in the package (relative to the package's root) */
  const char *path;
  fern__rights rights; /* directory: what it may be given */
  /* storage: where its backing directory comes from, named there
   * (backing_dir), and the subdirectory of it the users' go in */
  fern__ref backing_from;
  const char *backing_dir;
  const char *storage_subdir; /* or NULL */
  fern__storage_id storage_id;
  unsigned index; /* its entry in "capabilities" */
} fern__provided_decl;

/* Longest path a used capability may have in a namespace: the namespace
 * directory goes before it, and a Unix socket address holds 108 bytes. */
#define FERN_USE_PATH_MAX 64

/* One capability routed by "use", "offer" or "expose" (a declaration
 * naming several, or an offer to several targets, is one per pair). */
typedef struct fern__route_decl_s {
  fern__route_kind kind;
  const char *name;   /* the capability's name at `from` */
  const char *target; /* its name where it goes ("as"), else `name` */
  fern__ref from;
  fern__ref to;       /* offer: the child or collection; use: self;
                       * expose: the parent */
  char path[FERN_USE_PATH_MAX + 1]; /* use: where it appears */
  int weak;           /* "dependency": "weak" */
  int optional;       /* use: "availability": "optional" */
  unsigned index;     /* its entry in "use", "offer" or "expose" */
  /* directory: the rights it asks for (use) or narrows to (offer,
   * expose; 0 there: as the source gives), and the subdirectory of the
   * source it hands on, or NULL */
  fern__rights rights;
  const char *subdir;
} fern__route_decl;

typedef struct fern__decl_s {
  json_t *json;          /* owned */
  char *origin;          /* owned: the file name errors use */
  char *text;            /* owned: the manifest text, to place errors */
  size_t text_len;
  json_t *program;       /* borrowed; NULL for a pure realm */
  const char *runner;    /* program.runner, else the used runner, or NULL */
  const char *runner_key;/* JSON pointer of where the runner was named */
  fern__child_decl *children;
  size_t child_count;
  fern__collection_decl *collections;
  size_t collection_count;
  fern__env_decl *environments;
  size_t environment_count;
  fern__capability_decl *capabilities;
  size_t capability_count;
  fern__provided_decl *provided;
  size_t provided_count;
  fern__route_decl *uses, *offers, *exposes; /* protocols, directories */
  size_t use_count, offer_count, expose_count;
  fern__included included; /* the shards merged in, to place errors */
  fern__config_field *config_fields; /* "config": its structured config */
  size_t config_field_count;
} fern__decl;

/* The largest manifest fern parses, whichever resolver brought it. */
#define FERN__MANIFEST_MAX (16u << 20)

/* Parses and validates manifest text. On error writes "origin:line:col:
 * message" to `err` and returns a negative code. Thread-safe. */
int fern__decl_parse(const char *text, size_t len, const char *origin,
                     fern__decl **out, fern_error_t *err);
/* The same, with where its include shards are looked for (include.h);
 * `dirs` may be NULL: then only beside the manifest's file. */
int fern__decl_parse_in(const char *text, size_t len, const char *origin,
                        const fern__include_dirs *dirs, fern__decl **out,
                        fern_error_t *err);
void fern__decl_free(fern__decl *decl);

const fern__env_decl *fern__decl_find_env(const fern__decl *decl,
                                          const char *name);
const fern__capability_decl *fern__decl_find_capability(
    const fern__decl *decl, fern__cap_kind kind, const char *name);
const fern__collection_decl *fern__decl_find_collection(const fern__decl *decl,
                                                        const char *name);

/* Formats "origin:line:col: message" for a fault at JSON pointer `pointer`
 * of the declaration's text. */
int fern__decl_error(const fern__decl *decl, fern_error_t *err, int code,
                     const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
