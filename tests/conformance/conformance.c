/* conformance.c - the runner conformance suite: one set of end-to-end cases
 * any runner plugin must pass, ours or a user's.
 *
 *   make conformance RUNNER=path/to/runner.so [TEMPLATE=program.json]
 *                    [RUNNER_CONFIG=config.json]
 *
 * Each case writes a package in a temporary directory (bin/tool, the test
 * program, and rootfs/bin/tool, a static build of it for container
 * runners), registers the plugin as runner "subject" in the root
 * environment, boots a tree with `fern run`, and checks what fern reports.
 * TEMPLATE is the program block the runner needs, where the string "@ARGS@"
 * stands for the test program's arguments; the default is
 * {"binary": "bin/tool", "args": "@ARGS@"}.
 *
 * A runner whose semantics leave a case out names it, with the reason, in
 * FERN_CONFORMANCE_SKIP="case=reason;case=reason" (case names without
 * "test_"); the suite prints each one it leaves out and why. */
#include <libgen.h>
#include <stdarg.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../e2e/e2e.h"

/* The reason FERN_CONFORMANCE_SKIP gives for leaving out `fn` (a case's
 * function, "test_NAME_fn"), or NULL. */
static const char *skip_reason(const char *fn, char *buf, size_t size) {
  const char *list = getenv("FERN_CONFORMANCE_SKIP");
  char name[128];
  snprintf(name, sizeof name, "%s", fn + 5); /* after "test_" */
  name[strlen(name) - 3] = '\0';            /* before "_fn" */
  size_t len = strlen(name);
  for (const char *p = list; p != NULL && *p != '\0';) {
    const char *end = strchr(p, ';');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n > len && strncmp(p, name, len) == 0 && p[len] == '=') {
      snprintf(buf, size, "%.*s", (int)(n - len - 1), p + len + 1);
      return buf;
    }
    p = end ? end + 1 : NULL;
  }
  return NULL;
}

#define SKIP_IF_LEFT_OUT()                                                     \
  do {                                                                         \
    char why_[512];                                                            \
    if (skip_reason(__func__, why_, sizeof why_) != NULL) {                    \
      fprintf(stderr, "conformance: %.*s does not apply: %s\n",              \
              (int)strlen(__func__) - 8, __func__ + 5, why_);                  \
      return;                                                                  \
    }                                                                          \
  } while (0)

typedef struct conf_s {
  char pkg[64];
  char config[128];
  char plugin_dir[PATH_MAX];
  char marker[64];
} conf;

static json_t *template_program(void) {
  const char *path = getenv("FERN_CONFORMANCE_TEMPLATE");
  json_t *t = path && *path ? json_load_file(path, 0, NULL)
                            : json_loads("{\"binary\": \"bin/tool\", "
                                         "\"args\": \"@ARGS@\"}",
                                         0, NULL);
  ck_assert_msg(t != NULL, "cannot read the template %s", path);
  return t;
}

/* The template with "@ARGS@" replaced by `args`. */
static json_t *program_for(json_t *args) {
  json_t *program = template_program();
  const char *key;
  json_t *value;
  json_object_foreach(program, key, value) {
    if (json_is_string(value) && strcmp(json_string_value(value), "@ARGS@") == 0)
      json_object_set(program, key, args);
  }
  json_object_set_new(program, "runner", json_string("subject"));
  json_decref(args);
  return program;
}

static void setup_package(conf *c) {
  const char *runner = getenv("FERN_CONFORMANCE_RUNNER");
  ck_assert_msg(runner != NULL && *runner,
                "set FERN_CONFORMANCE_RUNNER to the runner plugin's path");
  char copy[PATH_MAX], real[PATH_MAX];
  ck_assert_msg(realpath(runner, real) != NULL, "no plugin at %s", runner);
  snprintf(copy, sizeof copy, "%s", real);
  snprintf(c->plugin_dir, sizeof c->plugin_dir, "%s", dirname(copy));
  snprintf(copy, sizeof copy, "%s", real);
  char *name = basename(copy);
  name[strlen(name) - 3] = '\0'; /* ".so" */
  e2e_package_new(c->pkg, sizeof c->pkg);
  char dir[128];
  snprintf(dir, sizeof dir, "%s/rootfs", c->pkg);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  /* A container's root: the static program and its mount points. */
  static const char *const rootfs_dirs[] = {"bin", "proc", "dev", "tmp"};
  for (size_t i = 0; i < 4; i++) {
    snprintf(dir, sizeof dir, "%s/rootfs/%s", c->pkg, rootfs_dirs[i]);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
  }
  e2e_package_copy(c->pkg, "tests/packages/progs/bin/tool-static",
                   "rootfs/bin/tool");
  const char *config_path = getenv("FERN_CONFORMANCE_CONFIG");
  json_t *runner_config = config_path && *config_path
                              ? json_load_file(config_path, 0, NULL)
                              : json_object();
  json_t *config = json_pack(
      "{s:{s:[{s:s, s:s, s:o}], s:i}}", "root_environment", "runners",
      "runner", "subject", "plugin", name, "config", runner_config,
      "stop_timeout_ms", 5000);
  snprintf(c->config, sizeof c->config, "%s/fern.json", c->pkg);
  ck_assert_int_eq(json_dump_file(config, c->config, 0), 0);
  json_decref(config);
  snprintf(c->marker, sizeof c->marker, "conformance-%d-%ld", (int)getpid(),
           (long)random());
}

/* Writes meta/root.cm: one child per (name, args) pair; names starting
 * with "quick-" get a 300 ms stop timeout. */
static void write_tree(conf *c, json_t *children) {
  json_t *root = json_pack(
      "{s:[{s:s, s:s, s:i}], s:[]}", "environments", "name", "quick",
      "extends", "realm", "__stop_timeout_ms", 300, "children");
  json_t *list = json_object_get(root, "children");
  const char *name;
  json_t *program;
  json_object_foreach(children, name, program) {
    char file[160], url[160];
    snprintf(file, sizeof file, "%s/meta/%s.cm", c->pkg, name);
    json_t *manifest = json_pack("{s:O}", "program", program);
    ck_assert_int_eq(json_dump_file(manifest, file, 0), 0);
    json_decref(manifest);
    snprintf(url, sizeof url, "#meta/%s.cm", name);
    json_t *child = json_pack("{s:s, s:s, s:s}", "name", name, "url", url,
                              "startup", "eager");
    if (strncmp(name, "quick-", 6) == 0)
      json_object_set_new(child, "environment", json_string("#quick"));
    json_array_append_new(list, child);
  }
  char path[160];
  snprintf(path, sizeof path, "%s/meta/root.cm", c->pkg);
  ck_assert_int_eq(json_dump_file(root, path, 0), 0);
  json_decref(root);
  json_decref(children);
}

static void start_fern(conf *c, e2e_proc *p) {
  char manifest[160];
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", c->pkg);
  const char *args[] = {"run",          "--config", c->config, "--plugin-dir",
                        c->plugin_dir,  "--control", "",       manifest,
                        NULL};
  char control[160];
  snprintf(control, sizeof control, "%s/control.sock", c->pkg);
  args[6] = control;
  e2e_start(p, args);
}

/* No process whose command line carries the case's marker is left. */
static void assert_nothing_left(const conf *c) {
  e2e_proc ps;
  (void)ps;
  char cmd[256];
  snprintf(cmd, sizeof cmd,
           "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f 2>/dev/null; "
           "echo; done | grep -v grep | grep -c '%s' > /dev/null",
           c->marker);
  ck_assert_msg(system(cmd) != 0, "a process with marker %s is left behind",
                c->marker);
}

static void done(conf *c, e2e_proc *p) {
  e2e_free(p);
  e2e_package_remove(c->pkg);
}

/* The program's arguments: strings up to a NULL. */
static json_t *strs(const char *first, ...) {
  json_t *array = json_array();
  va_list ap;
  va_start(ap, first);
  for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
    json_array_append_new(array, json_string(s));
  va_end(ap);
  return array;
}

START_TEST(test_start_and_clean_exit) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o}", "hello", program_for(strs("print",
                                                               "hello", NULL))));
  start_fern(&c, &p);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_has(p.err, "[/hello] hello\n");
  e2e_assert_has(p.err, "/hello: stopped: ok");
  done(&c, &p);
}
END_TEST

START_TEST(test_exit_code_is_reported) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o}", "three",
                           program_for(strs("exit", "3", NULL))));
  start_fern(&c, &p);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/three: error: stopped: instance_died (exit 3)");
  done(&c, &p);
}
END_TEST

START_TEST(test_death_by_signal_is_reported) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o}", "abort",
                           program_for(strs("signal", "6", NULL))));
  start_fern(&c, &p);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/abort: error: stopped: instance_died (signal ABRT");
  done(&c, &p);
}
END_TEST

START_TEST(test_graceful_stop_within_the_timeout) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o}", "server", program_for(strs("sleep", NULL))));
  start_fern(&c, &p);
  e2e_wait_for(&p, "[/server] ready", 30000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_has(p.err, "/server: stopped: ok");
  done(&c, &p);
}
END_TEST

START_TEST(test_kill_after_the_timeout) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o}", "quick-stubborn",
                           program_for(strs("ignore-term", NULL))));
  start_fern(&c, &p);
  e2e_wait_for(&p, "[/quick-stubborn] ready", 30000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/quick-stubborn: warning: did not stop within 300 ms");
  e2e_assert_has(p.err, "/quick-stubborn: error: stopped: killed_after_timeout");
  done(&c, &p);
}
END_TEST

START_TEST(test_no_process_left_behind) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o, s:o}", "holder",
                           program_for(strs("orphans-wait", "4",
                                            c.marker, NULL)),
                           "leaver",
                           program_for(strs("orphans", "4",
                                            c.marker, NULL))));
  start_fern(&c, &p);
  e2e_wait_for(&p, "[/holder] ready", 30000);
  e2e_wait_for(&p, "/leaver: stopped", 30000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  assert_nothing_left(&c);
  done(&c, &p);
}
END_TEST

START_TEST(test_stdout_and_stderr_are_captured) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o, s:o}", "out",
                           program_for(strs("print", "line one",
                                            "line two", NULL)),
                           "err",
                           program_for(strs("stderr", "on stderr", NULL))));
  start_fern(&c, &p);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_order(p.err, "[/out] line one\n", "[/out] line two\n");
  e2e_assert_has(p.err, "[/err:2] on stderr\n");
  done(&c, &p);
}
END_TEST

START_TEST(test_bad_program_keys_cannot_start) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  json_t *program = program_for(strs("print", "never", NULL));
  json_object_set_new(program, "bogus_key", json_integer(1));
  write_tree(&c, json_pack("{s:o}", "bad", program));
  start_fern(&c, &p);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_has(p.err, "/bad: error: cannot_start: ");
  e2e_assert_has(p.err, "bogus_key");
  e2e_assert_lacks(p.err, "[/bad] never");
  done(&c, &p);
}
END_TEST

START_TEST(test_a_hundred_in_parallel) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  json_t *children = json_object();
  for (int i = 0; i < 100; i++) {
    char name[16], text[16];
    snprintf(name, sizeof name, "n%d", i);
    snprintf(text, sizeof text, "hello %d", i);
    json_object_set_new(children, name, program_for(strs("print", text, NULL)));
  }
  write_tree(&c, children);
  start_fern(&c, &p);
  ck_assert_int_eq(e2e_finish(&p, 60000), 0);
  ck_assert_int_eq(e2e_count(p.err, ": stopped: ok"), 100);
  for (int i = 0; i < 100; i++) {
    char line[48];
    snprintf(line, sizeof line, "[/n%d] hello %d\n", i, i);
    e2e_assert_has(p.err, line);
  }
  done(&c, &p);
}
END_TEST

START_TEST(test_stop_while_starting) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  json_t *children = json_object();
  for (int i = 0; i < 40; i++) {
    char name[16];
    snprintf(name, sizeof name, "s%d", i);
    json_object_set_new(children, name,
                        program_for(strs("orphans-wait", "1",
                                         c.marker, NULL)));
  }
  write_tree(&c, children);
  start_fern(&c, &p);
  e2e_wait_for(&p, ": started", 30000); /* the others are still starting */
  kill(p.pid, SIGTERM);
  int status = e2e_finish(&p, 60000);
  size_t len = strlen(p.err);
  ck_assert_msg(status == 0, "exit %d:\n%s", status,
                p.err + (len > 4000 ? len - 4000 : 0));
  e2e_assert_lacks(p.err, "cannot_start");
  /* Every run ends once and ends ok, started or not; none is lost. */
  ck_assert_int_eq(e2e_count(p.err, ": stopped: ok"),
                   e2e_count(p.err, ": stopped: "));
  ck_assert_int_ge(e2e_count(p.err, ": stopped: ok"),
                   e2e_count(p.err, ": started"));
  assert_nothing_left(&c);
  done(&c, &p);
}
END_TEST

static Suite *conformance_suite(void) {
  Suite *s = suite_create("conformance");
  TCase *tc = tcase_create("runner");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_start_and_clean_exit);
  tcase_add_test(tc, test_exit_code_is_reported);
  tcase_add_test(tc, test_death_by_signal_is_reported);
  tcase_add_test(tc, test_graceful_stop_within_the_timeout);
  tcase_add_test(tc, test_kill_after_the_timeout);
  tcase_add_test(tc, test_no_process_left_behind);
  tcase_add_test(tc, test_stdout_and_stderr_are_captured);
  tcase_add_test(tc, test_bad_program_keys_cannot_start);
  tcase_add_test(tc, test_a_hundred_in_parallel);
  tcase_add_test(tc, test_stop_while_starting);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  fprintf(stderr, "runner conformance: %s\n",
          getenv("FERN_CONFORMANCE_RUNNER") ? getenv("FERN_CONFORMANCE_RUNNER")
                                            : "(no runner given)");
  SRunner *runner = srunner_create(conformance_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
