/* test_env_routes.c - runners and resolvers routed like every other
 * capability: declared by one component, exposed and offered, and
 * registered in an environment "from: #child" (the pattern of Fuchsia's
 * test_manager.cml) or "from: parent" (what the parent offers, else its
 * environment's, as before). Real trees, real plugins loaded with dlopen,
 * real programs; a broken registration stops only the components that
 * need it, and is named at its file:line:col. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

/* extends "none", with the file resolver from the parent: relative URLs
 * of the package still resolve, and every runner is the named one. */
#define BARE_ENV(name, runners)                                               \
  "{\"name\": \"" name "\", \"extends\": \"none\", "                          \
  "\"__stop_timeout_ms\": 2000, \"runners\": [" runners "], "                 \
  "\"resolvers\": [{\"resolver\": \"file\", \"scheme\": \"file\", "           \
  "\"from\": \"parent\"}]}"

/* /runners exposes, from its child /runners/inner, the elf plugin as a
 * runner named `exposed`; / registers "native" from #runners in the
 * environment of /app, which prints hello with it. /other runs with the
 * root environment's elf. */
static void write_runner_tree(const char *pkg, const char *exposed) {
  char text[2048];
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"environments\": [" BARE_ENV(
          "from-child",
          "{\"runner\": \"native\", \"from\": \"#runners\"}") "],\n"
      " \"children\": [\n"
      "  {\"name\": \"runners\", \"url\": \"#meta/runners.cm\"},\n"
      "  {\"name\": \"app\", \"url\": \"#meta/app.cm\", \"startup\": "
      "\"eager\", \"environment\": \"#from-child\"},\n"
      "  {\"name\": \"other\", \"url\": \"#meta/other.cm\", \"startup\": "
      "\"eager\"}]}\n");
  snprintf(text, sizeof text,
           "{\"children\": [{\"name\": \"inner\", \"url\": "
           "\"#meta/inner.cm\"}],\n"
           " \"expose\": [{\"runner\": \"%s\", \"from\": \"#inner\"}]}\n",
           exposed);
  e2e_package_write(pkg, "meta/runners.cm", text);
  e2e_package_write(pkg, "meta/inner.cm",
                    "{\"capabilities\": [{\"runner\": \"native-elf\", "
                    "\"plugin\": \"elf\"}],\n"
                    " \"expose\": [{\"runner\": \"native-elf\", \"from\": "
                    "\"self\", \"as\": \"native\"}, {\"runner\": "
                    "\"native-elf\", \"from\": \"self\", \"as\": "
                    "\"nativ\"}]}\n");
  e2e_package_program(pkg, "app", "native", "\"args\": [\"print\", \"hello\"]");
  e2e_package_program(pkg, "other", "elf", "\"args\": [\"print\", \"other\"]");
}

/* A runner declared two levels down, exposed up to the root and
 * registered there from #runners, runs /app's program: a real process,
 * in an environment that has no other runner. */
START_TEST(test_a_runner_registered_from_a_child_runs_the_program) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  write_runner_tree(pkg, "native");
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, args), 0);
  e2e_assert_has(p.err, "[/app] hello\n");
  e2e_assert_end(&p, "/app", "ok (exit 0)");
  e2e_assert_end(&p, "/other", "ok (exit 0)");
  e2e_free(&p);
  const char *check[] = {"check", "--tree", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, check), 0);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* The registration names a runner #runners does not expose: /app cannot
 * start, and the error names the hop, the file, line and column, and the
 * nearest name there; /other runs. fern check --tree says the same. */
START_TEST(test_a_broken_runner_registration_stops_only_its_users) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  write_runner_tree(pkg, "nativ");
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, args), 1);
  e2e_assert_end(&p, "/app", "cannot_start: ");
  e2e_assert_has(p.err, "root.cm:1:");
  e2e_assert_has(p.err, "/ registers runner \"native\" from #runners, but "
                        "/runners exposes no \"native\"; /runners exposes "
                        "\"nativ\"");
  e2e_assert_lacks(p.err, "[/app] hello");
  e2e_assert_end(&p, "/other", "ok (exit 0)");
  e2e_free(&p);
  const char *check[] = {"check", "--tree", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, check), 1);
  e2e_assert_has(p.err, "/ registers runner \"native\" from #runners, but "
                        "/runners exposes no \"native\"");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* An environment's "from: parent" takes what the parent offers, as in
 * Fuchsia: / offers #offered the runner "elf" that #runners exposes (the
 * witness plugin, which runs nothing and leaves a mark when made), so
 * /offered/app runs with it; / offers #plain nothing, so /plain/app gets
 * the parent environment's "elf" as before and prints. */
START_TEST(test_an_offered_runner_comes_before_the_parent_environment) {
  char pkg[4096], plugins[4200], mark[4200];
  e2e_package_new(pkg, sizeof pkg);
  snprintf(plugins, sizeof plugins, "%s/tests/plugins", e2e_build());
  snprintf(mark, sizeof mark, "%s/witness-made", pkg);
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"children\": [\n"
      "  {\"name\": \"runners\", \"url\": \"#meta/runners.cm\"},\n"
      "  {\"name\": \"offered\", \"url\": \"#meta/realm.cm\", \"startup\": "
      "\"eager\"},\n"
      "  {\"name\": \"plain\", \"url\": \"#meta/realm.cm\", \"startup\": "
      "\"eager\"}],\n"
      " \"offer\": [{\"runner\": \"elf\", \"from\": \"#runners\", \"to\": "
      "\"#offered\"}]}\n");
  e2e_package_write(pkg, "meta/runners.cm",
                    "{\"capabilities\": [{\"runner\": \"watched\", "
                    "\"plugin\": \"witness\", \"config\": {\"note\": "
                    "\"from #runners\"}}],\n"
                    " \"expose\": [{\"runner\": \"watched\", \"from\": "
                    "\"self\", \"as\": \"elf\"}]}\n");
  e2e_package_write(
      pkg, "meta/realm.cm",
      "{\"environments\": [" BARE_ENV(
          "inner", "{\"runner\": \"elf\", \"from\": \"parent\"}") "],\n"
      " \"children\": [{\"name\": \"app\", \"url\": \"#meta/app.cm\", "
      "\"startup\": \"eager\", \"environment\": \"#inner\"}]}\n");
  e2e_package_program(pkg, "app", "elf", "\"args\": [\"print\", \"hello\"]");
  setenv("FERN_TEST_CREATED", mark, 1);
  e2e_proc p;
  const char *args[] = {"run", "--plugin-dir", plugins, pkg, NULL};
  e2e_start(&p, args);
  unsetenv("FERN_TEST_CREATED");
  e2e_wait_end(&p, "/plain/app", "ok (exit 0)", 30000);
  e2e_wait_event(&p, "started", "/offered/app", 30000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_has(p.err, "[/plain/app] hello\n");
  e2e_assert_lacks(p.err, "[/offered/app]");
  e2e_assert_end(&p, "/offered/app", "ok");
  ck_assert_msg(access(mark, F_OK) == 0,
                "the witness runner offered to /offered was never made");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A resolver registered from a child: /keeper declares the gate resolver
 * and exposes it; / registers it for scheme "gate" in the environment of
 * /late. /keeper itself resolves through another gate that stays shut
 * until the test opens it, so /late's resolution must wait for /keeper's
 * (it is parked, not failed), then resolves through the routed resolver
 * and runs. */
START_TEST(test_a_resolver_registered_from_a_child_waits_for_it) {
  char pkg[4096], plugins[4200], root[8192], keeper[4608], shut[4200];
  e2e_package_new(pkg, sizeof pkg);
  snprintf(plugins, sizeof plugins, "%s/tests/plugins", e2e_build());
  snprintf(shut, sizeof shut, "%s/keeper-may-resolve", pkg);
  snprintf(root, sizeof root,
           "{\"capabilities\": [{\"resolver\": \"slow-gate\", \"plugin\": "
           "\"gate\", \"config\": {\"wait_for\": \"%s\", \"wait_ms\": "
           "60000}}],\n"
           " \"environments\": [\n"
           "  {\"name\": \"slow\", \"extends\": \"realm\", \"resolvers\": "
           "[{\"resolver\": \"slow-gate\", \"scheme\": \"gate\", \"from\": "
           "\"self\"}]},\n"
           "  {\"name\": \"gated\", \"extends\": \"realm\", \"resolvers\": "
           "[{\"resolver\": \"gate\", \"scheme\": \"gate\", \"from\": "
           "\"#keeper\"}]}],\n"
           " \"children\": [\n"
           "  {\"name\": \"keeper\", \"url\": \"gate://%s#meta/keeper.cm\", "
           "\"environment\": \"#slow\"},\n"
           "  {\"name\": \"late\", \"url\": \"gate://%s#meta/app.cm\", "
           "\"startup\": \"eager\", \"environment\": \"#gated\"}]}\n",
           shut, pkg, pkg);
  e2e_package_write(pkg, "meta/root.cm", root);
  /* The routed gate is open from the start: only /keeper's waits. */
  snprintf(keeper, sizeof keeper,
           "{\"capabilities\": [{\"resolver\": \"gate\", \"plugin\": "
           "\"gate\", \"config\": {\"wait_for\": \"%s/meta\"}}],\n"
           " \"expose\": [{\"resolver\": \"gate\", \"from\": \"self\"}]}\n",
           pkg);
  e2e_package_write(pkg, "meta/keeper.cm", keeper);
  e2e_package_program(pkg, "app", "elf", "\"args\": [\"print\", \"late\"]");
  e2e_proc p;
  const char *args[] = {"run", "--plugin-dir", plugins, pkg, NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "/late: its resolution waits", 30000);
  e2e_assert_lacks(p.err, "[/late] late");
  e2e_package_write(pkg, "keeper-may-resolve", "");
  e2e_wait_end(&p, "/late", "ok (exit 0)", 30000);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0); /* nothing is left to run */
  e2e_assert_has(p.err, "[/late] late\n");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A registration from a child that exposes no resolver leaves the
 * components of that environment unresolved, named at the registration;
 * the rest of the tree runs. */
START_TEST(test_a_broken_resolver_registration_is_named) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"environments\": [{\"name\": \"e\", \"extends\": \"realm\", "
      "\"resolvers\": [{\"resolver\": \"repo\", \"scheme\": \"repo\", "
      "\"from\": \"#keeper\"}]}],\n"
      " \"children\": [\n"
      "  {\"name\": \"keeper\", \"url\": \"#meta/keeper.cm\"},\n"
      "  {\"name\": \"app\", \"url\": \"repo://x#meta/app.cm\", \"startup\": "
      "\"eager\", \"environment\": \"#e\"},\n"
      "  {\"name\": \"other\", \"url\": \"#meta/other.cm\", \"startup\": "
      "\"eager\"}]}\n");
  e2e_package_write(pkg, "meta/keeper.cm", "{}\n");
  e2e_package_program(pkg, "other", "elf", "\"args\": [\"print\", \"other\"]");
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, args), 1);
  e2e_assert_end(&p, "/app", "cannot_start: ");
  e2e_assert_has(p.err, "root.cm:1:");
  e2e_assert_has(p.err, "/ registers resolver \"repo\" from #keeper, but "
                        "/keeper exposes no \"repo\"");
  e2e_assert_end(&p, "/other", "ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *env_routes_suite(void) {
  Suite *s = suite_create("env_routes");
  TCase *tc = tcase_create("env_routes");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_a_runner_registered_from_a_child_runs_the_program);
  tcase_add_test(tc, test_a_broken_runner_registration_stops_only_its_users);
  tcase_add_test(tc, test_an_offered_runner_comes_before_the_parent_environment);
  tcase_add_test(tc, test_a_resolver_registered_from_a_child_waits_for_it);
  tcase_add_test(tc, test_a_broken_resolver_registration_is_named);
  suite_add_tcase(s, tc);
  return s;
}
