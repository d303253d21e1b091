/* plugin_peek.c - reads a plugin's entry struct straight from its file with
 * libelf. dlopen runs the library's constructors, so the ABI numbers are
 * checked here first: a plugin built for another ABI never runs a line.
 * It reads through the descriptor the ownership checks were made on, never
 * the path again, so what it reads is what was checked. */
#include <gelf.h>
#include <libelf.h>
#include <string.h>

#include "plugin.h"

static int peek_fail(char *why, size_t why_size, int code, const char *msg) {
  snprintf(why, why_size, "%s", msg);
  return code;
}

static int elf_is_our_shared_object(Elf *elf, char *why, size_t why_size) {
  GElf_Ehdr ehdr;
  if (elf_kind(elf) != ELF_K_ELF || gelf_getehdr(elf, &ehdr) == NULL)
    return peek_fail(why, why_size, FERN_ENOEXEC,
                     "not a shared library (not an ELF file)");
  if (ehdr.e_type != ET_DYN)
    return peek_fail(why, why_size, FERN_ENOEXEC,
                     "not a shared library (ELF, but not ET_DYN)");
  int our_class = sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32;
  if (ehdr.e_ident[EI_CLASS] != our_class)
    return peek_fail(why, why_size, FERN_ENOEXEC,
                     "built for another word size (ELF class)");
  return FERN_OK;
}

/* Finds the bytes at virtual address `addr` in the file's sections. A
 * thread-local section (.tdata, .tbss) holds the template of each thread's
 * block: its addresses are offsets in that block and overlap the addresses
 * of ordinary sections (.tbss commonly sits on .data.rel.ro), so it is
 * never where a global symbol lives. A symbol in a section with no bytes in
 * the file (.bss) has nothing to read: the struct is filled at run time,
 * which the ABI rules out. */
static int read_at_address(Elf *elf, GElf_Addr addr, void *buf, size_t size,
                           char *why, size_t why_size) {
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(elf, scn)) != NULL) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == NULL || !(shdr.sh_flags & SHF_ALLOC) ||
        (shdr.sh_flags & SHF_TLS))
      continue;
    if (addr < shdr.sh_addr || addr >= shdr.sh_addr + shdr.sh_size)
      continue;
    if (shdr.sh_type == SHT_NOBITS)
      return peek_fail(why, why_size, FERN_EABI,
                       "is in a section with no contents in the file (.bss): "
                       "declare it const and initialized, as the "
                       "FERN_*_PLUGIN macros do");
    Elf_Data *data = elf_getdata(scn, NULL);
    size_t offset = (size_t)(addr - shdr.sh_addr);
    if (data == NULL || data->d_buf == NULL || offset >= data->d_size)
      return peek_fail(why, why_size, FERN_EABI,
                       "has no readable contents in the file");
    size_t n = data->d_size - offset < size ? data->d_size - offset : size;
    memset(buf, 0, size);
    memcpy(buf, (const char *)data->d_buf + offset, n);
    return FERN_OK;
  }
  return peek_fail(why, why_size, FERN_EABI,
                   "points at no section of the file");
}

static long find_symbol(Elf *elf, const char *symbol, void *buf, size_t size,
                        char *why, size_t why_size) {
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(elf, scn)) != NULL) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == NULL || shdr.sh_type != SHT_DYNSYM)
      continue;
    Elf_Data *data = elf_getdata(scn, NULL);
    size_t count = shdr.sh_entsize ? shdr.sh_size / shdr.sh_entsize : 0;
    for (size_t i = 0; data != NULL && i < count; i++) {
      GElf_Sym sym;
      if (gelf_getsym(data, (int)i, &sym) == NULL || sym.st_shndx == SHN_UNDEF)
        continue;
      const char *name = elf_strptr(elf, shdr.sh_link, sym.st_name);
      if (name == NULL || strcmp(name, symbol) != 0)
        continue;
      char where[192];
      if (read_at_address(elf, sym.st_value, buf, size, where,
                          sizeof where) != FERN_OK) {
        snprintf(why, why_size, "its entry symbol %s %s", symbol, where);
        return FERN_EABI;
      }
      return (long)sym.st_size;
    }
  }
  snprintf(why, why_size, "missing symbol %s", symbol);
  return FERN_ENOENT;
}

long fern__plugin_peek_symbol(int fd, const char *symbol, void *buf,
                              size_t size, char *why, size_t why_size) {
  if (elf_version(EV_CURRENT) == EV_NONE)
    return peek_fail(why, why_size, FERN_EIO, "libelf is unusable");
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  long rc;
  if (elf == NULL)
    rc = peek_fail(why, why_size, FERN_ENOEXEC,
                   "not a shared library (not an ELF file)");
  else if ((rc = elf_is_our_shared_object(elf, why, why_size)) == FERN_OK)
    rc = find_symbol(elf, symbol, buf, size, why, why_size);
  if (elf != NULL)
    elf_end(elf);
  return rc;
}
