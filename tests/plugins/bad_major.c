/* bad_major - claims runner ABI 3.0 under the ABI 2 symbol; must be refused
 * before any of its code runs: its constructor leaves a mark if dlopen
 * ever ran it. */
#include <fern/runner.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void bad_major_ran(void) {
  setenv("FERN_BAD_MAJOR_RAN", "1", 1);
  fprintf(stderr, "bad_major: constructor ran\n");
}

FERN_EXPORT const fern_runner_plugin_t fern_runner_v2 = {
    .abi_major = 3, .abi_minor = 0, .struct_size = sizeof(fern_runner_plugin_t),
    .host_abi_major = FERN_HOST_ABI_MAJOR, .name = "bad_major"};
