/* capstan_cmdline.h - a bootcmd as OSv's loader reads it (OSv's
 * core/commands.cc, parse_command_line): a line is a list of commands,
 * each ended by ';', '&', '&!', '!' or the line's end; a command is words
 * separated by spaces; a word is "quoted" (and may then hold spaces and
 * the enders) or bare; in both, \a \b \f \n \r \t \v \\ \' \" are escapes
 * and any other backslash is itself. A '"' that is never closed is an
 * ordinary character, as OSv's grammar falls back to a bare word. Each
 * line of a bootcmd is parsed alone, as OSv's runscript reads its file.
 * Expansion of $VARIABLES comes later (capstan_env.h). */
#ifndef FERN_RESOLVERS_CAPSTAN_CMDLINE_H
#define FERN_RESOLVERS_CAPSTAN_CMDLINE_H

#include <fern/fern.h>
#include <jansson.h>

/* Parses `cmd` into a new array of commands, each {"argv": [words...],
 * "then": ";" | "&" | "&!" | "!" | ""}; at least one, each with a word.
 * An empty command between enders (";;"), where OSv's parser stops and
 * drops the rest, is an error saying so. */
int capstan_cmdline_parse(const char *cmd, json_t **commands,
                          fern_error_t *err);

#endif
