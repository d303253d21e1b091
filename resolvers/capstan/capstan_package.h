/* capstan_package.h - a Capstan package (the OSv Capstan layout) and its
 * config sets.
 *
 *   DIR/meta/package.yaml   name: NAME  (title, author, version, require...)
 *   DIR/meta/run.yaml       runtime: native
 *                           config_set:
 *                             SET: {bootcmd: "/bin/x a b", env: {K: V},
 *                                   base: "PACKAGE:SET"}
 *                           config_set_default: SET
 *
 * A config set's `base` names a config set of this or another package; the
 * set takes the base's bootcmd (its own is ignored, as in Capstan), and
 * the base's env with its own keys winning. Other packages are found by
 * name: the directory NAME beside this package, then in each configured
 * repository, whose meta/package.yaml must say `name: NAME`. */
#ifndef FERN_RESOLVERS_CAPSTAN_PACKAGE_H
#define FERN_RESOLVERS_CAPSTAN_PACKAGE_H

#include <jansson.h>

#include <fern/resolver.h>

#include "capstan_runtime.h"
#include "capstan_yaml.h"

/* The deepest chain of bases followed. */
#define CAPSTAN_BASE_DEPTH_MAX 16

typedef struct capstan_package_s {
  char *dir;          /* real directory */
  char *name;         /* from meta/package.yaml */
  capstan_yaml run;   /* meta/run.yaml */
  yaml_node_t *sets;  /* its config_set mapping */
  const char *default_set; /* NULL when there is none; the first */
  json_t *default_sets;    /* config_set_default's list ("a,b"), in order */
  const capstan_runtime *runtime; /* run.yaml's runtime */
  json_t *require;         /* package.yaml's `require`: names, in order */
  char *package_yaml;      /* its path, for errors about `require` */
} capstan_package;

/* The resolver's work directory and what it holds (capstan_repo.c). */
typedef struct capstan_work_s capstan_work;

/* Where packages named by a base or a `require` are looked for
 * (capstan_repo.h). */
typedef struct capstan_search_s {
  const fern_host_t *host;
  const char *const *repositories; /* NULL-terminated, may be empty */
  capstan_work *work; /* unpacked archives and composed images */
  const json_t *required; /* the booted package's composed packages, in
                           * Capstan's order ([{"name", "dir"}]), or NULL */
} capstan_search;

/* What a config set comes to once its bases are applied (Capstan's
 * GetBootCmd): a runscript line of --env options and a command. */
typedef struct capstan_boot_s {
  char *set;        /* the set's name */
  json_t *options;  /* ["KEY?=VALUE", ...]: its env, then its bases' */
  json_t *commands; /* the boot command (capstan_cmdline.h): the
                     * innermost base's when it has bases */
  char *overridden; /* a set on the way whose own bootcmd its base's
                     * replaced, as Capstan ignores it; or NULL */
} capstan_boot;

/* Reads and checks the package at `dir`. */
int capstan_package_open(const fern_host_t *host, const char *dir,
                         capstan_package *pkg, fern_error_t *err);
/* Reads meta/package.yaml alone (name, require): a package composed
 * under another needs no run.yaml. */
int capstan_package_open_info(const fern_host_t *host, const char *dir,
                              capstan_package *pkg, fern_error_t *err);
void capstan_package_close(capstan_package *pkg);

/* Resolves config set `set` (NULL: the default) of `pkg`. */
int capstan_boot_resolve(const capstan_search *search, capstan_package *pkg,
                         const char *set, capstan_boot *out,
                         fern_error_t *err);
void capstan_boot_free(capstan_boot *boot);

#endif
