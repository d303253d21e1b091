/* test_routes.c - each used protocol is followed through the resolved tree
 * to the component that declares it (fern tree): a good route names its
 * provider; each kind of broken hop is an error at the declaration where
 * the route stops, with the nearest name there; an optional use with no
 * route is no error. fern graph draws the same as Graphviz DOT; fern route
 * shows a running tree's routes hop by hop with their provider's state;
 * fern show lists what a component uses, exposes and offers. */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control_run.h"
#include "e2e.h"
#include "event_asserts.h"

#define ECHO_REALM "tests/packages/progs/meta/echo-realm.cm"

/* /server serves "ech"; / offers it to /client as "ech", "ech" to /mid as
 * "echo" (from a name the server does not expose), and "echo2" to
 * /client; /mid passes "echo" on to /mid/leaf, and uses "x" from #leaf,
 * which exposes nothing. */
static void write_tree(const char *pkg) {
  e2e_package_write(pkg, "meta/root.cm",
                    "{\n"
                    "  \"children\": [\n"
                    "    {\"name\": \"server\", \"url\": \"#meta/server.cm\"},\n"
                    "    {\"name\": \"client\", \"url\": \"#meta/client.cm\"},\n"
                    "    {\"name\": \"mid\", \"url\": \"#meta/mid.cm\"}],\n"
                    "  \"offer\": [\n"
                    "    {\"protocol\": \"ech\", \"from\": \"#server\", \"to\": \"#client\"},\n"
                    "    {\"protocol\": \"echo\", \"from\": \"#server\", \"to\": \"#mid\"},\n"
                    "    {\"protocol\": \"echo2\", \"from\": \"#server\", \"to\": \"#client\"}]\n"
                    "}\n");
  e2e_package_write(pkg, "meta/server.cm",
                    "{\"capabilities\": [{\"protocol\": \"ech\"}],\n"
                    " \"expose\": [{\"protocol\": \"ech\", \"from\": \"self\"}],\n"
                    " \"program\": {\"runner\": \"elf\", \"binary\": \"bin/tool\"}}\n");
  e2e_package_write(pkg, "meta/client.cm",
                    "{\"use\": [\n"
                    "  {\"protocol\": \"ech\"},\n"
                    "  {\"protocol\": \"echo\"},\n"
                    "  {\"protocol\": \"time\", \"availability\": \"optional\"}]}\n");
  e2e_package_write(pkg, "meta/mid.cm",
                    "{\"children\": [{\"name\": \"leaf\", \"url\": \"#meta/leaf.cm\"}],\n"
                    " \"offer\": [{\"protocol\": \"echo\", \"from\": \"parent\", \"to\": \"#leaf\"}],\n"
                    " \"use\": [{\"protocol\": \"x\", \"from\": \"#leaf\"}]}\n");
  e2e_package_write(pkg, "meta/leaf.cm",
                    "{\"use\": [{\"protocol\": \"echo\"}]}\n");
}

/* Asserts that `hay` holds what `fmt` makes of its arguments (paths
 * under a package the test made). */
static void assert_has_f(const char *hay, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void assert_has_f(const char *hay, const char *fmt, ...) {
  char want[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(want, sizeof want, fmt, ap);
  va_end(ap);
  e2e_assert_has(hay, want);
}

/* Runs `fern COMMAND` on a new package `pkg` whose meta/root.cm is
 * `root_text`, or, for NULL, on that tree; returns its exit status. */
static int run_on_tree(const char *command, const char *root_text, char *pkg,
                       size_t size, e2e_proc *p) {
  char root[4200];
  e2e_package_new(pkg, size);
  if (root_text != NULL)
    e2e_package_write(pkg, "meta/root.cm", root_text);
  else
    write_tree(pkg);
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  const char *args[] = {command, root, NULL};
  return e2e_run(p, 20000, args);
}

START_TEST(test_tree_follows_each_route_and_names_each_broken_hop) {
  char pkg[4096];
  e2e_proc p;
  ck_assert_int_eq(run_on_tree("tree", NULL, pkg, sizeof pkg, &p), 1);
  /* The good route. */
  e2e_assert_has(p.out, "/client  ");
  e2e_assert_has(p.out, "  uses protocol \"ech\" from /server\n");
  /* A use from the parent the parent offers no such name for. */
  assert_has_f(p.out,
               "%s/meta/client.cm:3:3: /client uses protocol \"echo\" from "
               "its parent, but / offers no \"echo\" to #client; / offers "
               "\"ech\"",
               pkg);
  /* An offer from a child that exposes no such name: named at the offer. */
  assert_has_f(p.out,
               "%s/meta/root.cm:8:5: / offers protocol \"echo\" from "
               "#server, but /server exposes no \"echo\"; /server exposes "
               "\"ech\"",
               pkg);
  /* A use from a child that exposes nothing. */
  assert_has_f(p.out,
               "%s/meta/mid.cm:3:10: /mid uses protocol \"x\" from #leaf, but "
               "/mid/leaf exposes no \"x\"",
               pkg);
  /* The optional use with no route is simply absent. */
  ck_assert_ptr_null(strstr(p.out, "\"time\""));
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Only a program serves: a route that ends at a realm is broken there. */
START_TEST(test_a_realm_cannot_serve_a_protocol) {
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"children\": [{\"name\": \"hollow\", \"url\": \"#meta/hollow.cm\"},\n"
                    "  {\"name\": \"client\", \"url\": \"#meta/client.cm\"}],\n"
                    " \"offer\": [{\"protocol\": \"h\", \"from\": \"#hollow\", \"to\": \"#client\"}]}\n");
  e2e_package_write(pkg, "meta/hollow.cm",
                    "{\"capabilities\": [{\"protocol\": \"h\"}],\n"
                    " \"expose\": [{\"protocol\": \"h\", \"from\": \"self\"}]}\n");
  e2e_package_write(pkg, "meta/client.cm", "{\"use\": [{\"protocol\": \"h\"}]}\n");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *args[] = {"tree", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  char want[4600];
  snprintf(want, sizeof want,
           "%s/meta/hollow.cm:2:13: /hollow exposes protocol \"h\" from self, "
           "but it has no program to serve it",
           pkg);
  e2e_assert_has(p.out, want);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

START_TEST(test_the_root_has_no_parent_to_use_from) {
  char pkg[4096];
  e2e_proc p;
  ck_assert_int_eq(run_on_tree("tree",
                               "{\"use\": [{\"protocol\": \"echo\"}]}\n",
                               pkg, sizeof pkg, &p),
                   1);
  e2e_assert_has(p.out, "root.cm:1:10: / uses protocol \"echo\" from its "
                        "parent, but it is the root: nothing is offered to it");
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* In `fern run`, a component whose route is broken cannot start, and says
 * where it breaks; its sibling runs. */
START_TEST(test_a_broken_route_stops_only_its_user) {
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(pkg, "meta/root.cm",
                    "{\"children\": [\n"
                    "  {\"name\": \"server\", \"url\": \"#meta/server.cm\"},\n"
                    "  {\"name\": \"client\", \"url\": \"#meta/client.cm\", \"startup\": \"eager\"},\n"
                    "  {\"name\": \"bystander\", \"url\": \"#meta/bystander.cm\", \"startup\": \"eager\"}],\n"
                    " \"offer\": [{\"protocol\": \"echo2\", \"from\": \"#server\", \"to\": \"#client\"}]}\n");
  e2e_package_write(pkg, "meta/server.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tool\", \"args\": [\"sleep\"]},\n"
                    " \"capabilities\": [{\"protocol\": \"echo2\"}],\n"
                    " \"expose\": [{\"protocol\": \"echo2\", \"from\": \"self\"}]}\n");
  e2e_package_write(pkg, "meta/client.cm",
                    "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/tool\", \"args\": [\"exit\", \"0\"]},\n"
                    " \"use\": [{\"protocol\": \"echo\"}]}\n");
  e2e_package_program(pkg, "bystander", "elf", "\"args\": [\"exit\", \"0\"]");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *args[] = {"run", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  char want[4600];
  snprintf(want, sizeof want,
           "cannot_start: %s/meta/client.cm:2:10: /client uses protocol "
           "\"echo\" from its parent, but / offers no \"echo\" to #client; / "
           "offers \"echo2\"",
           pkg);
  e2e_assert_end(&p, "/client", want);
  e2e_assert_end(&p, "/bystander", "ok (exit 0)");
  ck_assert_int_eq(e2e_event_count(&p, "started", "/client"), 0);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* Graphviz's dot must take `text` (exit 0). Where dot is not installed
 * the check says why it was skipped. */
static void assert_dot_takes(const char *text) {
  if (system("command -v dot >/dev/null 2>&1") != 0) {
    fprintf(stderr, "skipped the dot check: Graphviz's dot is not installed "
                    "(apt-get install graphviz)\n");
    return;
  }
  char path[] = "/tmp/fern-graph-XXXXXX", cmd[128];
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  snprintf(cmd, sizeof cmd, "dot -Tsvg '%s' -o /dev/null", path);
  int rc = system(cmd);
  unlink(path);
  ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "dot refused:\n%s",
                text);
}

START_TEST(test_graph_draws_components_realms_and_routes_as_dot) {
  e2e_proc p;
  const char *args[] = {"graph", ECHO_REALM, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 0);
  e2e_assert_has(p.out, "digraph fern {\n");
  e2e_assert_has(p.out, "  subgraph \"cluster_/\" {\n"
                        "    label=\"/\";\n"
                        "    \"/\" [label=\"/\\nrealm\"];\n"
                        "    \"/server\" [label=\"/server\\nelf\"];\n"
                        "    \"/client\" [label=\"/client\\nelf\"];\n"
                        "  }\n");
  e2e_assert_has(p.out, "  \"/client\" -> \"/server\" [label=\"echo\"];\n");
  assert_dot_takes(p.out);
  e2e_free(&p);
}
END_TEST

/* Broken routes meet at their error's node, drawn red and dashed; the
 * messages' quotes are escaped so that dot still takes the graph. */
START_TEST(test_graph_draws_a_broken_route_dashed_red_to_its_error) {
  char pkg[4096];
  e2e_proc p;
  ck_assert_int_eq(run_on_tree("graph", NULL, pkg, sizeof pkg, &p), 1);
  e2e_assert_has(p.out, "    subgraph \"cluster_/mid\" {\n"
                        "      label=\"/mid\";\n"
                        "      \"/mid\" [label=\"/mid\\nrealm\"];\n"
                        "      \"/mid/leaf\" [label=\"/mid/leaf\\nrealm\"];\n"
                        "    }\n");
  e2e_assert_has(p.out, "  \"/client\" -> \"/server\" [label=\"ech\"];\n");
  assert_has_f(p.out,
               "  \"/client\" -> \"%s/meta/client.cm:3:3: /client uses "
               "protocol \\\"echo\\\" from its parent, but / offers no "
               "\\\"echo\\\" to #client; / offers \\\"ech\\\"\" "
               "[label=\"echo\", style=dashed, color=red, fontcolor=red];\n",
               pkg);
  assert_has_f(p.out,
               "  \"/mid/leaf\" -> \"%s/meta/root.cm:8:5: / offers protocol "
               "\\\"echo\\\" from #server",
               pkg);
  e2e_assert_has(p.out, "  // /client uses \"time\" (optional): no route\n");
  assert_dot_takes(p.out);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

/* A component that could not be resolved is red, its edge going to its
 * error's node. */
START_TEST(test_graph_draws_an_unresolved_component_red_to_its_error) {
  char pkg[4096];
  e2e_proc p;
  ck_assert_int_eq(run_on_tree("graph",
                               "{\"children\": [{\"name\": \"gone\", "
                               "\"url\": \"#meta/gone.cm\"}]}\n",
                               pkg, sizeof pkg, &p),
                   1);
  e2e_assert_has(p.out, "    \"/gone\" [label=\"/gone\\nunresolved\", "
                        "color=red, fontcolor=red];\n");
  assert_has_f(p.out,
               "  \"/gone\" -> \"manifest \\\"meta/gone.cm\\\" not found in "
               "package file://%s (nor its CML source, the same name in "
               ".cml)\" [label=\"unresolved\", style=dashed, color=red, "
               "fontcolor=red];\n",
               pkg);
  assert_dot_takes(p.out);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

static const json_t *first_use(const json_t *route) {
  return json_array_get(json_object_get(route, "uses"), 0);
}

/* The hops of the route of "echo" in a route reply of /client, each as
 * "MONIKER VERB PROTOCOL FROM", one after the other. */
static void assert_echo_hops(const json_t *route) {
  const json_t *hops = json_object_get(first_use(route), "hops");
  static const char *const want[][4] = {
      {"/client", "uses", "echo", "parent"},
      {"/", "offers", "echo", "#server"},
      {"/server", "exposes", "echo", "self"}};
  ck_assert_uint_eq(json_array_size(hops), 3);
  for (size_t i = 0; i < 3; i++) {
    const json_t *hop = json_array_get(hops, i);
    ck_assert_str_eq(e2e_field(hop, "moniker"), want[i][0]);
    ck_assert_str_eq(e2e_field(hop, "verb"), want[i][1]);
    ck_assert_str_eq(e2e_field(hop, "protocol"), want[i][2]);
    ck_assert_str_eq(e2e_field(hop, "from"), want[i][3]);
  }
}

/* `fern COMMAND MONIKER` succeeds and prints `want` among its lines. */
static void assert_ctl_prints(e2e_running *r, const char *command,
                              const char *moniker, const char *want) {
  e2e_proc p;
  ck_assert_int_eq(e2e_ctl(r, &p, command, moniker, NULL, NULL), 0);
  e2e_assert_has(p.out, want);
  e2e_free(&p);
}

/* Serves the echo packages once /server and /client are resolved: the
 * eager /client has run, the lazy /server has not. */
static void serve_echo_realm(e2e_running *r) {
  e2e_ctl_serve(r, ECHO_REALM);
  e2e_wait_event(&r->fern, "resolved", "/server", 20000);
  e2e_wait_event(&r->fern, "resolved", "/client", 20000);
}

START_TEST(test_route_shows_each_hop_and_whether_the_provider_runs) {
  e2e_running r;
  serve_echo_realm(&r);
  json_t *route = e2e_ctl_json(&r, "route", "/client");
  assert_echo_hops(route);
  const json_t *use = first_use(route);
  ck_assert_str_eq(e2e_field(use, "status"), "routed");
  ck_assert_str_eq(e2e_field(use, "provider"), "/server");
  ck_assert_str_eq(e2e_field(use, "provider_state"), "resolved");
  ck_assert(json_is_false(json_object_get(use, "provider_running")));
  json_decref(route);
  assert_ctl_prints(&r, "route", "/client",
                    "\"echo\" at /svc/echo: routed to /server, not running "
                    "(resolved)\n"
                    "  /client uses \"echo\" from parent -> / offers \"echo\" "
                    "from #server -> /server exposes \"echo\" from self\n");
  assert_ctl_prints(&r, "start", "/server", "/server: ");
  e2e_wait_event(&r.fern, "started", "/server", 20000);
  route = e2e_ctl_json(&r, "route", "/client");
  use = first_use(route);
  ck_assert_str_eq(e2e_field(use, "provider_state"), "running");
  ck_assert(json_is_true(json_object_get(use, "provider_running")));
  json_decref(route);
  assert_ctl_prints(&r, "route", "/client",
                    "\"echo\" at /svc/echo: routed to /server, running\n");
  e2e_ctl_finish(&r, 0);
  e2e_ctl_cleanup(&r);
}
END_TEST

/* /server resolves through the gate test resolver, which holds it until
 * PKG/open exists: a route through it waits, and says for whom. */
START_TEST(test_route_through_a_component_still_resolving_is_pending) {
  char pkg[4096], text[8192], plugins[4200], manifest[4300];
  e2e_package_new(pkg, sizeof pkg);
  snprintf(text, sizeof text,
           "{\"capabilities\": [{\"resolver\": \"gate\", \"config\": "
           "{\"wait_for\": \"%s/open\", \"wait_ms\": 120000}}],\n"
           " \"environments\": [{\"name\": \"gated\", \"extends\": \"realm\", "
           "\"resolvers\": [{\"resolver\": \"gate\", \"scheme\": \"gate\", "
           "\"from\": \"self\"}]}],\n"
           " \"children\": [{\"name\": \"server\", \"url\": "
           "\"gate://%s#meta/server.cm\", \"environment\": \"#gated\"},\n"
           "  {\"name\": \"client\", \"url\": \"#meta/client.cm\"}],\n"
           " \"offer\": [{\"protocol\": \"echo\", \"from\": \"#server\", "
           "\"to\": \"#client\"}]}",
           pkg, pkg);
  e2e_package_write(pkg, "meta/root.cm", text);
  e2e_package_write(pkg, "meta/server.cm",
                    "{\"capabilities\": [{\"protocol\": \"echo\"}],\n"
                    " \"expose\": [{\"protocol\": \"echo\", "
                    "\"from\": \"self\"}],\n"
                    " \"program\": {\"runner\": \"elf\", \"binary\": "
                    "\"bin/tool\", \"args\": [\"sleep\"]}}\n");
  e2e_package_write(pkg, "meta/client.cm",
                    "{\"use\": [{\"protocol\": \"echo\"}]}\n");
  snprintf(plugins, sizeof plugins, "%s/tests/plugins", e2e_build());
  snprintf(manifest, sizeof manifest, "%s/meta/root.cm", pkg);
  e2e_running r;
  setenv("FERN_PLUGIN_PATH", plugins, 1);
  e2e_ctl_serve(&r, manifest);
  unsetenv("FERN_PLUGIN_PATH");
  e2e_wait_for(&r.fern, "gate: holding", 20000);
  e2e_wait_event(&r.fern, "resolved", "/client", 20000);
  json_t *route = e2e_ctl_json(&r, "route", "/client");
  const json_t *use = first_use(route);
  ck_assert_str_eq(e2e_field(use, "status"), "pending");
  ck_assert_str_eq(e2e_field(use, "waiting_for"), "/server");
  ck_assert_uint_eq(json_array_size(json_object_get(use, "hops")), 2);
  json_decref(route);
  assert_ctl_prints(&r, "route", "/client",
                    "\"echo\" at /svc/echo: pending: /server is still "
                    "resolving\n");
  e2e_package_write(pkg, "open", "");
  e2e_wait_event(&r.fern, "resolved", "/server", 20000);
  route = e2e_ctl_json(&r, "route", "/client");
  ck_assert_str_eq(e2e_field(first_use(route), "status"), "routed");
  json_decref(route);
  e2e_ctl_finish(&r, 0);
  e2e_ctl_cleanup(&r);
  e2e_package_remove(pkg);
}
END_TEST

/* `fern show --json MONIKER` lists in `key` one route, `want` (JSON). */
static void assert_shows_one(e2e_running *r, const char *moniker,
                             const char *key, const char *want) {
  json_t *shown = e2e_ctl_json(r, "show", moniker);
  json_t *expected = json_loads(want, 0, NULL);
  const json_t *list = json_object_get(shown, key);
  char *got = json_dumps(list, JSON_COMPACT);
  ck_assert_msg(json_array_size(list) == 1 &&
                    json_equal(json_array_get(list, 0), expected),
                "%s's %s: expected [%s], got %s", moniker, key, want, got);
  free(got);
  json_decref(expected);
  json_decref(shown);
}

START_TEST(test_show_lists_what_a_component_uses_exposes_and_offers) {
  e2e_running r;
  serve_echo_realm(&r);
  assert_shows_one(&r, "/client", "uses",
                   "{\"protocol\": \"echo\", \"from\": \"parent\", \"path\": "
                   "\"/svc/echo\", \"dependency\": \"strong\", "
                   "\"availability\": \"required\"}");
  assert_shows_one(&r, "/", "offers",
                   "{\"protocol\": \"echo\", \"from\": \"#server\", \"to\": "
                   "\"#client\", \"as\": \"echo\", \"dependency\": "
                   "\"strong\"}");
  assert_shows_one(&r, "/server", "exposes",
                   "{\"protocol\": \"echo\", \"from\": \"self\", \"to\": "
                   "\"parent\", \"as\": \"echo\"}");
  assert_ctl_prints(&r, "show", "/client",
                    "Uses:            protocol \"echo\" from parent at "
                    "/svc/echo (strong)\n"
                    "Exposes:         -\n"
                    "Offers:          -\n");
  assert_ctl_prints(&r, "show", "/",
                    "Offers:          protocol \"echo\" from #server to "
                    "#client (strong)\n");
  e2e_ctl_finish(&r, 0);
  e2e_ctl_cleanup(&r);
}
END_TEST

/* fern check --tree: the broken tree's errors, each at its hop; a good
 * tree's count of components and routes. */
START_TEST(test_check_given_a_tree_follows_every_route) {
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  write_tree(pkg);
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *broken[] = {"check", "--tree", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, broken), 1);
  char want[4600];
  snprintf(want, sizeof want,
           "%s/meta/client.cm:3:3: /client uses protocol \"echo\" from its "
           "parent, but / offers no \"echo\" to #client; / offers \"ech\"",
           pkg);
  e2e_assert_has(p.err, want);
  snprintf(want, sizeof want,
           "%s/meta/mid.cm:3:10: /mid uses protocol \"x\" from #leaf", pkg);
  e2e_assert_has(p.err, want);
  e2e_assert_lacks(p.out, ": ok");
  e2e_free(&p);
  const char *good[] = {"check", "--tree", ECHO_REALM, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, good), 0);
  e2e_assert_has(p.out, ": ok (a tree of 3 components, 1 route followed)");
  e2e_free(&p);
  const char *json[] = {"check", "--tree", "--json", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, json), 1);
  json_t *out = json_loads(p.out, 0, NULL);
  ck_assert_ptr_nonnull(out);
  json_t *first = json_array_get(out, 0);
  ck_assert(json_is_false(json_object_get(first, "ok")));
  ck_assert_int_eq(json_array_size(json_object_get(first, "errors")), 3);
  json_decref(out);
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

Suite *routes_suite(void) {
  Suite *s = suite_create("routes");
  TCase *tc = tcase_create("routes");
  tcase_add_test(tc, test_tree_follows_each_route_and_names_each_broken_hop);
  tcase_add_test(tc, test_the_root_has_no_parent_to_use_from);
  tcase_add_test(tc, test_a_realm_cannot_serve_a_protocol);
  tcase_add_test(tc, test_a_broken_route_stops_only_its_user);
  tcase_add_test(tc, test_check_given_a_tree_follows_every_route);
  tcase_add_test(tc, test_graph_draws_components_realms_and_routes_as_dot);
  tcase_add_test(tc, test_graph_draws_a_broken_route_dashed_red_to_its_error);
  tcase_add_test(tc, test_graph_draws_an_unresolved_component_red_to_its_error);
  tcase_add_test(tc, test_route_shows_each_hop_and_whether_the_provider_runs);
  tcase_add_test(tc, test_route_through_a_component_still_resolving_is_pending);
  tcase_add_test(tc, test_show_lists_what_a_component_uses_exposes_and_offers);
  suite_add_tcase(s, tc);
  return s;
}
