/* sandbox_libs.c - what a dynamic program needs to run, read with libelf:
 * PT_INTERP, then DT_NEEDED (with DT_RUNPATH/DT_RPATH and the standard
 * directories), recursively. Only these files are bound into the sandbox,
 * so nothing else of the host file system is visible. */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

static const char *const standard_dirs[] = {
    "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
    "/lib64", "/usr/lib64", "/lib", "/usr/lib", NULL};

typedef struct lib_list_s {
  char **pairs; /* dest, real, dest, real, ..., NULL */
  size_t count;
} lib_list;

static int list_has(const lib_list *list, const char *dest) {
  for (size_t i = 0; i < list->count; i += 2)
    if (strcmp(list->pairs[i], dest) == 0)
      return 1;
  return 0;
}

static int list_add(lib_list *list, const char *dest) {
  char real[PATH_MAX];
  if (realpath(dest, real) == NULL)
    return -1;
  char **grown = realloc(list->pairs, (list->count + 3) * sizeof *grown);
  if (grown == NULL)
    return -1;
  list->pairs = grown;
  grown[list->count++] = strdup(dest);
  grown[list->count++] = strdup(real);
  grown[list->count] = NULL;
  return 0;
}

typedef struct dyn_names_s {
  char (*needed)[256];
  size_t *needed_count;
  char *runpath;
  size_t runpath_size;
} dyn_names;

static void note_names(Elf *elf, size_t strtab, const GElf_Dyn *dyn,
                       void *arg) {
  dyn_names *names = arg;
  if (dyn->d_tag != DT_NEEDED && dyn->d_tag != DT_RUNPATH &&
      dyn->d_tag != DT_RPATH)
    return;
  const char *s = elf_strptr(elf, strtab, dyn->d_un.d_val);
  if (s != NULL && dyn->d_tag == DT_NEEDED && *names->needed_count < 64)
    snprintf(names->needed[(*names->needed_count)++], 256, "%s", s);
  else if (s != NULL)
    snprintf(names->runpath, names->runpath_size, "%s", s);
}

/* Reads PT_INTERP and the DT_NEEDED / DT_RUNPATH strings of one file. */
static int read_dynamic(const char *path, char *interp, size_t interp_size,
                        char needed[][256], size_t *needed_count,
                        char *runpath, size_t runpath_size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  size_t phnum = 0;
  *needed_count = 0;
  interp[0] = runpath[0] = '\0';
  if (elf != NULL && elf_getphdrnum(elf, &phnum) == 0) {
    for (size_t i = 0; i < phnum; i++) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, (int)i, &ph) != NULL && ph.p_type == PT_INTERP &&
          ph.p_filesz < interp_size &&
          pread(fd, interp, ph.p_filesz, (off_t)ph.p_offset) ==
              (ssize_t)ph.p_filesz)
        interp[ph.p_filesz] = '\0';
    }
    dyn_names names = {needed, needed_count, runpath, runpath_size};
    elf_dynamic_foreach(elf, note_names, &names);
  }
  if (elf != NULL)
    elf_end(elf);
  close(fd);
  return 0;
}

/* Finds `name` the way the dynamic loader would (simplified: runpath with
 * $ORIGIN, then the standard directories). */
static int find_library(const char *name, const char *runpath,
                        const char *origin, char *out, size_t size) {
  char dirs[2048];
  snprintf(dirs, sizeof dirs, "%s", runpath);
  for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d != NULL;
       d = strtok_r(NULL, ":", &save)) {
    if (strncmp(d, "$ORIGIN", 7) == 0)
      snprintf(out, size, "%s%s/%s", origin, d + 7, name);
    else
      snprintf(out, size, "%s/%s", d, name);
    if (access(out, R_OK) == 0)
      return 0;
  }
  for (size_t i = 0; standard_dirs[i] != NULL; i++) {
    snprintf(out, size, "%s/%s", standard_dirs[i], name);
    if (access(out, R_OK) == 0)
      return 0;
  }
  return -1;
}

static int add_file(lib_list *list, const char *path, int depth,
                    fern_error_t *err) {
  char interp[PATH_MAX], runpath[1024], needed[64][256];
  size_t needed_count;
  if (depth > 32 || read_dynamic(path, interp, sizeof interp, needed,
                                 &needed_count, runpath, sizeof runpath) != 0)
    return fern_error_set(err, FERN_ENOEXEC, "/binary",
                          "cannot read the ELF dependencies of %s", path);
  if (interp[0] != '\0' && !list_has(list, interp) && list_add(list, interp))
    return fern_error_set(err, FERN_ENOENT, "/binary",
                          "%s needs the interpreter %s, which is missing",
                          path, interp);
  char origin[PATH_MAX];
  snprintf(origin, sizeof origin, "%s", path);
  char *slash = strrchr(origin, '/');
  if (slash != NULL)
    *slash = '\0';
  for (size_t i = 0; i < needed_count; i++) {
    char found[PATH_MAX + 512];
    if (find_library(needed[i], runpath, origin, found, sizeof found) != 0)
      return fern_error_set(err, FERN_ENOENT, "/binary",
                            "%s needs %s, which is not in its run path or the "
                            "standard library directories",
                            path, needed[i]);
    if (list_has(list, found))
      continue;
    if (list_add(list, found) != 0)
      return fern_error_set(err, FERN_EIO, NULL, "cannot resolve %s", found);
    int rc = add_file(list, found, depth + 1, err);
    if (rc != FERN_OK)
      return rc;
  }
  return FERN_OK;
}

int sandbox_libraries(const char *binary, char ***out, fern_error_t *err) {
  lib_list list = {calloc(1, sizeof(char *)), 0};
  if (list.pairs == NULL || elf_version(EV_CURRENT) == EV_NONE)
    return fern_error_set(err, FERN_ENOMEM, NULL, "out of memory");
  int rc = add_file(&list, binary, 0, err);
  if (rc != FERN_OK) {
    for (size_t i = 0; i < list.count; i++)
      free(list.pairs[i]);
    free(list.pairs);
    return rc;
  }
  *out = list.pairs;
  return FERN_OK;
}
