/* test_cli.c - check, tree, plugins, --help and --version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"

#define PROGS "tests/packages/progs/meta/"

START_TEST(test_check_accepts_valid_manifests) {
  e2e_proc p;
  const char *args[] = {"check", "examples/hello/meta/root.cm",
                        "examples/hello/meta/greeter.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 0);
  e2e_assert_has(p.out, "examples/hello/meta/greeter.cm: ok (runner \"elf\")");
  e2e_free(&p);
}
END_TEST

START_TEST(test_check_names_file_line_and_column) {
  e2e_proc p;
  const char *args[] = {"check", PROGS "bad-program.cm", PROGS "print.cm",
                        "tests/bad/env-none.cm", "tests/bad/no-runner.cm",
                        "tests/bad/child-url.cm",
                        "tests/bad/offer-from-nobody.cm",
                        "tests/bad/offer-cycle.cm", PROGS "echo-realm.cm",
                        PROGS "echo-server.cm", PROGS "echo-client.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 1);
  e2e_assert_has(p.err, PROGS "bad-program.cm:4:5: the elf runner does not "
                        "know program key \"binray\"");
  e2e_assert_has(p.out, PROGS "print.cm: ok");
  e2e_assert_has(p.err, "tests/bad/env-none.cm:3:5: environment \"bare\" "
                        "extends \"none\" and so needs \"__stop_timeout_ms\"");
  e2e_assert_has(p.err, "tests/bad/no-runner.cm:2:3: the component has a "
                        "program but names no runner");
  e2e_assert_has(p.err, "tests/bad/child-url.cm:3:21: URL \"#../up.cm\"");
  /* Protocol routes (CML's capabilities, use, offer and expose). */
  e2e_assert_has(p.err, "tests/bad/offer-from-nobody.cm:7:27: \"#sever\": "
                        "this manifest has no child named \"sever\"");
  e2e_assert_has(p.err, "tests/bad/offer-cycle.cm:8:5: strong dependency "
                        "cycle: #logger -> #store -> #logger");
  e2e_assert_has(p.out, PROGS "echo-realm.cm: ok");
  e2e_assert_has(p.out, PROGS "echo-server.cm: ok");
  e2e_assert_has(p.out, PROGS "echo-client.cm: ok");
  e2e_free(&p);
}
END_TEST

START_TEST(test_check_json_reports_each_file) {
  e2e_proc p;
  const char *args[] = {"check", "--json", PROGS "print.cm",
                        "tests/bad/no-runner.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 1);
  json_t *results = json_loads(p.out, 0, NULL);
  ck_assert_ptr_nonnull(results);
  ck_assert_uint_eq(json_array_size(results), 2);
  ck_assert(json_is_true(json_object_get(json_array_get(results, 0), "ok")));
  ck_assert(json_is_false(json_object_get(json_array_get(results, 1), "ok")));
  json_decref(results);
  e2e_free(&p);
}
END_TEST

START_TEST(test_tree_prints_the_static_tree) {
  e2e_proc p;
  const char *args[] = {"tree", "examples/hello", NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 0);
  e2e_assert_has(p.out, "MONIKER");
  e2e_assert_has(p.out, "/greeter ");
  e2e_assert_has(p.out, "/realm/counter ");
  e2e_assert_has(p.out, "native    #quick of /realm");
  e2e_assert_has(p.out, "#meta/counter.cm");
  e2e_assert_lacks(p.err, "started");
  e2e_free(&p);
}
END_TEST

START_TEST(test_tree_json_has_every_component) {
  e2e_proc p;
  const char *args[] = {"tree", "--json", "examples/hello", NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 0);
  json_t *rows = json_loads(p.out, 0, NULL);
  ck_assert_uint_eq(json_array_size(rows), 4);
  json_t *counter = json_array_get(rows, 3);
  ck_assert_str_eq(json_string_value(json_object_get(counter, "moniker")),
                   "/realm/counter");
  ck_assert_str_eq(json_string_value(json_object_get(counter, "runner")),
                   "native");
  ck_assert_str_eq(json_string_value(json_object_get(counter, "startup")),
                   "eager");
  json_decref(rows);
  e2e_free(&p);
}
END_TEST

static void plugin_dir(char *buf, size_t size) {
  snprintf(buf, size, "%s/tests/plugins", e2e_build());
}

START_TEST(test_plugins_lists_and_explains_refusals) {
  char dir[4096];
  plugin_dir(dir, sizeof dir);
  e2e_proc p;
  const char *args[] = {"plugins", "--plugin-dir", dir, NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 0);
  e2e_assert_has(p.out, "elf          runner           2.3");
  e2e_assert_has(p.out, "file         resolver         2.0");
  e2e_assert_has(p.out, "boot         resolver         2.0");
  e2e_assert_has(p.out, "good         runner           2.3");
  e2e_assert_has(p.err, "bad_major.so refused: fern_runner_v2 has ABI 3.0");
  e2e_assert_has(p.err, "bad_small.so refused:");
  e2e_assert_has(p.err, "no_symbol.so refused: missing symbol");
  e2e_assert_lacks(p.err, "constructor ran");
  e2e_free(&p);
}
END_TEST

/* A plugin runs inside fern: a file, or a directory holding it, that
 * another user could change is refused before any of it is read. */
START_TEST(test_plugins_others_could_change_are_refused) {
  char pkg[4096], dir[4200], file[4300], from[4200];
  e2e_package_new(pkg, sizeof pkg);
  snprintf(dir, sizeof dir, "%s/plugins", pkg);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  snprintf(file, sizeof file, "%s/good.so", dir);
  snprintf(from, sizeof from, "%s/tests/plugins/good.so", e2e_build());
  e2e_package_copy(dir, from, "good.so");
  struct {
    mode_t dir_mode, file_mode;
    uid_t owner;
    const char *said;
  } cases[] = {
      {0757, 0755, 0, "its directory %s is writable by other users (mode 0757)"},
      {0755, 0666, 0, "the file %s/good.so is writable by other users (mode 0666)"},
      {0755, 0755, 65534, "the file %s/good.so belongs to uid 65534"},
      {0755, 0755, 0, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ck_assert_int_eq(chmod(dir, cases[i].dir_mode), 0);
    ck_assert_int_eq(chmod(file, cases[i].file_mode), 0);
    ck_assert_int_eq(chown(file, cases[i].owner, 0), 0);
    e2e_proc p;
    const char *args[] = {"plugins", "--plugin-dir", dir, NULL};
    ck_assert_int_eq(e2e_run(&p, 10000, args), 0);
    if (cases[i].said == NULL) {
      e2e_assert_has(p.out, "good         runner           2.3");
    } else {
      char said[8400];
      snprintf(said, sizeof said, cases[i].said, dir);
      e2e_assert_has(p.err, "good.so refused: ");
      e2e_assert_has(p.err, said);
      e2e_assert_has(p.out, "good         refused");
    }
    e2e_free(&p);
  }
  e2e_package_remove(pkg);
}
END_TEST

START_TEST(test_plugin_path_variable_is_searched) {
  char dir[4096];
  plugin_dir(dir, sizeof dir);
  setenv("FERN_PLUGIN_PATH", dir, 1);
  e2e_proc p;
  const char *args[] = {"plugins", "--json", NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 0);
  unsetenv("FERN_PLUGIN_PATH");
  e2e_assert_has(p.out, "\"name\": \"good\"");
  e2e_free(&p);
}
END_TEST

START_TEST(test_every_command_has_help_and_version) {
  const char *commands[] = {"run",   "check",   "tree",
                            "graph", "plugins", "route"};
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
    e2e_proc p;
    const char *help[] = {commands[i], "--help", NULL};
    ck_assert_int_eq(e2e_run(&p, 10000, help), 0);
    e2e_assert_has(p.out, "usage: fern ");
    e2e_assert_has(p.out, commands[i]);
    e2e_free(&p);
    const char *version[] = {commands[i], "--version", NULL};
    ck_assert_int_eq(e2e_run(&p, 10000, version), 0);
    e2e_assert_has(p.out, "fern 0.2.0");
    e2e_free(&p);
  }
}
END_TEST

START_TEST(test_unknown_command_is_a_usage_error) {
  e2e_proc p;
  const char *args[] = {"frobnicate", NULL};
  ck_assert_int_eq(e2e_run(&p, 10000, args), 2);
  e2e_assert_has(p.err, "unknown command \"frobnicate\"");
  e2e_free(&p);
}
END_TEST

Suite *cli_suite(void) {
  Suite *s = suite_create("cli");
  TCase *tc = tcase_create("cli");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_check_accepts_valid_manifests);
  tcase_add_test(tc, test_check_names_file_line_and_column);
  tcase_add_test(tc, test_check_json_reports_each_file);
  tcase_add_test(tc, test_tree_prints_the_static_tree);
  tcase_add_test(tc, test_tree_json_has_every_component);
  tcase_add_test(tc, test_plugins_lists_and_explains_refusals);
  tcase_add_test(tc, test_plugin_path_variable_is_searched);
  tcase_add_test(tc, test_plugins_others_could_change_are_refused);
  tcase_add_test(tc, test_every_command_has_help_and_version);
  tcase_add_test(tc, test_unknown_command_is_a_usage_error);
  suite_add_tcase(s, tc);
  return s;
}
