/* test_sparse_elf.c - a small program whose headers claim gigabytes costs
 * fern no more memory than any other: what the ELF check and the sandbox's
 * library scan read is bounded. Each binary is a real copy of bin/tool,
 * extended sparse so that the file really is as large as it claims. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "control_client.h"
#include "e2e.h"
#include "elf_patch.h"

#define TOOL "tests/packages/progs/bin/tool"
#define CLAIM (2L * 1024 * 1024 * 1024)
/* fern's peak resident memory (VmHWM, read while it is kept alive), far
 * below one claim: a plain fern with these components peaks near 3 MiB, an
 * ASan build near 14 MiB. (RLIMIT_AS would not do: ASan reserves terabytes
 * of address space it never touches.) */
#define PEAK_MAX_KB (64L * 1024)

/* The components: one a binary, and bin/tool itself. */
static const char *const names[] = {"big-section", "big-phdrs", "big-dynamic",
                                    "fine", NULL};

/* bin/big-section: the .dynamic section header claims 2 GiB. */
static void big_section(const char *dir) {
  elf_patch p;
  char path[4200];
  elf_patch_load(&p, TOOL);
  ElfW(Shdr) *dynamic = elf_patch_section(&p, ".dynamic");
  dynamic->sh_size = CLAIM;
  snprintf(path, sizeof path, "%s/bin/big-section", dir);
  elf_patch_save(&p, path, (off_t)(dynamic->sh_offset + CLAIM + 4096));
  elf_patch_free(&p);
}

/* bin/big-phdrs: e_phnum is PN_XNUM, and section 0 says 40 million
 * program headers (2.2 GB) follow. */
static void big_phdrs(const char *dir) {
  elf_patch p;
  char path[4200];
  elf_patch_load(&p, TOOL);
  ElfW(Ehdr) *eh = elf_patch_ehdr(&p);
  ElfW(Shdr) *first = (ElfW(Shdr) *)(p.data + eh->e_shoff);
  first->sh_info = 40000000;
  eh->e_phnum = PN_XNUM;
  snprintf(path, sizeof path, "%s/bin/big-phdrs", dir);
  elf_patch_save(&p, path,
                 (off_t)(eh->e_phoff + 40000000L * sizeof(ElfW(Phdr)) + 4096));
  elf_patch_free(&p);
}

/* bin/big-dynamic: PT_DYNAMIC claims 2 GiB. */
static void big_dynamic(const char *dir) {
  elf_patch p;
  char path[4200];
  elf_patch_load(&p, TOOL);
  ElfW(Phdr) *dynamic = elf_patch_phdr(&p, PT_DYNAMIC);
  dynamic->p_filesz = dynamic->p_memsz = CLAIM;
  snprintf(path, sizeof path, "%s/bin/big-dynamic", dir);
  elf_patch_save(&p, path, (off_t)(dynamic->p_offset + CLAIM + 4096));
  elf_patch_free(&p);
}

/* A package of the three and bin/tool itself, all run by `runner`. */
static void sparse_package(char *dir, size_t size, const char *runner) {
  e2e_package_new(dir, size);
  big_section(dir);
  big_phdrs(dir);
  big_dynamic(dir);
  for (size_t i = 0; names[i] != NULL; i++) {
    char binary[64];
    snprintf(binary, sizeof binary, "bin/%s",
             strcmp(names[i], "fine") == 0 ? "tool" : names[i]);
    e2e_package_program_of(dir, names[i], runner, binary,
                           "\"args\": [\"print\", \"ran\"]");
  }
  e2e_package_root(dir, names, 0);
}


/* Whether every component has printed how it ended. */
static int all_ended(const char *err) {
  for (size_t i = 0; names[i] != NULL; i++) {
    char stopped[64], failed[64];
    snprintf(stopped, sizeof stopped, "/%s: stopped: ", names[i]);
    snprintf(failed, sizeof failed, "/%s: error: ", names[i]);
    if (strstr(err, stopped) == NULL && strstr(err, failed) == NULL)
      return 0;
  }
  return 1;
}

/* Runs the package, kept alive once every component has ended so that its
 * peak memory can be read first; then fern stops and `expected` must be
 * in what it printed. */
static void run_and_measure(const char *dir, const char *config,
                            const char *const *expected) {
  e2e_proc p;
  const char *args[] = {"run", "--keep-running", dir, NULL, NULL, NULL};
  if (config != NULL) {
    args[2] = "--config";
    args[3] = config;
    args[4] = dir;
  }
  e2e_start(&p, args);
  long deadline = e2e_now_ms() + 60000;
  while (!all_ended(p.err) && e2e_now_ms() < deadline)
    e2e_pump(&p, 1000);
  ck_assert_msg(all_ended(p.err), "not every component ended:\n%s", p.err);
  long kb = e2e_peak_memory(p.pid) / 1024;
  kill(p.pid, SIGTERM);
  e2e_finish(&p, 20000);
  ck_assert_msg(kb < PEAK_MAX_KB, "fern's peak memory was %ld KiB:\n%s", kb,
                p.err);
  for (size_t i = 0; expected[i] != NULL; i++)
    e2e_assert_has(p.err, expected[i]);
  e2e_free(&p);
}

/* The package under `runner` (with `config`, or fern's default one). */
static void run_sparse(const char *runner, const char *config,
                       const char *const *expected) {
  char dir[256];
  sparse_package(dir, sizeof dir, runner);
  run_and_measure(dir, config, expected);
  e2e_package_remove(dir);
}

START_TEST(test_a_sparse_elf_costs_the_elf_check_no_memory) {
  if (e2e_skip_under_valgrind("valgrind's own memory counts in VmHWM"))
    return;
  const char *expected[] = {
      "/fine: stopped: ok (exit 0)",
      "/big-section: stopped: ok (exit 0)",
      "/big-dynamic: stopped: ok (exit 0)",
      "/big-phdrs: error: cannot_start: binary \"bin/big-phdrs\"",
      "program header table",
      NULL};
  run_sparse("elf", NULL, expected);
}
END_TEST

START_TEST(test_a_sparse_elf_costs_the_sandbox_no_memory) {
  if (e2e_skip_under_valgrind("valgrind's own memory counts in VmHWM"))
    return;
  const char *expected[] = {
      "/fine: stopped: ok (exit 0)",
      "/big-section: stopped: ok (exit 0)",
      "/big-dynamic: error: cannot_start: ",
      "dynamic segment",
      "/big-phdrs: error: cannot_start: binary \"bin/big-phdrs\"",
      "program header table",
      NULL};
  run_sparse("sandbox", "tests/config/sandbox.json", expected);
}
END_TEST

Suite *sparse_elf_suite(void) {
  Suite *s = suite_create("sparse_elf");
  TCase *tc = tcase_create("sparse_elf");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_a_sparse_elf_costs_the_elf_check_no_memory);
  if (access("/usr/bin/bwrap", X_OK) != 0)
    fprintf(stderr, "skipped the sandbox's sparse ELF test: /usr/bin/bwrap "
                    "is not installed (scripts/setup installs it)\n");
  else
    tcase_add_test(tc, test_a_sparse_elf_costs_the_sandbox_no_memory);
  suite_add_tcase(s, tc);
  return s;
}
