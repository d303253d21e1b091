/* test_elf.c - the ELF runner, complete: lifecycle stop, readiness, the
 * clean process, exit reporting, critical components and policy. */
#include <limits.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/syscall.h>

#include "control_run.h"
#include "e2e.h"
#include "event_asserts.h"

#define PROGS "tests/packages/progs/meta/"

/* "argv0" names the program as its command line would (host ABI 2.3's
 * fern_spawn_t.argv0); without it, argv[0] is the binary's real path;
 * "shared_object" runs a -shared object's main. Bad values are named. */
START_TEST(test_argv0_and_shared_objects) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_copy(pkg, "tests/packages/progs/bin/argv_echo", "bin/echo");
  e2e_package_copy(pkg, "tests/packages/progs/lib/osv-echo.so", "bin/so.so");
  e2e_package_write(pkg, "meta/named.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/echo\", \"argv0\": \"given-name\"}}");
  e2e_package_write(pkg, "meta/plain.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/echo\"}}");
  e2e_package_write(pkg, "meta/shared.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/so.so\", \"shared_object\": true, \"args\": "
                    "[\"3\"]}}");
  e2e_package_write(pkg, "meta/refused.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/so.so\"}}");
  e2e_package_write(pkg, "meta/bad.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/echo\", \"argv0\": 5}}");
  const char *names[] = {"named", "plain", "shared", "refused", "bad", NULL};
  e2e_package_root(pkg, names, 0);
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  char real[4200], line[4400];
  ck_assert_ptr_nonnull(realpath(pkg, real));
  snprintf(line, sizeof line, "[/plain] argv[0] %s/bin/echo\n", real);
  e2e_assert_has(p.err, "[/named] argv[0] given-name\n");
  e2e_assert_has(p.err, line);
  e2e_assert_has(p.err, "[/shared] argv[0] /bin/so.so\n[/shared] argv[1] 3\n");
  e2e_assert_end(&p, "/shared", "instance_died (exit 3)");
  e2e_assert_end(&p, "/refused", "cannot_start");
  e2e_assert_has(p.err, "it is a shared library");
  e2e_assert_end(&p, "/bad", "cannot_start");
  e2e_assert_has(p.err, "\"argv0\" must be a non-empty string");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

START_TEST(test_notify_stop_lets_the_program_exit_cleanly) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "lc.cm", NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/svc] waiting for stop on fd 3", 20000);
  e2e_wait_for(&p, "[/ignorer] waiting for stop on fd 3", 20000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 1);
  e2e_assert_has(p.err, "[/svc] got stop");
  e2e_assert_end(&p, "/svc", "ok (exit 0)");
  e2e_assert_has(p.err, "/ignorer: warning: did not stop within 300 ms");
  e2e_assert_end(&p, "/ignorer", "killed_after_timeout");
  e2e_free(&p);
}
END_TEST

START_TEST(test_readiness_holds_children_and_reports_status) {
  char events[] = "/tmp/fern-events-XXXXXX";
  int fd = mkstemp(events);
  close(fd);
  e2e_proc p;
  const char *args[] = {"run", "--events", events, PROGS "ready.cm", NULL};
  e2e_start(&p, args);
  e2e_wait_end(&p, "/daemon/after", "ok", 20000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  e2e_assert_event(&p, "started", "/daemon");
  e2e_assert_has(p.err, "; waiting for it to be ready");
  e2e_assert_order(p.err, "/daemon: ready", "/daemon/after: started");
  e2e_assert_field(&p, "status", "/daemon", "status", "serving");
  e2e_assert_has(p.err, "[/daemon] got stop");
  FILE *f = fopen(events, "r");
  char line[1024];
  int ready = 0, status = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    json_t *ev = json_loads(line, 0, NULL);
    ck_assert_msg(ev != NULL, "not JSON: %s", line);
    const char *type = json_string_value(json_object_get(ev, "event"));
    const char *moniker = json_string_value(json_object_get(ev, "moniker"));
    ck_assert(json_is_real(json_object_get(ev, "time")));
    if (strcmp(type, "ready") == 0 && strcmp(moniker, "/daemon") == 0)
      ready++;
    if (strcmp(type, "status") == 0 &&
        strcmp(json_string_value(json_object_get(ev, "status")), "serving") == 0)
      status++;
    json_decref(ev);
  }
  fclose(f);
  unlink(events);
  ck_assert_int_eq(ready, 1);
  ck_assert_int_eq(status, 1);
  e2e_free(&p);
}
END_TEST

START_TEST(test_start_timeout_fails_a_program_never_ready) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "never.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_end(&p, "/slow", "cannot_start: did not report READY=1 "
                        "within 300 ms");
  e2e_assert_end(&p, "/fine", "ok (exit 0)");
  e2e_free(&p);
}
END_TEST

/* A daemon that speaks sd_notify through systemd's own systemd-notify
 * works unchanged. systemd-notify --ready ends with a barrier: a pipe it
 * passes and waits on until fern closes it, then it exits at once. Each
 * message of its forty runs here is from one of the component's
 * processes, so none is
 * refused (fern once closed the pipe before it placed the sender, and by
 * then the sender was often a zombie no cgroup lists). */
START_TEST(test_systemd_notify_works_unchanged) {
  if (access("/usr/bin/systemd-notify", X_OK) != 0) {
    fprintf(stderr, "skipped test_systemd_notify_works_unchanged: "
                    "/usr/bin/systemd-notify is not installed\n");
    return;
  }
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_copy(pkg, "/bin/dash", "bin/sh");
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"legacy\", \"url\": "
                    "\"#meta/legacy.cm\", \"startup\": \"eager\"}]}");
  e2e_package_write(
      pkg, "meta/legacy.cm",
      "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/sh\", "
      "\"args\": [\"-c\", \"i=0; while [ $i -lt 40 ]; do i=$((i+1)); "
      "systemd-notify --ready --status=hello-from-systemd || exit 1; done; "
      "echo notified forty times; exec bin/tool sleep\"], "
      "\"environ\": [\"PATH=/usr/bin:/bin\"], \"lifecycle\": "
      "{\"ready_event\": \"notify\", \"start_timeout_ms\": 10000}}}");
  char manifest[4096];
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", manifest, NULL};
  e2e_start(&p, args);
  e2e_wait_event(&p, "ready", "/legacy", 20000);
  e2e_wait_field(&p, "status", "/legacy", "status", "hello-from-systemd", 20000);
  e2e_wait_for(&p, "[/legacy] notified forty times", 20000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  e2e_assert_lacks(p.err, "ignored a notify message");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A package whose meta/NAME.cm runs `script` in dash, readiness by
 * notify, with `lifecycle` more keys of its lifecycle block. */
static void notify_script(char *pkg, size_t size, const char *script,
                          const char *lifecycle) {
  char text[4096];
  e2e_package_new(pkg, size);
  e2e_package_copy(pkg, "/bin/dash", "bin/sh");
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"environments\": [{\"name\": \"quick\", \"extends\": "
                    "\"realm\", \"__stop_timeout_ms\": 500}],\n"
                    " \"children\": [{\"name\": \"d\", \"url\": "
                    "\"#meta/d.cm\", \"startup\": \"eager\", \"environment\": "
                    "\"#quick\"}]}");
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/sh\", "
           "\"args\": [\"-c\", \"%s\"], \"environ\": "
           "[\"PATH=/usr/bin:/bin\"], \"lifecycle\": {\"ready_event\": "
           "\"notify\"%s}}}",
           script, lifecycle);
  e2e_package_write(pkg, "meta/d.cm", text);
}

/* EXTEND_TIMEOUT_USEC= while starting, as sd_notify(3) has it: the start
 * timeout (500 ms here) ends no sooner than the time asked for from now,
 * so a daemon that asks for 5 s and is ready after 1.5 s is ready. */
START_TEST(test_extend_timeout_while_starting) {
  if (access("/usr/bin/systemd-notify", X_OK) != 0) {
    fprintf(stderr, "skipped test_extend_timeout_while_starting: "
                    "/usr/bin/systemd-notify is not installed\n");
    return;
  }
  char pkg[4096], manifest[4200];
  notify_script(pkg, sizeof pkg,
                "systemd-notify EXTEND_TIMEOUT_USEC=5000000 && sleep 1.5 && "
                "systemd-notify --ready && exec sleep 600",
                ", \"start_timeout_ms\": 500");
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", manifest, NULL};
  e2e_start(&p, args);
  e2e_wait_event(&p, "ready", "/d", 20000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  e2e_assert_has(p.err, "/d: asks for 5000 ms more to be ready");
  e2e_assert_no_end(&p, "cannot_start");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* And while stopping: its environment's stop timeout is 500 ms; asked for
 * 5 s on SIGTERM, it may take 1.5 s and still stop ok, not be killed. */
START_TEST(test_extend_timeout_while_stopping) {
  if (access("/usr/bin/systemd-notify", X_OK) != 0) {
    fprintf(stderr, "skipped test_extend_timeout_while_stopping: "
                    "/usr/bin/systemd-notify is not installed\n");
    return;
  }
  char pkg[4096], manifest[4200];
  notify_script(pkg, sizeof pkg,
                "trap 'systemd-notify EXTEND_TIMEOUT_USEC=5000000; sleep 1.5; "
                "exit 0' TERM; systemd-notify --ready; echo up; while :; do "
                "sleep 0.05; done",
                "");
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", manifest, NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/d] up", 20000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  e2e_assert_has(p.err, "/d: asks for 5000 ms more to stop");
  e2e_assert_end(&p, "/d", "ok (exit 0)");
  e2e_assert_has(p.err, "shutdown finished; nothing timed out");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Its descriptors are exactly 0-2 (and 3 for the lifecycle channel); its
 * working directory is its package. */
START_TEST(test_program_gets_only_its_fds) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "fds.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.err, "[/plain] fds 0 1 2\n");
  e2e_assert_has(p.err, "[/channel] fds 0 1 2 3\n");
  char cwd[4200], expected[4300];
  ck_assert_ptr_nonnull(realpath("tests/packages/progs", cwd));
  snprintf(expected, sizeof expected, "[/where] cwd %s\n", cwd);
  e2e_assert_has(p.err, expected);
  e2e_free(&p);
}
END_TEST

/* fern ignores SIGPIPE and handles SIGCHLD, SIGINT, SIGTERM, and here it
 * is started with signal 32 ignored (glibc's own, which glibc's sigaction
 * will not touch; an ignored signal survives exec): its programs start
 * with every signal at its default and none blocked. */
START_TEST(test_program_starts_with_default_signals) {
  if (e2e_skip_under_valgrind("the program runs under valgrind too, whose "
                               "own signal dispositions show"))
    return;
  char pkg[4096];
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
  } ignore = {SIG_IGN, 0, NULL, 0};
  ck_assert_int_eq(syscall(SYS_rt_sigaction, 32, &ignore, NULL,
                           sizeof(unsigned long)), 0);
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_program(pkg, "signals", "elf",
                      "\"args\": [\"status\", \"SigBlk:\", \"SigIgn:\", "
                      "\"SigCgt:\"]");
  const char *names[] = {"signals", NULL};
  e2e_package_root(pkg, names, 0);
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.err, "[/signals] SigBlk:\t0000000000000000\n");
  e2e_assert_has(p.err, "[/signals] SigIgn:\t0000000000000000\n");
  e2e_assert_has(p.err, "[/signals] SigCgt:\t0000000000000000\n");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

START_TEST(test_notify_variables_are_set) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "output.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.err, "[/env] FERN_JOB=");
  e2e_assert_lacks(p.err, "[/env] NOTIFY_SOCKET=");
  e2e_assert_lacks(p.err, "[/env] FERN_LIFECYCLE_FD=");
  e2e_free(&p);
}
END_TEST

START_TEST(test_rlimits_are_applied_and_checked) {
  if (e2e_skip_under_valgrind("valgrind keeps descriptors of its own and shows fern a lower open-file limit"))
    return;
  e2e_proc p;
  const char *args[] = {"run", PROGS "limits.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_has(p.err, "[/lim] nofile 64 64\n");
  e2e_assert_has(p.err, "[/lim] nproc 1000 2000\n");
  e2e_assert_has(p.err, "[/lim] as unlimited unlimited\n");
  e2e_assert_has(p.err, "[/lim] core 0 0\n");
  e2e_assert_has(p.err, "badlim.cm:2:29: unknown resource limit \"bogus\"");
  e2e_free(&p);
}
END_TEST

/* fern raises its own open-file limit (it holds descriptors for thousands
 * of components) but programs get the limit fern was started with. */
START_TEST(test_programs_get_the_open_file_limit_fern_was_given) {
  if (e2e_skip_under_valgrind("valgrind keeps descriptors of its own and shows fern a lower open-file limit"))
    return;
  struct rlimit given;
  ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &given), 0);
  ck_assert_uint_gt(given.rlim_max, 512);
  given.rlim_cur = 512; /* inherited by fern from here */
  ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &given), 0);
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"children\": ["
                    "{\"name\": \"lim\", \"url\": \"#meta/lim.cm\", "
                    "\"startup\": \"eager\"},"
                    "{\"name\": \"stay\", \"url\": \"#meta/stay.cm\", "
                    "\"startup\": \"eager\"}]}");
  e2e_package_write(pkg, "meta/lim.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"limits\"]}}");
  e2e_package_write(pkg, "meta/stay.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"sleep\"]}}");
  char manifest[4200], expected[96], path[64], line[256];
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", manifest, NULL};
  e2e_start(&p, args);
  snprintf(expected, sizeof expected, "[/lim] nofile 512 %llu\n",
           (unsigned long long)given.rlim_max);
  e2e_wait_for(&p, expected, 20000);
  e2e_wait_event(&p, "started", "/stay", 20000);
  /* fern's own soft limit went up to its hard one. */
  snprintf(path, sizeof path, "/proc/%d/limits", (int)p.pid);
  FILE *f = fopen(path, "r");
  ck_assert_ptr_nonnull(f);
  unsigned long long soft = 0, hard = 0;
  while (fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, "Max open files", 14) == 0)
      sscanf(line + 14, "%llu %llu", &soft, &hard);
  fclose(f);
  ck_assert_uint_ge(hard, given.rlim_max);
  ck_assert_uint_eq(soft, hard);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A crash with core dumps allowed is reported as such (in a package of its
 * own, where the core file lands). */
START_TEST(test_core_dump_is_reported) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"crash\", \"url\": "
                    "\"#meta/crash.cm\", \"startup\": \"eager\"}]}");
  e2e_package_write(pkg, "meta/crash.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"signal\", \"11\"], "
                    "\"rlimits\": {\"core\": \"unlimited\"}}}");
  char manifest[4096];
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", manifest, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  FILE *pattern = fopen("/proc/sys/kernel/core_pattern", "r");
  char first = pattern ? (char)fgetc(pattern) : '|';
  if (pattern)
    fclose(pattern);
  if (first == '|')
    e2e_assert_end(&p, "/crash", "instance_died (signal SEGV");
  else
    e2e_assert_end(&p, "/crash", "instance_died (signal SEGV, "
                          "core dumped)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

START_TEST(test_critical_needs_the_policy) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "critical.cm", NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/bystander] ready", 20000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 1);
  e2e_assert_end(&p, "/crit", "cannot_start: /crit is not allowed "
                        "main_process_critical by the security policy");
  e2e_free(&p);
}
END_TEST

/* The critical component is the bystander's child, so it starts only
 * once the bystander runs (two siblings start at once, and the critical
 * one could end before the other was even spawned). The bystander stops
 * with the tree, by the SIGTERM it is sent. */
START_TEST(test_critical_failure_stops_the_tree) {
  e2e_proc p;
  char dir[64], events[128];
  const char *args[] = {"--config", "tests/config/policy.json",
                        PROGS "critical-nested.cm", NULL};
  e2e_events_start(&p, args, dir, sizeof dir, events, sizeof events);
  ck_assert_int_eq(e2e_finish(&p, 20000), 1);
  json_t *all = e2e_read_events(events);
  ck_assert_int_lt(e2e_seq_of(e2e_the_event(all, "started", "/bystander")),
                   e2e_seq_of(e2e_the_event(all, "started",
                                            "/bystander/crit")));
  json_t *crit = e2e_the_event(all, "stopped", "/bystander/crit");
  ck_assert_str_eq(e2e_field(crit, "status"), "instance_died");
  ck_assert_int_eq(json_integer_value(json_object_get(crit, "exit_code")), 4);
  ck_assert_str_eq(e2e_field(e2e_the_event(all, "critical", "/bystander/crit"),
                             "reason"),
                   "exited with status 4");
  json_t *bystander = e2e_the_event(all, "stopped", "/bystander");
  ck_assert_str_eq(e2e_field(bystander, "status"), "ok");
  ck_assert_str_eq(e2e_field(bystander, "signal"), "TERM");
  /* What only the log says: why fern exits 1. */
  e2e_assert_has(p.err, "the tree was shut down because critical component "
                        "/bystander/crit exited with status 4");
  json_decref(all);
  e2e_events_done(dir, events);
  e2e_free(&p);
}
END_TEST

START_TEST(test_critical_success_stops_nothing) {
  e2e_proc p;
  const char *args[] = {"run", "--config", "tests/config/policy.json",
                        PROGS "critical-ok.cm", NULL};
  e2e_start(&p, args);
  e2e_wait_end(&p, "/crit", "ok (exit 0)", 20000);
  e2e_wait_for(&p, "[/bystander] ready", 20000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  ck_assert_uint_eq(e2e_event_count(&p, "critical", NULL), 0);
  e2e_free(&p);
}
END_TEST

/* As above, the child that ends starts only once the bystander runs. */
START_TEST(test_on_terminate_reboot_stops_the_tree) {
  e2e_proc p;
  char dir[64], events[128];
  const char *args[] = {"--config", "tests/config/policy.json",
                        PROGS "reboot-nested.cm", NULL};
  e2e_events_start(&p, args, dir, sizeof dir, events, sizeof events);
  ck_assert_int_eq(e2e_finish(&p, 20000), 1);
  json_t *all = e2e_read_events(events);
  json_t *shell = e2e_the_event(all, "stopped", "/bystander/shell");
  ck_assert_str_eq(e2e_field(shell, "status"), "ok");
  ck_assert_int_eq(json_integer_value(json_object_get(shell, "exit_code")), 0);
  ck_assert_str_eq(
      e2e_field(e2e_the_event(all, "critical", "/bystander/shell"), "reason"),
      "terminated (on_terminate: reboot)");
  json_t *bystander = e2e_the_event(all, "stopped", "/bystander");
  ck_assert_str_eq(e2e_field(bystander, "status"), "ok");
  ck_assert_str_eq(e2e_field(bystander, "signal"), "TERM");
  json_decref(all);
  e2e_events_done(dir, events);
  e2e_free(&p);
}
END_TEST

START_TEST(test_on_terminate_reboot_needs_the_policy) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "reboot.cm", NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "[/bystander] ready", 20000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 1);
  e2e_assert_end(&p, "/shell", "cannot_start: /shell is not allowed "
                        "reboot_on_terminate by the security policy");
  e2e_free(&p);
}
END_TEST

START_TEST(test_lifecycle_example_stops_cleanly) {
  e2e_proc p;
  const char *args[] = {"run", "examples/lifecycle", NULL};
  e2e_start(&p, args);
  e2e_wait_end(&p, "/daemon/client", "ok", 20000);
  kill(p.pid, SIGINT);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  e2e_assert_order(p.err, "/daemon: ready", "/daemon/client: started");
  e2e_assert_has(p.err, "[/daemon] daemon: stop asked; flushing and leaving "
                        "cleanly");
  e2e_assert_has(p.err, "/daemon: reports it is stopping");
  e2e_assert_end(&p, "/daemon", "ok (exit 0)");
  e2e_free(&p);
}
END_TEST

Suite *elf_suite(void) {
  Suite *s = suite_create("elf");
  TCase *tc = tcase_create("elf");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_notify_stop_lets_the_program_exit_cleanly);
  tcase_add_test(tc, test_argv0_and_shared_objects);
  tcase_add_test(tc, test_lifecycle_example_stops_cleanly);
  tcase_add_test(tc, test_readiness_holds_children_and_reports_status);
  tcase_add_test(tc, test_start_timeout_fails_a_program_never_ready);
  tcase_add_test(tc, test_systemd_notify_works_unchanged);
  tcase_add_test(tc, test_extend_timeout_while_starting);
  tcase_add_test(tc, test_extend_timeout_while_stopping);
  tcase_add_test(tc, test_program_gets_only_its_fds);
  tcase_add_test(tc, test_program_starts_with_default_signals);
  tcase_add_test(tc, test_notify_variables_are_set);
  tcase_add_test(tc, test_rlimits_are_applied_and_checked);
  tcase_add_test(tc, test_programs_get_the_open_file_limit_fern_was_given);
  tcase_add_test(tc, test_core_dump_is_reported);
  tcase_add_test(tc, test_critical_needs_the_policy);
  tcase_add_test(tc, test_critical_failure_stops_the_tree);
  tcase_add_test(tc, test_critical_success_stops_nothing);
  tcase_add_test(tc, test_on_terminate_reboot_stops_the_tree);
  tcase_add_test(tc, test_on_terminate_reboot_needs_the_policy);
  suite_add_tcase(s, tc);
  return s;
}
