/* capstan_elf.c - see capstan_elf.h. Reads the ELF header, the program
 * headers, and the dynamic section's DT_FLAGS_1, through pread: nothing
 * of the file is mapped or run. */
#include "capstan_elf.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define PHDRS_MAX 256
#define DYN_MAX 512

static int read_at(int fd, void *buf, size_t len, off_t at) {
  return pread(fd, buf, len, at) == (ssize_t)len ? 0 : -1;
}

/* Whether the dynamic section at `ph` sets DF_1_PIE. */
static int has_pie_flag(int fd, const Elf64_Phdr *ph) {
  Elf64_Dyn dyn[DYN_MAX];
  size_t n = ph->p_filesz / sizeof *dyn;
  if (n > DYN_MAX)
    n = DYN_MAX;
  if (n == 0 || read_at(fd, dyn, n * sizeof *dyn, (off_t)ph->p_offset) != 0)
    return 0;
  for (size_t i = 0; i < n && dyn[i].d_tag != DT_NULL; i++)
    if (dyn[i].d_tag == DT_FLAGS_1 && (dyn[i].d_un.d_val & DF_1_PIE))
      return 1;
  return 0;
}

static int shared_object(int fd) {
  Elf64_Ehdr eh;
  if (read_at(fd, &eh, sizeof eh, 0) != 0 ||
      memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type != ET_DYN ||
      eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
      eh.e_phnum > PHDRS_MAX)
    return 0;
  Elf64_Phdr ph[PHDRS_MAX];
  if (read_at(fd, ph, eh.e_phnum * sizeof *ph, (off_t)eh.e_phoff) != 0)
    return 0;
  int dynamic = -1;
  for (int i = 0; i < eh.e_phnum; i++) {
    if (ph[i].p_type == PT_INTERP)
      return 0;
    if (ph[i].p_type == PT_DYNAMIC)
      dynamic = i;
  }
  return dynamic < 0 || !has_pie_flag(fd, &ph[dynamic]);
}

int capstan_elf_is_shared_object(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return 0;
  int shared = shared_object(fd);
  close(fd);
  return shared;
}
