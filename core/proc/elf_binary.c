/* proc_binary.c - checks a program before it is spawned, so that "not an ELF
 * file", "built for another machine" and "a library, not a program" are
 * errors that name the file rather than an exec failure in a child. It
 * reads what the kernel reads, through the bounded reader of elf_image.c:
 * a file whose headers claim gigabytes costs a few KiB to check. */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../edit_distance.h"
#include "elf_image.h"
#include "proc.h"

/* An executable is a program; a position-independent one has an
 * interpreter or says PIE in DT_FLAGS_1 of its dynamic segment; a shared
 * library has neither. The interpreter is checked as the kernel would. */
static int program_kind(elf_image *img, char *why, int *program) {
  char interp[ELF_IMAGE_STRING_MAX];
  ElfW(Xword) flags_1 = 0;
  int rc = elf_image_interp(img, interp, why);
  *program = img->ehdr.e_type == ET_EXEC || interp[0] != '\0';
  if (rc != FERN_OK || *program)
    return rc;
  rc = elf_image_read_dynamic(img, why);
  *program = rc == FERN_OK && elf_image_dyn_value(img, DT_FLAGS_1, &flags_1) &&
             (flags_1 & DF_1_PIE);
  return rc;
}

static int not_a_program(const char *shown, const char *path, int type,
                         fern_error_t *err) {
  return fern_error_set(err, FERN_ENOEXEC, "/binary",
                        "binary \"%s\" (%s) is not an executable or PIE "
                        "program (%s)",
                        shown, path,
                        type == ET_DYN   ? "it is a shared library"
                        : type == ET_REL ? "it is an object file"
                                         : "wrong ELF type");
}

/* Reads what the kernel reads of an executable or shared object of this
 * machine: its headers, its first interpreter, and for a PIE without one,
 * its dynamic segment. */
static int check_program(int fd, const char *shown, const char *path,
                         fern_error_t *err) {
  elf_image img;
  char why[ELF_IMAGE_WHY_MAX];
  int program = 0;
  int rc = elf_image_open(&img, fd, ELF_IMAGE_PROGRAM, why);
  if (rc == FERN_OK)
    rc = program_kind(&img, why, &program);
  int type = img.ehdr.e_type;
  elf_image_close(&img);
  if (rc != FERN_OK)
    return fern_error_set(err, rc, "/binary", "binary \"%s\" (%s) %s", shown,
                          path, why);
  return program ? FERN_OK : not_a_program(shown, path, type, err);
}

int elf_binary_check(int fd, const char *path, const char *shown,
                     fern_error_t *err) {
  elf_identity want, got;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return fern_error_set(err, FERN_ENOEXEC, "/binary",
                          "binary \"%s\" (%s) is not a regular file", shown,
                          path);
  if (elf_image_identify(fd, &got) != 0)
    return fern_error_set(err, FERN_ENOEXEC, "/binary",
                          "binary \"%s\" (%s) is not an ELF file", shown,
                          path);
  if (elf_image_host(&want) != 0)
    return fern_error_set(err, FERN_EIO, "/binary",
                          "cannot read this machine's own ELF identity");
  if (!elf_image_is_native(&got, &want))
    return fern_error_set(err, FERN_ENOEXEC, "/binary",
                          "binary \"%s\" (%s) is built for another machine "
                          "(ELF class %d, machine %d; this one runs class %d, "
                          "machine %d)",
                          shown, path, got.elf_class, got.machine,
                          want.elf_class, want.machine);
  if (got.type != ET_EXEC && got.type != ET_DYN)
    return not_a_program(shown, path, got.type, err);
  int rc = check_program(fd, shown, path, err);
  if (rc == FERN_OK && access(path, X_OK) != 0)
    rc = fern_error_set(err, FERN_EACCES, "/binary",
                        "binary \"%s\" (%s) is not executable (no execute "
                        "permission)",
                        shown, path);
  return rc;
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
    size_t distance = fern__edit_distance(e->d_name, base);
    if (e->d_name[0] != '.' && distance < best) {
      best = distance;
      snprintf(suggestion, size, "%.*s%s", slash ? (int)(slash - binary + 1) : 0,
               binary, e->d_name);
    }
  }
  closedir(d);
}
