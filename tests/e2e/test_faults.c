/* test_faults.c - components and conditions that try to take fern down:
 * a thousand processes left behind, a flood of output, a closed stdout, a
 * descriptor limit too low for the tree. Each is survived, the rest of the
 * tree runs on, nothing is left behind. */
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

/* meta/NAME.cm: bin/tool with `args`, run by the ELF runner. */
static void program(const char *pkg, const char *name, const char *args) {
  char fields[512];
  snprintf(fields, sizeof fields, "\"args\": [%s]", args);
  e2e_package_program(pkg, name, "elf", fields);
}

/* A component leaves 1,000 processes (half in sessions of their own) and
 * exits: all of them go with it, while a sibling keeps running. */
START_TEST(test_a_thousand_processes_go_with_their_component) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  program(pkg, "forker", "\"orphans\", \"1000\"");
  program(pkg, "steady", "\"sleep\"");
  const char *names[] = {"forker", "steady", NULL};
  e2e_package_root(pkg, names, 0);
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  e2e_start(&p, args);
  e2e_wait_end(&p, "/forker", "ok (exit 0)", 60000);
  /* Its output reaches fern's log after the event: read all of it. */
  e2e_wait_for_count(&p, "[/forker] orphan ", 1000, 60000);
  static pid_t pids[1100];
  int n = e2e_collect_pids(p.err, "/forker", pids, 1100);
  ck_assert_int_eq(n, 1001); /* 1,000 orphans and the main process */
  e2e_assert_all_gone_within(pids, n, 10000);
  pid_t steady[1];
  ck_assert_int_eq(e2e_collect_pids(p.err, "/steady", steady, 1), 1);
  ck_assert(e2e_process_alive(steady[0]));
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  e2e_assert_all_gone_within(steady, 1, 10000);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* 16 MiB of output from one component, a component that closes its
 * stdout and goes on: every line arrives, in order, and both end ok. */
START_TEST(test_flooding_and_closed_output_harm_nothing) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  program(pkg, "flood", "\"flood\", \"16\"");
  program(pkg, "closer", "\"close-stdout\"");
  program(pkg, "steady", "\"print\", \"steady is fine\"");
  const char *names[] = {"flood", "closer", "steady", NULL};
  e2e_package_root(pkg, names, 0);
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 120000, args), 0);
  ck_assert_int_eq(e2e_count(p.err, "[/flood] xxxxxxxx"), 16 * 1024);
  e2e_assert_has(p.err, "[/flood] flood done\n");
  e2e_assert_end(&p, "/flood", "ok (exit 0)");
  e2e_assert_has(p.err, "[/closer:2] closed stdout\n");
  e2e_assert_end(&p, "/closer", "ok (exit 0)");
  e2e_assert_has(p.err, "[/steady] steady is fine\n");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* fern under `ulimit -n 64`, a tree that needs more: the components that
 * find no descriptor cannot start and say why, the others run, fern ends
 * on its own and leaves nothing running. */
START_TEST(test_a_low_descriptor_limit_fails_components_not_fern) {
  if (e2e_skip_under_valgrind("valgrind needs descriptors of its own inside the 64 this test allows"))
    return;
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  program(pkg, "one", "\"run-for\", \"300\", \"0\"");
  static char storage[60][8];
  char root[8192] = "{\"children\": [";
  for (int i = 0; i < 60; i++) {
    snprintf(storage[i], sizeof storage[i], "c%d", i);
    size_t used = strlen(root);
    snprintf(root + used, sizeof root - used,
             "%s{\"name\": \"%s\", \"url\": \"#meta/one.cm\", \"startup\": "
             "\"eager\"}",
             i ? "," : "", storage[i]);
  }
  strcat(root, "]}");
  e2e_package_write(pkg, "meta/root.cm", root);
  struct rlimit low = {64, 64}; /* fern cannot raise it */
  ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 60000, args), 1);
  e2e_assert_has(p.err, "Too many open files");
  int ran = e2e_count(p.err, ": stopped: ok (exit 0)");
  int refused = e2e_count(p.err, "error: cannot_start:");
  ck_assert_int_gt(ran, 0);
  ck_assert_int_gt(refused, 0);
  ck_assert_int_eq(ran + refused, 60);
  char said[64];
  snprintf(said, sizeof said, "%d component runs did not end ok", refused);
  e2e_assert_has(p.err, said);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Runner plugins that fail: a start refused at once, a start that fails
 * later, a runner whose create fails, a plugin whose second half is
 * broken (refused whole: its good runner is not registered either). Each
 * fails only the components that use it. */
START_TEST(test_failing_runners_fail_only_their_components) {
  char pkg[4096], text[1024], config[4200], plugins[4200];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(pkg, "meta/now.cm",
                    "{\"program\": {\"runner\": \"faulty\", \"fail\": \"now\"}}");
  e2e_package_write(pkg, "meta/later.cm", "{\"program\": {\"runner\": "
                                          "\"faulty\", \"fail\": \"later\"}}");
  e2e_package_write(pkg, "meta/nocreate.cm",
                    "{\"program\": {\"runner\": \"faulty_create\", "
                    "\"fail\": \"now\"}}");
  e2e_package_write(pkg, "meta/half.cm", "{\"program\": {\"runner\": \"half\"}}");
  program(pkg, "fine", "\"print\", \"fine\"");
  const char *names[] = {"now", "later", "nocreate", "half", "fine", NULL};
  e2e_package_root(pkg, names, 0);
  snprintf(text, sizeof text,
           "{\"root_environment\": {\"runners\": [{\"runner\": \"elf\"}, "
           "{\"runner\": \"faulty\"}, {\"runner\": \"faulty_create\", "
           "\"plugin\": \"faulty\", \"config\": {\"fail_create\": true}}, "
           "{\"runner\": \"half\"}], \"resolvers\": [{\"resolver\": "
           "\"file\", \"scheme\": \"file\"}]}}");
  e2e_package_write(pkg, "fern.json", text);
  snprintf(config, sizeof config, "%s/fern.json", pkg);
  snprintf(plugins, sizeof plugins, "%s/tests/plugins", e2e_build());
  e2e_proc p;
  const char *args[] = {"run", "--plugin-dir", plugins, "--config", config,
                        pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, args), 1);
  e2e_assert_end(&p, "/now", "cannot_start: the faulty runner "
                        "failed it at once");
  e2e_assert_end(&p, "/later", "cannot_start: the faulty runner "
                        "failed it later");
  e2e_assert_has(p.err, "runner \"faulty_create\" left out: plugin ");
  e2e_assert_has(p.err, "the faulty runner was told to fail its create");
  /* Placed where the manifest names the runner. */
  e2e_assert_end(&p, "/nocreate", "cannot_start: ");
  e2e_assert_has(p.err, "nocreate.cm:1:14: runner \"faulty_create\" is not "
                        "registered");
  e2e_assert_has(p.err, "half.so refused: its resolver table lacks the "
                        "required call resolve");
  e2e_assert_end(&p, "/half", "cannot_start: ");
  e2e_assert_has(p.err, "half.cm:1:14: runner \"half\" is not registered in "
                        "environment root (it has: elf, faulty)");
  e2e_assert_has(p.err, "[/fine] fine\n");
  e2e_assert_has(p.err, "4 component runs did not end ok");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A resolver that never answers (for two minutes): after
 * resolve_timeout_ms the URL fails with an error naming the resolver, its
 * sibling runs, and fern ends without waiting for the stuck worker (its
 * exit must not join that thread). */
START_TEST(test_a_hanging_resolver_times_out) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  program(pkg, "fine", "\"print\", \"fine\"");
  e2e_gated gated;
  e2e_package_gated(pkg, "fine", 300, &gated);
  e2e_proc p;
  const char *const *args = gated.args;
  ck_assert_int_eq(e2e_run(&p, 30000, args), 1);
  char said[4400];
  snprintf(said, sizeof said,
           "/hung: error: cannot_start: resolver \"gate\" did not answer for "
           "\"gate://%s#meta/fine.cm\" within 300 ms (resolve_timeout_ms)",
           pkg);
  e2e_assert_has(p.err, said);
  e2e_assert_has(p.err, "[/fine] fine\n");
  e2e_assert_has(p.err, "1 resolution never answered; fern ends without "
                        "them");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Writes bin/noloader: bin/tool with its ELF interpreter renamed to one
 * that does not exist. It passes the binary check (a sound ELF program);
 * its execve fails. Returns 0 if this machine's tool has no such path. */
static int write_noloader(const char *pkg) {
  char path[4200];
  snprintf(path, sizeof path, "%s/bin/tool", pkg);
  FILE *f = fopen(path, "rb");
  static char image[8 << 20];
  size_t n = f ? fread(image, 1, sizeof image, f) : 0;
  if (f != NULL)
    fclose(f);
  const char *interp = "/lib64/ld-linux-x86-64.so.2";
  char *at = memmem(image, n, interp, strlen(interp) + 1);
  if (at == NULL)
    return 0;
  at[strlen(interp) - 1] = '9';
  snprintf(path, sizeof path, "%s/bin/noloader", pkg);
  f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(image, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
  ck_assert_int_eq(chmod(path, 0755), 0);
  return 1;
}

/* The exec itself fails (after the binary check passed): the component
 * cannot start, the message says why, its sibling runs on. */
START_TEST(test_a_failing_exec_fails_only_its_component) {
  if (e2e_skip_under_valgrind("valgrind execs itself, then fails to load "
                               "the program (exit 101) instead of execve"))
    return;
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  if (!write_noloader(pkg)) {
    fprintf(stderr, "skipped: the test program has no x86-64 loader path\n");
    e2e_package_remove(pkg);
    return;
  }
  e2e_package_write(pkg, "meta/noloader.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/noloader\", \"args\": [\"print\", \"x\"]}}\n");
  program(pkg, "steady", "\"sleep\"");
  const char *names[] = {"noloader", "steady", NULL};
  e2e_package_root(pkg, names, 0);
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  e2e_start(&p, args);
  char expected[4200];
  snprintf(expected, sizeof expected,
           "cannot_start: cannot execute %s/bin/noloader: No such file or "
           "directory",
           pkg);
  e2e_wait_end(&p, "/noloader", expected, 20000);
  e2e_wait_for(&p, "[/steady] ready", 20000);
  pid_t steady[1];
  ck_assert_int_eq(e2e_collect_pids(p.err, "/steady", steady, 1), 1);
  ck_assert(e2e_process_alive(steady[0]));
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 1);
  e2e_assert_all_gone_within(steady, 1, 10000);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *faults_suite(void) {
  Suite *s = suite_create("faults");
  TCase *tc = tcase_create("faults");
  tcase_set_timeout(tc, 180);
  tcase_add_test(tc, test_a_thousand_processes_go_with_their_component);
  tcase_add_test(tc, test_flooding_and_closed_output_harm_nothing);
  tcase_add_test(tc, test_a_low_descriptor_limit_fails_components_not_fern);
  tcase_add_test(tc, test_failing_runners_fail_only_their_components);
  tcase_add_test(tc, test_a_hanging_resolver_times_out);
  tcase_add_test(tc, test_a_failing_exec_fails_only_its_component);
  suite_add_tcase(s, tc);
  return s;
}
