/* main.c - runs every end-to-end suite. */
#include <stdlib.h>

#include "e2e.h"

int main(void) {
  SRunner *runner = srunner_create(run_suite());
  srunner_add_suite(runner, lifecycle_suite());
  srunner_add_suite(runner, cli_suite());
  srunner_add_suite(runner, resolve_suite());
  srunner_add_suite(runner, elf_suite());
  srunner_add_suite(runner, job_suite());
  srunner_add_suite(runner, cgroup_pool_suite());
  srunner_add_suite(runner, control_suite());
  srunner_add_suite(runner, control_security_suite());
  srunner_add_suite(runner, control_budget_suite());
  srunner_add_suite(runner, control_pipelining_suite());
  srunner_add_suite(runner, sandbox_suite());
  srunner_add_suite(runner, oci_suite());
  srunner_add_suite(runner, pkg_suite());
  srunner_add_suite(runner, capstan_suite());
  srunner_add_suite(runner, capstan_compose_suite());
  srunner_add_suite(runner, image_root_suite());
  srunner_add_suite(runner, capstan_runtimes_suite());
  srunner_add_suite(runner, oci_confinement_suite());
  srunner_add_suite(runner, oci_terminal_suite());
  srunner_add_suite(runner, oci_runtimes_suite());
  srunner_add_suite(runner, oci_cgroups_suite());
  srunner_add_suite(runner, logs_suite());
  srunner_add_suite(runner, costs_suite());
  srunner_add_suite(runner, oci_image_suite());
  srunner_add_suite(runner, hostile_suite());
  srunner_add_suite(runner, faults_suite());
  srunner_add_suite(runner, guardian_suite());
  srunner_add_suite(runner, blocking_suite());
  srunner_add_suite(runner, exec_checked_suite());
  srunner_add_suite(runner, plugin_trust_suite());
  srunner_add_suite(runner, elf_reading_suite());
  srunner_add_suite(runner, sparse_elf_suite());
  srunner_add_suite(runner, sandbox_binds_suite());
  srunner_add_suite(runner, sandbox_ldcache_suite());
  srunner_add_suite(runner, log_suite());
  srunner_add_suite(runner, lifecycle_edges_suite());
  srunner_add_suite(runner, mainpid_suite());
  srunner_add_suite(runner, reaping_suite());
  srunner_add_suite(runner, validate_suite());
  srunner_add_suite(runner, routes_suite());
  srunner_add_suite(runner, directories_suite());
  srunner_add_suite(runner, storage_suite());
  srunner_add_suite(runner, env_routes_suite());
  srunner_add_suite(runner, cml_suite());
  srunner_add_suite(runner, config_suite());
  srunner_add_suite(runner, stop_deps_suite());
  srunner_add_suite(runner, serve_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
