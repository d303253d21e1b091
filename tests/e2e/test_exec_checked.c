/* test_exec_checked.c - fern runs the very file it checked. The race is
 * made certain with fanotify: the test holds fern's open of the binary
 * (FAN_OPEN_PERM), swaps the package's bin/ for a symlink to another
 * directory while it is held, then lets the open go on. Opening by path
 * again, as an exec by path does, would now run the other program. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "e2e.h"

/* Answers one batch of permission events (all allowed); the first one
 * fern's own process asks for triggers `swap` first. Returns 0 when the
 * fanotify descriptor has nothing more to read. */
static int answer_events(int fan, pid_t fern, int *swapped,
                         void (*swap)(const char *), const char *pkg) {
  char buf[4096];
  ssize_t n = read(fan, buf, sizeof buf);
  if (n <= 0)
    return 0;
  for (struct fanotify_event_metadata *ev = (void *)buf; FAN_EVENT_OK(ev, n);
       ev = FAN_EVENT_NEXT(ev, n)) {
    if (ev->pid == fern && !*swapped) {
      swap(pkg);
      *swapped = 1;
    }
    struct fanotify_response allow = {ev->fd, FAN_ALLOW};
    ck_assert_int_eq(write(fan, &allow, sizeof allow), sizeof allow);
    close(ev->fd);
  }
  return 1;
}

/* Where bin/ leads after the swap: a directory whose "tool" is /bin/echo,
 * outside the package (the ELF runner's case) or inside it, by a relative
 * link (the sandbox shows nothing outside its package, so only another
 * program of the package could run there). */
static char outside[4200];

static void swap_bin(const char *pkg) {
  char bin[4200], kept[4200];
  snprintf(bin, sizeof bin, "%s/bin", pkg);
  snprintf(kept, sizeof kept, "%s/bin.checked", pkg);
  ck_assert_int_eq(rename(bin, kept), 0);
  ck_assert_int_eq(symlink(outside, bin), 0);
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
  int fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);
  if (fan < 0) {
    fprintf(stderr, "skipped: no fanotify permission events here (%s)\n",
            strerror(errno));
    return 0;
  }
  char binary[4200];
  snprintf(binary, sizeof binary, "%s/bin/tool", pkg);
  ck_assert_int_eq(
      fanotify_mark(fan, FAN_MARK_ADD, FAN_OPEN_PERM, AT_FDCWD, binary), 0);
  const char *args[] = {"run", "--config", config, pkg, NULL};
  e2e_start(p, args);
  int swapped = 0;
  long deadline = e2e_now_ms() + 20000;
  for (int open = 1; open && e2e_now_ms() < deadline;) {
    struct pollfd fds[2] = {{fan, POLLIN, 0}, {p->err_fd, POLLIN, 0}};
    poll(fds, 2, 1000);
    if (fds[0].revents & POLLIN)
      answer_events(fan, p->pid, &swapped, swap_bin, pkg);
    if (fds[1].revents)
      open = e2e_pump(p, 0);
  }
  close(fan);
  ck_assert_msg(swapped, "fern never opened its binary");
  e2e_finish(p, 20000);
  return 1;
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
    e2e_assert_has(p.err, "/c: stopped: ok (exit 0)");
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
    e2e_assert_has(p.err, "/c: stopped: ok (exit 0)");
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
    e2e_assert_has(p.err, "/c: error: cannot_start: binary \"bin/tool\" (");
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
    ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
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
