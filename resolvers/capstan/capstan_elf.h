/* capstan_elf.h - whether a program of a Capstan package is built as OSv
 * builds its applications (-fPIC -shared): a shared object, which OSv
 * loads and whose main it calls, rather than an executable. */
#ifndef FERN_RESOLVERS_CAPSTAN_ELF_H
#define FERN_RESOLVERS_CAPSTAN_ELF_H

/* 1 when the file open at `fd` is a 64-bit ELF shared object that is no
 * executable: ET_DYN with neither an interpreter (PT_INTERP) nor the
 * DF_1_PIE flag, as OSv's elf.cc tells them apart; else 0 (an
 * executable, or not readable as ELF: the runner will say what it is). */
int capstan_elf_is_shared_object(int fd);

#endif
