/* test_validate.c - `fern check` and `fern tree` validate through the
 * plugin-level calls (validate_config, validate) and make no runner: no
 * create, no guardian, no cgroup, no "job mechanism". The witness runner
 * (tests/plugins/witness.c) leaves a file when it is made; `fern run`
 * shows that the file does appear once a runner is made. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"
#include "event_asserts.h"

typedef struct witness_tree_s {
  char pkg[4200], config[4300], plugins[4200], mark[4300];
} witness_tree;

/* A root with an eager child run by the witness runner, and a
 * configuration with three ELF-family runners and the witness. */
static void witness_tree_new(witness_tree *t, const char *child_program) {
  e2e_package_new(t->pkg, sizeof t->pkg);
  e2e_package_write(t->pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"w\", \"url\": "
                    "\"#meta/w.cm\", \"startup\": \"eager\"}]}");
  e2e_package_write(t->pkg, "meta/w.cm", child_program);
  e2e_package_write(t->pkg, "fern.json",
                    "{\"root_environment\": {\"runners\": [{\"runner\": "
                    "\"elf\"}, {\"runner\": \"sandbox\"}, {\"runner\": "
                    "\"oci\"}, {\"runner\": \"witness\"}]}}");
  snprintf(t->config, sizeof t->config, "%s/fern.json", t->pkg);
  snprintf(t->plugins, sizeof t->plugins, "%s/tests/plugins", e2e_build());
  snprintf(t->mark, sizeof t->mark, "%s/created", t->pkg);
  setenv("FERN_TEST_CREATED", t->mark, 1);
}

static void witness_tree_free(witness_tree *t) {
  unsetenv("FERN_TEST_CREATED");
  e2e_package_remove(t->pkg);
}

static int made(const witness_tree *t) { return access(t->mark, F_OK) == 0; }

START_TEST(test_tree_makes_no_runner) {
  witness_tree t;
  witness_tree_new(&t, "{\"program\": {\"runner\": \"witness\"}}");
  e2e_proc p;
  const char *args[] = {"tree", "--plugin-dir", t.plugins, "--config",
                        t.config, t.pkg, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.out, "/w ");
  ck_assert_msg(!made(&t), "fern tree made the witness runner");
  /* The ELF-family runners' create logs its job mechanism, and starts a
   * guardian: neither happened. */
  ck_assert_msg(strstr(p.err, "job mechanism") == NULL, "%s", p.err);
  e2e_free(&p);
  /* fern run makes it: the mark is a real witness. */
  const char *run[] = {"run", "--plugin-dir", t.plugins, "--config", t.config,
                       t.pkg, NULL};
  e2e_start(&p, run);
  e2e_wait_event(&p, "started", "/w", 20000);
  ck_assert_msg(made(&t), "fern run did not make the witness runner");
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 20000), 0);
  e2e_free(&p);
  witness_tree_free(&t);
}
END_TEST

/* `fern check` of meta/w.cm, whose text is `manifest`: it fails, its
 * stderr says "PATH:" and `where`, and `what` (if not NULL), and no
 * runner was made. */
static void check_fails_at(const char *manifest, const char *where,
                           const char *what) {
  witness_tree t;
  witness_tree_new(&t, manifest);
  char path[4300];
  snprintf(path, sizeof path, "%s/meta/w.cm", t.pkg);
  e2e_proc p;
  const char *args[] = {"check", "--plugin-dir", t.plugins, "--config",
                        t.config, path, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  char want[4400];
  snprintf(want, sizeof want, "%s:%s", path, where);
  e2e_assert_has(p.err, want);
  if (what != NULL)
    e2e_assert_has(p.err, what);
  ck_assert_msg(!made(&t), "fern check made the witness runner");
  e2e_free(&p);
  witness_tree_free(&t);
}

/* A bad program block: named at file:line:col by the plugin's validate,
 * with no runner made. */
START_TEST(test_check_validates_a_program_without_a_runner) {
  check_fails_at("{\n  \"program\": {\n    \"runner\": \"witness\",\n"
                 "    \"bad\": 1\n  }\n}\n",
                 "4:5: \"bad\" is refused", NULL);
}
END_TEST

/* A manifest's own runner with a bad config: the fault named where it is
 * in the manifest, through validate_config, with no runner made. */
START_TEST(test_check_validates_a_runner_config_without_a_runner) {
  check_fails_at("{\n  \"capabilities\": [\n    { \"runner\": \"w2\", "
                 "\"plugin\": \"witness\",\n      \"config\": { "
                 "\"nope\": 1 } }\n  ],\n  \"program\": { \"runner\": "
                 "\"w2\" }\n}\n",
                 "4:19: plugin ",
                 "w2 config: the witness runner takes \"note\" only");
}
END_TEST

Suite *validate_suite(void) {
  Suite *s = suite_create("validate");
  TCase *tc = tcase_create("validate");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_tree_makes_no_runner);
  tcase_add_test(tc, test_check_validates_a_program_without_a_runner);
  tcase_add_test(tc, test_check_validates_a_runner_config_without_a_runner);
  suite_add_tcase(s, tc);
  return s;
}
