/* main.c - runs the Slurm runner's end-to-end suites (tests/slurm/run.sh
 * starts the cluster first). */
#include <stdlib.h>

#include "slurm_e2e.h"

int main(void) {
  SRunner *runner = srunner_create(slurm_jobs_suite());
  srunner_add_suite(runner, slurm_trouble_suite());
  srunner_add_suite(runner, slurm_cost_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
