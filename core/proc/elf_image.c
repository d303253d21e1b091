/* elf_image.c - see elf_image.h. */
#include <endian.h>
#include <fcntl.h>
#include <fern/fern.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_image.h"

#define NATIVE_CLASS (__ELF_NATIVE_CLASS == 64 ? ELFCLASS64 : ELFCLASS32)
#if __BYTE_ORDER == __LITTLE_ENDIAN
#define NATIVE_BYTE_ORDER ELFDATA2LSB
#else
#define NATIVE_BYTE_ORDER ELFDATA2MSB
#endif

/* Reads exactly `size` bytes at `offset`, all of them inside the file. */
static int read_at(int fd, off_t file_size, void *buf, size_t size,
                   uint64_t offset) {
  if (offset > (uint64_t)file_size || size > (uint64_t)file_size - offset)
    return -1;
  return pread(fd, buf, size, (off_t)offset) == (ssize_t)size ? 0 : -1;
}

static int half(const unsigned char *p, int byte_order) {
  return byte_order == ELFDATA2MSB ? p[0] << 8 | p[1] : p[1] << 8 | p[0];
}

/* e_ident, e_type and e_machine lie at the same place in both classes. */
int elf_image_identify(int fd, elf_identity *id) {
  unsigned char head[EI_NIDENT + 4];
  if (pread(fd, head, sizeof head, 0) != (ssize_t)sizeof head ||
      memcmp(head, ELFMAG, SELFMAG) != 0)
    return -1;
  id->elf_class = head[EI_CLASS];
  id->byte_order = head[EI_DATA];
  id->type = half(head + EI_NIDENT, id->byte_order);
  id->machine = half(head + EI_NIDENT + 2, id->byte_order);
  return 0;
}

int elf_image_host(elf_identity *id) {
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  int rc = elf_image_identify(fd, id);
  close(fd);
  return rc;
}

int elf_image_is_native(const elf_identity *id, const elf_identity *host) {
  return id->elf_class == NATIVE_CLASS && id->byte_order == NATIVE_BYTE_ORDER &&
         id->machine == host->machine;
}

int elf_image_refuse(char *why, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, ELF_IMAGE_WHY_MAX, fmt, ap);
  va_end(ap);
  return FERN_ENOEXEC;
}

/* The kernel refuses `size == 0 || size > 65536 || size > ELF_MIN_ALIGN`
 * (fs/binfmt_elf.c, load_elf_phdrs, for the program and its interpreter),
 * ELF_MIN_ALIGN being the larger of ELF_EXEC_PAGESIZE and PAGE_SIZE: the
 * page size on x86-64 (4096) and arm64 (ELF_EXEC_PAGESIZE is PAGE_SIZE),
 * which is what AT_PAGESZ, and so sysconf, gives. ld.so reads a library's
 * table whatever its size; fern reads 64 KiB at most. */
size_t elf_image_phdrs_max(elf_image_reader reader) {
  long page = sysconf(_SC_PAGESIZE);
  if (reader == ELF_IMAGE_LIBRARY || page <= 0 || page > ELF_IMAGE_PHDRS_MAX)
    return ELF_IMAGE_PHDRS_MAX;
  return (size_t)page;
}

/* The program header table: entries of this class's size, at least one,
 * no more than the reader takes; and it must lie inside the file. */
static int read_phdrs(elf_image *img, char *why) {
  const ElfW(Ehdr) *eh = &img->ehdr;
  if (eh->e_phentsize != sizeof(ElfW(Phdr)))
    return elf_image_refuse(why,
                            "has program headers of %u bytes, not this class's",
                            (unsigned)eh->e_phentsize);
  size_t size = (size_t)eh->e_phnum * sizeof(ElfW(Phdr));
  size_t max = elf_image_phdrs_max(img->reader);
  if (eh->e_phnum == 0 || size > max)
    return elf_image_refuse(
        why,
        "has a program header table of %u entries (%zu bytes): %s takes 1 "
        "entry to %zu bytes",
        (unsigned)eh->e_phnum, size,
        img->reader == ELF_IMAGE_LIBRARY ? "fern" : "the kernel", max);
  if ((img->phdr = malloc(size)) == NULL)
    return elf_image_refuse(why, "cannot be read: out of memory");
  if (read_at(img->fd, img->size, img->phdr, size, eh->e_phoff) != 0)
    return elf_image_refuse(
        why, "has a program header table past its end (%llu bytes)",
        (unsigned long long)img->size);
  return 0;
}

int elf_image_open(elf_image *img, int fd, elf_image_reader reader, char *why) {
  memset(img, 0, sizeof *img);
  img->fd = fd;
  img->reader = reader;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return elf_image_refuse(why, "is not a regular file");
  img->size = st.st_size;
  if (read_at(fd, img->size, &img->ehdr, sizeof img->ehdr, 0) != 0)
    return elf_image_refuse(why, "is shorter than an ELF header (%llu bytes)",
                            (unsigned long long)img->size);
  if (img->ehdr.e_ident[EI_CLASS] != NATIVE_CLASS ||
      img->ehdr.e_ident[EI_DATA] != NATIVE_BYTE_ORDER)
    return elf_image_refuse(why, "is not of this machine's ELF class");
  int rc = read_phdrs(img, why);
  if (rc != 0)
    elf_image_close(img);
  return rc;
}

void elf_image_close(elf_image *img) {
  free(img->phdr);
  free(img->dyn);
  img->phdr = NULL;
  img->dyn = NULL;
  img->dyn_count = 0;
  img->ehdr.e_phnum = 0; /* no program header is read after this */
}

const ElfW(Phdr) * elf_image_first(const elf_image *img, ElfW(Word) type) {
  for (size_t i = 0; i < img->ehdr.e_phnum; i++)
    if (img->phdr[i].p_type == type)
      return &img->phdr[i];
  return NULL;
}

/* The kernel takes the first PT_INTERP, of 2 to PATH_MAX bytes ending with
 * a NUL, read at p_offset (fs/binfmt_elf.c, load_elf_binary). */
int elf_image_interp(const elf_image *img, char *path, char *why) {
  const ElfW(Phdr) *ph = elf_image_first(img, PT_INTERP);
  path[0] = '\0';
  if (ph == NULL)
    return 0;
  if (ph->p_filesz < 2 || ph->p_filesz > ELF_IMAGE_STRING_MAX)
    return elf_image_refuse(
        why,
        "has an interpreter path (PT_INTERP) of %llu bytes: the "
        "kernel takes 2 to 4096",
        (unsigned long long)ph->p_filesz);
  if (read_at(img->fd, img->size, path, ph->p_filesz, ph->p_offset) != 0 ||
      path[ph->p_filesz - 1] != '\0') {
    path[0] = '\0';
    return elf_image_refuse(
        why,
        "has an interpreter path (PT_INTERP) past its end or not "
        "ending with a NUL (%llu bytes)",
        (unsigned long long)ph->p_filesz);
  }
  return 0;
}

/* Where the loaded byte at `vaddr` comes from in the file, and how many
 * bytes of the file follow it in that segment. The last PT_LOAD holding it
 * wins: segments are mapped in order, each over the ones before (the
 * kernel's elf_map with MAP_FIXED; glibc elf/dl-map-segments.h). */
static int file_offset(const elf_image *img, ElfW(Addr) vaddr, uint64_t *offset,
                       uint64_t *avail) {
  int found = 0;
  for (size_t i = 0; i < img->ehdr.e_phnum; i++) {
    const ElfW(Phdr) *ph = &img->phdr[i];
    if (ph->p_type != PT_LOAD || vaddr < ph->p_vaddr ||
        vaddr - ph->p_vaddr >= ph->p_filesz)
      continue;
    *offset = ph->p_offset + (vaddr - ph->p_vaddr);
    *avail = ph->p_filesz - (vaddr - ph->p_vaddr);
    found = *offset >= ph->p_offset && *offset < (uint64_t)img->size;
  }
  if (found && *avail > (uint64_t)img->size - *offset)
    *avail = (uint64_t)img->size - *offset;
  return found ? 0 : -1;
}

/* The PT_DYNAMIC the loader uses: for the program, the last one, whatever
 * its size (glibc elf/rtld.c, dl_main, takes each in turn); for a library,
 * the last one, and none may be empty: since glibc 2.35 ld.so refuses a
 * library with an empty one (separate debug information) or none at all
 * (elf/dl-load.c, _dl_map_object_from_fd: "object file has no dynamic
 * section"). NULL without one; `empty` says whether one was empty. */
static const ElfW(Phdr) * dynamic_segment(const elf_image *img, int *empty) {
  const ElfW(Phdr) *ph = NULL;
  *empty = 0;
  for (size_t i = 0; i < img->ehdr.e_phnum; i++)
    if (img->phdr[i].p_type == PT_DYNAMIC) {
      ph = &img->phdr[i];
      *empty |= ph->p_filesz == 0;
    }
  return ph;
}

/* The loader reads the entries at the segment's address up to DT_NULL
 * (glibc elf/get-dynamic-info.h). Entries past p_filesz are not read: a
 * DT_NEEDED hidden there would not be bound, and the program would not
 * load. */
int elf_image_read_dynamic(elf_image *img, char *why) {
  int empty;
  const ElfW(Phdr) *ph = dynamic_segment(img, &empty);
  if (img->reader == ELF_IMAGE_LIBRARY && (ph == NULL || empty))
    return elf_image_refuse(why,
                            "has %s dynamic segment (PT_DYNAMIC), and "
                            "the dynamic loader refuses such a library",
                            ph == NULL ? "no" : "an empty");
  if (ph == NULL || ph->p_filesz == 0)
    return 0; /* a program's empty one: no entry within p_filesz */
  if (ph->p_filesz > ELF_IMAGE_DYNAMIC_MAX)
    return elf_image_refuse(
        why,
        "has a dynamic segment (PT_DYNAMIC) of %llu bytes: fern reads "
        "64 KiB at most",
        (unsigned long long)ph->p_filesz);
  uint64_t offset, avail;
  if (file_offset(img, ph->p_vaddr, &offset, &avail) != 0)
    return elf_image_refuse(
        why,
        "has a dynamic segment (PT_DYNAMIC) at 0x%llx, outside its "
        "loadable segments",
        (unsigned long long)ph->p_vaddr);
  size_t count =
      (avail < ph->p_filesz ? avail : ph->p_filesz) / sizeof(ElfW(Dyn));
  if ((img->dyn = calloc(count + 1, sizeof(ElfW(Dyn)))) == NULL ||
      read_at(img->fd, img->size, img->dyn, count * sizeof(ElfW(Dyn)),
              offset) != 0)
    return elf_image_refuse(why, "has a dynamic segment that cannot be read");
  while (img->dyn_count < count && img->dyn[img->dyn_count].d_tag != DT_NULL)
    img->dyn_count++;
  return 0;
}

int elf_image_dyn_value(const elf_image *img, ElfW(Sxword) tag,
                        ElfW(Xword) * value) {
  int found = 0;
  for (size_t i = 0; i < img->dyn_count; i++)
    if (img->dyn[i].d_tag == tag) {
      *value = img->dyn[i].d_un.d_val;
      found = 1;
    }
  return found;
}

int elf_image_string(const elf_image *img, ElfW(Xword) offset, char *out) {
  ElfW(Xword) strtab;
  uint64_t at, avail;
  if (!elf_image_dyn_value(img, DT_STRTAB, &strtab) ||
      strtab + offset < strtab ||
      file_offset(img, strtab + offset, &at, &avail) != 0)
    return -1;
  size_t n =
      avail < ELF_IMAGE_STRING_MAX ? (size_t)avail : ELF_IMAGE_STRING_MAX;
  if (pread(img->fd, out, n, (off_t)at) != (ssize_t)n ||
      memchr(out, '\0', n) == NULL) {
    out[0] = '\0';
    return -1;
  }
  return 0;
}
