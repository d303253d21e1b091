/* no_symbol - a shared library that exports no fern entry symbol. */
#include <fern/fern.h>

FERN_EXPORT int no_symbol_here(void);
FERN_EXPORT int no_symbol_here(void) { return 42; }
