/* cmd_storage.c - fern storage: what storage a tree's components have,
 * whose it is and how big, and deleting one on request (component
 * manager's StorageAdmin list and delete, offline). The tree is resolved,
 * nothing started (offline_tree.c); each component that uses storage has
 * its directory found as a start would find it; each directory in a
 * storage's root that no component of the tree claims ("x:0", at any depth
 * of "children", or an instance id) is listed too, with the moniker its
 * name says. Below a backing directory everything is reached through
 * descriptors, never through a symlink (storage.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "manager.h"
#include "offline_tree.h"
#include "storage.h"

/* Each entry: {"moniker", "storage", "path", "bytes", "in_tree",
 * "backing", "own"} (own: the key of the component's own directory below
 * the backing directory). Each root: {"backing", "subdir", "at",
 * "storage"}. */
typedef struct found_s {
  json_t *entries;
  json_t *roots;
  const fern__config *config;
} found;

/* The bytes of the files below `name` in `dir_fd`, through descriptors;
 * -1 when it is not there. */
static long long bytes_at(int dir_fd, const char *name) {
  struct stat st;
  if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return -1;
  if (!S_ISDIR(st.st_mode))
    return S_ISREG(st.st_mode) ? (long long)st.st_size : 0;
  int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
  if (dir == NULL) {
    if (fd >= 0)
      close(fd);
    return 0;
  }
  long long total = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      long long n = bytes_at(dirfd(dir), e->d_name);
      total += n > 0 ? n : 0;
    }
  closedir(dir);
  return total;
}

/* The bytes below `key` (its first `len` bytes) of the backing directory. */
static long long bytes_of(int backing_fd, const char *key, size_t len) {
  int parent;
  char name[NAME_MAX + 1];
  if (fern__storage_open_parent(backing_fd, key, len, &parent, name,
                                sizeof name) != 0)
    return -1;
  long long n = bytes_at(parent, name);
  close(parent);
  return n;
}

static void add_entry(found *f, const char *moniker, const char *storage,
                      const char *backing, const char *own, const char *shown,
                      long long bytes, int in_tree) {
  char path[PATH_MAX * 2];
  snprintf(path, sizeof path, "%s/%s", backing, shown);
  json_t *entry = json_pack("{s:s, s:s, s:s, s:I, s:b, s:s, s:s}", "moniker",
                            moniker, "storage", storage, "path", path,
                            "bytes", (json_int_t)bytes, "in_tree", in_tree,
                            "backing", backing, "own", own);
  if (entry != NULL)
    json_array_append_new(f->entries, entry);
}

static void note_root(found *f, const fern__storage_place *p,
                      const fern__route_end *end) {
  const char *at = end->storage_at->moniker;
  json_t *entry = json_pack(
      "{s:s, s:s, s:s, s:s}", "backing", p->backing, "subdir",
      end->storage->storage_subdir ? end->storage->storage_subdir : "", "at",
      strcmp(at, "/") == 0 ? "" : at, "storage", end->storage->name);
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

static void visit_storage(fern__instance *instance,
                          const fern__route_decl *use,
                          const fern__route_end *end,
                          const fern__storage_place *p,
                          const fern_error_t *err, void *arg) {
  found *f = arg;
  (void)use;
  if (p == NULL) {
    fern__log(FERN_LOG_WARN, instance->moniker, "%s", err->message);
    return;
  }
  char own[PATH_MAX];
  snprintf(own, sizeof own, "%.*s", (int)p->own_len, p->key);
  add_entry(f, instance->moniker, end->storage->name, p->backing, own, p->key,
            bytes_of(p->backing_fd, p->key, strlen(p->key)), 1);
  note_root(f, p, end);
}

static void visit_component(fern__instance *instance, void *arg) {
  fern__storage_each(instance, visit_storage, arg);
}

/* Whether a component of the tree has `own` (in `backing`) as its own. */
static int claimed(const found *f, const char *backing, const char *own) {
  size_t i;
  json_t *e;
  json_array_foreach(f->entries, i, e) {
    if (strcmp(json_string_value(json_object_get(e, "backing")), backing) ==
            0 &&
        strcmp(json_string_value(json_object_get(e, "own")), own) == 0)
      return 1;
  }
  return 0;
}

/* "x:0": a component's own directory, keyed by moniker. */
static int is_moniker_part(const char *name) {
  size_t n = strlen(name);
  return n > 2 && strcmp(name + n - 2, ":0") == 0 && name[0] != '.';
}

/* The instance id's moniker in the component id index, or NULL. */
static const char *indexed(const fern__config *config, const char *id) {
  const char *moniker;
  json_t *value;
  json_object_foreach(config->id_index, moniker, value) {
    if (strcmp(json_string_value(value), id) == 0)
      return moniker;
  }
  return NULL;
}

typedef struct scan_s {
  found *f;
  const char *backing, *storage;
  int backing_fd;
} scan;

/* The directory `prefix` (a key below the backing directory: the root,
 * or a component's "children") holds components' own directories of the
 * realm `at`: each unclaimed one is listed, and the claimed ones looked
 * into for unclaimed children. */
static void scan_level(const scan *s, const char *prefix, const char *at,
                       int allow_ids) {
  int parent;
  char name[NAME_MAX + 1];
  if (fern__storage_open_parent(s->backing_fd, prefix, strlen(prefix), &parent,
                                name, sizeof name) != 0)
    return;
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  close(parent);
  DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
  if (dir == NULL) {
    if (fd >= 0)
      close(fd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    char own[PATH_MAX], moniker[PATH_MAX];
    int by_id = allow_ids && fern__config_is_instance_id(e->d_name);
    if (!by_id && !is_moniker_part(e->d_name))
      continue; /* not a component's: never listed, never deleted */
    if (strcmp(prefix, ".") == 0)
      snprintf(own, sizeof own, "%s", e->d_name);
    else
      snprintf(own, sizeof own, "%s/%s", prefix, e->d_name);
    if (by_id) {
      const char *m = indexed(s->f->config, e->d_name);
      snprintf(moniker, sizeof moniker, "%s", m ? m : "(unknown id)");
    } else {
      snprintf(moniker, sizeof moniker, "%s/%.*s", at,
               (int)strlen(e->d_name) - 2, e->d_name);
    }
    if (claimed(s->f, s->backing, own)) {
      if (!by_id) {
        char children[PATH_MAX + 16];
        snprintf(children, sizeof children, "%s/children", own);
        scan_level(s, children, moniker, 0);
      }
      continue;
    }
    add_entry(s->f, moniker, s->storage, s->backing, own, own,
              bytes_of(s->backing_fd, own, strlen(own)), 0);
  }
  closedir(dir);
}

static void add_unclaimed(found *f) {
  size_t i;
  json_t *root;
  json_array_foreach(f->roots, i, root) {
    const char *backing = json_string_value(json_object_get(root, "backing"));
    const char *subdir = json_string_value(json_object_get(root, "subdir"));
    scan s = {f, backing, json_string_value(json_object_get(root, "storage")),
              open(backing, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
    if (s.backing_fd < 0)
      continue;
    /* Without a subdir the root is the backing directory itself: ".". */
    scan_level(&s, subdir[0] != '\0' ? subdir : ".",
               json_string_value(json_object_get(root, "at")), 1);
    close(s.backing_fd);
  }
}

static int is_below(const char *moniker, const char *top) {
  size_t n = strlen(top);
  return strncmp(moniker, top, n) == 0 &&
         (moniker[n] == '\0' || moniker[n] == '/');
}

/* --delete MONIKER: the storage of MONIKER and of what is below it. */
static int delete_storage(const found *f, const char *moniker) {
  int deleted = 0, failed = 0;
  size_t i;
  json_t *e;
  json_array_foreach(f->entries, i, e) {
    if (!is_below(json_string_value(json_object_get(e, "moniker")), moniker) ||
        json_integer_value(json_object_get(e, "bytes")) < 0)
      continue; /* another's, or never made */
    const char *backing = json_string_value(json_object_get(e, "backing"));
    const char *own = json_string_value(json_object_get(e, "own"));
    int base = open(backing, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int parent = -1;
    char name[NAME_MAX + 1];
    int rc = base < 0 ? -1
                      : fern__storage_open_parent(base, own, strlen(own),
                                                  &parent, name, sizeof name);
    if (base >= 0)
      close(base);
    if (rc != 0 && errno == ENOENT)
      continue; /* went with one above it, deleted before */
    if (rc != 0 || fern__storage_remove_at(parent, name) != 0) {
      fern__log(FERN_LOG_ERROR, NULL, "cannot delete all of %s/%s: %s",
                backing, own, strerror(errno));
      failed++;
    } else {
      printf("deleted %s/%s\n", backing, own);
      deleted++;
    }
    if (parent >= 0)
      close(parent);
  }
  if (deleted == 0 && failed == 0)
    fern__log(FERN_LOG_ERROR, NULL, "%s has no storage in this tree's "
                                    "storage roots",
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
    snprintf(size, sizeof size, bytes < 0 ? "-" : "%lld", bytes);
    printf("%-28s %-12s %12s  %s%s\n",
           json_string_value(json_object_get(e, "moniker")),
           json_string_value(json_object_get(e, "storage")), size,
           json_string_value(json_object_get(e, "path")),
           json_is_true(json_object_get(e, "in_tree"))
               ? (bytes < 0 ? " (not made yet)" : "")
               : " (no such component in this tree)");
  }
}

/* A component's moniker: "/a/b", no empty part, not "/" alone. */
static int moniker_ok(const char *moniker) {
  return moniker[0] == '/' && moniker[1] != '\0' &&
         strstr(moniker, "//") == NULL &&
         moniker[strlen(moniker) - 1] != '/';
}

static int storage_print(const fern__cli *cli, fern__instance *root,
                         const char *url) {
  (void)url;
  found f = {json_array(), json_array(), root->manager->config};
  fern__instance_walk(root, visit_component, &f);
  add_unclaimed(&f);
  int status = 0;
  if (cli->delete_moniker != NULL && cli->json) {
    fern__log(FERN_LOG_ERROR, NULL, "--delete prints what it deleted; it "
                                    "takes no --json");
    status = 2;
  } else if (cli->delete_moniker != NULL)
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
          "component's\n"
          "directory in a storage's root that no component of the tree has "
          "(a destroyed or\n"
          "removed one's), with the moniker its name says. --delete "
          "MONIKER deletes the\n"
          "storage of MONIKER and of what is below it. Run it while no "
          "fern runs the tree.",
      .json_allowed = 1,
      .delete_allowed = 1};
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--delete") == 0 && !moniker_ok(argv[i + 1])) {
      fprintf(stderr, "fern storage: --delete needs a component's moniker, "
                      "such as /a/b; got \"%s\"\n",
              argv[i + 1]);
      return 2;
    }
  return fern__offline_tree(&cli, argc, argv, storage_print);
}
