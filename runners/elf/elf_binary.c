/* elf_binary.c - checks a program before it is spawned, so that "not an ELF
 * file", "built for another machine" and "a library, not a program" are
 * errors that name the file rather than an exec failure in a child. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "elf_runner.h"

typedef struct elf_identity_s {
  int elf_class;
  int machine;
} elf_identity;

static int read_identity(Elf *elf, elf_identity *id, GElf_Ehdr *ehdr) {
  if (elf == NULL || elf_kind(elf) != ELF_K_ELF ||
      gelf_getehdr(elf, ehdr) == NULL)
    return -1;
  id->elf_class = gelf_getclass(elf);
  id->machine = ehdr->e_machine;
  return 0;
}

/* What this very process is: a program for the same machine runs here. */
static int host_identity(elf_identity *id) {
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  GElf_Ehdr ehdr;
  int rc = read_identity(elf, id, &ehdr);
  if (elf != NULL)
    elf_end(elf);
  close(fd);
  return rc;
}

void elf_dynamic_foreach(Elf *elf, elf_dynamic_visit visit, void *arg) {
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(elf, scn)) != NULL) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == NULL || shdr.sh_type != SHT_DYNAMIC)
      continue;
    Elf_Data *data = elf_getdata(scn, NULL);
    size_t count = shdr.sh_entsize ? shdr.sh_size / shdr.sh_entsize : 0;
    for (size_t i = 0; data != NULL && i < count; i++) {
      GElf_Dyn dyn;
      if (gelf_getdyn(data, (int)i, &dyn) != NULL)
        visit(elf, shdr.sh_link, &dyn, arg);
    }
  }
}

static void note_pie(Elf *elf, size_t strtab, const GElf_Dyn *dyn,
                     void *arg) {
  (void)elf, (void)strtab;
  if (dyn->d_tag == DT_FLAGS_1 && (dyn->d_un.d_val & DF_1_PIE))
    *(int *)arg = 1;
}

/* A position-independent executable has an interpreter or says PIE in
 * DT_FLAGS_1; a shared library has neither. */
static int dyn_is_program(Elf *elf, const GElf_Ehdr *ehdr) {
  for (size_t i = 0; i < ehdr->e_phnum; i++) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf, (int)i, &phdr) != NULL && phdr.p_type == PT_INTERP)
      return 1;
  }
  int pie = 0;
  elf_dynamic_foreach(elf, note_pie, &pie);
  return pie;
}

static int check_header(Elf *elf, const char *shown, const char *path,
                        fern_error_t *err) {
  elf_identity want, got;
  GElf_Ehdr ehdr;
  if (read_identity(elf, &got, &ehdr) != 0)
    return fern_error_set(err, FERN_ENOEXEC, "/binary",
                          "binary \"%s\" (%s) is not an ELF file", shown,
                          path);
  if (host_identity(&want) != 0)
    return fern_error_set(err, FERN_EIO, "/binary",
                          "cannot read this machine's own ELF identity");
  if (got.elf_class != want.elf_class || got.machine != want.machine)
    return fern_error_set(err, FERN_ENOEXEC, "/binary",
                          "binary \"%s\" (%s) is built for another machine "
                          "(ELF class %d, machine %d; this one runs class %d, "
                          "machine %d)",
                          shown, path, got.elf_class, got.machine,
                          want.elf_class, want.machine);
  if (ehdr.e_type == ET_EXEC)
    return FERN_OK;
  if (ehdr.e_type == ET_DYN && dyn_is_program(elf, &ehdr))
    return FERN_OK;
  return fern_error_set(err, FERN_ENOEXEC, "/binary",
                        "binary \"%s\" (%s) is not an executable or PIE "
                        "program (%s)",
                        shown, path,
                        ehdr.e_type == ET_DYN ? "it is a shared library"
                        : ehdr.e_type == ET_REL ? "it is an object file"
                                                : "wrong ELF type");
}

int elf_binary_check(int fd, const char *path, const char *shown,
                     fern_error_t *err) {
  if (elf_version(EV_CURRENT) == EV_NONE)
    return fern_error_set(err, FERN_EIO, NULL, "libelf is unusable");
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  int rc = check_header(elf, shown, path, err);
  if (elf != NULL)
    elf_end(elf);
  if (rc == FERN_OK && access(path, X_OK) != 0)
    rc = fern_error_set(err, FERN_EACCES, "/binary",
                        "binary \"%s\" (%s) is not executable (no execute "
                        "permission)",
                        shown, path);
  return rc;
}

static size_t edit_distance(const char *a, const char *b) {
  size_t n = strlen(b), row[256];
  if (n >= 256)
    return (size_t)-1;
  for (size_t j = 0; j <= n; j++)
    row[j] = j;
  for (size_t i = 1; a[i - 1] != '\0'; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= n; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[n];
}

void elf_binary_suggest(const char *package_dir, const char *binary,
                        char *suggestion, size_t size) {
  suggestion[0] = '\0';
  const char *slash = strrchr(binary, '/');
  const char *base = slash ? slash + 1 : binary;
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s/%.*s", package_dir,
           slash ? (int)(slash - binary) : 0, binary);
  DIR *d = opendir(dir);
  if (d == NULL || strlen(base) >= 200) {
    if (d != NULL)
      closedir(d);
    return;
  }
  size_t best = 3;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t distance = edit_distance(e->d_name, base);
    if (e->d_name[0] != '.' && distance < best) {
      best = distance;
      snprintf(suggestion, size, "%.*s%s", slash ? (int)(slash - binary + 1) : 0,
               binary, e->d_name);
    }
  }
  closedir(d);
}
