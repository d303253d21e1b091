/* capstan_elf.c - see capstan_elf.h. Reads the ELF header, the program
 * headers, and the dynamic section's DT_FLAGS_1, through pread: nothing
 * of the file is mapped or run. */
#include "capstan_elf.h"

#include <elf.h>
#include <string.h>
#include <unistd.h>

#define PHDRS_MAX 256
#define DYN_CHUNK 64

static int read_at(int fd, void *buf, size_t len, off_t at) {
  return pread(fd, buf, len, at) == (ssize_t)len ? 0 : -1;
}

/* Whether the dynamic section at `ph` sets DF_1_PIE; -1 when it cannot
 * be read (then the file is no shared object fern can tell). */
static int has_pie_flag(int fd, const Elf64_Phdr *ph) {
  Elf64_Dyn dyn[DYN_CHUNK];
  size_t total = ph->p_filesz / sizeof *dyn;
  for (size_t done = 0; done < total;) {
    size_t n = total - done < DYN_CHUNK ? total - done : DYN_CHUNK;
    if (read_at(fd, dyn, n * sizeof *dyn,
                (off_t)(ph->p_offset + done * sizeof *dyn)) != 0)
      return -1;
    for (size_t i = 0; i < n; i++) {
      if (dyn[i].d_tag == DT_NULL)
        return 0;
      if (dyn[i].d_tag == DT_FLAGS_1 && (dyn[i].d_un.d_val & DF_1_PIE))
        return 1;
    }
    done += n;
  }
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
  return dynamic < 0 || has_pie_flag(fd, &ph[dynamic]) == 0;
}

int capstan_elf_is_shared_object(int fd) { return shared_object(fd); }
