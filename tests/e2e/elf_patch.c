/* elf_patch.c - see elf_patch.h. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "elf_patch.h"

void elf_patch_load(elf_patch *p, const char *path) {
  memset(p, 0, sizeof *p);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  ck_assert_msg(fd >= 0 && fstat(fd, &st) == 0, "cannot open %s", path);
  p->size = (size_t)st.st_size;
  p->data = malloc(p->size);
  ck_assert_ptr_nonnull(p->data);
  ck_assert_int_eq(read(fd, p->data, p->size), (ssize_t)p->size);
  close(fd);
  ElfW(Ehdr) *eh = elf_patch_ehdr(p);
  ck_assert_msg(p->size >= sizeof *eh &&
                    memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 &&
                    eh->e_phentsize == sizeof(ElfW(Phdr)),
                "%s is not an ELF file of this machine's class", path);
}

void elf_patch_save(const elf_patch *p, const char *path, off_t apparent_size) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  ck_assert_msg(fd >= 0, "cannot write %s", path);
  ck_assert_int_eq(write(fd, p->data, p->size), (ssize_t)p->size);
  if (apparent_size > (off_t)p->size)
    ck_assert_int_eq(ftruncate(fd, apparent_size), 0);
  ck_assert_int_eq(fchmod(fd, 0755), 0);
  close(fd);
}

void elf_patch_free(elf_patch *p) {
  free(p->data);
  memset(p, 0, sizeof *p);
}

ElfW(Ehdr) * elf_patch_ehdr(const elf_patch *p) {
  return (ElfW(Ehdr) *)p->data;
}

static ElfW(Phdr) * phdrs(const elf_patch *p) {
  return (ElfW(Phdr) *)(p->data + elf_patch_ehdr(p)->e_phoff);
}

ElfW(Phdr) * elf_patch_phdr(const elf_patch *p, ElfW(Word) type) {
  for (size_t i = 0; i < elf_patch_ehdr(p)->e_phnum; i++)
    if (phdrs(p)[i].p_type == type)
      return &phdrs(p)[i];
  return NULL;
}

ElfW(Shdr) * elf_patch_section(const elf_patch *p, const char *name) {
  ElfW(Ehdr) *eh = elf_patch_ehdr(p);
  ElfW(Shdr) *sh = (ElfW(Shdr) *)(p->data + eh->e_shoff);
  const char *names = (const char *)p->data + sh[eh->e_shstrndx].sh_offset;
  for (size_t i = 0; i < eh->e_shnum; i++)
    if (strcmp(names + sh[i].sh_name, name) == 0)
      return &sh[i];
  ck_abort_msg("no section %s", name);
  return NULL;
}

const char *elf_patch_interp(const elf_patch *p) {
  ElfW(Phdr) *interp = elf_patch_phdr(p, PT_INTERP);
  ck_assert_ptr_nonnull(interp);
  return (const char *)p->data + interp->p_offset;
}

/* Where the loadable byte at `vaddr` is in the file. */
static size_t file_offset(const elf_patch *p, ElfW(Addr) vaddr) {
  for (size_t i = 0; i < elf_patch_ehdr(p)->e_phnum; i++) {
    const ElfW(Phdr) *ph = &phdrs(p)[i];
    if (ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr &&
        vaddr < ph->p_vaddr + ph->p_filesz)
      return ph->p_offset + (vaddr - ph->p_vaddr);
  }
  ck_abort_msg("address 0x%lx is in no loadable segment", (unsigned long)vaddr);
  return 0;
}

/* Appends `len` bytes at the next multiple of `align`; returns where. */
static size_t append(elf_patch *p, const void *bytes, size_t len,
                     size_t align) {
  size_t at = (p->size + align - 1) / align * align;
  p->data = realloc(p->data, at + len);
  ck_assert_ptr_nonnull(p->data);
  memset(p->data + p->size, 0, at - p->size);
  memcpy(p->data + at, bytes, len);
  p->size = at + len;
  return at;
}

/* The PT_NOTE that becomes a new segment, placed at the next page of the
 * file and of memory after everything loaded (both page-aligned). */
static void make_grown_segment(elf_patch *p) {
  ElfW(Addr) page = 0x1000, top = 0;
  for (size_t i = 0; i < elf_patch_ehdr(p)->e_phnum; i++) {
    const ElfW(Phdr) *ph = &phdrs(p)[i];
    if (ph->p_type == PT_LOAD && ph->p_align > page)
      page = ph->p_align;
    if (ph->p_type == PT_LOAD && ph->p_vaddr + ph->p_memsz > top)
      top = ph->p_vaddr + ph->p_memsz;
  }
  size_t at = append(p, "", 0, page);
  ElfW(Phdr) *note = elf_patch_phdr(p, PT_NOTE);
  ck_assert_msg(note != NULL, "no PT_NOTE left to make a segment of");
  ElfW(Addr) vaddr = (top + page - 1) / page * page;
  *note = (ElfW(Phdr)){.p_type = PT_LOAD,
                       .p_flags = PF_R | PF_W,
                       .p_offset = at,
                       .p_vaddr = vaddr,
                       .p_paddr = vaddr,
                       .p_align = page};
  p->grown = note;
}

/* Appends bytes the loader maps (writable: it writes DT_DEBUG); returns
 * their address. */
static ElfW(Addr) append_loadable(elf_patch *p, const void *bytes, size_t len) {
  if (p->grown == NULL)
    make_grown_segment(p);
  size_t index = (size_t)(p->grown - phdrs(p));
  ck_assert_msg(p->size == p->grown->p_offset + p->grown->p_filesz,
                "something was appended after the grown segment");
  size_t at = append(p, bytes, len, sizeof(ElfW(Addr)));
  p->grown = &phdrs(p)[index]; /* the data may have moved */
  p->grown->p_filesz = p->grown->p_memsz = p->size - p->grown->p_offset;
  return p->grown->p_vaddr + (at - p->grown->p_offset);
}

/* A string table: "\0" then each entry's string; `offsets` gets where. */
static char *string_table(const elf_patch_entry *entries, size_t n,
                          size_t *offsets, size_t *size) {
  char *table = calloc(1, 1);
  *size = 1;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(entries[i].string) + 1;
    table = realloc(table, *size + len);
    ck_assert_ptr_nonnull(table);
    memcpy(table + *size, entries[i].string, len);
    offsets[i] = *size;
    *size += len;
  }
  return table;
}

void elf_patch_add_dynamic_section(elf_patch *p, const elf_patch_entry *entries,
                                   size_t n) {
  size_t offsets[16], strings_size;
  ck_assert_uint_le(n, 16);
  char *strings = string_table(entries, n, offsets, &strings_size);
  size_t strings_at = append(p, strings, strings_size, 1);
  free(strings);
  ElfW(Dyn) dyn[17] = {{0}};
  for (size_t i = 0; i < n; i++)
    dyn[i] = (ElfW(Dyn)){.d_tag = entries[i].tag, .d_un.d_val = offsets[i]};
  size_t dyn_at = append(p, dyn, (n + 1) * sizeof *dyn, sizeof(ElfW(Addr)));
  ElfW(Ehdr) *eh = elf_patch_ehdr(p);
  size_t count = eh->e_shnum;
  ElfW(Shdr) *table = calloc(count + 2, sizeof *table);
  memcpy(table, p->data + eh->e_shoff, count * sizeof *table);
  table[count] = (ElfW(Shdr)){.sh_type = SHT_STRTAB,
                              .sh_offset = strings_at,
                              .sh_size = strings_size,
                              .sh_addralign = 1};
  table[count + 1] = (ElfW(Shdr)){.sh_type = SHT_DYNAMIC,
                                  .sh_offset = dyn_at,
                                  .sh_size = (n + 1) * sizeof *dyn,
                                  .sh_link = (ElfW(Word))count,
                                  .sh_addralign = sizeof(ElfW(Addr)),
                                  .sh_entsize = sizeof *dyn};
  size_t table_at =
      append(p, table, (count + 2) * sizeof *table, sizeof(ElfW(Addr)));
  free(table);
  eh = elf_patch_ehdr(p);
  eh->e_shoff = table_at;
  eh->e_shnum = (ElfW(Half))(count + 2);
}

/* The old dynamic entries, without their DT_NULL; `count` gets how many. */
static ElfW(Dyn) * old_dynamic(const elf_patch *p, size_t *count) {
  const ElfW(Phdr) *ph = elf_patch_phdr(p, PT_DYNAMIC);
  ck_assert_ptr_nonnull(ph);
  const ElfW(Dyn) *dyn = (const ElfW(Dyn) *)(p->data + ph->p_offset);
  for (*count = 0; dyn[*count].d_tag != DT_NULL; (*count)++)
    ;
  ElfW(Dyn) *copy = calloc(*count + 1, sizeof *copy);
  memcpy(copy, dyn, *count * sizeof *copy);
  return copy;
}

static ElfW(Dyn) * find_tag(ElfW(Dyn) * dyn, size_t count, ElfW(Sxword) tag) {
  for (size_t i = 0; i < count; i++)
    if (dyn[i].d_tag == tag)
      return &dyn[i];
  ck_abort_msg("no dynamic entry %ld", (long)tag);
  return NULL;
}

/* The old string table with the entries' strings after it, loadable; the
 * new string offsets go to `offsets`. Returns its address. */
static ElfW(Addr) grow_strings(elf_patch *p, ElfW(Dyn) * old, size_t count,
                               const elf_patch_entry *entries, size_t n,
                               size_t *offsets, size_t *size) {
  ElfW(Dyn) *strtab = find_tag(old, count, DT_STRTAB);
  size_t old_size = find_tag(old, count, DT_STRSZ)->d_un.d_val, added;
  char *more = string_table(entries, n, offsets, &added);
  *size = old_size + added;
  char *all = malloc(*size);
  memcpy(all, p->data + file_offset(p, strtab->d_un.d_ptr), old_size);
  memcpy(all + old_size, more, added);
  for (size_t i = 0; i < n; i++)
    offsets[i] += old_size;
  free(more);
  ElfW(Addr) at = append_loadable(p, all, *size);
  free(all);
  return at;
}

/* Points the .dynstr and .dynamic sections at the new copies too, as a
 * linker would have written them. */
static void move_sections(elf_patch *p, ElfW(Addr) strings, size_t strings_size,
                          ElfW(Addr) dyn, size_t dyn_size) {
  ElfW(Shdr) *sh = elf_patch_section(p, ".dynstr");
  sh->sh_addr = strings;
  sh->sh_offset = file_offset(p, strings);
  sh->sh_size = strings_size;
  sh = elf_patch_section(p, ".dynamic");
  sh->sh_addr = dyn;
  sh->sh_offset = file_offset(p, dyn);
  sh->sh_size = dyn_size;
}

void elf_patch_prepend_dynamic(elf_patch *p, const elf_patch_entry *entries,
                               size_t n) {
  size_t count, offsets[16], strings_size;
  ck_assert_uint_le(n, 16);
  ElfW(Dyn) *old = old_dynamic(p, &count);
  ElfW(Addr) strings =
      grow_strings(p, old, count, entries, n, offsets, &strings_size);
  find_tag(old, count, DT_STRTAB)->d_un.d_ptr = strings;
  find_tag(old, count, DT_STRSZ)->d_un.d_val = strings_size;
  ElfW(Dyn) *dyn = calloc(n + count + 1, sizeof *dyn);
  for (size_t i = 0; i < n; i++)
    dyn[i] = (ElfW(Dyn)){.d_tag = entries[i].tag, .d_un.d_val = offsets[i]};
  memcpy(dyn + n, old, count * sizeof *dyn);
  size_t dyn_size = (n + count + 1) * sizeof *dyn;
  ElfW(Addr) at = append_loadable(p, dyn, dyn_size);
  free(dyn);
  free(old);
  ElfW(Phdr) *ph = elf_patch_phdr(p, PT_DYNAMIC);
  ph->p_offset = file_offset(p, at);
  ph->p_vaddr = ph->p_paddr = at;
  ph->p_filesz = ph->p_memsz = dyn_size;
  move_sections(p, strings, strings_size, at, dyn_size);
}

void elf_patch_add_interp(elf_patch *p, const char *path) {
  ElfW(Addr) at = append_loadable(p, path, strlen(path) + 1);
  ElfW(Phdr) *note = elf_patch_phdr(p, PT_NOTE);
  ck_assert_msg(note != NULL && note > elf_patch_phdr(p, PT_INTERP),
                "no PT_NOTE after the first PT_INTERP");
  *note = (ElfW(Phdr)){.p_type = PT_INTERP,
                       .p_flags = PF_R,
                       .p_offset = file_offset(p, at),
                       .p_vaddr = at,
                       .p_paddr = at,
                       .p_filesz = strlen(path) + 1,
                       .p_memsz = strlen(path) + 1,
                       .p_align = 1};
}

void elf_patch_tool(const char *dir, const char *name, elf_patch_fn patch,
                    const elf_patch_entry *entries, size_t n) {
  elf_patch p;
  char path[4200];
  elf_patch_load(&p, ELF_PATCH_TOOL);
  patch(&p, entries, n);
  snprintf(path, sizeof path, "%s/bin/%s", dir, name);
  elf_patch_save(&p, path, 0);
  elf_patch_free(&p);
}
