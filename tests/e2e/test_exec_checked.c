/* test_exec_checked.c - fern runs the very file it checked. The race is
 * made certain with fanotify (swap_at_open.c): the test holds fern's open
 * of the binary, swaps the package's bin/ for a symlink to another
 * directory while it is held, then lets the open go on. Opening by path
 * again, as an exec by path does, would now run the other program. */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

/* Where bin/ leads after the swap: a directory whose "tool" is /bin/echo,
 * outside the package (the ELF runner's case) or inside it, by a relative
 * link (the sandbox shows nothing outside its package, so only another
 * program of the package could run there). */
static char outside[4200];

static void swap_bin(void *arg) {
  char bin[4200];
  snprintf(bin, sizeof bin, "%s/bin", (const char *)arg);
  e2e_replace_by_link(bin, outside);
}

/* Runs /c (bin/tool print inside, by `runner`, fern configured by
 * `config`) with the swap during its check; returns 0 if fanotify is not
 * to be had here (reason printed). */
static int run_with_swap(const char *runner, const char *config, e2e_proc *p,
                         char *pkg, size_t size) {
  e2e_package_new(pkg, size);
  if (strcmp(runner, "sandbox") == 0) {
    char other[4200];
    snprintf(other, sizeof other, "%s/other", pkg);
    ck_assert_int_eq(mkdir(other, 0755), 0);
    snprintf(outside, sizeof outside, "other");
    e2e_package_copy(other, "/bin/echo", "tool");
  } else {
    snprintf(outside, sizeof outside, "/tmp/fern-outside-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(outside));
    ck_assert_int_eq(chmod(outside, 0755), 0);
    e2e_package_copy(outside, "/bin/echo", "tool");
  }
  e2e_package_program(pkg, "c", runner, "\"args\": [\"print\", \"inside\"]");
  const char *names[] = {"c", NULL};
  e2e_package_root(pkg, names, 0);
  char binary[4200];
  snprintf(binary, sizeof binary, "%s/bin/tool", pkg);
  const char *args[] = {"run", "--config", config, pkg, NULL};
  int swapped = e2e_run_swapping_at_open(p, args, binary, swap_bin, pkg);
  ck_assert_msg(swapped != 0, "fern never opened its binary");
  return swapped > 0;
}

static void done(e2e_proc *p, const char *pkg) {
  e2e_free(p);
  e2e_package_remove(pkg);
  if (outside[0] == '/')
    e2e_package_remove(outside);
}

START_TEST(test_the_elf_runner_executes_the_binary_it_checked) {
  e2e_proc p;
  char pkg[256];
  if (run_with_swap("elf", "tests/config/exec-by-descriptor.json", &p, pkg,
                    sizeof pkg)) {
    e2e_assert_has(p.err, "[/c] inside\n");
    e2e_assert_lacks(p.err, "[/c] print inside");
    e2e_assert_end(&p, "/c", "ok (exit 0)");
  }
  done(&p, pkg);
}
END_TEST

START_TEST(test_the_sandbox_runner_executes_the_binary_it_checked) {
  if (access("/usr/bin/bwrap", X_OK) != 0) {
    fprintf(stderr, "skipped: bubblewrap is not installed\n");
    return;
  }
  if (e2e_skip_under_valgrind("the sandbox's seccomp calls"))
    return;
  e2e_proc p;
  char pkg[256];
  if (run_with_swap("sandbox", "tests/config/sandbox.json", &p, pkg,
                    sizeof pkg)) {
    e2e_assert_has(p.err, "[/c] inside\n");
    e2e_assert_lacks(p.err, "[/c] print inside");
    e2e_assert_end(&p, "/c", "ok (exit 0)");
  }
  done(&p, pkg);
}
END_TEST

/* Exec by name (the default where the kernel would name a process run
 * through its descriptor after the descriptor's number): the directory
 * the check found the binary in is held, so the swap of bin/ is seen and
 * the start refused; the other program never runs. */
START_TEST(test_an_exec_by_name_refuses_a_swapped_binary) {
  e2e_proc p;
  char pkg[256];
  if (run_with_swap("elf", "tests/config/exec-by-name.json", &p, pkg,
                    sizeof pkg)) {
    e2e_assert_lacks(p.err, "[/c] print inside");
    e2e_assert_end(&p, "/c", "cannot_start: binary \"bin/tool\" (");
    e2e_assert_has(p.err, ") changed while it was checked");
  }
  done(&p, pkg);
}
END_TEST

/* Whatever the exec mode, a program is named after its file (ps, pkill,
 * top see "tool"); a kernel before 6.14 names a process run through a
 * descriptor after the descriptor's number, which is why "auto" execs by
 * name there. */
START_TEST(test_a_program_keeps_its_name_in_each_exec_mode) {
  static const char *const configs[] = {"tests/config/exec-by-name.json",
                                        "tests/config/exec-by-descriptor.json"};
  struct utsname u;
  int major = 0, minor = 0;
  ck_assert_int_eq(uname(&u), 0);
  sscanf(u.release, "%d.%d", &major, &minor);
  int named_fd_execs = major > 6 || (major == 6 && minor >= 14);
  for (int i = 0; i < 2; i++) {
    /* valgrind handles execveat itself, and this exec (a name under a
     * directory descriptor, AT_SYMLINK_NOFOLLOW) fails there with ELOOP,
     * "Too many levels of symbolic links": seen in make check-valgrind. */
    if (i == 0 && e2e_skip_under_valgrind("the name case: valgrind's own "
                                           "execveat of a name under a "
                                           "directory descriptor fails "
                                           "with ELOOP"))
      continue;
    if (i == 1 && !named_fd_execs) {
      fprintf(stderr, "skipped the descriptor case: kernel %s names a "
                      "process run through a descriptor after its number\n",
              u.release);
      break;
    }
    char pkg[256];
    e2e_package_new(pkg, sizeof pkg);
    e2e_package_program(pkg, "c", "elf", "\"args\": [\"status\", \"Name\"]");
    const char *names[] = {"c", NULL};
    e2e_package_root(pkg, names, 0);
    e2e_proc p;
    const char *args[] = {"run", "--config", configs[i], pkg, NULL};
    int rc = e2e_run(&p, 20000, args);
    ck_assert_msg(rc == 0, "exit %d:\n%s", rc, p.err);
    e2e_assert_has(p.err, "[/c] Name:\ttool\n");
    e2e_free(&p);
    e2e_package_remove(pkg);
  }
}
END_TEST

Suite *exec_checked_suite(void) {
  Suite *s = suite_create("exec_checked");
  TCase *tc = tcase_create("exec_checked");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_the_elf_runner_executes_the_binary_it_checked);
  tcase_add_test(tc, test_the_sandbox_runner_executes_the_binary_it_checked);
  tcase_add_test(tc, test_an_exec_by_name_refuses_a_swapped_binary);
  tcase_add_test(tc, test_a_program_keeps_its_name_in_each_exec_mode);
  suite_add_tcase(s, tc);
  return s;
}
