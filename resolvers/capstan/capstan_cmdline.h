/* capstan_cmdline.h - a config set's bootcmd as an argument vector.
 *
 * Words are split at blanks; '...' is literal, "..." takes \" and \\ as
 * escapes, and a backslash outside quotes escapes the next character.
 * OSv's loader reads ';' and '&' as command separators and --options before
 * the command as loader options: fern runs one program per config set
 * (choose several with `fern run --boot A --boot B`), so an unquoted
 * separator, redirection or loader option is refused with a message saying
 * so rather than passed to the program. */
#ifndef FERN_RESOLVERS_CAPSTAN_CMDLINE_H
#define FERN_RESOLVERS_CAPSTAN_CMDLINE_H

#include <fern/fern.h>
#include <jansson.h>

/* Splits `cmd` into a new JSON array of strings (at least one). */
int capstan_cmdline_split(const char *cmd, json_t **argv, fern_error_t *err);

#endif
