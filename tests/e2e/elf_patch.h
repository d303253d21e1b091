/* elf_patch.h - real patched ELF files for the tests of what fern reads
 * from a program: a copy of a real program or library, changed with the
 * types of <elf.h> for this machine's class, the way a hostile package
 * author would. Every failure fails the calling test. */
#ifndef FERN_TESTS_ELF_PATCH_H
#define FERN_TESTS_ELF_PATCH_H

#include <link.h>
#include <stddef.h>
#include <sys/types.h>

/* A whole file in memory. Appended loadable bytes land in one segment made
 * of the first PT_NOTE (a note no loader needs). */
typedef struct elf_patch_s {
  unsigned char *data;
  size_t size;
  ElfW(Phdr) * grown; /* the segment appended bytes go to, or NULL */
} elf_patch;

/* A dynamic entry whose value is a string (DT_NEEDED, DT_RUNPATH...). */
typedef struct elf_patch_entry_s {
  ElfW(Sxword) tag;
  const char *string;
} elf_patch_entry;

void elf_patch_load(elf_patch *p, const char *path);
/* Writes the file (mode 0755); with `apparent_size` above its size, the
 * file is extended to it with ftruncate, sparse: it costs no disk. */
void elf_patch_save(const elf_patch *p, const char *path, off_t apparent_size);
void elf_patch_free(elf_patch *p);

ElfW(Ehdr) * elf_patch_ehdr(const elf_patch *p);
/* The first program header of `type`, or NULL. */
ElfW(Phdr) * elf_patch_phdr(const elf_patch *p, ElfW(Word) type);
/* The section named `name`; fails the test without one. */
ElfW(Shdr) * elf_patch_section(const elf_patch *p, const char *name);
/* The string of the first PT_INTERP. */
const char *elf_patch_interp(const elf_patch *p);

/* Appends an SHT_DYNAMIC section holding `entries` (with its own
 * SHT_STRTAB) to the section header table: what the loader never reads. */
void elf_patch_add_dynamic_section(elf_patch *p, const elf_patch_entry *entries,
                                   size_t n);
/* Moves the dynamic segment (PT_DYNAMIC) into loadable memory appended to
 * the file, with `entries` before the old ones: what the loader reads. */
void elf_patch_prepend_dynamic(elf_patch *p, const elf_patch_entry *entries,
                               size_t n);
/* Adds a PT_INTERP naming `path` after the first one, made of a PT_NOTE. */
void elf_patch_add_interp(elf_patch *p, const char *path);

/* The test program, bin/tool of tests/packages/progs, and a library. */
#define ELF_PATCH_TOOL "tests/packages/progs/bin/tool"
#define ELF_PATCH_LIBTOOL "tests/packages/progs/lib/libtool.so"

typedef void (*elf_patch_fn)(elf_patch *p, const elf_patch_entry *entries,
                             size_t n);
/* Writes bin/NAME in the package at `dir`: bin/tool with `patch` applied,
 * e.g. elf_patch_add_dynamic_section (what the loader never reads) or
 * elf_patch_prepend_dynamic (what it reads). */
void elf_patch_tool(const char *dir, const char *name, elf_patch_fn patch,
                    const elf_patch_entry *entries, size_t n);

#endif
