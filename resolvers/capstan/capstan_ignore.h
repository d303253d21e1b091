/* capstan_ignore.h - a package's .capstanignore, as Capstan's
 * core/capstanignore.go reads it: one pattern a line ('#' starts a
 * comment), each made a regular expression the way
 * transformCapstanignoreToRegex makes it (a star is one level, two stars
 * between slashes any levels, a trailing slash-star everything beneath,
 * anchored at both ends), matched against the path from the package's
 * top ("/dir/file"), with Capstan's own patterns always added
 * (everything under /meta, /mpm-pkg, /.git, /.capstanignore,
 * /.gitignore, /volumes). */
#ifndef FERN_RESOLVERS_CAPSTAN_IGNORE_H
#define FERN_RESOLVERS_CAPSTAN_IGNORE_H

#include <fern/fern.h>
#include <regex.h>
#include <stddef.h>

typedef struct capstan_ignore_s {
  regex_t *patterns;
  size_t count;
} capstan_ignore;

/* The longest pattern taken (its regular expression fits fixed room). */
#define CAPSTAN_IGNORE_PATTERN_MAX 512

/* The patterns of package `dir` (its .capstanignore, if it has one, read
 * as the host reads a package's files). */
int capstan_ignore_load(const fern_host_t *host, const char *dir,
                        capstan_ignore *out, fern_error_t *err);
/* Whether `path` ("/a/b", from the package's top) is ignored. */
int capstan_ignore_match(const capstan_ignore *ignore, const char *path);
void capstan_ignore_free(capstan_ignore *ignore);

#endif
