/* capstan_repo.h - finding a Capstan package by name, as Capstan's
 * util/repository.go keeps them, and fern's unpacked directories:
 *
 *   the directory NAME beside the package that names it, then in each
 *   repository REPO (the resolver's "repositories", then $CAPSTAN_ROOT,
 *   else ~/.capstan, as Capstan's util.ConfigDir):
 *     REPO/NAME/                  an unpacked package
 *     REPO/packages/NAME.mpm      what `capstan package pull` stores: a
 *                                 gzip'd (or plain) tar of the package,
 *                                 its members named "/bin/x", with
 *                                 REPO/packages/NAME.yaml beside it
 *
 * An archive is unpacked once into the resolver's work directory (by
 * GNU tar, which refuses members that would land outside it) and then
 * read as an unpacked package. */
#ifndef FERN_RESOLVERS_CAPSTAN_REPO_H
#define FERN_RESOLVERS_CAPSTAN_REPO_H

#include <stddef.h>

#include "capstan_package.h"

/* The directory holding package `name`, found from package directory
 * `from` (NULL: repositories only), into `out` (PATH_MAX). FERN_ENOENT
 * when no one has it. */
int capstan_repo_find(const capstan_search *search, const char *from,
                      const char *name, char *out, size_t size,
                      fern_error_t *err);

/* The resolver's work directory, made (0700) on first use: unpacked
 * archives and composed images live there until the resolver goes. */
int capstan_work_dir(const capstan_search *search, char *out, size_t size,
                     fern_error_t *err);

#endif
