/* include.h - CML's include shards: a manifest's "include" names other
 * manifest files (shards) that are merged into it before it is checked,
 * as cmc merges them (Fuchsia's tools/lib/cml/src/load.rs, CmlLoader, and
 * types/document.rs, merge_from). Each entry a shard brings keeps where
 * it came from, so that an error in it names the shard's own file, line
 * and column. Thread-safe: it reads files, on whatever thread parses. */
#ifndef FERN_CORE_INCLUDE_H
#define FERN_CORE_INCLUDE_H

#include <fern/fern.h>
#include <jansson.h>

/* Where shards are looked for: beside the including file (the manifest's
 * directory when it is a local file, else nowhere), the package's meta/
 * (when the manifest comes from a local package), then the directories of
 * --includepath and of the configuration's include_paths, in that order.
 * "//path" is looked for only in the last ones. A shard's name is a plain
 * relative path (no "..", not absolute), opened as a package's files are
 * (package_path.c): nothing a manifest names leads outside the directory
 * it is looked for in, through ".." or a symlink. */
typedef struct fern__include_dirs_s {
  const char *beside;       /* or NULL */
  const char *package_meta; /* or NULL */
  const char *const *dirs;  /* `count` of them */
  size_t count;
} fern__include_dirs;

/* A shard merged into a manifest: its file and text, to place errors. */
typedef struct fern__shard_s {
  char *origin;
  char *text;
  size_t len;
} fern__shard;

/* What the merge made: the shards (index 1 up; 0 is the manifest itself),
 * and for each top-level array the shard and index each element came from
 * ({"use": [[shard, index], ...], "program": {"key": shard}, ...}). */
typedef struct fern__included_s {
  fern__shard *shards;
  size_t shard_count;
  json_t *origins;
} fern__included;

/* Merges the shards `root` (read from `origin`, whose text is `text`)
 * includes, recursively, each file once; removes "include". On error
 * fills `err` with the place of the include or of the conflict. */
int fern__include_merge(json_t *root, const char *origin, const char *text,
                        size_t len, const fern__include_dirs *dirs,
                        fern__included *out, fern_error_t *err);
void fern__included_free(fern__included *inc);

/* Where JSON pointer `pointer` of the merged manifest stands: in the
 * manifest (*text_out set to `text`) or in a shard. Rewrites `pointer`
 * into `local` (the pointer in that file) and returns its origin, or NULL
 * for the manifest itself. */
const char *fern__included_place(const fern__included *inc,
                                 const char *pointer, char *local,
                                 size_t local_size, const char **text_out,
                                 size_t *len_out);

#endif
