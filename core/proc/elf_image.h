/* elf_image.h - a bounded reader of the few fields of an ELF file that the
 * kernel and the dynamic loader act on: the ELF header, the program
 * headers, the first PT_INTERP, the entries of PT_DYNAMIC and the strings
 * they name, each found through the PT_LOAD segments as the loader maps
 * them. Section headers are never read: no loader reads them.
 *
 * Every read is one pread of a size bounded here and by the file's real
 * size, so a file whose headers claim gigabytes costs a few KiB. Only this
 * machine's class and byte order are read (plain <elf.h> types, after
 * e_ident is checked): fern runs no other, and a library of another class
 * is only identified, to be passed over as ld.so does. Any thread. */
#ifndef FERN_RUNNERS_ELF_IMAGE_H
#define FERN_RUNNERS_ELF_IMAGE_H

#include <elf.h>
#include <limits.h>
#include <link.h>
#include <stddef.h>
#include <sys/types.h>

/* The most program header bytes read of any file: the kernel's first
 * bound (fs/binfmt_elf.c, load_elf_phdrs), and fern's own for a library
 * (ld.so's _dl_map_object_from_fd takes any e_phnum). */
#define ELF_IMAGE_PHDRS_MAX 65536
/* A dynamic segment is a few hundred bytes; one claiming more is refused. */
#define ELF_IMAGE_DYNAMIC_MAX 65536
/* A string (interpreter, library name, run path) with its NUL: the
 * kernel's bound for the interpreter's path. */
#define ELF_IMAGE_STRING_MAX PATH_MAX
/* Room for the reasons this file's functions give. */
#define ELF_IMAGE_WHY_MAX 256

/* Who reads the file, which decides two rules: how large a program
 * header table may be, and which PT_DYNAMIC counts. */
typedef enum elf_image_reader {
  /* execve: the kernel (fs/binfmt_elf.c, load_elf_binary), then glibc's
   * elf/rtld.c (dl_main) for its PT_DYNAMIC */
  ELF_IMAGE_PROGRAM,
  /* the kernel (load_elf_binary loads the interpreter's headers too) */
  ELF_IMAGE_INTERPRETER,
  /* glibc's ld.so (elf/dl-load.c, _dl_map_object_from_fd) */
  ELF_IMAGE_LIBRARY
} elf_image_reader;

/* What any ELF file says it is, in any class and byte order. */
typedef struct elf_identity_s {
  int elf_class;  /* ELFCLASS32, ELFCLASS64 */
  int byte_order; /* ELFDATA2LSB, ELFDATA2MSB */
  int machine;    /* EM_* */
  int type;       /* ET_* */
} elf_identity;

/* One ELF file of this machine's class and byte order, being read. */
typedef struct elf_image_s {
  int fd;     /* borrowed: the caller opened it and closes it */
  elf_image_reader reader;
  off_t size; /* st_size: no read goes past it */
  ElfW(Ehdr) ehdr;
  ElfW(Phdr) * phdr; /* ehdr.e_phnum entries */
  ElfW(Dyn) * dyn;   /* PT_DYNAMIC's entries before DT_NULL, or NULL */
  size_t dyn_count;
} elf_image;

/* Reads the identity of the file at `fd`: 0, or -1 if it is not an ELF
 * file (too short, or no ELF magic). */
int elf_image_identify(int fd, elf_identity *id);
/* This very process's identity: a file of the same runs here. 0 or -1. */
int elf_image_host(elf_identity *id);
/* Whether `id` is of this machine's class, byte order and machine. */
int elf_image_is_native(const elf_identity *id, const elf_identity *host);

/* Writes a reason into `why` (ELF_IMAGE_WHY_MAX bytes) and returns
 * FERN_ENOEXEC. */
__attribute__((format(printf, 2, 3))) int
elf_image_refuse(char *why, const char *fmt, ...);
/* The most program header bytes `reader` takes: for the kernel,
 * ELF_MIN_ALIGN (the page size) when that is below 64 KiB. */
size_t elf_image_phdrs_max(elf_image_reader reader);
/* Reads the ELF header and the program headers of the regular file at
 * `fd` (of this machine's class and byte order: elf_image_is_native), as
 * `reader` would. 0, or FERN_ENOEXEC with the reason in `why`
 * (ELF_IMAGE_WHY_MAX bytes, a phrase that follows the file's name: "is
 * not ..."). */
int elf_image_open(elf_image *img, int fd, elf_image_reader reader, char *why);
void elf_image_close(elf_image *img);

/* The first program header of `type` (the kernel acts on the first
 * PT_INTERP), or NULL. */
const ElfW(Phdr) * elf_image_first(const elf_image *img, ElfW(Word) type);
/* The first PT_INTERP's path into `path` (ELF_IMAGE_STRING_MAX bytes), or
 * "" without one. 0, or FERN_ENOEXEC with `why` where the kernel would
 * refuse it (fs/binfmt_elf.c, load_elf_binary). */
int elf_image_interp(const elf_image *img, char *path, char *why);
/* Reads the entries of the PT_DYNAMIC the file's reader uses into
 * img->dyn (none without one). 0, or FERN_ENOEXEC with `why`, also where
 * ld.so refuses a library for its PT_DYNAMIC. */
int elf_image_read_dynamic(elf_image *img, char *why);
/* The value of the last entry with `tag` (the loader keeps the last one:
 * glibc elf/get-dynamic-info.h); 1 if there is one, else 0. */
int elf_image_dyn_value(const elf_image *img, ElfW(Sxword) tag,
                        ElfW(Xword) * value);
/* The string at `offset` in DT_STRTAB into `out` (ELF_IMAGE_STRING_MAX
 * bytes). 0, or -1 if it is outside the file's loaded bytes or longer. */
int elf_image_string(const elf_image *img, ElfW(Xword) offset, char *out);

#endif
