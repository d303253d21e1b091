/* test_ld_cache.c - the sandbox's reading of /etc/ld.so.cache, on caches
 * written here in glibc's "glibc-ld.so.cache1.1" format (alone, and after
 * the old table), well formed and not. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runners/sandbox/sandbox_libs.h"
#include "unit.h"

#if defined(__x86_64__)
#define OURS 0x0303
#elif defined(__aarch64__)
#define OURS 0x0a03
#else
#define OURS 0x0003
#endif
#define OTHER 0x0803 /* FLAG_X8664_LIBX32 | FLAG_ELF_LIBC6: never ours */

typedef struct entry_s {
  int32_t flags;
  const char *name, *path;
  uint64_t hwcap;
} entry;

/* Writes a cache of `entries` to a new file; with `old_entries`, after an
 * old-format table of that many entries. Returns its path (to free). */
static char *write_cache(const entry *entries, uint32_t n, uint32_t old_entries,
                         uint8_t endian) {
  unsigned char buf[4096] = {0};
  size_t base = 0;
  if (old_entries > 0) {
    memcpy(buf, "ld.so-1.7.0", 11);
    memcpy(buf + 12, &old_entries, 4);
    base = (16 + old_entries * 12 + 7) & ~(size_t)7;
  }
  unsigned char *h = buf + base;
  memcpy(h, "glibc-ld.so.cache1.1", 20);
  memcpy(h + 20, &n, 4);
  h[28] = endian;
  size_t strings = 48 + n * 24;
  for (uint32_t i = 0; i < n; i++) {
    unsigned char *e = h + 48 + i * 24;
    uint32_t key = (uint32_t)strings, value;
    strcpy((char *)h + strings, entries[i].name);
    strings += strlen(entries[i].name) + 1;
    value = (uint32_t)strings;
    strcpy((char *)h + strings, entries[i].path);
    strings += strlen(entries[i].path) + 1;
    memcpy(e, &entries[i].flags, 4);
    memcpy(e + 4, &key, 4);
    memcpy(e + 8, &value, 4);
    memcpy(e + 16, &entries[i].hwcap, 8);
  }
  char *path = strdup("/tmp/fern-ld-cache-XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, buf, base + strings), (ssize_t)(base + strings));
  close(fd);
  return path;
}

static const entry sample[] = {
    {OTHER, "libfoo.so.1", "/other/libfoo.so.1", 0},
    {OURS, "libfoo.so.1", "/hwcaps/libfoo.so.1", (1ULL << 62) | 1},
    {OURS, "libfoo.so.1", "/lib/libfoo.so.1", 0},
    {OURS, "libfoo.so.1", "/second/libfoo.so.1", 0},
    {OURS, "libz.so.1", "/lib/libz.so.1", 0},
};

/* Reads the cache at `path` (none if it cannot be opened). */
static void load(ld_cache *cache, const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ld_cache_load(cache, fd);
  if (fd >= 0)
    close(fd);
}

/* Returns what the cache written from `entries` gives for `name`. */
static const char *lookup(const entry *entries, uint32_t n, uint32_t old,
                          uint8_t endian, const char *name, char *out) {
  char *path = write_cache(entries, n, old, endian);
  ld_cache cache;
  load(&cache, path);
  int rc = ld_cache_lookup(&cache, name, out);
  ld_cache_free(&cache);
  unlink(path);
  free(path);
  return rc == 0 ? out : NULL;
}

START_TEST(test_the_first_entry_for_this_machine_is_taken) {
  char out[PATH_MAX];
  ck_assert_str_eq(lookup(sample, 5, 0, 0, "libfoo.so.1", out),
                   "/lib/libfoo.so.1");
  ck_assert_str_eq(lookup(sample, 5, 0, 2, "libz.so.1", out), "/lib/libz.so.1");
  ck_assert_ptr_null(lookup(sample, 5, 0, 0, "libbar.so.1", out));
  ck_assert_ptr_null(lookup(sample, 1, 0, 0, "libfoo.so.1", out));
}
END_TEST

/* _dl_cache_libcmp compares runs of digits as numbers. */
START_TEST(test_version_numbers_compare_as_numbers) {
  char out[PATH_MAX];
  ck_assert_str_eq(lookup(sample, 5, 0, 0, "libz.so.01", out),
                   "/lib/libz.so.1");
  ck_assert_ptr_null(lookup(sample, 5, 0, 0, "libz.so.10", out));
  ck_assert_ptr_null(lookup(sample, 5, 0, 0, "libz.so", out));
}
END_TEST

START_TEST(test_the_new_format_after_the_old_is_read) {
  char out[PATH_MAX];
  ck_assert_str_eq(lookup(sample, 5, 3, 0, "libz.so.1", out), "/lib/libz.so.1");
}
END_TEST

/* What ld.so would not read is no cache at all. */
START_TEST(test_a_cache_glibc_would_not_read_gives_nothing) {
  char out[PATH_MAX];
  uint8_t other_endian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 3 : 2;
  ck_assert_ptr_null(lookup(sample, 5, 0, other_endian, "libz.so.1", out));
  char *path = write_cache(sample, 5, 0, 0);
  FILE *f = fopen(path, "r+");
  uint32_t too_many = 1000000;
  fseek(f, 20, SEEK_SET);
  fwrite(&too_many, 4, 1, f);
  fclose(f);
  ld_cache cache;
  load(&cache, path);
  ck_assert_int_eq(ld_cache_lookup(&cache, "libz.so.1", out), -1);
  ld_cache_free(&cache);
  load(&cache, "/nonexistent/ld.so.cache");
  ck_assert_int_eq(ld_cache_lookup(&cache, "libz.so.1", out), -1);
  unlink(path);
  free(path);
}
END_TEST

/* The glibc-hwcaps entries for a name, which the loader may take instead
 * of the plain one on a CPU that suits them: each once, in order. */
START_TEST(test_the_hwcaps_variants_of_a_name_are_listed) {
  char out[PATH_MAX];
  char *path = write_cache(sample, 5, 0, 0);
  ld_cache cache;
  load(&cache, path);
  uint32_t at = 0;
  ck_assert_int_eq(ld_cache_variant(&cache, "libfoo.so.1", &at, out), 0);
  ck_assert_str_eq(out, "/hwcaps/libfoo.so.1");
  ck_assert_int_eq(ld_cache_variant(&cache, "libfoo.so.1", &at, out), -1);
  at = 0;
  ck_assert_int_eq(ld_cache_variant(&cache, "libz.so.1", &at, out), -1);
  ld_cache_free(&cache);
  unlink(path);
  free(path);
}
END_TEST

/* A name or path offset past the end is passed over, not followed. */
START_TEST(test_offsets_past_the_end_are_passed_over) {
  char out[PATH_MAX];
  char *path = write_cache(sample, 5, 0, 0);
  FILE *f = fopen(path, "r+");
  uint32_t far = 1u << 30;
  fseek(f, 48 + 4 * 24 + 8, SEEK_SET); /* libz's path */
  fwrite(&far, 4, 1, f);
  fclose(f);
  ld_cache cache;
  load(&cache, path);
  ck_assert_int_eq(ld_cache_lookup(&cache, "libz.so.1", out), -1);
  ck_assert_int_eq(ld_cache_lookup(&cache, "libfoo.so.1", out), 0);
  ld_cache_free(&cache);
  unlink(path);
  free(path);
}
END_TEST

Suite *ld_cache_suite(void) {
  Suite *s = suite_create("ld_cache");
  TCase *tc = tcase_create("ld_cache");
  tcase_add_test(tc, test_the_first_entry_for_this_machine_is_taken);
  tcase_add_test(tc, test_version_numbers_compare_as_numbers);
  tcase_add_test(tc, test_the_new_format_after_the_old_is_read);
  tcase_add_test(tc, test_a_cache_glibc_would_not_read_gives_nothing);
  tcase_add_test(tc, test_offsets_past_the_end_are_passed_over);
  tcase_add_test(tc, test_the_hwcaps_variants_of_a_name_are_listed);
  suite_add_tcase(s, tc);
  return s;
}
