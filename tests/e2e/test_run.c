/* test_run.c - `fern run` boots real trees of real programs. */
#include <string.h>

#include "e2e.h"
#include "event_asserts.h"

#define PROGS "tests/packages/progs/meta/"

START_TEST(test_hello_example_runs_to_completion) {
  e2e_proc p;
  const char *args[] = {"run", "examples/hello/meta/root.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.err, "[/greeter] Hello from fern!");
  e2e_assert_has(p.err, "[/greeter] I am /greeter");
  e2e_assert_has(p.err, "[/realm/counter] count 3 of 3");
  e2e_assert_end(&p, "/realm/counter", "ok (exit 0)");
  e2e_assert_end(&p, "/greeter", "ok (exit 0)");
  e2e_free(&p);
}
END_TEST

START_TEST(test_package_directory_runs_its_root_manifest) {
  e2e_proc p;
  const char *args[] = {"run", "examples/hello", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.err, "[/greeter] Hello from fern!");
  e2e_free(&p);
}
END_TEST

/* Each broken child is reported with its reason; the good sibling runs. */
START_TEST(test_children_that_cannot_start_leave_siblings_running) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "mixed.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_has(p.err, "[/ok] alive");
  e2e_assert_end(&p, "/ok", "ok (exit 0)");
  e2e_assert_end(&p, "/missing", "cannot_start: binary \"bin/tol\" not "
                        "found in package");
  e2e_assert_has(p.err, "(did you mean \"bin/tool\"?)");
  e2e_assert_end(&p, "/notelf", "cannot_start: binary "
                        "\"meta/not-elf.cm\"");
  e2e_assert_has(p.err, "is not an ELF file");
  e2e_assert_end(&p, "/library", "cannot_start");
  e2e_assert_has(p.err, "it is a shared library");
  e2e_assert_end(&p, "/norunner", "cannot_start: ");
  e2e_assert_has(p.err, "no-runner.cm:1:16: runner \"nope\" is not "
                        "registered in environment root (it has: elf)");
  e2e_assert_has(p.err, "bad-program.cm:4:5: the elf runner does not know "
                        "program key \"binray\"");
  e2e_assert_end(&p, "/escape", "cannot_start");
  e2e_assert_has(p.err, "leads outside the package");
  e2e_assert_end(&p, "/dotdot", "cannot_start");
  e2e_assert_has(p.err, "nothing may reach outside its package");
  e2e_assert_end(&p, "/nomanifest", "cannot_start: manifest "
                        "\"meta/none.cm\" not found");
  e2e_assert_has(p.err, "/lazybroken: warning: cannot be resolved");
  e2e_assert_lacks(p.err, "/lazybroken: error");
  e2e_assert_end(&p, "/linkout", "cannot_start: \"meta/link-out.cm\" "
                        "in package");
  e2e_assert_has(p.err, "9 component runs did not end ok");
  e2e_free(&p);
}
END_TEST

START_TEST(test_exit_code_and_signal_are_reported) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "codes.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_end(&p, "/three", "instance_died (exit 3)");
  e2e_assert_end(&p, "/abort", "instance_died (signal ABRT");
  e2e_assert_end(&p, "/zero", "ok (exit 0)");
  e2e_assert_has(p.err, "2 component runs did not end ok");
  e2e_free(&p);
}
END_TEST

START_TEST(test_output_is_forwarded_line_by_line) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "output.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.err, "[/out] printed\n");
  e2e_assert_has(p.err, "[/err:2] oops\n");
  e2e_assert_lacks(p.err, "hidden");
  e2e_free(&p);
}
END_TEST

/* The program sees program.environ plus fern's variables, nothing else. */
START_TEST(test_environment_is_environ_plus_fern_variables) {
  e2e_proc p;
  const char *args[] = {"run", PROGS "output.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.err, "[/env] COLOR=green\n");
  e2e_assert_has(p.err, "[/env] FERN_MONIKER=/env\n");
  e2e_assert_has(p.err, "[/env] FERN_PACKAGE_DIR=/");
  e2e_assert_lacks(p.err, "[/env] PATH=");
  e2e_assert_lacks(p.err, "[/env] HOME=");
  e2e_free(&p);
}
END_TEST

START_TEST(test_broken_root_manifest_names_its_position) {
  e2e_proc p;
  const char *args[] = {"run", "tests/bad/syntax.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_end(&p, "/", "cannot_start: ");
  e2e_assert_has(p.err, "tests/bad/syntax.cm:3:");
  e2e_free(&p);
}
END_TEST

START_TEST(test_missing_path_is_a_clear_error) {
  e2e_proc p;
  const char *args[] = {"run", "tests/no/such/manifest.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_has(p.err, "tests/no/such/manifest.cm: No such file or directory");
  e2e_free(&p);
}
END_TEST

/* A refused plugin harms only what uses it. */
START_TEST(test_refused_plugin_fails_only_its_user) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/tests/plugins", e2e_build());
  e2e_proc p;
  const char *args[] = {"run", "--plugin-dir", dir, PROGS "badplugin.cm", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_end(&p, "/victim", "cannot_start: plugin ");
  e2e_assert_has(p.err, "bad_major.so refused: fern_runner_v2 has ABI 3.0, "
                        "this fern speaks 2.x");
  e2e_assert_has(p.err, "[/ok] alive");
  e2e_assert_end(&p, "/ok", "ok (exit 0)");
  e2e_assert_lacks(p.err, "constructor ran");
  e2e_free(&p);
}
END_TEST

Suite *run_suite(void) {
  Suite *s = suite_create("run");
  TCase *tc = tcase_create("run");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_hello_example_runs_to_completion);
  tcase_add_test(tc, test_package_directory_runs_its_root_manifest);
  tcase_add_test(tc, test_children_that_cannot_start_leave_siblings_running);
  tcase_add_test(tc, test_exit_code_and_signal_are_reported);
  tcase_add_test(tc, test_output_is_forwarded_line_by_line);
  tcase_add_test(tc, test_environment_is_environ_plus_fern_variables);
  tcase_add_test(tc, test_broken_root_manifest_names_its_position);
  tcase_add_test(tc, test_missing_path_is_a_clear_error);
  tcase_add_test(tc, test_refused_plugin_fails_only_its_user);
  suite_add_tcase(s, tc);
  return s;
}
