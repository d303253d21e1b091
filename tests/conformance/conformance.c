/* conformance.c - the runner conformance suite: one set of end-to-end cases
 * any runner plugin must pass, ours or a user's.
 *
 *   make conformance RUNNER=path/to/runner.so [TEMPLATE=program.json]
 *                    [RUNNER_CONFIG=config.json] [FILES="dest=src;..."]
 *                    [FERN=/usr/local/bin/fern]
 *
 * Each case writes a package in a temporary directory (bin/tool, the test
 * program, rootfs/bin/tool, a static build of it for container runners,
 * and the FILES given, e.g. the script a script runner runs), registers
 * the plugin as runner "subject" in the root environment beside the ELF
 * runner, boots a tree with `fern run` (FERN: an installed fern instead of
 * the build's), and checks what fern reports, on its event stream where it
 * can. TEMPLATE is the program block the runner needs, where the string
 * "@ARGS@" stands for the test program's arguments; the default is
 * {"binary": "bin/tool", "args": "@ARGS@"}.
 *
 * A runner whose semantics leave a case out names it, with the reason, in
 * FERN_CONFORMANCE_SKIP="case=reason;case=reason" (case names without
 * "test_"); the suite prints each one it leaves out and why. What a failed
 * case leaves (its packages, its fern, the processes it started) is
 * cleaned up after the suite (ledger_sweep).
 *
 * This file is the suite's harness and its main; the cases are in
 * cases_run.c (a run's life), cases_output.c (what a program writes) and
 * cases_contract.c (what a runner owes fern: validation, a free loop, the
 * program's pid, the whole job, a stop before started). */
#include <libgen.h>
#include <stdarg.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conformance.h"

/* Where each case notes what it leaves (packages, ferns), so that the suite
 * cleans up after a case that failed half way (ledger_sweep). */
static char ledger[64];
static pid_t suite_pid;

static void ledger_note(const char *kind, const char *what) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", ledger, kind);
  FILE *f = fopen(path, "a");
  ck_assert_ptr_nonnull(f);
  fprintf(f, "%s\n", what);
  fclose(f);
}

/* Whether `word` is one of the space-separated words of `list`. */
static int word_in(const char *list, const char *word) {
  size_t len = strlen(word);
  for (const char *p = strstr(list, word); p != NULL; p = strstr(p + 1, word))
    if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
      return 1;
  return 0;
}

/* The reason FERN_CONFORMANCE_SKIP gives for leaving out `fn` (a case's
 * function, "test_NAME_fn"), or NULL. */
const char *skip_reason(const char *fn, char *buf, size_t size) {
  const char *list = getenv("FERN_CONFORMANCE_SKIP");
  char name[128];
  snprintf(name, sizeof name, "%s", fn + 5); /* after "test_" */
  name[strlen(name) - 3] = '\0';            /* before "_fn" */
  size_t len = strlen(name);
  const char *only = getenv("FERN_CONFORMANCE_ONLY");
  if (only != NULL && *only != '\0' && !word_in(only, name)) {
    snprintf(buf, size, "not among FERN_CONFORMANCE_ONLY");
    return buf;
  }
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
json_t *program_for(json_t *args) {
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

/* FERN_CONFORMANCE_FILES="dest=src;dest=src": more files of the package. */
static void copy_files(const char *pkg) {
  const char *list = getenv("FERN_CONFORMANCE_FILES");
  for (const char *p = list; p != NULL && *p != '\0';) {
    const char *end = strchr(p, ';');
    char item[PATH_MAX * 2];
    snprintf(item, sizeof item, "%.*s", (int)(end ? end - p : (long)strlen(p)),
             p);
    char *eq = strchr(item, '=');
    ck_assert_msg(eq != NULL, "FERN_CONFORMANCE_FILES: \"%s\" is not "
                  "dest=src", item);
    *eq = '\0';
    e2e_package_copy(pkg, eq + 1, item);
    char dest[PATH_MAX * 2 + 64];
    snprintf(dest, sizeof dest, "%s/%s", pkg, item);
    chmod(dest, 0755);
    p = end ? end + 1 : NULL;
  }
}

void setup_package(conf *c) {
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
  ledger_note("packages", c->pkg);
  copy_files(c->pkg);
  const char *config_path = getenv("FERN_CONFORMANCE_CONFIG");
  json_t *runner_config = config_path && *config_path
                              ? json_load_file(config_path, 0, NULL)
                              : json_object();
  /* The subject beside the ELF runner: it must leave the ELF runner's
   * processes alone, and the ELF runner its. */
  json_t *config = json_pack(
      "{s:{s:[{s:s, s:s, s:o}, {s:s}], s:i}, s:i}", "root_environment",
      "runners", "runner", "subject", "plugin", name, "config",
      runner_config, "runner", "elf", "stop_timeout_ms", 5000,
      "resolve_timeout_ms", 60000);
  snprintf(c->config, sizeof c->config, "%s/fern.json", c->pkg);
  ck_assert_int_eq(json_dump_file(config, c->config, 0), 0);
  json_decref(config);
  snprintf(c->marker, sizeof c->marker, "conformance-%d-%d", (int)suite_pid,
           (int)getpid()); /* each case is a process of its own */
}

/* Writes meta/root.cm: one child per (name, args) pair; names starting
 * with "quick-" get a 300 ms stop timeout. */
void write_tree(conf *c, json_t *children) {
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

void start_fern(conf *c, e2e_proc *p) {
  char manifest[160];
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", c->pkg);
  /* fern's own test plugins (the gate resolver) after the subject's. */
  static char test_plugins[PATH_MAX];
  snprintf(test_plugins, sizeof test_plugins, "%s/tests/plugins", e2e_build());
  const char *args[] = {"run",          "--config",     c->config,
                        "--plugin-dir", c->plugin_dir,  "--plugin-dir",
                        test_plugins,   "--control",    "",
                        manifest,       NULL};
  char control[160];
  snprintf(control, sizeof control, "%s/control.sock", c->pkg);
  args[8] = control;
  e2e_start(p, args);
  /* "PID PACKAGE": the sweep kills the pid only while it still runs this
   * case's fern (a pid may be another process's by then). */
  char fern[160];
  snprintf(fern, sizeof fern, "%d %s", (int)p->pid, c->pkg);
  ledger_note("ferns", fern);
}

/* Whether a process whose command line carries the case's marker lives. */
int marker_alive(const conf *c) {
  char cmd[256];
  snprintf(cmd, sizeof cmd,
           "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; "
           "echo; done 2>/dev/null | grep -v grep | grep -c '%s' > /dev/null",
           c->marker);
  return system(cmd) == 0;
}

/* No process whose command line carries the case's marker is left. */
void assert_nothing_left(const conf *c) {
  ck_assert_msg(!marker_alive(c), "a process with marker %s is left behind",
                c->marker);
}

void done(conf *c, e2e_proc *p) {
  e2e_free(p);
  e2e_package_remove(c->pkg);
}

/* The program's arguments: strings up to a NULL. */
json_t *strs(const char *first, ...) {
  json_t *array = json_array();
  va_list ap;
  va_start(ap, first);
  for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
    json_array_append_new(array, json_string(s));
  va_end(ap);
  return array;
}

/* A new package whose tree is the one child `name` running `program`
 * (taken), booted. */
void start_one(conf *c, e2e_proc *p, const char *name,
                      json_t *program) {
  setup_package(c);
  write_tree(c, json_pack("{s:o}", name, program));
  start_fern(c, p);
}

static Suite *conformance_suite(void) {
  Suite *s = suite_create("conformance");
  TCase *tc = tcase_create("runner");
  tcase_set_timeout(tc, 120);
  conformance_add_run_cases(tc);
  conformance_add_output_cases(tc);
  conformance_add_contract_cases(tc);
  suite_add_tcase(s, tc);
  return s;
}

/* After the suite: what failed cases left. Their ferns are killed (their
 * guardians then end what the ferns ran), every process that carries this
 * suite's marker too, and their packages removed. */
static void ledger_sweep(void) {
  /* The marker is matched as "conformanc[e]-PID-" so that neither this
   * shell nor its grep matches it. */
  char cmd[1400];
  snprintf(cmd, sizeof cmd,
           "d=%s; [ -f $d/ferns ] && while read p k; do "
           "tr '\\0' ' ' < /proc/$p/cmdline | grep -qF \"$k\" && "
           "kill -KILL $p; done < $d/ferns 2>/dev/null; "
           "for f in /proc/[0-9]*/cmdline; do p=${f#/proc/}; p=${p%%/*}; "
           "[ \"$p\" = $$ ] && continue; tr '\\0' ' ' < $f | "
           "grep -q 'conformanc[e]-%d-' && kill -KILL $p; done 2>/dev/null; "
           "[ -f $d/packages ] && while read p; do rm -rf \"$p\"; done < "
           "$d/packages; rm -rf $d",
           ledger, (int)suite_pid);
  if (system(cmd) != 0)
    fprintf(stderr, "conformance: the sweep of %s failed\n", ledger);
}

int main(void) {
  fprintf(stderr, "runner conformance: %s\n",
          getenv("FERN_CONFORMANCE_RUNNER") ? getenv("FERN_CONFORMANCE_RUNNER")
                                            : "(no runner given)");
  suite_pid = getpid();
  snprintf(ledger, sizeof ledger, "/tmp/fern-conformance-XXXXXX");
  if (mkdtemp(ledger) == NULL)
    return EXIT_FAILURE;
  SRunner *runner = srunner_create(conformance_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  ledger_sweep();
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
