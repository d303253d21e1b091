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
#include <sys/stat.h>

#include "decl.h"
#include "json5.h"
#include "json_pos.h"

#define INCLUDE_DEPTH_MAX 32

typedef struct merger_s {
  const fern__include_dirs *dirs;
  fern__included *out;
  json_t *visited; /* canonical paths of the files merged, as keys */
  json_t *open;    /* those of the files being merged (root to here) */
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

static int is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Tries dir/name; 1 and the path in `found` if it is a file. The list of
 * places tried grows in `tried`. */
static int try_in(const char *dir, const char *name, char *found,
                  size_t size, char *tried, size_t tried_size) {
  if (dir == NULL || dir[0] == '\0')
    return 0;
  size_t used = strlen(tried);
  snprintf(tried + used, tried_size - used, "%s%s", used ? ", " : "", dir);
  int n = snprintf(found, size, "%s/%s", dir, name);
  return n > 0 && (size_t)n < size && is_file(found);
}

/* The directory of a file path, or "" when the origin is no path. */
static void dir_of(const char *origin, char *out, size_t size) {
  out[0] = '\0';
  if (strstr(origin, "://") != NULL)
    return;
  const char *slash = strrchr(origin, '/');
  if (slash == NULL)
    snprintf(out, size, ".");
  else if (slash == origin)
    snprintf(out, size, "/");
  else
    snprintf(out, size, "%.*s", (int)(slash - origin), origin);
}

/* Finds shard `name` included by `from`; 0, or -1 with `tried` set. */
static int find_shard(const merger *m, const char *from, const char *name,
                      char *found, size_t size, char *tried,
                      size_t tried_size) {
  tried[0] = '\0';
  if (name[0] == '/' && name[1] != '/') {
    snprintf(found, size, "%s", name);
    snprintf(tried, tried_size, "(an absolute path)");
    return is_file(found) ? 0 : -1;
  }
  int rooted = name[0] == '/';
  const char *rel = rooted ? name + 2 : name;
  char here[PATH_MAX];
  dir_of(from, here, sizeof here);
  if (!rooted && try_in(here, rel, found, size, tried, tried_size))
    return 0;
  if (try_in(m->dirs ? m->dirs->package_meta : NULL, rel, found, size, tried,
             tried_size))
    return 0;
  for (size_t i = 0; m->dirs != NULL && i < m->dirs->count; i++)
    if (try_in(m->dirs->dirs[i], rel, found, size, tried, tried_size))
      return 0;
  if (tried[0] == '\0')
    snprintf(tried, tried_size, "no include directory (--includepath DIR)");
  return -1;
}

static char *read_text(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  char *text = NULL;
  size_t cap = 0, used = 0, n;
  char chunk[65536];
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 &&
         used + n <= FERN__MANIFEST_MAX) {
    if (used + n + 1 > cap) {
      cap = (used + n + 1) * 2;
      char *grown = realloc(text, cap);
      if (grown == NULL) {
        free(text);
        fclose(f);
        return NULL;
      }
      text = grown;
    }
    memcpy(text + used, chunk, n);
    used += n;
  }
  fclose(f);
  if (text == NULL)
    text = calloc(1, 1);
  if (text != NULL)
    text[used] = '\0';
  *len = used;
  return text;
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

/* Appends the entries of `from` that `into` lacks. */
static void merge_array(merger *m, const char *key, json_t *into,
                        json_t *from, size_t file) {
  json_t *origins = array_origins(m, key, json_array_size(into));
  size_t i, j;
  json_t *entry, *have;
  json_array_foreach(from, i, entry) {
    int dup = 0;
    json_array_foreach(into, j, have) dup = dup || json_equal(have, entry);
    if (dup)
      continue;
    json_array_append_new(into, json_deep_copy(entry));
    json_array_append_new(origins, json_pack("[ii]", (json_int_t)file,
                                             (json_int_t)i));
  }
}

static int merge_deep(merger *m, const char *field, json_t *into,
                      json_t *from, size_t file, const char *const *append);

/* One value of a merged object: `key` of `into` and of `from`. */
static int merge_value(merger *m, const char *field, json_t *into,
                       const char *key, json_t *value, size_t file,
                       const char *const *append) {
  json_t *have = json_object_get(into, key);
  char path[256];
  snprintf(path, sizeof path, "%s%s%s", field, field[0] ? "." : "", key);
  if (have == NULL)
    return json_object_set_new(into, key, json_deep_copy(value));
  if (json_equal(have, value))
    return 0;
  if (json_is_object(have) && json_is_object(value))
    return merge_deep(m, path, have, value, file, append);
  int appended = 0;
  for (size_t i = 0; append != NULL && append[i] != NULL; i++)
    appended = appended || strcmp(append[i], key) == 0;
  if (json_is_array(have) && json_is_array(value) && (append == NULL || appended))
    return json_array_extend(have, value);
  char pointer[256];
  snprintf(pointer, sizeof pointer, "/%s", path);
  for (char *dot = strchr(pointer, '.'); dot; dot = strchr(dot, '.'))
    *dot = '/';
  return fail_in(m, file, NULL, 0, pointer,
                 "this include has %s \"%s\" that conflicts with the one of "
                 "%s (or of a file it includes): cmc merges shards only "
                 "where they agree",
                 json_is_array(value) ? "array values for field"
                                      : "a value for field",
                 path, origin_of(m, 0));
}

/* Merges object `from` into `into`; arrays are appended where `append`
 * is NULL (everywhere) or names them. */
static int merge_deep(merger *m, const char *field, json_t *into,
                      json_t *from, size_t file, const char *const *append) {
  const char *key;
  json_t *value;
  json_object_foreach(from, key, value) {
    if (merge_value(m, field, into, key, value, file, append) != 0)
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
  return merge_deep(m, "program", have, program, file, appended);
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
      snprintf(pointer, sizeof pointer, "/config/%s", key);
      return fail_in(m, file, NULL, 0, pointer,
                     "conflicting configuration key \"%s\": %s declares it "
                     "otherwise",
                     key, origin_of(m, 0));
    }
  }
  return 0;
}

/* Merges one shard's document into the manifest's. */
static int merge_document(merger *m, json_t *root, json_t *shard,
                          size_t file) {
  const char *key;
  json_t *value;
  json_object_foreach(shard, key, value) {
    json_t *have = json_object_get(root, key);
    int rc = 0;
    if (strcmp(key, "include") == 0)
      continue;
    if (strcmp(key, "program") == 0 && json_is_object(value))
      rc = merge_program(m, root, value, file);
    else if (strcmp(key, "config") == 0 && json_is_object(value) &&
             (have == NULL || json_is_object(have)))
      rc = merge_config(m, root, value, file);
    else if (json_is_array(value) && (have == NULL || json_is_array(have))) {
      if (have == NULL) {
        have = json_array();
        json_object_set_new(root, key, have);
      }
      merge_array(m, key, have, value, file);
    } else if (have == NULL)
      rc = json_object_set_new(root, key, json_deep_copy(value));
    else if (json_is_object(have) && json_is_object(value))
      rc = merge_deep(m, key, have, value, file, NULL); /* facets */
    else if (!json_equal(have, value))
      rc = merge_value(m, "", root, key, value, file, NULL);
    if (rc != 0)
      return -1;
  }
  return 0;
}

static int merge_includes(merger *m, json_t *root, json_t *doc, size_t file,
                          const char *root_text, size_t root_len);

/* Reads, parses and merges shard `name`, which `from` includes at
 * "/include/index", then its own includes. */
static int merge_shard(merger *m, json_t *root, size_t from,
                       const char *root_text, size_t root_len,
                       const char *name, size_t index) {
  char found[PATH_MAX], tried[2048], canonical[PATH_MAX], pointer[48];
  snprintf(pointer, sizeof pointer, "/include/%zu", index);
  if (find_shard(m, origin_of(m, from), name, found, sizeof found, tried,
                 sizeof tried) != 0)
    return fail_in(m, from, root_text, root_len, pointer,
                   "include \"%s\" not found; looked in %s", name, tried);
  if (realpath(found, canonical) == NULL)
    snprintf(canonical, sizeof canonical, "%s", found);
  if (json_object_get(m->open, canonical) != NULL)
    return fail_in(m, from, root_text, root_len, pointer,
                   "circular include: %s is already being included", found);
  if (json_object_get(m->visited, canonical) != NULL)
    return 0; /* merged once already */
  if (m->depth == INCLUDE_DEPTH_MAX)
    return fail_in(m, from, root_text, root_len, pointer,
                   "includes nest deeper than %d files",
                   INCLUDE_DEPTH_MAX);
  json_object_set_new(m->visited, canonical, json_true());
  fern__shard shard = {strdup(found), NULL, 0};
  shard.text = read_text(found, &shard.len);
  fern__shard *grown = realloc(m->out->shards, (m->out->shard_count + 1) *
                                                   sizeof *grown);
  if (shard.origin == NULL || shard.text == NULL || grown == NULL) {
    free(shard.origin);
    free(shard.text);
    if (grown != NULL)
      m->out->shards = grown;
    return fail_in(m, from, root_text, root_len, pointer,
                   "include \"%s\": cannot read %s", name, found);
  }
  m->out->shards = grown;
  m->out->shards[m->out->shard_count++] = shard;
  size_t file = m->out->shard_count;
  fern__json5_error jerr;
  json_t *doc = fern__json5_parse(shard.text, shard.len, &jerr);
  int rc;
  if (doc == NULL)
    rc = fern_error_set(m->err, FERN_EINVAL, NULL, "%s:%d:%d: %s",
                        shard.origin, jerr.line, jerr.column, jerr.text);
  else if (!json_is_object(doc))
    rc = fail_in(m, file, NULL, 0, "", "a shard must be a JSON object");
  else {
    m->stack[++m->depth] = m->out->shards[file - 1].origin;
    json_object_set_new(m->open, canonical, json_true());
    rc = merge_document(m, root, doc, file);
    if (rc == 0)
      rc = merge_includes(m, root, doc, file, NULL, 0);
    json_object_del(m->open, canonical);
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
  merger m = {dirs, out, json_object(), json_object(), {origin}, 0, err};
  out->origins = json_object();
  char canonical[PATH_MAX];
  if (strstr(origin, "://") == NULL && realpath(origin, canonical) != NULL) {
    json_object_set_new(m.visited, canonical, json_true());
    json_object_set_new(m.open, canonical, json_true());
  }
  int rc = merge_includes(&m, root, root, 0, text, len);
  json_decref(m.visited);
  json_decref(m.open);
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
  json_int_t file = 0, index = -1;
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
