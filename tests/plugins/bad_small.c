/* bad_small - a runner entry struct cut short, as an older header would
 * make it: struct_size below what ABI 1.0 needs. */
#include <fern/runner.h>

typedef struct {
  uint32_t abi_major, abi_minor, struct_size;
  const char *name;
} short_table;

FERN_EXPORT const short_table fern_runner_v1 = {
    FERN_RUNNER_ABI_MAJOR, FERN_RUNNER_ABI_MINOR, sizeof(short_table),
    "bad_small"};
