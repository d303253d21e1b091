/* new_host - the good runner, built as if against a newer fern.h: it needs
 * a host ABI minor this fern does not have. Refused, naming both, before
 * its code runs, instead of reading past the end of the host table. */
#define GOOD_NAME "new_host"
#define GOOD_HOST_ABI_MINOR (FERN_HOST_ABI_MINOR + 3)
#include "good.c"
