/* sandbox_search.c - where glibc's dynamic loader looks for a library
 * (elf/dl-load.c, _dl_map_new_object), and which file it takes there
 * (open_verify): a name with a slash is a path; else, in order, DT_RPATH
 * of the object that needs it and of the objects that loaded that one
 * (when the object has no DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH,
 * /etc/ld.so.cache, the system directories. $ORIGIN and ${ORIGIN} are
 * expanded; a path with $LIB or $PLATFORM, whose values are the loader's
 * own build and CPU choices, is left out, so nothing is bound from it.
 * The glibc-hwcaps subdirectories of those directories are not searched:
 * only what is bound exists in the sandbox, so its loader passes over them
 * and finds the plain library where this search found it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox_libs.h"

/* glibc's SYSTEM_DIRS is fixed when it is built: Debian's multiarch
 * directories and Fedora's lib64 ones, for this machine. */
#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#else
#define MULTIARCH "unknown-linux-gnu"
#endif
static const char system_dirs[] =
    "/lib/" MULTIARCH ":/usr/lib/" MULTIARCH ":/lib64:/usr/lib64:/lib:/usr/lib";

/* What a candidate is to the search: found, or where it goes next. */
enum { CANDIDATE_NEXT = 0, CANDIDATE_FOUND = 1, CANDIDATE_END_OF_LIST = 2 };

lib_open_result lib_open(const char *path, int *fd, elf_identity *id) {
  int at = open(path, O_PATH | O_CLOEXEC);
  if (at < 0)
    return errno == ENOENT || errno == EACCES || errno == ENOTDIR
               ? LIB_OPEN_MISSING
               : LIB_OPEN_FAILED;
  struct stat st;
  if (fstat(at, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(at);
    return LIB_OPEN_NOT_REGULAR;
  }
  /* Reopened through the checked descriptor: the file read is the file
   * checked, whatever replaces the path meanwhile. */
  char self[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", at);
  *fd = open(self, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  int open_errno = errno;
  close(at);
  if (*fd < 0)
    return open_errno == EACCES ? LIB_OPEN_MISSING : LIB_OPEN_FAILED;
  if (elf_image_identify(*fd, id) == 0)
    return LIB_OPEN_OK;
  close(*fd);
  return LIB_OPEN_NOT_ELF;
}

/* Where the loader stops with an error: the walk stops there too. */
static int loader_stops(lib_found *found, const char *what) {
  snprintf(found->why, sizeof found->why,
           "%s, and the dynamic loader stops there", what);
  return FERN_ENOEXEC;
}

/* `path`, from the working directory if relative, into found->path. */
static int place(lib_walk *w, const char *path, lib_found *found) {
  int relative = path[0] != '/';
  int n = snprintf(found->path, sizeof found->path, "%s%s%s",
                   relative ? w->cwd : "", relative ? "/" : "", path);
  return n >= 0 && (size_t)n < sizeof found->path ? 0 : -1;
}

/* open_verify: a file of another class or machine is passed over; one
 * that is not a regular ELF shared object of this byte order makes the
 * loader stop. (ld.so also stops at a wrong ELF version or OS ABI, which
 * are not checked here: such a file is bound, and the loader stops at it
 * in the sandbox.) */
static int candidate(lib_walk *w, const char *path, lib_found *found) {
  elf_identity id;
  int fd;
  if (place(w, path, found) != 0)
    return CANDIDATE_END_OF_LIST; /* ENAMETOOLONG */
  if (++w->tries > SANDBOX_TRIES_MAX) {
    snprintf(found->why, sizeof found->why,
             "is past the %d places fern looks in for one program",
             SANDBOX_TRIES_MAX);
    return FERN_ENOEXEC;
  }
  switch (lib_open(found->path, &fd, &id)) {
  case LIB_OPEN_MISSING:
    return CANDIDATE_NEXT;
  case LIB_OPEN_FAILED:
    return CANDIDATE_END_OF_LIST;
  case LIB_OPEN_NOT_REGULAR:
    return loader_stops(found, "is not a regular file");
  case LIB_OPEN_NOT_ELF:
    return loader_stops(found, "is not an ELF file");
  case LIB_OPEN_OK:
    break;
  }
  const char *stop = NULL;
  int other_class = id.elf_class != w->host.elf_class;
  if (!other_class && id.byte_order != w->host.byte_order)
    stop = "is of the other byte order";
  else if (!other_class && id.machine == w->host.machine && id.type != ET_DYN)
    stop = "is not a shared library";
  if (stop != NULL || other_class || id.machine != w->host.machine) {
    close(fd);
    return stop != NULL ? loader_stops(found, stop) : CANDIDATE_NEXT;
  }
  found->fd = fd;
  return CANDIDATE_FOUND;
}

/* glibc's is_dst: `s` (after a '$') names the token `dst`, bare and not
 * followed by an identifier's character, or in braces. Its length, or 0. */
static size_t dst_length(const char *s, const char *dst) {
  size_t n = strlen(dst), curly = s[0] == '{';
  if (strncmp(s + curly, dst, n) != 0)
    return 0;
  char next = s[curly + n];
  if (curly)
    return next == '}' ? n + 2 : 0;
  int ident = (next >= 'A' && next <= 'Z') || (next >= 'a' && next <= 'z') ||
              (next >= '0' && next <= '9') || next == '_';
  return ident ? 0 : n;
}

/* _dl_dst_substitute: $ORIGIN becomes `origin`; a path naming $LIB or
 * $PLATFORM becomes "" (left out); any other '$' stays. -1 if too long. */
static int expand(const char *in, const char *origin, char *out, size_t size) {
  size_t used = 0, len;
  while (*in != '\0') {
    const char *piece = in;
    size_t piece_len = 1;
    if (*in == '$' && (len = dst_length(in + 1, "ORIGIN")) != 0) {
      piece = origin;
      piece_len = strlen(origin);
      in += len;
    } else if (*in == '$' && (dst_length(in + 1, "LIB") != 0 ||
                              dst_length(in + 1, "PLATFORM") != 0)) {
      out[0] = '\0';
      return 0;
    }
    if (used + piece_len >= size)
      return -1;
    memcpy(out + used, piece, piece_len);
    used += piece_len;
    in++;
  }
  out[used] = '\0';
  return 0;
}

/* Tries `name` in each directory of `list` (separated by any of `seps`),
 * as open_path does over what fillin_rpath made of it: an empty element
 * is the working directory, one that expands to nothing is left out. */
static int search_list(lib_walk *w, const char *list, const char *seps,
                       const char *origin, const char *name, lib_found *found) {
  char dir[PATH_MAX], path[PATH_MAX];
  while (list != NULL) {
    size_t n = strcspn(list, seps);
    char element[PATH_MAX];
    snprintf(element, sizeof element, "%.*s", (int)n, list);
    list = list[n] != '\0' ? list + n + 1 : NULL;
    if (n >= sizeof element || expand(element, origin, dir, sizeof dir) != 0 ||
        (n > 0 && dir[0] == '\0'))
      continue;
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
      dir[--len] = '\0';
    int written = snprintf(path, sizeof path, "%s%s%s", dir,
                           len == 0 || dir[len - 1] == '/' ? "" : "/", name);
    int rc = written < 0 || (size_t)written >= sizeof path
                 ? CANDIDATE_END_OF_LIST
                 : candidate(w, path, found);
    if (rc != CANDIDATE_NEXT)
      return rc == CANDIDATE_END_OF_LIST ? 0 : rc;
  }
  return 0;
}

/* The cache, read once per walk through the descriptor host->open_trusted
 * gives, and then bound into the sandbox by the path that check resolved:
 * the loader there reads the very cache the walk read. One that is not to
 * be trusted is neither read nor bound, so the walk sees what the loader
 * in the sandbox will: no cache. */
static void read_cache(lib_walk *w) {
  fern_error_t why = FERN_ERROR_INIT;
  int fd = w->program->host->open_trusted(w->program->host->ctx, SANDBOX_LD_CACHE, &why);
  w->cache_read = 1;
  ld_cache_load(&w->cache, fd);
  if (fd < 0)
    snprintf(w->cache_why, sizeof w->cache_why, "%s is not read: %s",
             SANDBOX_LD_CACHE, why.message);
  else if (w->cache.data != NULL &&
           lib_bind_trusted(w, SANDBOX_LD_CACHE, fd) != FERN_OK)
    ld_cache_free(&w->cache);
  if (fd >= 0)
    close(fd);
}

/* With the cache in the sandbox, its loader takes a glibc-hwcaps build of
 * the library where this CPU suits one (elf/dl-cache.c, search_cache),
 * before the entry the walk reads: those are bound too, so that it finds
 * whichever it takes. */
static int bind_variants(lib_walk *w, const char *name) {
  char path[PATH_MAX];
  int rc = FERN_OK;
  for (uint32_t at = 0;
       rc == FERN_OK && ld_cache_variant(&w->cache, name, &at, path) == 0;)
    rc = lib_bind_if_trusted(w, path);
  return rc;
}

/* A cache entry is taken unless the object asked for no default library
 * directories (DF_1_NODEFLIB) and the entry is in one of them. */
static int search_cache(lib_walk *w, const lib_object *l, const char *name,
                        lib_found *found) {
  char path[PATH_MAX];
  if (!w->cache_read)
    read_cache(w);
  if (ld_cache_lookup(&w->cache, name, path) != 0)
    return 0;
  for (const char *d = system_dirs; (l->flags_1 & DF_1_NODEFLIB) && *d;) {
    size_t n = strcspn(d, ":");
    if (strncmp(path, d, n) == 0 && path[n] == '/')
      return 0;
    d += n + (d[n] == ':');
  }
  int rc = candidate(w, path, found);
  if (rc == CANDIDATE_FOUND && bind_variants(w, name) != FERN_OK) {
    close(found->fd);
    snprintf(found->why, sizeof found->why, "cannot be bound: %s",
             w->err->message);
    return FERN_ENOEXEC;
  }
  return rc == CANDIDATE_FOUND || rc < 0 ? rc : 0;
}

int lib_search(lib_walk *w, size_t loader, const char *name, lib_found *found) {
  const lib_object *l = &w->objects[loader];
  const char *main_origin = w->objects[0].origin;
  char path[PATH_MAX];
  int rc = 0;
  if (strchr(name, '/') != NULL) {
    if (expand(name, l->origin, path, sizeof path) != 0 || path[0] == '\0')
      return 0;
    rc = candidate(w, path, found);
    return rc == CANDIDATE_FOUND || rc < 0 ? rc : 0;
  }
  for (size_t i = loader; l->runpath == NULL && rc == 0 && i != SIZE_MAX;
       i = w->objects[i].loader)
    if (w->objects[i].rpath != NULL)
      rc = search_list(w, w->objects[i].rpath, ":", w->objects[i].origin, name,
                       found);
  if (rc == 0 && w->library_path != NULL)
    rc = search_list(w, w->library_path, ":;", main_origin, name, found);
  if (rc == 0 && l->runpath != NULL)
    rc = search_list(w, l->runpath, ":", l->origin, name, found);
  if (rc == 0)
    rc = search_cache(w, l, name, found);
  if (rc == 0 && !(l->flags_1 & DF_1_NODEFLIB))
    rc = search_list(w, system_dirs, ":", "", name, found);
  return rc;
}
