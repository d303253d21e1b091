/* test_cml.c - real Fuchsia manifests, verbatim (tests/cml/fuchsia, with
 * their sources and licence): JSON5 with include shards that cmc would
 * merge, found through --includepath, checked by fern check as written.
 * What fern does not support is refused at its own file, line and column,
 * in the shard that brought it. */
#include "e2e.h"
#include "event_asserts.h"

#define FUCHSIA "tests/cml/fuchsia/"
#define ROUTING FUCHSIA "examples/components/routing/"
#define SHARDS FUCHSIA "sdk/lib"

/* Fuchsia's routing example, realm and client, pass fern check: the
 * client's program comes partly from syslog/elf_stdio.shard.cml, its use
 * of LogSink from syslog/client.shard.cml, which that shard includes. */
START_TEST(test_the_routing_example_checks_with_its_shards) {
  e2e_proc p;
  const char *args[] = {"check", "--includepath", SHARDS,
                        ROUTING "meta/echo_realm.cml",
                        ROUTING "rust/echo_client/meta/echo_client.cml", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.out, "echo_client.cml: ok (runner \"elf\")");
  e2e_assert_has(p.out, "echo_realm.cml: ok");
  e2e_free(&p);
}
END_TEST

/* What a shard brings is placed in the shard: a manifest that includes
 * one using an event stream is refused at the shard's line and column. */
START_TEST(test_an_error_in_a_shard_is_placed_in_the_shard) {
  char pkg[4096], manifest[4400];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(pkg, "meta/events.shard.cml",
                    "{\n  use: [\n    { event_stream: 'started' },\n  ],\n}\n");
  e2e_package_write(pkg, "meta/app.cml",
                    "{ include: ['events.shard.cml'],\n"
                    "  program: { runner: 'elf', binary: 'bin/tool' } }\n");
  snprintf(manifest, sizeof manifest, "%s/meta/app.cml", pkg);
  e2e_proc p;
  const char *args[] = {"check", manifest, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_has(p.err, "meta/events.shard.cml:3:7: \"event_stream\" in a "
                        "use declaration is CML's event streams");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Without the include path the shard is not found: the error stands at
 * the include and names where fern looked. */
START_TEST(test_a_missing_shard_names_where_it_was_looked_for) {
  e2e_proc p;
  const char *args[] = {"check",
                        ROUTING "rust/echo_client/meta/echo_client.cml", NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_has(p.err, "echo_client.cml:10:9: include "
                        "\"syslog/elf_stdio.shard.cml\" not found; looked in "
                        ROUTING "rust/echo_client/meta");
  e2e_free(&p);
}
END_TEST

/* A manifest in strict JSON that takes its runner through "use" passes;
 * so does one that declares structured configuration and includes the
 * inspect shard, whose expose to the framework fern leaves out. */
START_TEST(test_what_fern_lacks_is_named_where_it_stands) {
  e2e_proc p;
  const char *hello[] = {"check", FUCHSIA
                         "examples/components/basic/meta/hello_world.cml",
                         NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, hello), 0);
  e2e_free(&p);
  const char *config[] = {"check", "--includepath", SHARDS, FUCHSIA
                          "examples/components/config/rust/meta/"
                          "config_example.cml",
                          NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, config), 0);
  e2e_free(&p);
  const char *service[] = {"check", "--includepath", SHARDS, FUCHSIA
                           "examples/components/services/rust/meta/"
                           "provider-a.cml",
                           NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, service), 1);
  e2e_assert_has(p.err, "provider-a.cml:17:11: \"service\" in a capability "
                        "is CML's service capabilities, which fern does not "
                        "support");
  e2e_free(&p);
}
END_TEST

/* Every real manifest of tests/cml/fuchsia through fern check, each with
 * what fern must say: "ok", or the file, line and column and the feature
 * fern lacks. */
START_TEST(test_each_real_manifest_gets_its_answer) {
  static const char *const cases[][2] = {
      {"routing/meta/echo_realm.cml", "ok"},
      {"routing/rust/echo_client/meta/echo_client.cml", "ok"},
      {"routing/rust/echo_server/meta/echo_server.cml", "ok"},
      {"basic/meta/hello_world.cml", "ok"},
      {"echo/rust/meta/echo.cml", "ok"},
      {"storage/meta/storage_example.cml", "ok"},
      {"subpackages/meta/echo_client.cml", "ok"},
      {"config/rust/meta/config_example.cml", "ok"},
      {"config/cpp/meta/config_example.cml", "ok"},
      {"lifecycle/rust/meta/manager.cml",
       "manager.cml:54:13: \"framework\" is CML's capabilities of the "
       "framework"},
      {"lifecycle/rust/meta/lifecycle.cml",
       "lifecycle.cml:35:13: \"framework\" is CML's capabilities of the "
       "framework"},
      {"services/rust/meta/provider-a.cml",
       "provider-a.cml:17:11: \"service\" in a capability is CML's service "
       "capabilities"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char path[256];
    snprintf(path, sizeof path, FUCHSIA "examples/components/%s", cases[i][0]);
    const char *args[] = {"check", "--includepath", SHARDS, path, NULL};
    e2e_proc p;
    int ok = strcmp(cases[i][1], "ok") == 0;
    ck_assert_msg(e2e_run(&p, 20000, args) == (ok ? 0 : 1), "%s: %s%s",
                  cases[i][0], p.out, p.err);
    if (ok)
      e2e_assert_has(p.out, ": ok");
    else
      e2e_assert_has(p.err, cases[i][1]);
    e2e_free(&p);
  }
}
END_TEST

/* A package of CML sources runs: "#meta/app.cm" names what Fuchsia's
 * build compiles from meta/app.cml, and fern reads meta/app.cml itself;
 * with neither, the error says both were looked for. */
START_TEST(test_a_package_of_cml_sources_runs) {
  char pkg[4096], root[4400];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(pkg, "meta/root.cml",
                    "{\n  // JSON5, as CML is\n  children: [\n"
                    "    { name: 'app', url: '#meta/app.cm', startup: 'eager' },\n"
                    "    { name: 'none', url: '#meta/none.cm', startup: 'eager' },\n"
                    "  ],\n}\n");
  e2e_package_write(pkg, "meta/app.cml",
                    "{ program: { runner: 'elf', binary: 'bin/tool', "
                    "args: [ 'print', 'from cml' ], }, }\n");
  snprintf(root, sizeof root, "%s/meta/root.cml", pkg);
  e2e_proc p;
  const char *args[] = {"run", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  e2e_assert_has(p.err, "[/app] from cml\n");
  e2e_assert_end(&p, "/app", "ok (exit 0)");
  e2e_assert_end(&p, "/none", "cannot_start: manifest \"meta/none.cm\" not "
                              "found in package");
  e2e_assert_has(p.err, "(nor its CML source, the same name in .cml)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Fuchsia's own URL schemes: fuchsia-boot:/// with no resolver says which
 * of fern's stands for it; mapped by the configuration's scheme_aliases,
 * the boot resolver resolves it. */
START_TEST(test_fuchsia_schemes_are_named_and_can_be_mapped) {
  char pkg[4096], root[4400], config[4400];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(pkg, "meta/root.cm",
                    "{children: [{name: 'hello', url: "
                    "'fuchsia-boot:///progs#meta/print.cm', startup: "
                    "'eager'}]}");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *plain[] = {"run", "--boot-dir", "tests/packages", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, plain), 1);
  e2e_assert_has(p.err, "no resolver for scheme \"fuchsia-boot\"");
  e2e_assert_has(p.err, "fern's boot resolver (boot:///PACKAGE#meta/NAME.cm) "
                        "stands for it");
  e2e_free(&p);
  e2e_package_write(pkg, "fern.json",
                    "{\"scheme_aliases\": {\"fuchsia-boot\": \"boot\"}}");
  snprintf(config, sizeof config, "%s/fern.json", pkg);
  const char *mapped[] = {"run", "--config", config, "--boot-dir",
                          "tests/packages", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, mapped), 0);
  e2e_assert_end(&p, "/hello", "ok (exit 0)");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *cml_suite(void) {
  Suite *s = suite_create("cml");
  TCase *tc = tcase_create("cml");
  tcase_add_test(tc, test_the_routing_example_checks_with_its_shards);
  tcase_add_test(tc, test_an_error_in_a_shard_is_placed_in_the_shard);
  tcase_add_test(tc, test_a_missing_shard_names_where_it_was_looked_for);
  tcase_add_test(tc, test_fuchsia_schemes_are_named_and_can_be_mapped);
  tcase_add_test(tc, test_what_fern_lacks_is_named_where_it_stands);
  tcase_add_test(tc, test_each_real_manifest_gets_its_answer);
  tcase_add_test(tc, test_a_package_of_cml_sources_runs);
  suite_add_tcase(s, tc);
  return s;
}
