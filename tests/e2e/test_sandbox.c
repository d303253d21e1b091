/* test_sandbox.c - the sandbox runner's isolation, for real: bubblewrap
 * and seccomp around the test program. */
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

#define PROGS "tests/packages/progs/meta/"

static e2e_proc run_sandboxed(void) {
  e2e_proc p;
  const char *args[] = {"run", "--config", "tests/config/sandbox.json",
                        PROGS "sandboxed.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, args), 1);
  return p;
}

START_TEST(test_sandbox_cannot_read_outside_its_package) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) calls valgrind does not run"))
    return;
  e2e_proc p = run_sandboxed();
  e2e_assert_has(p.err, "[/outside] cannot open /etc/hostname\n");
  e2e_assert_lacks(p.err, "[/outside-plain] cannot open");
  e2e_assert_end(&p, "/outside-plain", "ok (exit 0)");
  e2e_assert_has(p.err, "[/inside] { \"program\"");
  e2e_free(&p);
}
END_TEST

START_TEST(test_sandbox_shows_nothing_else_of_the_host) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) calls valgrind does not run"))
    return;
  e2e_proc p = run_sandboxed();
  e2e_assert_has(p.err, "[/root] entry tmp\n");
  /* The package is bound at its own path, so its top directory shows. */
  char package[4096];
  ck_assert_ptr_nonnull(realpath("tests/packages/progs", package));
  char *top = package + 1;
  top[strcspn(top, "/")] = '\0';
  const char *hidden[] = {"home", "root", "var", "srv", "opt", "boot"};
  for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
    char line[64];
    snprintf(line, sizeof line, "[/root] entry %s\n", hidden[i]);
    if (strcmp(hidden[i], top) != 0)
      e2e_assert_lacks(p.err, line);
  }
  /* /etc holds the loader's cache, if the loader needed it, and nothing
   * else. */
  ck_assert_int_eq(e2e_count(p.err, "[/etc] entry "),
                   e2e_count(p.err, "[/etc] entry ld.so.cache\n"));
  e2e_free(&p);
}
END_TEST

START_TEST(test_sandbox_cannot_open_a_network_socket) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) calls valgrind does not run"))
    return;
  e2e_proc p = run_sandboxed();
  e2e_assert_lacks(p.err, "[/net] socket ok");
  e2e_assert_end(&p, "/net", "instance_died (signal SYS)");
  e2e_assert_has(p.err, "[/net-allowed] socket ok\n");
  e2e_free(&p);
}
END_TEST

START_TEST(test_seccomp_kills_a_denied_syscall) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) calls valgrind does not run"))
    return;
  e2e_proc p = run_sandboxed();
  e2e_assert_end(&p, "/ptrace", "instance_died (signal SYS)");
  e2e_assert_lacks(p.err, "[/ptrace] ptrace returned");
  e2e_assert_has(p.err, "[/ptrace-allowed] ptrace returned 0\n");
  e2e_free(&p);
}
END_TEST

START_TEST(test_sandbox_drops_every_capability) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) calls valgrind does not run"))
    return;
  e2e_proc p = run_sandboxed();
  e2e_assert_has(p.err, "[/caps] CapEff:\t0000000000000000\n");
  e2e_free(&p);
}
END_TEST

START_TEST(test_unknown_syscall_name_cannot_start) {
  e2e_proc p = run_sandboxed();
  e2e_assert_end(&p, "/badcall", "cannot_start: ");
  e2e_assert_has(p.err, "sb-badcall.cm:1:37: unknown syscall \"no_such_call\"");
  e2e_free(&p);
}
END_TEST

/* Readiness by sd_notify works in a sandbox without network: fern's
 * abstract sockets are in its own network namespace, so the notify
 * socket is a file bound into the sandbox, and the filter lets the
 * program open a local socket and send on it (nothing else: /net above
 * still dies opening an internet socket). */
START_TEST(test_notify_works_without_network) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) calls valgrind does not run"))
    return;
  e2e_proc p;
  const char *args[] = {"run", "--config", "tests/config/sandbox.json",
                        PROGS "sb-notify-root.cm", NULL};
  e2e_start(&p, args);
  e2e_wait_event(&p, "ready", "/daemon", 20000);
  e2e_wait_field(&p, "status", "/daemon", "status", "serving", 20000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  e2e_assert_no_end(&p, "cannot_start");
  e2e_assert_lacks(p.err, "signal SYS");
  e2e_free(&p);
}
END_TEST

/* The same with systemd's own client (libsystemd's sd_notify, which also
 * sets the socket's send buffer): systemd-notify --ready in the sandbox.
 * It needs statfs and fstatfs for its own start, which the manifest
 * allows; nothing for the notify itself. */
START_TEST(test_libsystemd_notify_works_without_network) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) calls valgrind does not run"))
    return;
  if (access("/usr/bin/systemd-notify", X_OK) != 0) {
    fprintf(stderr, "skipped test_libsystemd_notify_works_without_network: "
                    "/usr/bin/systemd-notify is not installed\n");
    return;
  }
  char pkg[4096], manifest[4200];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_copy(pkg, "/usr/bin/systemd-notify", "bin/systemd-notify");
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"d\", \"url\": "
                    "\"#meta/d.cm\", \"startup\": \"eager\"}]}");
  e2e_package_write(pkg, "meta/d.cm",
                    "{\"program\": {\"runner\": \"sandbox\", \"binary\": "
                    "\"bin/systemd-notify\", \"args\": [\"--ready\", "
                    "\"--status=from-libsystemd\"], \"syscalls\": "
                    "[\"statfs\", \"fstatfs\"], \"lifecycle\": "
                    "{\"ready_event\": \"notify\", \"start_timeout_ms\": "
                    "10000}}}");
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", "--config", "tests/config/sandbox.json",
                        manifest, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, args), 0);
  e2e_assert_event(&p, "ready", "/d");
  e2e_assert_field(&p, "status", "/d", "status", "from-libsystemd");
  e2e_assert_end(&p, "/d", "ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* The names of /tmp/fern-notify-* now, one string ("a b c "). */
static void notify_dirs(char *out, size_t size) {
  DIR *d = opendir("/tmp");
  struct dirent *e;
  size_t n = 0;
  out[0] = '\0';
  while (d != NULL && (e = readdir(d)) != NULL)
    if (strncmp(e->d_name, "fern-notify-", 12) == 0 && n + 64 < size)
      n += (size_t)snprintf(out + n, size - n, "%s ", e->d_name);
  if (d != NULL)
    closedir(d);
}

/* A fern killed by SIGKILL cannot remove its notify directory; the next
 * fern finds it unlocked and removes it. */
START_TEST(test_a_dead_ferns_notify_directory_is_removed) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) calls valgrind does not run"))
    return;
  char before[4096], during[4096], after[4096], left[128] = "";
  notify_dirs(before, sizeof before);
  e2e_proc p;
  const char *args[] = {"run", "--config", "tests/config/sandbox.json",
                        PROGS "sb-notify-root.cm", NULL};
  e2e_start(&p, args);
  e2e_wait_event(&p, "ready", "/daemon", 20000);
  notify_dirs(during, sizeof during);
  for (char *name = strtok(during, " "); name != NULL; name = strtok(NULL, " "))
    if (strstr(before, name) == NULL)
      snprintf(left, sizeof left, "%s", name);
  ck_assert_msg(left[0] != '\0', "no new notify directory in /tmp");
  kill(p.pid, SIGKILL);
  e2e_finish(&p, 20000);
  e2e_free(&p);
  notify_dirs(after, sizeof after);
  ck_assert_msg(strstr(after, left) != NULL, "%s went with a SIGKILL", left);
  const char *again[] = {"run", PROGS "exit3.cm", NULL};
  e2e_run(&p, 20000, again);
  notify_dirs(after, sizeof after);
  ck_assert_msg(strstr(after, left) == NULL, "%s is still there:\n%s", left,
                p.err);
  e2e_free(&p);
}
END_TEST

/* Two runners of the ELF family (the sandbox runner carries its own copy
 * of the ELF runner's code) in subreaper mode, where jobs are found by
 * their FERN_JOB mark: the end of a sandboxed component's job leaves the
 * plain component alone. Their job ids were the same once ("<pid>@<ns>.1"
 * from each runner's own counter), and the sandbox's kill ended both. */
START_TEST(test_runners_jobs_are_apart) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) calls valgrind does not run"))
    return;
  char pkg[4096], config[4200];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_program(pkg, "plain", "elf", "\"args\": [\"sleep\"]");
  e2e_package_program(pkg, "boxed", "sandbox", "\"args\": [\"exit\", \"3\"]");
  const char *names[] = {"plain", "boxed", NULL};
  e2e_package_root(pkg, names, 0);
  e2e_package_write(pkg, "fern.json",
                    "{\"root_environment\": {\"runners\": ["
                    "{\"runner\": \"elf\", \"config\": {\"job\": \"subreaper\"}},"
                    "{\"runner\": \"sandbox\", \"config\": {\"job\": "
                    "\"subreaper\"}}]}}");
  snprintf(config, sizeof config, "%s/fern.json", pkg);
  e2e_proc p;
  const char *args[] = {"run", "--config", config, pkg, NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/plain] ready", 20000);
  e2e_wait_end(&p, "/boxed", "instance_died (exit 3)", 20000);
  json_t *all = e2e_proc_events(&p);
  json_t *started = e2e_the_event(all, "started", "/plain");
  pid_t plain = (pid_t)json_integer_value(json_object_get(started, "pid"));
  json_decref(all);
  ck_assert_msg(e2e_process_alive(plain), "/plain went with /boxed's job");
  kill(p.pid, SIGTERM);
  e2e_finish(&p, 20000);
  e2e_assert_end(&p, "/plain", "ok (signal TERM)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *sandbox_suite(void) {
  Suite *s = suite_create("sandbox");
  TCase *tc = tcase_create("sandbox");
  tcase_set_timeout(tc, 60);
  if (access("/usr/bin/bwrap", X_OK) != 0) {
    fprintf(stderr, "skipped the sandbox suite: /usr/bin/bwrap is not "
                    "installed (scripts/setup installs it)\n");
  } else {
    tcase_add_test(tc, test_sandbox_cannot_read_outside_its_package);
    tcase_add_test(tc, test_sandbox_shows_nothing_else_of_the_host);
    tcase_add_test(tc, test_sandbox_cannot_open_a_network_socket);
    tcase_add_test(tc, test_seccomp_kills_a_denied_syscall);
    tcase_add_test(tc, test_sandbox_drops_every_capability);
    tcase_add_test(tc, test_unknown_syscall_name_cannot_start);
    tcase_add_test(tc, test_notify_works_without_network);
    tcase_add_test(tc, test_libsystemd_notify_works_without_network);
    tcase_add_test(tc, test_a_dead_ferns_notify_directory_is_removed);
    tcase_add_test(tc, test_runners_jobs_are_apart);
  }
  suite_add_tcase(s, tc);
  return s;
}
