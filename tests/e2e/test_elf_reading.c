/* test_elf_reading.c - the sandbox binds what the kernel and the dynamic
 * loader would read, and nothing else: real copies of bin/tool patched
 * the way a hostile package would be, run under bubblewrap. */
#include <libgen.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"
#include "elf_patch.h"

/* Boots the package's root under the sandbox runner, to its end. */
static void run_package(e2e_proc *p, const char *dir) {
  const char *args[] = {"run", "--config", "tests/config/sandbox.json", dir,
                        NULL};
  e2e_run(p, 30000, args);
}

/* Runs bin/NAME of the package alone, as the sandboxed component /NAME
 * with `fields`. */
static void run_alone(e2e_proc *p, const char *dir, const char *name,
                      const char *fields) {
  char binary[64];
  snprintf(binary, sizeof binary, "bin/%s", name);
  e2e_package_program_of(dir, name, "sandbox", binary, fields);
  const char *names[] = {name, NULL};
  e2e_package_root(dir, names, 0);
  run_package(p, dir);
}

/* A directory beside the package (outside it, so the sandbox shows only
 * what is bound of it): good/libtool.so, the real library; text/libtool.so,
 * a text file; dir/libtool.so, a directory; wrong/libtool.so, the library
 * for another machine. */
static void make_libs(const char *dir, char *libs, size_t size) {
  char path[4300];
  snprintf(libs, size, "%s-libs", dir);
  const char *subs[] = {"",     "/good",           "/text",
                        "/dir", "/dir/libtool.so", "/wrong"};
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
    snprintf(path, sizeof path, "%s%s", libs, subs[i]);
    ck_assert_int_eq(mkdir(path, 0755), 0);
  }
  e2e_package_copy(libs, ELF_PATCH_LIBTOOL, "good/libtool.so");
  e2e_package_write(libs, "text/libtool.so",
                    "a text file, longer than an ELF header, that only has "
                    "the name of a library\n");
  elf_patch p;
  elf_patch_load(&p, ELF_PATCH_LIBTOOL);
  ElfW(Ehdr) *eh = elf_patch_ehdr(&p);
  eh->e_machine = eh->e_machine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
  snprintf(path, sizeof path, "%s/wrong/libtool.so", libs);
  elf_patch_save(&p, path, 0);
  elf_patch_free(&p);
}

static int cannot_sandbox(void) {
  return e2e_skip_under_valgrind("libseccomp probes the kernel with "
                                 "seccomp(2) calls valgrind does not run");
}

START_TEST(test_sandbox_binds_no_file_a_dynamic_section_names) {
  if (cannot_sandbox())
    return;
  char dir[256];
  e2e_package_new(dir, sizeof dir);
  const elf_patch_entry shadow[] = {{DT_NEEDED, "shadow"},
                                    {DT_RUNPATH, "/etc"}};
  elf_patch_tool(dir, "shadow", elf_patch_add_dynamic_section, shadow, 2);
  e2e_proc p;
  run_alone(&p, dir, "shadow", "\"args\": [\"cat\", \"/etc/shadow\"]");
  /* It runs (the loader never reads sections) and finds no /etc/shadow. */
  e2e_assert_has(p.err, "[/shadow] cannot open /etc/shadow\n");
  e2e_assert_lacks(p.err, "[/shadow] root:");
  e2e_free(&p);
  e2e_package_remove(dir);
}
END_TEST

START_TEST(test_sandbox_binds_no_directory_a_dynamic_section_names) {
  if (cannot_sandbox())
    return;
  char dir[256];
  e2e_package_new(dir, sizeof dir);
  const elf_patch_entry dot[] = {{DT_NEEDED, "."}, {DT_RUNPATH, "/etc"}};
  elf_patch_tool(dir, "dot", elf_patch_add_dynamic_section, dot, 2);
  e2e_proc p;
  run_alone(&p, dir, "dot", "\"args\": [\"ls\", \"/etc\"]");
  /* /etc shows the loader's cache, if the loader needed it, and nothing
   * else of the directory. */
  e2e_assert_event(&p, "started", "/dot");
  ck_assert_int_eq(e2e_count(p.err, "[/dot] entry "),
                   e2e_count(p.err, "[/dot] entry ld.so.cache\n"));
  e2e_free(&p);
  e2e_package_remove(dir);
}
END_TEST

/* Needs its interpreter by name in that one's directory, and has a second
 * PT_INTERP naming /etc/shadow (the entries are not used). */
static void second_interp(elf_patch *p, const elf_patch_entry *entries,
                          size_t n) {
  (void)entries, (void)n;
  char *dir = strdup(elf_patch_interp(p));
  char *name = strdup(elf_patch_interp(p));
  const elf_patch_entry loader[] = {{DT_NEEDED, basename(name)},
                                    {DT_RUNPATH, dirname(dir)}};
  elf_patch_prepend_dynamic(p, loader, 2);
  elf_patch_add_interp(p, "/etc/shadow");
  free(dir);
  free(name);
}

/* The kernel loads the first PT_INTERP (fs/binfmt_elf.c); a second one
 * naming /etc/shadow is not bound. The program also needs its real
 * interpreter by name, so that it runs however the interpreters are read. */
START_TEST(test_sandbox_binds_only_the_first_interpreter) {
  if (cannot_sandbox())
    return;
  char dir[256];
  e2e_package_new(dir, sizeof dir);
  elf_patch_tool(dir, "interp", second_interp, NULL, 0);
  e2e_proc p;
  run_alone(&p, dir, "interp", "\"args\": [\"cat\", \"/etc/shadow\"]");
  e2e_assert_has(p.err, "[/interp] cannot open /etc/shadow\n");
  e2e_assert_lacks(p.err, "[/interp] root:");
  e2e_free(&p);
  e2e_package_remove(dir);
}
END_TEST

/* ld.so stops with an error at a candidate that is not an ELF file or not
 * a regular one (elf/dl-load.c, open_verify): so does the sandbox, naming
 * it, and binds nothing. The same program run plainly shows the loader's
 * own error. */
START_TEST(test_sandbox_stops_where_the_loader_stops) {
  if (cannot_sandbox())
    return;
  char dir[256], libs[300], runpath[700];
  e2e_package_new(dir, sizeof dir);
  make_libs(dir, libs, sizeof libs);
  const char *kinds[] = {"text", "dir"};
  for (size_t i = 0; i < 2; i++) {
    snprintf(runpath, sizeof runpath, "%s/%s:%s/good", libs, kinds[i], libs);
    const elf_patch_entry needs[] = {{DT_NEEDED, "libtool.so"},
                                     {DT_RUNPATH, runpath}};
    elf_patch_tool(dir, kinds[i], elf_patch_prepend_dynamic, needs, 2);
  }
  e2e_package_program_of(dir, "text", "sandbox", "bin/text",
                         "\"args\": [\"print\", \"ran\"]");
  e2e_package_program_of(
      dir, "text-plain", "sandbox", "bin/text",
      "\"sandbox\": \"none\", \"args\": [\"print\", \"ran\"]");
  e2e_package_program_of(dir, "dir", "sandbox", "bin/dir",
                         "\"args\": [\"print\", \"ran\"]");
  e2e_package_program_of(
      dir, "dir-plain", "sandbox", "bin/dir",
      "\"sandbox\": \"none\", \"args\": [\"print\", \"ran\"]");
  const char *names[] = {"text", "text-plain", "dir", "dir-plain", NULL};
  e2e_package_root(dir, names, 0);
  e2e_proc p;
  run_package(&p, dir);
  char line[1024];
  snprintf(line, sizeof line, "%s/text/libtool.so is not an ELF file", libs);
  e2e_assert_has(p.err, line);
  e2e_assert_has(p.err, "/text/libtool.so: invalid ELF header");
  snprintf(line, sizeof line, "%s/dir/libtool.so is not a regular file", libs);
  e2e_assert_has(p.err, line);
  e2e_assert_has(p.err, "/dir/libtool.so: cannot read file data");
  e2e_assert_end(&p, "/text", "cannot_start: ");
  e2e_assert_end(&p, "/dir", "cannot_start: ");
  e2e_assert_lacks(p.err, "] ran\n");
  e2e_free(&p);
  e2e_package_remove(dir);
  e2e_package_remove(libs);
}
END_TEST

/* ld.so passes over a library for another machine and goes on searching
 * (elf/dl-load.c, open_verify): the sandbox binds the one it finds, not
 * the other. */
START_TEST(test_sandbox_skips_a_library_for_another_machine) {
  if (cannot_sandbox())
    return;
  char dir[256], libs[300], runpath[700], fields[1024];
  e2e_package_new(dir, sizeof dir);
  make_libs(dir, libs, sizeof libs);
  snprintf(runpath, sizeof runpath, "%s/wrong:%s/good", libs, libs);
  const elf_patch_entry needs[] = {{DT_NEEDED, "libtool.so"},
                                   {DT_RUNPATH, runpath}};
  elf_patch_tool(dir, "wrong", elf_patch_prepend_dynamic, needs, 2);
  snprintf(fields, sizeof fields, "\"args\": [\"ls\", \"%s/wrong\"]", libs);
  e2e_package_program_of(dir, "wrong", "sandbox", "bin/wrong", fields);
  snprintf(fields, sizeof fields, "\"args\": [\"ls\", \"%s/good\"]", libs);
  e2e_package_program_of(dir, "good", "sandbox", "bin/wrong", fields);
  const char *names[] = {"wrong", "good", NULL};
  e2e_package_root(dir, names, 0);
  e2e_proc p;
  run_package(&p, dir);
  e2e_assert_has(p.err, "[/good] entry libtool.so\n");
  e2e_assert_end(&p, "/good", "ok (exit 0)");
  e2e_assert_lacks(p.err, "[/wrong] entry");
  e2e_assert_end(&p, "/wrong", "instance_died (exit 1)");
  e2e_free(&p);
  e2e_package_remove(dir);
  e2e_package_remove(libs);
}
END_TEST

/* $ORIGIN and ${ORIGIN} (in and beside the package), DT_RPATH and the
 * program's own LD_LIBRARY_PATH find the library, as for ld.so. */
START_TEST(test_sandbox_searches_libraries_as_the_loader_does) {
  if (cannot_sandbox())
    return;
  char dir[256], libs[300], path[800], fields[1024];
  e2e_package_new(dir, sizeof dir);
  make_libs(dir, libs, sizeof libs);
  snprintf(path, sizeof path, "%s/lib", dir);
  ck_assert_int_eq(mkdir(path, 0755), 0);
  e2e_package_copy(dir, ELF_PATCH_LIBTOOL, "lib/libtool.so");
  const elf_patch_entry origin[] = {{DT_NEEDED, "libtool.so"},
                                    {DT_RUNPATH, "$ORIGIN/../lib"}};
  elf_patch_tool(dir, "origin", elf_patch_prepend_dynamic, origin, 2);
  snprintf(path, sizeof path, "${ORIGIN}/../../%s/good",
           strrchr(libs, '/') + 1);
  const elf_patch_entry curly[] = {{DT_NEEDED, "libtool.so"},
                                   {DT_RUNPATH, path}};
  elf_patch_tool(dir, "curly", elf_patch_prepend_dynamic, curly, 2);
  snprintf(path, sizeof path, "%s/good", libs);
  const elf_patch_entry rpath[] = {{DT_NEEDED, "libtool.so"}, {DT_RPATH, path}};
  elf_patch_tool(dir, "rpath", elf_patch_prepend_dynamic, rpath, 2);
  const elf_patch_entry bare[] = {{DT_NEEDED, "libtool.so"}};
  elf_patch_tool(dir, "bare", elf_patch_prepend_dynamic, bare, 1);
  snprintf(fields, sizeof fields, "\"args\": [\"ls\", \"%s/good\"]", libs);
  e2e_package_program_of(dir, "origin", "sandbox", "bin/origin",
                         "\"args\": [\"print\", \"ran\"]");
  e2e_package_program_of(dir, "curly", "sandbox", "bin/curly", fields);
  e2e_package_program_of(dir, "rpath", "sandbox", "bin/rpath", fields);
  snprintf(fields, sizeof fields,
           "\"args\": [\"print\", \"ran\"], \"environ\": "
           "[\"LD_LIBRARY_PATH=/nowhere:%s/good\"]",
           libs);
  e2e_package_program_of(dir, "env", "sandbox", "bin/bare", fields);
  const char *names[] = {"origin", "curly", "rpath", "env", NULL};
  e2e_package_root(dir, names, 0);
  e2e_proc p;
  run_package(&p, dir);
  e2e_assert_has(p.err, "[/origin] ran\n");
  e2e_assert_has(p.err, "[/curly] entry libtool.so\n");
  e2e_assert_has(p.err, "[/rpath] entry libtool.so\n");
  e2e_assert_has(p.err, "[/env] ran\n");
  const char *ok[] = {"/origin: stopped: ok", "/curly: stopped: ok",
                      "/rpath: stopped: ok", "/env: stopped: ok"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    e2e_assert_has(p.err, ok[i]);
  e2e_free(&p);
  e2e_package_remove(dir);
  e2e_package_remove(libs);
}
END_TEST

Suite *elf_reading_suite(void) {
  Suite *s = suite_create("elf_reading");
  TCase *tc = tcase_create("elf_reading");
  tcase_set_timeout(tc, 60);
  if (access("/usr/bin/bwrap", X_OK) != 0) {
    fprintf(stderr, "skipped the elf_reading suite: /usr/bin/bwrap is not "
                    "installed (scripts/setup installs it)\n");
  } else {
    tcase_add_test(tc, test_sandbox_binds_no_file_a_dynamic_section_names);
    tcase_add_test(tc, test_sandbox_binds_no_directory_a_dynamic_section_names);
    tcase_add_test(tc, test_sandbox_binds_only_the_first_interpreter);
    tcase_add_test(tc, test_sandbox_stops_where_the_loader_stops);
    tcase_add_test(tc, test_sandbox_skips_a_library_for_another_machine);
    tcase_add_test(tc, test_sandbox_searches_libraries_as_the_loader_does);
  }
  suite_add_tcase(s, tc);
  return s;
}
