/* old_abi - a runner built for plugin ABI 1 (fern 0.1): it exports
 * fern_runner_v1, with that ABI's head. fern refuses it, saying it is of
 * ABI 1 and must be rebuilt, before any of its code runs. */
#include <fern/fern.h>

typedef struct {
  uint32_t abi_major, abi_minor, struct_size;
  const char *name;
} v1_head;

FERN_EXPORT const v1_head fern_runner_v1 = {1, 0, sizeof(v1_head), "old_abi"};
