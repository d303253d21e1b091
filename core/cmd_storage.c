/* cmd_storage.c - fern storage: what storage a tree's components have,
 * whose it is and how big, and deleting one on request (component
 * manager's StorageAdmin list and delete, offline). The tree is resolved,
 * nothing started (offline_tree.c); each component that uses storage has
 * its directory computed as a start would; each directory in a storage's
 * backing directory that no component of the tree claims is listed too,
 * with the moniker (or instance id) its name says. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "log.h"
#include "manager.h"
#include "offline_tree.h"
#include "storage.h"

/* What is found: {"moniker", "storage", "path", "bytes", "in_tree"}, and
 * each storage root ({"root", "at"}: backing directory and subdir, and
 * the moniker that declares the storage) to look for what nobody claims. */
typedef struct found_s {
  json_t *entries;
  json_t *roots;
} found;

static long long tree_bytes;

static int add_bytes(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw) {
  (void)path;
  (void)ftw;
  if (flag == FTW_F)
    tree_bytes += (long long)st->st_size;
  return 0;
}

/* The bytes of the files under `path`, -1 when it is not there. */
static long long bytes_under(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return -1;
  tree_bytes = 0;
  nftw(path, add_bytes, 16, FTW_PHYS);
  return tree_bytes;
}

/* The storage root: the backing directory and the storage's subdir. */
static void note_root(found *f, const char *backing,
                      const fern__route_end *end) {
  char root[PATH_MAX * 2];
  snprintf(root, sizeof root, "%s%s%s", backing,
           end->storage->storage_subdir ? "/" : "",
           end->storage->storage_subdir ? end->storage->storage_subdir : "");
  const char *at = end->storage_at->moniker;
  json_t *entry = json_pack("{s:s, s:s, s:s}", "root", root, "at",
                            strcmp(at, "/") == 0 ? "" : at, "storage",
                            end->storage->name);
  size_t i;
  json_t *known;
  json_array_foreach(f->roots, i, known) {
    if (json_equal(known, entry)) {
      json_decref(entry);
      return;
    }
  }
  json_array_append_new(f->roots, entry);
}

static void visit_component(fern__instance *instance, void *arg) {
  found *f = arg;
  const fern__decl *decl =
      instance->resolution != NULL && instance->resolution->rc == FERN_OK
          ? instance->resolution->decl
          : NULL;
  for (size_t u = 0; decl != NULL && u < decl->use_count; u++) {
    const fern__route_decl *use = &decl->uses[u];
    fern__route_end end;
    fern_error_t err = FERN_ERROR_INIT;
    char backing[PATH_MAX], key[PATH_MAX], path[PATH_MAX * 2];
    if (use->kind != FERN_ROUTE_STORAGE ||
        fern__route_follow_to(instance, use, &end, &err) != FERN_OK ||
        fern__storage_path(instance, use, &end, backing, sizeof backing, key,
                           sizeof key, &err) != FERN_OK) {
      if (use->kind == FERN_ROUTE_STORAGE)
        fern__log(FERN_LOG_WARN, instance->moniker, "%s", err.message);
      continue;
    }
    snprintf(path, sizeof path, "%s/%s", backing, key);
    json_array_append_new(
        f->entries,
        json_pack("{s:s, s:s, s:s, s:I, s:b}", "moniker", instance->moniker,
                  "storage", end.storage->name, "path", path, "bytes",
                  (json_int_t)bytes_under(path), "in_tree", 1));
    note_root(f, backing, &end);
  }
}

/* Whether a component of the tree claims `path` (its own, or below). */
static int claimed(const found *f, const char *path) {
  size_t n = strlen(path), i;
  json_t *e;
  json_array_foreach(f->entries, i, e) {
    const char *p = json_string_value(json_object_get(e, "path"));
    if (strncmp(p, path, n) == 0 && (p[n] == '\0' || p[n] == '/'))
      return 1;
  }
  return 0;
}

/* Whose a directory's name says it is: "x:0" below `at` is at/x; an
 * instance id is whoever the component id index pins to it. */
static void owner_of(const fern__config *config, const char *at,
                     const char *name, char *out, size_t size) {
  size_t n = strlen(name);
  if (n > 2 && strcmp(name + n - 2, ":0") == 0) {
    snprintf(out, size, "%s/%.*s", at, (int)(n - 2), name);
    return;
  }
  const char *moniker;
  json_t *id;
  json_object_foreach(config->id_index, moniker, id) {
    if (strcmp(json_string_value(id), name) == 0) {
      snprintf(out, size, "%s", moniker);
      return;
    }
  }
  snprintf(out, size, "(instance id %s)", name);
}

static void add_unclaimed(found *f, const fern__config *config) {
  size_t i;
  json_t *root;
  json_array_foreach(f->roots, i, root) {
    const char *dir = json_string_value(json_object_get(root, "root"));
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
      char path[PATH_MAX * 2], owner[PATH_MAX];
      if (e->d_name[0] == '.')
        continue;
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      if (claimed(f, path))
        continue;
      owner_of(config, json_string_value(json_object_get(root, "at")),
               e->d_name, owner, sizeof owner);
      json_array_append_new(
          f->entries,
          json_pack("{s:s, s:O, s:s, s:I, s:b}", "moniker", owner, "storage",
                    json_object_get(root, "storage"), "path", path, "bytes",
                    (json_int_t)bytes_under(path), "in_tree", 0));
    }
    if (d != NULL)
      closedir(d);
  }
}

static int is_below(const char *moniker, const char *top) {
  size_t n = strlen(top);
  return strcmp(top, "/") == 0 ||
         (strncmp(moniker, top, n) == 0 &&
          (moniker[n] == '\0' || moniker[n] == '/'));
}

/* --delete MONIKER: the storage of MONIKER and of what is below it. */
static int delete_storage(const found *f, const char *moniker) {
  int deleted = 0, failed = 0;
  size_t i;
  json_t *e;
  json_array_foreach(f->entries, i, e) {
    if (!is_below(json_string_value(json_object_get(e, "moniker")), moniker))
      continue;
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s",
             json_string_value(json_object_get(e, "path")));
    if (json_integer_value(json_object_get(e, "bytes")) < 0)
      continue; /* never made */
    fern__storage_owned_dir(path);
    if (fern__storage_remove(path) != 0) {
      fern__log(FERN_LOG_ERROR, NULL, "cannot delete %s: %m", path);
      failed++;
    } else {
      printf("deleted %s\n", path);
      deleted++;
    }
  }
  if (deleted == 0 && failed == 0)
    fern__log(FERN_LOG_ERROR, NULL, "%s has no storage in this tree's "
                                    "backing directories",
              moniker);
  return deleted > 0 && failed == 0 ? 0 : 1;
}

static void print_entries(const json_t *entries) {
  printf("%-28s %-12s %12s  %s\n", "MONIKER", "STORAGE", "BYTES", "PATH");
  size_t i;
  json_t *e;
  json_array_foreach(entries, i, e) {
    long long bytes = json_integer_value(json_object_get(e, "bytes"));
    char size[32];
    if (bytes < 0)
      snprintf(size, sizeof size, "-");
    else
      snprintf(size, sizeof size, "%lld", bytes);
    printf("%-28s %-12s %12s  %s%s\n",
           json_string_value(json_object_get(e, "moniker")),
           json_string_value(json_object_get(e, "storage")), size,
           json_string_value(json_object_get(e, "path")),
           json_is_true(json_object_get(e, "in_tree"))
               ? (bytes < 0 ? " (not made yet)" : "")
               : " (no such component in this tree)");
  }
}

static int storage_print(const fern__cli *cli, fern__instance *root,
                         const char *url) {
  (void)url;
  found f = {json_array(), json_array()};
  fern__instance_walk(root, visit_component, &f);
  add_unclaimed(&f, root->manager->config);
  int status = 0;
  if (cli->delete_moniker != NULL)
    status = delete_storage(&f, cli->delete_moniker);
  else if (cli->json)
    json_dumpf(f.entries, stdout, JSON_INDENT(2)), putchar('\n');
  else
    print_entries(f.entries);
  json_decref(f.entries);
  json_decref(f.roots);
  return status;
}

int fern__cmd_storage(int argc, char **argv) {
  fern__cli cli = {
      .command = "storage",
      .usage = "fern storage [OPTIONS] URL|PATH",
      .summary =
          "Resolves the tree at URL or PATH, running nothing, and lists the "
          "storage of its\n"
          "components: whose it is, its bytes and its directory; and each "
          "directory in a\n"
          "storage's backing directory that no component of the tree has "
          "(a destroyed or\n"
          "removed one's), with the moniker its name says. --delete "
          "MONIKER deletes the\n"
          "storage of MONIKER and of what is below it. Run it while no "
          "fern runs the tree.",
      .json_allowed = 1,
      .delete_allowed = 1};
  return fern__offline_tree(&cli, argc, argv, storage_print);
}
