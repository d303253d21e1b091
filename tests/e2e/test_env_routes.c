/* test_env_routes.c - runners and resolvers routed like every other
 * capability: declared by one component, exposed and offered, and
 * registered in an environment "from: #child" (the pattern of Fuchsia's
 * test_manager.cml) or "from: parent" (what the parent offers, else its
 * environment's, as before). Real trees, real plugins loaded with dlopen,
 * real programs; a broken registration stops only the components that
 * need it, and is named at its file:line:col. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "control_run.h"
#include "e2e.h"
#include "event_asserts.h"

/* extends "none", with the file resolver from the parent: relative URLs
 * of the package still resolve, and every runner is the named one. */
#define BARE_ENV(name, runners)                                               \
  "{\"name\": \"" name "\", \"extends\": \"none\", "                          \
  "\"__stop_timeout_ms\": 2000, \"runners\": [" runners "], "                 \
  "\"resolvers\": [{\"resolver\": \"file\", \"scheme\": \"file\", "           \
  "\"from\": \"parent\"}]}"

/* An environment "e" with the resolver "repo" (for scheme "repo") from
 * the child #keeper. */
#define REPO_FROM_KEEPER                                                      \
  "{\"name\": \"e\", \"extends\": \"realm\", \"resolvers\": "               \
  "[{\"resolver\": \"repo\", \"scheme\": \"repo\", \"from\": \"#keeper\"}]}"

/* fern check --tree of the package exits `status`, saying `says` (unless
 * NULL) on stderr. */
static void check_tree(const char *pkg, int status, const char *says) {
  e2e_proc p;
  const char *args[] = {"check", "--tree", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 60000, args), status);
  if (says != NULL)
    e2e_assert_has(p.err, says);
  e2e_free(&p);
}

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
  check_tree(pkg, 0, NULL);
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
  check_tree(pkg, 1, "/ registers runner \"native\" from #runners, but "
                     "/runners exposes no \"native\"");
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

/* / registers the gate resolver /keeper exposes for scheme "gate" in
 * the environment of /late (eager, gate://PKG#meta/app.cm, which prints
 * "late"); /keeper itself resolves through another gate, shut until the
 * file keeper-may-resolve is made in the package. */
static void write_gated_keeper(const char *pkg) {
  char root[8192], keeper[4608], shut[4200];
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
}

/* A resolver registered from a child: /keeper declares the gate resolver
 * and exposes it; / registers it for scheme "gate" in the environment of
 * /late. /keeper itself resolves through another gate that stays shut
 * until the test opens it, so /late's resolution must wait for /keeper's
 * (it is parked, not failed), then resolves through the routed resolver
 * and runs. */
START_TEST(test_a_resolver_registered_from_a_child_waits_for_it) {
  char pkg[4096], plugins[4200];
  e2e_package_new(pkg, sizeof pkg);
  snprintf(plugins, sizeof plugins, "%s/tests/plugins", e2e_build());
  write_gated_keeper(pkg);
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
      "{\"environments\": [" REPO_FROM_KEEPER "],\n"
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

/* The environment of Fuchsia's test_manager.cml (misttech/fuchsia,
 * src/sys/test_manager/meta/test_manager.cml, commit 96a304a0; BSD-style
 * licence, (c) 2022 The Fuchsia Authors): "test-env" extends the realm and
 * registers 18 runners and one resolver, every one "from" a child of its
 * own, with a 30 s stop timeout. The registrations are that file's, in its
 * order; its children (common.shard.cml) are here fern components that
 * each declare and expose their runner with the elf plugin, and
 * realm_builder_server a runner and the file plugin as the resolver for
 * "realm-builder". Test components in test-env run with three of them and
 * resolve through the fourth. (The file itself, JSON5 with an include,
 * is loaded verbatim once fern reads CML: see the issue on Fuchsia's
 * manifests.) */
static const char *const test_manager_runners[][2] = {
    {"elf_test_runner", "elf_test_runner"},
    {"elf_test_ambient_exec_runner", "elf_test_ambient_exec_runner"},
    {"elf_test_create_raw_processes_runner",
     "elf_test_create_raw_processes_runner"},
    {"elf_test_create_raw_processes_ambient_exec_runner",
     "elf_test_create_raw_processes_ambient_exec_runner"},
    {"fuzz_test_runner", "fuzz_test_runner"},
    {"fuzz_starnix_test_runner", "fuzz_starnix_test_runner"},
    {"gtest_runner", "gtest_runner"},
    {"gtest_create_raw_processes_runner", "gtest_create_raw_processes_runner"},
    {"gunit_runner", "gunit_runner"},
    {"zxtest_runner", "zxtest_runner"},
    {"netemul_test_runner", "netemul_test_runner"},
    {"rust_test_runner", "rust_test_runner"},
    {"rust_test_create_raw_processes_runner",
     "rust_test_create_raw_processes_runner"},
    {"rust_test_next_vdso_runner", "rust_test_next_vdso_runner"},
    {"starnix_unit_test_runner", "starnix_unit_test_runner"},
    {"go_test_runner", "go_test_runner"},
    {"stress_test_runner", "stress_test_runner"},
    {"realm_builder", "realm_builder_server"},
};
#define TEST_MANAGER_RUNNERS                                                  \
  (sizeof test_manager_runners / sizeof *test_manager_runners)

static void append(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...) {
  size_t used = strlen(buf);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + used, size - used, fmt, ap);
  va_end(ap);
  ck_assert_msg(n >= 0 && (size_t)n < size - used, "the manifest is too long");
}

/* meta/root.cm: test_manager's environment, its runner children, and the
 * test components `tests` (name, runner, URL) in test-env. */
static void write_test_manager(const char *pkg, const char *const (*tests)[3],
                               size_t test_count) {
  static char root[32768];
  root[0] = '\0';
  append(root, sizeof root, "{\"environments\": [{\"name\": \"test-env\", "
                            "\"extends\": \"realm\", \"runners\": [\n");
  for (size_t i = 0; i < TEST_MANAGER_RUNNERS; i++)
    append(root, sizeof root, "%s  {\"runner\": \"%s\", \"from\": \"#%s\"}",
           i ? ",\n" : "", test_manager_runners[i][0],
           test_manager_runners[i][1]);
  append(root, sizeof root,
         "],\n \"resolvers\": [{\"resolver\": \"realm_builder_resolver\", "
         "\"from\": \"#realm_builder_server\", \"scheme\": "
         "\"realm-builder\"}],\n \"__stop_timeout_ms\": 30000}],\n"
         " \"children\": [\n");
  for (size_t i = 0; i < TEST_MANAGER_RUNNERS; i++) {
    const char *child = test_manager_runners[i][1];
    append(root, sizeof root,
           "  {\"name\": \"%s\", \"url\": \"#meta/%s.cm\"},\n", child, child);
    char text[1024];
    snprintf(text, sizeof text,
             "{\"capabilities\": [{\"runner\": \"%s\", \"plugin\": \"elf\"}%s],"
             "\n \"expose\": [{\"runner\": \"%s\", \"from\": \"self\"}%s]}\n",
             test_manager_runners[i][0],
             strcmp(child, "realm_builder_server") == 0
                 ? ", {\"resolver\": \"realm_builder_resolver\", "
                   "\"plugin\": \"file\"}"
                 : "",
             test_manager_runners[i][0],
             strcmp(child, "realm_builder_server") == 0
                 ? ", {\"resolver\": \"realm_builder_resolver\", "
                   "\"from\": \"self\"}"
                 : "");
    char file[160];
    snprintf(file, sizeof file, "meta/%s.cm", child);
    e2e_package_write(pkg, file, text);
  }
  for (size_t t = 0; t < test_count; t++)
    append(root, sizeof root,
           "%s  {\"name\": \"%s\", \"url\": \"%s\", \"startup\": \"eager\", "
           "\"environment\": \"#test-env\"}",
           t ? ",\n" : "", tests[t][0], tests[t][2]);
  append(root, sizeof root, "]}\n");
  e2e_package_write(pkg, "meta/root.cm", root);
  for (size_t t = 0; t < test_count; t++) {
    char args[160];
    snprintf(args, sizeof args, "\"args\": [\"print\", \"ran %s\"]",
             tests[t][0]);
    e2e_package_program(pkg, tests[t][0], tests[t][1], args);
  }
}

START_TEST(test_the_environment_of_test_manager_runs_tests) {
  char pkg[4096], built_url[4200];
  e2e_package_new(pkg, sizeof pkg);
  snprintf(built_url, sizeof built_url, "realm-builder://%s#meta/built.cm",
           pkg);
  const char *const tests[][3] = {
      {"gtest", "gtest_runner", "#meta/gtest.cm"},
      {"rust", "rust_test_runner", "#meta/rust.cm"},
      {"built", "realm_builder", built_url},
  };
  write_test_manager(pkg, tests, 3);
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 60000, args), 0);
  e2e_assert_has(p.err, "[/gtest] ran gtest\n");
  e2e_assert_has(p.err, "[/rust] ran rust\n");
  e2e_assert_has(p.err, "[/built] ran built\n");
  e2e_assert_end(&p, "/gtest", "ok (exit 0)");
  e2e_assert_end(&p, "/rust", "ok (exit 0)");
  e2e_assert_end(&p, "/built", "ok (exit 0)");
  e2e_free(&p);
  /* Every one of the 19 registrations follows to its provider. */
  check_tree(pkg, 0, NULL);
  e2e_package_remove(pkg);
}
END_TEST

/* A start parked while its resolver's route waits is ended by a stop:
 * /late (whose resolver /keeper provides, and /keeper waits on a shut
 * gate) is stopped through the control socket; once the gate opens, /late
 * resolves, but it does not start. */
START_TEST(test_a_stop_ends_a_start_parked_for_a_resolver) {
  char pkg[4096], plugins[4200], socket[4200];
  e2e_package_new(pkg, sizeof pkg);
  snprintf(plugins, sizeof plugins, "%s/tests/plugins", e2e_build());
  snprintf(socket, sizeof socket, "%s/control.sock", pkg);
  write_gated_keeper(pkg);
  e2e_proc p;
  const char *args[] = {"run", "--keep-running", "--control", socket,
                        "--plugin-dir", plugins, pkg, NULL};
  e2e_start(&p, args);
  e2e_wait_for(&p, "/late: its resolution waits", 30000);
  e2e_proc ctl;
  const char *stop[] = {"stop", "--control", socket, "/late", NULL};
  ck_assert_int_eq(e2e_run(&ctl, 20000, stop), 0);
  e2e_free(&ctl);
  e2e_package_write(pkg, "keeper-may-resolve", "");
  e2e_wait_event(&p, "resolved", "/late", 30000);
  /* A start still waiting would have come in the same turn as the
   * resolution; this answer comes after it. */
  const char *show[] = {"show", "--control", socket, "--json", "/late", NULL};
  ck_assert_int_eq(e2e_run(&ctl, 20000, show), 0);
  json_t *shown = json_loads(ctl.out, 0, NULL);
  ck_assert_str_eq(json_string_value(json_object_get(shown, "state")),
                   "resolved");
  json_decref(shown);
  e2e_free(&ctl);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  ck_assert_uint_eq(e2e_event_count(&p, "started", "/late"), 0);
  e2e_assert_lacks(p.err, "[/late] late");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* The provider of a routed resolver cannot even begin to resolve (its
 * URL's scheme has no resolver): what waits on it is told at once, with
 * the registration's place, and fern ends; fern check --tree says so. */
START_TEST(test_a_provider_that_cannot_resolve_fails_its_users) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"environments\": [" REPO_FROM_KEEPER "],\n"
      " \"children\": [\n"
      "  {\"name\": \"app\", \"url\": \"repo://x#meta/app.cm\", \"startup\": "
      "\"eager\", \"environment\": \"#e\"},\n"
      "  {\"name\": \"keeper\", \"url\": \"nowhere://x#meta/keeper.cm\"}]}\n");
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, args), 1);
  e2e_assert_end(&p, "/app", "cannot_start: ");
  e2e_assert_has(p.err, "root.cm:1:");
  e2e_assert_has(p.err, "/ registers resolver \"repo\" from #keeper, which "
                        "could not be resolved");
  e2e_free(&p);
  check_tree(pkg, 1, "from #keeper, which could not be resolved");
  e2e_package_remove(pkg);
}
END_TEST

/* Routed entries travel: /keeper exposes its resolver and runner under
 * other names ("repo-impl" as "repo", "native-impl" as "native"); /
 * registers them from #keeper in "outer"; /c, itself resolved through
 * that "repo", takes them again from its parent into "inner" (extends
 * none: found by the names they were registered under, already routed)
 * and copies them into "copy" (extends realm). /c/first resolves and
 * runs through "inner", /c/second runs through "copy". */
START_TEST(test_routed_registrations_pass_on_by_their_registered_names) {
  char pkg[4096], text[8192];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(
      pkg, "meta/keeper.cm",
      "{\"capabilities\": [{\"resolver\": \"repo-impl\", \"plugin\": "
      "\"file\"}, {\"runner\": \"native-impl\", \"plugin\": \"elf\"}],\n"
      " \"expose\": [{\"resolver\": \"repo-impl\", \"from\": \"self\", "
      "\"as\": \"repo\"}, {\"runner\": \"native-impl\", \"from\": \"self\", "
      "\"as\": \"native\"}]}\n");
  snprintf(text, sizeof text,
           "{\"environments\": [{\"name\": \"outer\", \"extends\": "
           "\"realm\", \"resolvers\": [{\"resolver\": \"repo\", \"scheme\": "
           "\"repo\", \"from\": \"#keeper\"}], \"runners\": [{\"runner\": "
           "\"native\", \"from\": \"#keeper\"}]}],\n"
           " \"children\": [{\"name\": \"keeper\", \"url\": "
           "\"#meta/keeper.cm\"},\n"
           "  {\"name\": \"c\", \"url\": \"repo://%s#meta/c.cm\", "
           "\"startup\": \"eager\", \"environment\": \"#outer\"}]}\n",
           pkg);
  e2e_package_write(pkg, "meta/root.cm", text);
  snprintf(text, sizeof text,
           "{\"environments\": [{\"name\": \"inner\", \"extends\": \"none\", "
           "\"__stop_timeout_ms\": 2000, \"runners\": [{\"runner\": "
           "\"native\", \"from\": \"parent\"}], \"resolvers\": "
           "[{\"resolver\": \"repo\", \"scheme\": \"repo\", \"from\": "
           "\"parent\"}]},\n"
           "  {\"name\": \"copy\", \"extends\": \"realm\"}],\n"
           " \"children\": [{\"name\": \"first\", \"url\": "
           "\"repo://%s#meta/first.cm\", \"startup\": \"eager\", "
           "\"environment\": \"#inner\"},\n"
           "  {\"name\": \"second\", \"url\": \"#meta/second.cm\", "
           "\"startup\": \"eager\", \"environment\": \"#copy\"}]}\n",
           pkg);
  e2e_package_write(pkg, "meta/c.cm", text);
  e2e_package_program(pkg, "first", "native",
                      "\"args\": [\"print\", \"first\"]");
  e2e_package_program(pkg, "second", "native",
                      "\"args\": [\"print\", \"second\"]");
  e2e_proc p;
  const char *args[] = {"run", pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, args), 0);
  e2e_assert_has(p.err, "[/c/first] first\n");
  e2e_assert_has(p.err, "[/c/second] second\n");
  e2e_assert_end(&p, "/c/first", "ok (exit 0)");
  e2e_assert_end(&p, "/c/second", "ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A collection's environment takes its runner from a child: a dynamic
 * child created through the control socket runs with it, twice (the
 * second creation finds the route already followed). */
START_TEST(test_a_collection_runs_dynamic_children_with_a_routed_runner) {
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  write_runner_tree(pkg, "native");
  e2e_package_write(
      pkg, "meta/root.cm",
      "{\"environments\": [" BARE_ENV(
          "from-child",
          "{\"runner\": \"native\", \"from\": \"#runners\"}") "],\n"
      " \"children\": [{\"name\": \"runners\", \"url\": "
      "\"#meta/runners.cm\"}],\n"
      " \"collections\": [{\"name\": \"workers\", \"durability\": "
      "\"transient\", \"environment\": \"#from-child\"}]}\n");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_running r;
  e2e_ctl_serve(&r, root);
  e2e_ctl_create_started(&r, "/workers", "w1", "#meta/app.cm");
  e2e_wait_end(&r.fern, "/workers:w1", "ok (exit 0)", 20000);
  e2e_ctl_create_started(&r, "/workers", "w2", "#meta/app.cm");
  e2e_wait_end(&r.fern, "/workers:w2", "ok (exit 0)", 20000);
  e2e_wait_for(&r.fern, "[/workers:w2] hello\n", 20000);
  e2e_assert_has(r.fern.err, "[/workers:w1] hello\n");
  e2e_ctl_finish(&r, 0);
  e2e_ctl_cleanup(&r);
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
  tcase_add_test(tc, test_the_environment_of_test_manager_runs_tests);
  tcase_add_test(tc, test_a_stop_ends_a_start_parked_for_a_resolver);
  tcase_add_test(tc, test_a_provider_that_cannot_resolve_fails_its_users);
  tcase_add_test(tc,
                 test_routed_registrations_pass_on_by_their_registered_names);
  tcase_add_test(tc,
                 test_a_collection_runs_dynamic_children_with_a_routed_runner);
  suite_add_tcase(s, tc);
  return s;
}
