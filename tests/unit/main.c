/* main.c - runs every unit suite. */
#include <stdlib.h>

#include "unit.h"

const char *unit_build_dir(void) {
  const char *dir = getenv("FERN_BUILD");
  return dir != NULL ? dir : ".";
}

int main(void) {
  SRunner *runner = srunner_create(manifest_suite());
  srunner_add_suite(runner, manifest_routes_suite());
  srunner_add_suite(runner, json5_suite());
  srunner_add_suite(runner, include_suite());
  srunner_add_suite(runner, config_schema_suite());
  srunner_add_suite(runner, capstan_cmdline_suite());
  srunner_add_suite(runner, url_suite());
  srunner_add_suite(runner, environment_suite());
  srunner_add_suite(runner, plugin_suite());
  srunner_add_suite(runner, plugin_load_suite());
  srunner_add_suite(runner, support_suite());
  srunner_add_suite(runner, oci_config_suite());
  srunner_add_suite(runner, slurm_state_suite());
  srunner_add_suite(runner, elf_image_suite());
  srunner_add_suite(runner, ld_cache_suite());
  srunner_add_suite(runner, in_root_suite());
  srunner_add_suite(runner, log_escape_suite());
  srunner_add_suite(runner, log_queue_suite());
  srunner_add_suite(runner, events_suite());
  srunner_add_suite(runner, lifecycle_machine_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
