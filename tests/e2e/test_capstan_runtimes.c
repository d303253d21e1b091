/* test_capstan_runtimes.c - Capstan's node, python and java runtimes, as
 * its runtime templates (runtime/node.go, python.go, java.go) turn a
 * config set into a boot command: the examples of Capstan's own
 * documentation (tests/capstan/runtimes, verbatim) composed over their
 * runtime's base package from $CAPSTAN_ROOT (the recipes' real run.yaml,
 * a stand-in program built -shared), each checked for the argv and
 * environment OSv would give; and Capstan's refusals. */
#include <stdlib.h>
#include <unistd.h>

#include "capstan_repo.h"
#include "e2e.h"

typedef struct runtimes_s {
  char repo[64]; /* the CAPSTAN_ROOT */
  char root[64]; /* the applications */
} runtimes;

/* The three base packages, as their recipes build them: node's -shared
 * libnode behind an absolute link (the node-4.4.5 recipe keeps no
 * run.yaml in the recipes: node-6.10.2's, of the same bootcmd, stands
 * in), python's -shared python at the top, java's java.so. */
static void runtimes_new(runtimes *r) {
  e2e_package_new(r->repo, sizeof r->repo);
  e2e_package_new(r->root, sizeof r->root);
  capstan_recipe_into(r->repo, "node-4.4.5", "node-6.10.2",
                      "bin/libnode-4.4.5.so", "node=/bin/libnode-4.4.5.so",
                      NULL);
  capstan_recipe_into(r->repo, "python-2.7", "python-2.7", "python", NULL,
                      "pyenv");
  capstan_recipe_into(r->repo, "openjdk8-zulu-compact1",
                      "openjdk8-zulu-compact1", "java.so", NULL, NULL);
  ck_assert_int_eq(setenv("CAPSTAN_ROOT", r->repo, 1), 0);
}

static void runtimes_free(runtimes *r) {
  unsetenv("CAPSTAN_ROOT");
  e2e_package_remove(r->repo);
  e2e_package_remove(r->root);
}

/* An application `name` whose run.yaml is `example` (a file of
 * tests/capstan/runtimes) or `text`. */
static void app(runtimes *r, const char *name, const char *example,
                const char *text) {
  char cmd[256], rel[128], from[128], yaml[128];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s/meta'", r->root, name);
  ck_assert_int_eq(system(cmd), 0);
  snprintf(rel, sizeof rel, "%s/meta/package.yaml", name);
  snprintf(yaml, sizeof yaml, "name: %s\ntitle: t\nauthor: a\n", name);
  e2e_package_write(r->root, rel, yaml);
  snprintf(rel, sizeof rel, "%s/meta/run.yaml", name);
  if (example != NULL) {
    snprintf(from, sizeof from, "tests/capstan/runtimes/%s", example);
    e2e_package_copy(r->root, from, rel);
  } else {
    e2e_package_write(r->root, rel, text);
  }
}

static void run_app(runtimes *r, e2e_proc *p, const char *name,
                    int expected_rc) {
  char dir[128];
  snprintf(dir, sizeof dir, "%s/%s", r->root, name);
  const char *args[] = {"run", dir, NULL};
  ck_assert_int_eq(e2e_run(p, 20000, args), expected_rc);
}

START_TEST(test_capstan_node_runtime_as_capstan_writes_it) {
  if (e2e_skip_root_under_valgrind())
    return;
  runtimes r;
  runtimes_new(&r);
  app(&r, "hello", "node.hello.run.yaml", NULL);
  app(&r, "shell", "node.interpreter.run.yaml", NULL);
  e2e_proc p;
  run_app(&r, &p, "hello", 0);
  /* node-4.4.5:node's /node $NODE_ARGS $MAIN $ARGS; NODE_ARGS is the
   * runtime's "--" (it wins over the base's own value). */
  e2e_assert_has(p.err, "[/] argv[0] /node\n[/] argv[1] --\n"
                        "[/] argv[2] /greeting.js\n[/] argv[3] Johnny\n");
  e2e_assert_has(p.err, "[/] env NODE_ARGS=--\n");
  e2e_free(&p);
  run_app(&r, &p, "shell", 0);
  e2e_assert_has(p.err, "[/] argv[0] /node\n[/] argv[1] --\n");
  e2e_assert_lacks(p.err, "argv[2] /");
  e2e_assert_has(p.err, "[/] env MAIN=\n");
  e2e_free(&p);
  runtimes_free(&r);
}
END_TEST

START_TEST(test_capstan_python_runtime_as_capstan_writes_it) {
  if (e2e_skip_root_under_valgrind())
    return;
  runtimes r;
  runtimes_new(&r);
  app(&r, "hello", "python.hello.run.yaml", NULL);
  app(&r, "shell", "python.interpreter.run.yaml", NULL);
  e2e_proc p;
  run_app(&r, &p, "hello", 0);
  e2e_assert_has(p.err, "[/] argv[0] /python\n[/] argv[1] -O\n"
                        "[/] argv[2] /script.py\n[/] argv[3] Johnny\n");
  e2e_assert_has(p.err, "[/] env PYTHONHOME=/pyenv\n"); /* the base's */
  e2e_free(&p);
  run_app(&r, &p, "shell", 0);
  /* shell: MAIN is "-", python's stdin. */
  e2e_assert_has(p.err, "[/] argv[0] /python\n[/] argv[1] -O\n"
                        "[/] argv[2] -\n");
  e2e_free(&p);
  runtimes_free(&r);
}
END_TEST

START_TEST(test_capstan_java_runtime_as_capstan_writes_it) {
  if (e2e_skip_root_under_valgrind())
    return;
  runtimes r;
  runtimes_new(&r);
  app(&r, "class", "java.class.run.yaml", NULL);
  app(&r, "jar", "java.jar.run.yaml", NULL);
  e2e_proc p;
  run_app(&r, &p, "class", 0);
  /* /java.so -Xms$XMS -Xmx$XMX -cp $CLASSPATH $JVM_ARGS $MAIN $ARGS: the
   * base's XMS and XMX, the runtime's CLASSPATH "/" and JVM_ARGS. */
  e2e_assert_has(p.err, "[/] argv[0] /java.so\n[/] argv[1] -Xms512m\n"
                        "[/] argv[2] -Xmx512m\n[/] argv[3] -cp\n"
                        "[/] argv[4] /\n[/] argv[5] -Dx=y\n"
                        "[/] argv[6] MyClass\n[/] argv[7] Johnny\n");
  e2e_free(&p);
  run_app(&r, &p, "jar", 0);
  /* A .jar main gets -jar (java.go). */
  e2e_assert_has(p.err, "[/] argv[5] -jar\n[/] argv[6] /MyClass.jar\n");
  e2e_free(&p);
  runtimes_free(&r);
}
END_TEST

/* The set's own env wins over the runtime's defaults (setDefaultEnv), so
 * args that would join with a space are no matter when env sets ARGS;
 * shell's MAIN is assigned outright; a YAML null is no value, as in Go. */
START_TEST(test_capstan_runtime_env_wins_as_setdefaultenv_says) {
  if (e2e_skip_root_under_valgrind())
    return;
  runtimes r;
  runtimes_new(&r);
  app(&r, "own", NULL,
      "runtime: node\nconfig_set:\n  a:\n    main: /x.js\n"
      "    args: [a, b]\n    env: {ARGS: mine, NODE_ARGS: --harmony}\n");
  app(&r, "shell", NULL,
      "runtime: python\nconfig_set:\n  a:\n    shell: yes\n"
      "    args: ~\n    env: {MAIN: \"\"}\n");
  e2e_proc p;
  run_app(&r, &p, "own", 0);
  e2e_assert_has(p.err, "[/] argv[0] /node\n[/] argv[1] --harmony\n"
                        "[/] argv[2] /x.js\n[/] argv[3] mine\n");
  e2e_free(&p);
  run_app(&r, &p, "shell", 0);
  e2e_assert_has(p.err, "[/] argv[1] -O\n[/] argv[2] -\n");
  e2e_free(&p);
  runtimes_free(&r);
}
END_TEST

START_TEST(test_capstan_runtime_refusals_in_capstans_words) {
  runtimes r;
  runtimes_new(&r);
  app(&r, "nomain", NULL, "runtime: node\nconfig_set:\n  a: {args: [x]}\n");
  app(&r, "both", NULL,
      "runtime: python\nconfig_set:\n  a: {shell: true, main: /x.py}\n");
  app(&r, "custom", NULL,
      "runtime: node\nconfig_set:\n  a: {base: \"x:y\", main: /x.js}\n");
  app(&r, "spaced", NULL,
      "runtime: node\nconfig_set:\n  a: {main: /x.js, args: [a, b]}\n");
  app(&r, "badbase", NULL,
      "runtime: java\nconfig_set:\n  a: {base: openjdk8}\n");
  struct {
    const char *app, *said;
  } cases[] = {
      {"nomain", "/nomain/meta/run.yaml:3:6: 'main' must be provided"},
      {"both", "incompatible arguments specified [main,args] for "
               "shell=true"},
      {"custom", "incompatible arguments specified [shell,node_args,main,"
                 "args] for custom 'base'"},
      {"spaced", "ARGS would be \"a b\": Capstan writes it into the boot "
                 "command as --env=ARGS?=a b, and OSv would split"},
      {"badbase", "'base' must be in format <pkg_name>:<config_set>"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    e2e_proc p;
    run_app(&r, &p, cases[i].app, 1);
    e2e_assert_has(p.err, cases[i].said);
    e2e_free(&p);
  }
  runtimes_free(&r);
}
END_TEST

Suite *capstan_runtimes_suite(void) {
  Suite *s = suite_create("capstan_runtimes");
  TCase *tc = tcase_create("runtimes");
  tcase_set_timeout(tc, 90);
  tcase_add_test(tc, test_capstan_node_runtime_as_capstan_writes_it);
  tcase_add_test(tc, test_capstan_python_runtime_as_capstan_writes_it);
  tcase_add_test(tc, test_capstan_java_runtime_as_capstan_writes_it);
  tcase_add_test(tc, test_capstan_runtime_env_wins_as_setdefaultenv_says);
  tcase_add_test(tc, test_capstan_runtime_refusals_in_capstans_words);
  suite_add_tcase(s, tc);
  return s;
}
