/* test_elf_image.c - the bounded ELF reader: what it reads of a small
 * well-formed file, and what it refuses, whatever size the headers claim
 * (each file is a memory file, extended sparse where a claim needs it). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fern/fern.h>

#include "../../core/proc/elf_image.h"
#include "unit.h"

/* One loadable segment holding the headers, a dynamic segment, the
 * interpreter's path and the string table. */
typedef struct tiny_elf_s {
  ElfW(Ehdr) eh;
  ElfW(Phdr) ph[4];
  ElfW(Dyn) dyn[4];
  char strings[32];
} tiny_elf;

#define AT(field) offsetof(tiny_elf, field)

static tiny_elf tiny(void) {
  tiny_elf t;
  memset(&t, 0, sizeof t);
  memcpy(t.eh.e_ident, ELFMAG, SELFMAG);
  t.eh.e_ident[EI_CLASS] = __ELF_NATIVE_CLASS == 64 ? ELFCLASS64 : ELFCLASS32;
  t.eh.e_ident[EI_DATA] =
      __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
  t.eh.e_type = ET_DYN;
  t.eh.e_phoff = AT(ph);
  t.eh.e_phentsize = sizeof(ElfW(Phdr));
  t.eh.e_phnum = 3;
  t.ph[0] = (ElfW(Phdr)){
      .p_type = PT_LOAD, .p_filesz = sizeof t, .p_memsz = sizeof t};
  t.ph[1] = (ElfW(Phdr)){.p_type = PT_DYNAMIC,
                         .p_offset = AT(dyn),
                         .p_vaddr = AT(dyn),
                         .p_filesz = sizeof t.dyn};
  t.ph[2] = (ElfW(Phdr)){.p_type = PT_INTERP,
                         .p_offset = AT(strings),
                         .p_vaddr = AT(strings),
                         .p_filesz = 11};
  memcpy(t.strings, "/lib/ld.so\0libc.so.6", 21);
  t.dyn[0] = (ElfW(Dyn)){.d_tag = DT_STRTAB, .d_un.d_ptr = AT(strings)};
  t.dyn[1] = (ElfW(Dyn)){.d_tag = DT_NEEDED, .d_un.d_val = 11};
  t.dyn[2] = (ElfW(Dyn)){.d_tag = DT_FLAGS_1, .d_un.d_val = DF_1_PIE};
  return t;
}

/* A memory file of `t`, `size` bytes long (sparse past `t`). */
static int file_of(const tiny_elf *t, off_t size) {
  int fd = memfd_create("elf-image", MFD_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, t, sizeof *t), (ssize_t)sizeof *t);
  ck_assert_int_eq(
      ftruncate(fd, size > (off_t)sizeof *t ? size : (off_t)sizeof *t), 0);
  return fd;
}

/* Opens `t` as `reader` would and reads its dynamic segment: 0, or the
 * refusal in `why`; the count of entries read in `count`, if not NULL. */
static int read_as(const tiny_elf *t, off_t size, elf_image_reader reader,
                   char *why, size_t *count) {
  int fd = file_of(t, size);
  elf_image img;
  int rc = elf_image_open(&img, fd, reader, why);
  if (rc == FERN_OK)
    rc = elf_image_read_dynamic(&img, why);
  if (count != NULL)
    *count = img.dyn_count;
  elf_image_close(&img);
  close(fd);
  return rc;
}

/* Opens `t` and reads its dynamic segment: 0, or the refusal in `why`. */
static int read_all(const tiny_elf *t, off_t size, char *why) {
  int fd = file_of(t, size);
  elf_image img;
  int rc = elf_image_open(&img, fd, ELF_IMAGE_PROGRAM, why);
  if (rc == FERN_OK)
    rc = elf_image_read_dynamic(&img, why);
  elf_image_close(&img);
  close(fd);
  return rc;
}

/* Opens `t` and reads its dynamic segment, which must work; the fd. */
static int open_read(const tiny_elf *t, elf_image *img) {
  int fd = file_of(t, 0);
  char why[ELF_IMAGE_WHY_MAX];
  ck_assert_int_eq(elf_image_open(img, fd, ELF_IMAGE_PROGRAM, why), FERN_OK);
  ck_assert_int_eq(elf_image_read_dynamic(img, why), FERN_OK);
  return fd;
}

START_TEST(test_reads_what_the_loader_reads) {
  tiny_elf t = tiny();
  elf_image img;
  char why[ELF_IMAGE_WHY_MAX], s[ELF_IMAGE_STRING_MAX];
  int fd = open_read(&t, &img);
  ck_assert_int_eq(elf_image_interp(&img, s, why), FERN_OK);
  ck_assert_str_eq(s, "/lib/ld.so");
  ck_assert_uint_eq(img.dyn_count, 3);
  ElfW(Xword) flags = 0;
  ck_assert(elf_image_dyn_value(&img, DT_FLAGS_1, &flags));
  ck_assert_uint_eq(flags, DF_1_PIE);
  ck_assert_int_eq(elf_image_string(&img, 11, s), 0);
  ck_assert_str_eq(s, "libc.so.6");
  elf_image_close(&img);
  close(fd);
}
END_TEST

START_TEST(test_program_headers_the_kernel_refuses_are_refused) {
  char why[ELF_IMAGE_WHY_MAX];
  tiny_elf t = tiny();
  t.eh.e_phnum = 0;
  ck_assert_int_eq(read_all(&t, 0, why), FERN_ENOEXEC);
  ck_assert_ptr_nonnull(strstr(why, "program header table of 0 entries"));
  /* More than 64 KiB, all of it in the (sparse) file. */
  t.eh.e_phnum = PN_XNUM;
  ck_assert_int_eq(read_all(&t, 1L << 31, why), FERN_ENOEXEC);
  ck_assert_ptr_nonnull(strstr(why, "65535 entries"));
  t = tiny();
  t.eh.e_phoff = 1UL << 40;
  ck_assert_int_eq(read_all(&t, 0, why), FERN_ENOEXEC);
  ck_assert_ptr_nonnull(strstr(why, "past its end"));
  t = tiny();
  t.eh.e_phentsize = 32;
  ck_assert_int_eq(read_all(&t, 0, why), FERN_ENOEXEC);
}
END_TEST

/* fs/binfmt_elf.c, load_elf_phdrs: `size > 65536 || size > ELF_MIN_ALIGN`
 * is refused, ELF_MIN_ALIGN being the page size: 73 entries of 56 bytes
 * on x86-64, not the 1170 that 64 KiB would hold. ld.so reads a library's
 * table whatever its size; fern reads 64 KiB of it. */
START_TEST(test_the_kernel_takes_a_page_of_program_headers) {
  char why[ELF_IMAGE_WHY_MAX];
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t kernel = page < 65536 ? page : 65536;
  ck_assert_uint_eq(elf_image_phdrs_max(ELF_IMAGE_PROGRAM), kernel);
  ck_assert_uint_eq(elf_image_phdrs_max(ELF_IMAGE_INTERPRETER), kernel);
  ck_assert_uint_eq(elf_image_phdrs_max(ELF_IMAGE_LIBRARY), 65536);
  tiny_elf t = tiny();
  size_t fits = kernel / sizeof(ElfW(Phdr));
  t.eh.e_phnum = (ElfW(Half))fits;
  ck_assert_int_eq(read_as(&t, 1 << 20, ELF_IMAGE_PROGRAM, why, NULL), FERN_OK);
  t.eh.e_phnum = (ElfW(Half))(fits + 1);
  ck_assert_int_eq(read_as(&t, 1 << 20, ELF_IMAGE_PROGRAM, why, NULL),
                   FERN_ENOEXEC);
  char said[128];
  snprintf(said, sizeof said, "the kernel takes 1 entry to %zu bytes", kernel);
  ck_assert_msg(strstr(why, said) != NULL, "%s", why);
  ck_assert_int_eq(read_as(&t, 1 << 20, ELF_IMAGE_INTERPRETER, why, NULL),
                   FERN_ENOEXEC);
  ck_assert_int_eq(read_as(&t, 1 << 20, ELF_IMAGE_LIBRARY, why, NULL), FERN_OK);
  t.eh.e_phnum = (ElfW(Half))(65536 / sizeof(ElfW(Phdr)) + 1);
  ck_assert_int_eq(read_as(&t, 1 << 20, ELF_IMAGE_LIBRARY, why, NULL),
                   FERN_ENOEXEC);
  ck_assert_ptr_nonnull(strstr(why, "fern takes 1 entry to 65536 bytes"));
}
END_TEST

/* How many dynamic entries `reader` reads of `t`, or -1 if it refuses
 * the file (the reason in `why`). */
static long entries_read(const tiny_elf *t, elf_image_reader reader,
                         char *why) {
  size_t count;
  return read_as(t, 0, reader, why, &count) == FERN_OK ? (long)count : -1;
}

/* `t` with a PT_DYNAMIC of no bytes after (or, with `first`, before) its
 * real one. */
static tiny_elf with_empty_dynamic(int first) {
  tiny_elf t = tiny();
  t.eh.e_phnum = 4;
  t.ph[3] = t.ph[1];
  t.ph[first ? 1 : 3].p_filesz = t.ph[first ? 1 : 3].p_memsz = 0;
  return t;
}

/* glibc's dl_main (elf/rtld.c) takes the program's last PT_DYNAMIC
 * whatever its size: after an empty last one, its loader reads no
 * DT_NEEDED of the real one before it. */
START_TEST(test_the_program_takes_its_last_dynamic_segment_even_empty) {
  char why[ELF_IMAGE_WHY_MAX];
  tiny_elf t = with_empty_dynamic(0);
  ck_assert_int_eq(entries_read(&t, ELF_IMAGE_PROGRAM, why), 0);
  t = with_empty_dynamic(1);
  ck_assert_int_eq(entries_read(&t, ELF_IMAGE_PROGRAM, why), 3);
}
END_TEST

/* ld.so since glibc 2.35 refuses a library with an empty PT_DYNAMIC, or
 * none (elf/dl-load.c, _dl_map_object_from_fd). */
START_TEST(test_a_library_with_an_empty_or_no_dynamic_segment_is_refused) {
  char why[ELF_IMAGE_WHY_MAX];
  for (int first = 0; first < 2; first++) {
    tiny_elf t = with_empty_dynamic(first);
    ck_assert_int_eq(entries_read(&t, ELF_IMAGE_LIBRARY, why), -1);
    ck_assert_ptr_nonnull(strstr(why, "has an empty dynamic segment"));
  }
  tiny_elf t = tiny();
  ck_assert_int_eq(entries_read(&t, ELF_IMAGE_LIBRARY, why), 3);
  t.ph[1].p_type = PT_NOTE;
  ck_assert_int_eq(entries_read(&t, ELF_IMAGE_LIBRARY, why), -1);
  ck_assert_ptr_nonnull(strstr(why, "has no dynamic segment"));
}
END_TEST

START_TEST(test_a_dynamic_segment_claiming_gigabytes_is_refused) {
  char why[ELF_IMAGE_WHY_MAX];
  tiny_elf t = tiny();
  t.ph[1].p_filesz = t.ph[1].p_memsz = 1UL << 31;
  ck_assert_int_eq(read_all(&t, (1L << 31) + 4096, why), FERN_ENOEXEC);
  ck_assert_ptr_nonnull(strstr(why, "2147483648 bytes"));
  t = tiny();
  t.ph[1].p_vaddr = 1UL << 20;
  ck_assert_int_eq(read_all(&t, 0, why), FERN_ENOEXEC);
  ck_assert_ptr_nonnull(strstr(why, "outside its loadable segments"));
}
END_TEST

START_TEST(test_strings_end_inside_the_loaded_bytes) {
  tiny_elf t = tiny();
  t.ph[0].p_filesz = t.ph[0].p_memsz = AT(strings) + 14; /* "libc" */
  elf_image img;
  char s[ELF_IMAGE_STRING_MAX];
  int fd = open_read(&t, &img);
  ck_assert_int_eq(elf_image_string(&img, 0, s), 0);
  ck_assert_int_eq(elf_image_string(&img, 11, s), -1);
  ck_assert_int_eq(elf_image_string(&img, (ElfW(Xword)) - 1, s), -1);
  elf_image_close(&img);
  close(fd);
}
END_TEST

/* A later PT_LOAD is mapped over an earlier one: its bytes are read. */
START_TEST(test_the_last_segment_holding_an_address_wins) {
  tiny_elf t = tiny();
  memcpy(t.strings + 21, "libz.so\0", 8);
  t.eh.e_phnum = 4;
  t.ph[3] = (ElfW(Phdr)){.p_type = PT_LOAD,
                         .p_offset = AT(strings) + 21,
                         .p_vaddr = AT(strings) + 11,
                         .p_filesz = 8,
                         .p_memsz = 8};
  elf_image img;
  char s[ELF_IMAGE_STRING_MAX];
  int fd = open_read(&t, &img);
  ck_assert_int_eq(elf_image_string(&img, 11, s), 0);
  ck_assert_str_eq(s, "libz.so");
  elf_image_close(&img);
  close(fd);
}
END_TEST

/* The first PT_INTERP of `t` into `s`: its result. */
static int interp_of(const tiny_elf *t, char *s) {
  int fd = file_of(t, 2 * ELF_IMAGE_STRING_MAX);
  elf_image img;
  char why[ELF_IMAGE_WHY_MAX];
  ck_assert_int_eq(elf_image_open(&img, fd, ELF_IMAGE_PROGRAM, why), FERN_OK);
  int rc = elf_image_interp(&img, s, why);
  elf_image_close(&img);
  close(fd);
  return rc;
}

/* fs/binfmt_elf.c: 2 to PATH_MAX bytes, ending with a NUL; the first
 * PT_INTERP is the one. */
START_TEST(test_the_interpreter_follows_the_kernels_rules) {
  const ElfW(Xword) sizes[] = {1, ELF_IMAGE_STRING_MAX + 1, 10};
  char s[ELF_IMAGE_STRING_MAX];
  for (size_t i = 0; i < 3; i++) {
    tiny_elf t = tiny();
    t.ph[2].p_filesz = sizes[i];
    ck_assert_int_eq(interp_of(&t, s), FERN_ENOEXEC);
    ck_assert_str_eq(s, "");
  }
  tiny_elf t = tiny();
  t.eh.e_phnum = 4;
  t.ph[3] = t.ph[2];
  t.ph[3].p_offset += 11;
  t.ph[3].p_filesz = 10;
  ck_assert_int_eq(interp_of(&t, s), FERN_OK);
  ck_assert_str_eq(s, "/lib/ld.so");
}
END_TEST

/* e_ident, e_type and e_machine are read in any class and byte order;
 * only this machine's class is opened. */
START_TEST(test_any_class_is_identified_and_only_ours_opened) {
  unsigned char head[64] = {0x7f, 'E', 'L', 'F', ELFCLASS32, ELFDATA2MSB, 1};
  head[16] = 0, head[17] = ET_DYN, head[18] = 0, head[19] = EM_PPC;
  int fd = memfd_create("elf-image", MFD_CLOEXEC);
  ck_assert_int_eq(write(fd, head, sizeof head), (ssize_t)sizeof head);
  elf_identity id;
  ck_assert_int_eq(elf_image_identify(fd, &id), 0);
  ck_assert_int_eq(id.elf_class, ELFCLASS32);
  ck_assert_int_eq(id.byte_order, ELFDATA2MSB);
  ck_assert_int_eq(id.type, ET_DYN);
  ck_assert_int_eq(id.machine, EM_PPC);
  elf_image img;
  char why[ELF_IMAGE_WHY_MAX];
  ck_assert_int_eq(elf_image_open(&img, fd, ELF_IMAGE_PROGRAM, why),
                   FERN_ENOEXEC);
  ck_assert_int_eq(ftruncate(fd, 3), 0);
  ck_assert_int_eq(elf_image_identify(fd, &id), -1);
  close(fd);
}
END_TEST

Suite *elf_image_suite(void) {
  Suite *s = suite_create("elf_image");
  TCase *tc = tcase_create("elf_image");
  tcase_add_test(tc, test_reads_what_the_loader_reads);
  tcase_add_test(tc, test_program_headers_the_kernel_refuses_are_refused);
  tcase_add_test(tc, test_the_kernel_takes_a_page_of_program_headers);
  tcase_add_test(tc,
                 test_the_program_takes_its_last_dynamic_segment_even_empty);
  tcase_add_test(tc,
                 test_a_library_with_an_empty_or_no_dynamic_segment_is_refused);
  tcase_add_test(tc, test_a_dynamic_segment_claiming_gigabytes_is_refused);
  tcase_add_test(tc, test_strings_end_inside_the_loaded_bytes);
  tcase_add_test(tc, test_the_last_segment_holding_an_address_wins);
  tcase_add_test(tc, test_the_interpreter_follows_the_kernels_rules);
  tcase_add_test(tc, test_any_class_is_identified_and_only_ours_opened);
  suite_add_tcase(s, tc);
  return s;
}
