/* test_manifest_routes.c - the protocols a manifest declares and routes
 * ("capabilities", "use", "offer", "expose"): what is read, and each fault
 * refused at its position, as cmc refuses it in a .cml. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decl.h"
#include "unit.h"

static fern_error_t err;

static fern__decl *parsed(const char *text) {
  fern__decl *decl = NULL;
  memset(&err, 0, sizeof err);
  int rc = fern__decl_parse(text, strlen(text), "r.cm", &decl, &err);
  ck_assert_msg(rc == FERN_OK, "refused: %s", err.message);
  return decl;
}

/* `text` is refused with a message that starts with `where` and holds
 * `what`. */
static void refused(const char *text, const char *where, const char *what) {
  fern__decl *decl = NULL;
  memset(&err, 0, sizeof err);
  ck_assert_int_lt(fern__decl_parse(text, strlen(text), "r.cm", &decl, &err),
                   0);
  ck_assert_ptr_null(decl);
  ck_assert_msg(strncmp(err.message, where, strlen(where)) == 0,
                "expected position %s in: %s", where, err.message);
  ck_assert_msg(strstr(err.message, what) != NULL, "expected \"%s\" in: %s",
                what, err.message);
}

#define CHILDREN                                                               \
  "\"children\": [{\"name\": \"server\", \"url\": \"#meta/s.cm\"},\n"          \
  "              {\"name\": \"client\", \"url\": \"#meta/c.cm\"}],\n"          \
  "\"collections\": [{\"name\": \"workers\", \"durability\": "                 \
  "\"transient\"}],\n"

/* The echo example: the server's, the realm's, the client's. */
START_TEST(test_the_echo_example_is_read) {
  fern__decl *server = parsed(
      "{\"capabilities\": [{\"protocol\": \"echo\"}],\n"
      " \"expose\": [{\"protocol\": \"echo\", \"from\": \"self\"}]}");
  ck_assert_uint_eq(server->provided_count, 1);
  ck_assert_str_eq(server->provided[0].name, "echo");
  ck_assert_uint_eq(server->expose_count, 1);
  ck_assert_int_eq(server->exposes[0].from.kind, FERN_REF_SELF);
  ck_assert_int_eq(server->exposes[0].to.kind, FERN_REF_PARENT);
  fern__decl_free(server);
  fern__decl *realm = parsed(
      "{" CHILDREN
      " \"offer\": [{\"protocol\": \"echo\", \"from\": \"#server\", "
      "\"to\": [\"#client\", \"#workers\"], \"dependency\": \"weak\"}]}");
  ck_assert_uint_eq(realm->offer_count, 2);
  ck_assert_str_eq(realm->offers[0].from.name, "server");
  ck_assert_str_eq(realm->offers[0].to.name, "client");
  ck_assert_str_eq(realm->offers[1].to.name, "workers");
  ck_assert_int_eq(realm->offers[1].weak, 1);
  fern__decl_free(realm);
  fern__decl *client = parsed(
      "{\"program\": {\"runner\": \"elf\", \"binary\": \"bin/client\"},\n"
      " \"use\": [{\"protocol\": [\"echo\", \"log\"], \"availability\": "
      "\"optional\"},\n"
      "         {\"protocol\": \"time\", \"path\": \"/clock/now\"}]}");
  ck_assert_uint_eq(client->use_count, 3);
  ck_assert_str_eq(client->uses[0].path, "/svc/echo");
  ck_assert_str_eq(client->uses[1].path, "/svc/log");
  ck_assert_int_eq(client->uses[1].optional, 1);
  ck_assert_int_eq(client->uses[0].from.kind, FERN_REF_PARENT);
  ck_assert_str_eq(client->uses[2].path, "/clock/now");
  ck_assert_str_eq(client->runner, "elf");
  fern__decl_free(client);
}
END_TEST

START_TEST(test_as_renames_one_protocol_only) {
  fern__decl *d = parsed("{" CHILDREN
                         " \"offer\": [{\"protocol\": \"echo\", \"as\": "
                         "\"echo2\", \"from\": \"parent\", \"to\": "
                         "\"#client\"}]}");
  ck_assert_str_eq(d->offers[0].name, "echo");
  ck_assert_str_eq(d->offers[0].target, "echo2");
  fern__decl_free(d);
  refused("{" CHILDREN " \"offer\": [{\"protocol\": [\"a\", \"b\"],\n"
          "  \"as\": \"c\", \"from\": \"parent\", \"to\": \"#client\"}]}",
          "r.cm:5:3:", "\"as\" can only be given when one capability");
  refused("{\"use\": [{\"protocol\": [\"a\", \"b\"], \"path\": \"/x\"}]}",
          "r.cm:1:", "\"path\" can only be given when one capability");
}
END_TEST

START_TEST(test_references_must_name_this_manifests_children) {
  refused("{" CHILDREN " \"offer\": [{\"protocol\": \"echo\",\n"
          "  \"from\": \"#sever\", \"to\": \"#client\"}]}",
          "r.cm:5:3:", "this manifest has no child named \"sever\"");
  refused("{" CHILDREN " \"offer\": [{\"protocol\": \"echo\", \"from\": "
          "\"parent\",\n  \"to\": \"#nobody\"}]}",
          "r.cm:5:3:", "no child or collection named \"nobody\"");
  refused("{" CHILDREN " \"expose\": [{\"protocol\": \"echo\",\n"
          "  \"from\": \"#workers\"}]}",
          "r.cm:5:3:", "no child named \"workers\"");
  refused("{\"use\": [{\"protocol\": \"echo\", \"from\": \"self\"}]}", "r.cm:1:",
          "expected \"parent\" or \"#<child>\"; got \"self\"");
  refused("{" CHILDREN " \"offer\": [{\"protocol\": \"echo\", \"from\": "
          "\"#client\",\n  \"to\": \"#client\"}]}",
          "r.cm:5:3:", "#client is offered its own protocol \"echo\"");
}
END_TEST

START_TEST(test_what_comes_from_self_is_declared) {
  refused("{\"expose\": [{\"protocol\": \"echo\", \"from\": \"self\"}]}",
          "r.cm:1:", "protocol \"echo\" is exposed from self, so it must be "
                     "declared as a \"protocol\" in \"capabilities\"");
  refused("{" CHILDREN " \"capabilities\": [{\"protocol\": \"echo\"}],\n"
          " \"offer\": [{\"protocol\": \"echoo\", \"from\": \"self\", \"to\": "
          "\"#client\"}]}",
          "r.cm:", "protocol \"echoo\" is offered from self");
  refused("{\"capabilities\": [{\"protocol\": \"echo\"}, {\"protocol\": "
          "[\"x\", \"echo\"]}]}",
          "r.cm:1:", "capability \"echo\" is declared twice");
}
END_TEST

START_TEST(test_no_two_routes_reach_one_name) {
  refused("{" CHILDREN " \"offer\": [{\"protocol\": \"a\", \"as\": \"x\", "
          "\"from\": \"parent\", \"to\": \"#client\"},\n"
          "  {\"protocol\": \"b\", \"as\": \"x\", \"from\": \"parent\", "
          "\"to\": [\"#server\", \"#client\"]}]}",
          "r.cm:5:3:", "\"x\" is offered to #client twice");
  refused("{" CHILDREN " \"expose\": [{\"protocol\": \"a\", \"from\": "
          "\"#server\"},\n  {\"protocol\": \"a\", \"from\": \"#client\"}]}",
          "r.cm:5:3:", "\"a\" is exposed to the parent twice");
  refused("{\"use\": [{\"protocol\": \"a\"},\n {\"protocol\": \"b\", "
          "\"path\": \"/svc/a\"}]}",
          "r.cm:2:", "two uses appear at \"/svc/a\"");
  refused("{\"use\": [{\"protocol\": \"a\"},\n {\"protocol\": \"b\", "
          "\"path\": \"/svc/a/b\"}]}",
          "r.cm:2:", "\"/svc/a/b\" and \"/svc/a\" overlap");
  refused("{\"use\": [{\"protocol\": \"a\", \"path\": \"/svc/a/b\"},\n "
          "{\"protocol\": \"b\", \"path\": \"/svc/a\"}]}",
          "r.cm:2:", "\"/svc/a\" and \"/svc/a/b\" overlap");
}
END_TEST

START_TEST(test_names_paths_and_choices_are_checked) {
  refused("{\"use\": [{\"protocol\": \"../up\"}]}", "r.cm:1:", "protocol");
  refused("{\"use\": [{\"protocol\": []}]}", "r.cm:1:",
          "must be a name or a nonempty array of names");
  refused("{\"use\": [{\"protocol\": [\"a\", \"a\"]}]}", "r.cm:1:",
          "\"a\" is named twice");
  refused("{\"use\": [{\"protocol\": \"a\", \"path\": \"svc/a\"}]}", "r.cm:1:",
          "must be an absolute path");
  refused("{\"use\": [{\"protocol\": \"a\", \"path\": \"/svc/../a\"}]}",
          "r.cm:1:", "no empty, \".\" or \"..\" part");
  refused("{\"use\": [{\"protocol\": \"a\", \"path\": "
          "\"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          "aaaaaaaaaaaaaaaaaaaaaa\"}]}",
          "r.cm:1:", "at most 64 fit in a namespace");
  refused("{\"use\": [{\"protocol\": \"a\", \"dependency\": \"soft\"}]}",
          "r.cm:1:", "dependency");
  refused("{\"use\": [{\"protocol\": \"a\", \"availability\": \"maybe\"}]}",
          "r.cm:1:", "availability");
  refused("{\"use\": [{\"protocol\": \"a\", \"as\": \"b\"}]}", "r.cm:1:",
          "\"as\"");
  refused("{" CHILDREN " \"offer\": [{\"protocol\": \"a\", \"from\": "
          "\"parent\"}]}",
          "r.cm:4:12:", "an offer needs \"to\"");
  refused("{\"expose\": [{\"runner\": \"elf\", \"from\": \"self\"}]}",
          "r.cm:1:31:", "runner \"elf\" is exposed from self, so it must be "
                        "declared as a \"runner\" in \"capabilities\"");
  refused("{\"expose\": [{\"event\": \"started\", \"from\": \"self\"}]}",
          "r.cm:1:", "expose routes a \"protocol\", \"directory\"");
  refused("{\"capabilities\": [{\"runner\": \"r\", \"plugin\": \"elf\"}], "
          "\"expose\": [{\"runner\": \"r\", \"from\": \"self\", "
          "\"dependency\": \"weak\"}]}",
          "r.cm:1:", "dependency");
  refused("{\"capabilities\": [{\"protocol\": \"echo\", \"plugin\": \"x\"}]}",
          "r.cm:1:", "plugin");
}
END_TEST

/* Strong dependencies (offers, and uses from a child) in a cycle, as cmc
 * refuses them: named at the offer or use that closes the cycle. */
#define ABC                                                                    \
  "{\"children\": [{\"name\": \"a\", \"url\": \"#meta/a.cm\"},\n"              \
  "  {\"name\": \"b\", \"url\": \"#meta/b.cm\"},\n"                            \
  "  {\"name\": \"c\", \"url\": \"#meta/c.cm\"}],\n"                           \
  " \"collections\": [{\"name\": \"workers\", \"durability\": "                \
  "\"transient\"}],\n"                                                         \
  " \"capabilities\": [{\"protocol\": \"s\"}],\n"

START_TEST(test_two_children_serving_each_other_are_a_cycle) {
  refused(ABC " \"offer\": [{\"protocol\": \"x\", \"from\": \"#a\", \"to\": "
              "\"#b\"},\n"
              "  {\"protocol\": \"y\", \"from\": \"#b\", \"to\": \"#a\"}]}",
          "r.cm:7:3:", "strong dependency cycle: #a -> #b -> #a; break it by "
                       "marking an offer or use in it \"dependency\": "
                       "\"weak\"");
}
END_TEST

START_TEST(test_a_cycle_of_three_is_printed_whole) {
  refused(ABC " \"offer\": [{\"protocol\": \"x\", \"from\": \"#a\", \"to\": "
              "\"#b\"},\n"
              "  {\"protocol\": \"y\", \"from\": \"#c\", \"to\": \"#a\"},\n"
              "  {\"protocol\": \"z\", \"from\": \"#b\", \"to\": "
              "[\"#workers\", \"#c\"]}]}",
          "r.cm:7:3:", "strong dependency cycle: #a -> #b -> #c -> #a;");
}
END_TEST

START_TEST(test_a_use_from_a_child_it_offers_to_is_a_cycle_through_self) {
  refused(ABC " \"offer\": [{\"protocol\": \"s\", \"from\": \"self\", \"to\": "
              "\"#a\"}],\n"
              " \"use\": [{\"protocol\": \"x\", \"from\": \"#a\"}]}",
          "r.cm:7:10:", "strong dependency cycle: self -> #a -> self;");
}
END_TEST

START_TEST(test_a_weak_offer_or_use_breaks_the_cycle) {
  fern__decl *d = parsed(
      ABC " \"offer\": [{\"protocol\": \"x\", \"from\": \"#a\", \"to\": "
          "\"#b\"},\n"
          "  {\"protocol\": \"y\", \"from\": \"#b\", \"to\": \"#a\", "
          "\"dependency\": \"weak\"},\n"
          "  {\"protocol\": \"s\", \"from\": \"self\", \"to\": \"#c\"}],\n"
          " \"use\": [{\"protocol\": \"z\", \"from\": \"#c\", \"dependency\": "
          "\"weak\"}]}");
  ck_assert_uint_eq(d->offer_count, 3);
  fern__decl_free(d);
}
END_TEST

/* A collection is a node an offer can reach; nothing routes from one, so
 * every path ends there, and a cycle beside it is named without it. */
START_TEST(test_a_collection_is_a_node_every_path_ends_at) {
  fern__decl *d = parsed(
      ABC " \"offer\": [{\"protocol\": \"x\", \"from\": \"#a\", \"to\": "
          "\"#workers\"},\n"
          "  {\"protocol\": \"s\", \"from\": \"self\", \"to\": [\"#workers\", "
          "\"#a\"]}]}");
  fern__decl_free(d);
  refused(ABC " \"offer\": [{\"protocol\": \"x\", \"from\": \"#a\", \"to\": "
              "[\"#workers\", \"#b\"]},\n"
              "  {\"protocol\": \"y\", \"from\": \"#b\", \"to\": "
              "[\"#workers\", \"#a\"]}]}",
          "r.cm:7:3:", "strong dependency cycle: #a -> #b -> #a;");
}
END_TEST

/* n children, each offering to the next, the last used by self; `closed`
 * offers from the last to the first too (on line 2n + 3). */
static char *chain(size_t n, int closed) {
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  ck_assert_ptr_nonnull(f);
  fprintf(f, "{\"children\": [\n");
  for (size_t i = 0; i < n; i++)
    fprintf(f, "{\"name\": \"c%zu\", \"url\": \"#meta/c.cm\"}%s\n", i,
            i + 1 < n ? "," : "");
  fprintf(f, "], \"use\": [{\"protocol\": \"p\", \"from\": \"#c%zu\"}],\n"
             "\"offer\": [\n",
          n - 1);
  for (size_t i = 0; i + 1 < n; i++)
    fprintf(f, "{\"protocol\": \"p\", \"from\": \"#c%zu\", \"to\": \"#c%zu\"}"
               "%s\n",
            i, i + 1, i + 2 < n || closed ? "," : "");
  if (closed)
    fprintf(f, "{\"protocol\": \"p\", \"from\": \"#c%zu\", \"to\": \"#c0\"}\n",
            n - 1);
  fprintf(f, "]}");
  ck_assert_int_eq(fclose(f), 0);
  return text;
}

START_TEST(test_a_chain_of_two_thousand_children_passes_until_closed) {
  char *text = chain(2000, 0);
  fern__decl *d = parsed(text);
  ck_assert_uint_eq(d->offer_count, 1999);
  fern__decl_free(d);
  free(text);
  text = chain(2000, 1);
  refused(text, "r.cm:4003:1: strong dependency cycle: #c0 -> #c1 -> #c2 -> ",
          "more) -> #c0; break it");
  free(text);
}
END_TEST

/* Directories: CML's rights expand as right.rs expands them; a
 * capability needs a path and rights, a use rights (its path defaults to
 * /NAME), an offer or expose may narrow the rights and name a subdir. */
START_TEST(test_directories_are_read_with_rights_and_subdirs) {
  fern__decl *d = parsed(
      "{\"capabilities\": [{\"directory\": \"config\", \"path\": "
      "\"/data/config\", \"rights\": [\"rw*\"]}],\n"
      " \"use\": [{\"directory\": \"logs\", \"rights\": [\"rx*\"], "
      "\"subdir\": \"a/b\"}],\n"
      " \"expose\": [{\"directory\": \"config\", \"from\": \"self\", "
      "\"rights\": [\"r*\"], \"subdir\": \"etc\"}]}");
  ck_assert_uint_eq(d->provided_count, 1);
  ck_assert_int_eq(d->provided[0].kind, FERN_ROUTE_DIRECTORY);
  ck_assert_str_eq(d->provided[0].path, "data/config");
  ck_assert_uint_eq(d->provided[0].rights,
                    fern__rights_of_name("rw*"));
  ck_assert_int_eq(d->uses[0].kind, FERN_ROUTE_DIRECTORY);
  ck_assert_str_eq(d->uses[0].path, "/logs");
  ck_assert_str_eq(d->uses[0].subdir, "a/b");
  ck_assert_uint_eq(d->uses[0].rights, fern__rights_of_name("rx*"));
  ck_assert_uint_eq(d->exposes[0].rights, fern__rights_of_name("r*"));
  ck_assert_str_eq(d->exposes[0].subdir, "etc");
  fern__decl_free(d);
}
END_TEST

START_TEST(test_rights_are_cmls) {
  char text[160];
  fern__rights_format(fern__rights_of_name("r*") | FERN_RIGHT_WRITE_BYTES |
                          FERN_RIGHT_MODIFY_DIRECTORY |
                          FERN_RIGHT_UPDATE_ATTRIBUTES,
                      text, sizeof text);
  ck_assert_str_eq(text, "rw*");
  fern__rights_format(FERN_RIGHT_READ_BYTES | FERN_RIGHT_CONNECT, text,
                      sizeof text);
  ck_assert_str_eq(text, "connect, read_bytes");
  ck_assert(fern__rights_within(fern__rights_of_name("r*"),
                                fern__rights_of_name("rw*")));
  ck_assert(!fern__rights_within(fern__rights_of_name("w*"),
                                 fern__rights_of_name("r*")));
  ck_assert(!fern__rights_within(fern__rights_of_name("x*"),
                                 fern__rights_of_name("r*")));
}
END_TEST

START_TEST(test_directory_faults_are_refused_where_they_are) {
  refused("{\"capabilities\": [{\"directory\": \"c\", \"path\": \"d\"}]}",
          "r.cm:1:19:", "a directory needs \"rights\"");
  refused("{\"capabilities\": [{\"directory\": \"c\", \"rights\": "
          "[\"r*\"]}]}",
          "r.cm:1:19:", "\"path\"");
  refused("{\"capabilities\": [{\"directory\": \"c\", \"path\": \"d\", "
          "\"rights\": [\"r*\", \"read\"]}]}",
          "r.cm:1:", "not a right");
  refused("{\"capabilities\": [{\"directory\": \"c\", \"path\": \"d\", "
          "\"rights\": [\"r*\", \"r*\"]}]}",
          "r.cm:1:", "repeats an operation");
  /* cmc refuses an operation named through two names, too. */
  refused("{\"capabilities\": [{\"directory\": \"c\", \"path\": \"d\", "
          "\"rights\": [\"r*\", \"w*\"]}]}",
          "r.cm:1:", "repeats an operation");
  refused("{\"use\": [{\"directory\": \"c\", \"rights\": [\"rw*\", "
          "\"read_bytes\"]}]}",
          "r.cm:1:", "repeats an operation");
  refused("{\"capabilities\": [{\"directory\": \"c\", \"path\": "
          "\"../etc\", \"rights\": [\"r*\"]}]}",
          "r.cm:1:", "\"path\" must be a relative path");
  refused("{\"use\": [{\"directory\": \"c\"}]}", "r.cm:1:10:",
          "a directory needs \"rights\"");
  refused("{\"use\": [{\"directory\": \"c\", \"rights\": [\"r*\"], "
          "\"subdir\": \"a/../b\"}]}",
          "r.cm:1:", "\"subdir\" must be a relative path");
  refused("{\"use\": [{\"directory\": \"c\", \"protocol\": \"p\"}]}",
          "r.cm:1:10:", "not more");
  refused("{\"capabilities\": [{\"directory\": \"c\", \"path\": \"d\", "
          "\"rights\": [\"r*\"]}, {\"protocol\": \"c\"}]}",
          "r.cm:1:", "capability \"c\" is declared twice");
  refused("{\"capabilities\": [{\"protocol\": \"c\"}],\n"
          " \"expose\": [{\"directory\": \"c\", \"from\": \"self\"}]}",
          "r.cm:2:", "directory \"c\" is exposed from self, so it must be "
                     "declared as a \"directory\"");
  refused("{\"use\": [{\"protocol\": \"p\", \"rights\": [\"r*\"]}]}",
          "r.cm:1:", "\"rights\"");
}
END_TEST

/* Storage, as CML's: declared on a backing directory from parent, self
 * or a child; offered from self or parent, never exposed; used at a path
 * (default /NAME). */
START_TEST(test_storage_is_read_and_its_faults_refused) {
  fern__decl *d = parsed(
      "{\"capabilities\": [{\"directory\": \"state\", \"path\": \"var\", "
      "\"rights\": [\"rw*\"]},\n"
      "  {\"storage\": \"data\", \"from\": \"self\", \"backing_dir\": "
      "\"state\", \"subdir\": \"s\", \"storage_id\": "
      "\"static_instance_id\"}],\n"
      " \"use\": [{\"storage\": \"cache\"}]}");
  ck_assert_int_eq(d->provided[1].kind, FERN_ROUTE_STORAGE);
  ck_assert_str_eq(d->provided[1].backing_dir, "state");
  ck_assert_str_eq(d->provided[1].storage_subdir, "s");
  ck_assert_int_eq(d->provided[1].storage_id, FERN_STORAGE_ID_ONLY);
  ck_assert_int_eq(d->uses[0].kind, FERN_ROUTE_STORAGE);
  ck_assert_str_eq(d->uses[0].path, "/cache");
  fern__decl_free(d);
  refused("{\"capabilities\": [{\"storage\": \"data\", \"from\": \"self\", "
          "\"backing_dir\": \"nothing\"}]}",
          "r.cm:1:", "backed by directory \"nothing\" from self");
  refused("{\"capabilities\": [{\"storage\": \"data\", \"from\": "
          "\"parent\"}]}",
          "r.cm:1:", "\"backing_dir\"");
  refused("{\"capabilities\": [{\"storage\": \"data\", \"from\": "
          "\"parent\", \"backing_dir\": \"d\", \"storage_id\": \"name\"}]}",
          "r.cm:1:", "storage_id");
  refused("{\"expose\": [{\"storage\": \"data\", \"from\": \"self\"}]}",
          "r.cm:1:", "storage is not exposed");
  refused("{" CHILDREN "\"offer\": [{\"storage\": \"data\", \"from\": "
          "\"#server\", \"to\": \"#client\"}]}",
          "r.cm:", "(storage is never exposed)");
  refused("{\"use\": [{\"storage\": \"data\", \"from\": \"parent\"}]}",
          "r.cm:1:", "\"from\"");
}
END_TEST

/* Runners and resolvers are offered and exposed like protocols, and an
 * environment registers them from a child; each fault is refused where it
 * is, as cmc refuses it. */
START_TEST(test_runners_and_resolvers_are_routed_and_registered) {
  fern__decl *decl = parsed(
      "{" CHILDREN
      "\"capabilities\": [{\"runner\": \"crun\", \"plugin\": \"oci\"}],\n"
      "\"environments\": [{\"name\": \"e\", \"extends\": \"realm\", "
      "\"runners\": [{\"runner\": \"gtest\", \"from\": \"#server\"}], "
      "\"resolvers\": [{\"resolver\": \"repo\", \"scheme\": \"repo\", "
      "\"from\": \"#server\"}]}],\n"
      "\"offer\": [{\"runner\": [\"crun\"], \"from\": \"self\", \"to\": "
      "\"#client\", \"as\": \"oci\"}, {\"resolver\": \"repo\", \"from\": "
      "\"#server\", \"to\": [\"#client\", \"#workers\"]}],\n"
      "\"expose\": [{\"runner\": \"gtest\", \"from\": \"#server\"}]}");
  ck_assert_uint_eq(decl->offer_count, 3);
  ck_assert_int_eq(decl->offers[0].kind, FERN_ROUTE_RUNNER);
  ck_assert_str_eq(decl->offers[0].target, "oci");
  ck_assert_int_eq(decl->offers[2].kind, FERN_ROUTE_RESOLVER);
  ck_assert_str_eq(decl->offers[2].to.name, "workers");
  ck_assert_int_eq(decl->exposes[0].kind, FERN_ROUTE_RUNNER);
  const fern__registration *reg = &decl->environments[0].runners[0];
  ck_assert_int_eq(reg->from, FERN_FROM_CHILD);
  ck_assert_str_eq(reg->child, "server");
  fern__decl_free(decl);
  refused("{\"environments\": [{\"name\": \"e\", \"extends\": \"realm\", "
          "\"runners\": [{\"runner\": \"x\", \"from\": \"#nobody\"}]}]}",
          "r.cm:1:", "this manifest has no child named \"nobody\"");
  refused("{\"environments\": [{\"name\": \"e\", \"extends\": \"realm\", "
          "\"runners\": [{\"runner\": \"x\", \"from\": \"#\"}]}]}",
          "r.cm:1:", "expected \"parent\", \"self\" or \"#<child>\"");
  refused("{" CHILDREN "\"offer\": [{\"runner\": \"crun\", \"from\": "
          "\"self\", \"to\": \"#client\"}]}",
          "r.cm:4:30:", "runner \"crun\" is offered from self, so it must be "
                     "declared as a \"runner\"");
  /* A protocol of that name is not a resolver. */
  refused("{\"capabilities\": [{\"protocol\": \"repo\"}], \"expose\": "
          "[{\"resolver\": \"repo\", \"from\": \"self\"}]}",
          "r.cm:1:", "declared as a \"resolver\"");
  refused("{" CHILDREN "\"offer\": [{\"runner\": \"r\", \"from\": "
          "\"#server\", \"to\": \"#client\", \"dependency\": \"weak\"}]}",
          "r.cm:", "dependency");
}
END_TEST

/* A child whose environment registers a runner from that very child, or
 * from a child that depends on it, is a cycle (cmc's environment edges),
 * refused at the child's "environment". */
START_TEST(test_an_environment_from_its_own_user_is_a_cycle) {
  refused("{\"environments\": [{\"name\": \"e\", \"extends\": \"realm\", "
          "\"runners\": [{\"runner\": \"x\", \"from\": \"#a\"}]}],\n"
          "\"children\": [{\"name\": \"a\", \"url\": \"#meta/a.cm\", "
          "\"environment\": \"#e\"}]}",
          "r.cm:2:", "strong dependency cycle: #a -> #a");
  refused("{\"environments\": [{\"name\": \"e\", \"extends\": \"realm\", "
          "\"resolvers\": [{\"resolver\": \"x\", \"scheme\": \"x\", "
          "\"from\": \"#b\"}]}],\n"
          "\"children\": [{\"name\": \"a\", \"url\": \"#meta/a.cm\", "
          "\"environment\": \"#e\"}, {\"name\": \"b\", \"url\": "
          "\"#meta/b.cm\"}],\n"
          "\"offer\": [{\"protocol\": \"p\", \"from\": \"#a\", \"to\": "
          "\"#b\"}]}",
          "r.cm:", "strong dependency cycle: ");
  /* The same offer, weak: no cycle. */
  fern__decl_free(parsed(
      "{\"environments\": [{\"name\": \"e\", \"extends\": \"realm\", "
      "\"resolvers\": [{\"resolver\": \"x\", \"scheme\": \"x\", "
      "\"from\": \"#b\"}]}],\n"
      "\"children\": [{\"name\": \"a\", \"url\": \"#meta/a.cm\", "
      "\"environment\": \"#e\"}, {\"name\": \"b\", \"url\": "
      "\"#meta/b.cm\"}],\n"
      "\"offer\": [{\"protocol\": \"p\", \"from\": \"#a\", \"to\": "
      "\"#b\", \"dependency\": \"weak\"}]}"));
}
END_TEST

Suite *manifest_routes_suite(void) {
  Suite *s = suite_create("manifest_routes");
  TCase *tc = tcase_create("manifest_routes");
  tcase_add_test(tc, test_the_echo_example_is_read);
  tcase_add_test(tc, test_as_renames_one_protocol_only);
  tcase_add_test(tc, test_references_must_name_this_manifests_children);
  tcase_add_test(tc, test_what_comes_from_self_is_declared);
  tcase_add_test(tc, test_no_two_routes_reach_one_name);
  tcase_add_test(tc, test_names_paths_and_choices_are_checked);
  tcase_add_test(tc, test_directories_are_read_with_rights_and_subdirs);
  tcase_add_test(tc, test_rights_are_cmls);
  tcase_add_test(tc, test_directory_faults_are_refused_where_they_are);
  tcase_add_test(tc, test_storage_is_read_and_its_faults_refused);
  tcase_add_test(tc, test_runners_and_resolvers_are_routed_and_registered);
  suite_add_tcase(s, tc);
  TCase *cycles = tcase_create("cycles");
  tcase_add_test(cycles, test_two_children_serving_each_other_are_a_cycle);
  tcase_add_test(cycles, test_a_cycle_of_three_is_printed_whole);
  tcase_add_test(cycles,
                 test_a_use_from_a_child_it_offers_to_is_a_cycle_through_self);
  tcase_add_test(cycles, test_a_weak_offer_or_use_breaks_the_cycle);
  tcase_add_test(cycles, test_a_collection_is_a_node_every_path_ends_at);
  tcase_add_test(cycles,
                 test_a_chain_of_two_thousand_children_passes_until_closed);
  tcase_add_test(cycles, test_an_environment_from_its_own_user_is_a_cycle);
  suite_add_tcase(s, cycles);
  return s;
}
