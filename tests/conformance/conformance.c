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
 * cleaned up after the suite (ledger_sweep). */
#include <libgen.h>
#include <stdarg.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../e2e/e2e.h"
#include "../e2e/event_asserts.h"

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
static int marker_alive(const conf *c) {
  char cmd[256];
  snprintf(cmd, sizeof cmd,
           "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; "
           "echo; done 2>/dev/null | grep -v grep | grep -c '%s' > /dev/null",
           c->marker);
  return system(cmd) == 0;
}

/* No process whose command line carries the case's marker is left. */
static void assert_nothing_left(const conf *c) {
  ck_assert_msg(!marker_alive(c), "a process with marker %s is left behind",
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

/* Whether this suite (and so the fern it tests) is built with ASan. */
static int built_with_asan(void) {
#if defined(__SANITIZE_ADDRESS__)
  return 1;
#else
  return 0;
#endif
}

/* fern's peak resident memory (VmHWM), in KiB; -1 if unknown. */
static long process_hwm_kb(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  long kb = -1;
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, "VmHWM:", 6) == 0)
      kb = atol(line + 6);
  if (f != NULL)
    fclose(f);
  return kb;
}

/* fern's own peak with one quiet component: what the flood's bound adds
 * to. */
static long quiet_fern_hwm_kb(void) {
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o}", "quiet", program_for(strs("sleep", NULL))));
  start_fern(&c, &p);
  e2e_wait_for(&p, "[/quiet] ready", 30000);
  long kb = process_hwm_kb(p.pid);
  kill(p.pid, SIGTERM);
  e2e_finish(&p, 30000);
  done(&c, &p);
  return kb;
}

/* The pid of `moniker`'s "started" event, or 0. */
static long started_pid(e2e_proc *p, const char *moniker) {
  e2e_wait_event(p, "started", moniker, 30000);
  json_t *events = e2e_proc_events(p);
  long pid = 0;
  size_t i;
  json_t *event;
  json_array_foreach(events, i, event) {
    if (strcmp(e2e_field(event, "event"), "started") == 0 &&
        strcmp(e2e_field(event, "moniker"), moniker) == 0)
      pid = (long)json_integer_value(json_object_get(event, "pid"));
  }
  json_decref(events);
  return pid;
}

/* write_tree, and a child "hung" whose resolution the gate resolver
 * (tests/plugins/gate.so) holds on fern's pool until open_gate. */
static void write_tree_gated(conf *c, json_t *children) {
  write_tree(c, children);
  char path[160];
  snprintf(path, sizeof path, "%s/meta/root.cm", c->pkg);
  json_t *root = json_load_file(path, 0, NULL);
  char wait_for[128], url[160];
  snprintf(wait_for, sizeof wait_for, "%s/open", c->pkg);
  snprintf(url, sizeof url, "gate://%s#meta/hung.cm", c->pkg);
  json_object_set_new(root, "capabilities",
                      json_pack("[{s:s, s:{s:s, s:i}}]", "resolver", "gate",
                                "config", "wait_for", wait_for, "wait_ms",
                                120000));
  json_array_append_new(json_object_get(root, "environments"),
                        json_pack("{s:s, s:s, s:[{s:s, s:s, s:s}]}", "name",
                                  "gated", "extends", "realm", "resolvers",
                                  "resolver", "gate", "scheme", "gate",
                                  "from", "self"));
  json_array_append_new(json_object_get(root, "children"),
                        json_pack("{s:s, s:s, s:s, s:s}", "name", "hung",
                                  "url", url, "startup", "eager",
                                  "environment", "#gated"));
  ck_assert_int_eq(json_dump_file(root, path, 0), 0);
  json_decref(root);
  e2e_package_write(c->pkg, "meta/hung.cm", "{}");
}

static void open_gate(const conf *c) { e2e_package_write(c->pkg, "open", ""); }

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
  /* Every run ends once: ok if it started, not_started if it had not;
   * none is lost. */
  ck_assert_int_eq(e2e_count(p.err, ": stopped: ok") +
                       e2e_count(p.err, ": stopped: not_started"),
                   e2e_count(p.err, ": stopped: "));
  ck_assert_int_ge(e2e_count(p.err, ": stopped: ok"),
                   e2e_count(p.err, ": started"));
  assert_nothing_left(&c);
  done(&c, &p);
}
END_TEST

/* A flood of output: every line arrives, the last one too, whatever the
 * reader of fern's log does; a run's end is reported only once its output
 * was read to the end. And fern's memory stays bounded while it flows. */
START_TEST(test_a_flood_arrives_whole_in_bounded_memory) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o, s:o}", "flood",
                           program_for(strs("flood", "12", NULL)), "holder",
                           program_for(strs("sleep", NULL))));
  start_fern(&c, &p);
  e2e_wait_end(&p, "/flood", "ok", 120000);
  long hwm_kb = process_hwm_kb(p.pid);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  ck_assert_int_eq(e2e_count(p.err, "[/flood] xxxxxxxx"), 12 * 1024);
  e2e_assert_has(p.err, "[/flood] flood done\n");
  done(&c, &p);
  if (e2e_skip_under_valgrind("the flood's memory bound: valgrind keeps "
                              "freed memory resident")) {
    (void)hwm_kb;
    return;
  }
  if (built_with_asan()) {
    fprintf(stderr, "conformance: the flood's memory bound is checked in "
                    "the plain build (ASan keeps freed memory resident)\n");
    return;
  }
  /* 12 MiB went through: fern held a bounded part of it at a time. */
  long quiet_kb = quiet_fern_hwm_kb();
  ck_assert_msg(hwm_kb > 0 && hwm_kb < quiet_kb + 8 * 1024,
                "fern's peak resident memory was %ld KiB through a 12 MiB "
                "flood, %ld KiB with a quiet component",
                hwm_kb, quiet_kb);
}
END_TEST

/* The program writes until nobody reads (fern's log is full: the test
 * reads none of it, and the runner must stop reading the program's
 * output, not drop it), and exits with its last lines still in the pipe.
 * Once fern's log is read again every line arrives: the runner reported
 * the end only after it read the pipe to its end. */
START_TEST(test_output_waits_for_a_slow_log_reader) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o}", "fill",
                           program_for(strs("fill", c.marker, NULL))));
  start_fern(&c, &p);
  e2e_wait_event(&p, "started", "/fill", 30000);
  /* From here nobody reads fern's log until the program is gone. */
  long deadline = e2e_now_ms() + 60000;
  while (marker_alive(&c) && e2e_now_ms() < deadline)
    poll(NULL, 0, 50);
  ck_assert_msg(!marker_alive(&c), "the program never stopped writing");
  ck_assert_int_eq(e2e_finish(&p, 60000), 0);
  const char *said = strstr(p.err, "[/fill:2] filled ");
  ck_assert_msg(said != NULL, "the program did not say how much it wrote");
  long n = atol(said + strlen("[/fill:2] filled "));
  ck_assert_int_gt(n, 0);
  ck_assert_int_eq(e2e_count(p.err, "[/fill] fill "), n);
  char last[64];
  snprintf(last, sizeof last, "[/fill] fill %08ld ", n - 1);
  e2e_assert_has(p.err, last);
  done(&c, &p);
}
END_TEST

START_TEST(test_a_last_line_without_newline_arrives) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o}", "partial",
                           program_for(strs("partial", "no newline here",
                                            NULL))));
  start_fern(&c, &p);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_end(&p, "/partial", "ok");
  e2e_assert_has(p.err, "[/partial] no newline here\n");
  done(&c, &p);
}
END_TEST

/* `fern check` of a bad program block names the key's file:line:col:
 * the plugin's validate says where the fault is. */
START_TEST(test_check_names_a_bad_program_block) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  json_t *program = program_for(strs("print", "never", NULL));
  char *block = json_dumps(program, JSON_COMPACT);
  json_decref(program);
  char text[8192], path[256];
  /* The bogus key alone on line 3, at column 5, then the block's own
   * members (its text without the braces). */
  block[strlen(block) - 1] = '\0';
  snprintf(text, sizeof text,
           "{\n  \"program\": {\n    \"bogus_key\": 1,\n    %s\n  }\n}\n",
           block + 1);
  free(block);
  snprintf(path, sizeof path, "%s/meta/bad.cm", c.pkg);
  e2e_package_write(c.pkg, "meta/bad.cm", text);
  const char *args[] = {"check", "--config", c.config, "--plugin-dir",
                        c.plugin_dir, path, NULL};
  ck_assert_int_eq(e2e_run(&p, 30000, args), 1);
  char want[320];
  snprintf(want, sizeof want, "%s:3:5: ", path);
  e2e_assert_has(p.err, want);
  done(&c, &p);
}
END_TEST

/* A runner's calls come on fern's loop thread: none may block it. fern
 * times each call and records one that took 100 ms or more ("slow_call");
 * while a hundred start, (almost) none may. */
START_TEST(test_starting_a_hundred_never_blocks_the_loop) {
  SKIP_IF_LEFT_OUT();
  if (e2e_skip_under_valgrind("fern's calls take many times their time "
                              "under valgrind"))
    return;
  conf c;
  e2e_proc p;
  setup_package(&c);
  json_t *children = json_object();
  for (int i = 0; i < 100; i++) {
    char name[16];
    snprintf(name, sizeof name, "n%d", i);
    json_object_set_new(children, name, program_for(strs("exit", "0", NULL)));
  }
  write_tree(&c, children);
  start_fern(&c, &p);
  ck_assert_int_eq(e2e_finish(&p, 120000), 0);
  json_t *events = e2e_proc_events(&p);
  size_t i, slow = 0;
  json_t *event;
  json_array_foreach(events, i, event) {
    if (strcmp(e2e_field(event, "event"), "slow_call") == 0)
      slow++;
  }
  json_decref(events);
  /* Two calls in a hundred may be slow on a busy machine, not more. */
  ck_assert_msg(slow <= 2, "%zu runner calls blocked fern's loop 100 ms or "
                "more", slow);
  done(&c, &p);
}
END_TEST

/* The pid a runner reports is the program's: the process fern shows and
 * signals runs the test program, not a wrapper or nothing (pid 0). */
START_TEST(test_the_reported_pid_is_the_programs) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o}", "server", program_for(strs("sleep", NULL))));
  start_fern(&c, &p);
  e2e_wait_for(&p, "[/server] ready", 30000);
  long pid = started_pid(&p, "/server");
  char exe[PATH_MAX] = "", link[64];
  snprintf(link, sizeof link, "/proc/%ld/exe", pid);
  ssize_t n = pid > 0 ? readlink(link, exe, sizeof exe - 1) : -1;
  exe[n > 0 ? n : 0] = '\0';
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  const char *base = strrchr(exe, '/');
  ck_assert_msg(base != NULL && strcmp(base, "/tool") == 0,
                "the reported pid %ld runs \"%s\", not the program", pid, exe);
  done(&c, &p);
}
END_TEST

/* The graceful stop reaches the whole job, not the main process only: a
 * child the program forked hears it too. */
START_TEST(test_sigterm_reaches_the_whole_job) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  write_tree(&c, json_pack("{s:o}", "quick-family",
                           program_for(strs("term-family", NULL))));
  start_fern(&c, &p);
  e2e_wait_for(&p, "[/quick-family] ready", 30000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 0);
  e2e_assert_has(p.err, "[/quick-family] term child\n");
  e2e_assert_has(p.err, "[/quick-family] term parent\n");
  e2e_assert_end(&p, "/quick-family", "ok");
  done(&c, &p);
}
END_TEST

/* Whether one of the ten has ended, or was killed after its stop timeout
 * and waits only for its end now (siblings stop one at a time). */
static int one_stopped_or_killed(e2e_proc *p) {
  for (int i = 0; i < 10; i++) {
    char moniker[32], warning[96];
    snprintf(moniker, sizeof moniker, "/quick-s%d", i);
    snprintf(warning, sizeof warning, "%s: warning: did not stop within",
             moniker);
    if (e2e_event_count(p, "stopped", moniker) > 0 ||
        strstr(p->err, warning) != NULL)
      return 1;
  }
  return 0;
}

/* Ten components whose starts are under way but not done, and a stop
 * reaches the first there; a runner that does not end it at the stop gets
 * `kill` after its 300 ms stop timeout, still before "started". The one
 * worker thread of fern's pool is held by a resolution the gate resolver
 * keeps, so a runner that does anything on the pool before it reports
 * "started" is caught between start and started. Each ends not_started if
 * it never started, as it was if it had; never cannot_start, which says
 * the start failed. */
START_TEST(test_a_stop_and_a_kill_before_started) {
  SKIP_IF_LEFT_OUT();
  conf c;
  e2e_proc p;
  setup_package(&c);
  json_t *children = json_object();
  for (int i = 0; i < 10; i++) {
    char name[32];
    snprintf(name, sizeof name, "quick-s%d", i);
    json_object_set_new(children, name,
                        program_for(strs("sleep", c.marker, NULL)));
  }
  write_tree_gated(&c, children);
  setenv("UV_THREADPOOL_SIZE", "1", 1);
  start_fern(&c, &p);
  unsetenv("UV_THREADPOOL_SIZE");
  e2e_wait_for(&p, "gate: holding", 30000);
  for (int i = 0; i < 10; i++) {
    char moniker[32];
    snprintf(moniker, sizeof moniker, "/quick-s%d", i);
    e2e_wait_event(&p, "resolved", moniker, 30000);
  }
  kill(p.pid, SIGTERM);
  long deadline = e2e_now_ms() + 20000;
  while (!one_stopped_or_killed(&p) && e2e_now_ms() < deadline)
    e2e_pump(&p, 100);
  size_t len = strlen(p.err);
  ck_assert_msg(one_stopped_or_killed(&p), "the stop reached none:\n%s",
                p.err + (len > 3000 ? len - 3000 : 0));
  open_gate(&c);
  /* 1 if a run that had started ended otherwise than ok (a container
   * slower to stop than the 300 ms): that is not this case's to judge. */
  int status = e2e_finish(&p, 60000);
  ck_assert_msg(status == 0 || status == 1, "fern exited %d", status);
  for (int i = 0; i < 10; i++) {
    char moniker[32];
    snprintf(moniker, sizeof moniker, "/quick-s%d", i);
    if (e2e_event_count(&p, "started", moniker) == 0)
      e2e_assert_end(&p, moniker, "not_started");
  }
  e2e_assert_no_end(&p, "cannot_start");
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
  tcase_add_test(tc, test_a_flood_arrives_whole_in_bounded_memory);
  tcase_add_test(tc, test_output_waits_for_a_slow_log_reader);
  tcase_add_test(tc, test_a_last_line_without_newline_arrives);
  tcase_add_test(tc, test_check_names_a_bad_program_block);
  tcase_add_test(tc, test_starting_a_hundred_never_blocks_the_loop);
  tcase_add_test(tc, test_the_reported_pid_is_the_programs);
  tcase_add_test(tc, test_sigterm_reaches_the_whole_job);
  tcase_add_test(tc, test_a_stop_and_a_kill_before_started);
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
