/* test_plugin.c - the loader: what it accepts, what it refuses and why.
 * Uses the fixture plugins built into FERN_BUILD/tests/plugins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include "plugin.h"
#include "unit.h"

static fern__plugin_registry reg;
static char dir[4096];

static void scan_fixtures(void) {
  snprintf(dir, sizeof dir, "%s/tests/plugins", unit_build_dir());
  const char *dirs[] = {dir, NULL};
  ck_assert_int_eq(fern__plugins_scan(&reg, dirs), FERN_OK);
}

static fern__plugin *load(const char *name) {
  fern__plugin *p = fern__strmap_get(&reg.by_name, name);
  ck_assert_msg(p != NULL, "fixture %s.so not found in %s", name, dir);
  fern__plugin_load(p);
  return p;
}

static void expect_refused(const char *name, int code, const char *reason) {
  scan_fixtures();
  fern__plugin *p = load(name);
  ck_assert_int_eq(p->load_rc, code);
  ck_assert_ptr_null(p->handle);
  ck_assert_msg(strstr(p->load_error, p->path) != NULL,
                "error does not name the file: %s", p->load_error);
  ck_assert_msg(strstr(p->load_error, reason) != NULL, "expected \"%s\" in %s",
                reason, p->load_error);
  fern__plugins_free(&reg);
}

START_TEST(test_good_runner_loads) {
  scan_fixtures();
  fern__plugin *p = load("good");
  ck_assert_int_eq(p->load_rc, FERN_OK);
  ck_assert_ptr_nonnull(p->runner);
  ck_assert_ptr_null(p->resolver);
  ck_assert_uint_eq(p->abi_major, FERN_RUNNER_ABI_MAJOR);
  ck_assert_uint_eq(p->host_abi_minor, FERN_HOST_ABI_MINOR);
  fern__plugin *out;
  fern_error_t err = FERN_ERROR_INIT;
  ck_assert_int_eq(fern__plugins_get(&reg, "good", FERN_PLUGIN_RUNNER, &out,
                                     &err),
                   FERN_OK);
  ck_assert_int_eq(fern__plugins_get(&reg, "good", FERN_PLUGIN_RESOLVER, &out,
                                     &err),
                   FERN_ENOENT);
  ck_assert_ptr_nonnull(strstr(err.message, "is not a resolver plugin"));
  fern__plugins_free(&reg);
}
END_TEST

START_TEST(test_other_major_is_refused_before_its_code_runs) {
  unsetenv("FERN_BAD_MAJOR_RAN");
  expect_refused("bad_major", FERN_EABI, "ABI 3.0, this fern speaks 2.x");
  ck_assert_ptr_null(getenv("FERN_BAD_MAJOR_RAN"));
}
END_TEST

START_TEST(test_too_small_struct_is_refused) {
  char reason[128];
  snprintf(reason, sizeof reason,
           "claims 32 bytes (struct_size) and its symbol is 32 bytes; ABI "
           "2.%d needs at least",
           FERN_RUNNER_ABI_MINOR);
  expect_refused("bad_small", FERN_EABI, reason);
}
END_TEST

/* A plugin of the first ABI is told apart from a file with no entry. */
START_TEST(test_an_abi_1_plugin_is_told_to_be_rebuilt) {
  expect_refused("old_abi", FERN_EABI, "it exports fern_runner_v1, of plugin "
                                       "ABI 1 (fern 0.1); this fern speaks "
                                       "ABI 2");
}
END_TEST

/* Built against a newer fern.h than this fern's: refused before it could
 * read past the end of the host table, naming both versions. */
START_TEST(test_a_plugin_needing_a_newer_host_is_refused) {
  char want[128];
  snprintf(want, sizeof want,
           "fern_runner_v2 needs host ABI %d.%d, this fern offers %d.%d",
           FERN_HOST_ABI_MAJOR, FERN_HOST_ABI_MINOR + 3, FERN_HOST_ABI_MAJOR,
           FERN_HOST_ABI_MINOR);
  expect_refused("new_host", FERN_EABI, want);
}
END_TEST

/* Whether the fixture still shows the trap: a TLS section whose address
 * range takes in `symbol`'s address. */
static int tls_overlaps_symbol(const char *path, const char *symbol) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_ne(elf_version(EV_CURRENT), EV_NONE);
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  GElf_Addr at = 0, tls_lo = 0, tls_hi = 0;
  for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    gelf_getshdr(scn, &shdr);
    if (shdr.sh_flags & SHF_TLS) {
      tls_lo = shdr.sh_addr;
      tls_hi = shdr.sh_addr + shdr.sh_size;
    }
    Elf_Data *data = elf_getdata(scn, NULL);
    for (size_t i = 0; shdr.sh_type == SHT_DYNSYM && shdr.sh_entsize &&
                       i < shdr.sh_size / shdr.sh_entsize;
         i++) {
      GElf_Sym sym;
      gelf_getsym(data, (int)i, &sym);
      if (strcmp(elf_strptr(elf, shdr.sh_link, sym.st_name), symbol) == 0)
        at = sym.st_value;
    }
  }
  elf_end(elf);
  close(fd);
  return at != 0 && at >= tls_lo && at < tls_hi;
}

/* .tbss holds addresses that are offsets in each thread's block; in this
 * fixture it overlaps the entry struct's .data.rel.ro by address. */
START_TEST(test_thread_local_storage_does_not_hide_the_entry) {
  char path[4200];
  snprintf(path, sizeof path, "%s/tests/plugins/tls.so", unit_build_dir());
  ck_assert_msg(tls_overlaps_symbol(path, FERN_RUNNER_SYMBOL),
                "the fixture no longer puts .tbss over its entry struct");
  scan_fixtures();
  fern__plugin *p = load("tls");
  ck_assert_msg(p->load_rc == FERN_OK, "%s", p->load_error);
  ck_assert_ptr_nonnull(p->runner);
  fern__plugins_free(&reg);
}
END_TEST

START_TEST(test_an_entry_in_bss_is_refused_for_that_reason) {
  expect_refused("bss", FERN_EABI, "fern_runner_v2 is in a section with no "
                                   "contents in the file (.bss)");
}
END_TEST

START_TEST(test_a_table_without_a_call_names_the_call) {
  expect_refused("half", FERN_EABI, "resolver table lacks the required call "
                                    "resolve");
}
END_TEST

START_TEST(test_missing_symbol_is_refused) {
  expect_refused("no_symbol", FERN_ENOENT, "missing symbol");
}
END_TEST

START_TEST(test_name_must_match_file) {
  expect_refused("misnamed", FERN_EABI, "calls itself \"something_else\"");
}
END_TEST

START_TEST(test_not_a_shared_library_is_refused) {
  char tmp[] = "/tmp/fern-plugins-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(tmp));
  char path[256];
  snprintf(path, sizeof path, "%s/text.so", tmp);
  FILE *f = fopen(path, "w");
  fputs("this is not a library\n", f);
  fclose(f);
  const char *dirs[] = {tmp, NULL};
  ck_assert_int_eq(fern__plugins_scan(&reg, dirs), FERN_OK);
  fern__plugin *p = load("text");
  ck_assert_int_eq(p->load_rc, FERN_ENOEXEC);
  ck_assert_ptr_nonnull(strstr(p->load_error, "not a shared library"));
  ck_assert_ptr_nonnull(strstr(p->load_error, path));
  fern__plugins_free(&reg);
  unlink(path);
  rmdir(tmp);
}
END_TEST

START_TEST(test_unknown_plugin_name_says_where_it_looked) {
  scan_fixtures();
  fern__plugin *out;
  fern_error_t err = FERN_ERROR_INIT;
  ck_assert_int_eq(fern__plugins_get(&reg, "nothing", FERN_PLUGIN_RUNNER, &out,
                                     &err),
                   FERN_ENOENT);
  ck_assert_ptr_nonnull(strstr(err.message, "nothing.so"));
  fern__plugins_free(&reg);
}
END_TEST

START_TEST(test_earlier_directory_wins) {
  char first[] = "/tmp/fern-plugins-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(first));
  char src[4200], dst[256];
  snprintf(src, sizeof src, "%s/tests/plugins/good.so", unit_build_dir());
  snprintf(dst, sizeof dst, "%s/good.so", first);
  ck_assert_int_eq(symlink(src, dst), 0);
  snprintf(dir, sizeof dir, "%s/tests/plugins", unit_build_dir());
  const char *dirs[] = {first, dir, NULL};
  ck_assert_int_eq(fern__plugins_scan(&reg, dirs), FERN_OK);
  fern__plugin *p = fern__strmap_get(&reg.by_name, "good");
  ck_assert_str_eq(p->path, dst);
  fern__plugins_free(&reg);
  unlink(dst);
  rmdir(first);
}
END_TEST

Suite *plugin_suite(void) {
  Suite *s = suite_create("plugin");
  TCase *tc = tcase_create("loading");
  tcase_add_test(tc, test_good_runner_loads);
  tcase_add_test(tc, test_other_major_is_refused_before_its_code_runs);
  tcase_add_test(tc, test_too_small_struct_is_refused);
  tcase_add_test(tc, test_an_abi_1_plugin_is_told_to_be_rebuilt);
  tcase_add_test(tc, test_a_plugin_needing_a_newer_host_is_refused);
  tcase_add_test(tc, test_missing_symbol_is_refused);
  tcase_add_test(tc, test_thread_local_storage_does_not_hide_the_entry);
  tcase_add_test(tc, test_an_entry_in_bss_is_refused_for_that_reason);
  tcase_add_test(tc, test_a_table_without_a_call_names_the_call);
  tcase_add_test(tc, test_name_must_match_file);
  tcase_add_test(tc, test_not_a_shared_library_is_refused);
  tcase_add_test(tc, test_unknown_plugin_name_says_where_it_looked);
  tcase_add_test(tc, test_earlier_directory_wins);
  suite_add_tcase(s, tc);
  return s;
}
