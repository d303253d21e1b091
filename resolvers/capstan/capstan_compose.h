/* capstan_compose.h - a package's image, composed as `capstan package
 * compose` collects one (cmd/package.go's CollectPackage): its runtime's
 * package (capstan_runtime.h), the packages its `require` names, each after the packages it requires in turn
 * (util/repository.go's GetPackageDependencies, depth first), then the
 * package's own files over them, a later file replacing an earlier one.
 * Capstan puts "osv.bootstrap" first of all; fern composes it when a
 * repository has it and otherwise stands in for it. Nothing under meta/
 * is copied, nor what the package's .capstanignore ignores of its own
 * files (capstan_ignore.h).
 *
 * Under them all lies what OSv's own image holds (capstan_osv_base.c).
 * The image is a directory of the resolver's own (capstan_work.h),
 * composed once per resolver, and is the program's root (the ELF
 * runner's "root": "package"). */
#ifndef FERN_RESOLVERS_CAPSTAN_COMPOSE_H
#define FERN_RESOLVERS_CAPSTAN_COMPOSE_H

#include <sys/types.h>

#include "capstan_package.h"

/* Packages nest `require`s at most this deep. */
#define CAPSTAN_REQUIRE_DEPTH_MAX 16

typedef struct capstan_image_s {
  char *dir;        /* the composed image */
  json_t *required; /* the composed packages, in Capstan's order:
                     * [{"name": NAME, "dir": DIR}, ...] */
} capstan_image;

int capstan_compose(const capstan_search *search, capstan_package *pkg,
                    capstan_image *out, fern_error_t *err);
void capstan_image_free(capstan_image *image);

/* Writes what OSv's own image holds under every package (its
 * /etc/hosts, /etc/fstab, /etc/mnttab, /usr/lib/libgcc_s.so.1) into the
 * empty image at `image` (capstan_osv_base.c). */
int capstan_osv_base_write(const char *image, fern_error_t *err);

/* Copies regular file `from` to a new file `to` with `mode`. 0 or -1. */
int capstan_copy_file(const char *from, const char *to, mode_t mode);

/* The program a command's first word names, as OSv's elf.cc finds it in
 * the image: a path from "/", a bare name in "/" then "/usr/lib"; the
 * image's symlinks followed inside it. Its real path, relative, into
 * `out`; -1 (and the word, relative) when the image has no such file. */
int capstan_image_program(const char *image, const char *word, char *out,
                          size_t size);

#endif
