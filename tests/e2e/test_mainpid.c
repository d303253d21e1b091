/* test_mainpid.c - systemd's MAINPID= on real trees, sent by systemd's own
 * systemd-notify (--pid): a launcher that forks its daemon, names it and
 * exits leaves the component running under the daemon, whose end (its
 * exit status, where fern can know it) ends the run, and whom a stop
 * reaches; a pid outside the component is refused. With cgroup jobs and
 * with subreaper jobs (where the daemon becomes fern's child). Asserts on
 * the event stream. */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

#define SUBREAPER "tests/config/subreaper.json"

static const char *const configs[] = {NULL, SUBREAPER};

/* MAINPID= is followed through pidfds; valgrind has no pidfd_open, and
 * a fern under it watches exits by SIGCHLD (and says it does not follow
 * MAINPID= there). */
static int cannot_follow_here(void) {
  return e2e_skip_under_valgrind("valgrind has no pidfd_open, and fern "
                                 "follows MAINPID= only with pidfds");
}

static int no_systemd_notify(void) {
  if (cannot_follow_here())
    return 1;
  if (access("/usr/bin/systemd-notify", X_OK) == 0)
    return 0;
  fprintf(stderr, "skipped: /usr/bin/systemd-notify is not installed\n");
  return 1;
}

/* A package whose component /d runs `script` in dash, ready by notify, in
 * an environment whose stop timeout is 5 s. */
static void launcher_package(char *pkg, size_t size, const char *script) {
  char text[4096];
  e2e_package_new(pkg, size);
  e2e_package_copy(pkg, "/bin/dash", "bin/sh");
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"environments\": [{\"name\": \"env\", \"extends\": "
                    "\"realm\", \"__stop_timeout_ms\": 5000}],\n"
                    " \"children\": [{\"name\": \"d\", \"url\": "
                    "\"#meta/d.cm\", \"startup\": \"eager\", \"environment\": "
                    "\"#env\"}]}");
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/sh\", "
           "\"args\": [\"-c\", \"%s\"], \"environ\": "
           "[\"PATH=/usr/bin:/bin\"], \"lifecycle\": {\"ready_event\": "
           "\"notify\"}}}",
           script);
  e2e_package_write(pkg, "meta/d.cm", text);
}

/* Starts `fern run` on the package, with `config` if not NULL (the
 * harness gives it an events file). */
static void run_package(e2e_proc *p, const char *pkg, const char *config) {
  char manifest[4200];
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", pkg);
  const char *with[] = {"run", "--config", config, manifest, NULL};
  const char *without[] = {"run", manifest, NULL};
  e2e_start(p, config ? with : without);
}

/* Where the launcher and the daemon are, once the launcher has ended:
 * the run is still on, under the daemon. */
static void follow_the_handover(e2e_proc *p, pid_t *launcher, pid_t *daemon) {
  e2e_wait_event(p, "main_pid", "/d", 20000);
  json_t *all = e2e_proc_events(p);
  json_t *moved = e2e_the_event(all, "main_pid", "/d");
  json_t *started = e2e_the_event(all, "started", "/d");
  *launcher = (pid_t)json_integer_value(json_object_get(started, "pid"));
  *daemon = (pid_t)json_integer_value(json_object_get(moved, "pid"));
  ck_assert_int_eq(json_integer_value(json_object_get(moved, "was")),
                   *launcher);
  ck_assert_int_ne(*daemon, *launcher);
  json_decref(all);
  e2e_assert_all_gone_within(launcher, 1, 20000);
  ck_assert(e2e_process_alive(*daemon));
  /* The launcher's end did not end the run. */
  ck_assert_msg(e2e_event_count(p, "stopped", "/d") == 0,
                "/d stopped with its launcher:\n%s", p->err);
}

/* Whether PIDFD_GET_INFO gives a reaped process's exit status (Linux
 * 6.15), probed as the kernel's own selftests do. */
static int pidfd_exit_info_works(void) {
  struct {
    uint64_t mask, cgroupid;
    uint32_t ids[11];
    int32_t exit_code;
  } info;
  pid_t child = fork();
  if (child == 0)
    _exit(100);
  int fd = (int)syscall(SYS_pidfd_open, child, 0);
  waitpid(child, NULL, 0);
  memset(&info, 0, sizeof info);
  info.mask = 1u << 3; /* PIDFD_INFO_EXIT */
  int works = fd >= 0 && ioctl(fd, _IOWR(0xFF, 11, info), &info) == 0 &&
              (info.mask & (1u << 3)) && WEXITSTATUS(info.exit_code) == 100;
  if (fd >= 0)
    close(fd);
  return works;
}

/* How the daemon's status reaches fern, one case a loop round:
 *   0: cgroup jobs; the test is the daemon's reaper (as init would be)
 *      and reaps it at once: fern reads its status from its pidfd
 *      (PIDFD_INFO_EXIT);
 *   1: subreaper jobs: it is fern's child, and fern waits for it;
 *   2: cgroup jobs; its reaper holds it unreaped until fern has reported:
 *      fern says the status is unknown, and the run ended ok, as systemd
 *      counts a main process that is not its child. */
enum { REAPED_AT_ONCE, FERNS_CHILD, NEVER_REAPED };

/* Reaps `pid` (a child of the test, its subreaper) as soon as it has
 * ended: its pidfd turns readable then. */
static void reap(pid_t pid) {
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  ck_assert_int_ge(pidfd, 0);
  struct pollfd ended = {pidfd, POLLIN, 0};
  ck_assert_msg(poll(&ended, 1, 20000) == 1, "daemon %d never ended",
                (int)pid);
  close(pidfd);
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert_int_eq(WEXITSTATUS(status), 7);
}

/* The daemon ends by itself with status 7: that is the run's end. */
START_TEST(test_the_daemon_named_by_mainpid_is_the_run) {
  if (no_systemd_notify())
    return;
  if (_i == REAPED_AT_ONCE && !pidfd_exit_info_works()) {
    fprintf(stderr, "skipped: this kernel has no PIDFD_INFO_EXIT\n");
    return;
  }
  if (_i != FERNS_CHILD) /* the daemon's parent when its launcher ends */
    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  char pkg[4096];
  launcher_package(pkg, sizeof pkg,
                   "sh -c 'while [ ! -e go ]; do sleep 0.02; done; exit 7' "
                   "& systemd-notify --ready --pid=$! && exit 0");
  e2e_proc p;
  run_package(&p, pkg, _i == FERNS_CHILD ? SUBREAPER : NULL);
  pid_t launcher, daemon;
  follow_the_handover(&p, &launcher, &daemon);
  e2e_package_write(pkg, "go", "");
  if (_i == REAPED_AT_ONCE)
    reap(daemon);
  e2e_finish(&p, 20000);
  json_t *all = e2e_proc_events(&p);
  json_t *end = e2e_the_event(all, "stopped", "/d");
  if (_i == NEVER_REAPED) {
    ck_assert_str_eq(e2e_field(end, "status"), "ok");
    ck_assert_ptr_null(json_object_get(end, "exit_code"));
    ck_assert_ptr_nonnull(strstr(e2e_field(end, "message"), "unknown"));
    reap(daemon);
  } else {
    ck_assert_msg(json_integer_value(json_object_get(end, "exit_code")) == 7,
                  "%s", p.err);
    ck_assert_str_eq(e2e_field(end, "status"), "instance_died");
  }
  ck_assert(!e2e_process_alive(daemon));
  prctl(PR_SET_CHILD_SUBREAPER, 0);
  json_decref(all);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A stop reaches the daemon, not the launcher that is gone (the daemon
 * has a session and group of its own, as daemons do): it dies of the
 * SIGTERM, well within the stop timeout, and the stop is ok. */
START_TEST(test_a_stop_ends_the_daemon) {
  if (no_systemd_notify())
    return;
  char pkg[4096];
  launcher_package(pkg, sizeof pkg,
                   "setsid sleep 600 & systemd-notify --ready --pid=$! && "
                   "exit 0");
  e2e_proc p;
  run_package(&p, pkg, configs[_i]);
  pid_t launcher, daemon;
  follow_the_handover(&p, &launcher, &daemon);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  json_t *all = e2e_proc_events(&p);
  json_t *end = e2e_the_event(all, "stopped", "/d");
  ck_assert_str_eq(e2e_field(end, "status"), "ok");
  json_t *shutdown = e2e_the_event(all, "shutdown", NULL);
  ck_assert_int_eq(json_array_size(json_object_get(shutdown, "timed_out")),
                   0);
  ck_assert(!e2e_process_alive(daemon));
  json_decref(all);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A pid that is not the component's (here the test's own) is refused,
 * sent by the component's main process itself (systemd-notify --pid
 * would send it as if from that pid): the message's READY=1 is taken,
 * the main process stays the one fern started, and a stop reaches it. */
START_TEST(test_a_pid_outside_the_component_is_refused) {
  if (cannot_follow_here())
    return;
  char pkg[4096], text[512];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_copy(pkg, "tests/packages/progs/bin/tool", "bin/tool");
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"d\", \"url\": "
                    "\"#meta/d.cm\", \"startup\": \"eager\"}]}");
  snprintf(text, sizeof text,
           "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tool\", "
           "\"args\": [\"notify-text\", \"MAINPID=%d\\nREADY=1\"], "
           "\"lifecycle\": {\"ready_event\": \"notify\"}}}",
           (int)getpid());
  e2e_package_write(pkg, "meta/d.cm", text);
  e2e_proc p;
  run_package(&p, pkg, configs[_i]);
  e2e_wait_event(&p, "ready", "/d", 20000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  json_t *all = e2e_proc_events(&p);
  json_t *moved = e2e_events_of(all, "main_pid", "/d");
  ck_assert_int_eq(json_array_size(moved), 0);
  json_decref(moved);
  json_t *started = e2e_the_event(all, "started", "/d");
  pid_t main_pid = (pid_t)json_integer_value(json_object_get(started, "pid"));
  ck_assert_str_eq(e2e_field(e2e_the_event(all, "stopped", "/d"), "status"),
                   "ok");
  ck_assert(!e2e_process_alive(main_pid));
  e2e_assert_has(p.err, "refused MAINPID=");
  ck_assert(e2e_process_alive(getpid()));
  json_decref(all);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *mainpid_suite(void) {
  Suite *s = suite_create("mainpid");
  TCase *tc = tcase_create("mainpid");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_the_daemon_named_by_mainpid_is_the_run, 0, 3);
  tcase_add_loop_test(tc, test_a_stop_ends_the_daemon, 0, 2);
  tcase_add_loop_test(tc, test_a_pid_outside_the_component_is_refused, 0, 2);
  suite_add_tcase(s, tc);
  return s;
}
