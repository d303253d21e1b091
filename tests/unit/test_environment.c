/* test_environment.c - REALM and NONE, overriding, "from" parent and self,
 * and which environment children and collections get. The runners here are
 * a mock table: this tests the environment model alone. */
#include <stdlib.h>
#include <string.h>

#include "../../environments/environment.h"
#include "instance.h"
#include "unit.h"

static int mock_create(const fern_host_t *h, const json_t *c, void **out,
                       fern_error_t *e) {
  (void)h, (void)c, (void)e;
  *out = NULL;
  return FERN_OK;
}
static void mock_release(void *r) { (void)r; }
static const fern_runner_plugin_t mock_runner = {
    .abi_major = 1, .name = "mock", .create = mock_create,
    .release = mock_release};
static const fern_resolver_plugin_t mock_resolver = {
    .abi_major = 1, .name = "mock", .create = mock_create,
    .release = mock_release};

static fern__capability *make_cap(fern__cap_kind kind, const char *name) {
  fern__capability *cap;
  fern_error_t err = FERN_ERROR_INIT;
  ck_assert_int_eq(fern__capability_create(
                       kind == FERN_CAP_RUNNER ? &mock_runner : NULL,
                       kind == FERN_CAP_RESOLVER ? &mock_resolver : NULL, name,
                       "mock.so", NULL, NULL, &cap, &err),
                   FERN_OK);
  return cap;
}

/* A root environment: runner elf, resolver file (scheme file), 5000 ms. */
static fern__env *make_root(void) {
  fern__env *env = fern__env_new("root", 5000);
  fern__capability *elf = make_cap(FERN_CAP_RUNNER, "elf");
  fern__capability *file = make_cap(FERN_CAP_RESOLVER, "file");
  fern__env_register(env, FERN_CAP_RUNNER, "elf", elf);
  fern__env_register(env, FERN_CAP_RESOLVER, "file", file);
  fern__capability_unref(elf);
  fern__capability_unref(file);
  return env;
}

static fern__decl *parse(const char *text) {
  fern__decl *decl;
  fern_error_t err = FERN_ERROR_INIT;
  ck_assert_msg(fern__decl_parse(text, strlen(text), "t.cm", &decl, &err) ==
                    FERN_OK,
                "%s", err.message);
  return decl;
}

static fern__capability *self_cap;
static int self_calls;
/* The source of "from: self" registrations; the parent's environment
 * answers for the rest (nothing is routed here). */
static int provide_self(void *ctx, fern__cap_kind kind,
                        const fern__registration *reg, fern__capability **out,
                        const void **route, fern_error_t *err) {
  (void)ctx, (void)kind, (void)route, (void)err;
  if (reg->from != FERN_FROM_SELF)
    return FERN_OK;
  self_calls++;
  *out = self_cap;
  return FERN_OK;
}

static fern__env *build(const char *text, const fern__env *parent,
                        fern_error_t *err, int *rc) {
  fern__decl *decl = parse(text);
  fern__env *env = NULL;
  *rc = fern__env_build(&decl->environments[0], parent, "#e of /", provide_self,
                        NULL, &env, err);
  fern__decl_free(decl);
  return env;
}

START_TEST(test_realm_env_inherits_parent_runners_and_timeout) {
  fern__env *root = make_root();
  fern_error_t err = FERN_ERROR_INIT;
  int rc;
  fern__env *env = build("{\"environments\": [{\"name\": \"e\", \"extends\": "
                         "\"realm\"}]}",
                         root, &err, &rc);
  ck_assert_int_eq(rc, FERN_OK);
  ck_assert_ptr_eq(fern__env_runner(env, "elf"), fern__env_runner(root, "elf"));
  ck_assert_ptr_nonnull(fern__env_resolver(env, "file"));
  ck_assert_uint_eq(env->stop_timeout_ms, 5000);
  fern__env_unref(env);
  fern__env_unref(root);
}
END_TEST

START_TEST(test_none_env_starts_empty) {
  fern__env *root = make_root();
  fern_error_t err = FERN_ERROR_INIT;
  int rc;
  fern__env *env = build("{\"environments\": [{\"name\": \"e\", \"extends\": "
                         "\"none\", \"__stop_timeout_ms\": 100}]}",
                         root, &err, &rc);
  ck_assert_int_eq(rc, FERN_OK);
  ck_assert_ptr_null(fern__env_runner(env, "elf"));
  ck_assert_ptr_null(fern__env_resolver(env, "file"));
  ck_assert_uint_eq(env->stop_timeout_ms, 100);
  fern__env_unref(env);
  fern__env_unref(root);
}
END_TEST

START_TEST(test_none_env_takes_named_runners_from_parent) {
  fern__env *root = make_root();
  fern_error_t err = FERN_ERROR_INIT;
  int rc;
  fern__env *env = build(
      "{\"environments\": [{\"name\": \"e\", \"extends\": \"none\", "
      "\"__stop_timeout_ms\": 100, \"runners\": [{\"runner\": \"elf\", "
      "\"from\": \"parent\", \"as\": \"native\"}], \"resolvers\": "
      "[{\"resolver\": \"file\", \"scheme\": \"disk\", \"from\": \"parent\"}]}]}",
      root, &err, &rc);
  ck_assert_int_eq(rc, FERN_OK);
  ck_assert_ptr_null(fern__env_runner(env, "elf"));
  ck_assert_ptr_eq(fern__env_runner(env, "native"),
                   fern__env_runner(root, "elf"));
  ck_assert_ptr_eq(fern__env_resolver(env, "disk"),
                   fern__env_resolver(root, "file"));
  fern__env_unref(env);
  fern__env_unref(root);
}
END_TEST

START_TEST(test_realm_env_overrides_by_name) {
  fern__env *root = make_root();
  self_cap = make_cap(FERN_CAP_RUNNER, "crun");
  self_calls = 0;
  fern_error_t err = FERN_ERROR_INIT;
  int rc;
  fern__env *env = build(
      "{\"capabilities\": [{\"runner\": \"elf\", \"plugin\": \"oci\"}],"
      " \"environments\": [{\"name\": \"e\", \"extends\": \"realm\", "
      "\"__stop_timeout_ms\": 7, \"runners\": [{\"runner\": \"elf\", "
      "\"from\": \"self\"}]}]}",
      root, &err, &rc);
  ck_assert_int_eq(rc, FERN_OK);
  ck_assert_int_eq(self_calls, 1);
  ck_assert_ptr_eq(fern__env_runner(env, "elf"), self_cap);
  ck_assert_uint_eq(env->runner_count, 1);
  ck_assert_uint_eq(env->stop_timeout_ms, 7);
  fern__env_unref(env);
  fern__capability_unref(self_cap);
  fern__env_unref(root);
}
END_TEST

START_TEST(test_missing_parent_runner_names_what_there_is) {
  fern__env *root = make_root();
  fern_error_t err = FERN_ERROR_INIT;
  int rc;
  fern__env *env = build(
      "{\"environments\": [{\"name\": \"e\", \"extends\": \"realm\", "
      "\"runners\": [{\"runner\": \"oci\", \"from\": \"parent\"}]}]}",
      root, &err, &rc);
  ck_assert_int_eq(rc, FERN_ENOENT);
  ck_assert_ptr_null(env);
  ck_assert_ptr_nonnull(strstr(err.message, "runner \"oci\""));
  ck_assert_ptr_nonnull(strstr(err.message, "(root)"));
  ck_assert_ptr_nonnull(strstr(err.message, "it has: elf"));
  fern__env_unref(root);
}
END_TEST

static fern__resolution resolution;

static fern__instance *make_realm(fern__env *root, const char *text) {
  memset(&resolution, 0, sizeof resolution);
  resolution.decl = parse(text);
  fern__instance *realm = fern__instance_new(NULL, NULL, "", "file:///x#a.cm",
                                             FERN_STARTUP_EAGER, root);
  realm->resolution = &resolution;
  return realm;
}

static void free_realm(fern__instance *realm) {
  fern__instance_free(realm);
  fern__decl_free(resolution.decl);
}

START_TEST(test_children_get_declared_or_parent_environment) {
  fern__env *root = make_root();
  fern__instance *realm = make_realm(
      root, "{\"environments\": [{\"name\": \"e\", \"extends\": \"realm\", "
            "\"__stop_timeout_ms\": 9}], \"children\": ["
            "{\"name\": \"a\", \"url\": \"#a.cm\", \"environment\": \"#e\"},"
            "{\"name\": \"b\", \"url\": \"#b.cm\"}]}");
  fern_error_t err = FERN_ERROR_INIT;
  ck_assert_int_eq(fern__instance_add_children(realm, &err), FERN_OK);
  ck_assert_str_eq(realm->children[0]->env->label, "#e of /");
  ck_assert_uint_eq(realm->children[0]->env->stop_timeout_ms, 9);
  ck_assert_ptr_eq(realm->children[1]->env, root);
  ck_assert_str_eq(realm->children[1]->moniker, "/b");
  free_realm(realm);
  fern__env_unref(root);
}
END_TEST

START_TEST(test_collections_get_declared_or_parent_environment) {
  fern__env *root = make_root();
  fern__instance *realm = make_realm(
      root, "{\"environments\": [{\"name\": \"e\", \"extends\": \"none\", "
            "\"__stop_timeout_ms\": 3}], \"collections\": ["
            "{\"name\": \"c\", \"durability\": \"transient\", "
            "\"environment\": \"#e\"},"
            "{\"name\": \"d\", \"durability\": \"transient\"}],"
            "\"children\": [{\"name\": \"a\", \"url\": \"#a.cm\", "
            "\"environment\": \"#e\"}]}");
  fern_error_t err = FERN_ERROR_INIT;
  ck_assert_int_eq(fern__instance_add_children(realm, &err), FERN_OK);
  fern__env *c_env, *d_env;
  ck_assert_int_eq(fern__instance_collection_env(realm, "c", &c_env, &err),
                   FERN_OK);
  ck_assert_int_eq(fern__instance_collection_env(realm, "d", &d_env, &err),
                   FERN_OK);
  ck_assert_ptr_eq(c_env, realm->children[0]->env); /* built once, shared */
  ck_assert_ptr_null(fern__env_runner(c_env, "elf"));
  ck_assert_ptr_eq(d_env, root);
  ck_assert_int_eq(fern__instance_collection_env(realm, "zz", &d_env, &err),
                   FERN_ENOENT);
  free_realm(realm);
  fern__env_unref(root);
}
END_TEST

START_TEST(test_nested_realm_env_chains_through_parents) {
  fern__env *root = make_root();
  fern_error_t err = FERN_ERROR_INIT;
  int rc;
  fern__env *mid = build("{\"environments\": [{\"name\": \"e\", \"extends\": "
                         "\"realm\", \"runners\": [{\"runner\": \"elf\", "
                         "\"from\": \"parent\", \"as\": \"native\"}]}]}",
                         root, &err, &rc);
  fern__env *leaf = build("{\"environments\": [{\"name\": \"e\", \"extends\": "
                          "\"realm\", \"__stop_timeout_ms\": 50}]}",
                          mid, &err, &rc);
  ck_assert_ptr_eq(fern__env_runner(leaf, "native"),
                   fern__env_runner(root, "elf"));
  ck_assert_ptr_nonnull(fern__env_runner(leaf, "elf"));
  ck_assert_uint_eq(leaf->stop_timeout_ms, 50);
  ck_assert_uint_eq(mid->stop_timeout_ms, 5000);
  fern__env_unref(leaf);
  fern__env_unref(mid);
  fern__env_unref(root);
}
END_TEST

/* A routed entry (a registration core follows later) is copied by
 * "extends: realm" and taken "from: parent" by the name it was registered
 * under; settled, it holds its capability, and copies made before stay
 * routed on their own. */
START_TEST(test_routed_entries_copy_settle_and_keep_their_names) {
  static const int route = 7; /* core's; the environment never reads it */
  fern__env *root = make_root();
  fern__env_register_route(root, FERN_CAP_RESOLVER, "repo", &route, "repo");
  fern__env_register_route(root, FERN_CAP_RUNNER, "native", &route, "native");
  fern_error_t err = FERN_ERROR_INIT;
  int rc;
  fern__env *copy = build("{\"environments\": [{\"name\": \"e\", "
                          "\"extends\": \"realm\"}]}",
                          root, &err, &rc);
  ck_assert_int_eq(rc, FERN_OK);
  fern__env_entry *e = fern__env_entry_find(copy, FERN_CAP_RESOLVER, "repo");
  ck_assert_ptr_nonnull(e);
  ck_assert_ptr_eq(e->route, &route);
  ck_assert_ptr_null(e->cap);
  ck_assert_ptr_null(fern__env_resolver(copy, "repo")); /* not yet routed */
  /* Settled under another declared name: still found as "repo". */
  fern__capability *impl = make_cap(FERN_CAP_RESOLVER, "repo-impl");
  fern__env_entry_settle(fern__env_entry_find(root, FERN_CAP_RESOLVER, "repo"),
                         impl);
  ck_assert_ptr_eq(fern__env_resolver_named(root, "repo"), impl);
  ck_assert_ptr_null(fern__env_resolver_named(root, "repo-impl"));
  fern__env *taken = build(
      "{\"environments\": [{\"name\": \"e\", \"extends\": \"none\", "
      "\"__stop_timeout_ms\": 9, \"resolvers\": [{\"resolver\": \"repo\", "
      "\"scheme\": \"pkg\", \"from\": \"parent\"}], \"runners\": "
      "[{\"runner\": \"native\", \"from\": \"parent\"}]}]}",
      root, &err, &rc);
  ck_assert_int_eq(rc, FERN_OK);
  ck_assert_ptr_eq(fern__env_resolver(taken, "pkg"), impl);
  ck_assert_ptr_eq(fern__env_entry_find(taken, FERN_CAP_RUNNER, "native")->route,
                   &route);
  /* The copy made before the settling is still to be routed itself. */
  ck_assert_ptr_null(e->cap);
  ck_assert_int_eq(impl->refs, 3); /* ours, root's entry, taken's entry */
  fern__capability_unref(impl);
  fern__env_unref(taken);
  fern__env_unref(copy);
  fern__env_unref(root);
}
END_TEST

Suite *environment_suite(void) {
  Suite *s = suite_create("environment");
  TCase *tc = tcase_create("environment");
  tcase_add_test(tc, test_realm_env_inherits_parent_runners_and_timeout);
  tcase_add_test(tc, test_none_env_starts_empty);
  tcase_add_test(tc, test_none_env_takes_named_runners_from_parent);
  tcase_add_test(tc, test_realm_env_overrides_by_name);
  tcase_add_test(tc, test_missing_parent_runner_names_what_there_is);
  tcase_add_test(tc, test_children_get_declared_or_parent_environment);
  tcase_add_test(tc, test_collections_get_declared_or_parent_environment);
  tcase_add_test(tc, test_nested_realm_env_chains_through_parents);
  tcase_add_test(tc, test_routed_entries_copy_settle_and_keep_their_names);
  suite_add_tcase(s, tc);
  return s;
}
