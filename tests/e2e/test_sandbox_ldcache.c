/* test_sandbox_ldcache.c - the loader in the sandbox reads the same
 * /etc/ld.so.cache as the search that chose what to bind, so a library
 * that only the cache places is found there too. The cache is a real one,
 * made by ldconfig from a directory of the test's, and shown to fern in
 * a mount namespace of the test's own: the machine's cache is untouched. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"
#include "elf_patch.h"

#define LDCONFIG "/sbin/ldconfig"
#define CACHED "libfern-cached.so"

/* <dir>/lib/CACHED, and on x86-64 a build of it for the x86-64-v2
 * glibc-hwcaps subdirectory, which a loader with the cache takes first
 * on a CPU that suits it; a cache of them (and of the system directories)
 * made by ldconfig at <dir>/ld.so.cache. */
static void make_cache(const char *dir) {
  char path[600], cmd[2000];
  snprintf(path, sizeof path, "%s/lib", dir);
  ck_assert_int_eq(mkdir(path, 0755), 0);
  e2e_package_copy(path, ELF_PATCH_LIBTOOL, CACHED);
#if defined(__x86_64__)
  snprintf(path, sizeof path, "%s/lib/glibc-hwcaps", dir);
  ck_assert_int_eq(mkdir(path, 0755), 0);
  snprintf(path, sizeof path, "%s/lib/glibc-hwcaps/x86-64-v2", dir);
  ck_assert_int_eq(mkdir(path, 0755), 0);
  e2e_package_copy(path, ELF_PATCH_LIBTOOL, CACHED);
#endif
  snprintf(path, sizeof path, "%s/lib\n", dir);
  e2e_package_write(dir, "ld.so.conf", path);
  snprintf(cmd, sizeof cmd,
           LDCONFIG " -X -C '%s/ld.so.cache' -f '%s/ld.so.conf'", dir, dir);
  ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* This process (the test's own, forked for it) and what it starts see
 * the cache at <dir>/ld.so.cache as /etc/ld.so.cache. 0, or -1 with the
 * reason printed. */
static int show_cache(const char *dir) {
  char cache[600];
  snprintf(cache, sizeof cache, "%s/ld.so.cache", dir);
  if (unshare(CLONE_NEWNS) != 0 ||
      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    fprintf(stderr, "skipped: no mount namespace of the test's own here (%s)\n",
            strerror(errno));
    return -1;
  }
  ck_assert_int_eq(mount(cache, "/etc/ld.so.cache", NULL, MS_BIND, NULL), 0);
  return 0;
}

/* The program needs CACHED by name alone: no run path, no
 * LD_LIBRARY_PATH, not in a system directory; only the cache says where
 * it is. Run plainly it loads; so it must in the sandbox, as its loader
 * there reads the same cache. */
START_TEST(test_a_library_only_the_cache_places_loads_in_the_sandbox) {
  if (access("/usr/bin/bwrap", X_OK) != 0 || access(LDCONFIG, X_OK) != 0) {
    fprintf(stderr, "skipped: needs bubblewrap and " LDCONFIG "\n");
    return;
  }
  if (e2e_skip_under_valgrind("the sandbox's seccomp calls"))
    return;
  char pkg[256], dir[300];
  e2e_package_new(pkg, sizeof pkg);
  snprintf(dir, sizeof dir, "%s-cache", pkg);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  make_cache(dir);
  const elf_patch_entry needs[] = {{DT_NEEDED, CACHED}};
  elf_patch_tool(pkg, "cached", elf_patch_prepend_dynamic, needs, 1);
  e2e_package_program_of(pkg, "boxed", "sandbox", "bin/cached",
                         "\"args\": [\"print\", \"ran\"]");
  e2e_package_program_of(pkg, "plain", "sandbox", "bin/cached",
                         "\"sandbox\": \"none\", \"args\": [\"print\", "
                         "\"ran\"]");
  const char *names[] = {"boxed", "plain", NULL};
  e2e_package_root(pkg, names, 0);
  if (show_cache(dir) == 0) {
    const char *args[] = {"run", "--config", "tests/config/sandbox.json", pkg,
                          NULL};
    e2e_proc p;
    e2e_run(&p, 30000, args);
    umount2("/etc/ld.so.cache", MNT_DETACH);
    e2e_assert_has(p.err, "[/plain] ran\n");
    e2e_assert_end(&p, "/plain", "ok (exit 0)");
    e2e_assert_has(p.err, "[/boxed] ran\n");
    e2e_assert_end(&p, "/boxed", "ok (exit 0)");
    e2e_free(&p);
  }
  e2e_package_remove(pkg);
  e2e_package_remove(dir);
}
END_TEST

Suite *sandbox_ldcache_suite(void) {
  Suite *s = suite_create("sandbox_ldcache");
  TCase *tc = tcase_create("sandbox_ldcache");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_a_library_only_the_cache_places_loads_in_the_sandbox);
  suite_add_tcase(s, tc);
  return s;
}
