/* sandbox_libs.h - how the sandbox finds what a program loads, as the
 * kernel and glibc's dynamic loader find it: the objects the loader maps,
 * breadth-first (sandbox_libs.c); where it looks for each name
 * (sandbox_search.c); /etc/ld.so.cache (sandbox_ldcache.c); and which of
 * those files the sandbox binds, and how (sandbox_binds.c). Worker
 * thread; nothing here is shared between runs. */
#ifndef FERN_RUNNERS_SANDBOX_LIBS_H
#define FERN_RUNNERS_SANDBOX_LIBS_H

#include <stdint.h>

#include "../../core/proc/elf_image.h"
#include "sandbox.h"

/* Objects one program may load (the program and its interpreter count). */
#define SANDBOX_OBJECTS_MAX 1024
/* Bytes of DT_NEEDED names kept for the walk, all objects together. */
#define SANDBOX_NAMES_MAX (1 << 20)
/* Places one walk may look in: ld.so remembers the directories that do
 * not exist; the walk instead stops long before run paths of thousands of
 * elements, repeated down a chain of loaders, could keep a worker busy. */
#define SANDBOX_TRIES_MAX 65536
/* glibc's LD_SO_CACHE. */
#define SANDBOX_LD_CACHE "/etc/ld.so.cache"
/* The cache is some 100 KiB; a larger one is not read. */
#define SANDBOX_LD_CACHE_MAX (16 << 20)

/* /etc/ld.so.cache, read at most once per walk. */
typedef struct ld_cache_s {
  unsigned char *data; /* the file, or NULL: no usable cache */
  size_t size;
  size_t base; /* where the new format's header is */
  uint32_t nlibs;
} ld_cache;

/* Reads the cache open at `fd` (-1: none); one that is too large or not
 * of a format glibc reads leaves the cache empty, as ld.so would ignore
 * it. `fd` stays the caller's. */
void ld_cache_load(ld_cache *cache, int fd);
/* The path the cache gives for `name`, for this machine, into `out`
 * (PATH_MAX bytes): 0, or -1 when it has none. */
int ld_cache_lookup(const ld_cache *cache, const char *name, char *out);
/* The entries for `name` that the loader may take instead of that one on
 * a CPU that suits them (glibc-hwcaps subdirectories; before glibc 2.37,
 * the legacy hwcaps ones too): the next one from entry `*at` on into
 * `out` (PATH_MAX bytes), 0 and `*at` past it; -1 when none is left. */
int ld_cache_variant(const ld_cache *cache, const char *name, uint32_t *at,
                     char *out);
void ld_cache_free(ld_cache *cache);

/* One object the loader maps: the program, its interpreter, a library. */
typedef struct lib_object_s {
  char *path;    /* what the loader opens: where it is bound */
  char *origin;  /* what $ORIGIN stands for in its strings */
  char *name;    /* the DT_NEEDED name it was found for, or NULL */
  char *soname;  /* its DT_SONAME, or NULL */
  char *rpath;   /* its DT_RPATH when it has no DT_RUNPATH, or NULL */
  char *runpath; /* its DT_RUNPATH, or NULL */
  char *needed;  /* its DT_NEEDED names, one after another */
  size_t needed_size;
  ElfW(Xword) flags_1;
  dev_t dev;
  ino_t ino;
  size_t loader; /* the object whose DT_NEEDED found it; SIZE_MAX: none */
} lib_object;

/* One walk over what a program loads. */
typedef struct lib_walk_s {
  lib_object *objects;
  size_t count;
  size_t names_size;        /* bytes of `needed` names kept so far */
  size_t tries;             /* places looked in so far */
  const sandbox_program *program;
  const char *cwd;          /* the program's working directory */
  const char *library_path; /* its LD_LIBRARY_PATH, or NULL */
  ld_cache cache;
  int cache_read;
  char cache_why[256]; /* why the cache is not read, or "" */
  elf_identity host;
  char **binds; /* (where, real path) pairs, NULL-terminated */
  size_t bind_count;
  fern_error_t *err;
} lib_walk;

/* A file the search found: where the loader opens it, open; or, when the
 * search stops, where, and why (a phrase after the path). */
typedef struct lib_found_s {
  char path[PATH_MAX];
  int fd;
  char why[ELF_IMAGE_WHY_MAX];
} lib_found;

/* How a path opens as a candidate: the loader's outcomes. */
typedef enum lib_open_result {
  LIB_OPEN_OK,          /* a regular ELF file, open, with its identity */
  LIB_OPEN_MISSING,     /* ENOENT, EACCES, ENOTDIR: the loader looks on */
  LIB_OPEN_FAILED,      /* any other error: it ends this list of places */
  LIB_OPEN_NOT_REGULAR, /* a directory, a FIFO, a device */
  LIB_OPEN_NOT_ELF
} lib_open_result;

/* Opens `path` (absolute) without blocking on, or reading, anything but a
 * regular file, and identifies it. */
lib_open_result lib_open(const char *path, int *fd, elf_identity *id);
/* Looks for `name`, needed by object `loader`, where ld.so would (glibc
 * elf/dl-load.c, _dl_map_new_object). 1: found (found->fd is open); 0:
 * nowhere; FERN_ENOEXEC: the loader would stop at found->path, found->why
 * says why. */
int lib_search(lib_walk *w, size_t loader, const char *name, lib_found *found);

/* Shows the file the walk read, open at `fd`, where the loader opens it
 * (`where`): nothing to bind inside the package; outside it, the file
 * host->open_trusted opens at `where`, which must be that same file. */
int lib_bind(lib_walk *w, const char *where, int fd);
/* Binds the file open at `trusted` (host->open_trusted's) at `where`, by
 * the real path it has. */
int lib_bind_trusted(lib_walk *w, const char *where, int trusted);
/* Binds the file at `where` if host->open_trusted opens it; else nothing,
 * with no error (for a file the loader may do without). */
int lib_bind_if_trusted(lib_walk *w, const char *where);

#endif
