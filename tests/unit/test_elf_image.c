/* test_elf_image.c - the bounded ELF reader: what it reads of a small
 * well-formed file, and what it refuses, whatever size the headers claim
 * (each file is a memory file, extended sparse where a claim needs it). */
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fern/fern.h>

#include "../../runners/elf/elf_image.h"
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

/* Opens `t` and reads its dynamic segment: 0, or the refusal in `why`. */
static int read_all(const tiny_elf *t, off_t size, char *why) {
  int fd = file_of(t, size);
  elf_image img;
  int rc = elf_image_open(&img, fd, why);
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
  ck_assert_int_eq(elf_image_open(img, fd, why), FERN_OK);
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
  ck_assert_int_eq(elf_image_open(&img, fd, why), FERN_OK);
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
  ck_assert_int_eq(elf_image_open(&img, fd, why), FERN_ENOEXEC);
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
  tcase_add_test(tc, test_a_dynamic_segment_claiming_gigabytes_is_refused);
  tcase_add_test(tc, test_strings_end_inside_the_loaded_bytes);
  tcase_add_test(tc, test_the_last_segment_holding_an_address_wins);
  tcase_add_test(tc, test_the_interpreter_follows_the_kernels_rules);
  tcase_add_test(tc, test_any_class_is_identified_and_only_ours_opened);
  suite_add_tcase(s, tc);
  return s;
}
