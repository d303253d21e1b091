/* runner_2_1 - the good runner as a plugin built for runner ABI 2.1,
 * which knows nothing of structured configuration: fern starts its
 * components without config, and refuses, naming the ABI it needs, one
 * with config rather than start a program that will not find it. */
#define GOOD_NAME "runner_2_1"
#define GOOD_RUNNER_ABI_MINOR 1
#include "good.c"
