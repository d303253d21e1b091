/* test_routes.c - each used protocol is followed through the resolved tree
 * to the component that declares it (fern tree): a good route names its
 * provider; each kind of broken hop is an error at the declaration where
 * the route stops, with the nearest name there; an optional use with no
 * route is no error. */
#include "e2e.h"
#include "event_asserts.h"

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
                    " \"expose\": [{\"protocol\": \"ech\", \"from\": \"self\"}]}\n");
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

START_TEST(test_tree_follows_each_route_and_names_each_broken_hop) {
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  write_tree(pkg);
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *args[] = {"tree", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
  /* The good route. */
  e2e_assert_has(p.out, "/client  ");
  e2e_assert_has(p.out, "  uses protocol \"ech\" from /server\n");
  char want[4600];
  /* A use from the parent the parent offers no such name for. */
  snprintf(want, sizeof want,
           "%s/meta/client.cm:3:3: /client uses protocol \"echo\" from its "
           "parent, but / offers no \"echo\" to #client; / offers \"ech\"",
           pkg);
  e2e_assert_has(p.out, want);
  /* An offer from a child that exposes no such name: named at the offer. */
  snprintf(want, sizeof want,
           "%s/meta/root.cm:8:5: / offers protocol \"echo\" from #server, but "
           "/server exposes no \"echo\"; /server exposes \"ech\"",
           pkg);
  e2e_assert_has(p.out, want);
  /* A use from a child that exposes nothing. */
  snprintf(want, sizeof want,
           "%s/meta/mid.cm:3:10: /mid uses protocol \"x\" from #leaf, but "
           "/mid/leaf exposes no \"x\"",
           pkg);
  e2e_assert_has(p.out, want);
  /* The optional use with no route is simply absent. */
  ck_assert_ptr_null(strstr(p.out, "\"time\""));
  e2e_free(&p);
  e2e_package_remove(pkg);
}
END_TEST

START_TEST(test_the_root_has_no_parent_to_use_from) {
  char pkg[4096], root[4200];
  e2e_package_new(pkg, sizeof pkg);
  e2e_package_write(pkg, "meta/root.cm", "{\"use\": [{\"protocol\": \"echo\"}]}\n");
  snprintf(root, sizeof root, "%s/meta/root.cm", pkg);
  e2e_proc p;
  const char *args[] = {"tree", root, NULL};
  ck_assert_int_eq(e2e_run(&p, 20000, args), 1);
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

Suite *routes_suite(void) {
  Suite *s = suite_create("routes");
  TCase *tc = tcase_create("routes");
  tcase_add_test(tc, test_tree_follows_each_route_and_names_each_broken_hop);
  tcase_add_test(tc, test_the_root_has_no_parent_to_use_from);
  tcase_add_test(tc, test_a_broken_route_stops_only_its_user);
  suite_add_tcase(s, tc);
  return s;
}
