/* test_reaping.c - no runner reaps a process it did not start. A runner
 * written as a plugin author first writes one (tests/plugins/uvspawn.c:
 * uv_spawn, its exit through libuv) and one on the host's process service
 * (tests/plugins/script.c: a service of its own) run beside the ELF runner
 * in subreaper mode, where fern adopts orphans and the ELF runner's
 * service reaps them: neither runner's child is among them, and each exit
 * reaches its runner with its status. As root with subreaper jobs forced,
 * and as an unprivileged user, for whom fern picks subreaper jobs for
 * every service itself. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control_run.h"
#include "e2e.h"
#include "event_asserts.h"

/* A package with /plain (the ELF runner, running 2 s), /spawned (the
 * uv_spawn runner, exit 5 after 300 ms), /scripted (the script runner,
 * exit 7 after 300 ms) and /unwrapped (the sandbox runner without its
 * sandbox, watching exits by SIGCHLD as the ELF runner's reaping does:
 * exit 9 after 300 ms) and /forked (a plain fork() in fern's own session,
 * reaped by its runner's waitpid: exit 11 after 300 ms); `config` is its
 * fern.json. */
static void two_runners(char *pkg, size_t size, const char *elf_config,
                        char *config, size_t config_size) {
  char text[1024];
  e2e_package_new(pkg, size);
  e2e_package_program(pkg, "plain", "elf",
                      "\"args\": [\"run-for\", \"2000\", \"0\"]");
  e2e_package_program(pkg, "spawned", "uvspawn",
                      "\"args\": [\"run-for\", \"300\", \"5\"]");
  e2e_package_write(pkg, "run.sh", "exec \"$(dirname \"$0\")/bin/tool\" \"$@\"\n");
  e2e_package_write(pkg, "meta/scripted.cm",
                    "{\"program\": {\"runner\": \"script\", \"script\": "
                    "\"run.sh\", \"args\": [\"run-for\", \"300\", \"7\"]}}");
  e2e_package_program(pkg, "unwrapped", "sandbox",
                      "\"sandbox\": \"none\", "
                      "\"args\": [\"run-for\", \"300\", \"9\"]");
  e2e_package_program(pkg, "forked", "forker",
                      "\"args\": [\"run-for\", \"300\", \"11\"]");
  const char *names[] = {"plain",     "spawned", "scripted",
                         "unwrapped", "forked",  NULL};
  e2e_package_root(pkg, names, 0);
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"runners\": [{\"runner\": \"elf\"%s}, "
           "{\"runner\": \"uvspawn\"}, {\"runner\": \"script\"}, "
           "{\"runner\": \"sandbox\", \"config\": {\"pidfd\": false}}, "
           "{\"runner\": \"forker\"}]}}",
           elf_config);
  e2e_package_write(pkg, "fern.json", text);
  snprintf(config, config_size, "%s/fern.json", pkg);
}

START_TEST(test_other_runners_hear_their_exits_beside_a_subreaper) {
  char pkg[4096], config[4200], plugins[4200];
  two_runners(pkg, sizeof pkg, ", \"config\": {\"job\": \"subreaper\"}", config,
              sizeof config);
  snprintf(plugins, sizeof plugins, "%s/tests/plugins", e2e_build());
  e2e_proc p;
  const char *args[] = {"run", "--config", config, "--plugin-dir", plugins,
                        pkg, NULL};
  e2e_start(&p, args);
  e2e_wait_end(&p, "/spawned", "instance_died (exit 5)", 20000);
  e2e_wait_end(&p, "/scripted", "instance_died (exit 7)", 20000);
  e2e_wait_end(&p, "/unwrapped", "instance_died (exit 9)", 20000);
  e2e_wait_end(&p, "/forked", "instance_died (exit 11)", 20000);
  ck_assert_int_eq(e2e_finish(&p, 20000), 1); /* they did not end ok */
  e2e_assert_end(&p, "/plain", "ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

START_TEST(test_other_runners_hear_their_exits_as_a_user) {
  uid_t uid;
  gid_t gid;
  if (e2e_test_user("fernreap", &uid, &gid) != 0)
    return;
  char pkg[4096], config[4200], path[12800], out[65536];
  two_runners(pkg, sizeof pkg, "", config, sizeof config);
  char chmod_all[4200];
  snprintf(chmod_all, sizeof chmod_all, "chmod -R a+rX '%s'", pkg);
  ck_assert_int_eq(system(chmod_all), 0); /* the user reads the package */
  snprintf(path, sizeof path, "%s/runners:%s/resolvers:%s/tests/plugins",
           e2e_build(), e2e_build(), e2e_build());
  setenv("FERN_PLUGIN_PATH", path, 1);
  const char *args[] = {"run", "--config", config, pkg, NULL};
  int status = e2e_run_fern_as(uid, gid, args, out, sizeof out);
  unsetenv("FERN_PLUGIN_PATH");
  ck_assert_msg(strstr(out, "job mechanism ") != NULL, "%s", out);
  if (!e2e_job_mechanism_is(out, "subreaper")) {
    fprintf(stderr, "skipped: fern as a user got no subreaper jobs here:\n%s",
            out);
    e2e_package_remove(pkg);
    return;
  }
  e2e_assert_has(out, "script runner: job mechanism subreaper");
  ck_assert_msg(status == 1, "fern exited %d:\n%s", status, out);
  e2e_assert_has(out, "/spawned: error: stopped: instance_died (exit 5)");
  e2e_assert_has(out, "/scripted: error: stopped: instance_died (exit 7)");
  e2e_assert_has(out, "/unwrapped: error: stopped: instance_died (exit 9)");
  e2e_assert_has(out, "/forked: error: stopped: instance_died (exit 11)");
  e2e_assert_has(out, "/plain: stopped: ok (exit 0)");
  e2e_package_remove(pkg);
}
END_TEST

/* A plugin that reaps any child of fern (tests/plugins/greedy.c) takes the
 * exit of a run watched by SIGCHLD: that run still ends, and fern with it.
 * Its status is unknown when the plugin was first ("ok", as systemd counts
 * a main process it could not reap), its own when fern was. Which one is
 * first is a race; before the fix the run hung whenever the plugin won,
 * three times in four here. */
START_TEST(test_a_run_whose_exit_another_plugin_took_still_ends) {
  char pkg[4096], config[4200], plugins[4200], text[1024];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(pkg, "meta/greedy.cm",
                    "{\"program\": {\"runner\": \"greedy\"}}");
  e2e_package_program(pkg, "unwrapped", "sandbox",
                      "\"sandbox\": \"none\", "
                      "\"args\": [\"run-for\", \"300\", \"9\"]");
  const char *names[] = {"greedy", "unwrapped", NULL};
  e2e_package_root(pkg, names, 0);
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"runners\": [{\"runner\": \"elf\"}, "
           "{\"runner\": \"greedy\"}, {\"runner\": \"sandbox\", "
           "\"config\": {\"pidfd\": false}}]}}");
  e2e_package_write(pkg, "fern.json", text);
  snprintf(config, sizeof config, "%s/fern.json", pkg);
  snprintf(plugins, sizeof plugins, "%s/tests/plugins", e2e_build());
  e2e_proc p;
  const char *args[] = {"run", "--config", config, "--plugin-dir", plugins,
                        pkg, NULL};
  e2e_start(&p, args);
  e2e_wait_event(&p, "stopped", "/unwrapped", 20000);
  kill(p.pid, SIGTERM);
  int status = e2e_finish(&p, 20000);
  if (e2e_event_count(&p, "started", "/unwrapped") == 1 &&
      strstr(p.err, "/unwrapped: stopped: ok") != NULL)
    ck_assert_int_eq(status, 0); /* the plugin reaped it */
  else
    e2e_assert_end(&p, "/unwrapped", "instance_died (exit 9)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Whether `pid` catches `signum`: its SigCgt mask in /proc/PID/status. */
static int catches(pid_t pid, int signum) {
  char mask[64];
  return (strtoull(e2e_status_field(pid, "SigCgt", mask, sizeof mask), NULL,
                   16) >> (signum - 1)) & 1;
}

/* A tree of ELF components with `elf_config` for the runner, until /plain
 * runs: whether fern catches SIGCHLD then. */
static int catches_sigchld_with(const char *elf_config) {
  char pkg[4096], config[4200], text[512];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_program(pkg, "plain", "elf",
                      "\"args\": [\"run-for\", \"20000\", \"0\"]");
  const char *names[] = {"plain", NULL};
  e2e_package_root(pkg, names, 0);
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"runners\": [{\"runner\": \"elf\"%s}]}}",
           elf_config);
  e2e_package_write(pkg, "fern.json", text);
  snprintf(config, sizeof config, "%s/fern.json", pkg);
  e2e_proc p;
  const char *args[] = {"run", "--config", config, pkg, NULL};
  e2e_start(&p, args);
  e2e_wait_event(&p, "started", "/plain", 20000);
  int caught = catches(p.pid, SIGCHLD);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  e2e_assert_end(&p, "/plain", "ok (signal TERM)"); /* its end was seen */
  e2e_free(&p);
  e2e_package_remove(pkg);
  return caught;
}

/* With a pidfd for every run nothing needs SIGCHLD, and fern takes none:
 * 10,000 components ending at once were some 1,500 signals to handle.
 * Watching exits by SIGCHLD ("pidfd": false) it does. Process-group jobs:
 * a subreaper (what "auto" picks where no cgroup can be made) reaps
 * orphans on SIGCHLD. */
START_TEST(test_sigchld_is_caught_only_when_exits_are_watched_by_it) {
  if (e2e_skip_under_valgrind("valgrind has no pidfd_open and catches "
                              "every signal itself"))
    return;
  ck_assert_int_eq(
      catches_sigchld_with(", \"config\": {\"job\": \"process_group\"}"), 0);
  ck_assert_int_eq(catches_sigchld_with(", \"config\": {\"job\": "
                                        "\"process_group\", \"pidfd\": false}"),
                   1);
}
END_TEST

/* fern started with SIGCHLD ignored (which survives exec) and no handler
 * of its own to replace it: the kernel would reap its children, and
 * waitid find none. fern sets its default: a run's end still has its
 * status and its rusage (its CPU time). */
START_TEST(test_an_inherited_ignored_sigchld_loses_no_status) {
  char pkg[4096], config[4200];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_program(pkg, "three", "elf",
                      "\"args\": [\"run-for\", \"100\", \"3\"]");
  const char *names[] = {"three", NULL};
  e2e_package_root(pkg, names, 0);
  e2e_package_write(pkg, "fern.json",
                    "{\"root_environment\": {\"runners\": [{\"runner\": "
                    "\"elf\", \"config\": {\"job\": \"process_group\"}}]}}");
  snprintf(config, sizeof config, "%s/fern.json", pkg);
  struct sigaction ignore = {.sa_handler = SIG_IGN}, before;
  sigemptyset(&ignore.sa_mask);
  e2e_proc p;
  const char *args[] = {"run", "--config", config, pkg, NULL};
  ck_assert_int_eq(sigaction(SIGCHLD, &ignore, &before), 0);
  e2e_start(&p, args); /* fern inherits it */
  ck_assert_int_eq(sigaction(SIGCHLD, &before, NULL), 0);
  e2e_wait_end(&p, "/three", "instance_died (exit 3)", 20000);
  json_t *events = e2e_proc_events(&p);
  json_t *end = e2e_the_event(events, "stopped", "/three");
  ck_assert_msg(json_object_get(end, "cpu_s") != NULL,
                "the end of /three has no CPU time: its rusage was lost");
  json_decref(events);
  e2e_finish(&p, 20000);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *reaping_suite(void) {
  Suite *s = suite_create("reaping");
  TCase *tc = tcase_create("reaping");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_other_runners_hear_their_exits_beside_a_subreaper);
  tcase_add_test(tc, test_other_runners_hear_their_exits_as_a_user);
  tcase_add_test(tc, test_a_run_whose_exit_another_plugin_took_still_ends);
  tcase_add_test(tc, test_sigchld_is_caught_only_when_exits_are_watched_by_it);
  tcase_add_test(tc, test_an_inherited_ignored_sigchld_loses_no_status);
  suite_add_tcase(s, tc);
  return s;
}
