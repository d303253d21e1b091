/* bad_small - a runner entry struct cut short, as an older header would
 * make it: struct_size below what ABI 2.0 needs. */
#include <fern/runner.h>

typedef struct {
  uint32_t abi_major, abi_minor, struct_size, host_abi_major, host_abi_minor;
  const char *name;
} short_table;

FERN_EXPORT const short_table fern_runner_v2 = {
    FERN_RUNNER_ABI_MAJOR, FERN_RUNNER_ABI_MINOR, sizeof(short_table),
    FERN_HOST_ABI_MAJOR, FERN_HOST_ABI_MINOR, "bad_small"};
