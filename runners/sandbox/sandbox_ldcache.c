/* sandbox_ldcache.c - the library paths /etc/ld.so.cache gives, read as
 * glibc's elf/dl-cache.c reads them: the "glibc-ld.so.cache1.1" format of
 * sysdeps/generic/dl-cache.h, alone or after the old "ld.so-1.7.0" table,
 * and only the entries for this machine. The whole file is read (it is
 * bounded) and every offset in it is checked against its size. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox_libs.h"

#define CACHE_MAGIC "glibc-ld.so.cache1.1"
#define CACHE_OLD_MAGIC "ld.so-1.7.0"
#define CACHE_HEADER 48     /* struct cache_file_new */
#define CACHE_ENTRY 24      /* struct file_entry_new */
#define CACHE_OLD_HEADER 16 /* struct cache_file: magic, then nlibs */
#define CACHE_OLD_ENTRY 12  /* struct file_entry */

/* The entry flags ld.so takes (_DL_CACHE_DEFAULT_ID and
 * _dl_cache_check_flags of each sysdeps/.../dl-cache.h). */
#if defined(__x86_64__) && defined(__LP64__)
#define CACHE_ID 0x0303 /* FLAG_X8664_LIB64 | FLAG_ELF_LIBC6 */
#define CACHE_ELF_TOO 0
#elif defined(__aarch64__) && defined(__LP64__)
#define CACHE_ID 0x0a03 /* FLAG_AARCH64_LIB64 | FLAG_ELF_LIBC6 */
#define CACHE_ELF_TOO 0
#else
#define CACHE_ID 0x0003 /* FLAG_ELF_LIBC6; FLAG_ELF (1) counts too */
#define CACHE_ELF_TOO 1
#endif

typedef struct cache_entry_s {
  int32_t flags;
  uint32_t key, value; /* offsets of its name and path */
  uint64_t hwcap;
} cache_entry;

static uint32_t u32_at(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* Where the new format's header is: at the start, or after the old table
 * (ALIGN_CACHE); 0 and the count of entries, or -1. */
static int find_header(ld_cache *c) {
  c->base = 0;
  if (c->size >= CACHE_OLD_HEADER &&
      memcmp(c->data, CACHE_OLD_MAGIC, strlen(CACHE_OLD_MAGIC)) == 0) {
    uint64_t old = u32_at(c->data + 12);
    c->base = (size_t)((CACHE_OLD_HEADER + old * CACHE_OLD_ENTRY + 7) & ~7ULL);
  }
  if (c->base >= c->size || c->size - c->base <= CACHE_HEADER ||
      memcmp(c->data + c->base, CACHE_MAGIC, strlen(CACHE_MAGIC)) != 0)
    return -1;
  /* The endianness bits: unset, or this machine's (2 little, 3 big). */
  unsigned flags = c->data[c->base + 28];
  unsigned ours = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 2 : 3;
  c->nlibs = u32_at(c->data + c->base + 20);
  if (flags != 0 && (flags & 3) != ours)
    return -1;
  return (c->size - c->base - CACHE_HEADER) / CACHE_ENTRY >= c->nlibs ? 0 : -1;
}

void ld_cache_load(ld_cache *cache, int fd) {
  memset(cache, 0, sizeof *cache);
  struct stat st;
  if (fd < 0)
    return;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      st.st_size <= SANDBOX_LD_CACHE_MAX &&
      (cache->data = malloc((size_t)st.st_size + 1)) != NULL &&
      pread(fd, cache->data, (size_t)st.st_size, 0) == st.st_size) {
    cache->size = (size_t)st.st_size;
    if (find_header(cache) != 0)
      ld_cache_free(cache);
  } else {
    ld_cache_free(cache);
  }
}

void ld_cache_free(ld_cache *cache) {
  free(cache->data);
  memset(cache, 0, sizeof *cache);
}

/* The string at `offset` from the header, if it ends inside the file. */
static const char *cache_string(const ld_cache *c, uint32_t offset) {
  size_t left = c->size - c->base;
  const char *s = (const char *)c->data + c->base + offset;
  return offset < left && memchr(s, '\0', left - offset) != NULL ? s : NULL;
}

/* Equality under glibc's _dl_cache_libcmp (elf/dl-cache.c): runs of
 * digits compare as numbers, so "libx.so.01" names "libx.so.1". */
static int same_name(const char *a, const char *b) {
  const char *digits = "0123456789";
  while (*a != '\0' && *b != '\0') {
    size_t na = strspn(a, digits), nb = strspn(b, digits);
    if (na == 0 || nb == 0) {
      if (*a++ != *b++)
        return 0;
      continue;
    }
    for (; na > 1 && *a == '0'; na--)
      a++;
    for (; nb > 1 && *b == '0'; nb--)
      b++;
    if (na != nb || strncmp(a, b, na) != 0)
      return 0;
    a += na;
    b += nb;
  }
  return *a == *b;
}

static cache_entry entry_at(const ld_cache *c, uint32_t i) {
  const unsigned char *p =
      c->data + c->base + CACHE_HEADER + (size_t)i * CACHE_ENTRY;
  cache_entry e;
  memcpy(&e.flags, p, 4);
  e.key = u32_at(p + 4);
  e.value = u32_at(p + 8);
  memcpy(&e.hwcap, p + 16, 8);
  return e;
}

/* Whether entry `i` is for `name` and this machine; its path in `out`. */
static int entry_for(const ld_cache *c, uint32_t i, const char *name,
                     cache_entry *e, char *out) {
  *e = entry_at(c, i);
  const char *key = cache_string(c, e->key);
  const char *value = cache_string(c, e->value);
  int flags_ok = e->flags == CACHE_ID || (CACHE_ELF_TOO && e->flags == 1);
  if (key == NULL || value == NULL || !flags_ok || !same_name(name, key) ||
      strlen(value) >= PATH_MAX)
    return 0;
  strcpy(out, value);
  return 1;
}

/* Takes the first entry named `name` with flags this machine accepts
 * (search_cache; entries are sorted by name), passing over those for
 * glibc-hwcaps subdirectories, which the loader takes only on a CPU that
 * suits them (ld_cache_variant), and those of the legacy hwcaps, which
 * glibc 2.37 dropped. */
int ld_cache_lookup(const ld_cache *cache, const char *name, char *out) {
  cache_entry e;
  for (uint32_t i = 0; cache->data != NULL && i < cache->nlibs; i++)
    if (entry_for(cache, i, name, &e, out) && e.hwcap == 0)
      return 0;
  return -1;
}

int ld_cache_variant(const ld_cache *cache, const char *name, uint32_t *at,
                     char *out) {
  cache_entry e;
  for (; cache->data != NULL && *at < cache->nlibs; (*at)++)
    if (entry_for(cache, *at, name, &e, out) && e.hwcap != 0) {
      (*at)++;
      return 0;
    }
  return -1;
}
