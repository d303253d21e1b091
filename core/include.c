/* include.c - see include.h. The rules are cmc's:
 * - Finding a shard (load.rs, OsResolver::resolve): beside the including
 *   file first, then the include directories in order; "//path" only in
 *   the include directories (cmc's --includeroot: fern has one list).
 * - Each file is merged once, depth first, its own entries before those
 *   of its includes; a file that includes itself again, directly or not,
 *   is an error (load.rs: "Circular include detected").
 * - Merging (document.rs, merge_from): the entries of "use", "offer",
 *   "expose", "capabilities", "children", "collections" and "environments"
 *   are appended, an entry equal to one already there dropped; "program"
 *   merges key by key, its "runner" and any other scalar or array must
 *   agree, except "environ" and "features", which are appended; "facets"
 *   merge deeply, their arrays appended; "config" fields must agree. */
#include "include.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control_path.h"
#include "decl.h"
#include "json5.h"
#include "json_pos.h"
#include "package_path.h"

#define INCLUDE_DEPTH_MAX 32

typedef struct merger_s {
  const fern__include_dirs *dirs;
  fern__included *out;
  json_t *visited; /* canonical paths of the files merged, as keys */
  json_t *open;    /* those of the files being merged (root to here) */
  json_t *seen;    /* per top-level array: the set of its entries */
  size_t bytes;    /* of the manifest and the shards read so far */
  const char *stack[INCLUDE_DEPTH_MAX + 1]; /* origins, root first */
  size_t depth;
  fern_error_t *err;
} merger;

/* The file (0: the manifest; s: shards[s - 1]) an entry came from. */
static const char *origin_of(const merger *m, size_t file) {
  return file == 0 ? m->stack[0] : m->out->shards[file - 1].origin;
}

static const char *text_of(const merger *m, size_t file, size_t *len) {
  static const char empty[] = "";
  if (file == 0) {
    *len = 0;
    return empty;
  }
  *len = m->out->shards[file - 1].len;
  return m->out->shards[file - 1].text;
}

/* An error at `pointer` of file `file`, with its line and column. */
static int fail_in(merger *m, size_t file, const char *root_text,
                   size_t root_len, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int fail_in(merger *m, size_t file, const char *root_text,
                   size_t root_len, const char *pointer, const char *fmt,
                   ...) {
  char message[sizeof m->err->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  size_t len;
  const char *text = file == 0 ? root_text : text_of(m, file, &len);
  if (file == 0)
    len = root_len;
  int line = 0, col = 0;
  if (text != NULL)
    fern__json_locate(text, len, pointer, &line, &col);
  if (line > 0)
    return fern_error_set(m->err, FERN_EINVAL, NULL, "%s:%d:%d: %s",
                          origin_of(m, file), line, col, message);
  return fern_error_set(m->err, FERN_EINVAL, NULL, "%s: %s",
                        origin_of(m, file), message);
}

/* --- finding and reading shards --- */

/* At most this many shards, and this many bytes of them all together. */
#define SHARDS_MAX 256

/* Opens `rel` in `dir` as a package's file; the descriptor, FERN_ENOENT
 * when it is not there, or another error (a way out of `dir`, not a
 * regular file). The list of places tried grows in `tried`. */
static int open_in(const char *dir, const char *rel, char *found,
                   size_t size, char *tried, size_t tried_size,
                   fern_error_t *err) {
  if (dir == NULL || dir[0] == '\0')
    return FERN_ENOENT;
  size_t used = strlen(tried);
  snprintf(tried + used, tried_size - used, "%s%s", used ? ", " : "", dir);
  fern_error_t why = FERN_ERROR_INIT;
  int fd = fern__package_open(dir, rel, found, size, &why);
  if (fd < 0 && fd != FERN_ENOENT)
    *err = why;
  return fd;
}

/* Opens shard `name` included by the file in directory `beside` (NULL:
 * none); its descriptor and path, or a negative code with `err` set or
 * (not found) `tried` listing where fern looked. */
static int open_shard(const merger *m, const char *beside, const char *name,
                      char *found, size_t size, char *tried,
                      size_t tried_size, fern_error_t *err) {
  int rooted = name[0] == '/' && name[1] == '/';
  const char *rel = rooted ? name + 2 : name;
  tried[0] = '\0';
  if (fern__relative_path_ok(rel, err) != FERN_OK)
    return FERN_EINVAL;
  const char *dirs[3] = {rooted ? NULL : beside,
                         m->dirs ? m->dirs->package_meta : NULL};
  int fd = FERN_ENOENT;
  for (size_t i = 0; fd == FERN_ENOENT && i < 2; i++)
    fd = open_in(dirs[i], rel, found, size, tried, tried_size, err);
  for (size_t i = 0; fd == FERN_ENOENT && m->dirs && i < m->dirs->count; i++)
    fd = open_in(m->dirs->dirs[i], rel, found, size, tried, tried_size, err);
  if (tried[0] == '\0')
    snprintf(tried, tried_size, "no include directory (--includepath DIR)");
  return fd;
}

/* --- merging --- */

/* The origins array of top-level array `key`, made (with the entries
 * already there, from the manifest itself) on first use. */
static json_t *array_origins(merger *m, const char *key, size_t existing) {
  json_t *list = json_object_get(m->out->origins, key);
  if (list != NULL)
    return list;
  list = json_array();
  for (size_t i = 0; i < existing; i++)
    json_array_append_new(list, json_pack("[ii]", 0, (json_int_t)i));
  json_object_set_new(m->out->origins, key, list);
  return list;
}

/* An entry as a key of the set of those in an array: its compact text,
 * keys sorted (equal entries, equal texts). NULL when out of memory. */
static char *entry_key(const json_t *entry) {
  return json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

/* The set of the entries top-level array `key` holds, made on first use:
 * a repeat is found in one lookup, not by comparing with every entry. */
static json_t *array_seen(merger *m, const char *key, const json_t *into) {
  json_t *seen = json_object_get(m->seen, key);
  if (seen != NULL)
    return seen;
  seen = json_object();
  size_t j;
  json_t *have;
  json_array_foreach(into, j, have) {
    char *text = entry_key(have);
    if (text != NULL)
      json_object_set_new(seen, text, json_true());
    free(text);
  }
  json_object_set_new(m->seen, key, seen);
  return seen;
}

/* Appends the entries of `from` that `into` lacks. */
static int merge_array(merger *m, const char *key, json_t *into,
                       json_t *from, size_t file) {
  json_t *origins = array_origins(m, key, json_array_size(into));
  json_t *seen = array_seen(m, key, into);
  size_t i;
  json_t *entry;
  json_array_foreach(from, i, entry) {
    char *text = entry_key(entry);
    int rc = text == NULL ? -1 : 0;
    if (rc == 0 && json_object_get(seen, text) == NULL)
      rc = json_object_set_new(seen, text, json_true()) |
           json_array_append_new(into, json_deep_copy(entry)) |
           json_array_append_new(origins, json_pack("[ii]", (json_int_t)file,
                                                    (json_int_t)i));
    free(text);
    if (rc != 0)
      return -1;
  }
  return 0;
}

/* `pointer` with one more token, escaped as RFC 6901 says. */
static void pointer_join(char *out, size_t size, const char *pointer,
                         const char *token) {
  size_t used = (size_t)snprintf(out, size, "%s/", pointer);
  for (const char *t = token; *t != '\0' && used + 3 < size; t++) {
    if (*t == '~' || *t == '/') {
      out[used++] = '~';
      out[used++] = *t == '~' ? '0' : '1';
    } else {
      out[used++] = *t;
    }
  }
  out[used < size ? used : size - 1] = '\0';
}

static int merge_deep(merger *m, const char *field, const char *pointer,
                      json_t *into, json_t *from, size_t file,
                      const char *const *append);

/* One value of a merged object: `key` of `into` (at `field`, the
 * dotted name a person reads, and `pointer`) and of `from`. */
static int merge_value(merger *m, const char *field, const char *pointer,
                       json_t *into, const char *key, json_t *value,
                       size_t file, const char *const *append) {
  json_t *have = json_object_get(into, key);
  char path[256], at[512];
  snprintf(path, sizeof path, "%s%s%s", field, field[0] ? "." : "", key);
  pointer_join(at, sizeof at, pointer, key);
  if (have == NULL)
    return json_object_set_new(into, key, json_deep_copy(value));
  if (json_equal(have, value))
    return 0;
  if (json_is_object(have) && json_is_object(value))
    return merge_deep(m, path, at, have, value, file, append);
  int appended = 0;
  for (size_t i = 0; append != NULL && append[i] != NULL; i++)
    appended = appended || strcmp(append[i], key) == 0;
  if (json_is_array(have) && json_is_array(value) && (append == NULL || appended))
    return json_array_extend(have, value);
  return fail_in(m, file, NULL, 0, at,
                 "this include has %s \"%s\" that conflicts with the one of "
                 "%s (or of a file it includes): cmc merges shards only "
                 "where they agree",
                 json_is_array(value) ? "array values for field"
                                      : "a value for field",
                 path, origin_of(m, 0));
}

/* Merges object `from` into `into`; arrays are appended where `append`
 * is NULL (everywhere) or names them. */
static int merge_deep(merger *m, const char *field, const char *pointer,
                      json_t *into, json_t *from, size_t file,
                      const char *const *append) {
  const char *key;
  json_t *value;
  json_object_foreach(from, key, value) {
    if (merge_value(m, field, pointer, into, key, value, file, append) != 0)
      return -1;
  }
  return 0;
}

static int merge_program(merger *m, json_t *root, json_t *program,
                         size_t file) {
  static const char *const appended[] = {"environ", "features", NULL};
  json_t *have = json_object_get(root, "program");
  json_t *origins = json_object_get(m->out->origins, "program");
  if (origins == NULL) {
    origins = json_object();
    json_object_set_new(m->out->origins, "program", origins);
  }
  const char *key;
  json_t *value;
  json_object_foreach(program, key, value) {
    if (have == NULL || json_object_get(have, key) == NULL)
      json_object_set_new(origins, key, json_integer((json_int_t)file));
  }
  if (have == NULL)
    return json_object_set_new(root, "program", json_deep_copy(program));
  if (!json_is_object(have))
    return fail_in(m, file, NULL, 0, "/program",
                   "this include has a \"program\" block, and %s a "
                   "\"program\" that is no object", origin_of(m, 0));
  return merge_deep(m, "program", "/program", have, program, file, appended);
}

static int merge_config(merger *m, json_t *root, json_t *config,
                        size_t file) {
  json_t *have = json_object_get(root, "config");
  if (have == NULL)
    return json_object_set_new(root, "config", json_deep_copy(config));
  const char *key;
  json_t *value;
  json_object_foreach(config, key, value) {
    json_t *mine = json_object_get(have, key);
    if (mine == NULL) {
      json_object_set_new(have, key, json_deep_copy(value));
    } else if (!json_equal(mine, value)) {
      char pointer[256];
      pointer_join(pointer, sizeof pointer, "/config", key);
      return fail_in(m, file, NULL, 0, pointer,
                     "conflicting configuration key \"%s\": %s declares it "
                     "otherwise",
                     key, origin_of(m, 0));
    }
  }
  return 0;
}

/* The environment named `name` in `list`, or NULL. */
static json_t *env_named(json_t *list, const char *name) {
  size_t i;
  json_t *env;
  json_array_foreach(list, i, env) {
    const char *n = json_string_value(json_object_get(env, "name"));
    if (n != NULL && name != NULL && strcmp(n, name) == 0)
      return env;
  }
  return NULL;
}

/* Two declarations of one environment merge as cmc merges them
 * (types/environment.rs, Environment::merge_from): "extends" and the
 * stop timeout must agree where both say them, registrations add up. */
static int merge_environment(merger *m, json_t *into, json_t *from,
                             size_t file, size_t index) {
  static const char *const agree[] = {"extends", "__stop_timeout_ms", NULL};
  static const char *const add[] = {"runners", "resolvers", "debug", NULL};
  char at[64];
  for (size_t k = 0; agree[k] != NULL; k++) {
    json_t *mine = json_object_get(into, agree[k]);
    json_t *theirs = json_object_get(from, agree[k]);
    snprintf(at, sizeof at, "/environments/%zu/%s", index, agree[k]);
    if (mine == NULL && theirs != NULL)
      json_object_set_new(into, agree[k], json_deep_copy(theirs));
    else if (theirs != NULL && !json_equal(mine, theirs))
      return fail_in(m, file, NULL, 0, at,
                     "cannot merge environments that declare conflicting "
                     "\"%s\" (with %s)",
                     agree[k], origin_of(m, 0));
  }
  for (size_t k = 0; add[k] != NULL; k++) {
    json_t *mine = json_object_get(into, add[k]);
    json_t *theirs = json_object_get(from, add[k]);
    if (mine == NULL && theirs != NULL)
      json_object_set_new(into, add[k], json_deep_copy(theirs));
    else if (json_is_array(mine) && json_is_array(theirs) &&
             json_array_extend(mine, theirs) != 0)
      return -1;
  }
  return 0;
}

/* "environments": one of a name already there merges into it; a new
 * one is appended. */
static int merge_environments(merger *m, json_t *into, json_t *from,
                              size_t file) {
  json_t *origins = array_origins(m, "environments", json_array_size(into));
  size_t i;
  json_t *env;
  json_array_foreach(from, i, env) {
    json_t *same =
        env_named(into, json_string_value(json_object_get(env, "name")));
    int rc = same != NULL ? merge_environment(m, same, env, file, i)
             : json_array_append_new(into, json_deep_copy(env)) |
                   json_array_append_new(
                       origins, json_pack("[ii]", (json_int_t)file,
                                          (json_int_t)i));
    if (rc != 0)
      return -1;
  }
  return 0;
}

/* One top-level key of a shard into the manifest's document. */
static int merge_key(merger *m, json_t *root, const char *key, json_t *value,
                     size_t file) {
  json_t *have = json_object_get(root, key);
  if (strcmp(key, "program") == 0 && json_is_object(value))
    return merge_program(m, root, value, file);
  if (strcmp(key, "config") == 0 && json_is_object(value) &&
      (have == NULL || json_is_object(have)))
    return merge_config(m, root, value, file);
  if (json_is_array(value) && (have == NULL || json_is_array(have))) {
    if (have == NULL &&
        json_object_set_new(root, key, have = json_array()) != 0)
      return -1;
    return strcmp(key, "environments") == 0
               ? merge_environments(m, have, value, file)
               : merge_array(m, key, have, value, file);
  }
  /* Anything else a shard brings first is placed in the shard. */
  if (have == NULL &&
      json_object_set_new(m->out->origins, key,
                          json_integer((json_int_t)file)) != 0)
    return -1;
  char at[256];
  pointer_join(at, sizeof at, "", key);
  if (have != NULL && json_is_object(have) && json_is_object(value))
    return merge_deep(m, key, at, have, value, file, NULL); /* facets */
  return merge_value(m, "", "", root, key, value, file, NULL);
}

/* Merges one shard's document into the manifest's. */
static int merge_document(merger *m, json_t *root, json_t *shard,
                          size_t file) {
  const char *key;
  json_t *value;
  json_object_foreach(shard, key, value) {
    if (strcmp(key, "include") == 0)
      continue;
    if (merge_key(m, root, key, value, file) != 0) {
      if (m->err->message[0] == '\0') /* jansson's: out of memory */
        fern_error_set(m->err, FERN_ENOMEM, NULL, "%s: out of memory",
                       origin_of(m, file));
      return -1;
    }
  }
  return 0;
}

static int merge_includes(merger *m, json_t *root, json_t *doc, size_t file,
                          const char *root_text, size_t root_len);

/* Opens and reads shard `name`, which `from` includes at `pointer`, into
 * a new entry of the shards; its index, or 0 when merged already, or -1
 * (failed). */
static long read_shard(merger *m, size_t from, const char *root_text,
                       size_t root_len, const char *name,
                       const char *pointer) {
  char found[PATH_MAX], tried[2048], beside[PATH_MAX];
  const char *dir = from == 0 ? (m->dirs ? m->dirs->beside : NULL) : beside;
  if (from > 0)
    fern__control_dir_of(m->out->shards[from - 1].origin, beside,
                         sizeof beside);
  fern_error_t why = FERN_ERROR_INIT;
  int fd = open_shard(m, dir, name, found, sizeof found, tried, sizeof tried,
                      &why);
  if (fd == FERN_ENOENT)
    return fail_in(m, from, root_text, root_len, pointer,
                   "include \"%s\" not found; looked in %s", name, tried);
  if (fd < 0)
    return fail_in(m, from, root_text, root_len, pointer, "include \"%s\": %s",
                   name, why.message);
  if (json_object_get(m->open, found) != NULL) {
    close(fd);
    return fail_in(m, from, root_text, root_len, pointer,
                   "circular include: %s is already being included", found);
  }
  if (json_object_get(m->visited, found) != NULL) {
    close(fd);
    return 0; /* merged once already */
  }
  if (m->depth == INCLUDE_DEPTH_MAX || m->out->shard_count == SHARDS_MAX) {
    close(fd);
    return fail_in(m, from, root_text, root_len, pointer,
                   "includes nest deeper than %d files, or number more than "
                   "%d", INCLUDE_DEPTH_MAX, SHARDS_MAX);
  }
  fern__shard shard = {strdup(found), NULL, 0};
  size_t room = FERN__MANIFEST_MAX - m->bytes;
  shard.text = fern__package_read_fd(fd, room, &shard.len);
  close(fd);
  fern__shard *grown = realloc(m->out->shards, (m->out->shard_count + 1) *
                                                   sizeof *grown);
  if (grown != NULL)
    m->out->shards = grown;
  if (shard.origin == NULL || shard.text == NULL || grown == NULL) {
    free(shard.origin);
    free(shard.text);
    return fail_in(m, from, root_text, root_len, pointer,
                   "include \"%s\": %s cannot be read, or the shards come "
                   "to more than %u bytes with the manifest",
                   name, found, FERN__MANIFEST_MAX);
  }
  m->bytes += shard.len;
  json_object_set_new(m->visited, found, json_true());
  m->out->shards[m->out->shard_count++] = shard;
  return (long)m->out->shard_count;
}

/* Reads, parses and merges shard `name`, which `from` includes at
 * "/include/index", then its own includes. */
static int merge_shard(merger *m, json_t *root, size_t from,
                       const char *root_text, size_t root_len,
                       const char *name, size_t index) {
  char pointer[48];
  snprintf(pointer, sizeof pointer, "/include/%zu", index);
  long read = read_shard(m, from, root_text, root_len, name, pointer);
  if (read <= 0)
    return (int)read;
  size_t file = (size_t)read;
  const fern__shard *shard = &m->out->shards[file - 1];
  fern__json5_error jerr;
  json_t *doc = fern__json5_parse(shard->text, shard->len, &jerr);
  int rc;
  if (doc == NULL)
    rc = fern_error_set(m->err, FERN_EINVAL, NULL, "%s:%d:%d: %s",
                        shard->origin, jerr.line, jerr.column, jerr.text);
  else if (!json_is_object(doc))
    rc = fail_in(m, file, NULL, 0, "", "a shard must be a JSON object");
  else {
    m->stack[++m->depth] = shard->origin;
    json_object_set_new(m->open, shard->origin, json_true());
    rc = merge_document(m, root, doc, file);
    if (rc == 0)
      rc = merge_includes(m, root, doc, file, NULL, 0);
    json_object_del(m->open, m->out->shards[file - 1].origin);
    m->depth--;
  }
  json_decref(doc);
  return rc;
}

static int merge_includes(merger *m, json_t *root, json_t *doc, size_t file,
                          const char *root_text, size_t root_len) {
  json_t *list = json_object_get(doc, "include");
  if (list == NULL)
    return 0;
  if (!json_is_array(list))
    return fail_in(m, file, root_text, root_len, "/include",
                   "\"include\" must be an array of file names");
  /* Merging may add to the manifest's own "include": take a copy. */
  json_t *names = json_deep_copy(list);
  size_t i;
  json_t *name;
  int rc = 0;
  json_array_foreach(names, i, name) {
    char pointer[48];
    snprintf(pointer, sizeof pointer, "/include/%zu", i);
    if (!json_is_string(name))
      rc = fail_in(m, file, root_text, root_len, pointer,
                   "an include is a file name");
    else
      rc = merge_shard(m, root, file, root_text, root_len,
                       json_string_value(name), i);
    if (rc != 0)
      break;
  }
  json_decref(names);
  return rc;
}

int fern__include_merge(json_t *root, const char *origin, const char *text,
                        size_t len, const fern__include_dirs *dirs,
                        fern__included *out, fern_error_t *err) {
  memset(out, 0, sizeof *out);
  if (json_object_get(root, "include") == NULL)
    return FERN_OK;
  merger m = {.dirs = dirs, .out = out, .visited = json_object(),
              .open = json_object(), .seen = json_object(), .bytes = len,
              .stack = {origin},
              .err = err};
  out->origins = json_object();
  char canonical[PATH_MAX];
  if (dirs != NULL && dirs->beside != NULL &&
      realpath(origin, canonical) != NULL) {
    json_object_set_new(m.visited, canonical, json_true());
    json_object_set_new(m.open, canonical, json_true());
  }
  int rc = merge_includes(&m, root, root, 0, text, len);
  json_decref(m.visited);
  json_decref(m.open);
  json_decref(m.seen);
  json_object_del(root, "include");
  return rc == 0 ? FERN_OK : FERN_EINVAL;
}

void fern__included_free(fern__included *inc) {
  for (size_t i = 0; i < inc->shard_count; i++) {
    free(inc->shards[i].origin);
    free(inc->shards[i].text);
  }
  free(inc->shards);
  json_decref(inc->origins);
  memset(inc, 0, sizeof *inc);
}

const char *fern__included_place(const fern__included *inc,
                                 const char *pointer, char *local,
                                 size_t local_size, const char **text_out,
                                 size_t *len_out) {
  if (inc == NULL || inc->origins == NULL || pointer[0] != '/')
    return NULL;
  char key[128];
  size_t n = strcspn(pointer + 1, "/");
  if (n >= sizeof key)
    return NULL;
  memcpy(key, pointer + 1, n);
  key[n] = '\0';
  const char *rest = pointer + 1 + n;
  json_t *origins = json_object_get(inc->origins, key);
  json_int_t file = json_is_integer(origins) ? json_integer_value(origins) : 0;
  json_int_t index = -1;
  if (json_is_array(origins) && rest[0] == '/') {
    char *end;
    long at = strtol(rest + 1, &end, 10);
    json_t *pair = at >= 0 ? json_array_get(origins, (size_t)at) : NULL;
    if (pair != NULL && end != rest + 1) {
      file = json_integer_value(json_array_get(pair, 0));
      index = json_integer_value(json_array_get(pair, 1));
      rest = end;
    }
  } else if (json_is_object(origins) && rest[0] == '/') {
    char sub[128];
    size_t m = strcspn(rest + 1, "/");
    if (m < sizeof sub) {
      memcpy(sub, rest + 1, m);
      sub[m] = '\0';
      file = json_integer_value(json_object_get(origins, sub));
    }
  }
  if (file <= 0 || (size_t)file > inc->shard_count)
    return NULL;
  if (index >= 0)
    snprintf(local, local_size, "/%s/%lld%s", key, (long long)index, rest);
  else
    snprintf(local, local_size, "%s", pointer);
  const fern__shard *s = &inc->shards[file - 1];
  *text_out = s->text;
  *len_out = s->len;
  return s->origin;
}
