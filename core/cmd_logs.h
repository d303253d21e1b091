/* cmd_logs.h - fern logs's client side (cmd_logs.c): its request, and its
 * lines printed for a person. cmd_ctl.c sends and follows. */
#ifndef FERN_CORE_CMD_LOGS_H
#define FERN_CORE_CMD_LOGS_H

#include <jansson.h>

#include "cli.h"

/* The request of `fern logs [OPTIONS] [MONIKER...]`; NULL after saying
 * why it cannot be made (a bad --since or --stream). */
json_t *fern__logs_request(const fern__cli *cli);
/* One line (an object of the reply, or followed), or a {"dropped": N}
 * notice, for a person: "2026-12-03 06:40:01.123 /a stdout: text". */
void fern__logs_print_line(const json_t *line);
/* The reply: its lines (an array, or {"following": true, "lines": [...]}). */
void fern__logs_print(const fern__cli *cli, const json_t *result);
/* TIME as seconds since 1970: "1796280000", "-10s", "-5m", "-2h", "-1d",
 * "YYYY-MM-DD HH:MM[:SS]" or with a T (local time); -1 if it is none. */
double fern__logs_parse_time(const char *text, double now);

#endif
