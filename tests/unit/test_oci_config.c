/* test_oci_config.c - the OCI runner's config.json: deterministic, and
 * what a container needs. */
#include <stdlib.h>
#include <string.h>

#include "../../runners/oci/oci.h"
#include "unit.h"

static char *config_for(const char *cgroups) {
  json_t *argv = json_pack("[s,s,s]", "/bin/tool", "print", "hi");
  json_t *env = json_pack("[s]", "COLOR=green");
  oci_spec spec = {.rootfs = "/pkg/rootfs", .hostname = "web",
                   .argv = argv, .env = env, .cwd = "/",
                   .memory_limit = 1 << 26, .pids_limit = 64,
                   .cgroups_path = cgroups, .init = "/opt/fern-oci-init"};
  char *text = oci_config_text(&spec);
  json_decref(argv);
  json_decref(env);
  return text;
}

START_TEST(test_the_same_spec_gives_byte_identical_config) {
  char *a = config_for("/fern-1-1/c1/ctr");
  char *b = config_for("/fern-1-1/c1/ctr");
  ck_assert_str_eq(a, b);
  free(a);
  free(b);
}
END_TEST

START_TEST(test_config_runs_the_program_under_the_init) {
  char *text = config_for(NULL);
  json_t *config = json_loads(text, 0, NULL);
  json_t *args = json_object_get(json_object_get(config, "process"), "args");
  ck_assert_str_eq(json_string_value(json_array_get(args, 0)), OCI_INIT_PATH);
  ck_assert_str_eq(json_string_value(json_array_get(args, 1)), "/bin/tool");
  json_t *root = json_object_get(config, "root");
  ck_assert(json_is_true(json_object_get(root, "readonly")));
  json_t *linux_block = json_object_get(config, "linux");
  ck_assert_ptr_null(json_object_get(linux_block, "cgroupsPath"));
  ck_assert_int_eq(json_integer_value(json_object_get(
                       json_object_get(json_object_get(linux_block,
                                                       "resources"),
                                       "pids"),
                       "limit")),
                   64);
  ck_assert_ptr_nonnull(strstr(text, "\"type\": \"pid\""));
  ck_assert_ptr_nonnull(strstr(text, "\"type\": \"network\""));
  json_decref(config);
  free(text);
}
END_TEST

Suite *oci_config_suite(void) {
  Suite *s = suite_create("oci_config");
  TCase *tc = tcase_create("config");
  tcase_add_test(tc, test_the_same_spec_gives_byte_identical_config);
  tcase_add_test(tc, test_config_runs_the_program_under_the_init);
  suite_add_tcase(s, tc);
  return s;
}
