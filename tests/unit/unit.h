/* unit.h - the Check unit suites, one per module. */
#ifndef FERN_TESTS_UNIT_H
#define FERN_TESTS_UNIT_H

#include <check.h>

Suite *manifest_suite(void);
Suite *manifest_routes_suite(void);
Suite *json5_suite(void);
Suite *include_suite(void);
Suite *config_schema_suite(void);
Suite *capstan_cmdline_suite(void);
Suite *url_suite(void);
Suite *environment_suite(void);
Suite *plugin_suite(void);
Suite *plugin_load_suite(void);
Suite *support_suite(void);
Suite *oci_config_suite(void);
Suite *slurm_state_suite(void);
Suite *elf_image_suite(void);
Suite *ld_cache_suite(void);
Suite *in_root_suite(void);
Suite *log_escape_suite(void);
Suite *log_queue_suite(void);
Suite *events_suite(void);
Suite *lifecycle_machine_suite(void);

/* The build directory (FERN_BUILD), where test plugins were built. */
const char *unit_build_dir(void);

#endif
