/* test_config.c - structured configuration as Fuchsia's: the schema a
 * manifest declares ("config"), the values its package gives (a values
 * file beside the manifest), what a parent overrides (a child's
 * "config_overrides", fern create --override), checked when the
 * component resolves and handed to the program as the JSON file
 * FERN_CONFIG names. Fuchsia's own configuration example runs with its
 * own values file (tests/cml/fuchsia, verbatim). */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "control_run.h"
#include "e2e.h"
#include "event_asserts.h"

#define FUCHSIA "tests/cml/fuchsia/"
#define SHARDS FUCHSIA "sdk/lib"
#define CONFIG_EXAMPLE FUCHSIA "examples/components/config/"
#define SANDBOX_CONFIG "tests/config/elf-and-sandbox.json"

/* A package with Fuchsia's config example as meta/config_example.cml, its
 * values file as meta/config_example.values.json5 (fern's name for it),
 * fern's stand-in for its program, and a LogSink provider ("logger")
 * for the use its syslog shard adds. The root, meta/root.cml, offers
 * LogSink to the example and gives it `child_keys`. */
static void fuchsia_config_package(char *pkg, size_t size,
                                   const char *child_keys) {
  e2e_package_new(pkg, size);
  e2e_package_copy(pkg, CONFIG_EXAMPLE "rust/meta/config_example.cml",
                   "meta/config_example.cml");
  e2e_package_copy(pkg, CONFIG_EXAMPLE "config_example_default_values.json5",
                   "meta/config_example.values.json5");
  e2e_package_copy(pkg, "tests/packages/progs/bin/config_example",
                   "bin/config_example_rust");
  e2e_package_write(pkg, "meta/logger.cml",
                    "{ program: { runner: 'elf', binary: 'bin/tool', "
                    "args: ['echo-serve'] },\n"
                    "  capabilities: [{ protocol: 'fuchsia.logger.LogSink' }],\n"
                    "  expose: [{ protocol: 'fuchsia.logger.LogSink', "
                    "from: 'self' }] }\n");
  char root[1024];
  snprintf(root, sizeof root,
           "{\n"
           "  children: [\n"
           "    { name: 'logger', url: '#meta/logger.cm' },\n"
           "    { name: 'config_example', url: '#meta/config_example.cm',\n"
           "      startup: 'eager'%s },\n"
           "    { name: 'sibling', url: '#meta/sibling.cm', "
           "startup: 'eager' },\n"
           "  ],\n"
           "  offer: [{ protocol: 'fuchsia.logger.LogSink', from: '#logger',\n"
           "            to: '#config_example' }],\n"
           "}\n",
           child_keys);
  e2e_package_write(pkg, "meta/root.cml", root);
  e2e_package_program(pkg, "sibling", "elf",
                      "\"args\": [\"print\", \"sibling ran\"]");
}

static void run_root(const char *pkg, e2e_proc *p, int expected) {
  char root[4400];
  snprintf(root, sizeof root, "%s/meta/root.cml", pkg);
  const char *args[] = {"run", "--includepath", SHARDS, root, NULL};
  ck_assert_msg(e2e_run(p, 30000, args) == expected, "%s", p->err);
}

/* Fuchsia's example, manifest and values file as Fuchsia wrote them: the
 * program reads greeting and delay_ms from its configuration. */
START_TEST(test_fuchsia_config_example_runs_with_its_values) {
  char pkg[4096];
  fuchsia_config_package(pkg, sizeof pkg, "");
  e2e_proc p;
  run_root(pkg, &p, 0);
  e2e_assert_has(p.err, "[/config_example] Hello, World!\n");
  e2e_assert_end(&p, "/config_example", "ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Its greeting has no "mutability": a parent that overrides it is
 * refused at the override's own line and column, as component_manager
 * refuses it (FieldIsNotMutable); the sibling runs. */
START_TEST(test_an_override_of_a_fixed_field_is_refused_where_it_stands) {
  char pkg[4096];
  fuchsia_config_package(pkg, sizeof pkg,
                         ",\n      config_overrides: [\n"
                         "        { key: 'greeting', value: 'fern' } ]");
  e2e_proc p;
  run_root(pkg, &p, 1);
  e2e_assert_has(p.err, "root.cml:7:11: config field \"greeting\" of ");
  e2e_assert_has(p.err, "cannot be overridden by its parent");
  e2e_assert_lacks(p.err, "Hello,");
  e2e_assert_end(&p, "/sibling", "ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* meta/NAME.cml: bin/tool with `args`, by `runner`, with a field of
 * each kind, two of which a parent may set, and its values file. */
static void write_app_args(const char *pkg, const char *name,
                           const char *runner, const char *args,
                           const char *values) {
  char path[128], text[1024];
  snprintf(path, sizeof path, "meta/%s.cml", name);
  snprintf(text, sizeof text,
           "{ program: { runner: '%s', binary: 'bin/tool', "
           "args: [%s] },\n"
           "  config: {\n"
           "    flag: { type: 'bool' },\n"
           "    count: { type: 'uint8', mutability: ['parent'] },\n"
           "    name: { type: 'string', max_size: 8, "
           "mutability: ['parent'] },\n"
           "    ports: { type: 'vector', max_count: 3, "
           "element: { type: 'uint16' } },\n"
           "  },\n}\n",
           runner, args);
  e2e_package_write(pkg, path, text);
  snprintf(path, sizeof path, "meta/%s.values.json5", name);
  e2e_package_write(pkg, path, values);
}

/* The same printing its configuration. */
static void write_app(const char *pkg, const char *name, const char *runner,
                      const char *values) {
  write_app_args(pkg, name, runner, "'config'", values);
}

#define GOOD_VALUES                                                            \
  "{\n  flag: true,\n  count: 1,\n  name: 'pkg',\n  ports: [80, 0x1bb],\n}\n"

/* The program gets every field, of its type, in one JSON object: the
 * package's values where the parent sets nothing, the parent's where it
 * does. */
START_TEST(test_values_and_overrides_reach_the_program) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  write_app(pkg, "app", "elf", GOOD_VALUES);
  e2e_package_write(pkg, "meta/root.cml",
                    "{ children: [\n"
                    "  { name: 'plain', url: '#meta/app.cm', "
                    "startup: 'eager' },\n"
                    "  { name: 'set', url: '#meta/app.cm', startup: 'eager',\n"
                    "    config_overrides: [ { key: 'count', value: 7 },\n"
                    "                        { key: 'name', value: 'fern' } ] "
                    "},\n] }\n");
  e2e_proc p;
  run_root(pkg, &p, 0);
  e2e_assert_has(p.err, "[/plain] config: "
                        "{\"count\":1,\"flag\":true,\"name\":\"pkg\","
                        "\"ports\":[80,443]}\n");
  e2e_assert_has(p.err, "[/set] config: "
                        "{\"count\":7,\"flag\":true,\"name\":\"fern\","
                        "\"ports\":[80,443]}\n");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Each broken values file is an error at its file, line and column (or
 * names the file that is missing), only its component fails, and a
 * component without config runs beside them. */
START_TEST(test_broken_values_are_errors_at_their_place) {
  static const struct {
    const char *name, *values, *expected;
  } cases[] = {
      {"mistyped", "{ flag: 'yes', count: 1, name: 'a', ports: [] }",
       "mistyped.values.json5:1:3: \"flag\": expected a bool"},
      {"extra",
       "{ flag: true, count: 1, name: 'a', ports: [],\n  colour: 'red' }",
       "extra.values.json5:2:3: \"colour\" is no field"},
      {"missing", "{ flag: true, count: 1, ports: [] }",
       "missing.values.json5:1:1: no value for config field \"name\""},
      {"range", "{ flag: true, count: 256, name: 'a', ports: [] }",
       "range.values.json5:1:15: \"count\": expected a whole number "
       "from 0 to 255"},
      {"long", "{ flag: true, count: 1, name: 'ninechars', ports: [] }",
       "long.values.json5:1:25: \"name\": the string is 9 bytes; "
       "max_size is 8"},
      {"many", "{ flag: true, count: 1, name: 'a', ports: [1, 2, 3, 4] }",
       "many.values.json5:1:36: \"ports\": the array has 4 elements"},
  };
  char pkg[4096], root[4096] = "{ children: [\n";
  e2e_package_new(pkg, sizeof pkg);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    write_app(pkg, cases[i].name, "elf", cases[i].values);
    char line[160];
    snprintf(line, sizeof line,
             "  { name: '%s', url: '#meta/%s.cm', startup: 'eager' },\n",
             cases[i].name, cases[i].name);
    strcat(root, line);
  }
  /* A manifest with config and no values file at all. */
  write_app(pkg, "unvalued", "elf", "{}");
  e2e_package_write(pkg, "meta/unvalued.values.json5", "");
  char unlink_path[4200];
  snprintf(unlink_path, sizeof unlink_path, "%s/meta/unvalued.values.json5",
           pkg);
  ck_assert_int_eq(unlink(unlink_path), 0);
  strcat(root, "  { name: 'unvalued', url: '#meta/unvalued.cm', "
               "startup: 'eager' },\n"
               "  { name: 'sibling', url: '#meta/sibling.cm', "
               "startup: 'eager' },\n] }\n");
  e2e_package_write(pkg, "meta/root.cml", root);
  e2e_package_program(pkg, "sibling", "elf",
                      "\"args\": [\"print\", \"sibling ran\"]");
  e2e_proc p;
  run_root(pkg, &p, 1);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    e2e_assert_has(p.err, cases[i].expected);
  e2e_assert_has(p.err, "its values file meta/unvalued.values.json5 is not "
                        "in package");
  e2e_assert_lacks(p.err, "config: {");
  e2e_assert_has(p.err, "[/sibling] sibling ran\n");
  e2e_assert_end(&p, "/sibling", "ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* An override the child's schema lacks, or whose value does not fit, is
 * placed in the parent's manifest. */
START_TEST(test_wrong_overrides_are_placed_in_the_parent) {
  char pkg[4096];
  e2e_package_new(pkg, sizeof pkg);
  write_app(pkg, "app", "elf", GOOD_VALUES);
  e2e_package_write(pkg, "meta/root.cml",
                    "{ children: [\n"
                    "  { name: 'unknown', url: '#meta/app.cm', "
                    "startup: 'eager',\n"
                    "    config_overrides: [ { key: 'colour', value: 1 } ] },\n"
                    "  { name: 'unfit', url: '#meta/app.cm', "
                    "startup: 'eager',\n"
                    "    config_overrides: [ { key: 'count', value: -1 } ] },\n"
                    "] }\n");
  e2e_proc p;
  run_root(pkg, &p, 1);
  e2e_assert_has(p.err, "root.cml:3:27: an override of config field "
                        "\"colour\", which ");
  e2e_assert_has(p.err, "root.cml:5:41: config override \"count\": "
                        "expected a whole "
                        "number from 0 to 255");
  e2e_assert_lacks(p.err, "config: {");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* In the sandbox the file is bound read-only at FERN_CONFIG_PATH, which
 * FERN_CONFIG names: the program reads it there and cannot change it. */
START_TEST(test_a_sandboxed_program_gets_its_config) {
  if (e2e_skip_under_valgrind("libseccomp probes the kernel with seccomp(2) "
                              "calls valgrind does not run"))
    return;
  char pkg[4096], root[4400];
  e2e_package_new(pkg, sizeof pkg);
  write_app(pkg, "boxed", "sandbox", GOOD_VALUES);
  write_app_args(pkg, "named", "sandbox", "'env'", GOOD_VALUES);
  write_app_args(pkg, "tamper", "sandbox", "'touch', '/run/fern/config.json'",
                 GOOD_VALUES);
  e2e_package_write(pkg, "meta/root.cml",
                    "{ children: [\n"
                    "  { name: 'boxed', url: '#meta/boxed.cm', "
                    "startup: 'eager' },\n"
                    "  { name: 'named', url: '#meta/named.cm', "
                    "startup: 'eager' },\n"
                    "  { name: 'tamper', url: '#meta/tamper.cm', "
                    "startup: 'eager' } ] }\n");
  snprintf(root, sizeof root, "%s/meta/root.cml", pkg);
  const char *args[] = {"run", "--config", SANDBOX_CONFIG, root, NULL};
  e2e_proc p;
  ck_assert_msg(e2e_run(&p, 30000, args) == 1, "%s", p.err);
  e2e_assert_has(p.err, "[/boxed] config: {\"count\":1,\"flag\":true,"
                        "\"name\":\"pkg\",\"ports\":[80,443]}\n");
  e2e_assert_end(&p, "/boxed", "ok (exit 0)");
  e2e_assert_has(p.err, "[/named] FERN_CONFIG=/run/fern/config.json\n");
  e2e_assert_end(&p, "/tamper", "instance_died (exit 1)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A runner plugin built for ABI 2.1 gets no component with structured
 * configuration: that start fails, naming the ABI it needs; one without
 * config runs on it. */
START_TEST(test_a_runner_too_old_for_config_is_refused) {
  char pkg[4096], root[4400], config[4200], plugins[4200];
  e2e_package_new(pkg, sizeof pkg);
  write_app(pkg, "configured", "runner_2_1", GOOD_VALUES);
  e2e_package_write(pkg, "meta/plain.cm",
                    "{\"program\": {\"runner\": \"runner_2_1\"}}");
  e2e_package_write(pkg, "meta/root.cml",
                    "{ children: [\n"
                    "  { name: 'configured', url: '#meta/configured.cm', "
                    "startup: 'eager' },\n"
                    "  { name: 'plain', url: '#meta/plain.cm', "
                    "startup: 'eager' } ] }\n");
  e2e_package_write(pkg, "fern.json",
                    "{\"root_environment\": {\"runners\": [{\"runner\": "
                    "\"runner_2_1\"}], \"resolvers\": [{\"resolver\": "
                    "\"file\", \"scheme\": \"file\"}]}}");
  snprintf(root, sizeof root, "%s/meta/root.cml", pkg);
  snprintf(config, sizeof config, "%s/fern.json", pkg);
  snprintf(plugins, sizeof plugins, "%s/tests/plugins", e2e_build());
  const char *args[] = {"run", "--plugin-dir", plugins, "--config", config,
                        root, NULL};
  e2e_proc p;
  e2e_start(&p, args);
  /* The test runner's programs run until stopped: both starts are
   * answered, then fern is told to stop. */
  e2e_wait_for(&p, "/configured: error: cannot_start", 30000);
  e2e_wait_for(&p, "/plain: started", 30000);
  kill(p.pid, SIGTERM);
  ck_assert_int_eq(e2e_finish(&p, 30000), 1);
  e2e_assert_end(&p, "/configured", "cannot_start: runner \"runner_2_1\" "
                                    "(plugin ABI 2.1) cannot give a component "
                                    "its structured configuration; that needs "
                                    "ABI 2.2");
  e2e_assert_end(&p, "/plain", "ok");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* `fern create --override O1 [--override O2] /workers NAME URL`. */
static int create_with(e2e_running *r, e2e_proc *p, const char *name,
                       const char *url, const char *o1, const char *o2) {
  const char *args[12] = {"create", "--control", r->socket, "--override", o1};
  size_t n = 5;
  if (o2 != NULL) {
    args[n++] = "--override";
    args[n++] = o2;
  }
  args[n++] = "/workers";
  args[n++] = name;
  args[n++] = url;
  args[n] = NULL;
  return e2e_run(p, 20000, args);
}

/* A dynamic child gets what fern create overrides; an override the
 * schema refuses fails the create, saying why, and creates nothing. */
START_TEST(test_fern_create_overrides_a_dynamic_child) {
  char pkg[4096], root[4400], url[4400];
  e2e_package_new(pkg, sizeof pkg);
  write_app(pkg, "app", "elf", GOOD_VALUES);
  e2e_package_write(pkg, "meta/root.cml",
                    "{ collections: [ { name: 'workers', "
                    "durability: 'transient' } ] }\n");
  snprintf(root, sizeof root, "%s/meta/root.cml", pkg);
  snprintf(url, sizeof url, "file://%s#meta/app.cm", pkg);
  e2e_running r;
  e2e_ctl_serve(&r, root);
  e2e_wait_event(&r.fern, "resolved", "/", 20000);
  e2e_proc p;
  ck_assert_int_eq(create_with(&r, &p, "w1", url, "count=9", "name='dyn'"),
                   0);
  e2e_free(&p);
  ck_assert_int_eq(e2e_ctl(&r, &p, "start", "/workers:w1", NULL, NULL), 0);
  e2e_free(&p);
  e2e_wait_for(&r.fern, "[/workers:w1] config: {\"count\":9,\"flag\":true,"
                        "\"name\":\"dyn\",\"ports\":[80,443]}\n",
               20000);
  /* fern show says what it runs with, as ffx component show does. */
  json_t *shown = e2e_ctl_json(&r, "show", "/workers:w1");
  ck_assert_int_eq(json_integer_value(json_object_get(
                       json_object_get(shown, "config"), "count")),
                   9);
  json_decref(shown);
  ck_assert_int_eq(e2e_ctl(&r, &p, "show", "/workers:w1", NULL, NULL), 0);
  e2e_assert_has(p.out, "Configuration:   {\"count\":9,\"flag\":true,");
  e2e_free(&p);
  ck_assert_int_eq(create_with(&r, &p, "w2", url, "flag=false", NULL), 1);
  e2e_assert_has(p.err, "config field \"flag\" of ");
  e2e_assert_has(p.err, "cannot be overridden by its parent");
  e2e_free(&p);
  ck_assert_int_eq(create_with(&r, &p, "w3", url, "name=unquoted", NULL), 2);
  e2e_assert_has(p.err, "--override name=unquoted: the value is JSON5");
  e2e_free(&p);
  ck_assert_int_ne(e2e_ctl(&r, &p, "show", "/workers:w2", NULL, NULL), 0);
  e2e_free(&p);
  e2e_ctl_finish(&r, 0);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

Suite *config_suite(void) {
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("config");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_fuchsia_config_example_runs_with_its_values);
  tcase_add_test(tc, test_an_override_of_a_fixed_field_is_refused_where_it_stands);
  tcase_add_test(tc, test_values_and_overrides_reach_the_program);
  tcase_add_test(tc, test_broken_values_are_errors_at_their_place);
  tcase_add_test(tc, test_wrong_overrides_are_placed_in_the_parent);
  tcase_add_test(tc, test_a_sandboxed_program_gets_its_config);
  tcase_add_test(tc, test_fern_create_overrides_a_dynamic_child);
  tcase_add_test(tc, test_a_runner_too_old_for_config_is_refused);
  suite_add_tcase(s, tc);
  return s;
}
