/* bss - a runner whose entry struct is filled by a constructor at load
 * time: in the file it is all zeros in .bss. The loader reads the struct
 * before it runs any of the library's code, so this is refused, and the
 * refusal says why (not "missing symbol"). */
#include <fern/runner.h>

FERN_EXPORT fern_runner_plugin_t fern_runner_v2;

__attribute__((constructor)) static void fill(void) {
  fern_runner_v2.abi_major = FERN_RUNNER_ABI_MAJOR;
  fern_runner_v2.struct_size = sizeof fern_runner_v2;
  fern_runner_v2.host_abi_major = FERN_HOST_ABI_MAJOR;
  fern_runner_v2.name = "bss";
}
