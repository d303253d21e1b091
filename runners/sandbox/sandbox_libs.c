/* sandbox_libs.c - what a dynamic program loads, as the kernel and glibc's
 * dynamic loader see it, so that the sandbox shows those files and nothing
 * else of the host (sandbox_binds.c): the first PT_INTERP (the kernel's),
 * then the DT_NEEDED names of each object's PT_DYNAMIC, breadth-first as
 * ld.so maps them (elf/dl-deps.c), each found where ld.so would find it
 * (sandbox_search.c) and only if it is a regular ELF shared object for
 * this machine. Section headers are never read: no loader reads them. A
 * program without an interpreter loads nothing. */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox_libs.h"

static int out_of_memory(lib_walk *w) {
  return fern_error_set(w->err, FERN_ENOMEM, NULL, "out of memory");
}

/* A new object at `path`, found for `loader`; its index, or SIZE_MAX. */
static size_t add_object(lib_walk *w, const char *path, size_t loader) {
  lib_object *grown = realloc(w->objects, (w->count + 1) * sizeof *grown);
  if (grown == NULL)
    return SIZE_MAX;
  w->objects = grown;
  lib_object *o = &grown[w->count];
  memset(o, 0, sizeof *o);
  o->loader = loader;
  o->path = strdup(path);
  char *dir = strdup(path);
  o->origin = dir != NULL ? strdup(dirname(dir)) : NULL;
  free(dir);
  if (o->path == NULL || o->origin == NULL) {
    free(o->path);
    free(o->origin);
    return SIZE_MAX;
  }
  return w->count++;
}

/* The string of the last entry `tag` into `*out` (NULL without one). */
static int dyn_string(const elf_image *img, ElfW(Sxword) tag, char **out) {
  char s[ELF_IMAGE_STRING_MAX];
  ElfW(Xword) offset;
  *out = NULL;
  if (!elf_image_dyn_value(img, tag, &offset))
    return 0;
  if (elf_image_string(img, offset, s) != 0 || (*out = strdup(s)) == NULL)
    return -1;
  return 0;
}

/* Keeps the object's DT_NEEDED names, in order, for its turn in the walk:
 * 0, -1 for a string that cannot be read, -2 past SANDBOX_NAMES_MAX. */
static int keep_needed(lib_walk *w, lib_object *o, const elf_image *img) {
  char s[ELF_IMAGE_STRING_MAX];
  for (size_t i = 0; i < img->dyn_count; i++) {
    if (img->dyn[i].d_tag != DT_NEEDED)
      continue;
    if (elf_image_string(img, img->dyn[i].d_un.d_val, s) != 0)
      return -1;
    size_t len = strlen(s) + 1;
    if (w->names_size + len > SANDBOX_NAMES_MAX)
      return -2;
    char *grown = realloc(o->needed, o->needed_size + len);
    if (grown == NULL)
      return -1;
    memcpy(grown + o->needed_size, s, len);
    o->needed = grown;
    o->needed_size += len;
    w->names_size += len;
  }
  return 0;
}

/* DT_FLAGS_1, DT_SONAME, DT_RUNPATH (which hides DT_RPATH:
 * elf/get-dynamic-info.h) and DT_NEEDED, as the loader reads them. */
static int read_strings(lib_walk *w, lib_object *o, const elf_image *img,
                        char *why) {
  elf_image_dyn_value(img, DT_FLAGS_1, &o->flags_1);
  if (o->loader != SIZE_MAX && (o->flags_1 & DF_1_PIE))
    return elf_image_refuse(why, "is a program (PIE), which the loader "
                                 "refuses to load as a library");
  if (dyn_string(img, DT_SONAME, &o->soname) != 0 ||
      dyn_string(img, DT_RUNPATH, &o->runpath) != 0 ||
      (o->runpath == NULL && dyn_string(img, DT_RPATH, &o->rpath) != 0))
    return elf_image_refuse(why,
                            "has a DT_SONAME, DT_RUNPATH or DT_RPATH "
                            "string outside its loaded bytes or over "
                            "%d bytes",
                            ELF_IMAGE_STRING_MAX);
  int rc = keep_needed(w, o, img);
  if (rc == -2)
    return elf_image_refuse(why,
                            "brings the names of the libraries to load "
                            "over %d bytes",
                            SANDBOX_NAMES_MAX);
  return rc == 0 ? FERN_OK
                 : elf_image_refuse(why,
                                    "has a DT_NEEDED string outside its "
                                    "loaded bytes or over %d bytes",
                                    ELF_IMAGE_STRING_MAX);
}

/* Reads what `reader` reads of object `i`, open at `fd`; and with
 * `interp`, what the kernel reads: its first PT_INTERP, or "". */
static int read_object(lib_walk *w, size_t i, int fd, elf_image_reader reader,
                       char *interp) {
  lib_object *o = &w->objects[i];
  elf_image img;
  char why[ELF_IMAGE_WHY_MAX];
  struct stat st;
  int rc = elf_image_open(&img, fd, reader, why);
  if (rc == FERN_OK && interp != NULL)
    rc = elf_image_interp(&img, interp, why);
  if (rc == FERN_OK)
    rc = elf_image_read_dynamic(&img, why);
  if (rc == FERN_OK && fstat(fd, &st) == 0) {
    o->dev = st.st_dev;
    o->ino = st.st_ino;
  }
  if (rc == FERN_OK)
    rc = read_strings(w, o, &img, why);
  elf_image_close(&img);
  return rc == FERN_OK
             ? FERN_OK
             : fern_error_set(w->err, rc, "/binary", "%s %s", o->path, why);
}

/* ld.so's _dl_lookup_map: a name already loaded, as the name it was
 * needed by, its path, or its DT_SONAME, is not looked for again. */
static int loaded(const lib_walk *w, const char *name) {
  for (size_t i = 1; i < w->count; i++) {
    const lib_object *o = &w->objects[i];
    if (strcmp(o->path, name) == 0 || (o->name && !strcmp(o->name, name)) ||
        (o->soname && !strcmp(o->soname, name)))
      return 1;
  }
  return 0;
}

/* A library found for `name`: bound, and walked later unless the same
 * file is loaded already (ld.so compares the files: _dl_map_object_from_fd). */
static int add_library(lib_walk *w, size_t loader, const char *name,
                       const lib_found *found) {
  struct stat st;
  int rc = fstat(found->fd, &st) == 0 ? lib_bind(w, found->path, found->fd)
                                      : FERN_EIO;
  for (size_t i = 0; rc == FERN_OK && i < w->count; i++)
    if (w->objects[i].dev == st.st_dev && w->objects[i].ino == st.st_ino)
      return FERN_OK;
  if (rc == FERN_OK && w->count >= SANDBOX_OBJECTS_MAX)
    return fern_error_set(w->err, FERN_ENOEXEC, "/binary",
                          "%s loads more than %d files", w->objects[0].path,
                          SANDBOX_OBJECTS_MAX);
  size_t i = rc == FERN_OK ? add_object(w, found->path, loader) : SIZE_MAX;
  if (rc == FERN_OK && i == SIZE_MAX)
    rc = out_of_memory(w);
  if (rc == FERN_OK && (w->objects[i].name = strdup(name)) == NULL)
    rc = out_of_memory(w);
  return rc == FERN_OK ? read_object(w, i, found->fd, ELF_IMAGE_LIBRARY, NULL)
                       : rc;
}

/* Finds and adds each DT_NEEDED name of object `i`, in order. */
static int load_needed(lib_walk *w, size_t i) {
  for (size_t at = 0; at < w->objects[i].needed_size;) {
    const char *name = w->objects[i].needed + at;
    at += strlen(name) + 1;
    if (loaded(w, name))
      continue;
    lib_found found;
    int rc = lib_search(w, i, name, &found);
    const char *needer = w->objects[i].path;
    if (rc < 0)
      return fern_error_set(w->err, rc, "/binary", "%s needs %s, but %s %s",
                            needer, name, found.path, found.why);
    if (rc == 0)
      return fern_error_set(w->err, FERN_ENOENT, "/binary",
                            "%s needs %s, which is in none of the places the "
                            "dynamic loader looks (its run paths, "
                            "LD_LIBRARY_PATH, %s, the system directories)%s%s",
                            needer, name, SANDBOX_LD_CACHE,
                            w->cache_why[0] ? "; " : "", w->cache_why);
    rc = add_library(w, i, name, &found);
    close(found.fd);
    if (rc != FERN_OK)
      return rc;
  }
  return FERN_OK;
}

static const char *interpreter_problem(const lib_walk *w,
                                       lib_open_result opened,
                                       const elf_identity *id) {
  if (opened == LIB_OPEN_MISSING || opened == LIB_OPEN_FAILED)
    return "is missing";
  if (opened != LIB_OPEN_OK)
    return "is not a regular ELF file";
  if (!elf_image_is_native(id, &w->host) ||
      (id->type != ET_DYN && id->type != ET_EXEC))
    return "is not an ELF program for this machine";
  return NULL;
}

/* The interpreter the kernel loads (a relative path: from the working
 * directory), if it is an ELF file it would load (fs/binfmt_elf.c,
 * load_elf_interp). */
static int add_interpreter(lib_walk *w, const char *interp) {
  char path[PATH_MAX];
  elf_identity id;
  int fd = -1;
  snprintf(path, sizeof path, "%s%s%s", interp[0] == '/' ? "" : w->cwd,
           interp[0] == '/' ? "" : "/", interp);
  lib_open_result opened = lib_open(path, &fd, &id);
  const char *problem = interpreter_problem(w, opened, &id);
  if (problem != NULL) {
    if (opened == LIB_OPEN_OK)
      close(fd);
    return fern_error_set(w->err, FERN_ENOENT, "/binary",
                          "%s needs the interpreter %s, which %s",
                          w->objects[0].path, interp, problem);
  }
  size_t i = add_object(w, path, SIZE_MAX);
  int rc = i == SIZE_MAX ? out_of_memory(w)
                         : read_object(w, i, fd, ELF_IMAGE_INTERPRETER, NULL);
  if (rc == FERN_OK)
    rc = lib_bind(w, path, fd);
  close(fd);
  return rc;
}

/* The program: object 0, bound through its own descriptor
 * (sandbox_command.c); `interp` gets its first PT_INTERP, or "". */
static int add_program(lib_walk *w, int fd, const char *path, char *interp) {
  if (add_object(w, path, SIZE_MAX) == SIZE_MAX)
    return out_of_memory(w);
  return read_object(w, 0, fd, ELF_IMAGE_PROGRAM, interp);
}

/* The program's own LD_LIBRARY_PATH, what its loader will see: the last
 * one wins (elf/rtld.c, process_envvars); an empty one is none. */
static const char *library_path(const char *const *env) {
  const char *found = NULL;
  for (size_t i = 0; env != NULL && env[i] != NULL; i++)
    if (strncmp(env[i], "LD_LIBRARY_PATH=", 16) == 0)
      found = env[i] + 16;
  return found != NULL && found[0] != '\0' ? found : NULL;
}

static void walk_free(lib_walk *w) {
  for (size_t i = 0; i < w->count; i++) {
    lib_object *o = &w->objects[i];
    free(o->path);
    free(o->origin);
    free(o->name);
    free(o->soname);
    free(o->rpath);
    free(o->runpath);
    free(o->needed);
  }
  free(w->objects);
  ld_cache_free(&w->cache);
}

int sandbox_libraries(const sandbox_program *program, char ***out,
                      fern_error_t *err) {
  lib_walk w = {.program = program,
                .cwd = program->package,
                .library_path = library_path(program->env),
                .err = err};
  char interp[ELF_IMAGE_STRING_MAX] = "";
  int rc = elf_image_host(&w.host) == 0
               ? add_program(&w, program->fd, program->path, interp)
               : fern_error_set(err, FERN_EIO, NULL,
                                "cannot read this machine's own ELF identity");
  /* Without an interpreter nothing reads DT_NEEDED: nothing to bind. */
  if (rc == FERN_OK && interp[0] != '\0')
    rc = add_interpreter(&w, interp);
  for (size_t i = 0; rc == FERN_OK && interp[0] != '\0' && i < w.count; i++)
    rc = load_needed(&w, i);
  walk_free(&w);
  if (rc == FERN_OK && w.binds == NULL &&
      (w.binds = calloc(1, sizeof(char *))) == NULL)
    rc = fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  if (rc != FERN_OK) {
    for (size_t i = 0; i < w.bind_count; i++)
      free(w.binds[i]);
    free(w.binds);
    return rc;
  }
  *out = w.binds;
  return FERN_OK;
}
